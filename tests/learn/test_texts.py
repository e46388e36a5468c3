"""Both languages are complete: every step, label and UI string exists in pt and en with the
same placeholders, every placeholder has a number from a real tour, and the glossary covers
the notes' terms in both languages."""

from __future__ import annotations

import string

import pytest

from llmcli.learn import texts_en, texts_pt
from llmcli.learn.glossary import TERMS
from llmcli.learn.texts import cell, localize, pick_lang, step_text
from llmcli.learn.tour import STEP_NAMES


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("name", STEP_NAMES)
def test_every_step_is_written_in_both_languages(name):
    for module in (texts_en, texts_pt):
        entry = module.STEPS[name]
        assert entry["title"].strip() and len(entry["body"]) > 200
    for part in ("title", "body"):
        assert fields(texts_en.STEPS[name][part]) == fields(texts_pt.STEPS[name][part])
    assert texts_en.STEPS[name]["body"] != texts_pt.STEPS[name]["body"]


def test_no_extra_or_missing_steps():
    assert set(texts_en.STEPS) == set(texts_pt.STEPS) == set(STEP_NAMES)
    assert set(texts_en.LABELS) == set(texts_pt.LABELS)
    assert set(texts_en.UI) == set(texts_pt.UI)
    for key in texts_en.UI:
        assert fields(texts_en.UI[key]) == fields(texts_pt.UI[key])


def test_portuguese_is_written_with_its_accents():
    body = " ".join(e["body"] for e in texts_pt.STEPS.values())
    for word in ("atenção", "posição", "vocabulário", "é", "não", "consulta", "laço"):
        assert word in body


def test_every_placeholder_and_label_is_filled_by_a_real_tour(tour):
    _, steps = tour
    for step in steps.values():
        for lang in ("pt", "en"):
            title, body = step_text(lang, step.name, step.say)  # KeyError if one is missing
            assert "{" not in title + body
        for table in step.tables:
            for key in [table.title, *table.columns]:
                assert key.startswith("=") or (key in texts_en.LABELS and key in
                                               texts_pt.LABELS), key


def test_numbers_are_written_the_readers_way():
    assert localize("pt", 25.3) == "25,3" and localize("en", 25.3) == "25.3"
    assert localize("pt", 262144) == "262.144" and localize("en", 262144) == "262,144"
    assert localize("pt", "28.75%") == "28,75%"
    assert localize("pt", 7) == "7"
    assert cell("pt", 236806) == "236806"  # ids keep their digits
    assert cell("pt", "[0.12, 0.5]") == "[0.12, 0.5]"  # vectors stay code


def test_glossary_covers_the_notes_in_both_languages():
    names = {t.pt for t in TERMS}
    for needed in ("token", "codificação posicional", "Add & Norm", "rede feed-forward",
                   "softmax", "temperatura", "decoder", "encoder"):
        assert any(needed in n for n in names), needed
    for t in TERMS:
        assert t.pt and t.en and t.def_pt and t.def_en and t.def_pt != t.def_en
        assert len(t.def_en) <= 110 and len(t.def_pt) <= 110  # one line
        assert t.step is None or t.step in STEP_NAMES


@pytest.mark.parametrize(("env", "expected"), [
    ({"LANG": "pt_BR.UTF-8"}, "pt"),
    ({"LC_ALL": "pt_PT.UTF-8", "LANG": "en_US.UTF-8"}, "pt"),
    ({"LC_ALL": "en_US.UTF-8", "LANG": "pt_BR.UTF-8"}, "en"),
    ({"LC_MESSAGES": "pt_BR", "LANG": "C"}, "pt"),
    ({}, "en"),
])
def test_language_follows_the_locale(env, expected):
    assert pick_lang(None, env) == expected
    assert pick_lang("EN", env) == "en"
