"""The local provider on the real Gemma 3 270M: chat, completion, options, errors, extras.

The model is loaded once per module (its weight cache is shared by the whole test run, see
tests/conftest.py); replies are kept short.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from llmcli.core.errors import ContextTooLong, InvalidInput, LocalModelError, UnknownModel
from llmcli.core.events import Finish, TextDelta, TokenLogprobs, Usage
from llmcli.core.messages import ChatRequest, Message
from llmcli.core.options import validate_options
from llmcli.core.provider import Capability, ProviderSettings
from llmcli.local import llamacpp_backend, llamacpp_guard
from llmcli.providers import local as local_module
from llmcli.providers.local import LocalOptions, LocalProvider
from tests.conftest import shared_cache_dir

ENGINES = ["numpy", pytest.param("llamacpp", marks=[pytest.mark.llamacpp, pytest.mark.skipif(
    not llamacpp_backend.available(), reason="llama-cpp-python is not installed")])]  # fmt: skip


def make(**extra: Any) -> LocalProvider:
    settings = ProviderSettings(name="local", extra={"cache_dir": shared_cache_dir(), **extra})
    return LocalProvider(settings)


@pytest.fixture(scope="module")
def provider() -> LocalProvider:
    return make()


def ask(provider: LocalProvider, text: str, *, raw: bool = False,
        history: list[Message] | None = None, **options: Any) -> tuple[str, list[Any]]:
    request = ChatRequest(
        model="gemma-3-270m",
        messages=[*(history or []), Message(role="user", content=text)],
        options=validate_options(options, LocalOptions),
        raw=raw,
    )
    events = list(provider.chat(request))
    return "".join(e.text for e in events if isinstance(e, TextDelta)), events


# -- wiring -----------------------------------------------------------------------------------


def test_registered_without_a_key(tmp_path: Path) -> None:
    from llmcli.config import KeyStore, Paths, Settings
    from llmcli.core.registry import Registry, provider_class

    assert provider_class("local") is LocalProvider
    registry = Registry(Settings.load(Paths.from_env()), KeyStore(tmp_path / "keys.json"))
    ref = registry.resolve("local")
    assert (ref.provider, ref.model) == ("local", "gemma-3-270m")
    assert registry.resolve("local:/models/x.gguf").model == "/models/x.gguf"
    assert registry.settings_for(ref).api_key is None
    assert LocalProvider.capabilities == frozenset(Capability) - {Capability.BATCH_JOBS,
                                                                 Capability.TOOLS}


def test_options_are_validated() -> None:
    opts = validate_options(
        {"engine": "numpy", "min_p": "0.1", "repetition_penalty": "1.2", "top_logprobs": "3"},
        LocalOptions,
    )
    assert (opts.engine, opts.min_p, opts.repetition_penalty, opts.top_logprobs) == (
        "numpy", 0.1, 1.2, 3,
    )
    with pytest.raises(InvalidInput, match="engine"):
        validate_options({"engine": "gpu"}, LocalOptions)
    with pytest.raises(InvalidInput, match="min_p"):
        validate_options({"min_p": "2"}, LocalOptions)


def test_model_names_paths_and_config_entries(tmp_path: Path) -> None:
    p = make(models={"tiny": str(tmp_path / "tiny.gguf")})
    assert p.model_path("tiny") == tmp_path / "tiny.gguf"
    assert p.model_path("/abs/model.gguf") == Path("/abs/model.gguf")
    assert p.model_path(None).name == "gemma-3-270m-q4_k_m.gguf"
    with pytest.raises(UnknownModel, match="unknown local model 'nope'") as info:
        p.model_path("nope")
    assert "tiny" in info.value.one_line()
    assert [m.id for m in p.known_models()] == ["gemma-3-270m", "tiny"]


PROBE_OK = [sys.executable, "-c", "print('ok')"]
PROBE_CRASH = [sys.executable, "-c", "import ctypes; ctypes.string_at(0)"]  # a real SIGSEGV


def probe_with(monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> None:
    """llama.cpp 'installed', and its probe child replaced by `argv` (+ the model path)."""
    monkeypatch.setattr(llamacpp_backend, "available", lambda: True)
    monkeypatch.setattr(llamacpp_guard, "probe_command", lambda path: [*argv, str(path)])


def test_engine_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    p = make(engine="numpy")
    assert p.engine_for(None) == "numpy"
    monkeypatch.setattr(llamacpp_backend, "available", lambda: False)
    assert make().engine_for(None) == "numpy"
    probe_with(monkeypatch, PROBE_OK)
    assert make().engine_for(None) == "llamacpp"
    assert p.engine_for(LocalOptions(engine="llamacpp")) == "llamacpp"


def test_auto_falls_back_to_numpy_when_the_probe_child_crashes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    notices: list[str] = []
    probe_with(monkeypatch, PROBE_CRASH)
    p = make(notice=notices.append)
    assert p.engine_for(None) == "numpy"
    assert p.engine_for(None) == "numpy"
    assert len(notices) == 1  # said once per process
    assert notices[0].startswith("llama.cpp crashed (SIGSEGV) in a test run on this CPU")
    assert "using the numpy engine" in notices[0] and "engine = \"numpy\"" in notices[0]


def test_explicit_llamacpp_that_cannot_run_here_is_exit_14(
        monkeypatch: pytest.MonkeyPatch) -> None:
    probe_with(monkeypatch, PROBE_CRASH)
    with pytest.raises(LocalModelError) as info:
        make().engine_for(LocalOptions(engine="llamacpp"))
    assert info.value.exit_code == 14
    assert "crashed (SIGSEGV)" in info.value.one_line()
    assert "-o engine=numpy" in info.value.one_line()


def test_cli_prompt_falls_back_with_one_line_and_engine_llamacpp_fails(
        monkeypatch: pytest.MonkeyPatch, cli: Any) -> None:
    probe_with(monkeypatch, PROBE_CRASH)
    r = cli("prompt", "What is the capital of France?", "-o", "max_tokens=8")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.strip()
    lines = [ln for ln in r.stderr.splitlines() if "llama.cpp" in ln]
    assert len(lines) == 1 and "crashed (SIGSEGV)" in lines[0]
    assert "using the numpy engine" in lines[0]
    r = cli("prompt", "hi", "-o", "engine=llamacpp", "-o", "max_tokens=2")
    assert r.exit_code == 14
    assert r.stdout == "" and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "crashed (SIGSEGV)" in r.stderr


def test_llamacpp_engine_missing_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    with pytest.raises(LocalModelError) as info:
        ask(make(), "hi", engine="llamacpp", max_tokens=1)
    assert "pip install 'llmcli[llamacpp]'" in info.value.one_line()


def test_missing_and_foreign_files(tmp_path: Path) -> None:
    with pytest.raises(LocalModelError, match="not found"):
        make().tokenizer(str(tmp_path / "missing.gguf"))
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"\x00" * 64)
    with pytest.raises(LocalModelError, match="not a readable GGUF"):
        make().count_tokens("hi", str(junk))


def test_progress_hook_reports_first_conversion(tmp_path: Path) -> None:
    from tests.local.conftest import write_tiny_gguf

    tiny = write_tiny_gguf(tmp_path / "tiny.gguf")
    seen: list[tuple[str, float]] = []
    p = LocalProvider(ProviderSettings(name="local", extra={
        "cache_dir": str(tmp_path / "cache"), "progress": lambda s, f: seen.append((s, f))}))
    p.numpy_model(str(tiny))
    assert seen and seen[-1][1] == pytest.approx(1.0)
    module_seen: list[float] = []
    local_module.set_progress_hook(lambda s, f: module_seen.append(f))
    try:
        make(cache_dir=str(tmp_path / "cache2")).numpy_model(str(tiny))
    finally:
        local_module.set_progress_hook(None)
    assert module_seen and module_seen[-1] == pytest.approx(1.0)


# -- chat and completion on the real model ----------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
def test_chat_answers_the_capital_of_france(provider: LocalProvider, engine: str) -> None:
    for seed in (1, 2):
        text, events = ask(provider, "What is the capital of France?", engine=engine, seed=seed)
        assert "Paris" in text, text
        assert isinstance(events[-1], Finish) and events[-1].reason in ("stop", "length")
        usage = next(e for e in events if isinstance(e, Usage))
        assert usage.input_tokens and usage.input_tokens > 20 and usage.output_tokens


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
def test_same_seed_same_reply(engine: str) -> None:
    """A seed repeats a reply from run to run (each run a fresh session, as each command is).
    Within one llama.cpp session a reused prompt prefix is evaluated in other batch shapes,
    whose 8-bit activation rounding differs, so there a seed is not a promise."""
    options = dict(engine=engine, seed=7, temperature=1.0, max_tokens=12)
    first = ask(make(), "Tell me about the sea.", **options)[0]
    assert ask(make(), "Tell me about the sea.", **options)[0] == first


@pytest.mark.slow
def test_raw_completion_adds_nothing(provider: LocalProvider) -> None:
    """Raw text, greedy, no penalty: exactly the engine's own greedy continuation."""
    from llmcli.local.generate import generate
    from llmcli.local.sampling import Sampler, SamplingParams

    prompt = "The first five prime numbers are"
    text, events = ask(provider, prompt, raw=True, engine="numpy", temperature=0, max_tokens=8)
    tok = provider.tokenizer()
    ids = tok.encode(prompt)
    session = provider.numpy_model().new_session()
    expected = [t.id for t in generate(session, ids, Sampler(SamplingParams(temperature=0)), 8)]
    assert text == tok.decode(expected, special=False)
    usage = next(e for e in events if isinstance(e, Usage))
    assert (usage.input_tokens, usage.output_tokens) == (len(ids), 8)
    assert events[-1] == Finish("length")


