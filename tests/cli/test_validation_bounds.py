"""Options and config values are bounded, and a rejected key is said (#16 item 10)."""

from __future__ import annotations

import pytest

M = ["-m", "openai:gpt-4o-mini"]


@pytest.mark.parametrize("pair", [
    "max_tokens=99999999999999999999", "max_tokens=1000001", "seed=99999999999999999999",
    "top_k=99999999999999999999",
])
def test_absurd_options_are_refused_not_sent(cli, openai_server, pair):
    # top_k: a provider that takes it (openai refuses the option itself, whatever its value)
    model = ["-m", "local"] if pair.startswith("top_k") else M
    res = cli("prompt", "olá", *model, "-o", pair)
    assert res.exit_code == 2, res.stderr
    assert f"invalid value for option '{pair.split('=')[0]}'" in res.stderr
    assert res.stderr.count("\n") == 1
    assert openai_server.requests_for("chat") == []


def test_a_large_but_sane_max_tokens_is_still_sent(cli, openai_server):
    res = cli("prompt", "olá", *M, "-o", "max_tokens=4000")
    assert res.exit_code == 0, res.stderr
    body = openai_server.requests_for("chat")[-1].body
    assert 4000 in (body.get("max_completion_tokens"), body.get("max_tokens")), body


@pytest.mark.parametrize(("line", "words"), [
    ("max_retries = 1000000", "max_retries must be a whole number from 0 to 10, not 1000000"),
    ("max_retries = -1", "max_retries must be a whole number from 0 to 10"),
    ("max_retries = 2.5", "max_retries must be a whole number"),
    ("max_retry_wait = \"abc\"", "max_retry_wait must be a number from 0 to 3600"),
])
def test_network_settings_out_of_range_are_refused(cli, home, openai_server, line, words):
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text(f"[network]\n{line}\n", encoding="utf-8")
    res = cli("prompt", "olá", *M)
    assert res.exit_code == 2, res.stderr
    assert words in res.stderr and "config.toml" in res.stderr
    assert "Traceback" not in res.stderr
    assert openai_server.requests_for("chat") == []


def test_models_with_a_rejected_key_warns_and_exits_4(cli, openai_server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong-key-0000000000")
    res = cli("models", "openai")
    assert res.exit_code == 4, res.stderr
    assert "openai: live list not fetched, showing the built-in list" in res.stderr
    assert "gpt-4o-mini" in res.stdout  # the built-in list is still shown
    assert "sk-wrong-key" not in res.stdout + res.stderr


def test_models_with_a_good_key_exits_0_quietly(cli, openai_server):
    res = cli("models", "openai")
    assert res.exit_code == 0, res.stderr
    assert "live list not fetched" not in res.stderr
