"""Benchmark of the numpy engine on the default Gemma 3 270M, printed as JSON.

    .venv/bin/python bench/bench_local_numpy.py [--rounds 5] [--decode-tokens 32]

Everything runs in one child process, side by side:

1. cold start: import, load from the weight cache (built first if missing, its time reported),
   first token of a 6-token prompt; prompt tokens/s (a 256-token prefill, best of 2);
   peak RSS of that "chat turn" (taken before the bandwidth array below is allocated).
2. rounds, interleaved so that both sides see the same machine (a shared VM's memory
   bandwidth drifts by 2x from minute to minute):
   - read bandwidth: best of 3 passes over a 1 GB float32 matrix, as a matrix-vector
     product (the operation decoding is made of) with OpenBLAS's threads and split across the
     cores by us; np.sum on one core is reported for reference;
   - decode tokens/s: a greedy generate loop of --decode-tokens tokens;
   - the decode bound = bandwidth / bytes read per token (every weight once, float32), and
     the fraction of it reached.
   Medians over rounds are reported with every round's figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROMPT = [2, 818, 5279, 529, 7001, 563]  # "<bos>The capital of France is"


def read_bandwidth(a, x, passes: int = 3) -> float:  # type: ignore[no-untyped-def]
    """GB/s of the fastest matrix-vector pass over `a`, by OpenBLAS threads or our split."""
    from llmcli.local.blas import blas_threads, split_matvec

    best = float("inf")
    for _ in range(passes):
        t = time.perf_counter()
        a @ x
        best = min(best, time.perf_counter() - t)
        with blas_threads(1):
            t = time.perf_counter()
            split_matvec(a, x)
            best = min(best, time.perf_counter() - t)
    return a.nbytes / best / 1e9


def run(cache_dir: Path, gguf: Path, prompt_tokens: int, decode_tokens: int, rounds: int) -> dict:
    import resource

    t0 = time.perf_counter()
    import numpy as np

    from llmcli.local.generate import generate
    from llmcli.local.model import LocalModel
    from llmcli.local.sampling import Sampler, SamplingParams

    model = LocalModel.load(gguf, cache_dir)
    t_loaded = time.perf_counter()
    model.new_session().feed(PROMPT)
    t_first = time.perf_counter()

    rng = np.random.default_rng(0)
    prompt = [2, *rng.integers(1000, 100_000, prompt_tokens - 1).tolist()]
    prefill = float("inf")
    for _ in range(2):
        session = model.new_session()
        t = time.perf_counter()
        session.feed(prompt)
        prefill = min(prefill, time.perf_counter() - t)

    def decode() -> tuple[float, float]:
        steps = []
        t = time.perf_counter()
        greedy = Sampler(SamplingParams(temperature=0))
        for _ in generate(model.new_session(), PROMPT, greedy, decode_tokens + 1):
            steps.append(time.perf_counter() - t)
            t = time.perf_counter()
        steps = steps[1:]  # steps[0] is the prompt
        return len(steps) / sum(steps), 1000 * statistics.median(steps)

    decode()  # warm-up, and the thread policy settles
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    a = np.ones((int(2**30 / 4 / 640), 640), dtype=np.float32)  # 1 GiB, pages touched
    x = np.ones(640, dtype=np.float32)
    t = time.perf_counter()
    a.sum(dtype=np.float32)
    sum_gb_s = a.nbytes / (time.perf_counter() - t) / 1e9
    per_token = model.weights.nbytes
    table = []
    for _ in range(rounds):
        gb_s = read_bandwidth(a, x)
        tok_s, step_ms = decode()
        bound = gb_s * 1e9 / per_token
        table.append(
            {"bandwidth_gb_s": gb_s, "decode_tok_s": tok_s, "decode_step_ms_median": step_ms,
             "bound_tok_s": bound, "fraction_of_bound": tok_s / bound}
        )  # fmt: skip

    def median(key: str) -> float:
        return statistics.median(r[key] for r in table)

    return {
        "import_load_s": t_loaded - t0,
        "cold_start_to_first_token_s": t_first - t0,
        "prompt_tokens": prompt_tokens,
        "prompt_tok_s": prompt_tokens / prefill,
        "peak_rss_mb": peak_rss_mb,
        "bytes_per_token": per_token,
        "sum_one_core_gb_s": sum_gb_s,
        "decode_tokens_per_round": decode_tokens,
        "median": {key: median(key) for key in table[0]},
        "rounds": table,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument("--prompt-tokens", type=int, default=256)
    parser.add_argument("--decode-tokens", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--gguf", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        result = run(args.cache_dir, args.gguf, args.prompt_tokens, args.decode_tokens, args.rounds)
        print(json.dumps(result))
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
    out = subprocess.run(
        [sys.executable, __file__, "--child", "--cache-dir", str(cache_dir), "--gguf", str(gguf),
         "--prompt-tokens", str(args.prompt_tokens), "--decode-tokens", str(args.decode_tokens),
         "--rounds", str(args.rounds)],
        check=True, capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    result = {
        "machine": {"cores": cpu_count(), "loadavg_before": load_before,
                    "loadavg_after": os.getloadavg()},
        "conversion_s": conversion_s,
        "engine": json.loads(out.stdout),
    }  # fmt: skip
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
