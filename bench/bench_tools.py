"""Tools (#18): what a tool round trip costs against the loopback OpenAI stub, and what an MCP
tool call costs over stdio and streamable HTTP (a real server written with the `mcp` SDK).

End to end (interleaved, one process per run, --no-log):
  plain       prompt, no tools
  declared    prompt -T calculate, the model answers without calling
  one_call    prompt -T calculate, one call then the answer (two requests)
  mcp_stdio   prompt -T mcp:tiny/add, one call (the server process is started each time)
In process: the same three prompts through the real CLI without interpreter start-up
(--inproc rounds), and one MCP `tools/call` on an open connection, stdio and HTTP (--calls).

    .venv/bin/python bench/bench_tools.py --runs 10 --calls 200
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import VENV_BIN, interleaved, isolated_env

SERVER = Path(__file__).resolve().parent.parent / "tests" / "tools" / "servers" / "tiny_mcp.py"


def calling_stub(stub):
    """Every fresh request that offers tools gets one call; the follow-up gets the answer."""
    from tests.stubs.tool_calls import dumps, openai_calls

    base = type(stub).default
    add = openai_calls(stub, [("c1", "add", dumps({"a": 2, "b": 3}))])
    calc = openai_calls(stub, [("c1", "calculate", dumps({"expression": "2+3"}))])

    def default(route, req):
        body = req.body if isinstance(req.body, dict) else {}
        msgs = body.get("messages", [])
        if route == "chat" and body.get("tools") and msgs and msgs[-1]["role"] == "user" \
                and "call" in msgs[-1]["content"]:
            names = [t["function"]["name"] for t in body["tools"]]
            return (add if "add" in names else calc)(req)
        return base(stub, route, req)

    stub.default = default


def in_process(n: int, env: dict[str, str]) -> dict[str, dict[str, float]]:
    """The real CLI in this process (no interpreter start-up), interleaved: a plain exchange,
    the same with a tool declared, and one tool round trip (two requests and the call)."""
    import os

    from tests.conftest import run_in_process

    os.environ.update(env)
    m = ["-m", "openai:gpt-4o-mini", "--no-log"]
    cases = {"plain": ["prompt", "hello", *m],
             "declared": ["prompt", "hello", *m, "-T", "calculate"],
             "one_call": ["prompt", "please call", *m, "-T", "calculate"]}
    times: dict[str, list[float]] = {k: [] for k in cases}
    for args in cases.values():  # warm: SDK imported, client built
        assert run_in_process(args).exit_code == 0
    for _ in range(n):
        for name, args in cases.items():
            t = time.perf_counter()
            r = run_in_process(args)
            times[name].append(time.perf_counter() - t)
            assert r.exit_code == 0, r.stderr
    plain = statistics.median(times["plain"])
    return {k: {"median_ms": round(statistics.median(v) * 1e3, 2),
                "ratio_to_plain": round(statistics.median(v) / plain, 3)}
            for k, v in times.items()}


def mcp_calls(url_or_command: str | list[str], n: int) -> dict[str, float]:
    from llmcli.tools.mcp_client import McpConnection
    from llmcli.tools.mcp_config import McpServer

    server = (McpServer(name="b", url=url_or_command) if isinstance(url_or_command, str)
              else McpServer(name="b", command=url_or_command))
    t0 = time.perf_counter()
    conn = McpConnection(server).open()
    connect = time.perf_counter() - t0
    try:
        conn.call("add", {"a": 1, "b": 2}, 30)  # warm
        times = []
        for i in range(n):
            t = time.perf_counter()
            assert conn.call("add", {"a": i, "b": 1}, 30) == str(i + 1)
            times.append(time.perf_counter() - t)
    finally:
        conn.close()
    return {"connect_s": round(connect, 3),
            "call_median_ms": round(statistics.median(times) * 1e3, 2),
            "call_p90_ms": round(sorted(times)[int(0.9 * len(times))] * 1e3, 2), "calls": n}


def http_server() -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, str(SERVER), "--http", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    return proc, f"http://127.0.0.1:{port}/mcp"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--inproc", type=int, default=30)
    args = ap.parse_args()
    from tests.stubs.openai_stub import OpenAIStub

    with tempfile.TemporaryDirectory() as tmp, OpenAIStub() as stub:
        calling_stub(stub)
        home = Path(tmp)
        env = isolated_env(home, OPENAI_BASE_URL=stub.url,
                           OPENAI_API_KEY=stub.expected_key or "", NO_PROXY="127.0.0.1")
        llmcli = str(VENV_BIN / "llmcli")
        subprocess.run([llmcli, "mcp", "add", "tiny", "--", sys.executable, str(SERVER)],
                       env=env, check=True, capture_output=True)
        inproc = in_process(args.inproc, env)
        m = ["-m", "openai:gpt-4o-mini", "--no-log"]
        e2e = interleaved({
            "plain": [llmcli, "prompt", "hello", *m],
            "declared": [llmcli, "prompt", "hello", *m, "-T", "calculate"],
            "one_call": [llmcli, "prompt", "please call", *m, "-T", "calculate"],
            "mcp_stdio": [llmcli, "prompt", "please call", *m, "-T", "mcp:tiny/add"],
        }, args.runs, env=env)
    stdio = mcp_calls([sys.executable, str(SERVER)], args.calls)
    proc, url = http_server()
    try:
        http = mcp_calls(url, args.calls)
    finally:
        proc.terminate()
        proc.wait(10)
    plain = e2e["plain"]["median_s"]
    print(json.dumps({
        "in_process": inproc,
        "end_to_end": e2e,
        "ratio_to_plain": {k: round(v["median_s"] / plain, 3) for k, v in e2e.items()},
        "added_ms_over_plain": {k: round((v["median_s"] - plain) * 1e3, 1)
                                for k, v in e2e.items()},
        "mcp_stdio_in_process": stdio,
        "mcp_http_in_process": http,
    }, indent=2))


if __name__ == "__main__":
    main()
