"""`llmcli learn` through the real CLI: a pipe prints every step, --step one, --json the
numbers, --glossary the terms; the language follows the locale; Enter mode on a terminal;
bad input gets one line and its exit code."""

from __future__ import annotations

import json

import pytest

from llmcli.learn.texts_en import STEPS as EN
from llmcli.learn.texts_pt import STEPS as PT
from llmcli.learn.tour import STEP_NAMES
from tests.learn.conftest import SENTENCE


def titles(texts: dict) -> list[str]:
    return [texts[name]["title"].split("{")[0] for name in STEP_NAMES]


def test_pipe_prints_every_step_in_portuguese_from_the_locale(cli):
    r = cli("learn", SENTENCE, env={"LANG": "pt_BR.UTF-8", "LC_ALL": ""})
    assert r.exit_code == 0, r.stderr
    for title in titles(PT):
        assert title in r.stdout
    assert "\x1b[" not in r.stdout  # plain text in a pipe
    assert "camada 0, cabeça 3, token 'hado'" in r.stdout
    assert "262.144" in r.stdout and "▁gato" in r.stdout and "96271" in r.stdout


def test_lang_flag_wins_over_the_locale(cli):
    r = cli("learn", SENTENCE, "--lang", "en", "--step", "rope", env={"LANG": "pt_BR.UTF-8"})
    assert r.exit_code == 0, r.stderr
    assert EN["rope"]["title"] in r.stdout
    assert EN["tokens"]["title"] not in r.stdout  # only the step asked for
    assert "q·k" in r.stdout


def test_json_has_every_steps_numbers(cli):
    r = cli("learn", SENTENCE, "--json", "-o", "temperature=0.5", "--layer", "5", "--pos", "3")
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    assert [s["name"] for s in data["steps"]] == STEP_NAMES
    assert data["layer"] == 5 and data["pos"] == 3 and data["ids"][0] == 2
    steps = {s["name"]: s for s in data["steps"]}
    assert steps["sampling"]["data"]["params"]["temperature"] == 0.5
    assert steps["attention"]["data"]["layer_type"] == "global"
    assert len(steps["attention"]["data"]["weights"]) == len(data["ids"])


def test_glossary_in_both_languages(cli):
    pt = cli("learn", "--glossary", "--lang", "pt")
    en = cli("learn", "--glossary", "--lang", "en")
    assert pt.exit_code == en.exit_code == 0
    assert "codificação posicional\tpositional encoding\t" in pt.stdout
    assert "positional encoding\tcodificação posicional\t" in en.stdout
    data = json.loads(cli("learn", "--glossary", "--json").stdout)
    assert any(t["pt"] == "temperatura" and t["en"] == "temperature" for t in data["terms"])


def test_enter_mode_walks_forward_and_back(cli):
    """A terminal that is not full-screen (--no-fullscreen): one step per Enter, 'b' goes back,
    'q' stops."""
    r = cli("learn", SENTENCE, "--lang", "en", "--no-fullscreen", input="\nb\n\nq\n",
            stdin_tty=True, stdout_tty=True, width=80)
    assert r.exit_code == 0, r.stderr
    out = r.stdout
    first, second = EN["tokens"]["title"], EN["embedding"]["title"]
    # tokens, embedding, tokens again (back), embedding, then quit before the rope step.
    assert out.count(first) == 2 and out.count(second) == 2
    assert out.index(first) < out.index(second) < out.rindex(first) < out.rindex(second)
    assert EN["rope"]["title"] not in out
    assert "step 2 of 13" in r.stderr and "Enter: next" in r.stderr


@pytest.mark.parametrize(("args", "code", "message"), [
    (["learn"], 2, "no sentence to follow"),
    (["learn", SENTENCE, "--step", "nope"], 2, "no step named 'nope'"),
    (["learn", SENTENCE, "--lang", "fr"], 2, "unknown language 'fr'"),
    (["learn", SENTENCE, "--head", "7"], 2, "--head must be in 0..3"),
    (["learn", SENTENCE, "-o", "temperature=-1"], 2, "temperature"),
    (["learn", SENTENCE, "-m", "groq"], None, "remote model"),
    (["learn", "gato " * 80], 2, "the tour takes at most 64 tokens"),
    (["learn", "   "], 2, "the text is empty"),
    (["learn", SENTENCE, "--html", "/nonexistent-dir/tour.html"], 2, "cannot write"),
])
def test_bad_input_is_one_line(cli, args, code, message):
    from llmcli.core.errors import InvalidInput

    r = cli(*args)
    assert r.exit_code != 0
    if code is not None:
        assert r.exit_code == InvalidInput.exit_code
    assert message in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
