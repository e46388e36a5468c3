"""Our SentencePiece-style tokenizer for GGUF `tokenizer.ggml.model = llama` vocabularies.

It reproduces llama.cpp's `llm_tokenizer_spm` token for token:

1. Special tokens are cut out of the text first. User-defined tokens (Gemma 3: runs of spaces,
   newlines and tabs, a few HTML tags) always are; control tokens (`<start_of_turn>`, `<eos>`...)
   only when `special=True`. llama.cpp tries them longest first over the whole text; when no
   two of them can overlap (checked once per vocabulary) a leftmost-longest regex scan gives the
   same cut and is much faster, otherwise the literal algorithm runs.
2. Each remaining piece of raw text has its spaces replaced by `▁` (plus a leading space when the
   vocabulary asks for a space prefix; Gemma 3 does not), is split into characters, and adjacent
   symbols are merged, best-scoring vocabulary piece first (ties: leftmost), until no adjacent
   pair forms a piece. Characters that never became a piece fall back to `<0xNN>` byte tokens.

Speed: merges never cross a point where no vocabulary piece spans the two characters around
it, so raw text is cut at such points (before most `▁`) into short chunks whose ids are cached;
a 10 MB text then costs mostly dictionary look-ups. `encode_iter` streams text in pieces.
"""

from __future__ import annotations

import codecs
import heapq
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from llmcli.local.tokenizer_special import (
    CONTROL_TEXTS,
    EOG_TEXTS,
    MEDIA_MARKER,
    partition_reference,
    scan_is_exact,
    trie_regex,
)

