"""Benchmark of the numpy engine on the default Gemma 3 270M, printed as JSON.

    .venv/bin/python bench/bench_local_numpy.py [--decode-tokens 64] [--prompt-tokens 256]

Measured side by side in one run, each part in its own process (so one part's memory does not
inflate another's peak RSS):

- bandwidth: the machine's read bandwidth, best of several passes over a 1 GB float32 matrix:
  a matrix-vector product (the operation decoding is made of) split across the cores by us
  and by OpenBLAS's threads, and a single-threaded np.sum. The decode bound is the best of
  these divided by the bytes read per token (every weight once, float32).
- engine: a cold start (import + load from the weight cache + first token), prompt tokens/s
  (one prefill), decode tokens/s (greedy generate loop), and the process's peak RSS.

The weight cache is built first if needed (conversion time is reported when it happens).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def bandwidth(gigabytes: float = 1.0, passes: int = 8) -> dict:
    import numpy as np

    from llmcli.local.blas import blas_threads, split_matvec

    rows = int(gigabytes * 2**30 / 4 / 640)
    a = np.ones((rows, 640), dtype=np.float32)  # touch every page before timing
    x = np.ones(640, dtype=np.float32)
    best_matvec = best_blas = best_sum = float("inf")
    with blas_threads(1):
        for _ in range(passes):
            t = time.perf_counter()
            split_matvec(a, x)
            best_matvec = min(best_matvec, time.perf_counter() - t)
    for _ in range(passes):
        t = time.perf_counter()
        a @ x  # OpenBLAS's own threads
        best_blas = min(best_blas, time.perf_counter() - t)
    for _ in range(passes):
        t = time.perf_counter()
        a.sum(dtype=np.float32)
        best_sum = min(best_sum, time.perf_counter() - t)
    return {
        "bytes": a.nbytes,
        "matvec_split_gb_s": a.nbytes / best_matvec / 1e9,
        "matvec_blas_threads_gb_s": a.nbytes / best_blas / 1e9,
        "sum_one_core_gb_s": a.nbytes / best_sum / 1e9,
    }


def engine(cache_dir: Path, gguf: Path, prompt_tokens: int, decode_tokens: int) -> dict:
    import resource

    t0 = time.perf_counter()
    import numpy as np

    from llmcli.local.generate import generate
    from llmcli.local.model import LocalModel
    from llmcli.local.sampling import Sampler, SamplingParams

    model = LocalModel.load(gguf, cache_dir)
    t_loaded = time.perf_counter()
    session = model.new_session()
    session.feed([2, 818, 5279, 529, 7001, 563])  # "The capital of France is"
    t_first = time.perf_counter()

    rng = np.random.default_rng(0)
    prompt = [2, *rng.integers(1000, 100_000, prompt_tokens - 1).tolist()]
    prefill = float("inf")
    for _ in range(2):
        fresh = model.new_session()
        t = time.perf_counter()
        fresh.feed(prompt)
        prefill = min(prefill, time.perf_counter() - t)

    greedy = Sampler(SamplingParams(temperature=0))
    steps = []
    session = model.new_session()
    t = time.perf_counter()
    for _ in generate(session, [2, 818, 5279, 529, 7001, 563], greedy, decode_tokens + 1):
        steps.append(time.perf_counter() - t)
        t = time.perf_counter()
    decode = steps[1:]  # steps[0] is the prompt

    # The same read as bandwidth(), over the engine's own memory-mapped output matrix
    # (file-backed 4 KiB pages, where the 1 GB test array may get transparent huge pages).
    x = np.ones(model.config.d_model, dtype=np.float32)
    output = model.weights.output
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        output @ x
        best = min(best, time.perf_counter() - t)
    return {
        "import_load_s": t_loaded - t0,
        "cold_start_to_first_token_s": t_first - t0,
        "prompt_tokens": prompt_tokens,
        "prompt_tok_s": prompt_tokens / prefill,
        "decode_tokens": len(decode),
        "decode_tok_s": len(decode) / sum(decode),
        "decode_step_ms_median": 1000 * sorted(decode)[len(decode) // 2],
        "bytes_per_token": model.weights.nbytes,
        "output_matvec_gb_s": output.nbytes / best / 1e9,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def child(args: list[str]) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True, cwd=ROOT
    )
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument("--prompt-tokens", type=int, default=256)
    parser.add_argument("--decode-tokens", type=int, default=64)
    parser.add_argument("--part", choices=["bandwidth", "engine"], help=argparse.SUPPRESS)
    parser.add_argument("--gguf", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.part == "bandwidth":
        print(json.dumps(bandwidth()))
        return
    if args.part == "engine":
        print(json.dumps(engine(args.cache_dir, args.gguf, args.prompt_tokens, args.decode_tokens)))
        return

    from llmcli.config import Paths
    from llmcli.local.blas import cpu_count
    from llmcli.local.files import ensure_default_model
    from llmcli.local.model import LocalModel

    cache_dir = args.cache_dir or Paths.from_env().cache_dir
    gguf = ensure_default_model(cache_dir)
    t = time.perf_counter()
    converted = []
    LocalModel.load(gguf, cache_dir, progress=lambda stage, f: converted.append(stage))
    conversion_s = time.perf_counter() - t if converted else None

    load_before = os.getloadavg()
    bw = child(["--part", "bandwidth"])
    eng = child(
        [
            "--part", "engine", "--cache-dir", str(cache_dir), "--gguf", str(gguf),
            "--prompt-tokens", str(args.prompt_tokens),
            "--decode-tokens", str(args.decode_tokens),
        ]
    )  # fmt: skip
    best_bw = max(v for k, v in bw.items() if k.endswith("_gb_s"))
    bound = best_bw * 1e9 / eng["bytes_per_token"]
    result = {
        "machine": {"cores": cpu_count(), "loadavg_before": load_before,
                    "loadavg_after": os.getloadavg()},
        "conversion_s": conversion_s,
        "bandwidth": bw,
        "engine": eng,
        "decode_bound_tok_s": bound,
        "decode_fraction_of_bound": eng["decode_tok_s"] / bound,
        "decode_fraction_of_bound_median_step": 1000 / eng["decode_step_ms_median"] / bound,
    }  # fmt: skip
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
