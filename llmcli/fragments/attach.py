"""-a: files (or stdin) read as `Attachment`s, their type sniffed from the bytes with the
`filetype` library (magic numbers, pure Python, no libmagic), never from the file name."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from llmcli.core.attachments import MIME_KINDS, Attachment
from llmcli.core.errors import InvalidInput
from llmcli.fragments.limits import DEFAULT, Limits, human
from llmcli.fragments.load import Loader

ACCEPTED = "PNG, JPEG, GIF, WebP, PDF, MP3 or WAV"
# What filetype names differently from the MIME types the providers take.
_ALIASES = {"audio/wav": "audio/x-wav", "audio/mp3": "audio/mpeg"}


def sniff(data: bytes, source: str) -> str:
    """The MIME type of `data` from its first bytes; refused when it is not one we can send."""
    import filetype

    kind = filetype.guess(data[:8192])
    mime = _ALIASES.get(kind.mime, kind.mime) if kind is not None else None
    if mime not in MIME_KINDS:
        what = f"it looks like {mime}" if mime else "its type could not be told from its bytes"
        raise InvalidInput(f"-a {source}: {what}; attachments can be {ACCEPTED}",
                           hint="text files go in with -f")
    return mime


def read_attachment(spec: str, loader: Loader, limits: Limits = DEFAULT) -> Attachment:
    """One -a spec: a path, or '-' for the bytes on stdin."""
    if spec == "-":
        data = loader.read_stdin("-a -")
        source = "stdin"
    else:
        path = Path(spec)
        if not path.is_file():
            raise InvalidInput(f"-a {spec}: no such file", hint="give the path of an image, "
                               "a PDF or an audio file, or - for stdin")
        try:
            if path.stat().st_size > limits.attachment_bytes:
                raise InvalidInput(f"-a {spec}: {human(path.stat().st_size)} is more than the "
                                   f"{human(limits.attachment_bytes)} an attachment may be",
                                   hint="make it smaller (resize, compress)")
            with path.open("rb") as fh:
                data = fh.read(limits.attachment_bytes + 1)
        except OSError as exc:
            raise InvalidInput(f"-a {spec}: {exc.strerror or exc}") from None
        source = spec
    if len(data) > limits.attachment_bytes:
        raise InvalidInput(f"-a {source}: more than {human(limits.attachment_bytes)}",
                           hint="make it smaller (resize, compress)")
    if not data:
        raise InvalidInput(f"-a {source}: empty", hint="check the file")
    return Attachment(mime=sniff(data, source), data=data, source=source)


def read_attachments(specs: Iterable[str], loader: Loader) -> tuple[Attachment, ...]:
    """Every -a, in order, the same bytes once."""
    out: list[Attachment] = []
    seen: set[str] = set()
    for spec in specs:
        att = read_attachment(spec, loader, loader.limits)
        if att.sha256 not in seen:
            seen.add(att.sha256)
            out.append(att)
    return tuple(out)
