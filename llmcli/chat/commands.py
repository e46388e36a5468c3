"""Slash commands: parse a line that starts with '/', run it against the session.

Commands talk to the user only through the frontend (`ctx.ui`) and its view, so the same
table serves the terminal REPL and piped mode (where their output goes to stderr).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmcli.core.errors import InvalidInput, LlmcliError

if TYPE_CHECKING:
    from llmcli.chat.session import ChatSession
    from llmcli.chat.turns import SendOutcome
    from llmcli.ui.chat_view import ChatView


@dataclass
class Result:
    """What the loop does after a command: leave, send a message, or just go on."""

    exit: bool = False
    send: str | None = None
    outcome: SendOutcome | None = None


@dataclass
class CommandContext:
    session: ChatSession
    ui: Any  # a chat.session.Frontend with a `.view: ChatView`
    toggle_multiline: Callable[[], bool] | None = None
    edit: Callable[[str], str | None] | None = None

    @property
    def view(self) -> ChatView:
        return self.ui.view


Handler = Callable[[CommandContext, str], Result | None]


@dataclass(frozen=True)
class Command:
    name: str
    usage: str
    help: str
    handler: Handler
    aliases: tuple[str, ...] = ()
    terminal_only: bool = False  # needs a terminal (multi-line mode, $EDITOR)


COMMANDS: dict[str, Command] = {}


def command(name: str, usage: str, help: str, *aliases: str, terminal_only: bool = False):
    def deco(fn: Handler) -> Handler:
        cmd = Command(name, usage, help, fn, aliases, terminal_only)
        for n in (name, *aliases):
            COMMANDS[n] = cmd
        return fn

    return deco


def is_command(line: str) -> bool:
    """A line starting with one '/'; '//' escapes a message that begins with a slash."""
    return line.startswith("/") and not line.startswith("//")


def unescape(line: str) -> str:
    return line[1:] if line.startswith("//") else line


def names() -> list[str]:
    """Every command name, for completion."""
    return sorted(f"/{n}" for n in COMMANDS)


def dispatch(line: str, ctx: CommandContext) -> Result:
    """Run one slash command line; errors become one line and the chat goes on."""
    word, _, arg = line[1:].strip().partition(" ")
    arg = arg.strip()
    cmd = COMMANDS.get(word.lower())
    if cmd is None:
        import difflib

        close = difflib.get_close_matches(word, list(COMMANDS), n=1)
        hint = f"did you mean /{close[0]}?" if close else "see /help"
        ctx.ui.error(f"unknown command '/{word}' ({hint}; start a message with // to send a '/')")
        return Result()
    if cmd.terminal_only and ctx.toggle_multiline is None:
        ctx.ui.error(f"/{cmd.name} needs a terminal")
        return Result()
    try:
        return cmd.handler(ctx, arg) or Result()
    except LlmcliError as exc:
        ctx.ui.error(exc.one_line())
        return Result()


# -- the commands ---------------------------------------------------------------------------


@command("help", "/help", "this list", "?")
def _help(ctx: CommandContext, arg: str) -> None:
    seen: list[Command] = []
    for cmd in COMMANDS.values():
        if cmd not in seen:
            seen.append(cmd)
    rows = [(c.usage, c.help + _aliases(c)) for c in seen]
    keys = [
        ("Enter", "send (in multi-line mode: a new line)"),
        ("Esc Enter / Alt-Enter", "send in multi-line mode; a new line otherwise"),
        ("F2", "toggle multi-line mode"),
        ("Ctrl-X Ctrl-E", "edit the message in $EDITOR"),
        ("Up / Down, Ctrl-R", "earlier messages (kept across sessions), search them"),
        ("Tab", "complete commands, model names, options"),
        ("Ctrl-C", "stop a reply; at an empty prompt, leave"),
        ("Ctrl-D", "leave"),
    ]
    ctx.view.help(rows, keys)


@command("model", "/model [provider:model]", "switch model, history kept; alone: show the model")
def _model(ctx: CommandContext, arg: str) -> None:
    s = ctx.session
    if not arg:
        window = s.window
        ctx.view.info_rows(
            "Model",
            [
                ("model", str(s.ref)),
                ("context window", f"{window:,} tokens" if window else "unknown"),
                ("token counts", s.meter.source),
            ],
        )
        return
    old = str(s.ref)
    dropped = s.set_model(arg)
    n = len(s.turns)
    ctx.ui.note(f"switched from {old} to {s.ref}; {n} turn{'' if n == 1 else 's'} carr"
                f"{'ies' if n == 1 else 'y'} over")
    if dropped:
        ctx.ui.warn(f"{s.ref.provider} does not take the option(s) {', '.join(dropped)}: dropped")


@command("system", "/system [TEXT | off]", "set the system prompt; alone: show it; off: remove it")
def _system(ctx: CommandContext, arg: str) -> None:
    s = ctx.session
    if not arg:
        ctx.ui.note(
            f"system prompt: {s.system}" if s.system else "no system prompt (/system TEXT sets one)"
        )
        return
    if arg.lower() == "off":
        s.set_system(None)
        ctx.ui.note("system prompt removed")
        return
    s.set_system(arg)
    ctx.ui.note("system prompt set; it applies from the next message")


@command("attach", "/attach [PATH]",
         "add an image, PDF or audio file to your next message; alone: what is attached")
def _attach(ctx: CommandContext, arg: str) -> None:
    s = ctx.session
    if not arg:
        if not s.next_attachments:
            ctx.ui.note("nothing attached (/attach PATH adds a file to your next message)")
        for a in s.next_attachments:
            ctx.ui.note(f"attached: {a.source} ({a.mime}, {a.size:,} bytes)")
        return
    from llmcli.exchange.inputs import check_attachments
    from llmcli.fragments.attach import read_attachment
    from llmcli.fragments.load import Loader

    path = str(Path(arg).expanduser())
    att = read_attachment(path, Loader())  # no stdin: it holds the chat's own messages
    check_attachments(s.ref, [att])  # refused now, naming the models that read it
    s.next_attachments.append(att)
    ctx.ui.note(f"attached {att.source} ({att.mime}, {att.size:,} bytes); it goes with your "
                "next message")


@command("set", "/set NAME [VALUE]", "set a generation option (no value: unset it)")
def _set(ctx: CommandContext, arg: str) -> None:
    name, _, value = arg.partition(" ")
    if not name:
        raise InvalidInput("which option?", hint="e.g. /set temperature 0.2; /options lists them")
    name = name.removesuffix("=")
    if "=" in name and not value:
        name, _, value = name.partition("=")
    value = value.strip()
    ctx.session.set_option(name, value or None)
    key = name.replace("-", "_")
    if value:
        ctx.ui.note(f"{key} = {ctx.session.options.set_values().get(key)}")
    else:
        ctx.ui.note(f"{key} unset")


@command("options", "/options", "the options set now, and every option this model takes")
def _options(ctx: CommandContext, arg: str) -> None:
    s = ctx.session
    model = s.options_model()
    fields = [(n, f.description or "") for n, f in model.model_fields.items()]
    ctx.view.options(s.options.set_values(), fields)


@command("template", "/template [NAME [VAR=VALUE ...] | off]",
         "put the next message through a prompt template; alone: list them")
def _template(ctx: CommandContext, arg: str) -> None:
    from llmcli.chat import templating

    s = ctx.session
    paths = s.app.paths
    if not arg:
        known = templating.names(paths)
        current = f"the next message uses '{s.next_template}'. " if s.next_template else ""
        ctx.ui.note(current + ("templates: " + ", ".join(known) if known else "no templates found"))
        return
    if arg.lower() == "off":
        s.next_template = None
        ctx.ui.note("no template for the next message")
        return
    choice = templating.parse(arg)
    templating.load(choice, paths)  # unknown names and unusable templates fail now
    s.next_template = choice
    ctx.ui.note(f"the next message goes through template '{choice}'")


@command("rag", "/rag [NAME [TOP] | off]",
         "answer from an index's passages, with sources (see 'llmcli rag'); alone: show it")
def _rag(ctx: CommandContext, arg: str) -> None:
    s = ctx.session
    words = arg.split()
    if not words:
        ctx.ui.note(f"retrieval from {s.rag.describe()}" if s.rag is not None
                    else "no index in use (/rag NAME answers from one; 'llmcli rag list')")
        return
    if words[0].lower() == "off":
        if s.rag is not None:
            s.rag.close()
        s.rag = None
        ctx.ui.note("retrieval off: messages are sent as typed")
        return
    if len(words) > 2 or (len(words) == 2 and not words[1].isdigit()):
        raise InvalidInput("/rag takes an index name and a number of passages",
                           hint="e.g. /rag receitas 4")
    from llmcli.chat.rag_mode import ChatRag

    chosen = ChatRag(s.app, words[0], top=int(words[1]) if len(words) == 2 else 4)
    if s.rag is not None:
        s.rag.close()
    s.rag = chosen
    ctx.ui.note(f"each message now carries passages from {chosen.describe()}")


@command("tools", "/tools [NAME | on | off]",
         "the tools the model may call (-T, --functions); NAME switches one on or off")
def _tools(ctx: CommandContext, arg: str) -> None:
    s = ctx.session
    if s.tools is None:
        ctx.ui.note("no tools: start the chat with -T NAME (now, calculate, mcp:SERVER) "
                    "or --functions FILE")
        return
    box = s.tools.toolbox
    word = arg.strip()
    if word.lower() in ("on", "off"):
        box.enabled = set(box.tools) if word.lower() == "on" else set()
    elif word:
        if word not in box.tools:
            raise InvalidInput(f"no tool named '{word}'",
                               hint="tools: " + ", ".join(box.tools))
        box.enabled ^= {word}
    ctx.ui.note("tools: " + ", ".join(
        f"{name} ({'on' if name in box.enabled else 'off'})" for name in box.tools))


@command("retry", "/retry", "send the last message again for a new reply")
def _retry(ctx: CommandContext, arg: str) -> Result:
    outcome = ctx.session.retry(ctx.ui)
    if outcome is None:
        ctx.ui.note("nothing to retry yet")
    return Result(outcome=outcome)


@command("undo", "/undo", "drop the last exchange from the history")
def _undo(ctx: CommandContext, arg: str) -> None:
    dropped = ctx.session.undo()
    if dropped is None:
        ctx.ui.note("nothing to undo")
        return
    from llmcli.chat.turns import Pending

    text = dropped.text if isinstance(dropped, Pending) else dropped.user
    ctx.ui.note(f"dropped: {_short(text)}")


@command("clear", "/clear", "forget the history and start a new conversation")
def _clear(ctx: CommandContext, arg: str) -> None:
    cid = ctx.session.clear()
    ctx.ui.note(f"history cleared; new conversation {cid}")


@command("history", "/history [N]", "show the conversation (the last N turns)")
def _history(ctx: CommandContext, arg: str) -> None:
    s = ctx.session
    turns = s.turns
    if arg:
        if not arg.isdigit():
            raise InvalidInput("/history takes a number of turns", hint="e.g. /history 3")
        turns = turns[-int(arg):] if int(arg) else []
    ctx.view.history(s.system, turns, s.pending.text if s.pending else None, s.conversation_id)


@command("tokens", "/tokens", "context used against the model's window")
def _tokens(ctx: CommandContext, arg: str) -> None:
    s = ctx.session
    count = s.count_exact()
    window = s.window
    rows = [("model", str(s.ref)), ("history", f"{count} tokens ({count.source})")]
    if window:
        share = 100 * count.tokens / window
        rows.append(("context window", f"{window:,} tokens ({share:.1f}% used)"))
    else:
        rows.append(("context window", "unknown (set it with --context-window)"))
    if s.last is not None and s.last.usage.input_tokens is not None:
        u = s.last.usage
        out = u.output_tokens or 0
        rows.append(("last exchange", f"{u.input_tokens:,} in, {out:,} out (provider)"))
    rows.append(("turns", str(len(s.turns))))
    ctx.view.info_rows("Tokens", rows)


@command("save", "/save FILE", "save the conversation: .json for JSON, else Markdown")
def _save(ctx: CommandContext, arg: str) -> None:
    from llmcli.chat.history import save

    if not arg:
        raise InvalidInput("save where?", hint="e.g. /save chat.md or /save chat.json")
    path = Path(arg.strip("'\""))
    fmt = save(ctx.session, path)
    n = len(ctx.session.turns)
    ctx.ui.note(f"saved {n} turn{'' if n == 1 else 's'} to {path} ({fmt})")


@command("copy", "/copy", "copy the last reply to the clipboard")
def _copy(ctx: CommandContext, arg: str) -> None:
    from llmcli.chat.clipboard import copy

    reply = ctx.session.last_reply()
    if not reply:
        ctx.ui.note("no reply to copy yet")
        return
    env = ctx.view.env
    terminal = env.stdout if env.stdout_isatty else None
    ctx.ui.note(copy(reply, environ=env.environ, terminal=terminal))


@command("multi", "/multi", "toggle multi-line mode (Esc Enter sends)", terminal_only=True)
def _multi(ctx: CommandContext, arg: str) -> None:
    assert ctx.toggle_multiline is not None
    on = ctx.toggle_multiline()
    ctx.ui.note("multi-line mode on: Enter adds a line, Esc Enter or Alt-Enter sends" if on
                else "multi-line mode off: Enter sends")


@command("edit", "/edit", "write the next message in $EDITOR", terminal_only=True)
def _edit(ctx: CommandContext, arg: str) -> Result | None:
    assert ctx.edit is not None
    text = ctx.edit(arg)
    if not text or not text.strip():
        ctx.ui.note("empty message: nothing sent")
        return None
    return Result(send=text)


@command("exit", "/exit", "leave the chat", "quit", "q")
def _exit(ctx: CommandContext, arg: str) -> Result:
    return Result(exit=True)


def _aliases(cmd: Command) -> str:
    return f" (also /{', /'.join(cmd.aliases)})" if cmd.aliases else ""


def _short(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"
