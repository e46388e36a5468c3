"""Run one exchange for a command: stream it to a writer, measure it, log it, map Ctrl-C."""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmcli.core.errors import Interrupted, LlmcliError, StorageError

if TYPE_CHECKING:
    from llmcli.cli.context import AppContext
    from llmcli.core.messages import ChatRequest
    from llmcli.core.registry import ModelRef
    from llmcli.core.response import Response
    from llmcli.ui.stream import ReplyWriter


def run_exchange(
    app: AppContext,
    ref: ModelRef,
    request: ChatRequest,
    writer: ReplyWriter,
    *,
    stream: bool = True,
    log: bool = True,
    spinner: bool = True,
    conversation_id: str | None = None,
    batch_id: str | None = None,
    comparison_id: str | None = None,
    template: str | None = None,
) -> Response:
    """Drive the request; the response is logged whatever happens (complete, error, Ctrl-C)."""
    from contextlib import nullcontext

    from llmcli.chat.terminal import echo
    from llmcli.core.runner import Run
    from llmcli.ui.console import warn_line
    from llmcli.ui.status import Spinner

    env = app.env
    provider = app.registry.provider(ref)
    info = provider.model_info(ref.model)

    def on_wait(delay: float, attempt: int, err: LlmcliError) -> None:
        total = app.retry_policy.max_retries + 1
        if wait:
            wait.stop()  # the warning gets its own line, not the spinner's
        warn_line(
            env, f"{err.one_line()}; retrying in {delay:.1f} s (attempt {attempt + 1} of {total})"
        )
        if wait:
            wait.start()

    run = Run(
        provider,
        request,
        ref.provider,
        stream=stream,
        policy=app.retry_policy,
        info=info,
        on_wait=on_wait,
    )
    wait = Spinner(env, f"{ref} …") if spinner else None
    failure: BaseException | None = None
    if wait:
        wait.start()
    started = False
    # No '^C' echo on a terminal: it would land in the middle of the live Markdown region.
    quiet_tty = echo(False, env.stdin) if env.stdin_isatty else nullcontext()
    try:
        quiet_tty.__enter__()
        for piece in run:
            if not started:
                if wait:
                    wait.stop()
                writer.start()
                started = True
            writer.write(piece)
    except KeyboardInterrupt as exc:
        failure = exc
    except Exception as exc:  # a provider bug still leaves a log row behind
        failure = exc
    finally:
        quiet_tty.__exit__(None, None, None)
        if wait:
            wait.stop()
        if started:
            writer.finish(interrupted=failure is not None)
    response = run.response
    if failure is not None and not isinstance(failure, LlmcliError | KeyboardInterrupt):
        response.status = "error"
        response.error = f"internal error: {type(failure).__name__}"
    if log:
        try:
            response.log_id = app.logs.log(
                request,
                response,
                conversation_id=conversation_id,
                batch_id=batch_id,
                comparison_id=comparison_id,
                template=template,
            )
        except StorageError as exc:
            if failure is None:
                raise
            warn_line(env, f"the exchange was not logged: {exc.one_line()}")
    if isinstance(failure, KeyboardInterrupt):
        interrupted = Interrupted(
            "interrupted", hint="the partial reply was kept in the log" if log else None
        )
        interrupted.response = response
        raise interrupted
    if failure is not None:
        if isinstance(failure, LlmcliError):
            failure.response = response  # callers (chat) keep the partial reply and its log id
        raise failure
    return response
