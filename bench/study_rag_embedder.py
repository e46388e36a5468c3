"""How #14 chose the local sentence embedder: recall on tests/rag/eval for the alternatives.

1. states: every chunk and question of the evaluation set goes through the local model once per
   prompt variant, and the hidden state of every layer is kept, pooled three ways:
     mean   mean over the tokens (BOS left out) of the residual stream
     meann  the same, each token's state first scaled to unit RMS
     last   the last position's state, scaled to unit RMS
   Prompt variants: raw (the text as is), e5 ("passage: " / "query: " prefixes) and eol
   ('This text: "<text>" means in one word: "', Jiang et al. 2023, PromptEOL). Layer 18 is
   the final-normed output. Saved as .npz in --states (reused when present).
2. grid: vector and hybrid (RRF with keyword BM25 from the real FTS5 index) recall@1/@5 for
   each variant x pooling x layer span x centring (none, or minus the corpus mean), best first.
3. --rerank: log P(question | passage) over the first 5 hybrid hits of the chosen embedder, for
   the passage templates in TEMPLATES (only the shipped one was measured).

    .venv/bin/python bench/study_rag_embedder.py [--states DIR] [--top 25] [--rerank]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VARIANTS = {
    "raw": ("{t}", "{t}"),
    "e5": ("passage: {t}", "query: {t}"),
    "eol": ('This text: "{t}" means in one word: "', 'This text: "{t}" means in one word: "'),
}
TEMPLATES = {"qa": "{p}\n\nQuestion: "}  # llmcli.rag.rerank.TEMPLATE; add others to compare


def corpus():
    from llmcli.rag.chunking import DEFAULT_OVERLAP, DEFAULT_SIZE, chunk_document
    from llmcli.rag.readers import read
    from tests.rag.eval.harness import DOCS, questions

    chunks = [(f.name, c.text) for f in sorted(DOCS.iterdir())
              for c in chunk_document(read(f), DEFAULT_SIZE, DEFAULT_OVERLAP)]
    return chunks, questions()


def provider():
    from llmcli.core.provider import ProviderSettings
    from llmcli.providers.local import LocalProvider
    from tests.conftest import shared_cache_dir

    return LocalProvider(ProviderSettings(name="local",
                                          extra={"cache_dir": str(shared_cache_dir())}))


def states(local, tok, text: str):
    from llmcli.local import forward as fw
    from llmcli.local.blas import blas_threads

    ids = np.array(tok.encode(text), dtype=np.int64)
    cache = fw.KVCache(local.config, capacity=len(ids))
    records: list[dict] = []
    with blas_threads(1):
        x0 = fw.embed(local.weights, ids, local.config)
        fw.forward(local.weights, local.config, ids, 0, cache, records)
    h = np.stack([x0] + [r["hidden"] for r in records])  # [layers+1, n, d]
    h[-1] = fw.final_norm(local.weights, local.config, h[-1])
    hn = h / np.sqrt((h * h).mean(-1, keepdims=True) + 1e-6)
    body = slice(1, None) if len(ids) > 1 else slice(0, None)
    return h[:, body].mean(1), hn[:, body].mean(1), hn[:, -1], len(ids)


def dump(folder: Path, chunks, qs) -> None:
    prov = None
    for name, (doc_t, query_t) in VARIANTS.items():
        path = folder / f"states_{name}.npz"
        if path.exists():
            continue
        if prov is None:
            prov = provider()
            local, tok = prov.numpy_model(), prov.tokenizer()
        out: dict[str, list] = {"mean": [], "meann": [], "last": []}
        started, tokens = time.perf_counter(), 0
        texts = [doc_t.format(t=t) for _, t in chunks] + [query_t.format(t=q["q"]) for q in qs]
        for text in texts:
            a, b, c, n = states(local, tok, text)
            tokens += n
            out["mean"].append(a)
            out["meann"].append(b)
            out["last"].append(c)
        seconds = time.perf_counter() - started
        np.savez(path, ndocs=len(chunks), **{k: np.stack(v).astype(np.float32)
                                               for k, v in out.items()})
        print(f"{name}: {tokens} tokens in {seconds:.0f} s", flush=True)


class Eval:
    """Keyword rankings from the real FTS5 index and the relevant chunks of each question."""

    def __init__(self, chunks, qs):
        from llmcli.rag import index as ix
        from llmcli.rag.search import keyword_ranking
        from llmcli.store.db import connect
        from tests.rag.conftest import bow_vector
        from tests.rag.eval.harness import DOCS, _flat

        self.qs = qs
        conn = connect(Path(tempfile.mkdtemp()) / "study.db")
        ix.build(conn, "e", [DOCS], embed=lambda ts: [bow_vector(t) for t in ts], model="bow")
        info = ix.get_index(conn, "e")
        where = {(r["source"], r["text"]): int(r["id"]) for r in ix.iter_chunks(conn, info)}
        index_of = {where[c]: i for i, c in enumerate(chunks)}
        self.kw = [[(index_of[cid], s) for cid, s in keyword_ranking(conn, info, q["q"], 50)]
                   for q in qs]
        self.good = [{i for i, (src, text) in enumerate(chunks)
                      if src == q["source"] and _flat(q["needle"]) in _flat(text)} for q in qs]
        conn.close()

    def recall(self, rankings, k: int) -> float:
        return sum(1 for r, g in zip(rankings, self.good, strict=True)
                   if set(r[:k]) & g) / len(self.qs)

    def rankings(self, vectors, nd: int, center: bool):
        e = vectors - vectors[:nd].mean(0) if center else vectors
        unit = e / np.linalg.norm(e, axis=-1, keepdims=True)
        sims = unit[nd:] @ unit[:nd].T
        vec = [[(int(i), float(s[i])) for i in np.argsort(-s, kind="stable")[:50]] for s in sims]
        return vec

    def hybrid(self, vec):
        from llmcli.rag.search import fuse

        return [[i for i, _ in fuse([v, k])] for v, k in zip(vec, self.kw, strict=True)]


def grid(folder: Path, ev: Eval, top: int) -> None:
    rows = []
    for name in VARIANTS:
        z = np.load(folder / f"states_{name}.npz")
        nd = int(z["ndocs"])
        for pool in ("mean", "meann", "last"):
            x = z[pool]
            layers = x.shape[1]
            spans = [(a, a) for a in range(layers)] + [
                (a, b) for a in range(0, layers, 2) for b in range(a + 2, layers, 2)]
            for a, b in spans:
                for center in (False, True):
                    vec = ev.rankings(x[:, a : b + 1].mean(1), nd, center)
                    ids = [[i for i, _ in v] for v in vec]
                    hyb = ev.hybrid(vec)
                    rows.append((name, pool, f"{a}-{b}", "corpus" if center else "none",
                                 ev.recall(ids, 1), ev.recall(ids, 5), ev.recall(hyb, 1),
                                 ev.recall(hyb, 5)))
    rows.sort(key=lambda r: -(r[6] + r[7] + 0.5 * (r[4] + r[5])))
    print("| prompt | pooling | layers | centring | vector @1 | @5 | hybrid @1 | @5 |")
    print("|---|---|---|---|---|---|---|---|")
    shown = rows[:top]
    for name in VARIANTS:  # the best of every prompt x pooling, then #10's embedder
        for pool in ("mean", "meann", "last"):
            best = next(r for r in rows if r[:2] == (name, pool))
            if best not in shown:
                shown.append(best)
    shown += [r for r in rows if r[:4] == ("raw", "mean", "18-18", "none")]
    for r in shown:
        print("| " + " | ".join(r[:4]) + " | " + " | ".join(f"{v:.2f}" for v in r[4:]) + " |")
    kw = [[i for i, _ in k] for k in ev.kw]
    print(f"keyword alone: @1 {ev.recall(kw, 1):.2f} @5 {ev.recall(kw, 5):.2f}")


def rerank_study(folder: Path, ev: Eval, chunks) -> None:
    from llmcli.local.likelihood import continuation_logprob

    z = np.load(folder / "states_eol.npz")
    nd = int(z["ndocs"])
    hyb = ev.hybrid(ev.rankings(z["last"][:, 16:19].mean(1), nd, False))
    heads = [h[:5] for h in hyb]
    print(f"hybrid (chosen embedder): @1 {ev.recall(hyb, 1):.2f} @3 {ev.recall(hyb, 3):.2f} "
          f"@5 {ev.recall(hyb, 5):.2f}")
    prov = provider()
    local, tok = prov.numpy_model(), prov.tokenizer()
    for name, template in TEMPLATES.items():
        started = time.perf_counter()
        out = []
        for q, head in zip(ev.qs, heads, strict=True):
            cont = tok.encode(q["q"], add_bos=False)
            scores = [continuation_logprob(local, tok.encode(template.format(p=chunks[i][1])),
                                           cont) for i in head]
            out.append([head[j] for j in sorted(range(len(head)), key=lambda j: (-scores[j], j))])
        print(f"rerank top 5, template {name!r}: @1 {ev.recall(out, 1):.2f} "
              f"@3 {ev.recall(out, 3):.2f} ({time.perf_counter() - started:.0f} s)", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--states", type=Path, default=ROOT / ".bench-cache" / "rag-states")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--rerank", action="store_true")
    args = ap.parse_args()
    args.states.mkdir(parents=True, exist_ok=True)
    chunks, qs = corpus()
    dump(args.states, chunks, qs)
    ev = Eval(chunks, qs)
    grid(args.states, ev, args.top)
    if args.rerank:
        rerank_study(args.states, ev, chunks)


if __name__ == "__main__":
    main()
