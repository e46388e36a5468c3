"""Loading templates: built-ins, user overrides, paths, and one-line errors with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmcli.core.errors import InvalidInput
from llmcli.templates.loader import builtin_dir, entries, is_path, load_template

NOWHERE = Path("/nonexistent-user-templates")


def write(tmp_path: Path, text: str, name: str = "t.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_for(path: Path) -> str:
    with pytest.raises(InvalidInput) as err:
        load_template(path)
    line = err.value.one_line()
    assert "\n" not in line
    return line


def test_builtins_are_found_in_the_repo_prompts_folder():
    assert builtin_dir().name == "prompts"
    names = {e.name for e in entries(NOWHERE)}
    assert {"zero-shot", "few-shot", "chain-of-thought", "zero-shot-cot", "least-to-most",
            "self-consistency", "role", "json", "rag"} <= names


def test_user_template_overrides_builtin_by_name(tmp_path):
    write(tmp_path, "description: mine\nprompt: 'Meu: {{ input }}'\n", "zero-shot.yaml")
    write(tmp_path, "prompt: 'novo {{ input }}'\n", "novo.yml")
    t = load_template("zero-shot", tmp_path)
    assert t.description == "mine" and not t.builtin and t.name == "zero-shot"
    by_name = {e.name: e.origin for e in entries(tmp_path)}
    assert by_name["zero-shot"] == "user (overrides built-in)"
    assert by_name["novo"] == "user" and by_name["few-shot"] == "built-in"


def test_path_refs_and_names():
    assert is_path("./t.yaml") and is_path("dir/t") and is_path("t.yml") and is_path("~/x")
    assert not is_path("chain-of-thought")


def test_file_by_path_takes_its_name_from_the_file(tmp_path):
    t = load_template(write(tmp_path, "prompt: hi\n", "meu-teste.yaml"))
    assert t.name == "meu-teste" and t.source == tmp_path / "meu-teste.yaml"


def test_unknown_name_suggests_close_ones():
    with pytest.raises(InvalidInput) as err:
        load_template("chain-of-thougth", NOWHERE)
    assert "unknown template 'chain-of-thougth'" in err.value.one_line()
    assert "did you mean chain-of-thought" in err.value.one_line()


def test_missing_file(tmp_path):
    assert "not found" in error_for(tmp_path / "nope.yaml")


def test_malformed_yaml_names_file_and_line(tmp_path):
    path = write(tmp_path, "name: x\nprompt: hello\n  bad: indent\n")
    line = error_for(path)
    assert line.startswith(f"{path} line 3: malformed YAML")


def test_unclosed_quote_line(tmp_path):
    path = write(tmp_path, "name: x\ndescription: ok\nprompt: \"never closed\n")
    assert f"{path} line" in error_for(path) and "malformed YAML" in error_for(path)


def test_unknown_top_level_key_with_line_and_known_keys(tmp_path):
    path = write(tmp_path, "name: x\nprompt: hi\ntemprature: 0.2\n")
    line = error_for(path)
    assert f"{path} line 3: unknown key 'temprature'" in line
    assert "known keys: name, description, technique" in line


def test_unknown_nested_key_with_line(tmp_path):
    path = write(tmp_path,
                 "prompt: '{{ input }}'\nvariables:\n  - name: input\n    descripton: typo\n")
    line = error_for(path)
    assert f"{path} line 4: unknown key 'descripton' in variables[0]" in line
    assert "known keys: name, description, default, required, type" in line


def test_unknown_key_in_inline_example(tmp_path):
    path = write(tmp_path, "prompt: x\nexamples:\n  - input: a\n    ouput: b\n")
    line = error_for(path)
    assert "line 4: unknown key 'ouput' in examples[0]" in line


def test_missing_prompt(tmp_path):
    assert "missing required key 'prompt'" in error_for(write(tmp_path, "name: x\n"))


def test_not_a_mapping(tmp_path):
    assert "expected a mapping" in error_for(write(tmp_path, "- a\n- b\n"))


def test_duplicate_key(tmp_path):
    path = write(tmp_path, "prompt: a\nprompt: b\n")
    assert f"{path} line 2: key 'prompt' appears twice" in error_for(path)


def test_extract_regex_that_does_not_compile(tmp_path):
    path = write(tmp_path, "prompt: x\nextract:\n  regex: 'Answer: (\\d+'\n")
    line = error_for(path)
    assert "line 3: extract: regex 'Answer: (\\\\d+' does not compile: " in line
    assert "missing ), unterminated subpattern" in line


def test_extract_group_that_does_not_exist(tmp_path):
    path = write(tmp_path, "prompt: x\nextract:\n  regex: 'A: (\\d+)'\n  group: 2\n")
    assert "group 2 does not exist" in error_for(path)


def test_extract_needs_exactly_one_way(tmp_path):
    path = write(tmp_path, "prompt: x\nextract:\n  marker: 'A:'\n  regex: 'x'\n")
    assert "exactly one of 'marker' or 'regex'" in error_for(path)


def test_bad_technique_value(tmp_path):
    path = write(tmp_path, "prompt: x\ntechnique: graph-of-thoughts\n")
    line = error_for(path)
    assert "line 2: technique:" in line and "'few-shot'" in line


def test_bad_option_value_at_load(tmp_path):
    path = write(tmp_path, "prompt: x\noptions:\n  temperature: 7\n")
    line = error_for(path)
    assert "line 3: invalid value for option 'temperature'" in line


def test_least_to_most_needs_solve(tmp_path):
    path = write(tmp_path, "prompt: x\ntechnique: least-to-most\n")
    assert "needs 'solve'" in error_for(path)


def test_jinja_syntax_error_reports_the_line_in_the_file(tmp_path):
    path = write(tmp_path, "name: x\nprompt: |\n  line one\n  {% if input %}\n  {{ input }\n")
    line = error_for(path)
    assert line.startswith(f"{path} line 5: prompt:")


def test_sandbox_violation_refused_at_load_with_line(tmp_path):
    path = write(tmp_path, "system: ok\nprompt: |\n  hi\n  {{ ''.__class__.__mro__ }}\n")
    line = error_for(path)
    assert f"{path} line 4: prompt: refused by the sandbox" in line
    assert "cannot reach Python internals" in line


def test_invalid_variable_names(tmp_path):
    bad_name = write(tmp_path, "prompt: x\nvariables:\n  - name: 'a-b'\n")
    assert "not a valid variable name" in error_for(bad_name)
    assert "reserved" in error_for(write(tmp_path, "prompt: x\nvariables:\n  - name: examples\n"))
    assert "declared twice" in error_for(
        write(tmp_path, "prompt: x\nvariables:\n  - name: a\n  - name: a\n"))


def test_not_utf8(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_bytes(b"prompt: caf\xe9\n")
    assert "not UTF-8" in error_for(path)


def test_scalars_in_examples_become_text(tmp_path):
    text = ("prompt: x\nexamples:\n  - input: 2 + 2\n    output: 4\n"
            "  - input: yes?\n    output: yes\n")
    t = load_template(write(tmp_path, text))
    assert [(e.input, e.output) for e in t.examples] == [("2 + 2", "4"), ("yes?", "yes")]
