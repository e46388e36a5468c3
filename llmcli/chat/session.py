"""Conversation state: model, system prompt, options, turns, and sending one message.

The session knows nothing about terminals: it talks to a `Frontend` (the REPL or the piped
loop) for output and for the one question it may ask (whether to drop old turns).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from llmcli.chat.tokens import Count, Fit, TokenMeter
from llmcli.chat.turns import Frontend, Pending, SendOutcome, Turn
from llmcli.core.errors import (
    ContextTooLong,
    Interrupted,
    InvalidInput,
    LlmcliError,
    OutputClosed,
    OutputFailed,
)
from llmcli.core.messages import Message

if TYPE_CHECKING:
    from llmcli.app_context import AppContext
    from llmcli.chat.templating import Choice
    from llmcli.core.attachments import Attachment
    from llmcli.core.fragments import Fragment
    from llmcli.core.options import Options
    from llmcli.core.provider import ModelInfo, Provider
    from llmcli.core.registry import ModelRef
    from llmcli.core.response import Response
    from llmcli.exchange.interactive import ReplyWriter


class _Tee:
    """Passes pieces to the real writer and keeps the text, so a partial reply is not lost."""

    def __init__(self, inner: ReplyWriter):
        self.inner = inner
        self.parts: list[str] = []

    def start(self) -> None:
        self.inner.start()

    def write(self, piece: str) -> None:
        self.parts.append(piece)
        self.inner.write(piece)

    def finish(self, interrupted: bool = False) -> None:
        self.inner.finish(interrupted=interrupted)

    @property
    def text(self) -> str:
        return "".join(self.parts)


@dataclass
class ChatSession:
    """A conversation with one model at a time; the history carries over a model switch."""

    app: AppContext
    ref: ModelRef
    system: str | None = None
    option_values: dict[str, Any] = field(default_factory=dict)
    conversation_id: str = ""
    log: bool = True
    window_override: int | None = None
    hide_reasoning: bool = False  # --hide-reasoning: reasoning is logged, not shown
    cache: bool = False  # --cache: identical requests answered from the log
    turns: list[Turn] = field(default_factory=list)
    pending: Pending | None = None
    next_template: Choice | None = None
    rag: Any = None  # a chat.rag_mode.ChatRag while `/rag NAME` is on
    tools: Any = None  # an exchange.tool_loop.ToolSession from -T/--functions (/tools toggles)
    last: Response | None = None
    used: Count | None = None
    # Fragments (-f, --sf) whose blocks are in the conversation, for the log to keep once;
    # those waiting to join the next message (-f); attachments waiting for it (-a, /attach).
    fragments: list[Fragment] = field(default_factory=list)
    next_fragments: list[Fragment] = field(default_factory=list)
    next_attachments: list[Attachment] = field(default_factory=list)

    def __post_init__(self) -> None:
        from llmcli.store.logs import new_id

        self.conversation_id = self.conversation_id or new_id()
        self.options = self._validate(self.option_values)
        self._meter: TokenMeter | None = None
        self._window: tuple[ModelRef, int | None] | None = None
        # The history when the provider last reported its usage, and that count: later counts
        # are that figure plus what changed since (a system prompt set, a turn undone), so a
        # change is never read as a drop between an exact figure and a rough one.
        self._reported: tuple[list[Message], Count] | None = None

    # -- model, provider, options --------------------------------------------------------------
    @property
    def provider(self) -> Provider:
        return self.app.registry.provider(self.ref)

    @property
    def info(self) -> ModelInfo | None:
        try:
            return self.provider.model_info(self.ref.model)
        except LlmcliError:
            return None

    @property
    def window(self) -> int | None:
        """The context window: --context-window, then the provider's config, then the catalog."""
        if self.window_override:
            return self.window_override
        if self._window is None or self._window[0] != self.ref:  # looked up once per model
            self._window = (self.ref, self._find_window())
        return self._window[1]

    def _find_window(self) -> int | None:
        try:
            configured = self.provider.settings.extra.get("context_window")
        except LlmcliError:
            configured = None
        if configured:
            return int(configured)
        info = self.info
        return info.context_window if info else None

    @property
    def meter(self) -> TokenMeter:
        if self._meter is None:
            self._meter = TokenMeter(self.provider, self.ref.model)
        return self._meter

    def options_model(self, ref: ModelRef | None = None) -> type[Options]:
        """The options class of the current (or given) model's provider."""
        from llmcli.exchange.request import options_model

        return options_model(ref or self.ref)

    def _validate(self, values: dict[str, Any], ref: ModelRef | None = None) -> Options:
        from llmcli.exchange.request import validate_options

        return validate_options(ref or self.ref, values)

    def set_model(self, spec: str) -> list[str]:
        """Switch model; the history carries over. Returns options the new provider refused."""
        ref = self.app.registry.resolve(spec)
        self.app.registry.provider(ref)  # a missing key or bad endpoint fails here, not mid-chat
        from llmcli.exchange.request import accepted_options

        kept, dropped = accepted_options(ref, self.option_values)
        self.options = self._validate(kept, ref)
        self.option_values = kept
        self.ref = ref
        self._meter = None
        self._reported = None  # another tokenizer: the old figure says nothing
        self.recount()
        return dropped

    def set_option(self, name: str, value: str | None) -> None:
        """Set (or, with no value, unset) one option; validated against the current provider."""
        values = dict(self.option_values)
        key = name.strip().replace("-", "_")
        if value is None:
            if values.pop(key, None) is None:
                raise InvalidInput(f"option '{key}' is not set", hint="see /options")
        else:
            values[key] = [value] if key == "stop" else value
        self.options = self._validate(values)
        self.option_values = values

    def set_system(self, text: str | None) -> None:
        self.system = text or None
        self.recount()

    # -- history ---------------------------------------------------------------------------------
    def messages(self, new_user: str | None = None) -> list[Message]:
        """System prompt, the turns so far, and the new user message if any."""
        out: list[Message] = []
        if self.system:
            out.append(Message(role="system", content=self.system))
        for turn in self.turns:
            out.extend(turn.messages())
        if new_user is not None:
            out.append(Message(role="user", content=new_user))
        return out

    def undo(self) -> Turn | Pending | None:
        """Drop the last exchange (or the message that got no reply)."""
        if self.pending is not None:
            dropped: Turn | Pending = self.pending
            self.pending = None
        elif self.turns:
            dropped = self.turns.pop()
        else:
            return None
        self.last = None
        self.recount()
        return dropped

    def clear(self) -> str:
        """Forget the history and start a new conversation id (model, system and options stay)."""
        from llmcli.store.logs import new_id

        self.turns.clear()
        self.pending = None
        self.last = None
        self.conversation_id = new_id()
        self._reported = None
        self.recount()
        return self.conversation_id

    def last_reply(self) -> str | None:
        return self.turns[-1].reply if self.turns else None

    def recount(self, *, exact: bool = False) -> Count:
        """Tokens the history takes now, the one figure the status line and /tokens show:
        the provider's last reported usage plus the change since, else a count (`exact`: the
        provider's when it can count, else the chars/4 estimate, marked '~')."""
        try:
            self.used = self._count(exact)
        except LlmcliError:
            self.used = None
        return self.used  # type: ignore[return-value]

    def _count(self, exact: bool) -> Count:
        from llmcli.exchange.tokens import ESTIMATE

        meter = self.meter
        now = self.messages()
        if self._reported is None:
            return meter.count(now, exact=exact)
        then, base = self._reported
        if then == now:
            return base
        n_now, exact_now = meter.tokens(now, exact=exact)
        n_then, exact_then = meter.tokens(then, exact=exact)
        is_exact = base.exact and exact_now and exact_then
        return Count(max(0, base.tokens + n_now - n_then), is_exact,
                     meter.source if is_exact else ESTIMATE)

    def count_exact(self) -> Count:
        """For /tokens: as `recount`, exact when the provider can count."""
        return self.recount(exact=True)

    # -- sending ---------------------------------------------------------------------------------
    def send(self, text: str, ui: Frontend) -> SendOutcome:
        """Send a user message (through the template chosen with /template) and stream the reply."""
        choice = self.next_template
        if choice is None and self.rag is not None:
            return self.rag.send(self, text, ui)  # with passages retrieved for this message
        if choice is None:
            return self._exchange(text, ui, None)
        from llmcli.chat.templating import apply

        self.next_template = None
        try:
            text, template_options = apply(choice, text, self.app.paths)
        except LlmcliError as exc:
            ui.error(exc.one_line())
            return SendOutcome("error", error=exc)
        return self._exchange(text, ui, choice, template_options)

    def retry(self, ui: Frontend) -> SendOutcome | None:
        """Send the last message again: the unanswered one, or the last turn's (reply dropped)."""
        if self.pending is not None:
            p, self.pending = self.pending, None
            return self._exchange(p.text, ui, p.template, attachments=p.attachments)
        if not self.turns:
            return None
        turn = self.turns.pop()
        return self._exchange(turn.user, ui, turn.template, attachments=turn.attachments)

    def request_options(
        self, template_options: dict[str, Any] | None, ui: Frontend | None = None
    ) -> Options:
        """The session's options over a template's (those this provider refuses are left out)."""
        if not template_options:
            return self.options
        merged: dict[str, Any] = {}
        for name, value in template_options.items():
            try:
                self._validate({name: value})
                merged[name] = value
            except InvalidInput:
                if ui is not None:
                    ui.warn(f"the template's option {name}={value} does not apply to {self.ref}")
        return self._validate({**merged, **self.option_values})

    def _exchange(
        self, text: str, ui: Frontend, template: Choice | None,
        template_options: dict[str, Any] | None = None,
        attachments: tuple[Attachment, ...] | None = None, asked: str | None = None,
    ) -> SendOutcome:
        """`asked`: the user's own words when `text` wraps them (a RAG context): the log's
        prompt and the conversation's title."""
        from llmcli.exchange.interactive import run_exchange
        from llmcli.exchange.request import build_request

        if self.next_fragments:  # -f: their blocks join the first message sent
            from llmcli.core.fragments import compose

            text = compose(text, self.next_fragments)
            self.fragments.extend(self.next_fragments)
            self.next_fragments = []
        if attachments is None:
            attachments = tuple(self.next_attachments)
        # Sent or not, they now belong to this message (its turn, or the pending one /retry sends)
        self.next_attachments = []
        try:
            if template is not None and template_options is None:
                from llmcli.chat.templating import options

                template_options = options(template, self.app.paths)
            opts = self.request_options(template_options, ui)
            refused = self._make_room(text, ui, opts)
            if refused is not None:
                self.pending = Pending(text, template, attachments)
                return SendOutcome("not_sent", error=refused)
            specs = self.tools.toolbox.specs if self.tools is not None else None
            request = build_request(self.ref, self.messages(text), opts, attachments=attachments,
                                    earlier_fragments=self.fragments, tools=specs or None)
        except LlmcliError as exc:
            self.pending = Pending(text, template, attachments)
            ui.error(exc.one_line())
            return SendOutcome("error", error=exc)
        tee = _Tee(ui.reply_writer())
        writer: Any = tee
        on_reasoning = None
        hooks = getattr(ui, "reasoning_hooks", None)  # a frontend without a screen has none
        if hooks is not None and not self.hide_reasoning:
            writer, on_reasoning = hooks(tee)
        try:
            response = run_exchange(
                self.app, self.ref, request, writer, ui.display(str(self.ref)), log=self.log,
                conversation_id=self.conversation_id if self.log else None,
                template=template.name if template else None, prompt=asked,
                on_reasoning=on_reasoning, cache=self.cache, tools=self.tools,
            )
        except (Interrupted, KeyboardInterrupt) as exc:
            self._keep_partial(text, tee.text, template, attachments)
            ui.interrupted()
            err = exc if isinstance(exc, Interrupted) else Interrupted("interrupted")
            return SendOutcome("interrupted", error=err)
        except (OutputClosed, OutputFailed):
            # Our own output went away (a closed pipe, a full disk): the exchange is logged
            # with what was generated; nothing more can be shown, so the chat ends.
            self._keep_partial(text, tee.text, template, attachments)
            raise
        except Exception as exc:
            # A stream broken after text arrived keeps that text, as Ctrl-C does. A bug in a
            # provider is one line too: the conversation matters more than the traceback.
            err = exc if isinstance(exc, LlmcliError) else self._internal(exc)
            if err.__cause__ is not None and self.app.env.debug:
                self._traceback(err.__cause__)
            self._keep_partial(text, tee.text, template, attachments)
            ui.error(err.one_line(None if tee.text else "/retry to send it again"))
            return SendOutcome("error", error=err)
        self.turns.append(
            Turn(text, response.text, "complete", str(self.ref), response.log_id, template,
                 attachments)
        )
        self.pending = None
        self.last = response
        u = response.usage
        self.meter.observe(request.messages, u.input_tokens)
        if u.input_tokens is not None and u.output_tokens is not None:
            self.used = Count(u.input_tokens + u.output_tokens, True, "reported by the provider")
            self._reported = (self.messages(), self.used)
        else:
            self._reported = None
            self.recount()
        return SendOutcome("complete", response=response)

    def _internal(self, exc: Exception) -> LlmcliError:
        """A failure outside the exchange itself (the writer): the exchange service's rule."""
        from llmcli.exchange.drive import internal_error

        return internal_error(self.ref.provider, exc)

    def _traceback(self, exc: BaseException) -> None:
        import traceback

        from llmcli.core.errors import redact

        lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
        self.app.env.stderr.write(redact("".join(lines)))

    def _keep_partial(self, text: str, partial: str, template: Choice | None,
                      attachments: tuple[Attachment, ...] = ()) -> None:
        if partial:
            self.turns.append(Turn(text, partial, "interrupted", str(self.ref), None, template,
                                   attachments))
            self.pending = None
        else:  # nothing arrived: keep the message for /retry, out of the history
            self.pending = Pending(text, template, attachments)
        self.last = None
        self.recount()

    def fit(self, text: str, options: Options | None = None) -> Fit:
        head = [Message(role="system", content=self.system)] if self.system else []
        return self.meter.fit(
            head, [t.messages() for t in self.turns], [Message(role="user", content=text)],
            self.window, reserve=(options or self.options).max_tokens or 0,
        )

    def _make_room(self, text: str, ui: Frontend, options: Options) -> ContextTooLong | None:
        """None when the request fits the window (after dropping old turns if the user agrees);
        otherwise the reason it was not sent, already shown."""
        fit = self.fit(text, options)
        if fit.fits:
            return None
        how = "counted" if fit.needed.exact else "estimated, chars/4"
        reserve = f" plus {fit.reserve:,} kept for the reply (max_tokens)" if fit.reserve else ""
        size = f"{fit.needed.tokens:,} tokens ({how}){reserve}"
        window = f"{self.ref}'s context window of {fit.window:,}"
        if fit.drop is None:
            err = ContextTooLong(
                f"this message is too long even alone: {size} is more than {window}; not sent",
                hint="shorten it, or lower max_tokens with /set",
            )
            ui.error(err.one_line())
            return err
        turns = "turn" if fit.drop == 1 else "turns"
        if ui.confirm(f"The conversation is {size}, more than {window}. "
                      f"Drop the oldest {fit.drop} {turns} to make it fit?"):
            del self.turns[: fit.drop]
            ui.note(f"dropped the oldest {fit.drop} {turns}; {len(self.turns)} left")
            return None
        ui.note("not sent: it would not fit the window (/undo or /clear, then /retry)")
        return ContextTooLong("not sent: the conversation is longer than the context window")