# GGUF token types (llama.cpp's llama_token_type).
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6
SPACE = "▁"  # U+2581, SentencePiece's visible space
_LONG_CHUNK = 48  # chunks longer than this are cut further at every safe point
_CACHE_LIMIT = 1 << 20
_VISIBLE = {" ": "␣", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


class Tokenizer:
    """A SentencePiece (SPM) vocabulary with llama.cpp's encoding rules."""

    def __init__(
        self,
        tokens: Sequence[str],
        scores: Sequence[float],
        types: Sequence[int],
        *,
        bos_id: int | None = None,
        eos_id: int | None = None,
        add_bos: bool = True,
        add_eos: bool = False,
        add_space_prefix: bool = False,
        eot_ids: Iterable[int] = (),
    ):
        self.tokens = list(tokens)
        # Plain lists: indexing a numpy array from Python is several times slower.
        self.scores = scores.tolist() if hasattr(scores, "tolist") else [float(s) for s in scores]
        self.types = types.tolist() if hasattr(types, "tolist") else [int(t) for t in types]
        if not (len(self.tokens) == len(self.scores) == len(self.types)):
            raise ValueError("tokens, scores and token types differ in length")
        self.bos_id, self.eos_id = bos_id, eos_id
        self.chat_template: str | None = None  # the GGUF's tokenizer.chat_template, if any
        self.add_bos, self.add_eos, self.add_space_prefix = add_bos, add_eos, add_space_prefix
        # Like llama.cpp: a later duplicate piece wins the text -> id map.
        self._ids = {piece: i for i, piece in enumerate(self.tokens)}
        self._byte_ids = [self._byte_token(b) for b in range(256)]
        # llama.cpp treats some tokens as control tokens by their text whatever their GGUF type
        # (end of turn, fill-in-the-middle...), and ends generation at a subset of them.
        self._control = {i for i, t in enumerate(self.types) if t in (CONTROL, UNKNOWN)}
        self._control.update(self._ids[t] for t in CONTROL_TEXTS if t in self._ids)
        self.eot_ids = {*eot_ids, *(i for i in (eos_id,) if i is not None)}
        self.eot_ids.update(self._ids[t] for t in EOG_TEXTS if t in self._ids)
        s_id = self._ids.get("</s>")
        if s_id is not None and ("<|tool_response>" in self._ids or "<|plamo:eos|>" in self._ids):
            self._control.discard(s_id)  # llama.cpp: a normal token in these vocabularies
            self.eot_ids.discard(s_id)
            self.types[s_id] = NORMAL
        # Not text in a reply: control tokens and the media markers among user-defined ones.
        self._hidden = self._control | {
            i for i, t in enumerate(self.types)
            if t == USER_DEFINED and MEDIA_MARKER.fullmatch(self.tokens[i])}
        # Characters c for which "c▁" occurs inside some piece: no cut before such a ▁.
        glued = {p[p.index(SPACE, 1) - 1] for p in self.tokens if SPACE in p[1:]}
        before = "[^" + "".join(re.escape(c) for c in sorted(glued)) + "]" if glued else r"[\s\S]"
        self._cut = re.compile(f"(?<={before})(?={SPACE})")
        self._cache: dict[str, tuple[int, ...]] = {}
        self._pairs: set[str] | None = None
        self._matchers: dict[bool, Any] = {}
        self._decoded: dict[int, bytes] = {}

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_metadata(cls, md: Mapping[str, Any]) -> Tokenizer:
        """Build from GGUF key/values (`tokenizer.ggml.*`); refuses non-SPM vocabularies."""
        from llmcli.core.errors import LocalModelError

        kind = str(md.get("tokenizer.ggml.model", "llama"))
        if kind != "llama":
            raise LocalModelError(
                f"tokenizer type '{kind}' is not supported",
                hint="supported: 'llama' (SentencePiece) vocabularies, e.g. Gemma 3",
            )

        def opt_int(key: str) -> int | None:
            value = md.get(key)
            return None if value is None else int(value)

        tokens = md["tokenizer.ggml.tokens"]
        types = md.get("tokenizer.ggml.token_type")
        scores = md.get("tokenizer.ggml.scores")
        ends = ("tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id")
        eot = [i for i in map(opt_int, ends) if i is not None]
        tokenizer = cls(
            tokens,
            [0.0] * len(tokens) if scores is None else scores,
            [NORMAL] * len(tokens) if types is None else types,
            bos_id=opt_int("tokenizer.ggml.bos_token_id"),
            eos_id=opt_int("tokenizer.ggml.eos_token_id"),
            add_bos=bool(md.get("tokenizer.ggml.add_bos_token", True)),
            add_eos=bool(md.get("tokenizer.ggml.add_eos_token", False)),
            # llama.cpp's default for SPM vocabularies is a space prefix unless the file says not.
            add_space_prefix=bool(md.get("tokenizer.ggml.add_space_prefix", True)),
            eot_ids=eot,
        )
        template = md.get("tokenizer.chat_template")
        tokenizer.chat_template = str(template) if template else None
        return tokenizer

    @classmethod
    def from_gguf(cls, path: Any) -> Tokenizer:
        """Read the vocabulary straight from a GGUF header (about 0.2 s, no weights read)."""
        from llmcli.local.gguf_meta import read_metadata

        return cls.from_metadata(read_metadata(path))

    def _byte_token(self, b: int) -> int | None:
        found = self._ids.get(f"<0x{b:02X}>")
        return found if found is not None else self._ids.get(chr(b)) if b < 128 else None

    # -- queries ------------------------------------------------------------------------------
    @property
    def vocab_size(self) -> int:
        return len(self.tokens)

    def piece(self, token_id: int) -> str:
        """The raw vocabulary piece, e.g. '▁cat', '<0xE2>', '<start_of_turn>'."""
        return self.tokens[token_id]

    def readable(self, token_id: int) -> str:
        """The piece for display: '▁' kept, raw spaces '␣', newlines and tabs escaped."""
        piece = self.tokens[token_id]
        if self.types[token_id] == BYTE:
            return piece
        return "".join(_VISIBLE.get(c, c) for c in piece)

    @property
    def control_ids(self) -> frozenset[int]:
        """Control tokens (end of turn, BOS...): never text, so a grammar never matches them."""
        return frozenset(self._control)

    def is_hidden(self, token_id: int) -> bool:
        """Not text: left out of a decoded reply (control tokens and media markers)."""
        return token_id in self._hidden

    def is_special(self, token_id: int) -> bool:
        """Control and unknown tokens: never produced from text unless `special=True`."""
        return token_id in self._control

    def token_id(self, piece: str) -> int | None:
        return self._ids.get(piece)

    # -- encoding -----------------------------------------------------------------------------
    def encode(self, text: str, *, add_bos: bool | None = None, special: bool = False) -> list[int]:
        """Text -> ids. `special=True` turns control-token text such as '<start_of_turn>' into
        its token (for chat templates); otherwise it is tokenized as plain text."""
        out: list[int] = []
        for ids in self.encode_iter([text], add_bos=add_bos, special=special):
            out.extend(ids)
        return out

    def encode_iter(
        self, chunks: Iterable[str], *, add_bos: bool | None = None, special: bool = False
    ) -> Iterator[list[int]]:
        """Stream text given in arbitrary pieces (a file read block by block) into ids.

        Text is held back only up to the last point where no vocabulary piece can span the cut,
        so the concatenated output equals `encode` of the whole text.
        """
        if self.add_bos if add_bos is None else add_bos:
            if self.bos_id is None:
                raise ValueError("this vocabulary has no BOS token")
            yield [self.bos_id]
        prev_special = True  # a space prefix goes at the start and after each special token
        pending = ""
        for chunk in chunks:
            pending += chunk
            cut = self._last_safe_cut(pending) if len(pending) > 4096 else 0
            if cut > 0:
                ids, prev_special = self._encode_text(pending[:cut], special, prev_special)
                pending = pending[cut:]
                yield ids
        if pending:
            yield self._encode_text(pending, special, prev_special)[0]
        if self.add_eos and self.eos_id is not None:
            yield [self.eos_id]

    def count(self, text: str | Iterable[str], *, special: bool = False) -> int:
        """How many tokens a text (or a stream of text pieces) takes, without a BOS."""
        chunks = [text] if isinstance(text, str) else text
        return sum(len(ids) for ids in self.encode_iter(chunks, add_bos=False, special=special))

    def _encode_text(self, text: str, special: bool, prev_special: bool) -> tuple[list[int], bool]:
        out: list[int] = []
        for fragment in self._partition(text, special):
            if isinstance(fragment, int):
                out.append(fragment)
                prev_special = True
                continue
            if self.add_space_prefix and prev_special:
                fragment = " " + fragment
            self._encode_raw(fragment.replace(" ", SPACE), out)
            prev_special = False
        return out, prev_special

    def _encode_raw(self, text: str, out: list[int]) -> None:
        cache = self._cache
        for chunk in self._cut.split(text):
            ids = cache.get(chunk)
            if ids is None:
                if len(chunk) > _LONG_CHUNK:
                    ids = tuple(i for part in self._fine_cut(chunk) for i in self._spm(part))
                else:
                    ids = self._spm(chunk)
                if len(cache) >= _CACHE_LIMIT:
                    cache.clear()
                cache[chunk] = ids
            out.extend(ids)

    def _spm(self, text: str) -> tuple[int, ...]:
        """llama.cpp's llm_tokenizer_spm_session.tokenize on one chunk of escaped text.

        A symbol is named by its first character's index: merging only ever extends a symbol
        to the right, so symbol i spans text[i : i + size[i]] and its right neighbour is at
        i + size[i].
        """
        get, scores = self._ids.get, self.scores
        n = len(text)
        if n <= 1:
            single = get(text)
            return (single,) if single is not None else self._bytes_of(text)
        size = [1] * n
        prev = list(range(-1, n - 1))
        # Best score first; on a tie the leftmost pair, as llama.cpp's comparator does.
        heap = []
        for i in range(1, n):
            tid = get(text[i - 1 : i + 1])
            if tid is not None:
                heap.append((-scores[tid], i - 1, i, 2))
        heapq.heapify(heap)
        pop, push = heapq.heappop, heapq.heappush
        while heap:
            _, left, right, length = pop(heap)
            if size[left] == 0 or size[right] == 0 or size[left] + size[right] != length:
                continue  # one side was merged away since this pair was queued
            size[left] = length
            size[right] = 0
            after = left + length
            if after < n:
                prev[after] = left
                tid = get(text[left : after + size[after]])
                if tid is not None:
                    push(heap, (-scores[tid], left, after, length + size[after]))
            before = prev[left]
            if before >= 0:
                tid = get(text[before:after])
                if tid is not None:
                    push(heap, (-scores[tid], before, left, after - before))
        out: list[int] = []
        i = 0
        while i < n:
            piece = text[i : i + size[i]]
            tid = get(piece)
            if tid is not None:
                out.append(tid)
            else:
                out.extend(self._bytes_of(piece))
            i += size[i]
        return tuple(out)

    def _bytes_of(self, text: str) -> tuple[int, ...]:
        out = []
        for b in text.encode("utf-8", "surrogatepass"):
            tid = self._byte_ids[b]
            if tid is None:
                raise ValueError(f"byte 0x{b:02X} has no token in this vocabulary")
            out.append(tid)
        return tuple(out)

    # -- safe cut points ----------------------------------------------------------------------
    def _pair_set(self) -> set[str]:
        """Every two-character string that occurs inside a piece (spaces as ' ' and as '▁')."""
        if self._pairs is None:
            pairs: set[str] = set()
            for piece in self.tokens:
                if len(piece) > 1:
                    pairs.update(piece[i : i + 2] for i in range(len(piece) - 1))
            # Raw text has ' ' where pieces have '▁': every mix of the two, too.
            spaced = [p for p in pairs if SPACE in p]
            for a, b in spaced:
                firsts, seconds = {a, a.replace(SPACE, " ")}, {b, b.replace(SPACE, " ")}
                pairs.update(x + y for x in firsts for y in seconds)
            self._pairs = pairs
        return self._pairs

    def _fine_cut(self, chunk: str) -> list[str]:
        pairs = self._pair_set()
        parts, begin = [], 0
        for i in range(1, len(chunk)):
            if chunk[i - 1 : i + 1] not in pairs:
                parts.append(chunk[begin:i])
                begin = i
        parts.append(chunk[begin:])
        return parts

    def _last_safe_cut(self, text: str) -> int:
        """The last index where raw text can be cut without changing its tokens (0: none)."""
        pairs = self._pair_set()
        for i in range(len(text) - 1, max(0, len(text) - 65536), -1):
            if text[i - 1 : i + 1] not in pairs:
                return i
        return 0

    # -- special tokens -----------------------------------------------------------------------
    def _partition(self, text: str, special: bool) -> list[str | int]:
        """Cut special tokens out of the text: a list of raw strings and token ids."""
        matcher, specials = self._matcher(special)
        if not specials:
            return [text] if text else []
        if matcher is None:
            return partition_reference(text, specials, self._ids)
        out: list[str | int] = []
        pos = 0
        for m in matcher.finditer(text):
            if m.start() > pos:
                out.append(text[pos : m.start()])
            out.append(self._ids[m.group()])
            pos = m.end()
        if pos < len(text):
            out.append(text[pos:])
        return out

    def _matcher(self, special: bool) -> tuple[Any, list[str]]:
        if special not in self._matchers:
            # Control tokens only when asked; user-defined ones always (as llama.cpp does).
            control = self._control
            wanted = {i for i, t in enumerate(self.types) if t == USER_DEFINED} - control
            if special:
                wanted |= control
            pieces = (self.tokens[i] for i in wanted if self.tokens[i])
            specials = sorted(pieces, key=lambda p: (-len(p), self._ids[p]))
            exact = bool(specials) and scan_is_exact(specials)
            regex = re.compile(trie_regex(specials)) if exact else None
            self._matchers[special] = (regex, specials)
        return self._matchers[special]

    # -- decoding -----------------------------------------------------------------------------
    def token_bytes(self, token_id: int, *, special: bool = True) -> bytes:
        """The bytes one token stands for; control tokens (and media markers) give their text
        only if `special`."""
        if not special and token_id in self._hidden:
            return b""
        found = self._decoded.get(token_id)
        if found is None:
            found = self._decoded[token_id] = self._piece_bytes(token_id)
        return found

    def _piece_bytes(self, i: int) -> bytes:
        piece, kind = self.tokens[i], self.types[i]
        if i in self._control or kind == USER_DEFINED:
            return piece.encode("utf-8", "surrogateescape")  # as written
        if kind == NORMAL:
            return piece.replace(SPACE, " ").encode("utf-8", "surrogateescape")
        if kind == BYTE:
            return bytes([int(piece[3:5], 16)]) if piece.startswith("<0x") else piece.encode()
        return b""  # unused and undefined tokens stand for nothing, as in llama.cpp

    def decode(self, ids: Iterable[int], *, special: bool = True) -> str:
        """Ids -> text. With `special` (the default) control tokens show as their text, so
        `decode(encode(x)) == x`; without, they are dropped (as in generated replies)."""
        data = b"".join(self.token_bytes(i, special=special) for i in ids)
        if self.add_space_prefix and data.startswith(b" "):
            data = data[1:]
        return data.decode("utf-8", "replace")

    def token_texts(self, ids: Sequence[int]) -> list[str]:
        """The text each token contributes; a character split over byte tokens is given to the
        last of them (the others get '')."""
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        return [decoder.decode(self.token_bytes(i)) for i in ids]

    def stream_decoder(self, *, special: bool = False) -> StreamDecoder:
        """An incremental decoder for generation: feed ids, get text as characters complete."""
        return StreamDecoder(self, special=special)


class StreamDecoder:
    """Turns ids into text one at a time, holding back incomplete UTF-8 sequences."""

    def __init__(self, tokenizer: Tokenizer, *, special: bool = False):
        self._tok = tokenizer
        self._special = special
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def feed(self, token_id: int) -> str:
        return self._decoder.decode(self._tok.token_bytes(token_id, special=self._special))

    def flush(self) -> str:
        return self._decoder.decode(b"", final=True)
