"""Retrieval: search latency at scale, indexing throughput and memory, and recall.

1. scale: a synthetic folder of N chunks (default 100,000; Zipf-distributed pseudo-words, so
   keyword queries hit a realistic share of chunks) is indexed through the real pipeline
   (discover, read, chunk, SQLite, FTS5) with a random 640-dimension embedder, in a child
   process whose peak RSS is recorded. Then: loading the matrix once from SQLite, mapping the
   .npy sidecar as the next process would, and the latency of a query in each mode
   (vector = one matrix-vector product + top-k + fetching the rows).
2. memory: the same pipeline on a folder a fifth the size, to show the peak does not grow
   with the folder (batches of chunks, one file at a time).
3. local (with --local): the Gemma 3 270M embedder on tests/rag/eval, before (#10's mean
   pooling and id tie-break) and after (#14's sentence embedder and fusion), side by side in
   one run: chunks/s while indexing (and embedding the same chunks in alternating batches),
   hybrid query latency (interleaved), recall@k per mode and group.

    .venv/bin/python bench/bench_rag.py [--chunks 100000] [--queries 50] [--local] [--json]
    .venv/bin/python bench/bench_rag.py --only-local [--rerank]   # just part 3
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


def legacy_embedding(local, ids):
    """The local embedder before #14: the mean of the final-normed last-layer hidden states
    over the text's tokens (BOS left out), kept here only to measure against."""
    import numpy as np

    from llmcli.local import forward as fw
    from llmcli.local.blas import blas_threads

    array = local._check_ids(ids)
    cache = fw.KVCache(local.config, capacity=int(array.size))
    with blas_threads(1):
        parts = [fw.forward(local.weights, local.config, array[lo : lo + 256], lo, cache)
                 for lo in range(0, array.size, 256)]
        hidden = fw.final_norm(local.weights, local.config, np.concatenate(parts))
    return hidden[1:].mean(axis=0) if array.size > 1 else hidden[0]


