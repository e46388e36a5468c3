"""The tool flags of prompt, chat and compare, defined once: -T/--tool, --functions,
--chain-limit, --tools-approve, --tools-debug, --tools-timeout; and the tool set they build."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from llmcli.app_context import AppContext
    from llmcli.exchange.tool_loop import ToolSession
    from llmcli.tools.resolve import ToolSet


def tool_option() -> Any:
    return typer.Option(None, "-T", "--tool", help="A tool the model may call (repeatable): "
                        "now, calculate, mcp:SERVER or mcp:SERVER/TOOL.")


def functions_option() -> Any:
    return typer.Option(None, "--functions", help="A Python file whose public functions become "
                        "tools (type hints and docstrings are the schema). Repeatable.")


def chain_limit_option() -> Any:
    return typer.Option(5, "--chain-limit", min=1, max=100,
                        help="Most tool round trips in one exchange.")


def approve_option() -> Any:
    return typer.Option(False, "--tools-approve", help="Ask on the terminal before each call.")


def debug_option() -> Any:
    return typer.Option(False, "--tools-debug", help="Show each call's full arguments and result.")


def timeout_option() -> Any:
    return typer.Option(30.0, "--tools-timeout", min=0.001, max=3600,
                        help="Seconds a tool may run; then the model is told it timed out.")


@dataclass
class ToolArgs:
    tools: list[str] | None = None
    functions: list[Path] | None = None
    chain_limit: int = 5
    approve: bool = False
    debug: bool = False
    timeout: float = 30.0

    @property
    def wanted(self) -> bool:
        return bool(self.tools or self.functions)


def open_tools(app: AppContext, args: ToolArgs) -> ToolSet | None:
    """The tool set the flags name (MCP servers connected), or None without tool flags."""
    if not args.wanted:
        return None
    from llmcli.tools.resolve import resolve_tools

    return resolve_tools(args.tools or [], args.functions or [], app.env.paths.config_dir,
                         args.timeout)


def session(app: AppContext, args: ToolArgs, tool_set: ToolSet) -> ToolSession:
    """The exchange's tool session, with the terminal's hooks (dim lines, approval)."""
    from llmcli.exchange.tool_loop import ToolSession
    from llmcli.ui.tool_display import TerminalToolHooks, open_tty

    tty = None
    if args.approve and not app.env.stdin_isatty:
        tty = open_tty()
        if tty is None:
            from llmcli.core.errors import ToolError

            raise ToolError("--tools-approve needs a terminal to ask on",
                            hint="run it in a terminal, or leave --tools-approve out")
    hooks = TerminalToolHooks(app.env, debug=args.debug, approve=args.approve, tty=tty)
    return ToolSession(tool_set.toolbox, hooks, args.chain_limit)
