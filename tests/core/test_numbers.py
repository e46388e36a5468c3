"""core.numbers: one way to write dollars and seconds, for people and for JSON."""

from __future__ import annotations

import json

import pytest

from llmcli.core.numbers import dumps, json_ready, usd


@pytest.mark.parametrize(("value", "text"), [
    (None, "-"), (0, "$0"), (7.8e-06, "$0.0000078"), (1.23456e-05, "$0.000012"),
    (3.76e-08, "$0.000000038"), (0.0123, "$0.0123"), (0.5, "$0.50"), (0.01, "$0.01"),
    (1.25, "$1.25"), (1234.5, "$1,234.50"), (-0.5, "-$0.50"),
])
def test_usd_is_plain_decimal_dollars(value, text):
    assert usd(value) == text


def test_json_costs_are_plain_decimals_to_ten_places_and_seconds_to_the_millisecond():
    doc = {"model": "gpt-4o-mini", "provider": "openai", "cost": 7.8e-06,
           "timings": {"ttft": 0.1234567, "total": 1.9999999, "waited": 0.0},
           "cells": [{"cost_usd": 3.675e-06, "ttft": {"median": 0.33333333, "n": 3}}],
           "text": "7.8e-06 stays as the user wrote it", "tokens": 12}
    text = dumps(doc, ensure_ascii=False)
    assert "e-0" not in text.replace("7.8e-06 stays", "")
    assert '"cost": 0.0000078' in text and '"cost_usd": 0.000003675' in text
    back = json.loads(text)
    assert back["model"] == "openai:gpt-4o-mini"  # provider:model, always
    assert back["timings"] == {"ttft": 0.123, "total": 2.0, "waited": 0.0}
    assert back["cells"][0]["ttft"] == {"median": 0.333, "n": 3}
    assert back["text"] == "7.8e-06 stays as the user wrote it" and back["tokens"] == 12


def test_a_model_already_qualified_is_left_alone():
    done = {"model": "ollama:qwen2.5", "provider": "ollama"}
    assert json_ready(done)["model"] == "ollama:qwen2.5"
    assert json_ready({"model": "local:gemma"})["model"] == "local:gemma"


def test_bare_numbers_for_a_pipe_follow_the_json_rule():
    from llmcli.core.numbers import seconds_bare, usd_bare

    assert [usd_bare(v) for v in (None, 0.0, 7.8e-06, 3.0000000000000004e-06, 1.25)] == [
        "-", "0.0", "0.0000078", "0.000003", "1.25"]
    assert usd_bare(1.23456789012345e-05) == "0.0000123457"  # ten decimals, no exponent
    assert [seconds_bare(v) for v in (None, 0.0, 0.1234567, 2.0)] == [
        "-", "0.000", "0.123", "2.000"]
