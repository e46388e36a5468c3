"""Grammar engines on Gemma 3's 262,144-token vocabulary (issue 17): llguidance, xgrammar and
outlines-core side by side, in one process, on the same schema and the same token path.

For each engine: the one-off cost (tokenizer adapter + schema compile / index build) and the
time to compute the allowed-token mask at each step while walking a fixed valid document
token by token (median and p99 over all steps and --runs repetitions). The walk forces the
tokens of the document, so every engine computes masks on identical states.

xgrammar and outlines-core are not llmcli dependencies (only llguidance is): install them in
the venv to compare (`pip install xgrammar outlines-core`; xgrammar pulls torch).

Run from the repository root:
    LLMCLI_TEST_CACHE=/work/.test-cache .venv/bin/python bench/bench_grammar.py [--runs 5]
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np

SCHEMA = {
    "type": "object",
    "properties": {
        "nome": {"type": "string"},
        "idade": {"type": "integer"},
        "cidades": {"type": "array", "items": {"type": "string"}},
        "ativo": {"type": "boolean"},
        "nível": {"enum": ["básico", "médio", "avançado"]},
    },
    "required": ["nome", "idade", "cidades", "ativo", "nível"],
    "additionalProperties": False,
}
DOC = ('{"nome": "Maria José", "idade": 34, "cidades": ["Recife", "São Paulo", "Lisboa"], '
       '"ativo": true, "nível": "médio"}')


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def summary(steps: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in steps]
    return {"median_ms": round(statistics.median(ms), 4), "p99_ms": round(pct(ms, 99), 4),
            "max_ms": round(max(ms), 4), "steps": len(ms)}


def bench_llguidance(tok, ids, runs):
    from llmcli.local.grammar import GrammarEngine

    t0 = time.perf_counter()
    engine = GrammarEngine(tok)
    engine.llg_tokenizer()
    adapter = time.perf_counter() - t0
    t0 = time.perf_counter()
    stage = engine.json_schema(SCHEMA)
    stage.allowed_mask()
    compile_s = time.perf_counter() - t0
    from llguidance.numpy import fill_next_token_bitmask

    steps: list[float] = []
    full: list[float] = []
    allowed: list[int] = []
    for _ in range(runs):
        stage = engine.json_schema(SCHEMA)
        for t in ids:
            s = time.perf_counter()
            fill_next_token_bitmask(stage.matcher, stage._bits)  # the engine's own work
            steps.append(time.perf_counter() - s)
            s = time.perf_counter()
            mask = stage.allowed_mask()  # as the sampler uses it: fill + unpack to booleans
            full.append(time.perf_counter() - s)
            allowed.append(int(mask.sum()))
            stage.advance(t)
        assert stage.accepting()
    logits = np.random.default_rng(0).standard_normal(tok.vocab_size).astype(np.float32)
    applied = []
    for _ in range(50):
        s = time.perf_counter()
        stage.apply(logits)
        applied.append(time.perf_counter() - s)
    return {"adapter_s": round(adapter, 3), "compile_s": round(compile_s, 3), **summary(steps),
            "with_unpack": summary(full), "grammar_stage_apply": summary(applied),
            "mean_allowed_tokens": round(statistics.mean(allowed), 1)}


def bench_xgrammar(tok, ids, runs, vocab):
    import xgrammar as xgr

    t0 = time.perf_counter()
    info = xgr.TokenizerInfo(vocab, xgr.VocabType.RAW, vocab_size=len(vocab),
                             stop_token_ids=sorted(tok.eot_ids))
    compiler = xgr.GrammarCompiler(info, max_threads=1)
    adapter = time.perf_counter() - t0
    t0 = time.perf_counter()
    compiled = compiler.compile_json_schema(json.dumps(SCHEMA), any_whitespace=False,
                                            separators=(", ", ": "))
    compile_s = time.perf_counter() - t0
    bitmask = xgr.allocate_token_bitmask(1, len(vocab))
    steps: list[float] = []
    for _ in range(runs):
        m = xgr.GrammarMatcher(compiled)
        for t in ids:
            s = time.perf_counter()
            m.fill_next_token_bitmask(bitmask)
            steps.append(time.perf_counter() - s)
            assert m.accept_token(t), t
    return {"adapter_s": round(adapter, 3), "compile_s": round(compile_s, 3), **summary(steps)}


def bench_outlines(tok, ids, runs, vocab):
    import outlines_core as oc

    t0 = time.perf_counter()
    mapping: dict[bytes, list[int]] = {}
    eos = tok.eos_id
    for i, b in enumerate(vocab):
        if i in tok.eot_ids or not b or b.startswith(b"\xff"):
            continue  # outlines-core: one eos id; special tokens never match a regex
        mapping.setdefault(b, []).append(i)
    vocabulary = oc.Vocabulary(eos, mapping)
    adapter = time.perf_counter() - t0
    t0 = time.perf_counter()
    regex = oc.json_schema.build_regex_from_schema(json.dumps(SCHEMA), r"[ ]?")
    index = oc.Index(regex, vocabulary)
    compile_s = time.perf_counter() - t0
    mask = np.zeros((len(vocab) + 31) // 32, dtype=np.int32)
    steps: list[float] = []
    for _ in range(runs):
        guide = oc.Guide(index)
        for t in ids:
            s = time.perf_counter()
            guide.write_mask_into(mask.ctypes.data, mask.size, mask.itemsize)
            steps.append(time.perf_counter() - s)
            guide.advance(t)
    return {"adapter_s": round(adapter, 3), "compile_s": round(compile_s, 3), **summary(steps)}


def bench_decode_step(runs: int) -> dict[str, float]:
    """One numpy decode step of the real model (the yardstick for the mask's cost)."""
    from llmcli.local.files import ensure_default_model
    from llmcli.local.model import LocalModel

    cache = Path(os.environ.get("LLMCLI_TEST_CACHE", Path.home() / ".cache/llmcli"))
    from llmcli.local.model import Session

    model = LocalModel.load(ensure_default_model(cache), cache)
    session = Session(model, 2048)
    session.feed([2, 818, 5279, 529, 7001, 563])
    steps = []
    for i in range(max(8, runs * 4)):
        s = time.perf_counter()
        session.feed([236743 + i % 3])
        steps.append(time.perf_counter() - s)
    return summary(steps)


def bench_local_decode(tok, runs: int) -> dict[str, object]:
    """Local decode speed through run_chat, greedy: tokens per second after the first token
    (prefill left out), without and with a schema whose string must run past the 48-token
    budget, so both runs decode the same number of steps. Alternating runs."""
    from llmcli.core.events import Usage
    from llmcli.core.messages import ChatRequest, Message
    from llmcli.core.options import Options
    from llmcli.local.chat_format import run_chat
    from llmcli.local.files import ensure_default_model
    from llmcli.local.model import LocalModel, Session

    cache = Path(os.environ.get("LLMCLI_TEST_CACHE", Path.home() / ".cache/llmcli"))
    model = LocalModel.load(ensure_default_model(cache), cache)
    big = {"type": "object", "properties": {"texto": {"type": "string", "minLength": 400}},
           "required": ["texto"]}
    results: dict[str, list[float]] = {"plain": [], "schema": []}
    for _ in range(runs):
        for name, schema in (("plain", None), ("schema", big)):
            request = ChatRequest(
                model="gemma", messages=[Message(role="user", content="Escreva sobre Lisboa.")],
                options=Options(max_tokens=48, temperature=0, stop=["\u0000"]),
                json_schema=schema)
            first = last = 0.0
            usage = None
            for event in run_chat(request, tok, Session(model, 512), defaults={},
                                  max_tokens=48):
                last = time.perf_counter()
                first = first or last
                if isinstance(event, Usage):
                    usage = event
            steps = (usage.output_tokens or 1) - 1 if usage else 0
            results[name].append(steps / (last - first) if last > first else 0.0)
    return {name: {"best_tok_s": round(max(v), 2), "median_tok_s": round(statistics.median(v), 2)}
            for name, v in results.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--only", default="llguidance,xgrammar,outlines-core,decode,local")
    args = ap.parse_args()
    from llmcli.local.files import ensure_default_model
    from llmcli.local.grammar import vocabulary_bytes
    from llmcli.local.tokenizer import Tokenizer

    cache = Path(os.environ.get("LLMCLI_TEST_CACHE", Path.home() / ".cache/llmcli"))
    tok = Tokenizer.from_gguf(ensure_default_model(cache))
    ids = tok.encode(DOC, add_bos=False)
    vocab = vocabulary_bytes(tok)
    out: dict[str, object] = {"vocab": len(vocab), "doc_tokens": len(ids), "runs": args.runs}
    only = args.only.split(",")
    if "llguidance" in only:
        out["llguidance"] = bench_llguidance(tok, ids, args.runs)
    if "xgrammar" in only:
        out["xgrammar"] = bench_xgrammar(tok, ids, args.runs, vocab)
    if "outlines-core" in only:
        out["outlines-core"] = bench_outlines(tok, ids, args.runs, vocab)
    if "decode" in only:
        out["numpy_decode_step"] = bench_decode_step(args.runs)
    if "local" in only:
        out["local_decode"] = bench_local_decode(tok, max(2, args.runs // 2))
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
