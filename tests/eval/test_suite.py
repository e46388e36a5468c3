"""The promptfoo subset, parsed from real promptfoo example configs (tests/eval/fixtures/
promptfoo/, each naming its source), and the bounds on a suite file."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmcli.core.errors import InvalidInput
from llmcli.eval.providers import llmcli_name
from llmcli.eval.suite import MAX_FILE_BYTES, load_suite, parse_suite

FIXTURES = Path(__file__).parent / "fixtures" / "promptfoo"


def test_getting_started_parses_unchanged():
    suite = load_suite(FIXTURES / "getting-started" / "promptfooconfig.yaml")
    assert suite.description == "Getting started"
    assert [p.text for p in suite.prompts] == ["Convert this English to {{language}}: {{input}}",
                                               "Translate to {{language}}: {{input}}"]
    assert [llmcli_name(p.id) for p in suite.providers] == ["openai:gpt-4.1", "openai:o4-mini"]
    assert [c.vars for c in suite.cases] == [
        {"language": "French", "input": "Hello world"},
        {"language": "Spanish", "input": "Where is the library?"}]
    first, second = suite.cases
    assert [(a.type, a.value) for a in first.asserts] == [("contains", "Bonjour le monde")]
    assert [(a.type, a.value) for a in second.asserts] == [
        ("icontains", "Dónde está la biblioteca")]


def test_simple_test_file_prompts_refs_and_refused_types():
    path = FIXTURES / "simple-test" / "promptfooconfig.yaml"
    with pytest.raises(InvalidInput) as exc:
        load_suite(path)
    # the first unsupported assertion, named, with the supported list
    assert "tests.3.assert.0.type: assertion type 'javascript' is not supported" in str(
        exc.value)
    # Without the javascript and python checks the rest of the real file is the subset:
    text = path.read_text(encoding="utf-8")
    start = text.index("      # Look for substring")
    end = text.index("      # Check for semantic similarity")
    suite = parse_suite(text[:start] + text[end:], path)
    assert [p.text for p in suite.prompts] == [
        "Rephrase this from English to Pirate: {{body}}",
        "Pretend you're a pirate and speak these words: {{body}}"]
    assert suite.cases[0].vars == {"body": "Yes"}  # YAML 1.2: 'Yes' is text, not true
    assert [c.description for c in suite.cases][:2] == ["Check for exact match",
                                                        "Another basic substring check"]
    rubric_case = suite.cases[4]
    assert [(a.type, a.value) for a in rubric_case.asserts] == [
        ("llm-rubric", "Is spoken like a pirate"), ("icontains", "arrr")]  # $ref resolved
    assert [a.type for a in suite.cases[3].asserts] == ["similar"]


def test_json_output_needs_javascript_and_transform():
    path = FIXTURES / "json-output" / "promptfooconfig.yaml"
    with pytest.raises(InvalidInput, match="'javascript' is not supported"):
        load_suite(path)
    # without the JavaScript checks, its JavaScript transforms are what is refused, by name
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines()
             if "type: javascript" not in ln and "value: JSON.parse" not in ln
             and "value: output.color" not in ln]
    with pytest.raises(InvalidInput, match=r"transform: this key is not supported"):
        parse_suite("\n".join(lines), path)


def test_groq_providers_and_configs():
    suite = load_suite(FIXTURES / "groq" / "promptfooconfig.yaml")
    assert [llmcli_name(p.id) for p in suite.providers] == [
        "groq:gemma2-9b-it", "groq:llama3-groq-8b-8192-tool-use-preview"]
    assert suite.providers[1].config["tool_choice"] == "auto"  # options, checked at run time
    assert [c.asserts for c in suite.cases] == [[], []]


@pytest.mark.parametrize(("given", "expected"), [
    ("openai:chat:gpt-4o-mini", "openai:gpt-4o-mini"),
    ("openai:responses:o4-mini", "openai:o4-mini"),
    ("vertex:gemini-2.5-pro", "gemini:gemini-2.5-pro"),
    ("google:gemini-2.0-flash", "gemini:gemini-2.0-flash"),
    ("groq:llama-3.3-70b-versatile", "groq:llama-3.3-70b-versatile"),
    ("local", "local"),
    ("anthropic:messages:claude", "anthropic:messages:claude"),  # left to llmcli to refuse
])
def test_provider_ids(given, expected):
    assert llmcli_name(given) == expected


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "suite.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_default_test_merges_and_list_vars_expand(tmp_path):
    suite = load_suite(write(tmp_path, """
prompts: ['{{a}} {{b}}']
defaultTest:
  vars: {b: fixed}
  assert: [{type: not-contains, value: error}]
  threshold: 0.5
tests:
  - vars: {a: [x, y, z]}
    assert: [{type: contains, value: '{{a}}', weight: 2}]
  - description: own threshold
    vars: {a: w, b: mine}
    threshold: 1
"""))
    assert [c.vars for c in suite.cases] == [
        {"a": "x", "b": "fixed"}, {"a": "y", "b": "fixed"}, {"a": "z", "b": "fixed"},
        {"a": "w", "b": "mine"}]
    assert [a.type for a in suite.cases[0].asserts] == ["not-contains", "contains"]
    assert [c.threshold for c in suite.cases] == [0.5, 0.5, 0.5, 1]
    assert len({c.key for c in suite.cases}) == 4


def test_template_prompts_and_labels(tmp_path):
    suite = load_suite(write(tmp_path, """
prompts:
  - {id: cot, template: chain-of-thought}
  - {label: plain, raw: 'Q: {{input}}', extract: {marker: 'Answer:'}}
  - 'Q: {{input}}'
tests: [{vars: {input: '2+2?'}}]
"""))
    assert [(p.label, p.template) for p in suite.prompts] == [
        ("cot", "chain-of-thought"), ("plain", None), ("Q: {{input}}", None)]
    assert suite.prompts[1].extract.marker == ["Answer:"]


@pytest.mark.parametrize(("text", "message"), [
    ("a: &x [1]\nb: *x\n", "aliases"),
    ("prompts: ['x']\nenv: {OPENAI_API_KEY: sk}\n", "env: this key is not supported"),
    ("- just a list\n", "expected a mapping"),
    ("prompts: []\n", "prompts"),
    ("prompts: ['x']\ntests: [{vars: {}, assert: [{type: contains}], extra: 1}]\n",
     "tests.0.extra: this key is not supported"),
    ("prompts: ['x']\ntests: [{threshold: 2}]\n", "threshold"),
    ("prompts: ['file://missing.txt']\n", "missing.txt cannot be read"),
])
def test_refusals_are_one_line(tmp_path, text, message):
    with pytest.raises(InvalidInput) as exc:
        load_suite(write(tmp_path, text))
    assert message in exc.value.one_line()
    assert "\n" not in exc.value.one_line()


def test_size_and_expansion_bounds(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    with pytest.raises(InvalidInput, match="over the"):
        load_suite(big)
    # 30^3 combinations from a few lines of list vars are refused before they are built
    values = "[" + ", ".join(str(i) for i in range(30)) + "]"
    with pytest.raises(InvalidInput, match="expand into more than"):
        load_suite(write(tmp_path, f"prompts: ['x']\ntests: [{{vars: {{a: {values}, "
                                   f"b: {values}, c: {values}}}}}]\n"))
    (tmp_path / "bad.yaml").write_bytes(b"prompts: ['\xff']\n")
    with pytest.raises(InvalidInput, match="not UTF-8"):
        load_suite(tmp_path / "bad.yaml")
