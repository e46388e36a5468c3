"""Beam search decode speed on the default Gemma 3 270M (numpy engine), printed as JSON.

    .venv/bin/python bench/bench_beam.py [--rounds 3] [--tokens 24]

In one process, interleaved round by round so every variant sees the same machine:
- greedy: `generate` at temperature 0 (one Session.feed per token);
- beam=1, beam=2, beam=4: `beam_search` (one batched decode step per token for all beams);
- beam=4 sequential: the same 4 beams as 4 one-beam decode steps per token (each beam its
  own KV copy), the alternative to batching.
No stop token, so every variant decodes exactly --tokens tokens. tok/s = tokens / seconds after
the prompt (the prompt is fed outside the timed part). Medians over rounds, every round listed.

    .venv/bin/python bench/bench_beam.py --projection [--rounds 5]

times only the output projection (262,144 x 640 float32) of 4 vectors, one BLAS thread:
one matrix-vector pass (the unit), 4 passes, one plain sgemm, and 256-row blocks.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PROMPT = [2, 818, 5279, 529, 7001, 563]  # "<bos>The capital of France is"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=24)
    parser.add_argument("--projection", action="store_true")
    args = parser.parse_args()

    from llmcli.config import Paths
    from llmcli.local.beam import beam_search
    from llmcli.local.beam_step import BeamCache, decode_step
    from llmcli.local.blas import blas_threads
    from llmcli.local.files import ensure_default_model
    from llmcli.local.generate import generate
    from llmcli.local.model import LocalModel
    from llmcli.local.sampling import Sampler, SamplingParams

    cache_dir = Path(os.environ.get("LLMCLI_TEST_CACHE") or Paths.from_env().cache_dir)
    model = LocalModel.load(ensure_default_model(cache_dir), cache_dir)
    if args.projection:
        print(json.dumps(projection(model.weights.output, args.rounds), indent=2))
        return
    n = args.tokens

    def greedy() -> float:
        session = model.new_session()
        session.feed(PROMPT)
        t = time.perf_counter()
        for _ in generate(session, [], Sampler(SamplingParams(temperature=0)), n):
            pass
        return time.perf_counter() - t

    def beam(width: int):  # type: ignore[no-untyped-def]
        def run() -> float:
            session = model.new_session()
            session.feed(PROMPT)
            t = time.perf_counter()
            result = beam_search(session, [], width, n, pruned_shown=0)
            assert len(result.best.ids) == n
            return time.perf_counter() - t
        return run

    def sequential4() -> float:
        session = model.new_session()
        session.feed(PROMPT)
        caches = [BeamCache(model.config, session.cache, session.pos) for _ in range(4)]
        t = time.perf_counter()
        with blas_threads(1):
            for step in range(n - 1):
                for k, cache in enumerate(caches):
                    decode_step(model, cache, [1000 + 7 * k + step])
        return time.perf_counter() - t

    variants = {"greedy": greedy, "beam=1": beam(1), "beam=2": beam(2), "beam=4": beam(4),
                "beam=4 sequential": sequential4}
    for run in variants.values():  # warm-up: page cache, thread pools
        run()
    seconds: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, run in variants.items():
            seconds[name].append(run())
    report = {
        "cpu": _cpu(), "tokens": n, "rounds": args.rounds,
        "load_1min": os.getloadavg()[0],
        "tok_per_s": {name: round(n / statistics.median(s), 1) for name, s in seconds.items()},
        "rounds_tok_per_s": {name: [round(n / x, 1) for x in s] for name, s in seconds.items()},
    }
    greedy_rate = report["tok_per_s"]["greedy"]
    report["vs_greedy"] = {name: round(rate / greedy_rate, 2)
                           for name, rate in report["tok_per_s"].items()}
    print(json.dumps(report, indent=2))


def projection(w, rounds: int) -> dict:  # type: ignore[no-untyped-def]
    """Milliseconds (median of interleaved rounds) of w @ x for 4 vectors, several ways."""
    import numpy as np

    from llmcli.local.blas import BLOCK_ROWS, blas_threads, blocked_matmul

    x = np.random.default_rng(0).normal(size=(640, 4)).astype(np.float32)
    out = np.empty((w.shape[0], 4), np.float32)
    ways = {
        "one vector (gemv)": lambda: w @ x[:, 0],
        "4 vectors, 4 gemv": lambda: [w @ x[:, k] for k in range(4)],
        "4 vectors, one sgemm": lambda: w @ x,
        f"4 vectors, {BLOCK_ROWS}-row blocks": lambda: blocked_matmul(w, x, out),
    }
    times: dict[str, list[float]] = {k: [] for k in ways}
    with blas_threads(1):
        for run in ways.values():
            run()
        for _ in range(rounds):
            for name, run in ways.items():
                t = time.perf_counter()
                run()
                times[name].append((time.perf_counter() - t) * 1e3)
    unit = statistics.median(times["one vector (gemv)"])
    return {"cpu": _cpu(), "load_1min": os.getloadavg()[0],
            "ms": {k: round(statistics.median(v), 1) for k, v in times.items()},
            "vs_one_pass": {k: round(statistics.median(v) / unit, 2) for k, v in times.items()}}


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            return next(line.split(":", 1)[1].strip() for line in fh if "model name" in line)
    except (OSError, StopIteration):
        return "unknown"


if __name__ == "__main__":
    main()