@pytest.mark.slow
def test_stop_strings_and_logprobs(provider: LocalProvider) -> None:
    text, events = ask(provider, "1, 2, 3, 4, 5,", raw=True, engine="numpy", temperature=0,
                       stop=["8"], top_logprobs=3, max_tokens=16)
    assert text.startswith(" 6, 7,") and "8" not in text
    assert events[-1] == Finish("stop")
    logprobs = [e for e in events if isinstance(e, TokenLogprobs)]
    assert logprobs and all(len(e.top) == 3 for e in logprobs)
    for e in logprobs:  # greedy: the chosen token is the most likely one
        assert e.top[0][0] == e.token and e.logprob == pytest.approx(e.top[0][1])
        assert [lp for _, lp in e.top] == sorted((lp for _, lp in e.top), reverse=True)


@pytest.mark.slow
def test_follow_up_turn_reuses_cache_with_the_same_result(provider: LocalProvider) -> None:
    history = [Message(role="user", content="What is the capital of France?"),
               Message(role="assistant", content="Paris.")]
    options = dict(engine="numpy", temperature=0, max_tokens=10)
    warm = ask(provider, "And of Italy?", history=history, **options)[0]
    cold = ask(make(), "And of Italy?", history=history, **options)[0]
    assert warm == cold and warm


