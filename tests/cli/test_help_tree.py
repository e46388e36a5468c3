"""Every command, group and parameter explains itself: walks the whole Click tree, so a flag or
command added later without help text or an example fails here."""

from __future__ import annotations

import click
import pytest
import typer


def _tree():
    from llmcli.cli.app import app, register

    register(None)
    root = typer.main.get_command(app)
    out: list[tuple[str, click.Command]] = []

    def walk(cmd: click.Command, path: str) -> None:
        if getattr(cmd, "hidden", False):
            return
        out.append((path, cmd))
        if isinstance(cmd, click.Group):
            for name, sub in cmd.commands.items():
                walk(sub, f"{path} {name}")

    walk(root, "llmcli")
    # `batch jobs|status|fetch|cancel` live in a group `batch` hands its line to
    from llmcli.cli.batch_jobs import jobs_app

    for name, sub in typer.main.get_command(jobs_app).commands.items():
        walk(sub, f"llmcli batch {name}")
    return out


TREE = _tree()
IDS = [path for path, _ in TREE]


def test_the_walk_reaches_every_command():
    assert {"llmcli prompt", "llmcli keys set", "llmcli rag index", "llmcli logs show"} <= set(IDS)
    assert len(TREE) > 40


@pytest.mark.parametrize(("path", "cmd"), TREE, ids=IDS)
def test_every_visible_parameter_has_help(path, cmd):
    bare = [p.name for p in cmd.params
            if not getattr(p, "hidden", False) and not (getattr(p, "help", None) or "").strip()]
    assert bare == [], f"{path}: parameters without help text: {bare}"


@pytest.mark.parametrize(("path", "cmd"), TREE, ids=IDS)
def test_every_command_help_has_an_example(path, cmd):
    text = cmd.help or ""
    assert "Example" in text, f"{path}: no 'Example:' in its help"
    examples = [ln for ln in text.splitlines() if "Example" in ln]
    # several examples are several lines, never one line joined with ' | '
    assert not any(" | llmcli" in ln and ln.count("llmcli") > 2 for ln in examples), examples


@pytest.mark.parametrize(("path", "cmd"), TREE, ids=IDS)
def test_a_text_argument_that_reads_stdin_says_dash_does(path, cmd):
    for p in cmd.params:
        helptext = getattr(p, "help", None) or ""
        if isinstance(p, click.Argument) and "stdin" in helptext:
            assert "'-'" in helptext, f"{path} {p.name}: says stdin but not that '-' means it"


def test_help_renders_argument_help_in_a_pipe(cli):
    res = cli("prompt", "--help")
    assert res.exit_code == 0
    assert "'-' or nothing reads stdin" in res.stdout  # argument help is printed (click<8.5)
