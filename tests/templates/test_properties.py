"""Property-based: any variable value (braces, quotes, Jinja syntax, Portuguese, emoji) is
inserted verbatim, never evaluated, in chat and completion form and through the CLI."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from llmcli.templates.extract import extract_with
from llmcli.templates.loader import parse_template
from llmcli.templates.model import Example, Extract
from llmcli.templates.render import render
from tests.conftest import run_in_process

TRICKY = st.sampled_from(["{{", "}}", "{%", "%}", "{#", "#}", "'", '"', "\\", "ção", "ã", "é",
                          "🙂", "👩🏽‍💻", "\u200d", "{{ 7*7 }}", "{% raw %}", "__class__", "$",
                          "\t", "—"])
PIECES = st.one_of(TRICKY, st.text(min_size=1, max_size=8))
VALUES = st.lists(PIECES, min_size=1, max_size=12).map("".join)
# Rendered messages drop trailing whitespace, so values end with a visible character.
VISIBLE = VALUES.filter(lambda v: v == v.rstrip() and v.strip())

TEMPLATE = parse_template("system: 'Sistema: {{ tom }}'\nprompt: '«{{ input }}» fim'\n", "p.yaml")


@settings(max_examples=150, deadline=None)
@given(value=VALUES, tone=VALUES)
def test_values_are_verbatim_in_chat_messages(value, tone):
    msgs = render(TEMPLATE, {"input": value, "tom": tone}).messages
    assert msgs[0].content == f"Sistema: {tone}".rstrip()
    assert msgs[1].content == f"«{value}» fim"


@settings(max_examples=100, deadline=None)
@given(value=VALUES, ex_in=VISIBLE, ex_out=VISIBLE)
def test_values_and_examples_verbatim_in_completion_block(value, ex_in, ex_out):
    msgs = render(TEMPLATE, {"input": value, "tom": "x"}, [Example(input=ex_in, output=ex_out)],
                  mode="completion").messages
    assert msgs[0].content == (f"Sistema: x\n\nInput: «{ex_in}» fim\nOutput: {ex_out}\n\n"
                               f"Input: «{value}» fim\nOutput:")


@settings(max_examples=100, deadline=None)
@given(value=VISIBLE)
def test_bare_variable_prompt_is_the_value_itself(value):
    t = parse_template("prompt: '{{ input }}'\n", "q.yaml")
    assert render(t, {"input": value}).messages[0].content == value


@settings(max_examples=100, deadline=None)
@given(answer=VISIBLE.filter(lambda v: "\n" not in v and "\r" not in v))
@example(answer="0\xa0!")  # a no-break space before the stop: found by hypothesis
def test_marker_extraction_round_trips_plain_answers(answer):
    # Answers without Markdown marks or a trailing period come back exactly.
    clean, previous = answer, None
    while clean != previous:  # whitespace of any kind, Markdown marks, a trailing stop
        previous = clean
        clean = clean.strip().strip("*_`").rstrip(".!;")
    breaks = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # str.splitlines() splits on these too
    if not clean or "answer:" in clean.casefold() or any(c in clean for c in breaks):
        return
    assert extract_with(Extract(marker="Answer:"), f"thinking...\nAnswer: {clean}\n") == clean


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=VISIBLE.filter(lambda v: "\x00" not in v and "\r" not in v))
def test_cli_var_values_reach_the_messages_verbatim(value, home):
    # @file reads a file; @@ escapes a leading @.
    arg = "@" + value if value.startswith("@") else value
    res = run_in_process(["templates", "render", "zero-shot", "-v", f"input={arg}", "--json"])
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["messages"] == [{"role": "user", "content": value}]
