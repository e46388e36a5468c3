"""A connection to one MCP server through the official `mcp` SDK (stdio or streamable HTTP),
kept open for the life of the command on a background thread with its own event loop, so the
synchronous exchange can list and call tools with a time limit.

The server's stderr goes to /dev/null (its logs would land in the middle of the reply); a
stdio server gets the SDK's default environment (PATH, HOME...), never the API keys.
"""

from __future__ import annotations

import asyncio
import os
import threading
from typing import Any

from llmcli.core.errors import ToolError
from llmcli.core.tools import ToolSpec
from llmcli.tools.mcp_config import McpServer
from llmcli.tools.toolbox import ToolFailed

CONNECT_TIMEOUT = 30.0


class McpConnection:
    """Open on `open()`, closed by `close()` (the stdio server process ends with it)."""

    def __init__(self, server: McpServer, connect_timeout: float = CONNECT_TIMEOUT):
        self.server = server
        self.connect_timeout = connect_timeout
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closing: asyncio.Event | None = None
        self._client: Any = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def open(self) -> McpConnection:
        ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main(ready)),
                                        name=f"mcp-{self.server.name}", daemon=True)
        self._thread.start()
        if not ready.wait(self.connect_timeout):
            raise ToolError(f"MCP server '{self.server.name}' did not answer within "
                            f"{self.connect_timeout:g} s ({self.server.target})",
                            hint="check that it starts: run the command (or open the URL) yourself")
        if self._error is not None:
            raise ToolError(f"MCP server '{self.server.name}' could not be reached: "
                            f"{_describe(self._error)}",
                            hint=f"check it with 'llmcli mcp tools {self.server.name}'")
        return self

    async def _main(self, ready: threading.Event) -> None:
        from mcp import Client

        self._loop = asyncio.get_running_loop()
        self._closing = asyncio.Event()
        try:
            with open(os.devnull, "w") as errlog:
                async with Client(self._transport(errlog), mode="legacy") as client:
                    self._client = client
                    ready.set()
                    await self._closing.wait()
        except BaseException as exc:
            self._error = exc
        finally:
            ready.set()

    def _transport(self, errlog: Any) -> Any:
        if self.server.url:
            return self.server.url
        from mcp.client.stdio import StdioServerParameters, stdio_client

        command = self.server.command or []
        return stdio_client(StdioServerParameters(command=command[0], args=command[1:],
                                                  cwd=self.server.cwd),
                            errlog=errlog)

    def _run(self, coro: Any, timeout: float) -> Any:
        if self._loop is None or self._client is None:
            raise ToolError(f"MCP server '{self.server.name}' is not connected")
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    def list_tools(self) -> list[Any]:
        """Every tool the server lists (all pages)."""
        async def all_pages() -> list[Any]:
            tools: list[Any] = []
            cursor = None
            for _ in range(100):  # a server that pages forever is cut off
                page = await self._client.list_tools(cursor=cursor)
                tools += page.tools
                cursor = page.next_cursor
                if not cursor:
                    break
            return tools

        try:
            return self._run(all_pages(), self.connect_timeout)
        except TimeoutError:
            raise ToolError(f"MCP server '{self.server.name}' did not list its tools within "
                            f"{self.connect_timeout:g} s") from None
        except Exception as exc:
            raise ToolError(f"MCP server '{self.server.name}' failed to list its tools: "
                            f"{_describe(exc)}") from None

    def call(self, name: str, arguments: dict[str, Any], timeout: float) -> str:
        """The tool's text result; `ToolFailed` when the server says the call failed."""
        try:
            result = self._run(self._client.call_tool(name, arguments), timeout)
        except TimeoutError:
            raise ToolFailed(f"timed out after {timeout:g} s") from None
        text = result_text(result)
        if result.is_error:
            raise ToolFailed(text or "the tool reported an error")
        return text

    def close(self) -> None:
        if self._loop is not None and self._closing is not None:
            try:
                self._loop.call_soon_threadsafe(self._closing.set)
            except RuntimeError:  # the loop already ended
                pass
        if self._thread is not None:
            self._thread.join(5.0)
            self._thread = None


def result_text(result: Any) -> str:
    """The text blocks of a result; structured content when there is no text."""
    import json

    parts = []
    for block in result.content or []:
        kind = getattr(block, "type", "")
        if kind == "text":
            parts.append(block.text)
        else:
            parts.append(f"[{kind} content]")
    if not parts and getattr(result, "structured_content", None) is not None:
        parts.append(json.dumps(result.structured_content, ensure_ascii=False))
    return "\n".join(parts)


def _describe(exc: BaseException) -> str:
    """The innermost message of an exception group (anyio wraps transport failures)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return f"{type(exc).__name__}: {exc}"


class McpTool:
    """One tool of a connected server, as a toolbox tool."""

    def __init__(self, connection: McpConnection, tool: Any, timeout: float):
        self.connection = connection
        self.remote_name = tool.name
        self.name = tool.name
        self.timeout = timeout
        schema = dict(tool.input_schema or {}) or {"type": "object", "properties": {}}
        schema.setdefault("properties", {})
        self.spec = ToolSpec(name=self.name, description=tool.description or "",
                             parameters=schema)

    def invoke(self, arguments: dict[str, Any]) -> str:
        return self.connection.call(self.remote_name, arguments, self.timeout)
