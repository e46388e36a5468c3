"""Templates cannot hang or exhaust the process (#16 item 4).

Each hostile template gets a one-line error and exit 2 from the real CLI; time is a fake clock
(`sandbox.clock`), so the budget is tested without waiting for it.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from llmcli.templates import sandbox


def write(tmp_path, body: str, name: str = "hostil.yaml"):
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return str(path)


def one_line_refusal(res, words: str) -> None:
    assert res.exit_code == 2, (res.exit_code, res.stderr)
    assert words in res.stderr, res.stderr
    assert res.stderr.strip().count("\n") <= 1  # the error line, maybe a hint; no traceback
    assert "Traceback" not in res.stderr


class JumpingClock:
    """Every reading is `step` seconds later than the last."""

    def __init__(self, step: float = 1.0):
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


@pytest.mark.parametrize("loop", [
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "{% macro f(n) %}{% if n %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}{% endmacro %}{{ f(40) }}",
    "{% for a in input %}{% for b in input %}{% endfor %}{% endfor %}",
])
def test_endless_loops_hit_the_time_budget(cli, tmp_path, monkeypatch, loop):
    monkeypatch.setattr(sandbox, "clock", JumpingClock())
    path = write(tmp_path, f"prompt: '{loop}{{{{ input|length }}}}'\n")
    res = cli("templates", "render", path, "x" * 1000)
    one_line_refusal(res, f"rendering took longer than {sandbox.RENDER_SECONDS:g} s")


def test_the_budget_leaves_ordinary_templates_alone(cli, tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "clock", JumpingClock(0.001))
    path = write(tmp_path, "prompt: '{% for w in input.split() %}{{ w|upper }} {% endfor %}'\n")
    res = cli("templates", "render", path, "olá São Paulo")
    assert res.exit_code == 0, res.stderr
    assert "OLÁ SÃO PAULO" in res.stdout


@pytest.mark.parametrize(("expr", "words"), [
    ("((10**1000)**1000)**1000", "is too large"),
    ("'a'|center(1000000000)", "center would build"),
    ("'a'|indent(1000000000, true)", "indent would build"),
    ("'%1000000000s'|format('a')", "format would build"),
    ("'%1000000000s' % 'a'", "would build"),
    ("'{:1000000000}'.format('a')", "format would build"),
    ("'a'.rjust(1000000000)", "rjust would build"),
])
def test_constant_widths_are_refused_by_validate_and_render(cli, tmp_path, expr, words):
    path = write(tmp_path, f'prompt: "{{{{ {expr} }}}}"\n')
    for command in (["templates", "validate", path], ["templates", "render", path]):
        one_line_refusal(cli(*command), words)


@pytest.mark.parametrize(("expr", "words"), [
    ("(['a'*100000]*100000)|join", "would build 10,000,000,000 characters"),
    ("('a'*100000)|replace('a', 'a'*100000)", "replace would build"),
    ("input|center(n|int)", "center would build"),
    ("(input ~ '%' ~ n ~ 's')|format('a')", "format would build"),
    ("[input] * (n|int)", "would build"),
])
def test_built_values_are_refused_before_they_are_built(cli, tmp_path, expr, words):
    path = write(tmp_path, f'prompt: "{{{{ input }}}}{{{{ n }}}}{{{{ {expr} }}}}"\n')
    one_line_refusal(cli("templates", "render", path, "x", "-v", "n=1000000000"), words)


def test_output_of_a_loop_is_capped(cli, tmp_path):
    body = ("prompt: '{% set x %}{% for i in range(100000) %}{{ input }}{% endfor %}{% endset %}"
            "{{ x|length }}'\n")
    res = cli("templates", "render", write(tmp_path, body), "b" * 100_000)
    one_line_refusal(res, "output passed")


def test_literal_text_in_a_loop_counts_every_time_round(cli, tmp_path):
    body = "prompt: '{% for i in range(100000) %}" + "texto " * 20 + "{% endfor %}'\n"
    one_line_refusal(cli("templates", "render", write(tmp_path, body)), "output passed")


def test_yaml_alias_bomb_is_refused(cli, tmp_path):
    lines = ['a0: &a0 "lol"']
    for i in range(1, 30):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]")
    lines.append("prompt: '{{ input }}'")
    res = cli("templates", "validate", write(tmp_path, "\n".join(lines) + "\n"))
    one_line_refusal(res, "YAML aliases (*name) are not allowed")
    assert "line 2" in res.stderr


def test_nested_repeat_regex_is_refused_by_validate(cli, tmp_path):
    path = write(tmp_path, "prompt: '{{ input }}'\nextract:\n  regex: '(a+)+$'\n")
    one_line_refusal(cli("templates", "validate", path), "nests a repeat directly in another")


def test_a_slow_regex_times_out_instead_of_hanging(tmp_path):
    # (a|aa)+$ passes the static check but backtracks exponentially on 'aaa...b' with `re`
    # (about 2**60 steps here); the regex module's timeout ends it. A subprocess, so a hang
    # without the fix fails on the generous timeout instead of stopping the test run.
    code = (
        "from llmcli.templates.model import Extract\n"
        "from llmcli.templates.extract import extract_with\n"
        "from llmcli.core.errors import InvalidInput\n"
        "try:\n"
        "    extract_with(Extract(regex='(a|aa)+$'), 'a' * 90 + 'b')\n"
        "except InvalidInput as exc:\n"
        "    print('refused:', exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert "refused: extract regex '(a|aa)+$' took longer than" in out.stdout, out.stderr


def test_ordinary_extract_regex_keeps_unicode_classes():
    from llmcli.templates.extract import extract_with
    from llmcli.templates.model import Extract

    assert extract_with(Extract(regex=r"Resposta:\s*(\w+)"), "Resposta: São") == "São"
