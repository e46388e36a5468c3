"""`llmcli compare`: concurrency against a loopback OpenAI-compatible server whose every
answer takes 1.0 s (the stub waits, then streams; [DONE] arrives 1.0 s after the request).

1. Three models at once: `llmcli compare -m A -m B -m C` vs the slowest single
   `llmcli prompt` (target: within 1.15x), and vs asking the three in sequence (what the
   anchor tools do: about 3x). End to end, process start-up included in every figure.
2. Twelve cells (4 prompts x 3 models) with --concurrency 2 per provider: the comparison's
   wall time (its JSON `wall`: first request to last cell done) vs the schedule's lower bound
   ceil(cells per provider / 2) x 1.0 s (target: within 1.2x). Two layouts: three providers
   (named endpoints a, b, c on the same server; bound 2 s) and one provider (bound 6 s).
   The end-to-end wall and the fixed cost (the same command against an instant server) are
   printed beside it.

    .venv/bin/python bench/bench_compare.py [--runs 5]

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

from common import VENV_BIN, isolated_env  # noqa: E402

from tests.stubs.base import SSE  # noqa: E402
from tests.stubs.openai_stub import OpenAIStub  # noqa: E402

ANSWER_S = 1.0
STEP_S = 0.05  # between SSE events: role, two text pieces, finish, usage, [DONE]
MODELS = ["model-a", "model-b", "model-c"]


class TimedStub(OpenAIStub):
    """Every streamed answer ends ([DONE]) `latency` seconds after the request arrived."""

    latency = ANSWER_S

    def default(self, route, req):
        reply = super().default(route, req)
        if route == "chat" and isinstance(reply, SSE) and self.latency > 0:
            gaps = len(reply.events) - 1
            reply.chunk_delay = STEP_S
            reply.delay = max(0.0, self.latency - gaps * STEP_S)
        return reply


def flags(flag: str, values: list[str]) -> list[str]:
    """['-m', 'a', '-m', 'b'] from ('-m', ['a', 'b'])."""
    return [x for v in values for x in (flag, v)]


def run(argv: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, env=env)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{argv} exited {proc.returncode}: {proc.stderr.decode()[-800:]}")
    return elapsed, proc.stdout.decode()


def med(xs: list[float]) -> dict[str, float]:
    return {"median_s": round(statistics.median(xs), 3), "min_s": round(min(xs), 3),
            "max_s": round(max(xs), 3), "runs": len(xs)}


def three_models(stub: TimedStub, env: dict[str, str], runs: int) -> dict:
    llmcli = str(VENV_BIN / "llmcli")
    single = {m: [llmcli, "prompt", "hi", "-m", f"openai:{m}"] for m in MODELS}
    compare = [llmcli, "compare", "hi", *flags("-m", [f"openai:{m}" for m in MODELS]), "--json"]
    sequence = ["/bin/sh", "-c", " && ".join(" ".join(c) for c in single.values()) + " >/dev/null"]
    times: dict[str, list[float]] = {"compare": [], "sequence": [], **{m: [] for m in MODELS}}
    walls: list[float] = []
    run(compare, env)  # warm-up: page cache, .pyc
    for _ in range(runs):
        for m, argv in single.items():
            times[m].append(run(argv, env)[0])
        elapsed, out = run(compare, env)
        times["compare"].append(elapsed)
        walls.append(json.loads(out)["wall"])
        times["sequence"].append(run(sequence, env)[0])
    slowest = max(statistics.median(times[m]) for m in MODELS)
    comp = statistics.median(times["compare"])
    seq = statistics.median(times["sequence"])
    return {
        "answer_s": ANSWER_S,
        "single_prompt": {m: med(times[m]) for m in MODELS},
        "compare_3_models": med(times["compare"]),
        "compare_in_process_wall": med(walls),
        "sequence_of_3_prompts": med(times["sequence"]),
        "ratio_compare_vs_slowest_single": round(comp / slowest, 3),
        "ratio_sequence_vs_slowest_single": round(seq / slowest, 3),
        "target": "<= 1.15",
    }


def twelve_cells(stub: TimedStub, env: dict[str, str], runs: int, layout: str) -> dict:
    llmcli = str(VENV_BIN / "llmcli")
    if layout == "three providers":
        models = [f"{name}:{m}" for name, m in zip("abc", MODELS, strict=True)]
    else:
        models = [f"openai:{m}" for m in MODELS]
    prompts = flags("-p", [f"question {i}" for i in range(1, 5)])
    argv = [llmcli, "compare", *prompts, *flags("-m", models),
            "--concurrency", "2", "--json"]
    per_provider = 4 if layout == "three providers" else 12
    bound = math.ceil(per_provider / 2) * ANSWER_S
    walls, e2e, fixed = [], [], []
    run(argv, env)
    for _ in range(runs):
        stub.latency = ANSWER_S
        elapsed, out = run(argv, env)
        doc = json.loads(out)
        assert doc["grid"]["cells"] == 12 and all(c["status"] == "complete" for c in doc["cells"])
        walls.append(doc["wall"])
        e2e.append(elapsed)
        stub.latency = 0.0
        fixed.append(run(argv, env)[0])
    stub.latency = ANSWER_S
    wall = statistics.median(walls)
    return {
        "layout": layout,
        "cells": 12,
        "concurrency_per_provider": 2,
        "lower_bound_s": bound,
        "comparison_wall": med(walls),
        "ratio_wall_vs_bound": round(wall / bound, 3),
        "end_to_end": med(e2e),
        "end_to_end_instant_server": med(fixed),
        "ratio_end_to_end_minus_fixed_vs_bound": round(
            (statistics.median(e2e) - statistics.median(fixed)) / bound, 3),
        "target": "<= 1.2",
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, TimedStub() as stub:
        stub.models += MODELS
        home = Path(tmp)
        (home / "config").mkdir(parents=True)
        endpoints = "".join(
            f'[endpoints.{name}]\nbase_url = "{stub.url}"\napi_key_env = "OPENAI_API_KEY"\n\n'
            for name in "abc")
        (home / "config" / "config.toml").write_text(endpoints, encoding="utf-8")
        env = isolated_env(home, OPENAI_BASE_URL=stub.url, OPENAI_API_KEY=stub.expected_key or "",
                           NO_PROXY="127.0.0.1,localhost")
        result = {
            "three_models": three_models(stub, env, args.runs),
            "twelve_cells": [twelve_cells(stub, env, args.runs, layout)
                             for layout in ("three providers", "one provider")],
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
