"""Model retirement against a fake clock: the refusal, the 30-day warning once a day, the
catalog's own consistency, and the default model a cached live list decides."""

from __future__ import annotations

from datetime import date

import pytest

from llmcli.core.errors import RetiredModel, UnknownModel
from llmcli.core.provider import ModelInfo
from llmcli.providers import catalog, lifecycle, live_models
from llmcli.providers.gemini import GeminiProvider
from llmcli.providers.groq import GroqProvider
from llmcli.providers.openai_compat import OpenAIProvider

DAY = date.fromisoformat


class Notices(list):
    def __call__(self, line: str) -> None:
        self.append(line)


@pytest.fixture(autouse=True)
def fresh_memory():
    lifecycle._seen.clear()
    yield
    lifecycle._seen.clear()


def test_a_shut_down_model_is_refused_naming_its_replacement():
    with pytest.raises(RetiredModel) as info:
        lifecycle.check("groq", "llama-3.1-8b-instant", DAY("2026-12-06"))
    err = info.value
    assert isinstance(err, UnknownModel) and err.exit_code == 5
    assert err.one_line() == (
        "groq:llama-3.1-8b-instant is retired, shutdown date 2026-08-16 "
        "(use -m groq:openai/gpt-oss-20b instead)"
    )


def test_the_shutdown_day_itself_is_retired_and_the_day_before_warns():
    notices = Notices()
    lifecycle.check("openai", "gpt-4o-mini", DAY("2027-01-13"), notice=notices)
    assert notices == [
        "openai:gpt-4o-mini retires on 2027-01-14 (in 1 day); use -m openai:gpt-6-luna instead"
    ]
    with pytest.raises(RetiredModel):
        lifecycle.check("openai", "gpt-4o-mini", DAY("2027-01-14"))


def test_warning_starts_30_days_before_and_shows_once_a_day(tmp_path):
    notices = Notices()

    def use(day: str) -> None:
        lifecycle.check("openai", "gpt-4o-mini", DAY(day), state_dir=tmp_path, notice=notices)

    use("2026-12-14")  # 31 days before 2027-01-14: quiet
    assert notices == []
    use("2026-12-15")  # 30 days: the first warning
    use("2026-12-15")
    use("2026-12-15")
    assert notices == [
        "openai:gpt-4o-mini retires on 2027-01-14 (in 30 days); use -m openai:gpt-6-luna instead"
    ]
    lifecycle._seen.clear()  # a new process: the file remembers
    use("2026-12-15")
    assert len(notices) == 1
    use("2026-12-16")  # the next day warns again, once
    use("2026-12-16")
    assert len(notices) == 2 and "(in 29 days)" in notices[1]
    assert (tmp_path / lifecycle.NOTICES_FILE).exists()


def test_without_a_state_dir_the_warning_is_once_per_process_and_day():
    notices = Notices()
    for _ in range(3):
        lifecycle.check("gemini", "gemini-2.5-flash", DAY("2026-11-20"), notice=notices)
    assert notices == [
        "gemini:gemini-2.5-flash retires on 2026-12-01 (in 11 days); use -m "
        "gemini:gemini-3.5-flash-lite instead"
    ]


def test_a_damaged_state_file_only_means_warning_again(tmp_path):
    (tmp_path / lifecycle.NOTICES_FILE).write_text("{not json", encoding="utf-8")
    notices = Notices()
    lifecycle.check("openai", "gpt-5-mini", DAY("2026-12-06"), state_dir=tmp_path, notice=notices)
    assert notices and "gpt-5-mini retires on 2026-12-11 (in 5 days)" in notices[0]


def test_models_without_an_announced_shutdown_pass_quietly(tmp_path):
    notices = Notices()
    for model in ("gpt-6-luna", "gemini-2.5-flash-lite", "no-such-model"):
        lifecycle.check("openai", model, DAY("2026-12-06"), state_dir=tmp_path, notice=notices)
    assert notices == []


def test_a_live_shutdown_date_wins_over_the_catalog(tmp_path):
    live = [ModelInfo(id="gpt-6-luna", provider="openai", shutdown="2026-12-20", live=True)]
    live_models.save(tmp_path, "openai", live, DAY("2026-12-06"))
    found = lifecycle.lookup("openai", "gpt-6-luna", tmp_path)
    assert found is not None and found.shutdown == DAY("2026-12-20")
    assert found.replacement is None  # the catalog names none for it
    with pytest.raises(RetiredModel) as info:
        lifecycle.check("openai", "gpt-6-luna", DAY("2026-12-21"), state_dir=tmp_path)
    assert info.value.one_line() == (
        "openai:gpt-6-luna is retired, shutdown date 2026-12-20 "
        "(see 'llmcli models openai' for the models it has)"
    )


