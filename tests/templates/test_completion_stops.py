"""A completion-form few-shot prompt stops at the next example and yields a bare label."""

from __future__ import annotations

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


def test_completion_form_on_a_chat_api_is_refused_not_sent(cli, openai_server):
    # The completion form (--raw) needs a completion mode; a chat API is refused (exit 13)
    # before anything is sent. The label without its leading space is checked on the local
    # model below, which has one.
    n = len(openai_server.requests)
    res = cli("prompt", "-t", "few-shot", "--raw", "-m", "openai", "Adorei o livro")
    assert res.exit_code == 13 and "no completion mode" in res.stderr
    assert len(openai_server.requests) == n


@pytest.mark.slow
def test_the_local_model_stops_after_its_label(cli):
    res = cli("prompt", "-t", "few-shot", "--raw", "-m", "local", "Adorei o livro")
    assert res.exit_code == 0, res.stderr
    assert res.stdout.strip() in ("positive", "negative", "neutral")
    assert res.stdout == res.stdout.strip() + "\n"
    row = rows()[-1]
    assert row["finish_reason"] == "stop" and row["output_tokens"] < 10  # not 256
