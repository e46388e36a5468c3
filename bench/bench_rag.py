"""Retrieval: search latency at scale, indexing throughput and memory, and recall.

1. scale: a synthetic folder of N chunks (default 100,000; Zipf-distributed pseudo-words, so
   keyword queries hit a realistic share of chunks) is indexed through the real pipeline
   (discover, read, chunk, SQLite, FTS5) with a random 640-dimension embedder, in a child
   process whose peak RSS is recorded. Then: loading the matrix once from SQLite, mapping the
   .npy sidecar as the next process would, and the latency of a query in each mode
   (vector = one matrix-vector product + top-k + fetching the rows).
2. memory: the same pipeline on a folder a fifth the size, to show the peak does not grow
   with the folder (batches of chunks, one file at a time).
3. local (with --local): the Gemma 3 270M embedder on tests/rag/eval: chunks/s while
   indexing, query embedding time, and recall@k per search mode.

    .venv/bin/python bench/bench_rag.py [--chunks 100000] [--queries 50] [--local] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DIMS = 640
PARAS_PER_FILE = 50


def make_folder(root: Path, chunks: int, seed: int = 1) -> list[str]:
    """Files of paragraphs (one chunk each at --chunk-size 400); returns the vocabulary."""
    import numpy as np

    rng = np.random.default_rng(seed)
    vocab = [f"w{i:05d}" for i in range(20_000)]
    ranks = np.arange(1, len(vocab) + 1)
    p = 1.0 / ranks
    p /= p.sum()
    root.mkdir(parents=True, exist_ok=True)
    files = (chunks + PARAS_PER_FILE - 1) // PARAS_PER_FILE
    made = 0
    for f in range(files):
        n = min(PARAS_PER_FILE, chunks - made)
        words = rng.choice(len(vocab), size=(n, 45), p=p)
        paras = [f"Doc {f} par {i}: " + " ".join(vocab[w] for w in row) + "."
                 for i, row in enumerate(words)]
        (root / f"doc{f:05d}.txt").write_text("\n\n".join(paras) + "\n", encoding="utf-8")
        made += n
    return vocab


def _child_index(db: str, folder: str) -> None:
    """Runs in a child process: index `folder`, print stats and peak RSS as JSON."""
    import numpy as np

    from llmcli.rag import index as ix
    from llmcli.store.db import connect

    rng = np.random.default_rng(0)

    def embed(texts: list[str]) -> list[list[float]]:
        return rng.standard_normal((len(texts), DIMS)).astype(np.float32)  # type: ignore[return-value]

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    conn = connect(Path(db))
    stats = ix.build(conn, "big", [Path(folder)], embed=embed, model="bench:random",
                     chunk_size=400, overlap=0, batch=64)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"chunks": stats.chunks, "files": stats.files, "seconds": stats.seconds,
                      "rss_start_mb": before / 1024, "rss_peak_mb": peak / 1024}))


def index_in_child(db: Path, folder: Path) -> dict:
    code = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); "
            f"from bench.bench_rag import _child_index; _child_index({str(db)!r}, {str(folder)!r})")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def query_latency(db: Path, vocab: list[str], queries: int, cache: Path) -> dict:
    import numpy as np

    from llmcli.rag import index as ix
    from llmcli.rag import search as s
    from llmcli.rag.search import keyword_ranking, load_matrix, search, vector_ranking
    from llmcli.store.db import connect

    conn = connect(db)
    info = ix.get_index(conn, "big")
    t = time.perf_counter()
    load_matrix(conn, info, cache)  # from SQLite; writes the memory-mappable file
    load_s = time.perf_counter() - t
    s._LOADED.clear()  # the next process: maps the file
    t = time.perf_counter()
    matrix = load_matrix(conn, info, cache)
    mapped_s = time.perf_counter() - t
    t = time.perf_counter()
    vector_ranking(matrix, np.ones(DIMS, dtype=np.float32), 5)
    first_query_s = time.perf_counter() - t
    rng = np.random.default_rng(3)
    qs = []
    for _ in range(queries):
        # Query words from the middle of the Zipf range: content words, not the commonest.
        words = [vocab[i] for i in rng.integers(20, 2000, size=6)]
        qs.append((" ".join(words), rng.standard_normal(DIMS).astype(np.float32)))
    out = {"chunks": matrix.size, "dims": int(matrix.vectors.shape[1]),
           "matrix_mb": matrix.vectors.nbytes / 2**20, "load_s": load_s, "mapped_s": mapped_s,
           "first_query_after_map_s": first_query_s}
    timings: dict[str, list[float]] = {"matvec_topk": [], "keyword_fts": [], "vector": [],
                                       "hybrid": []}
    for text, vec in qs:  # interleaved, so noise hits every mode alike
        t = time.perf_counter()
        vector_ranking(matrix, vec, 50)
        timings["matvec_topk"].append(time.perf_counter() - t)
        t = time.perf_counter()
        keyword_ranking(conn, info, text, 50)
        timings["keyword_fts"].append(time.perf_counter() - t)
        for mode in ("vector", "hybrid"):
            t = time.perf_counter()
            search(conn, info, text, vec, 5, mode)  # type: ignore[arg-type]
            timings[mode].append(time.perf_counter() - t)
    for name, ts in timings.items():
        ts.sort()
        out[f"{name}_ms_median"] = 1000 * statistics.median(ts)
        out[f"{name}_ms_p95"] = 1000 * ts[int(0.95 * (len(ts) - 1))]
    conn.close()
    return out


def local_figures() -> dict:
    from llmcli.core.provider import ProviderSettings
    from llmcli.providers.local import LocalProvider
    from llmcli.rag import index as ix
    from llmcli.store.db import connect
    from tests.conftest import shared_cache_dir
    from tests.rag.eval.harness import DOCS, evaluate

    provider = LocalProvider(ProviderSettings(name="local",
                                              extra={"cache_dir": str(shared_cache_dir())}))

    def embed(texts: list[str]) -> list[list[float]]:
        return provider.embed(texts, "gemma-3-270m")

    embed(["aquecimento"])  # weights loaded before the clock starts
    with tempfile.TemporaryDirectory() as tmp:
        conn = connect(Path(tmp) / "logs.db")
        stats = ix.build(conn, "eval", [DOCS], embed=embed, model="local:gemma-3-270m")
        info = ix.get_index(conn, "eval")
        t = time.perf_counter()
        for q in ("Quanta água beber por dia?", "Como fazer omelete de claras?",
                  "O que é RoPE?"):
            embed([q])
        query_s = (time.perf_counter() - t) / 3
        result = evaluate(conn, info, embed)
        conn.close()
    chars = sum(len(p.read_text(encoding="utf-8")) for p in DOCS.iterdir())
    return {"chunks": stats.chunks, "chunks_per_s": stats.rate, "index_s": stats.seconds,
            "corpus_chars": chars, "query_embed_s": query_s, "recall": result["recall"],
            "questions": result["questions"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chunks", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=50)
    ap.add_argument("--local", action="store_true", help="also measure the local model")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    results: dict = {"cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        small = max(args.chunks // 5, 1)
        make_folder(base / "small", small, seed=2)
        vocab = make_folder(base / "big", args.chunks)
        results["index_small"] = index_in_child(base / "small.db", base / "small")
        results["index_big"] = index_in_child(base / "big.db", base / "big")
        results["query"] = query_latency(base / "big.db", vocab, args.queries, base / "cache")
    if args.local:
        results["local"] = local_figures()
    if args.json:
        print(json.dumps(results, indent=2))
        return
    s, b, q = results["index_small"], results["index_big"], results["query"]
    print(f"machine: {results['cpus']} cpus")
    print(f"index pipeline (random {DIMS}-d embedder): {b['chunks']:,} chunks in "
          f"{b['seconds']:.1f} s ({b['chunks'] / b['seconds']:,.0f} chunks/s)")
    print(f"peak RSS while indexing: {s['chunks']:,} chunks {s['rss_peak_mb']:.0f} MB, "
          f"{b['chunks']:,} chunks {b['rss_peak_mb']:.0f} MB")
    print(f"matrix {q['chunks']:,} x {q['dims']} ({q['matrix_mb']:.0f} MB): from SQLite "
          f"{q['load_s']:.2f} s; next process maps the .npy in {q['mapped_s'] * 1000:.1f} ms, "
          f"first query {q['first_query_after_map_s'] * 1000:.0f} ms")
    for name in ("matvec_topk", "keyword_fts", "vector", "hybrid"):
        print(f"  {name:12s} median {q[name + '_ms_median']:6.1f} ms   "
              f"p95 {q[name + '_ms_p95']:6.1f} ms")
    if "local" in results:
        loc = results["local"]
        print(f"local gemma-3-270m: {loc['chunks']} chunks of tests/rag/eval at "
              f"{loc['chunks_per_s']:.2f} chunks/s ({loc['index_s']:.0f} s); "
              f"query embedding {loc['query_embed_s'] * 1000:.0f} ms")
        for mode, by_k in loc["recall"].items():
            cells = "  ".join(f"@{k} {v:.2f}" for k, v in by_k.items())
            print(f"  recall {mode:8s} {cells}   ({loc['questions']} questions)")


if __name__ == "__main__":
    main()
