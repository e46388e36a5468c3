"""Retired and retiring models end to end: the real CLI, the real SDKs, the loopback stubs and
a pinned date. A retired model is refused before anything is sent; a provider's own "retired"
answer becomes the same line; the warning shows once a day; `models --refresh` decides the
default model."""

from __future__ import annotations

import json
import re

import pytest

from llmcli.config import Paths
from llmcli.providers import lifecycle, live_models


@pytest.fixture(autouse=True)
def fresh_memory():
    lifecycle._seen.clear()
    yield
    lifecycle._seen.clear()


def _err_lines(res) -> list[str]:
    return [line for line in res.stderr.splitlines() if line.strip()]


# -- refused before sending -----------------------------------------------------------------------


def test_a_retired_groq_model_is_refused_before_sending(cli, groq_server):
    groq_server.models.append("llama-3.1-8b-instant")  # even if the service still listed it
    res = cli("prompt", "hi", "-m", "groq:llama-3.1-8b-instant")
    assert res.exit_code == 5 and res.stdout == ""
    assert _err_lines(res) == [
        "llmcli: error: groq:llama-3.1-8b-instant is retired, shutdown date 2026-08-16 "
        "(use -m groq:openai/gpt-oss-20b instead)"
    ]
    assert groq_server.requests_for("chat") == []


def test_a_retired_model_is_named_as_retired_even_without_a_key(cli):
    """The retirement is known offline: it wins over the missing key (exit 5, not 3)."""
    res = cli("prompt", "hi", "-m", "openai:o4-mini")
    assert res.exit_code == 5, res.stderr
    assert _err_lines(res) == [
        "llmcli: error: openai:o4-mini is retired, shutdown date 2026-10-23 "
        "(use -m openai:gpt-5.6-terra instead)"
    ]


def test_a_retired_gemini_model_is_refused_in_chat_compare_and_batch_paths(cli, gemini_server):
    res = cli("compare", "hi", "-m", "gemini:gemini-2.5-pro", "-m", "gemini:gemini-2.5-flash-lite")
    assert "gemini:gemini-2.5-pro is retired, shutdown date 2026-12-01" in res.stdout + res.stderr
    assert "use -m gemini:gemini-3.8-flash instead" in res.stdout + res.stderr
    sent = {r.route_path for r in gemini_server.requests_for("chat")}
    assert sent and all("gemini-2.5-flash-lite" in p for p in sent)


# -- the provider's own answer --------------------------------------------------------------------


def test_groq_model_decommissioned_is_the_retired_line(cli, groq_server):
    groq_server.models.append("gemma2-9b-it")  # not in the catalog: only Groq knows
    groq_server.retired.add("gemma2-9b-it")
    res = cli("prompt", "hi", "-m", "groq:gemma2-9b-it")
    assert res.exit_code == 5
    assert _err_lines(res) == [
        "llmcli: error: groq:gemma2-9b-it is retired (see 'llmcli models groq' for the models "
        "it has)"
    ]
    assert len(groq_server.requests_for("chat")) == 1  # sent once, not retried


@pytest.mark.parametrize("status", [404, 503])
def test_gemini_withdrawing_a_model_early_gives_the_same_line_as_the_refusal(
    cli, gemini_server, pinned_today, status
):
    gemini_server.models.append(("gemini-2.5-flash", ["generateContent"], 1048576))
    refused = cli("prompt", "hi", "-m", "gemini:gemini-2.5-flash")  # 2026-12-06: after shutdown
    assert refused.exit_code == 5 and gemini_server.requests_for("chat") == []

    pinned_today("2026-11-20")  # before the announced date, but this key lost it early
    gemini_server.retired["gemini-2.5-flash"] = status
    res = cli("prompt", "hi", "-m", "gemini:gemini-2.5-flash")
    assert res.exit_code == 5
    assert len(gemini_server.requests_for("chat")) == 1
    err = [line for line in _err_lines(res) if "error" in line]
    assert err == _err_lines(refused) == [
        "llmcli: error: gemini:gemini-2.5-flash is retired, shutdown date 2026-12-01 "
        "(use -m gemini:gemini-3.5-flash-lite instead)"
    ]


