"""Local decode speed with and without a schema (issue 17), on both engines, side by side.

One process loads Gemma 3 270M on the numpy engine and on llama.cpp. Each round decodes the
same prompt greedily on each engine twice, once free and once under a JSON Schema whose string
must run past the token budget (`minLength`), so both decode every step of the budget; the
order alternates round by round (free first, then schema first) so drift in the machine's load
falls on both alike. Figures per run: tokens per second after the first token (prefill left
out), CPU seconds per token (all threads; less sensitive than wall time to other processes on
a shared machine, but llama.cpp's idle threads spin, so its CPU figure also counts their
waiting while Python samples), and the wall time spent inside the grammar stage itself
(`GrammarStage.apply` and `advance`, timed around the real calls). Reported: the median over
rounds, and the schema/free ratio of medians.

Run from the repository root (the llamacpp extra installed for the second engine):
    LLMCLI_TEST_CACHE=/work/.test-cache .venv/bin/python bench/bench_schema_decode.py \\
        [--rounds 7] [--tokens 48] [--engines numpy,llamacpp]
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

SCHEMA = {"type": "object", "properties": {"texto": {"type": "string", "minLength": 600}},
          "required": ["texto"]}
# Completion mode (raw): a base model continues this text past any budget, where a chat turn
# may end early; the schema run decodes under the grammar from the same text.
PROMPT = "Lisboa é a capital de Portugal e uma das cidades mais antigas da Europa. A cidade"


def sessions(engines: list[str], tokens: int):
    """(name, make_session, tokenizer) per engine, the model loaded once each."""
    from llmcli.local.files import ensure_default_model
    from llmcli.local.tokenizer import Tokenizer

    cache = Path(os.environ.get("LLMCLI_TEST_CACHE", Path.home() / ".cache/llmcli"))
    gguf = ensure_default_model(cache)
    tok = Tokenizer.from_gguf(gguf)
    out = []
    if "numpy" in engines:
        from llmcli.local.model import LocalModel, Session

        model = LocalModel.load(gguf, cache)
        out.append(("numpy", lambda m=model: Session(m, 512), tok))
    if "llamacpp" in engines:
        from llmcli.local.llamacpp_backend import LlamaCppModel

        llama = LlamaCppModel(gguf, n_ctx=512)
        out.append(("llamacpp", lambda m=llama: m.new_session(512), tok))
    return out


GRAMMAR_SECONDS = [0.0]  # wall time inside the grammar stage (mask and advance), this run


def time_the_grammar_stage() -> None:
    """Wrap GrammarStage.apply/advance to add their wall time to GRAMMAR_SECONDS (the stage
    runs for real; only a clock is read around it)."""
    from llmcli.local.grammar import GrammarStage

    for name in ("apply", "advance"):
        real = getattr(GrammarStage, name)

        def timed(self, *a, _real=real):
            t = time.perf_counter()
            try:
                return _real(self, *a)
            finally:
                GRAMMAR_SECONDS[0] += time.perf_counter() - t

        setattr(GrammarStage, name, timed)


def one_run(tok, session, schema, tokens: int) -> tuple[float, float, int, float]:
    """(tokens/s after the first, CPU s per token after the first, tokens decoded, grammar
    stage's wall seconds per token)."""
    from llmcli.core.events import Usage
    from llmcli.core.messages import ChatRequest, Message
    from llmcli.core.options import Options
    from llmcli.local.chat_format import run_chat

    request = ChatRequest(model="gemma", messages=[Message(role="user", content=PROMPT)],
                          options=Options(max_tokens=tokens, temperature=0, stop=["\u0000"]),
                          json_schema=schema, raw=True)
    first = last = 0.0
    cpu_first = cpu_last = 0.0
    GRAMMAR_SECONDS[0] = 0.0
    n = 0
    for event in run_chat(request, tok, session, defaults={}, max_tokens=tokens):
        last, cpu_last = time.perf_counter(), time.process_time()
        if not first:
            first, cpu_first = last, cpu_last
        if isinstance(event, Usage):
            n = event.output_tokens or 0
    steps = max(1, n - 1)
    return steps / (last - first), (cpu_last - cpu_first) / steps, n, GRAMMAR_SECONDS[0] / n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--tokens", type=int, default=48)
    ap.add_argument("--engines", default="numpy,llamacpp")
    args = ap.parse_args()
    load_before = os.getloadavg()
    time_the_grammar_stage()
    engines = sessions(args.engines.split(","), args.tokens)
    # one warm-up of each (grammar adapter built once per process, caches filled)
    for _, make, tok in engines:
        one_run(tok, make(), SCHEMA, 8)
        one_run(tok, make(), None, 8)
    runs: dict[str, dict[str, list]] = {name: {"free": [], "schema": []} for name, *_ in engines}
    started = time.perf_counter()
    for r in range(args.rounds):
        order = (("free", None), ("schema", SCHEMA))
        for name, make, tok in engines:
            for label, schema in (order if r % 2 == 0 else order[::-1]):
                runs[name][label].append(one_run(tok, make(), schema, args.tokens))
    out: dict[str, object] = {
        "cpu": next((ln.split(":", 1)[1].strip()
                     for ln in Path("/proc/cpuinfo").read_text().splitlines()
                     if ln.startswith("model name")), "?"),
        "cores": os.cpu_count(), "rounds": args.rounds, "tokens": args.tokens,
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "seconds": round(time.perf_counter() - started, 1),
    }
    for name, by in runs.items():
        res: dict[str, object] = {}
        for label, vals in by.items():
            res[label] = {
                "median_tok_s": round(statistics.median(v[0] for v in vals), 2),
                "median_cpu_ms_per_tok": round(1000 * statistics.median(v[1] for v in vals), 2),
                "tok_s_runs": [round(v[0], 2) for v in vals],
                "tokens": sorted({v[2] for v in vals}),
                "median_grammar_ms_per_tok": round(1000 * statistics.median(v[3] for v in vals),
                                                   3),
            }
        f, s = res["free"], res["schema"]
        res["schema_over_free_tok_s"] = round(s["median_tok_s"] / f["median_tok_s"], 3)  # type: ignore[index]
        res["schema_over_free_cpu"] = round(
            s["median_cpu_ms_per_tok"] / f["median_cpu_ms_per_tok"], 3)  # type: ignore[index]
        out[name] = res
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
