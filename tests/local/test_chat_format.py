"""Chat formatting for local models: transcript, chat templates, raw text, stop strings."""

from __future__ import annotations

import pytest

from llmcli.core.errors import InvalidInput
from llmcli.core.messages import ChatRequest, Message
from llmcli.local.chat_format import (
    PRIMER,
    TRANSCRIPT_STOPS,
    StopMatcher,
    build_prompt,
    transcript,
)

GEMMA_LIKE = (
    "{{ bos_token }}{% for m in messages %}"
    "{% if m['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}"
    "<start_of_turn>{{ 'model' if m['role'] == 'assistant' else m['role'] }}\n"
    "{{ m['content'] | trim }}<end_of_turn>\n{% endfor %}"
    "{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)


def request(*messages: tuple[str, str], raw: bool = False) -> ChatRequest:
    turns = [Message(role=r, content=c) for r, c in messages]  # type: ignore[arg-type]
    return ChatRequest(model="m", messages=turns, raw=raw)


def test_transcript_for_a_base_model() -> None:
    req = request(("user", "Hi"), ("assistant", "Hello!"), ("user", "What is 2+2?"))
    prompt = build_prompt(req, template=None)
    assert prompt.kind == "transcript" and prompt.add_bos and not prompt.special
    assert prompt.text.startswith(PRIMER)
    assert prompt.text.endswith("User: Hi\nAssistant: Hello!\n\nUser: What is 2+2?\nAssistant:")
    assert prompt.stop == list(TRANSCRIPT_STOPS) and prompt.repetition_penalty > 1


def test_system_message_replaces_the_primer() -> None:
    text = transcript(request(("system", "You are a pirate."), ("user", "Hi")))
    assert text.startswith("You are a pirate.\n") and PRIMER not in text
    assert text.endswith("User: Hi\nAssistant:")


def test_raw_sends_the_text_as_is() -> None:
    prompt = build_prompt(request(("user", "  Once upon a time"), raw=True), template=GEMMA_LIKE)
    assert (prompt.text, prompt.kind, prompt.stop, prompt.repetition_penalty) == (
        "  Once upon a time", "raw", [], None,
    )


def test_chat_template_is_rendered_and_writes_its_own_bos() -> None:
    req = request(("user", "Hi"), ("assistant", "Hello"), ("user", "Bye"))
    prompt = build_prompt(req, template=GEMMA_LIKE, bos_token="<bos>", eos_token="<eos>")
    assert prompt.text == (
        "<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello<end_of_turn>\n"
        "<start_of_turn>user\nBye<end_of_turn>\n<start_of_turn>model\n"
    )
    assert prompt.special and not prompt.add_bos and prompt.kind == "template"


def test_template_errors_are_one_line() -> None:
    with pytest.raises(InvalidInput, match="System role not supported"):
        build_prompt(request(("system", "x"), ("user", "y")), template=GEMMA_LIKE)
    with pytest.raises(InvalidInput, match="cannot be rendered"):
        build_prompt(request(("user", "y")), template="{% for %}")


def test_template_runs_sandboxed() -> None:
    evil = "{{ ''.__class__.__mro__[1].__subclasses__() }}"
    with pytest.raises(InvalidInput, match="cannot be rendered"):
        build_prompt(request(("user", "y")), template=evil)


@pytest.mark.parametrize(
    ("pieces", "expected"),
    [
        ([" Paris", ".", "\n", "\n", "User", ":"], ["Paris", "."]),
        ([" Paris", ".", "\n", " "], ["Paris", "."]),  # trailing whitespace trimmed
        ([" Paris", ".", "\n\n", "User"], ["Paris", ".", "\n\nUser"]),  # not a stop after all
        ([" a", " b", "\n", "c"], ["a", " b", "\nc"]),  # a newline inside the reply stays
        ([" x", "\nUs", "er: more"], ["x"]),  # a stop split over tokens
    ],
)
def test_stop_matcher_holds_back_possible_stops(pieces: list[str], expected: list[str]) -> None:
    matcher = StopMatcher(list(TRANSCRIPT_STOPS), trim=True)
    out = [matcher.feed(p) for p in pieces] + [matcher.flush()]
    assert [o for o in out if o] == expected


def test_stop_matcher_without_trim_keeps_whitespace() -> None:
    matcher = StopMatcher(["END"])
    out = [matcher.feed(p) for p in [" one ", "E", "N", "two"]] + [matcher.flush()]
    assert "".join(out) == " one ENtwo" and not matcher.stopped
    matcher = StopMatcher(["END"])
    assert [matcher.feed(p) for p in ["a E", "ND b"]] == ["a ", ""] and matcher.stopped
