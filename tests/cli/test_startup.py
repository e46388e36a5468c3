"""Start-up stays light: printing help or the version imports no SDK, numpy or pydantic."""

import json
import subprocess
import sys

import pytest

HEAVY = [
    "openai",
    "groq",
    "google.genai",
    "numpy",
    "pydantic",
    "httpx",
    "httpx2",
    "llama_cpp",
    "gguf",
    "jinja2",
    "yaml",
]

PROBE = """
import io, json, sys
from llmcli.cli.app import run
from llmcli.environment import Environment
env = Environment(stdin=io.BytesIO(), stdout=io.StringIO(), stderr=io.StringIO(),
                  stdin_isatty=True, stdout_isatty=False, stderr_isatty=False)
code = run(sys.argv[1:], env)
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


# Typer itself validates sub-command parameters with pydantic, so only the top level is
# pydantic-free; our own models and every SDK stay unloaded everywhere.
@pytest.mark.parametrize(
    ("args", "allowed"),
    [
        (["--help"], []),
        (["--version"], []),
        (["prompt", "--help"], ["pydantic"]),
        (["keys", "path"], ["pydantic"]),
    ],
)
def test_light_commands_import_nothing_heavy(args, allowed):
    out = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True
    )
    data = json.loads(out.stdout.strip().splitlines()[-1])
    assert data["code"] == 0
    loaded = [m for m in HEAVY if m in data["modules"] and m not in allowed]
    assert loaded == []
    assert not any(
        m.startswith("llmcli.core.messages") or m.startswith("llmcli.providers.")
        for m in data["modules"]
    )


def test_command_manifest_matches_the_registered_commands():
    import typer

    from llmcli.cli import app as app_module

    app_module.register(None)
    group = typer.main.get_command(app_module.app)
    assert set(group.commands) == set(app_module.COMMAND_MODULES)


def test_a_command_loads_only_its_own_module():
    out = subprocess.run(
        [sys.executable, "-c", PROBE, "prompt", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    modules = json.loads(out.stdout.strip().splitlines()[-1])["modules"]
    loaded = {m.rsplit(".", 1)[1] for m in modules if m.startswith("llmcli.cli.")}
    assert "prompt" in loaded
    assert not loaded & {"batch", "chat", "compare", "rag", "inspect", "tokens", "templates"}
