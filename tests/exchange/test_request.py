"""exchange.request: the one place a ChatRequest is built and options are validated."""

from __future__ import annotations

import pytest

from llmcli.core.errors import InvalidInput, Unsupported
from llmcli.core.messages import Message
from llmcli.core.options import Options
from llmcli.core.registry import ModelRef
from llmcli.exchange.request import (
    accepted_options,
    build_request,
    options_model,
    resolve_embedding,
    resolve_request,
    validate_options,
)

OPENAI = ModelRef("openai", "gpt-4o-mini", "openai")
MESSAGES = [Message(role="user", content="Olá, tudo bem? 🙂")]


def test_options_are_validated_against_the_models_provider():
    assert options_model(OPENAI).__name__ == "OpenAIOptions"
    assert validate_options(OPENAI, {"temperature": "0.2"}).temperature == 0.2
    with pytest.raises(InvalidInput) as exc:
        validate_options(OPENAI, {"temprature": 1})
    assert exc.value.exit_code == 2 and "temprature" in exc.value.one_line()


def test_accepted_options_keep_what_the_provider_takes():
    kept, refused = accepted_options(OPENAI, {"temperature": 0.5, "min_p": 0.1})
    assert kept == {"temperature": 0.5} and refused == ["min_p"]


def test_build_request_takes_raw_values_or_validated_options():
    r = build_request(OPENAI, MESSAGES, {"max_tokens": "5"})
    assert (r.model, r.raw, r.options.max_tokens) == ("gpt-4o-mini", False, 5)
    assert r.messages[0].content == "Olá, tudo bem? 🙂"
    same = Options(max_tokens=5)
    assert build_request(OPENAI, MESSAGES, same).options is same
    with pytest.raises(InvalidInput):
        build_request(OPENAI, MESSAGES, {"nope": 1})


def test_resolve_request_resolves_the_spec_first():
    from llmcli.app_context import AppContext
    from tests.chat.conftest import make_app

    app: AppContext = make_app()
    ref, r = resolve_request(app.registry, "openai:gpt-4o", MESSAGES, {"seed": 7})
    assert str(ref) == "openai:gpt-4o" and r.model == "gpt-4o" and r.options.seed == 7


def test_a_provider_without_embeddings_is_refused_naming_those_that_have_them():
    from tests.chat.conftest import make_app

    with pytest.raises(Unsupported) as exc:
        resolve_embedding(make_app().registry, "groq")
    assert "has no embeddings" in exc.value.one_line() and "gemini" in exc.value.one_line()


def test_an_option_the_provider_refuses_names_the_providers_that_take_it():
    for ref in (OPENAI, ModelRef("groq", "openai/gpt-oss-20b", "groq")):
        with pytest.raises(InvalidInput) as exc:
            validate_options(ref, {"top_k": 3})
        assert exc.value.one_line() == (
            f"{ref.provider} does not take the option 'top_k' "
            "(providers that take it: gemini, local, OpenAI-compatible endpoints)")
    with pytest.raises(InvalidInput) as exc:
        validate_options(OPENAI, {"min_p": 0.1})
    assert exc.value.one_line() == ("openai does not take the option 'min_p' "
                                    "(providers that take it: local)")
    endpoint = ModelRef("ollama", "llama3", "openai")  # a compatible server takes top_k
    assert validate_options(endpoint, {"top_k": 3}).top_k == 3


def test_raw_on_a_provider_without_completion_mode_is_refused():
    with pytest.raises(Unsupported) as exc:
        build_request(OPENAI, MESSAGES, raw=True)
    assert exc.value.one_line() == ("openai has no completion mode for --raw "
                                    "(providers that have it: local)")
    local = ModelRef("local", "gemma-3-270m", "local")
    assert build_request(local, MESSAGES, raw=True).raw
