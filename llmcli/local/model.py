"""The numpy engine's public face: load a model, open sessions, feed tokens, read logits.

    model = LocalModel.load(gguf_path, cache_dir)     # first time converts (see gguf_cache)
    session = model.new_session()
    logits = session.feed(prompt_ids)                  # [vocab] for the last position
    logits = session.feed([next_id])                   # one more position, reusing the KV cache

A `Session` owns a KV cache and the list of token ids it has processed; `rewind` drops the
tail so a chat can reuse the shared prefix of the next turn.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from llmcli.core.errors import ContextTooLong, InvalidInput
from llmcli.local import forward as fw
from llmcli.local.blas import DecodeThreads, blas_threads
from llmcli.local.gguf_cache import open_model_cache
from llmcli.local.modelconfig import SUPPORTED_ARCHS, ModelConfig
from llmcli.local.weights import Weights, weights_from_tensors

__all__ = ["SUPPORTED_ARCHS", "LocalModel", "ModelConfig", "Session"]

# Prompts are processed in chunks of this many positions: big enough for matrix-matrix
# speed, small enough that the [heads, chunk, T] attention scores stay a few MB.
PREFILL_CHUNK = 256


class LocalModel:
    """A loaded model: config, tokenizer metadata and memory-mapped float32 weights."""

    def __init__(self, config: ModelConfig, metadata: dict[str, Any], weights: Weights,
                 cache_path: Path | None = None):
        self.config = config
        self.metadata = metadata
        self.weights = weights
        self.cache_path = cache_path
        self.decode_threads = DecodeThreads()

    @classmethod
    def load(
        cls,
        gguf_path: Path,
        cache_dir: Path,
        progress: Callable[[str, float], None] | None = None,
    ) -> LocalModel:
        """Open `gguf_path` through the weight cache in `cache_dir/weights/` (built on first use).

        Raises LocalModelError for a missing, corrupt or unsupported file and for a cache dir
        that cannot be written.
        """
        cached = open_model_cache(Path(gguf_path), Path(cache_dir), progress)
        weights = weights_from_tensors(cached.tensors, cached.config)
        return cls(cached.config, cached.metadata, weights, cached.directory)

    def new_session(self, max_context: int | None = None) -> Session:
        """A fresh KV cache for up to `max_context` positions (default: the model's context)."""
        limit = self.config.context_length if max_context is None else int(max_context)
        if limit < 1:
            raise InvalidInput(f"max_context must be positive, got {limit}")
        return Session(self, min(limit, self.config.context_length))

    def embedding_rows(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """The raw (unscaled) token-embedding rows of `ids` -> [n, d_model] float32 copy."""
        return np.array(self.weights.token_embedding[self._check_ids(ids)])

    def embedding_matrix(self) -> np.ndarray:
        """The whole [vocab, d_model] float32 embedding table (read-only, memory-mapped)."""
        return self.weights.token_embedding

    def logits_from_hidden(self, residual: np.ndarray) -> np.ndarray:
        """Final norm + output projection of residual-stream vectors ([.., d] -> [.., vocab]).
        Applied to an intermediate layer's residual this is the "logit lens"."""
        return fw.output_logits(self.weights, fw.final_norm(self.weights, self.config, residual))

    def _check_ids(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        array = np.asarray(ids)
        if array.size and not np.issubdtype(array.dtype, np.integer):
            raise InvalidInput("token ids must be integers")
        array = array.astype(np.int64).reshape(-1)
        bad = array[(array < 0) | (array >= self.config.vocab_size)]
        if bad.size:
            last = self.config.vocab_size - 1
            raise InvalidInput(f"token id {int(bad[0])} is outside the vocabulary (0..{last})")
        return array


class Session:
    """Incremental decoding state: the KV cache and the ids processed so far."""

    def __init__(self, model: LocalModel, max_context: int):
        self.model = model
        self.max_context = max_context
        self.cache = fw.KVCache(model.config, capacity=min(256, max_context), limit=max_context)
        self.tokens: list[int] = []
        self._last_residual: np.ndarray | None = None  # [d] before the final norm

    @property
    def pos(self) -> int:
        """Number of positions in the cache (the position the next token will take)."""
        return len(self.tokens)

    def feed(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """Process `ids` after the current position; logits [vocab] of the last one."""
        if len(ids) != 1:  # a prompt: row blocks split across cores by split_matmul
            with blas_threads(1):
                self._run(ids, keep_all=False)
                return self.last_logits()
        # One decode step: the thread count that has been fastest lately (see blas.py).
        policy = self.model.decode_threads
        mode = policy.pick()
        start = time.perf_counter()
        with blas_threads(mode):
            self._run(ids, keep_all=False)
            logits = self.model.logits_from_hidden(self._residual())
        policy.record(mode, time.perf_counter() - start)
        return logits

    def feed_all(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """Process `ids`; logits [n, vocab] for every new position (parity checks, logit lens)."""
        with blas_threads(1):
            residuals = self._run(ids, keep_all=True)
            return self.model.logits_from_hidden(residuals)

    def last_logits(self) -> np.ndarray:
        """Logits [vocab] predicting the token after the last processed one."""
        residual = self._residual()
        with blas_threads(1):  # one vector: split_matvec does the splitting
            return self.model.logits_from_hidden(residual)

    def hidden(self) -> np.ndarray:
        """Final-norm'd hidden state [d_model] of the last position (a pooled text vector)."""
        return fw.final_norm(self.model.weights, self.model.config, self._residual())

    def rewind(self, pos: int) -> None:
        """Forget every position from `pos` on; the cache keeps the first `pos` positions."""
        if not 0 <= pos <= self.pos:
            raise InvalidInput(f"cannot rewind to {pos}: the session holds {self.pos} positions")
        if pos < self.pos:
            del self.tokens[pos:]
            self._last_residual = None  # recomputed from the cache on demand

    def _residual(self) -> np.ndarray:
        if self._last_residual is None:
            if not self.tokens:
                raise InvalidInput("the session is empty: feed at least one token first")
            # After a rewind: re-run the last kept token (its cache entries are rewritten).
            last = self.tokens.pop()
            self._run([last], keep_all=False)
        assert self._last_residual is not None
        return self._last_residual

    def _run(self, ids: Sequence[int] | np.ndarray, keep_all: bool) -> np.ndarray:
        array = self.model._check_ids(ids)
        if array.size == 0:
            raise InvalidInput("nothing to feed: the token list is empty")
        over = self.pos + array.size - self.max_context
        if over > 0:
            raise ContextTooLong(
                f"{self.pos + array.size} tokens exceed the context of {self.max_context} "
                f"by {over}",
                hint="shorten the prompt or start a new conversation",
            )
        model = self.model
        outputs = []
        for lo in range(0, array.size, PREFILL_CHUNK):
            chunk = array[lo : lo + PREFILL_CHUNK]
            x = fw.forward(model.weights, model.config, chunk, self.pos, self.cache)
            self.tokens.extend(int(t) for t in chunk)
            self._last_residual = x[-1]
            if keep_all:
                outputs.append(x)
        return np.concatenate(outputs) if keep_all else self._last_residual
