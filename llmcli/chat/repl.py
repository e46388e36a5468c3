"""The chat loops: a prompt_toolkit REPL in a terminal, and a line loop for piped stdin.

Terminal: line editing, history kept across runs, bracketed paste (a paste arrives whole),
multi-line mode (F2 or /multi; Esc Enter sends), $EDITOR (Ctrl-X Ctrl-E or /edit), tab
completion, and a status line. Ctrl-C stops a reply; at an empty prompt it leaves, as Ctrl-D.

Piped: each line is a message (or a slash command); only replies reach stdout.
"""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING, Any

from llmcli.chat import commands
from llmcli.chat.commands import CommandContext, Result
from llmcli.core.errors import InvalidInput
from llmcli.environment import terminated_by
from llmcli.ui.terminal import echo

if TYPE_CHECKING:
    from llmcli.chat.session import ChatSession
    from llmcli.chat.turns import SendOutcome
    from llmcli.environment import Environment
    from llmcli.exchange.interactive import Display
    from llmcli.ui.chat_view import ChatView
    from llmcli.ui.stream import ReplyWriter


class ChatFrontend:
    """The session's view of the user: output through the ChatView, questions through `ask`."""

    def __init__(self, view: ChatView, *, spinner: bool, ask=None):
        self.view = view
        self.spinner = spinner
        self._ask = ask

    def reply_writer(self) -> ReplyWriter:
        return self.view.reply_writer()

    def reasoning_hooks(self, writer: ReplyWriter) -> tuple[ReplyWriter, Any]:
        """The reply writer below the reasoning, and where reasoning pieces go (dim)."""
        return self.view.reasoning_hooks(writer)

    def display(self, label: str) -> Display:
        from llmcli.ui.exchange_display import TerminalDisplay

        return TerminalDisplay(self.view.env, label, spinner=self.spinner)

    def note(self, text: str) -> None:
        self.view.note(text)

    def warn(self, text: str) -> None:
        self.view.warn(text)

    def error(self, text: str) -> None:
        self.view.error(text)

    def interrupted(self) -> None:
        self.view.interrupted()

    def confirm(self, question: str) -> bool:
        if self._ask is None:  # piped: nobody to ask; dropping old turns is what would be done
            self.view.warn(question.replace("Drop", "Dropping").rstrip("?") + " (piped input)")
            return True
        return self._ask(question)


def _exit_code(outcome: SendOutcome | None) -> int:
    if outcome is None or outcome.error is None:
        return 0
    return outcome.error.exit_code


def _shown(outcome: SendOutcome) -> bool:
    """Whether any of the reply reached stdout (a stream broken mid-reply keeps its text)."""
    response = getattr(outcome.error, "response", None)
    return bool(response is not None and response.text)


# -- piped ------------------------------------------------------------------------------------


def run_piped(session: ChatSession, view: ChatView, env: Environment) -> int:
    """Answer each stdin line in turn. Exit code: 0, or that of the first failed line."""
    from llmcli.core.text import decode_utf8

    ui = ChatFrontend(view, spinner=False)
    ctx = CommandContext(session, ui)
    code = 0
    for lineno, raw in enumerate(env.stdin, start=1):
        try:
            line = decode_utf8(raw, f"stdin line {lineno}").rstrip("\r\n")
        except InvalidInput as exc:
            ui.error(exc.one_line())
            code = code or exc.exit_code
            continue
        if not line.strip():
            continue
        if commands.is_command(line):
            result = commands.dispatch(line, ctx)
            if result.exit:
                break
            code = code or _exit_code(result.outcome)
            if result.send is None:
                continue
            line = result.send
        outcome = session.send(commands.unescape(line), ui)
        if outcome.status == "interrupted":
            return 130
        if outcome.status in ("error", "not_sent") and not _shown(outcome):
            view.no_reply()
        code = code or _exit_code(outcome)
    return code


# -- terminal ---------------------------------------------------------------------------------


RESUMED_TURNS = 3  # turns shown when a conversation is continued


