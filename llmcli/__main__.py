"""Entry point for the `llmcli` console script and `python -m llmcli`."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    from llmcli.cli.app import run
    from llmcli.environment import Environment

    sys.exit(run(sys.argv[1:] if argv is None else argv, Environment.from_process()))


if __name__ == "__main__":
    main()
