"""The MCP servers a user added (`llmcli mcp add`), kept in `mcp.json` in the config directory:
a name and either a command to start (stdio) or a URL (streamable HTTP)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from llmcli.core.errors import InvalidInput, ToolError

FILE = "mcp.json"
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


class McpServer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    command: list[str] | None = None
    # The folder `mcp add` ran in: a stdio server starts there, so `-- python server.py`
    # works from any folder later.
    cwd: str | None = None
    url: str | None = None

    @property
    def transport(self) -> str:
        return "stdio" if self.command else "http"

    @property
    def target(self) -> str:
        return " ".join(self.command) if self.command else str(self.url)


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise InvalidInput(f"bad MCP server name '{name}'",
                           hint="use letters, digits, - and _ (at most 40)")
    return name


def load(config_dir: Path) -> dict[str, McpServer]:
    path = config_dir / FILE
    if not path.exists():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        servers = [McpServer.model_validate(s) for s in raw.get("servers", [])]
    except (OSError, ValueError, ValidationError, AttributeError) as exc:
        raise ToolError(f"{path} is not a valid MCP server list ({type(exc).__name__})",
                        hint="fix or delete it, then 'llmcli mcp add' again") from None
    return {s.name: s for s in servers}


def save(config_dir: Path, servers: dict[str, McpServer]) -> None:
    config_dir.mkdir(parents=True, exist_ok=True)
    path = config_dir / FILE
    tmp = path.with_suffix(".tmp")
    body = {"servers": [s.model_dump(exclude_none=True) for s in servers.values()]}
    tmp.write_text(json.dumps(body, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def get(config_dir: Path, name: str) -> McpServer:
    servers = load(config_dir)
    if name not in servers:
        known = ", ".join(sorted(servers)) or "none yet"
        raise ToolError(f"no MCP server named '{name}' (added: {known})",
                        hint=f"add it: llmcli mcp add {name} -- COMMAND ARGS, or "
                             f"llmcli mcp add {name} URL")
    return servers[name]
