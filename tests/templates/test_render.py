"""Rendering: few-shot in chat and completion form, examples files, variables and their errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmcli.core.errors import InvalidInput
from llmcli.templates.examples import load_examples
from llmcli.templates.loader import load_template, parse_template
from llmcli.templates.model import Example
from llmcli.templates.render import json_keys, render

NOWHERE = Path("/nonexistent-user-templates")
EXAMPLES = [Example(input="Adorei!", output="positivo"), Example(input="Odiei.", output="negativo")]


def tpl(text: str, path: Path | None = None):
    return parse_template(text, "t.yaml", path=path)


def roles(rendered) -> list[tuple[str, str]]:
    return [(m.role, m.content) for m in rendered.messages]


def test_few_shot_chat_is_alternating_turns():
    t = tpl("system: Classifique o sentimento.\nprompt: 'Texto: {{ input }}'\n")
    r = render(t, {"input": "Que dia lindo"}, EXAMPLES, mode="chat")
    assert roles(r) == [
        ("system", "Classifique o sentimento."),
        ("user", "Texto: Adorei!"), ("assistant", "positivo"),
        ("user", "Texto: Odiei."), ("assistant", "negativo"),
        ("user", "Texto: Que dia lindo"),
    ]
    assert not r.raw


def test_few_shot_completion_is_an_input_output_block():
    t = tpl("system: Classifique o sentimento.\nprompt: '{{ input }}'\n")
    r = render(t, {"input": "Que dia lindo"}, EXAMPLES, mode="completion")
    assert r.raw and len(r.messages) == 1 and r.messages[0].role == "user"
    assert r.messages[0].content == (
        "Classifique o sentimento.\n\n"
        "Input: Adorei!\nOutput: positivo\n\n"
        "Input: Odiei.\nOutput: negativo\n\n"
        "Input: Que dia lindo\nOutput:"
    )


def test_completion_without_examples_is_system_then_prompt():
    t = tpl("system: Be brief.\nprompt: '{{ input }}'\n")
    assert render(t, {"input": "hi"}, mode="completion").messages[0].content == "Be brief.\n\nhi"


def test_examples_given_replace_the_templates_own():
    t = load_template("few-shot", NOWHERE)
    r = render(t, {"input": "x"}, EXAMPLES)
    assert [m.content for m in r.messages if m.role == "assistant"] == ["positivo", "negativo"]


def test_template_that_lays_out_examples_itself_gets_no_turns():
    t = tpl("prompt: |\n  {% for e in examples %}\n  Q: {{ e.input }} A: {{ e.output }}\n"
            "  {% endfor %}\n  Q: {{ input }} A:\n")
    r = render(t, {"input": "3+3"}, [Example(input="1+1", output="2")])
    assert roles(r) == [("user", "Q: 1+1 A: 2\nQ: 3+3 A:")]


def test_examples_without_input_variable_are_shown_verbatim():
    t = tpl("prompt: 'Traduza: {{ texto }}'\n")
    r = render(t, {"texto": "bom dia"}, [Example(input="boa noite", output="good night")])
    assert roles(r)[:2] == [("user", "boa noite"), ("assistant", "good night")]


def test_examples_file_relative_to_template(tmp_path):
    (tmp_path / "ex.jsonl").write_text('{"input": "a", "output": "b"}\n', encoding="utf-8")
    path = tmp_path / "t.yaml"
    path.write_text("prompt: '{{ input }}'\nexamples: ex.jsonl\n", encoding="utf-8")
    r = render(load_template(path), {"input": "c"})
    assert roles(r) == [("user", "a"), ("assistant", "b"), ("user", "c")]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("ex.jsonl", '{"input": "olá", "output": "hello"}\n\n{"input": 2, "output": 4}\n'),
        ("ex.json", '[{"input": "olá", "output": "hello"}, {"input": 2, "output": 4}]'),
        ("ex.csv", 'input,output\nolá,hello\n2,4\n'),
        ("ex.tsv", 'input\toutput\nolá\thello\n2\t4\n'),
        ("ex.yaml", '- input: olá\n  output: hello\n- input: 2\n  output: 4\n'),
    ],
)
def test_examples_files_in_every_format(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    expected = [Example(input="olá", output="hello"), Example(input="2", output="4")]
    assert load_examples(path) == expected


def test_csv_with_quoted_commas_and_newlines(tmp_path):
    path = tmp_path / "ex.csv"
    path.write_text('input,output\n"a, b","linha 1\nlinha 2"\n', encoding="utf-8")
    assert load_examples(path) == [Example(input="a, b", output="linha 1\nlinha 2")]


@pytest.mark.parametrize(
    ("name", "text", "needle"),
    [
        ("ex.csv", "text,label\na,b\n", "columns are text, label; expected input, output"),
        ("ex.jsonl", '{"input": "a", "output": "b"}\n{"input": "a", "ouput": "b"}\n',
         "line 2: columns are input, ouput"),
        ("ex.jsonl", '{"input": "a", "output": "b"}\nnot json\n', "line 2: not valid JSON"),
        ("ex.yaml", "- input: a\n  output: b\n  extra: c\n",
         "item 1: columns are input, output, extra"),
        ("ex.yaml", "input: a\n", "expected a YAML list"),
        ("ex.json", '[{"input": "a", "output": {"x": 1}}]', "'output' must be text"),
        ("ex.csv", "input,output\n", "has no examples"),
        ("ex.txt", "a", "unknown format '.txt'"),
    ],
)
def test_bad_examples_files_are_one_line_errors(tmp_path, name, text, needle):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        load_examples(path)
    assert needle in err.value.one_line() and "\n" not in err.value.one_line()


def test_missing_examples_file(tmp_path):
    with pytest.raises(InvalidInput, match="not found"):
        load_examples(tmp_path / "nope.jsonl")


def test_missing_required_variables_are_listed_with_how_to_pass_them():
    t = tpl("prompt: '{{ a }} {{ input }} {{ b }}'\nvariables:\n  - name: b\n    default: x\n")
    with pytest.raises(InvalidInput) as err:
        render(t, {})
    line = err.value.one_line()
    assert "needs variables: a, input" in line
    assert "-v a=VALUE -v input=VALUE" in line and "stdin" in line


def test_unknown_variable_is_refused_with_the_known_ones():
    t = load_template("role", NOWHERE)
    with pytest.raises(InvalidInput) as err:
        render(t, {"input": "x", "rol": "pirata"})
    assert "no variable 'rol'" in err.value.one_line()
    assert "input, role, audience, language" in err.value.one_line()


def test_defaults_and_optional_variables():
    t = tpl("variables:\n  - name: tone\n    required: false\nprompt: '[{{ tone }}] {{ input }}'\n")
    assert render(t, {"input": "x"}).messages[0].content == "[] x"


def test_undeclared_variables_are_declared_as_required():
    t = tpl("prompt: 'Traduza para {{ lingua }}: {{ input }}'\n")
    assert sorted(v.name for v in t.variables) == ["input", "lingua"]
    assert all(v.is_required for v in t.variables)


def test_list_variable_from_text_splits_paragraphs():
    t = load_template("rag", NOWHERE)
    r = render(t, {"input": "q", "chunks": "um\ndois\n\ntrês\n\n\n"})
    assert "[1] um\ndois\n\n[2] três\n\nQuestion: q" in r.messages[-1].content


def test_system_override_is_literal_text_not_a_template():
    t = load_template("role", NOWHERE)
    r = render(t, {"input": "x"}, system="Use {{ braces }} freely")
    assert r.messages[0].content == "Use {{ braces }} freely"


def test_options_come_from_the_template_as_a_copy():
    t = load_template("self-consistency", NOWHERE)
    r = render(t, {"input": "x"})
    r.options["temperature"] = 0
    assert t.options["temperature"] == 0.8


def test_json_keys_rendered_from_a_variable():
    t = load_template("json", NOWHERE)
    keys = json_keys(t, {"fields": "nome, idade,\ncidade", "input": ""})
    assert keys == ["nome", "idade", "cidade"]
    assert json_keys(t, {"fields": "", "input": ""}) == []


def test_runtime_jinja_errors_are_one_line():
    t = tpl("prompt: '{{ input + 1 }}'\n")
    with pytest.raises(InvalidInput) as err:
        render(t, {"input": "x"})
    assert "t.yaml: prompt: TypeError" in err.value.one_line()