class Repl:
    """The interactive loop around one prompt_toolkit PromptSession."""

    def __init__(self, session: ChatSession, view: ChatView, env: Environment):
        self.session = session
        self.view = view
        self.env = env
        self.multiline = False
        self.ui = ChatFrontend(view, spinner=True, ask=self.ask)
        self.ctx = CommandContext(
            session, self.ui, toggle_multiline=self.toggle_multiline, edit=self.edit
        )
        self.prompt = self._make_prompt()
        self._warming: threading.Thread | None = None
        self._warmed: set[str] = set()

    def toggle_multiline(self) -> bool:
        self.multiline = not self.multiline
        return self.multiline

    def _make_prompt(self):
        from prompt_toolkit import PromptSession
        from prompt_toolkit.filters import Condition
        from prompt_toolkit.history import FileHistory, InMemoryHistory
        from prompt_toolkit.key_binding import KeyBindings

        from llmcli.chat import templating
        from llmcli.chat.completion import ChatCompleter, model_names

        multiline = Condition(lambda: self.multiline)
        kb = KeyBindings()

        @kb.add("c-c")
        def _ctrl_c(event) -> None:
            buf = event.current_buffer
            if buf.text:
                buf.reset()  # a typed line is discarded first; a second Ctrl-C leaves
            else:
                event.app.exit(exception=EOFError())

        @kb.add("f2")
        def _f2(event) -> None:
            self.toggle_multiline()

        @kb.add("escape", "enter", filter=~multiline)
        def _newline(event) -> None:
            event.current_buffer.insert_text("\n")

        @kb.add("escape", "enter", filter=multiline)
        def _send(event) -> None:
            event.current_buffer.validate_and_handle()

        def _command_line() -> bool:
            from prompt_toolkit.application.current import get_app

            text = get_app().current_buffer.text
            return "\n" not in text and commands.is_command(text)

        # A slash command on its own line runs on Enter in multi-line mode too: /multi must
        # be able to turn the mode off the way it turned it on.
        @kb.add("enter", filter=multiline & Condition(_command_line))
        def _run_command(event) -> None:
            event.current_buffer.validate_and_handle()

        paths = self.env.paths
        try:
            paths.data_dir.mkdir(parents=True, exist_ok=True)
            history = FileHistory(str(paths.data_dir / "chat_history"))
        except OSError:
            history = InMemoryHistory()
        completer = ChatCompleter(
            models=lambda: model_names(self.session.app),
            options=lambda: list(self.session.options_model().model_fields),
            templates=lambda: templating.names(self.session.app.paths),
        )
        output = None
        if not self.env.stdout_isatty:
            # Replies go to a file or pipe; the prompt and the editing stay on the terminal.
            from prompt_toolkit.output import create_output

            output = create_output(stdout=sys.stderr)
        return PromptSession(
            history=history,
            completer=completer,
            complete_while_typing=False,
            key_bindings=kb,
            multiline=multiline,
            enable_open_in_editor=True,
            bottom_toolbar=self.toolbar,
            # dots mark the lines of a multi-line message; a soft-wrapped row is only indented
            prompt_continuation=_continuation,
            output=output,
            enable_history_search=False,
        )

    def toolbar(self) -> str:
        from llmcli.ui.chat_view import toolbar_text

        s = self.session
        last = s.last
        ttft = last.timings.ttft if last else None
        tps = last.tokens_per_second if last else None
        estimated = False
        if last is not None and tps is None and ttft is not None:
            gen = last.timings.total - ttft
            if gen > 0 and last.text:
                tps, estimated = len(last.text) / 4 / gen, True
        try:
            window = s.window
        except Exception:
            window = None
        return toolbar_text(
            str(s.ref), str(s.used) if s.used is not None else None, window, ttft, tps,
            tps_estimated=estimated, multiline=self.multiline,
            template=s.next_template.name if s.next_template else None,
        )

    def ask(self, question: str) -> bool:
        """A y/N question on the terminal; Ctrl-C or Ctrl-D mean no."""
        from prompt_toolkit import PromptSession

        self.view.warn(question)
        try:
            answer = PromptSession(output=self.prompt.output).prompt("drop them? [y/N] ")
        except (EOFError, KeyboardInterrupt):
            return False
        return answer.strip().lower() in ("y", "yes")

    def edit(self, initial: str = "") -> str | None:
        """Write a message in $VISUAL / $EDITOR; returns its text."""
        from llmcli.chat.terminal import edit_text

        return edit_text(initial, self.env.environ)

    def warm_up(self) -> None:
        """Import the SDK and build its client while the user types, not after Enter.

        Failures are ignored here: the first message reports them properly.
        """
        name = self.session.ref.provider
        if name in self._warmed or (self._warming is not None and self._warming.is_alive()):
            return
        self._warmed.add(name)
        try:
            provider = self.session.provider  # made here, in the main thread, once
        except Exception:
            return

        model = self.session.ref.model

        def work() -> None:
            try:
                provider.warm_up(model)
            except Exception:
                pass

        self._warming = threading.Thread(target=work, name="llmcli-warm-up", daemon=True)
        self._warming.start()

    def _wait_warm(self) -> None:
        # Never two threads building one client: a message sent early waits for the warm-up.
        if self._warming is not None:
            self._warming.join()
            self._warming = None

    def run(self) -> int:
        s = self.session
        try:
            window = s.window
        except Exception:
            window = None
        self.view.banner(str(s.ref), window, s.conversation_id, len(s.turns))
        if s.turns:  # a continued conversation: where it left off
            self.view.history(None, s.turns[-RESUMED_TURNS:], None, s.conversation_id,
                              skipped=max(0, len(s.turns) - RESUMED_TURNS))
        try:
            return self._loop()
        finally:
            if s.log and (s.turns or s.pending is not None):
                self.view.resume_hint(s.conversation_id)

    def _loop(self) -> int:
        from llmcli.ui import progress

        while True:
            # The local model's first-use bar must not draw over the prompt: it waits, and
            # shows if the first message has to wait for the conversion.
            progress.hold(True)
            self.warm_up()
            try:
                text = self.prompt.prompt(lambda: "... " if self.multiline else "> ")
            except (EOFError, KeyboardInterrupt):
                progress.hold(False, show=False)  # leaving: nothing more to draw
                return 0
            progress.hold(False)
            if not text.strip():
                continue
            try:
                with echo(False):
                    if self.turn(text).exit:
                        return 0
            except KeyboardInterrupt:
                # Ctrl-C outside a reply (a slow command, a redraw): back to the prompt.
                self.view.interrupted()
            if terminated_by() is not None:  # SIGTERM/SIGHUP: the partial reply is logged
                return 130

    def turn(self, text: str) -> Result:
        """One line from the prompt: a command, or a message to send."""
        self._wait_warm()
        if commands.is_command(text):
            result = commands.dispatch(text, self.ctx)
            if result.exit or result.send is None:
                return result
            text = result.send
        self.session.send(commands.unescape(text), self.ui)
        return Result()


def _continuation(width: int, line: int, wrap: int) -> str:
    return " " * width if wrap else "." * (width - 1) + " "


def run_conversation(session: ChatSession, view: ChatView, env: Environment) -> int:
    """Piped stdin gets the line loop; a terminal gets the REPL."""
    if not env.stdin_isatty:
        return run_piped(session, view, env)
    return Repl(session, view, env).run()

