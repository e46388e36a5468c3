"""Bytes a user gave us, as text: strict UTF-8 with a one-line error that says what to do."""

from __future__ import annotations

from llmcli.core.errors import InvalidInput


def decode_utf8(data: bytes, where: str) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"{where} is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            hint="convert it first, e.g. iconv -f latin1 -t utf-8",
        ) from None
    return text.removeprefix("\ufeff")
