"""`--functions FILE`: plain functions as tools, their hints and docstrings as the schema; a tool
that raises, gets bad arguments or hangs answers the model with an error (timeout injected)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.stubs.tool_calls import dumps, openai_calls

FUNCS = '''
import threading

def weather(city: str, unit: str = "C") -> str:
    """Weather in a city.

    city: the city's name, e.g. Recife
    unit: C or F
    """
    return f"{city}: 21 {unit}"


def broken(n: int) -> int:
    """Always raises."""
    return n // 0


def wait_forever() -> str:
    """Never returns."""
    threading.Event().wait()
    return "never"


def _private() -> None:
    pass

from os.path import join  # imported, not defined here: not a tool
'''

M = ["-m", "openai:gpt-4o-mini"]


@pytest.fixture
def funcs(tmp_path: Path) -> Path:
    path = tmp_path / "tools.py"
    path.write_text(FUNCS, encoding="utf-8")
    return path


def test_schema_from_hints_and_docstring(cli, openai_server, funcs: Path) -> None:
    r = cli("prompt", "oi", *M, "--functions", str(funcs))
    assert r.exit_code == 0, r.stderr
    tools = {t["function"]["name"]: t["function"]
             for t in openai_server.requests_for("chat")[0].body["tools"]}
    assert set(tools) == {"weather", "broken", "wait_forever"}
    w = tools["weather"]
    assert w["description"] == "Weather in a city."
    assert w["parameters"]["required"] == ["city"]
    assert w["parameters"]["properties"]["city"] == {
        "type": "string", "description": "the city's name, e.g. Recife"}
    assert w["parameters"]["properties"]["unit"]["default"] == "C"
    assert tools["broken"]["parameters"]["properties"]["n"]["type"] == "integer"


def test_errors_and_bad_arguments_reach_the_model(cli, openai_server, funcs: Path) -> None:
    openai_server.script("chat", openai_calls(openai_server, [
        ("a", "weather", dumps({"city": "Recife"})),
        ("b", "broken", dumps({"n": 3})),
        ("c", "weather", dumps({"cidade": "Recife"})),
        ("d", "nope", dumps({})),
    ]))
    r = cli("prompt", "oi", *M, "--functions", str(funcs), "--json")
    assert r.exit_code == 0, r.stderr
    results = [c["result"] for c in json.loads(r.stdout)["tool_calls"]]
    assert results[0] == "Recife: 21 C"
    assert results[1] == "error: ZeroDivisionError: integer division or modulo by zero"
    assert results[2].startswith("error: ValueError: bad arguments: city: Field required")
    assert results[3].startswith("error: no tool named 'nope'")


def test_a_hanging_function_times_out(cli, openai_server, funcs: Path) -> None:
    openai_server.script("chat", openai_calls(openai_server, [("a", "wait_forever", "{}")]))
    r = cli("prompt", "oi", *M, "--functions", str(funcs), "--tools-timeout", "0.2", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["text"] == "Tool said: error: timed out after 0.2 s"


@pytest.mark.parametrize("body, message", [
    (None, "--functions file not found"),
    ("def f(:\n", "failed to load: SyntaxError"),
    ("x = 1\n", "defines no public function"),
])
def test_a_bad_functions_file_is_exit_18(cli, openai_server, tmp_path: Path, body, message):
    path = tmp_path / "f.py"
    if body is not None:
        path.write_text(body, encoding="utf-8")
    r = cli("prompt", "oi", *M, "--functions", str(path))
    assert r.exit_code == 18
    assert message in r.stderr
    assert "Traceback" not in r.stderr
    assert openai_server.requests_for("chat") == []
