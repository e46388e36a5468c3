"""The optional llama.cpp backend, through llama-cpp-python (`pip install 'llmcli[llamacpp]'`).

It offers the same small surface as the numpy engine (`LocalModel` / `Session` in model.py),
so the decoding loop (generate.py) and the sampler (sampling.py) are shared and the two engines
differ only in who computes the logits. Choices, each measured on a 2-core machine:

- threads: llama-cpp-python defaults to half the cores for generation; we pass every core for
  both generation and prompt batches (about 1.6x faster decoding here).
- no `logits_all`: keeping every position's logits doubles memory and crawls. We read only the
  last position's logits after each evaluation (`llama_get_logits_ith(ctx, -1)`).
- flash attention on, as llama.cpp's own default ("auto") resolves on a CPU.
- silence: `verbose=False` still lets a KV-cache warning through to stderr, so a no-op log
  callback is installed before the first model is opened.
- safety: on a CPU with Intel AMX the model is opened without llama.cpp's extra weight buffers
  (its AMX path crashes there; see llamacpp_guard.py), and the provider runs llama.cpp only
  after a probe child survived a two-token batch on this build and CPU.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from llmcli.core.errors import ContextTooLong, InvalidInput, LocalModelError

INSTALL_COMMAND = "pip install 'llmcli[llamacpp]'"
_log_callback: Any = None  # kept referenced: llama.cpp calls it for the life of the process


def available() -> bool:
    """True when llama-cpp-python is installed (checked without importing it)."""
    if "llama_cpp" in sys.modules:
        return sys.modules["llama_cpp"] is not None  # None: import blocked on purpose
    try:
        return importlib.util.find_spec("llama_cpp") is not None
    except (ImportError, ValueError):
        return False


def import_llama_cpp() -> Any:
    """Import llama_cpp with its logging silenced, or say how to install it."""
    global _log_callback
    try:
        import llama_cpp
    except ImportError:
        raise LocalModelError(
            "the llamacpp engine needs llama-cpp-python, which is not installed",
            hint=f"install it with: {INSTALL_COMMAND} (it compiles llama.cpp, about 12 minutes), "
            "or use -o engine=numpy",
        ) from None
    if _log_callback is None:
        _log_callback = llama_cpp.llama_log_callback(lambda level, text, user_data: None)
        llama_cpp.llama_log_set(_log_callback, ctypes.c_void_p(0))
    return llama_cpp


def dequantize_gguf(source: Path | str, target: Path | str, *, threads: int | None = None) -> Path:
    """Write a copy of a GGUF with every tensor in float32, with llama.cpp's own dequantizer
    (a few seconds). llama.cpp running that copy computes in float32 throughout, which makes it
    an exact reference for the numpy engine; on quantized files llama.cpp also quantizes the
    activations to 8 bits inside its matrix products."""
    lib = import_llama_cpp()
    params = lib.llama_model_quantize_default_params()
    params.ftype = lib.LLAMA_FTYPE_ALL_F32
    params.allow_requantize = True
    params.nthread = threads or os.cpu_count() or 1
    target = Path(target)
    tmp = target.with_name(f".{target.name}.tmp")
    code = lib.llama_model_quantize(str(source).encode(), str(tmp).encode(), ctypes.byref(params))
    if code != 0 or not tmp.is_file():
        tmp.unlink(missing_ok=True)
        raise LocalModelError(f"llama.cpp could not dequantize {source} (code {code})")
    os.replace(tmp, target)
    return target


class LlamaCppModel:
    """A GGUF opened by llama.cpp: one context (one KV cache), so one live session at a time."""

    def __init__(
        self,
        path: Path | str,
        *,
        n_ctx: int = 8192,
        n_threads: int | None = None,
        n_batch: int = 512,
        vocab_only: bool = False,
        embedding: bool = False,
        amx: bool | None = None,
    ):
        """`amx`: whether to apply the AMX workaround (None: when this CPU has AMX)."""
        llama_cpp = import_llama_cpp()
        path = Path(path)
        if not path.is_file():
            raise LocalModelError(f"model file not found: {path}", hint="check the path")
        threads = n_threads or os.cpu_count() or 1
        from llmcli.local.llamacpp_guard import safe_model_params

        try:
            with safe_model_params(llama_cpp, amx=amx) as self.amx_workaround:
                self.llm = llama_cpp.Llama(
                    model_path=str(path),
                    n_ctx=n_ctx,
                    n_batch=n_batch,
                    n_ubatch=n_batch,
                    n_threads=threads,
                    n_threads_batch=threads,
                    vocab_only=vocab_only,
                    embedding=embedding,
                    logits_all=False,
                    flash_attn=True,  # llama.cpp's "auto" on a CPU (llama-bench's default)
                    verbose=False,
                )
        except (ValueError, RuntimeError, OSError) as exc:
            raise LocalModelError(
                f"llama.cpp cannot load {path.name}: {exc}",
                hint="check that the file is a complete GGUF of a supported architecture",
            ) from None
        self._lib = llama_cpp
        self.path = path
        self.n_threads = threads
        self.n_vocab = int(self.llm.n_vocab())
        self.n_ctx = 0 if vocab_only else int(self.llm.n_ctx())
        self._vocab = llama_cpp.llama_model_get_vocab(self.llm.model)
        self._session: LlamaCppSession | None = None

    @property
    def metadata(self) -> dict[str, str]:
        """GGUF key/values as llama.cpp reports them (strings; large arrays left out)."""
        return dict(self.llm.metadata)

    @property
    def chat_template(self) -> str | None:
        return self.llm.metadata.get("tokenizer.chat_template")

    # -- tokens ------------------------------------------------------------------------------
    def tokenize(self, text: str, *, add_bos: bool = True, special: bool = False) -> list[int]:
        """llama.cpp's own tokenizer (the reference our tokenizer is tested against)."""
        return list(self.llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=special))

    def token_bytes(self, token_id: int, *, special: bool = False) -> bytes:
        buf = ctypes.create_string_buffer(64)
        n = self._lib.llama_token_to_piece(self._vocab, token_id, buf, len(buf), 0, special)
        if n < 0:
            buf = ctypes.create_string_buffer(-n)
            n = self._lib.llama_token_to_piece(self._vocab, token_id, buf, len(buf), 0, special)
        return buf.raw[:n]

    def detokenize(self, ids: Sequence[int], *, special: bool = False) -> str:
        return self.llm.detokenize(list(ids), special=special).decode("utf-8", "replace")

    # -- evaluation --------------------------------------------------------------------------
    def new_session(self, max_context: int | None = None) -> LlamaCppSession:
        """A session over the model's single context; an earlier session becomes unusable."""
        if self.n_ctx == 0:
            raise InvalidInput("this model was opened for its vocabulary only")
        if self._session is not None:
            self._session._closed = True
        limit = self.n_ctx if max_context is None else min(int(max_context), self.n_ctx)
        self._session = LlamaCppSession(self, limit)
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session._closed = True
        self.llm.close()


