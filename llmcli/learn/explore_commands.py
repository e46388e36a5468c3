"""The explorer's commands, one per line (the scripted mode reads them from stdin; the full
screen turns keys into them):

    n            take the sampled token            p N      pick candidate N
    t TEXT       add TEXT's tokens                  u        undo one token
    b [NAME]     save the path as a branch          o NAME   open a saved branch
    c            compare the branches               q        quit
    h            help

A bare number picks that candidate. Mistakes (a bad number, an unknown branch) give a
message and change nothing; they never end the session.
"""

from __future__ import annotations

from dataclasses import dataclass

from llmcli.core.errors import InvalidInput
from llmcli.learn.explore_session import Choice, Explorer
from llmcli.learn.explore_text import tr


@dataclass
class CommandResult:
    lines: list[str]  # what happened, in the chosen language
    quit: bool = False
    compare: bool = False
    error: bool = False


def run_command(ex: Explorer, line: str, lang: str) -> CommandResult:
    """Apply one command line to the explorer."""
    verb, _, arg = line.strip("\r\n").lstrip().partition(" ")
    verb = verb.lower()
    if verb != "t":  # typed text keeps its spaces: "t  and" adds " and"
        arg = arg.strip()
    if verb.isdigit():
        verb, arg = "p", verb
    try:
        return _dispatch(ex, verb, arg, lang)
    except InvalidInput as exc:
        return CommandResult([exc.one_line()], error=True)


def _dispatch(ex: Explorer, verb: str, arg: str, lang: str) -> CommandResult:
    if verb == "n":
        return CommandResult([added(lang, ex.next())])
    if verb == "p":
        step = ex._require_step()
        n = len(step.candidates)
        if not arg.isdigit() or not 1 <= int(arg) <= n:
            return CommandResult([tr(lang, "bad_pick", n=n)], error=True)
        return CommandResult([added(lang, ex.pick(int(arg)))])
    if verb == "t":
        if not arg:
            return CommandResult([tr(lang, "empty_text")], error=True)
        return CommandResult([added(lang, c) for c in ex.type_text(arg)])
    if verb == "u":
        choice = ex.undo()
        if choice is None:
            return CommandResult([tr(lang, "nothing_to_undo")], error=True)
        return CommandResult([tr(lang, "undone", piece=choice.piece)])
    if verb == "b":
        name = ex.branch(arg)
        return CommandResult([tr(lang, "branched", name=name, n=len(ex.path))])
    if verb == "o":
        try:
            ex.open(arg)
        except KeyError:
            names = ", ".join(ex.branches) or "-"
            return CommandResult([tr(lang, "no_branch", name=arg, names=names)], error=True)
        return CommandResult([tr(lang, "opened", name=arg)])
    if verb == "c":
        if not ex.branches:
            return CommandResult([tr(lang, "no_branches")], error=True)
        return CommandResult([], compare=True)
    if verb in ("q", "quit", "exit"):
        return CommandResult([], quit=True)
    if verb in ("h", "?", "help"):
        return CommandResult([tr(lang, "help")])
    return CommandResult([tr(lang, "unknown", cmd=verb, help=tr(lang, "help"))], error=True)


def added(lang: str, choice: Choice) -> str:
    return tr(lang, "added", piece=choice.piece, how=tr(lang, f"how_{choice.how}"),
              p=_percent(choice.prob), rank=choice.rank)


def _percent(p: float) -> str:
    if p < 0.0001:
        return "<0.01%"
    return f"{p * 100:.2f}%" if p < 0.01 else f"{p * 100:.1f}%"
