"""`llmcli learn` benchmarks, side by side in one run:

1. End to end: `llmcli learn SENTENCE --html FILE` and `llmcli learn SENTENCE --json` as
   processes (start-up, model load from the converted cache, one traced pass, every step, the
   page), median of --runs; the HTML page's size.
2. Library split (model already loaded): the detail trace beside the plain trace (what keeping
   every intermediate costs), building the 13 steps, building the page.
3. With --against OTHER/llmcli/local/forward.py (e.g. main's checkout): one decode step through
   the 18 blocks with that file's forward() and with this one's, interleaved rounds, to show
   that the trace hooks cost generation nothing measurable.

    .venv/bin/python bench/bench_learn.py [--runs 3] [--text "O gato subiu no telhado"]
        [--against /path/to/other/llmcli/local/forward.py]

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import shared_cache_dir  # noqa: E402


def timed(fn, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def decode_side_by_side(model, ids: list[int], other: Path, rounds: int) -> dict:
    """Median ms of one decode step (blocks only) per round: the other forward.py, this one."""
    import importlib.util

    import numpy as np

    from llmcli.local import forward as this
    from llmcli.local.blas import blas_threads

    spec = importlib.util.spec_from_file_location("other_forward", other)
    assert spec and spec.loader
    that = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(that)
    prompt = np.asarray(ids)

    def decode(fw, steps: int = 24) -> float:
        cache = fw.KVCache(model.config, 64)
        fw.forward(model.weights, model.config, prompt, 0, cache)
        times = []
        for i in range(steps):
            start = time.perf_counter()
            fw.forward(model.weights, model.config, prompt[-1:], prompt.size + i, cache)
            times.append(time.perf_counter() - start)
        return statistics.median(times) * 1000

    result: dict[str, list[float]] = {"other": [], "this": []}
    with blas_threads(1):
        for _ in range(rounds):
            result["other"].append(round(decode(that), 2))
            result["this"].append(round(decode(this), 2))
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--text", default="O gato subiu no telhado")
    parser.add_argument("--against", type=Path, default=None)
    args = parser.parse_args()
    import os

    env = dict(os.environ, LLMCLI_CACHE_DIR=str(shared_cache_dir()))
    out: dict[str, object] = {"text": args.text, "runs": args.runs}
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "tour.html"

        def cli(*extra: str) -> None:
            subprocess.run([sys.executable, "-m", "llmcli", "learn", args.text, *extra],
                           env=env, check=True, capture_output=True)

        cli("--json")  # warm the page cache of the weights once
        out["cli_html_s"], _ = timed(lambda: cli("--html", str(page)), args.runs)
        out["cli_json_s"], _ = timed(lambda: cli("--json"), args.runs)
        out["html_bytes"] = page.stat().st_size

    from llmcli.learn.page_data import page_data
    from llmcli.learn.tour import build_tour
    from llmcli.local.files import ensure_default_model
    from llmcli.local.model import LocalModel
    from llmcli.local.tokenizer import Tokenizer
    from llmcli.local.trace import trace
    from llmcli.ui.learn_html import tour_html
    from tests.learn.conftest import make_run

    cache = shared_cache_dir()
    start = time.perf_counter()
    model = LocalModel.load(ensure_default_model(cache), cache)
    tok = Tokenizer.from_metadata(model.metadata)
    out["load_s"] = time.perf_counter() - start
    ids = tok.encode(args.text, add_bos=True)
    out["tokens"] = len(ids)
    out["trace_plain_s"], _ = timed(lambda: trace(model, ids), args.runs)
    out["trace_detail_s"], _ = timed(lambda: trace(model, ids, detail=True), args.runs)
    runs = []
    out["start_run_s"], _ = timed(lambda: runs.append(make_run((model, tok), args.text)),
                                  args.runs)
    out["build_steps_s"], steps = timed(lambda: build_tour(make_run((model, tok), args.text)),
                                        args.runs)
    run = runs[-1]
    meta = {"model": "local", "text": args.text, "layer": 0, "head": 0, "piece": run.pieces[-1]}
    out["page_s"], html = timed(lambda: tour_html(steps, page_data(run), meta, "pt"), args.runs)
    out["page_bytes"] = len(html.encode("utf-8"))
    if args.against:
        out["decode_step_ms"] = decode_side_by_side(model, ids, args.against, args.runs)
    lines = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in lines
                if line.startswith("model name")), "?")
    out["cpu"] = cpu
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in out.items()},
                     indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