def test_gemini_overloaded_503_stays_a_retryable_provider_error(cli, gemini_server, pinned_today):
    pinned_today("2026-11-20")
    gemini_server.models.append(("gemini-2.5-flash", ["generateContent"], 1048576))
    gemini_server.fail_times("chat", 5, gemini_server.server_error(503))
    res = cli("prompt", "hi", "-m", "gemini:gemini-2.5-flash")
    assert res.exit_code == 10 and "overloaded" in res.stderr
    assert "retired" not in res.stderr


def test_openai_model_not_found_for_a_retiring_model_is_the_retired_line(
    cli, openai_server, pinned_today
):
    pinned_today("2026-12-10")
    openai_server.retired.add("gpt-4o-mini")
    res = cli("prompt", "hi", "-m", "openai:gpt-4o-mini")
    assert res.exit_code == 5
    assert _err_lines(res)[-1] == (
        "llmcli: error: openai:gpt-4o-mini is retired, shutdown date 2027-01-14 "
        "(use -m openai:gpt-6-luna instead)"
    )
    other = cli("prompt", "hi", "-m", "openai:gpt-nope")  # never announced: just unknown
    assert other.exit_code == 5 and "has no model 'gpt-nope'" in other.stderr
    assert "retired" not in other.stderr


# -- the 30-day warning -----------------------------------------------------------------------


def test_the_warning_shows_once_a_day_and_the_reply_still_comes(cli, openai_server, pinned_today):
    pinned_today("2026-12-20")
    line = (
        "llmcli: openai:gpt-4o-mini retires on 2027-01-14 (in 25 days); "
        "use -m openai:gpt-6-luna instead"
    )
    first = cli("prompt", "hi", "-m", "openai:gpt-4o-mini")
    assert first.exit_code == 0 and first.stdout == "Hello from the stub.\n"
    assert _err_lines(first) == [line]
    lifecycle._seen.clear()  # a second process the same day: the state file remembers
    second = cli("prompt", "hi", "-m", "openai:gpt-4o-mini")
    assert second.exit_code == 0 and _err_lines(second) == []
    pinned_today("2026-12-21")
    third = cli("prompt", "hi", "-m", "openai:gpt-4o-mini")
    assert _err_lines(third) == [line.replace("25 days", "24 days")]
    assert (Paths.from_env().data_dir / lifecycle.NOTICES_FILE).exists()


def test_no_warning_a_month_and_more_before(cli, openai_server):
    res = cli("prompt", "hi", "-m", "openai:gpt-4o-mini")  # 2026-12-06: 39 days before
    assert res.exit_code == 0 and res.stderr == ""


# -- models --refresh and the default model ------------------------------------------------------


def test_refresh_saves_live_lists_with_openai_shutdown_dates(cli, openai_server):
    res = cli("models", "openai", "--refresh", "--json")
    assert res.exit_code == 0
    rows = {r["id"]: r for r in json.loads(res.stdout)}
    assert rows["gpt-4o-mini"]["live"] and rows["gpt-4o-mini"]["shutdown"] == "2027-01-14"
    assert rows["gpt-4o-mini"]["replacement"] == "gpt-6-luna"
    assert rows["gpt-4o-mini"]["deprecated"] == "2026-10-14"
    assert rows["gpt-6-luna"]["shutdown"] is None and rows["gpt-6-luna"]["retires"] == "-"
    cache = live_models.load(Paths.from_env().data_dir)
    saved = cache.providers["openai"]
    assert saved.fetched == "2026-12-06"
    assert {m.id: m.shutdown for m in saved.models}["gpt-4.1"] == "2027-01-14"
    assert "saved openai's live list" in res.stderr


def test_a_live_shutdown_date_from_the_cache_refuses_a_model(cli, openai_server):
    openai_server.shutdown_dates["stub-model"] = "2026-12-01"  # not in the catalog at all
    assert cli("models", "openai", "--refresh").exit_code == 0
    res = cli("prompt", "hi", "-m", "openai:stub-model")
    assert res.exit_code == 5 and "openai:stub-model is retired, shutdown date 2026-12-01" in (
        res.stderr
    )
    assert openai_server.requests_for("chat") == []


