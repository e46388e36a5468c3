"""Fragments and attachments joining a request (called by request.build_request only)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from llmcli.core.fragments import compose

if TYPE_CHECKING:
    from llmcli.core.attachments import Attachment
    from llmcli.core.fragments import Fragment
    from llmcli.core.messages import Message
    from llmcli.core.registry import ModelRef


def with_fragments(messages: list[Message], fragments: Sequence[Fragment]) -> list[Message]:
    """The user fragments' blocks before the last user message's text; the system ones before
    the system prompt's (a system message is made when there is none)."""
    from llmcli.core.messages import Message

    user = [f for f in fragments if f.role != "system"]
    system = [f for f in fragments if f.role == "system"]
    out = list(messages)
    if user:
        at = next((i for i in range(len(out) - 1, -1, -1) if out[i].role == "user"), None)
        if at is None:
            out.append(Message(role="user", content=compose(None, user)))
        else:
            m = out[at]
            out[at] = m.model_copy(update={"content": compose(m.content, user)})
    if system:
        if out and out[0].role == "system":
            out[0] = out[0].model_copy(update={"content": compose(out[0].content, system)})
        else:
            out.insert(0, Message(role="system", content=compose(None, system)))
    return out


def with_attachments(messages: list[Message], attachments: Sequence[Attachment]
                     ) -> list[Message]:
    """The attachments on the last user message (after any it already has)."""
    out = list(messages)
    at = next((i for i in range(len(out) - 1, -1, -1) if out[i].role == "user"), None)
    if at is None:
        from llmcli.core.errors import InvalidInput

        raise InvalidInput("an attachment needs a prompt to go with", hint="add a prompt")
    m = out[at]
    out[at] = m.model_copy(update={"attachments": (*m.attachments, *attachments)})
    return out


def check_attachments(ref: ModelRef, attachments: Sequence[Attachment]) -> None:
    """Refuse (Unsupported, exit 13) an attachment kind the model does not take, naming the
    models that do. A model the provider cannot vouch for either way (a model missing from the
    catalog, a compatible server's) is let through: the provider's answer decides."""
    from llmcli.core.errors import Unsupported
    from llmcli.core.registry import provider_class

    cls = provider_class(ref.adapter)
    for kind in dict.fromkeys(a.kind for a in attachments):
        takes = cls.takes_input(ref.provider, ref.model, kind)
        if takes is False:
            names = ", ".join(models_taking(kind)) or "none known"
            what = {"image": "images", "pdf": "PDFs", "audio": "audio"}[kind]
            raise Unsupported(f"{ref.provider}:{ref.model} cannot read {what} "
                              f"({next(a.source for a in attachments if a.kind == kind)})",
                              hint=f"models that can: {names}")


def models_taking(kind: str) -> list[str]:
    """provider:model for every model the installed providers say take `kind`."""
    from llmcli.core.registry import provider_class, provider_names

    out: list[str] = []
    for name in provider_names():
        try:
            out.extend(f"{name}:{m}" for m in provider_class(name).models_taking(kind))
        except Exception:  # a broken plugin must not break an error message
            continue
    return out
