"""A small MCP server written with the `mcp` SDK, started by the tests: stdio by default,
streamable HTTP with `--http PORT`."""

from __future__ import annotations

import sys
import time

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

server = MCPServer("tiny")


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.tool()
def shout(text: str) -> str:
    """Upper-case the text (Portuguese and emoji survive)."""
    return text.upper() + " 📣"


@server.tool()
def fail(reason: str) -> str:
    """Always fails with the reason (an anticipated failure: its message reaches the client)."""
    raise ToolError(f"falhou: {reason}")


@server.tool()
def sleep(seconds: float) -> str:
    """Sleep, then say so (a tool that hangs, for the timeout tests)."""
    time.sleep(seconds)
    return "woke up"


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--http":
        server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
    else:
        server.run("stdio")