def test_the_default_follows_the_refreshed_live_list(cli, gemini_server):
    res = cli("prompt", "hi", "-m", "gemini")
    assert res.exit_code == 0 and res.stderr == ""
    assert gemini_server.requests_for("chat")[-1].route_path.endswith(
        "/models/gemini-3.5-flash-lite:streamGenerateContent"
    )
    gemini_server.models = [m for m in gemini_server.models if m[0] != "gemini-3.5-flash-lite"]
    assert cli("models", "gemini", "--refresh").exit_code == 0
    res = cli("prompt", "hi", "-m", "gemini")
    assert res.exit_code == 0
    assert gemini_server.requests_for("chat")[-1].route_path.endswith(
        "/models/gemini-2.5-flash-lite:streamGenerateContent"
    )
    assert _err_lines(res) == [
        "llmcli: gemini's default model gemini-3.5-flash-lite is not in its live list of "
        "2026-12-06; using gemini-2.5-flash-lite (refresh with 'llmcli models gemini --refresh')"
    ]


def test_without_a_key_the_catalog_and_its_date_are_shown(cli):
    res = cli("models", "groq")
    assert res.exit_code == 0
    lines = res.stdout.splitlines()
    assert lines[0].split("\t") == [
        "model", "context", "$/M in", "$/M out", "capabilities", "retires", "key"
    ]
    assert [line.split("\t")[0] for line in lines[1:]] == [
        "groq:openai/gpt-oss-20b", "groq:openai/gpt-oss-120b"
    ]
    assert res.stderr == "prices and retirement dates: built-in catalog as of 2026-12-06\n"


def test_the_sources_line_breaks_between_words_in_a_narrow_terminal(cli):
    res = cli("models", "groq", stderr_tty=True, width=40)
    lines = res.stderr.splitlines()
    assert len(lines) == 2 and max(map(len, lines)) <= 40
    assert " ".join(line.strip() for line in lines) == (
        "prices and retirement dates: built-in catalog as of 2026-12-06")


def test_json_carries_the_dates_and_the_retires_cell(cli, pinned_today):
    pinned_today("2026-12-20")
    rows = {r["id"]: r for r in json.loads(cli("models", "openai", "--json").stdout)}
    assert "gpt-5-mini" not in rows  # shut down on 2026-12-11
    assert rows["gpt-4o"]["retires"] == "2027-01-14 (25d)"
    assert rows["gpt-4o"]["shutdown"] == "2027-01-14" and rows["gpt-4o"]["deprecated"]


def test_the_table_reads_at_80_columns(cli, openai_server):
    res = cli("models", "--offline", stdout_tty=True, width=80, env={"NO_COLOR": "1"})
    assert res.exit_code == 0
    lines = re.sub(r"\x1b\[[0-9;]*m", "", res.stdout).splitlines()  # NO_COLOR keeps bold
    assert lines and max(len(line) for line in lines) <= 80
    assert lines[0].split() == ["model", "ctx", "$in/M", "$out/M", "can", "retires", "key"]
    names = [line.split()[0] for line in lines[2:] if line[:1].strip()]
    assert "openai:text-embedding-3-small" in names and "gemini:gemini-3.5-flash-lite" in names
    row = next(line for line in lines if line.startswith("openai:gpt-4o-mini "))
    assert row.split()[1:] == ["128k", "0.15", "0.6", "chat", "2027-01-14", "env"]
    wide = cli("models", "openai", "--offline", stdout_tty=True, width=140, env={"NO_COLOR": "1"})
    assert "env OPENAI_API_KEY" in wide.stdout and "chat, stream, logprobs" in wide.stdout


def test_refresh_and_offline_do_not_mix(cli):
    res = cli("models", "--refresh", "--offline")
    assert res.exit_code == 2 and "--refresh needs the network" in res.stderr


def test_refresh_says_what_it_could_not_fetch(cli, closed_port):
    res = cli("models", "--refresh", env={
        "GROQ_API_KEY": "gsk_test0123456789abcdef",
        "GROQ_BASE_URL": f"http://127.0.0.1:{closed_port}",
    })
    assert res.exit_code == 0
    assert "llmcli: openai: no key, so no live list to refresh" in res.stderr
    assert "llmcli: groq: live list not fetched, nothing saved: cannot reach groq" in res.stderr
    assert live_models.load(Paths.from_env().data_dir).providers == {}
    assert "groq:openai/gpt-oss-20b" in res.stdout  # the catalog, all the same