def test_prompt_over_the_context_says_by_how_much() -> None:
    p = make(context_length=64, engine="numpy")
    tok = p.tokenizer()
    text = "word " * 100
    n = len(tok.encode(text))
    with pytest.raises(ContextTooLong, match=f"{n - 64} over the context of 64"):
        ask(p, text, raw=True, max_tokens=4)


# -- tokens, embeddings and inspection ----------------------------------------------------------


def test_tokenize_count_and_detokenize(provider: LocalProvider) -> None:
    pairs = provider.tokenize("your cat is a lovely cat", "gemma-3-270m")
    assert [p for _, p in pairs][:2] == ["your", "▁cat"]
    assert provider.count_tokens("your cat is a lovely cat", "gemma-3-270m") == len(pairs)
    assert provider.detokenize([i for i, _ in pairs]) == "your cat is a lovely cat"
    with pytest.raises(InvalidInput, match="outside the vocabulary"):
        provider.detokenize([300_000])
    info = provider.token_info("a 🦙")
    assert [t["text"] for t in info] == ["a", " ", "", "", "", "🦙"]
    assert info[2]["readable"] == "<0xF0>"


@pytest.mark.slow
def test_sentence_embeddings(provider: LocalProvider) -> None:
    texts = ["The cat sat on the mat.", "A kitten was sitting on the rug.",
             "Quarterly revenue rose five percent."]
    vectors = np.array(provider.embed(texts, "gemma-3-270m"))
    assert vectors.shape == (3, 640) and np.isfinite(vectors).all()
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    sim = unit @ unit.T
    assert sim[0, 1] > sim[0, 2] and sim[0, 1] > sim[1, 2]
    again = np.array(provider.embed(texts[:1], "gemma-3-270m"))
    np.testing.assert_allclose(again[0], vectors[0], rtol=1e-5)


@pytest.mark.slow
def test_inspection_calls(provider: LocalProvider) -> None:
    top = provider.next_token_logprobs("The capital of France is", top=5, engine="numpy")
    assert "▁Paris" in [piece for _, piece, _ in top]
    assert [lp for *_, lp in top] == sorted((lp for *_, lp in top), reverse=True)
    rows = provider.embedding_rows([9079, 9079, 5866])
    assert rows.shape == (3, 640) and np.array_equal(rows[0], rows[1])
    trace = provider.trace("Hello world")
    assert trace.n_layers == 18 and trace.attention[0].shape == (4, 3, 3)
