"""The sandbox against known Jinja2 template-injection payloads (SSTI).

A template shared by someone else must not run code, read files or reach the environment.
Each payload is refused with a one-line InvalidInput, either when the template is loaded
(static check) or when it renders (the sandbox), and never yields Python internals.
"""

from __future__ import annotations

import pytest

from llmcli.core.errors import InvalidInput
from llmcli.templates.loader import parse_template
from llmcli.templates.render import render

PAYLOADS = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ ''.__class__.__mro__[2].__subclasses__()[40]('/etc/passwd').read() }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ joiner.__init__.__globals__.os.popen('id').read() }}",
    "{{ namespace.__init__.__globals__.os.popen('id').read() }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ lipsum.__globals__.os.environ }}",
    "{{ self.__init__.__globals__.__builtins__.open('/etc/passwd').read() }}",
    "{{ self._TemplateReference__context.cycler.__init__.__globals__.os }}",
    "{{ config.__class__.__init__.__globals__['os'].popen('id').read() }}",
    "{{ request.application.__globals__.__builtins__.__import__('os').popen('id').read() }}",
    "{{ ''|attr('__class__')|attr('__mro__') }}",
    "{{ ()|attr('__class__') }}",
    "{{ x['__class__'] }}",
    "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    "{% include '/etc/passwd' %}",
    "{% import 'os' as os %}",
    "{% extends '/etc/passwd' %}",
    "{% from 'x' import y %}",
    "{{ range.__self__ }}",
    "{{ input.__len__() }}",
]

# Reach the same places through names built at render time, so only the sandbox can stop them.
DYNAMIC = [
    ("{{ input|attr(x) }}", {"x": "__class__"}),
    ("{{ input[x] }}", {"x": "__class__"}),
    ("{{ (input|attr(x))|attr(y) }}", {"x": "__class__", "y": "__mro__"}),
    ("{{ '{0.__class__.__mro__}'.format(input) }}", {}),
    ("{{ '{x.__class__}'.format_map({'x': input}) }}", {}),
    ("{% set xs = [1] %}{{ xs.append(2) }}{{ xs }}", {}),
    ("{% set d = {} %}{{ d.update(a=1) }}", {}),
    ("{{ 'a' * 100000000 }}", {}),
    ("{{ [1] * 100000000 }}", {}),
    ("{{ 9 ** 99999999 }}", {}),
    ("{{ range(1000000000)|list|length }}", {}),
]


def load(prompt: str):
    escaped = prompt.replace("'", "''")
    return parse_template(f"prompt: '{escaped}'\n", "shared.yaml")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_static_payloads_refused_at_load(payload):
    with pytest.raises(InvalidInput) as err:
        load(payload)
    line = err.value.one_line()
    assert "refused by the sandbox" in line and "\n" not in line
    assert line.startswith("shared.yaml")


def _render(prompt: str, values: dict) -> str:
    t = load(prompt)
    given = {"input": "texto", **values}
    known = {v.name for v in t.variables}
    return render(t, {k: v for k, v in given.items() if k in known}).messages[-1].content


@pytest.mark.parametrize(("payload", "values"), DYNAMIC)
def test_dynamic_payloads_refused_at_render(payload, values):
    with pytest.raises(InvalidInput) as err:
        _render(payload, values)
    line = err.value.one_line()
    assert "refused by the sandbox" in line and "\n" not in line


def test_dynamic_attribute_reaching_internals_names_the_sandbox():
    with pytest.raises(InvalidInput) as err:
        _render("{{ input|attr(x) }}", {"x": "__class__"})
    expected = "refused by the sandbox: access to attribute '__class__' of 'str' object is unsafe"
    assert expected in err.value.one_line()
    assert "templates cannot reach Python internals" in err.value.one_line()


def test_harmful_globals_are_gone():
    # lipsum, cycler and joiner are not provided; used bare they are just missing variables.
    for name in ("lipsum", "cycler", "joiner", "config", "request"):
        t = load("{{ " + name + " }}")
        assert [v.name for v in t.variables] == [name]
        with pytest.raises(InvalidInput, match=f"needs variable: {name}"):
            render(t, {})


def test_payloads_as_variable_values_are_inert_text():
    t = load("{{ input }}")
    for payload in PAYLOADS:
        assert render(t, {"input": payload}).messages[0].content == payload


def test_environment_is_unreachable_through_safe_looking_names(monkeypatch):
    # The real process environment, restored after: the sandbox must not reach it.
    monkeypatch.setenv("LLMCLI_SECRET_PROBE", "s3cr3t-value")
    prompts = ("{{ self }}", "{{ namespace() }}", "{{ range(3)|list }}", "{{ input|pprint }}")
    for prompt in prompts:
        assert "s3cr3t-value" not in _render(prompt, {})


def test_legitimate_jinja_still_works():
    t = load("{% set ns = namespace(n=0) %}{% for w in input.split() %}{% set ns.n = ns.n + 1 %}"
             "{% endfor %}{{ ns.n }} {{ input|upper }} {{ range(3)|join(',') }} {{ 'ab' * 3 }}")
    assert render(t, {"input": "um dois três"}).messages[0].content == "3 UM DOIS TRÊS 0,1,2 ababab"
