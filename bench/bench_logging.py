"""Logging cost: what a logged exchange adds over `--no-log`.

Two views, side by side in one run:
- in process: opening the log (WAL, busy timeout, schema check) and writing one exchange,
  as every `llmcli prompt` process does once, with a fresh connection each time;
- end to end: `llmcli prompt` against the loopback OpenAI stub, logged vs --no-log,
  interleaved (process start-up noise makes this one coarse).

    .venv/bin/python bench/bench_logging.py [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import VENV_BIN, interleaved, isolated_env  # noqa: E402


def in_process(runs: int, home: Path) -> dict[str, float]:
    from llmcli.core.messages import ChatRequest, Message
    from llmcli.core.response import Response
    from llmcli.store.logs import LogStore

    req = ChatRequest(model="m", messages=[Message(role="user", content="Qual é a capital? " * 20)])
    resp = Response(text="Lisboa. " * 100, model="m", provider="p")
    db = home / "inproc.db"
    LogStore(db).log(req, resp)  # create the schema once, as the first run ever would
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        store = LogStore(db)
        store.log(req, resp)
        store.close()
        times.append(time.perf_counter() - start)
    return {"median_ms": statistics.median(times) * 1000, "max_ms": max(times) * 1000}


COLD = """
import time, sys
from llmcli.core.messages import ChatRequest, Message
from llmcli.core.response import Response
req = ChatRequest(model="m", messages=[Message(role="user", content="hi")])
resp = Response(text="hello", model="m", provider="p")
t = time.perf_counter()
from llmcli.store.logs import LogStore
s = LogStore(__import__("pathlib").Path(sys.argv[1])); s.log(req, resp); s.close()
print((time.perf_counter() - t) * 1000)
"""


def cold(runs: int, home: Path) -> dict[str, float]:
    """In a fresh process each time: importing sqlite3 and the store, opening, writing."""
    import subprocess

    times = [
        float(
            subprocess.run(
                [sys.executable, "-c", COLD, str(home / "cold.db")],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        for _ in range(runs)
    ]
    return {"median_ms": statistics.median(times), "max_ms": max(times)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    from tests.stubs.openai_stub import OpenAIStub

    with tempfile.TemporaryDirectory() as tmp, OpenAIStub() as stub:
        home = Path(tmp)
        env = isolated_env(
            home,
            OPENAI_BASE_URL=stub.url,
            OPENAI_API_KEY=stub.expected_key or "",
            NO_PROXY="127.0.0.1",
        )
        llmcli = str(VENV_BIN / "llmcli")
        base = [llmcli, "prompt", "hello", "-m", "openai:gpt-4o-mini"]
        e2e = interleaved({"logged": base, "no-log": [*base, "--no-log"]}, args.runs, env=env)
        inproc = in_process(200, home)
        cold_figures = cold(args.runs, home)
    diff_ms = (e2e["logged"]["median_s"] - e2e["no-log"]["median_s"]) * 1000
    print(
        json.dumps(
            {
                "in_process_open_and_log_one_exchange": inproc,
                "fresh_process_import_open_and_log": cold_figures,
                "end_to_end": e2e,
                "end_to_end_difference_ms": round(diff_ms, 1),
                "ratio_logged_to_no_log": round(
                    e2e["logged"]["median_s"] / e2e["no-log"]["median_s"], 3
                ),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
