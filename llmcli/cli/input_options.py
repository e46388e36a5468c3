"""-f/--fragment, --sf/--system-fragment and -a/--attach: defined once, read the same way by
prompt and chat."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from llmcli.app_context import AppContext
    from llmcli.chat.session import ChatSession
    from llmcli.core.attachments import Attachment
    from llmcli.core.fragments import Fragment

FRAGMENT_HELP = ("Text to send with the prompt, labelled with its source: a file, a folder, a "
                 "glob ('src/*.py'), an http(s) URL (HTML and PDF become text) or - for stdin. "
                 "Repeatable.")
SYSTEM_FRAGMENT_HELP = "As -f, into the system prompt. Repeatable."
ATTACH_HELP = ("An image (PNG, JPEG, GIF, WebP), PDF or audio file (MP3, WAV) for models that "
               "read them, or - for stdin's bytes; the type is read from the bytes. Repeatable.")


def fragment_option() -> list[str] | None:
    return typer.Option(None, "-f", "--fragment", help=FRAGMENT_HELP)


def system_fragment_option() -> list[str] | None:
    return typer.Option(None, "--sf", "--system-fragment", help=SYSTEM_FRAGMENT_HELP)


def attach_option() -> list[str] | None:
    return typer.Option(None, "-a", "--attach", help=ATTACH_HELP)


@dataclass
class Inputs:
    """What -f, --sf and -a read; `stdin_used`: one of them was '-', so stdin is not the
    prompt's."""

    fragments: list[Fragment] = field(default_factory=list)
    attachments: tuple[Attachment, ...] = ()
    stdin_used: bool = False

    def __bool__(self) -> bool:
        return bool(self.fragments or self.attachments)


def read_inputs(app_ctx: AppContext, fragments: list[str] | None,
                system_fragments: list[str] | None, attachments: list[str] | None,
                *, stdin: bool = True) -> Inputs:
    """Read every -f, --sf and -a (bounded; see fragments/limits.py). Files a folder or glob
    held that are not text are named in one warning line. `stdin=False`: '-' is refused (chat
    reads its messages there)."""
    if not (fragments or system_fragments or attachments):
        return Inputs()
    from llmcli.core.fragments import dedupe
    from llmcli.fragments.attach import read_attachments
    from llmcli.fragments.fetch import Timeouts
    from llmcli.fragments.load import Loader

    env = app_ctx.env
    if not stdin and "-" in [*(fragments or []), *(system_fragments or []),
                             *(attachments or [])]:
        from llmcli.core.errors import InvalidInput

        raise InvalidInput("chat reads its messages from stdin, so - cannot be a fragment or "
                           "an attachment here", hint="save it to a file and pass the path")
    loader = Loader(stdin=None if env.stdin_isatty else env.stdin,
                    timeouts=Timeouts.from_read(app_ctx.timeout))
    found = loader.load(system_fragments or [], role="system") + loader.load(fragments or [])
    atts = read_attachments(attachments or [], loader)
    if loader.skipped:
        shown = ", ".join(loader.skipped[:3]) + (" …" if len(loader.skipped) > 3 else "")
        env.stderr.write(f"llmcli: left out {len(loader.skipped)} file(s) that are not UTF-8 "
                         f"text or are too large: {shown}\n")
    return Inputs(dedupe(found), atts, loader.stdin_used)


def join_chat(session: ChatSession, fragments: list[str] | None,
              system_fragments: list[str] | None, attachments: list[str] | None) -> None:
    """chat -f/--sf/-a: system fragments join the system prompt now, the others and the
    attachments the first message sent (checked against the model before the chat starts)."""
    from llmcli.core.fragments import compose
    from llmcli.exchange.inputs import check_attachments

    found = read_inputs(session.app, fragments, system_fragments, attachments, stdin=False)
    system = [f for f in found.fragments if f.role == "system"]
    if system:
        session.system = compose(session.system, system)
        session.fragments.extend(system)
    session.next_fragments = [f for f in found.fragments if f.role != "system"]
    if found.attachments:
        check_attachments(session.ref, found.attachments)
        session.next_attachments = list(found.attachments)
