"""Grammar-constrained decoding: at every step a mask over the whole vocabulary keeps only the
tokens that can continue a document of the grammar (a JSON Schema, a regular expression, a
choice list), so even a 270M model returns valid output by construction.

The engine is llguidance (see BENCHMARKS.md, "Grammar engines": the fastest mask of the three
measured on this 262,144-token vocabulary, no torch dependency, and it builds from our own
tokenizer). Its tokenizer adapter is built once per tokenizer (about a second) and kept.
"""

from __future__ import annotations

import json
import weakref
from typing import TYPE_CHECKING, Any

import numpy as np

from llmcli.core.errors import InvalidInput

if TYPE_CHECKING:
    from llmcli.local.tokenizer import Tokenizer

# The JSON the model writes: the separators people read, no free whitespace (which a small
# model can fill with newlines until max_tokens runs out).
_JSON_STYLE = {"whitespace_flexible": False, "item_separator": ", ", "key_separator": ": "}
MAX_REGEX_CHARS = 2_000


def vocabulary_bytes(tok: Tokenizer) -> list[bytes]:
    """Each token's bytes; control tokens prefixed with 0xFF, llguidance's mark for tokens
    that no grammar text can match (they are only ever allowed as end-of-sequence)."""
    control = tok.control_ids
    out = []
    for i in range(tok.vocab_size):
        b = tok.token_bytes(i)
        out.append(b"\xff" + b if i in control else b)
    return out


class _Wrapped:
    """The shape llguidance.TokenizerWrapper reads: tokens, eos, bos, and an encoder."""

    def __init__(self, tok: Tokenizer):
        self._tok = tok
        self.eos_token_id = tok.eos_id
        self.bos_token_id = tok.bos_id
        self.tokens = vocabulary_bytes(tok)
        self.special_token_ids = sorted(tok.control_ids)

    def __call__(self, s: str | bytes) -> list[int]:
        text = s.decode("utf-8", "replace") if isinstance(s, bytes) else s
        return self._tok.encode(text, add_bos=False)


class GrammarEngine:
    """Compiles grammars for one tokenizer; makes a fresh `GrammarStage` per reply."""

    def __init__(self, tok: Tokenizer):
        self.tok = tok
        self._llt: Any = None

    def llg_tokenizer(self) -> Any:
        if self._llt is None:
            import llguidance

            self._llt = llguidance.LLTokenizer(
                llguidance.TokenizerWrapper(_Wrapped(self.tok)),
                eos_token=sorted(self.tok.eot_ids),
            )
        return self._llt

    def json_schema(self, schema: dict[str, Any]) -> GrammarStage:
        import llguidance

        grammar = llguidance.LLMatcher.grammar_from_json_schema(
            json.dumps(schema, ensure_ascii=False), defaults=_JSON_STYLE)
        return self._stage(grammar, "schema")

    def regex(self, pattern: str) -> GrammarStage:
        import llguidance

        if len(pattern) > MAX_REGEX_CHARS:
            raise InvalidInput(f"the regular expression is over {MAX_REGEX_CHARS} characters")
        return self._stage(llguidance.LLMatcher.grammar_from_regex(pattern), "regex")

    def _stage(self, grammar: str, what: str) -> GrammarStage:
        import llguidance

        matcher = llguidance.LLMatcher(self.llg_tokenizer(), grammar, log_level=0)
        if matcher.is_error():
            raise InvalidInput(f"the {what} cannot be used for constrained decoding: "
                               f"{matcher.get_error().splitlines()[0]}")
        return GrammarStage(matcher, self.tok.vocab_size)


class GrammarStage:
    """One reply's grammar state: which tokens may come next, and the token that did."""

    def __init__(self, matcher: Any, vocab: int):
        self.matcher = matcher
        self.vocab = vocab
        self._bits = np.full((1, (vocab + 31) // 32), -1, dtype=np.int32)

    def allowed_mask(self) -> np.ndarray:
        """Booleans [vocab]: True where the token keeps the output inside the grammar."""
        from llguidance.numpy import fill_next_token_bitmask

        fill_next_token_bitmask(self.matcher, self._bits)
        if self.matcher.is_error():
            raise _too_complex(self.matcher)
        bits = np.unpackbits(self._bits[0].view(np.uint8), bitorder="little")
        return bits[: self.vocab].astype(bool)

    def apply(self, logits: np.ndarray) -> np.ndarray:
        """Logits with every disallowed token at -inf (a copy)."""
        mask = self.allowed_mask()
        out = np.array(logits, dtype=np.float32)
        out[~mask] = -np.inf
        return out

    def advance(self, token: int) -> None:
        if not self.matcher.consume_token(token):
            raise _too_complex(self.matcher)

    def accepting(self) -> bool:
        """True when what was produced so far is a complete document."""
        return bool(self.matcher.is_accepting())


def _too_complex(matcher: Any) -> InvalidInput:
    # llguidance stops (it never hangs) when a grammar outgrows its limits, mid-reply.
    detail = " ".join(str(matcher.get_error()).split("<state>")[0].split())[:160]
    return InvalidInput(f"the grammar engine gave up on this schema or regex: {detail}",
                        hint="simplify the --schema or --regex (fewer or smaller repetitions)")


_engines: weakref.WeakKeyDictionary[Any, GrammarEngine] = weakref.WeakKeyDictionary()


def engine_for(tok: Tokenizer) -> GrammarEngine:
    """The engine of this tokenizer, built once per process."""
    found = _engines.get(tok)
    if found is None:
        found = _engines[tok] = GrammarEngine(tok)
    return found
