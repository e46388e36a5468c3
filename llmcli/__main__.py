"""Entry point for the `llmcli` console script and `python -m llmcli`."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    from llmcli.cli.top_help import answer
    from llmcli.environment import Environment, install_termination_handlers

    install_termination_handlers()
    args = sys.argv[1:] if argv is None else argv
    env = Environment.from_process()
    code = answer(args, env)
    if code is None:
        from llmcli.cli.app import run

        code = run(args, env)
    _fast_exit(code)


def _fast_exit(code: int) -> None:
    """Leave without the interpreter's teardown.

    Every command has closed its files and database by now (the click context's close
    callbacks ran), so what remains is module and object teardown: about 0.25 s once an SDK
    is imported, paid on every call in a pipeline. Standard streams are flushed first.
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


if __name__ == "__main__":
    main()
