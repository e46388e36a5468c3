"""The Typer application: global flags, command registration, and error-to-exit-code mapping."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import typer

from llmcli import __version__

if TYPE_CHECKING:
    from llmcli.environment import Environment

app = typer.Typer(
    name="llmcli",
    help="A command-line LLM playground: Groq, Gemini, OpenAI-compatible servers and a local "
    "Gemma 3 model behind one interface.\n\nExample: llmcli prompt \"Olá!\" -m local",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"llmcli {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    version: bool = typer.Option(
        False,
        "--version",
        "-V",
        callback=_version,
        is_eager=True,
        help="Show the version and exit.",
    ),
    debug: bool = typer.Option(
        False, "--debug", help="Show tracebacks and provider error details."
    ),
) -> None:
    """A command-line LLM playground."""
    if ctx.obj is not None and debug:
        ctx.obj.debug = True


# Which module registers each command. A process imports only the module of the command it
# runs (about 1-2 ms each, ~13 ms for all); help, completion and unknown names load them all.
COMMAND_MODULES: dict[str, str] = {  # in the order `llmcli --help` lists them
    "prompt": "prompt",
    "chat": "chat",
    "models": "models",
    "keys": "keys",
    "logs": "logs",
    "templates": "templates",
    "schemas": "schemas",
    "compare": "compare",
    "leaderboard": "leaderboard",
    "batch": "batch",
    "eval": "eval",
    "rag": "rag",
    "tokenize": "tokens",
    "detokenize": "tokens",
    "embed": "tokens",
    "similar": "tokens",
    "next": "inspect",
    "inspect": "inspect",
    "learn": "learn",
    "explore": "explore",
    "mcp": "mcp",
}

_loaded: set[str] = set()


def register(argv: list[str] | None = None) -> None:
    """Import the command modules this invocation needs (all of them when argv is None)."""
    import importlib

    name = _command_name(argv) if argv is not None else None
    if name is None and argv and argv[0] in ("--version", "-V"):
        return  # answered by the eager --version callback before any command is needed
    wanted = {COMMAND_MODULES[name]} if name in COMMAND_MODULES else set(COMMAND_MODULES.values())
    for module in dict.fromkeys(COMMAND_MODULES.values()):
        if module not in wanted or module in _loaded:
            continue
        importlib.import_module(f"llmcli.cli.{module}")
        _loaded.add(module)


def _command_name(argv: list[str]) -> str | None:
    if os.environ.get("_LLMCLI_COMPLETE"):
        return None  # completion lists every command
    if any(a in ("-h", "--help") for a in argv[:1]):
        return None
    return next((a for a in argv if not a.startswith("-")), None)


def run(argv: list[str], env: Environment) -> int:
    """Run the CLI with the given arguments and environment; returns the exit code (after
    SIGTERM or SIGHUP: 128 + the signal's number)."""
    code = _run(argv, env)
    from llmcli.environment import terminated_by

    signum = terminated_by()
    return 128 + signum if signum is not None and code in (0, 130) else code


def _run(argv: list[str], env: Environment) -> int:
    from click import exceptions as click_exc

    from llmcli.core.errors import LlmcliError, OutputClosed, output_failure
    from llmcli.ui.console import error_line

    argv = _take_debug_flag(argv, env)
    import contextlib

    import typer.core

    # Rich help costs ~0.1 s of imports; it is worth it only when a person reads a terminal.
    typer.core.HAS_RICH = env.stdout_isatty and not env.environ.get("NO_COLOR")
    register(argv)
    command = typer.main.get_command(app)
    try:
        # Typer prints help and completion scripts to sys.stdout: point it at our stream.
        with contextlib.redirect_stdout(env.stdout):
            result = command.main(args=argv, prog_name="llmcli", standalone_mode=False, obj=env)
        return result if isinstance(result, int) else 0
    except (typer.Exit, click_exc.Exit) as exc:
        return exc.exit_code
    except click_exc.NoArgsIsHelpError as exc:
        if exc.ctx is not None:
            with contextlib.redirect_stdout(env.stdout):
                text = exc.ctx.get_help()
            if text.strip():
                env.stdout.write(text + "\n")
        return 0
    except click_exc.UsageError as exc:
        hint = ""
        if exc.ctx is not None:
            hint = f" (see '{exc.ctx.command_path} --help')"
        error_line(env, f"{exc.format_message()}{hint}")
        return 2
    except (typer.Abort, click_exc.Abort):
        return 130
    except SystemExit as exc:
        if isinstance(exc.__context__, BrokenPipeError):  # click turns EPIPE into exit 1
            _silence_stdout()
            return OutputClosed.exit_code
        return exc.code if isinstance(exc.code, int) else 1
    except OutputClosed:
        _silence_stdout()  # the reader left: nothing to say, the shell's SIGPIPE status
        return OutputClosed.exit_code
    except LlmcliError as exc:
        error_line(env, exc.one_line())
        if env.debug:
            _debug_details(env, exc)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`| head`): not an error, but not a success either: the status
        # a shell gives a process killed by SIGPIPE. Point stdout at devnull so the
        # interpreter's final flush does not complain.
        _silence_stdout()
        return OutputClosed.exit_code
    except Exception as exc:  # a bug: one line unless --debug
        failure = output_failure(exc)
        if failure is not None:  # stdout on a full or read-only device
            error_line(env, failure.one_line())
            return failure.exit_code
        from llmcli.core.errors import redact

        error_line(
            env,
            redact(f"internal error: {type(exc).__name__}: {exc}")
            + ("" if env.debug else " (run with --debug for the traceback)"),
        )
        if env.debug:
            import traceback

            env.stderr.write(redact(traceback.format_exc()))
        return 1


def _take_debug_flag(argv: list[str], env: Environment) -> list[str]:
    """`--debug` works anywhere before `--`, not only before the command name."""
    end = argv.index("--") if "--" in argv else len(argv)
    if "--debug" not in argv[:end]:
        return list(argv)
    env.debug = True
    return [a for a in argv[:end] if a != "--debug"] + list(argv[end:])


def _debug_details(env: Environment, exc: Exception) -> None:
    import traceback

    from llmcli.core.errors import redact

    for key, value in getattr(exc, "debug", {}).items():
        env.stderr.write(f"  {key}: {value}\n")
    env.stderr.write(redact(traceback.format_exc()))


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
