"""Attachments: binary inputs (images, PDFs, audio) that travel beside a message's text.

The type is sniffed from the bytes by the loader (llmcli/fragments/attach.py), never taken from
a file name; here is only the value that goes into a `Message` and the vocabulary of input
kinds that providers and the catalog use to say which models accept what.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

InputKind = Literal["image", "pdf", "audio"]

# The MIME types an attachment may have, and the input kind each belongs to. Anything else is
# refused when it is read: no provider has a content part for it.
MIME_KINDS: dict[str, InputKind] = {
    "image/png": "image",
    "image/jpeg": "image",
    "image/gif": "image",
    "image/webp": "image",
    "application/pdf": "pdf",
    "audio/mpeg": "audio",
    "audio/x-wav": "audio",
    "audio/wav": "audio",
}

# How a model says it takes a kind, in ModelInfo.capabilities (and the catalog).
INPUT_CAPABILITY: dict[InputKind, str] = {
    "image": "input:image",
    "pdf": "input:pdf",
    "audio": "input:audio",
}


class Attachment(BaseModel):
    """One binary input: its bytes, sniffed MIME type and where it came from (a path, '-')."""

    # Bytes travel as base64 in JSON (a log row, the response cache's key): raw bytes are not
    # valid UTF-8.
    model_config = ConfigDict(extra="forbid", frozen=True, ser_json_bytes="base64",
                              val_json_bytes="base64")

    mime: str
    data: bytes = Field(repr=False)
    source: str = ""

    @property
    def kind(self) -> InputKind:
        return MIME_KINDS[self.mime]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def size(self) -> int:
        return len(self.data)

    def b64(self) -> str:
        return base64.b64encode(self.data).decode("ascii")

    def data_url(self) -> str:
        return f"data:{self.mime};base64,{self.b64()}"

    @property
    def filename(self) -> str:
        """A file name for APIs that want one (OpenAI's file parts): the source's last part."""
        name = self.source.replace("\\", "/").rsplit("/", 1)[-1]
        if not name or name == "-":
            name = {"pdf": "input.pdf", "image": "image", "audio": "audio"}[self.kind]
        return name
