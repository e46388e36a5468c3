"""A real MCP server (tests/tools/servers/tiny_mcp.py, written with the `mcp` SDK), added to
the isolated home over stdio or started on a loopback port for streamable HTTP."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

SERVER = Path(__file__).parent / "servers" / "tiny_mcp.py"


@pytest.fixture
def mcp_stdio(cli) -> str:
    r = cli("mcp", "add", "tiny", "--", sys.executable, str(SERVER))
    assert r.exit_code == 0, r.stderr
    return "tiny"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def mcp_http_url() -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, str(SERVER), "--http", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60  # a timeout that catches a server that never starts
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("the MCP HTTP server did not start")
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        proc.wait(10)