class LlamaCppSession:
    """The numpy `Session` surface on llama.cpp: feed ids, read the last logits, rewind."""

    def __init__(self, model: LlamaCppModel, max_context: int):
        self.model = model
        self.max_context = max_context
        self.tokens: list[int] = []
        self._closed = False
        self._fresh = False  # the context's last logits belong to self.tokens[-1]
        model.llm.reset()

    @property
    def pos(self) -> int:
        return len(self.tokens)

    def feed(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """Evaluate `ids` after the current position; logits [vocab] of the last one."""
        ids = [int(i) for i in ids]
        if not ids:
            raise InvalidInput("nothing to feed: the token list is empty")
        if self._closed:
            raise InvalidInput("this llama.cpp session was replaced by a newer one")
        bad = [i for i in ids if not 0 <= i < self.model.n_vocab]
        if bad:
            last = self.model.n_vocab - 1
            raise InvalidInput(f"token id {bad[0]} is outside the vocabulary (0..{last})")
        over = self.pos + len(ids) - self.max_context
        if over > 0:
            raise ContextTooLong(
                f"{self.pos + len(ids)} tokens exceed the context of {self.max_context} by {over}",
                hint="shorten the prompt or start a new conversation",
            )
        llm = self.model.llm
        llm.n_tokens = self.pos  # eval() drops cached positions from n_tokens on
        llm.eval(ids)
        self.tokens.extend(ids)
        self._fresh = True
        return self._read_logits()

    def last_logits(self) -> np.ndarray:
        if not self.tokens:
            raise InvalidInput("the session is empty: feed at least one token first")
        if not self._fresh:  # after a rewind: evaluate the last kept token again
            last = self.tokens.pop()
            return self.feed([last])
        return self._read_logits()

    def rewind(self, pos: int) -> None:
        if not 0 <= pos <= self.pos:
            raise InvalidInput(f"cannot rewind to {pos}: the session holds {self.pos} positions")
        if pos < self.pos:
            del self.tokens[pos:]
            self._fresh = False

    def _read_logits(self) -> np.ndarray:
        lib, n = self.model._lib, self.model.n_vocab
        pointer = lib.llama_get_logits_ith(self.model.llm.ctx, -1)
        # A copy: the next evaluation overwrites llama.cpp's buffer.
        return np.ctypeslib.as_array(pointer, shape=(n,)).copy()
