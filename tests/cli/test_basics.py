"""The CLI face: help, version, usage errors, input handling."""

import subprocess
import sys

from llmcli import __version__


def test_version_in_process_and_as_subprocess(cli, cli_proc):
    assert cli("--version").stdout.strip() == f"llmcli {__version__}"
    res = cli_proc("--version")
    assert res.exit_code == 0 and res.stdout.strip() == f"llmcli {__version__}"


def test_console_script_and_module_agree():
    out = subprocess.run([sys.executable, "-m", "llmcli", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    for command in ("prompt", "models", "keys", "logs"):
        assert command in out.stdout


def test_no_arguments_prints_help(cli):
    res = cli()
    assert res.exit_code == 0 and "Usage" in res.stdout


def test_unknown_command_and_option_are_usage_errors(cli):
    res = cli("frobnicate")
    assert res.exit_code == 2
    assert res.stderr.startswith("llmcli: error:") and res.stderr.count("\n") == 1
    res = cli("prompt", "--bogus", "hi")
    assert res.exit_code == 2 and "--bogus" in res.stderr and "Traceback" not in res.stderr


def test_empty_prompt_and_empty_stdin(cli):
    res = cli("prompt", input="")
    assert res.exit_code == 2 and "empty prompt" in res.stderr
    res = cli("prompt", "   ", input="\n\n")
    assert res.exit_code == 2 and "empty prompt" in res.stderr


def test_invalid_utf8_on_stdin(cli):
    res = cli("prompt", "summarise", input=b"caf\xe9 au lait")
    assert res.exit_code == 2
    assert "not valid UTF-8" in res.stderr and "0xe9" in res.stderr


def test_unknown_model_suggests(cli):
    res = cli("prompt", "hi", "-m", "gemeni")
    assert res.exit_code == 5
    assert "gemini" in res.stderr and res.stderr.count("\n") == 1


def test_invalid_option_value_is_one_line(cli):
    res = cli("prompt", "hi", "-o", "temperature=9")
    assert res.exit_code == 2
    assert "temperature" in res.stderr and res.stderr.count("\n") == 1


def test_unknown_option_name(cli):
    res = cli("prompt", "hi", "-o", "temprature=1")
    assert res.exit_code == 2 and "unknown option 'temprature'" in res.stderr


def test_bad_config_file_is_reported(cli, home):
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text("default_model = [unclosed", encoding="utf-8")
    res = cli("prompt", "hi")
    assert res.exit_code == 2 and "config.toml" in res.stderr and "not valid TOML" in res.stderr


def test_shell_completion_script_and_answers(cli_proc):
    script = cli_proc("--show-completion", "bash", env={"SHELL": "/bin/bash"})
    assert script.exit_code == 0 and "_llmcli_completion" in script.stdout
    answer = cli_proc(
        env={"COMP_WORDS": "llmcli lo", "COMP_CWORD": "1", "_LLMCLI_COMPLETE": "complete_bash"}
    )
    assert answer.stdout.split() == ["logs"]
