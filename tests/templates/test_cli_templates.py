"""`llmcli templates list | show | render | new | edit | validate | path`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from llmcli.templates.loader import builtin_dir

BUILTINS = ["chain-of-draft", "chain-of-thought", "few-shot", "json", "least-to-most", "rag",
            "role", "self-consistency", "self-refine", "tree-of-thoughts", "zero-shot",
            "zero-shot-cot"]


def user_dir(home: Path) -> Path:
    return home / "config" / "templates"


def test_list_in_a_pipe_is_tab_separated(cli):
    res = cli("templates", "list")
    assert res.exit_code == 0
    lines = res.stdout.splitlines()
    assert lines[0] == "name\ttechnique\tsource\tdescription"
    assert [line.split("\t")[0] for line in lines[1:]] == BUILTINS
    assert all(line.split("\t")[2] == "built-in" for line in lines[1:])


def test_list_json_shows_user_overrides_and_broken_files(cli, home):
    user_dir(home).mkdir(parents=True)
    (user_dir(home) / "role.yaml").write_text("prompt: 'Eu: {{ input }}'\n", encoding="utf-8")
    (user_dir(home) / "quebrado.yaml").write_text("prompt: [\n", encoding="utf-8")
    rows = {r["name"]: r for r in json.loads(cli("templates", "list", "--json").stdout)}
    assert rows["role"]["source"] == "user (overrides built-in)"
    assert rows["quebrado"]["technique"] == "(invalid)"
    assert "malformed YAML" in rows["quebrado"]["description"]
    assert rows["few-shot"]["technique"] == "few-shot"


def test_show_prints_the_yaml_and_json(cli):
    res = cli("templates", "show", "chain-of-thought")
    assert res.exit_code == 0
    assert res.stdout == (builtin_dir() / "chain-of-thought.yaml").read_text(encoding="utf-8")
    data = json.loads(cli("templates", "show", "self-consistency", "--json").stdout)
    assert data["samples"] == 5 and data["vote"] == "majority"
    assert data["extract"]["marker"] == ["Answer:", "Resposta:"]
    assert data["variables"][0]["name"] == "input"


def test_show_on_a_terminal_is_highlighted(cli):
    res = cli("templates", "show", "zero-shot", stdout_tty=True)
    assert res.exit_code == 0 and "\x1b[" in res.stdout and "zero-shot" in res.stdout


def test_render_in_completion_form(cli):
    res = cli("templates", "render", "few-shot", "Que filme lindo", "--raw")
    assert res.exit_code == 0
    assert res.stdout.startswith("# template: few-shot (few-shot) · mode: completion")
    assert "--- user ---\nClassify the sentiment" in res.stdout
    assert res.stdout.endswith("Input: Que filme lindo\nOutput:\n")


def test_render_reads_stdin_and_vars(cli):
    res = cli("templates", "render", "role", "-v", "language=português", "--json",
              input="O que é atenção?")
    data = json.loads(res.stdout)
    assert data["messages"][1] == {"role": "user", "content": "O que é atenção?"}
    assert "Answer in português." in data["messages"][0]["content"]


def test_render_on_a_terminal_uses_panels(cli):
    res = cli("templates", "render", "zero-shot", "olá", stdout_tty=True)
    assert res.exit_code == 0 and "╭" in res.stdout and "user" in res.stdout and "olá" in res.stdout


def test_new_creates_a_valid_user_template_that_runs(cli, home):
    res = cli("templates", "new", "resumo")
    path = user_dir(home) / "resumo.yaml"
    assert res.exit_code == 0 and res.stdout.strip() == str(path)
    assert cli("templates", "validate", str(path)).exit_code == 0
    res = cli("templates", "render", "resumo", "texto {{ cru }}", "--json")
    assert json.loads(res.stdout)["messages"][-1] == {"role": "user", "content": "texto {{ cru }}"}
    res = cli("templates", "new", "resumo")
    assert res.exit_code == 2 and "already exists" in res.stderr


def test_new_from_a_builtin_overrides_it(cli, home):
    assert cli("templates", "new", "meu-cot", "--from", "chain-of-thought").exit_code == 0
    text = (user_dir(home) / "meu-cot.yaml").read_text(encoding="utf-8")
    assert "name: meu-cot" in text and "Answer:" in text
    data = json.loads(cli("templates", "show", "meu-cot", "--json").stdout)
    assert data["technique"] == "chain-of-thought" and data["name"] == "meu-cot"


def test_new_refuses_bad_names(cli):
    res = cli("templates", "new", "../fora")
    assert res.exit_code == 2 and "not a valid template name" in res.stderr


def _editor(tmp_path: Path, body: str) -> str:
    script = tmp_path / "editor.py"
    script.write_text(f"import sys\nopen(sys.argv[1], 'a', encoding='utf-8').write({body!r})\n",
                      encoding="utf-8")
    return f"{sys.executable} {script}"


def test_edit_a_builtin_copies_it_first_then_validates(cli, home, tmp_path):
    editor = _editor(tmp_path, "\n# edited\n")
    res = cli("templates", "edit", "role", env={"EDITOR": editor, "VISUAL": ""})
    path = user_dir(home) / "role.yaml"
    assert res.exit_code == 0, res.stderr
    assert "copied built-in 'role'" in res.stderr and f"{path}: ok" in res.stderr
    assert path.read_text(encoding="utf-8").endswith("# edited\n")
    rows = {r["name"]: r["source"] for r in json.loads(cli("templates", "list", "--json").stdout)}
    assert rows["role"] == "user (overrides built-in)"


def test_edit_of_a_builtin_without_a_change_leaves_no_override(cli, home, tmp_path):
    res = cli("templates", "edit", "role", env={"EDITOR": _editor(tmp_path, ""), "VISUAL": ""})
    assert res.exit_code == 0, res.stderr
    assert "no change" in res.stderr
    assert not (user_dir(home) / "role.yaml").exists()
    rows = {r["name"]: r["source"] for r in json.loads(cli("templates", "list", "--json").stdout)}
    assert rows["role"] == "built-in"
    res = cli("templates", "edit", "role", env={"EDITOR": "/nonexistent/editor", "VISUAL": ""})
    assert res.exit_code == 2 and not (user_dir(home) / "role.yaml").exists()


def test_edit_that_breaks_the_file_reports_the_line(cli, home, tmp_path):
    cli("templates", "new", "x")
    lines = (user_dir(home) / "x.yaml").read_text(encoding="utf-8").count("\n")
    res = cli("templates", "edit", "x", env={"EDITOR": _editor(tmp_path, "temperatura: 1\n")})
    assert res.exit_code == 2
    assert f"line {lines + 1}: unknown key 'temperatura'" in res.stderr


def test_edit_with_a_missing_editor(cli, home):
    cli("templates", "new", "y")
    res = cli("templates", "edit", "y", env={"EDITOR": "/nonexistent/editor", "VISUAL": ""})
    assert res.exit_code == 2 and "cannot start the editor" in res.stderr


def test_validate_many_reports_each(cli, tmp_path):
    good = tmp_path / "bom.yaml"
    good.write_text("prompt: '{{ pergunta }}'\nextract: 'Resposta:'\n", encoding="utf-8")
    bad = tmp_path / "ruim.yaml"
    bad.write_text("prompt: x\nexamples: faltando.jsonl\n", encoding="utf-8")
    res = cli("templates", "validate", str(good), str(bad), "few-shot")
    assert res.exit_code == 2
    assert f"ok  {good}  (bom, custom; variables: pergunta)" in res.stdout
    assert "few-shot, few-shot; variables: input, task" in res.stdout
    assert "faltando.jsonl not found" in res.stderr and res.stderr.count("\n") == 1


def test_path(cli, home):
    assert cli("templates", "path").stdout.strip() == str(user_dir(home))
    assert cli("templates", "path", "--builtin").stdout.strip() == str(builtin_dir())


def test_every_builtin_validates(cli):
    res = cli("templates", "validate", *BUILTINS)
    assert res.exit_code == 0 and res.stdout.count("ok  ") == len(BUILTINS)
