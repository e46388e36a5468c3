"""Conversations on disk: rebuilt from the log (`chat -c`, `--cid`), saved with /save.

The log row of an exchange keeps the whole message list that was sent, so the last row of a
conversation holds its history as it stood (after /undo, dropped turns and templates) plus
the reply. Rebuilding from it means a continued chat sends exactly what the first one would.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmcli.chat.turns import Pending, Turn
from llmcli.core.errors import InvalidInput

if TYPE_CHECKING:
    from llmcli.chat.session import ChatSession
    from llmcli.core.attachments import Attachment
    from llmcli.core.fragments import Fragment
    from llmcli.store.logs import LogStore


@dataclass
class Restored:
    """A conversation read back from the log."""

    conversation_id: str
    model: str
    system: str | None
    options: dict[str, Any]
    turns: list[Turn] = field(default_factory=list)
    pending: Pending | None = None
    fragments: list[Fragment] = field(default_factory=list)


def restore(logs: LogStore, conversation_id: str | None) -> Restored:
    """The conversation `conversation_id`, or the most recent one when it is None."""
    cid = conversation_id or logs.latest_conversation()
    if not cid:
        raise InvalidInput("no conversation to continue yet", hint="start one with 'llmcli chat'")
    rows = list(logs.iter_all(conversation_id=cid))
    if not rows:
        raise InvalidInput(
            f"no conversation with id '{cid}'", hint="see 'llmcli logs conversations'"
        )
    # As sent: fragments' text and attachments' bytes put back (the row keeps references)
    last = logs.get(int(rows[-1]["id"])) or rows[-1]
    interrupted = {r["reply"] for r in rows if r["status"] == "interrupted" and r["reply"]}
    try:
        sent = json.loads(last["messages"] or "[]")
        options = json.loads(last["options"] or "{}")
    except ValueError:
        raise InvalidInput(f"conversation '{cid}' has an unreadable log row {last['id']}") from None
    system = next((m["content"] for m in sent if m.get("role") == "system"), None)
    # Tool rounds (assistant turns asking for calls, their results) are not resent.
    convo = [m for m in sent if m.get("role") in ("user", "assistant") and not m.get("tool_calls")]
    # The last user message is this row's prompt; its reply is this row's reply.
    if convo and convo[-1]["role"] == "user":
        convo = convo[:-1]
    model = f"{last['provider']}:{last['model']}"
    turns = _pair(convo, interrupted, model)
    prompt = _last_user(sent) or last["prompt"]
    attached = next((_attachments(m) for m in reversed(sent) if m.get("role") == "user"), ())
    pending = None
    if last["reply"]:
        status = "complete" if last["status"] == "complete" else "interrupted"
        turns.append(Turn(prompt, last["reply"], status, model, last["id"],
                          attachments=attached))
    else:  # the last message got no reply: /retry can send it again
        pending = Pending(prompt, attachments=attached)
    fragments = _fragments(logs, int(last["id"]))
    return Restored(cid, model, system, options, turns, pending, fragments)


def _fragments(logs: LogStore, exchange_id: int) -> list[Fragment]:
    from llmcli.core.fragments import Fragment

    found, _ = logs.inputs_of(exchange_id)
    return [Fragment(source=f["source"], text=f["content"], role=f["role"]) for f in found]


def _attachments(message: dict[str, Any]) -> tuple[Attachment, ...]:
    from llmcli.core.attachments import Attachment

    return tuple(Attachment.model_validate_json(json.dumps(a))
                 for a in message.get("attachments") or [] if a.get("data"))


def _last_user(sent: list[dict[str, Any]]) -> str | None:
    for m in reversed(sent):
        if m.get("role") == "user":
            return m.get("content")
    return None


def _pair(convo: list[dict[str, Any]], interrupted: set[str], model: str) -> list[Turn]:
    turns: list[Turn] = []
    i = 0
    while i < len(convo):
        m = convo[i]
        if m["role"] == "user":
            nxt = convo[i + 1] if i + 1 < len(convo) else None
            if nxt is not None and nxt["role"] == "assistant":
                status = "interrupted" if nxt["content"] in interrupted else "complete"
                turns.append(Turn(m["content"], nxt["content"], status, model,
                                  attachments=_attachments(m)))
                i += 2
                continue
            turns.append(Turn(m["content"], "", "interrupted", model,
                              attachments=_attachments(m)))
        i += 1
    return turns


# -- /save --------------------------------------------------------------------------------------


def save(session: ChatSession, path: Path) -> str:
    """Write the conversation as JSON (.json) or Markdown (anything else); returns the format."""
    path = path.expanduser()
    fmt = "json" if path.suffix.lower() == ".json" else "markdown"
    text = to_json(session) if fmt == "json" else to_markdown(session)
    if path.is_dir():
        raise InvalidInput(f"{path} is a directory", hint="give a file name, e.g. /save chat.md")
    tmp = path.with_name(path.name + ".part")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc.strerror or exc}") from None
    return fmt


def to_json(session: ChatSession) -> str:
    messages: list[dict[str, Any]] = []
    if session.system:
        messages.append({"role": "system", "content": session.system})
    for t in session.turns:
        messages.append({"role": "user", "content": t.user})
        reply: dict[str, Any] = {"role": "assistant", "content": t.reply, "model": t.model}
        if t.status != "complete":
            reply["status"] = t.status
        messages.append(reply)
    doc = {
        "conversation_id": session.conversation_id,
        "model": str(session.ref),
        "system": session.system,
        "options": session.options.set_values(),
        "messages": messages,
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def to_markdown(session: ChatSession) -> str:
    lines = [f"# Conversation {session.conversation_id}", "", f"Model: `{session.ref}`"]
    opts = session.options.set_values()
    if opts:
        lines.append("Options: " + ", ".join(f"`{k}={v}`" for k, v in opts.items()))
    if session.system:
        lines += ["", "## System", "", session.system]
    for t in session.turns:
        mark = " (interrupted)" if t.status != "complete" else ""
        lines += ["", "## User", "", t.user, "", f"## Assistant{mark}", "", t.reply]
    return "\n".join(lines) + "\n"
