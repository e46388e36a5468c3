"""`llmcli eval`: 500 cells against a loopback OpenAI-compatible server whose every answer takes
0.25 s (the stub waits, then streams; [DONE] arrives 0.25 s after the request), with -j 16.

The ideal schedule is ceil(500 / 16) x 0.25 s = 8.0 s; the target is the run's wall time (its
JSON `wall`: first cell submitted to last cell stored, grading and SQLite writes included)
within 1.2x of it. The end-to-end time of the command (process start-up, suite parsing, the
report) is printed beside it, and the same suite rerun from the reply cache (nothing asked).

    .venv/bin/python bench/bench_eval.py [--runs 3]

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_compare import TimedStub  # noqa: E402
from common import VENV_BIN, isolated_env  # noqa: E402

CELLS = 500
JOBS = 16
LATENCY_S = 0.25


def suite_text() -> str:
    numbers = ", ".join(str(i) for i in range(CELLS))
    return ("prompts: ['Say {{n}}']\nproviders: [openai:gpt-4o-mini]\n"
            f"tests:\n  - vars: {{n: [{numbers}]}}\n"
            "    assert: [{type: icontains, value: hello}, {type: latency, threshold: 5000}]\n")


def run(argv: list[str], env: dict[str, str]) -> tuple[float, dict]:
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, env=env)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{argv} exited {proc.returncode}: {proc.stderr.decode()[-800:]}")
    return elapsed, json.loads(proc.stdout)


def med(xs: list[float]) -> dict[str, float]:
    return {"median_s": round(statistics.median(xs), 3), "min_s": round(min(xs), 3),
            "max_s": round(max(xs), 3), "runs": len(xs)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    ideal = math.ceil(CELLS / JOBS) * LATENCY_S
    with tempfile.TemporaryDirectory() as tmp, TimedStub() as stub:
        stub.latency = LATENCY_S
        stub.reply_text = "hello there"
        home = Path(tmp)
        suite = home / "suite.yaml"
        suite.write_text(suite_text(), encoding="utf-8")
        env = isolated_env(home, OPENAI_BASE_URL=stub.url, OPENAI_API_KEY=stub.expected_key or "",
                           NO_PROXY="127.0.0.1,localhost")
        llmcli = str(VENV_BIN / "llmcli")
        fresh = [llmcli, "eval", str(suite), "-j", str(JOBS), "--no-cache", "--json"]
        cached = [llmcli, "eval", str(suite), "-j", str(JOBS), "--json"]
        walls, e2e, cache_e2e = [], [], []
        for _ in range(args.runs):
            before = len(stub.requests_for("chat"))
            elapsed, doc = run(fresh, env)
            assert len(doc["cells"]) == CELLS and doc["matrix"][0]["passed"] == CELLS, doc["matrix"]
            assert len(stub.requests_for("chat")) - before == CELLS
            walls.append(doc["wall"])
            e2e.append(elapsed)
            before = len(stub.requests_for("chat"))
            elapsed, doc = run(cached, env)
            assert len(stub.requests_for("chat")) == before  # all from the cache
            cache_e2e.append(elapsed)
    wall = statistics.median(walls)
    print(json.dumps({
        "cells": CELLS, "jobs": JOBS, "latency_s": LATENCY_S, "ideal_schedule_s": ideal,
        "eval_wall": med(walls), "ratio_wall_vs_ideal": round(wall / ideal, 3),
        "end_to_end": med(e2e), "rerun_from_cache_end_to_end": med(cache_e2e),
        "target": "<= 1.2",
        "cpu": subprocess.run(["grep", "-m1", "model name", "/proc/cpuinfo"],
                              capture_output=True, text=True).stdout.strip(),
    }, indent=2))


if __name__ == "__main__":
    main()
