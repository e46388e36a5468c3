"""What a conversation is made of, and what the session needs from whoever drives it: the
turns kept, a message still waiting for a reply, what became of a message, the `Frontend`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

from llmcli.core.messages import Message

if TYPE_CHECKING:
    from llmcli.chat.templating import Choice
    from llmcli.core.attachments import Attachment
    from llmcli.core.errors import LlmcliError
    from llmcli.core.response import Response
    from llmcli.exchange.interactive import Display, ReplyWriter

TurnStatus = Literal["complete", "interrupted"]


@dataclass
class Turn:
    """One exchange kept in the history: what was sent, and what came back (maybe partial)."""

    user: str
    reply: str
    status: TurnStatus = "complete"
    model: str = ""
    log_id: int | None = None
    template: Choice | None = None
    attachments: tuple[Attachment, ...] = ()  # sent with this turn's message (/attach, -a)

    def messages(self) -> list[Message]:
        out = [Message(role="user", content=self.user, attachments=self.attachments)]
        if self.reply:  # an empty assistant message is refused by some providers
            out.append(Message(role="assistant", content=self.reply))
        return out


@dataclass
class Pending:
    """A message that got no reply (provider error, declined trim): `/retry` sends it again."""

    text: str
    template: Choice | None = None
    attachments: tuple[Attachment, ...] = ()


@dataclass
class SendOutcome:
    """What became of one message."""

    status: Literal["complete", "interrupted", "error", "not_sent"]
    response: Response | None = None
    error: LlmcliError | None = None


class Frontend(Protocol):
    """What the session needs from whoever drives it."""

    spinner: bool

    def reply_writer(self) -> ReplyWriter: ...
    def display(self, label: str) -> Display: ...
    def note(self, text: str) -> None: ...
    def warn(self, text: str) -> None: ...
    def error(self, text: str) -> None: ...
    def interrupted(self) -> None: ...
    def confirm(self, question: str) -> bool: ...