def legacy_fuse(rankings, k=60):
    """Rank fusion before #14: ties fell to the lower chunk id (storage order)."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, (chunk_id, _) in enumerate(ranking, 1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


QUERIES = ("Quanta água beber por dia?", "Como fazer omelete de claras?", "O que é RoPE?",
           "How long is the train ride to Sintra?", "Quantas calorias tem a batata-doce?")


def local_figures(with_rerank: bool = False) -> dict:
    """Before (#10's embedder and fusion) and after (#14), one run, same weights and docs;
    `with_rerank`: also after + the local reranking pass (recall and query latency)."""
    from llmcli.core.provider import ProviderSettings
    from llmcli.local.embedder import prompt_ids, sentence_embedding
    from llmcli.providers.local import LocalProvider
    from llmcli.rag import index as ix
    from llmcli.rag import search as rs
    from llmcli.rag.rerank import rerank
    from llmcli.store.db import connect
    from tests.conftest import shared_cache_dir
    from tests.rag.eval.harness import DOCS, evaluate

    provider = LocalProvider(ProviderSettings(name="local",
                                              extra={"cache_dir": str(shared_cache_dir())}))
    local, tok = provider.numpy_model(), provider.tokenizer()
    embedders = {
        "before": lambda texts: [legacy_embedding(local, tok.encode(t)).tolist() for t in texts],
        "after": lambda texts: [sentence_embedding(local, prompt_ids(tok, t)).tolist()
                                for t in texts],
    }
    fusers = {"before": legacy_fuse, "after": rs.fuse}

    def scorer(prefixes: list[str], question: str) -> list[float]:
        return provider.continuation_logprobs(prefixes, question)

    for embed in embedders.values():
        embed(["aquecimento"])  # weights paged in before any clock starts
    out: dict = {name: {} for name in embedders}
    # Embedding throughput interleaved: batches of 8 chunks, before and after in turn.
    from llmcli.rag.chunking import DEFAULT_OVERLAP, DEFAULT_SIZE, chunk_document
    from llmcli.rag.readers import read

    texts = [c.text for f in sorted(DOCS.iterdir())
             for c in chunk_document(read(f), DEFAULT_SIZE, DEFAULT_OVERLAP)]
    spent = dict.fromkeys(embedders, 0.0)
    for lo in range(0, len(texts), 8):
        for name, embed in embedders.items():
            t = time.perf_counter()
            embed(texts[lo : lo + 8])
            spent[name] += time.perf_counter() - t
    for name in embedders:
        out[name]["interleaved_chunks_per_s"] = len(texts) / spent[name]
    with tempfile.TemporaryDirectory() as tmp:
        conns = {}
        for name, embed in embedders.items():
            conns[name] = connect(Path(tmp) / f"{name}.db")
            stats = ix.build(conns[name], "eval", [DOCS], embed=embed, model=f"bench:{name}")
            out[name].update(chunks=stats.chunks, chunks_per_s=stats.rate,
                             index_s=stats.seconds)
        latency: dict[str, list[float]] = {name: [] for name in embedders}
        reranked: list[float] = []
        for q in QUERIES:  # interleaved: load on the machine hits both alike
            for name, embed in embedders.items():
                info = ix.get_index(conns[name], "eval")
                rs.fuse = fusers[name]
                t = time.perf_counter()
                hits = rs.search(conns[name], info, q, embed([q])[0], 5, "hybrid")
                latency[name].append(time.perf_counter() - t)
                if with_rerank and name == "after":
                    rerank(q, hits, scorer)
                    reranked.append(time.perf_counter() - t)
        for name, embed in embedders.items():
            rs.fuse = fusers[name]
            info = ix.get_index(conns[name], "eval")
            result = evaluate(conns[name], info, embed,
                              rerank=scorer if with_rerank and name == "after" else None)
            out[name].update(query_s=statistics.median(latency[name]),
                             recall=result["recall"], by_group=result["by_group"],
                             questions=result["questions"], misses=result["misses"])
            conns[name].close()
        rs.fuse = fusers["after"]
    if reranked:
        out["after"]["query_rerank_s"] = statistics.median(reranked)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chunks", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=50)
    ap.add_argument("--local", action="store_true", help="also measure the local model")
    ap.add_argument("--only-local", action="store_true", help="skip the scale figures")
    ap.add_argument("--rerank", action="store_true",
                    help="with the local figures, also hybrid + the local reranking pass")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    results: dict = {"cpus": os.cpu_count()}
    if args.only_local:
        results["local"] = local_figures(args.rerank)
        print(json.dumps(results, indent=2) if args.json else _local_text(results["local"]))
        return
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        small = max(args.chunks // 5, 1)
        make_folder(base / "small", small, seed=2)
        vocab = make_folder(base / "big", args.chunks)
        results["index_small"] = index_in_child(base / "small.db", base / "small")
        results["index_big"] = index_in_child(base / "big.db", base / "big")
        results["query"] = query_latency(base / "big.db", vocab, args.queries, base / "cache")
    if args.local:
        results["local"] = local_figures(args.rerank)
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
        print(_local_text(results["local"]))


def _local_text(loc: dict) -> str:
    lines = []
    for name in ("before", "after"):
        f = loc[name]
        lines.append(f"local gemma-3-270m, {name}: {f['chunks']} chunks of tests/rag/eval at "
                     f"{f['chunks_per_s']:.2f} chunks/s ({f['index_s']:.0f} s; interleaved "
                     f"embedding {f['interleaved_chunks_per_s']:.2f} chunks/s); hybrid query "
                     f"(embed + search) median {f['query_s'] * 1000:.0f} ms"
                     + (f", with --rerank {f['query_rerank_s'] * 1000:.0f} ms"
                        if "query_rerank_s" in f else ""))
        for mode, by_k in f["recall"].items():
            cells = "  ".join(f"@{k} {v:.2f}" for k, v in by_k.items())
            lines.append(f"  recall {mode:8s} {cells}   ({f['questions']} questions)")
        for mode in ("hybrid", "hybrid+rerank"):
            for group, by_k in f["by_group"].get(mode, {}).items():
                cells = "  ".join(f"@{k} {v:.2f}" for k, v in by_k.items())
                lines.append(f"    {mode} {group:9s} {cells}")
        lines.append(f"    hybrid misses @5: {f['misses']['hybrid']}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
