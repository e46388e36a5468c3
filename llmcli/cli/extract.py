"""`prompt -x/--extract` and `--extract-last`: only a fenced code block of the reply goes to
stdout, as is (no Markdown rendering), for `llmcli prompt -x "..." | sh`. The reply is
fetched whole first, so nothing reaches the pipe unless a block was found."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llmcli.app_context import AppContext
    from llmcli.core.messages import ChatRequest
    from llmcli.core.registry import ModelRef


def run_extract(app_ctx: AppContext, ref: ModelRef, request: ChatRequest, *, last: bool,
                as_json: bool, log: bool) -> None:
    """Send, then print the first (or last) code block. No block: the reply goes to stderr
    and the command fails with SchemaMismatch (exit 15): the reply is not in the shape asked."""
    from llmcli.core.codeblocks import code_blocks
    from llmcli.core.errors import InvalidInput, SchemaMismatch
    from llmcli.exchange.interactive import run_exchange
    from llmcli.ui.exchange_display import TerminalDisplay
    from llmcli.ui.stream import NullWriter

    if as_json:
        raise InvalidInput("-x/--extract does not combine with --json",
                           hint="use --json and read the text field, or drop --json")
    env = app_ctx.env
    response = run_exchange(app_ctx, ref, request, NullWriter(), TerminalDisplay(env, str(ref)),
                            stream=False, log=log)
    blocks = code_blocks(response.text)
    if not blocks:
        reply = response.text
        env.stderr.write(reply + ("" if reply.endswith("\n") else "\n"))
        raise SchemaMismatch("the reply has no fenced code block to extract",
                             hint="ask for the answer in a ``` block, or drop -x")
    env.stdout.write(blocks[-1] if last else blocks[0])
    env.stdout.flush()