# -- the catalog ----------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [OpenAIProvider, GroqProvider, GeminiProvider])
def test_defaults_are_in_the_catalog_and_live_today(cls):
    assert cls.default_model == catalog.DEFAULTS[cls.name]
    found = catalog.entry(cls.name, cls.default_model)
    assert found is not None and found.shutdown is None
    assert found.tier == "small"


def test_every_figure_names_a_source_and_dates_parse():
    for provider in catalog.DEFAULTS:
        for e in catalog.entries(provider):
            assert e.src in catalog.SOURCES, e.id
            for when in (e.deprecated, e.shutdown):
                if when is not None:
                    DAY(when)
            if e.shutdown is not None:
                assert e.dates_src in catalog.SOURCES and e.replacement, e.id
            if e.replacement and catalog.entry(provider, e.replacement):
                assert catalog.entry(provider, e.replacement).shutdown is None, e.id
    assert all(s.read for s in catalog.SOURCES.values())


def test_the_offline_list_leaves_out_what_is_shut_down():
    ids = {m.id for m in catalog.known("groq", "2026-12-06")}
    assert ids == {"openai/gpt-oss-20b", "openai/gpt-oss-120b"}
    before = {m.id for m in catalog.known("groq", "2026-08-15")}
    assert "llama-3.1-8b-instant" in before
    gemini = {m.id: m for m in catalog.known("gemini", "2026-12-06")}
    assert "gemini-2.5-flash" not in gemini and "gemini-2.5-flash-lite" in gemini
    assert gemini["gemini-3.5-flash-lite"].price_date == "2026-07"


# -- the default model and the cached live list --------------------------------------------------


def _cache(tmp_path, provider: str, ids: list[str], day: str = "2026-12-05") -> None:
    models = [ModelInfo(id=i, provider=provider, live=True) for i in ids]
    live_models.save(tmp_path, provider, models, DAY(day))


def test_without_a_cache_the_catalog_default_is_used(tmp_path):
    notices = Notices()
    got = live_models.default_for("gemini", "gemini-3.5-flash-lite", tmp_path, DAY("2026-12-06"),
                                  notices)
    assert got == "gemini-3.5-flash-lite" and notices == []


def test_a_live_list_with_the_default_keeps_it(tmp_path):
    _cache(tmp_path, "gemini", ["gemini-3.5-flash-lite", "gemini-2.5-flash-lite"])
    notices = Notices()
    got = live_models.default_for("gemini", "gemini-3.5-flash-lite", tmp_path, DAY("2026-12-06"),
                                  notices)
    assert got == "gemini-3.5-flash-lite" and notices == []


def test_a_live_list_without_the_default_picks_the_newest_of_its_tier(tmp_path):
    # gemini-2.5-flash is listed and of the same tier, but shut down: it must not be picked.
    _cache(tmp_path, "gemini", ["gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-3.8-flash"])
    notices = Notices()
    got = live_models.default_for("gemini", "gemini-3.5-flash-lite", tmp_path, DAY("2026-12-06"),
                                  notices)
    assert got == "gemini-2.5-flash-lite"
    assert notices == [
        "gemini's default model gemini-3.5-flash-lite is not in its live list of 2026-12-05; "
        "using gemini-2.5-flash-lite (refresh with 'llmcli models gemini --refresh')"
    ]


def test_no_model_of_the_tier_listed_keeps_the_default_and_says_so(tmp_path):
    _cache(tmp_path, "groq", ["openai/gpt-oss-120b"])
    notices = Notices()
    got = live_models.default_for("groq", "openai/gpt-oss-20b", tmp_path, DAY("2026-12-06"),
                                  notices)
    assert got == "openai/gpt-oss-20b" and "no other model of its tier" in notices[0]


def test_a_damaged_cache_is_ignored(tmp_path):
    (tmp_path / live_models.CACHE_FILE).write_text('{"providers": 3}', encoding="utf-8")
    assert live_models.load(tmp_path).providers == {}
    assert live_models.default_for("openai", "gpt-6-luna", tmp_path, DAY("2026-12-06")) == (
        "gpt-6-luna"
    )
