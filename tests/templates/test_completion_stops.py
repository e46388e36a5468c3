"""A completion-form few-shot prompt stops at the next example and yields a bare label."""

from __future__ import annotations

import json

import pytest

from llmcli.templates.loader import load_template
from llmcli.templates.render import EXAMPLE_STOP, render
from tests.compare.stubtools import rows


def _few_shot():
    return load_template("few-shot")


def test_the_example_block_carries_its_stop_and_chat_form_does_not():
    raw = render(_few_shot(), {"input": "Adorei o livro"}, mode="completion")
    assert raw.options["stop"] == [EXAMPLE_STOP]
    assert raw.completes_examples
    chat = render(_few_shot(), {"input": "Adorei o livro"}, mode="chat")
    assert "stop" not in chat.options and not chat.completes_examples


def test_a_stop_the_user_gave_is_kept():
    t = _few_shot()
    t.options["stop"] = ["###"]
    assert render(t, {"input": "x"}, mode="completion").options["stop"] == ["###", EXAMPLE_STOP]


def test_the_label_is_printed_without_the_space_after_output(cli, openai_server):
    # A chat API has no raw mode: the block goes as one user message, the stop with it
    openai_server.chunks = [" positive", "\n"]
    res = cli("prompt", "-t", "few-shot", "--raw", "-m", "openai", "Adorei o livro")
    assert res.exit_code == 0, res.stderr
    assert res.stdout == "positive\n"
    assert openai_server.last.body["stop"] == [EXAMPLE_STOP]
    res = cli("prompt", "-t", "few-shot", "--raw", "-m", "openai", "Adorei o livro", "--json")
    assert json.loads(res.stdout)["answer"] == "positive"


@pytest.mark.slow
def test_the_local_model_stops_after_its_label(cli):
    res = cli("prompt", "-t", "few-shot", "--raw", "-m", "local", "Adorei o livro")
    assert res.exit_code == 0, res.stderr
    assert res.stdout.strip() in ("positive", "negative", "neutral")
    assert res.stdout == res.stdout.strip() + "\n"
    row = rows()[-1]
    assert row["finish_reason"] == "stop" and row["output_tokens"] < 10  # not 256
