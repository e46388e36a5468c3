"""Response cache (`--cache`): a hit answered from the log vs the same request sent to the
loopback OpenAI stub (which answers at once: the saving shown is the least a real provider
would give).

Side by side in one run, interleaved:
- end to end: `llmcli prompt hi -m openai:gpt-4o-mini --cache` (a hit) vs the same without
  --cache (a stub call through the openai SDK), each a fresh process, both logging;
- in process: `exchange.cache.lookup` on a log of --rows exchanges vs `exchange.drive.drive`
  of the same request through the warm SDK client to the stub.
The stub counts its requests: the hits must add none.

    .venv/bin/python bench/bench_cache.py [--runs 15] [--rows 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import VENV_BIN, interleaved, isolated_env  # noqa: E402


def fill(logs, rows: int) -> None:
    """`rows` other exchanges in the log, so the lookup searches a used log, not an empty one."""
    from llmcli.core.messages import ChatRequest, Message
    from llmcli.core.response import Response
    from llmcli.exchange.record import log_exchange

    for i in range(rows):
        req = ChatRequest(model="gpt-4o-mini",
                          messages=[Message(role="user", content=f"pergunta {i} " * 20)])
        log_exchange(logs, req, Response(text="resposta " * 50, model="gpt-4o-mini",
                                         provider="openai"))


def in_process(runs: int, rows: int, home: Path, stub) -> dict:
    from llmcli.core.messages import ChatRequest, Message
    from llmcli.core.provider import ProviderSettings
    from llmcli.core.registry import provider_class
    from llmcli.exchange.cache import lookup
    from llmcli.exchange.drive import drive
    from llmcli.exchange.record import log_exchange
    from llmcli.store.logs import LogStore

    logs = LogStore(home / "inproc.db")
    fill(logs, rows)
    provider = provider_class("openai")(ProviderSettings(
        name="openai", api_key=stub.expected_key, base_url=stub.url))
    req = ChatRequest(model="gpt-4o-mini", messages=[Message(role="user", content="hi")])
    log_exchange(logs, req, drive(provider, req, "openai").response)  # the entry, warm client
    hit_t, call_t = [], []
    before = len(stub.requests_for("chat"))
    for _ in range(runs):
        t = time.perf_counter()
        drive(provider, req, "openai")
        call_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        assert lookup(logs, "openai", req) is not None
        hit_t.append(time.perf_counter() - t)
    assert len(stub.requests_for("chat")) == before + runs  # only the calls reached the stub
    hit, call = statistics.median(hit_t), statistics.median(call_t)
    return {"rows_in_log": rows + 1, "hit_median_ms": hit * 1000, "call_median_ms": call * 1000,
            "hit_over_call": hit / call}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--rows", type=int, default=10_000)
    args = ap.parse_args()
    from tests.stubs.openai_stub import OpenAIStub

    with tempfile.TemporaryDirectory() as tmp, OpenAIStub() as stub:
        home = Path(tmp)
        env = isolated_env(home, OPENAI_BASE_URL=stub.url, OPENAI_API_KEY=stub.expected_key,
                           NO_PROXY="127.0.0.1,localhost")
        llmcli = str(VENV_BIN / "llmcli")
        base = [llmcli, "prompt", "hi", "-m", "openai:gpt-4o-mini"]
        import subprocess

        subprocess.run([*base, "--cache"], env=env, check=True, capture_output=True)
        calls_before = len(stub.requests_for("chat"))
        e2e = interleaved({"cache hit": [*base, "--cache"], "stub call": base}, args.runs, env)
        calls = len(stub.requests_for("chat")) - calls_before
        e2e["ratio_hit_over_call"] = e2e["cache hit"]["median_s"] / e2e["stub call"]["median_s"]
        e2e["stub_requests"] = {"stub call runs (incl. warm-up)": args.runs + 1,
                                "requests seen": calls}
        result = {
            "cpu": _cpu(),
            "load": os.getloadavg()[0],
            "end_to_end": e2e,
            "in_process": in_process(args.runs, args.rows, home, stub),
        }
    print(json.dumps(result, indent=2))


def _cpu() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "?"


if __name__ == "__main__":
    main()
