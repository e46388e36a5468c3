"""One convention across commands (README: Conventions): the same flag means the same thing
everywhere, '-' is stdin, and help shows what a command takes."""

from __future__ import annotations

import click


def _commands() -> list[tuple[str, click.Command]]:
    from tests.cli.test_help_tree import TREE

    return TREE


def _opts(cmd: click.Command) -> dict[str, click.Parameter]:
    return {o: p for p in cmd.params if not getattr(p, "hidden", False) for o in p.opts}


def test_concurrency_is_dash_j_jobs_in_every_command():
    with_jobs = []
    for path, cmd in _commands():
        opts = _opts(cmd)
        assert not {"--concurrency", "--parallel", "--workers"} & set(opts), path
        if "--jobs" in opts:
            assert "-j" in opts["--jobs"].opts, path
            with_jobs.append(path)
    assert {"llmcli compare", "llmcli batch"} <= set(with_jobs)


def test_compare_old_concurrency_flag_still_parses_but_is_not_advertised(cli):
    res = cli("compare", "--help")
    assert "-j, --jobs" in res.stdout and "--concurrency" not in res.stdout
    res = cli("compare", "hi", "-m", "openai", "--concurrency", "0")
    assert res.exit_code == 2 and "--concurrency" in res.stderr  # parsed (and range-checked)


def test_dash_n_is_top_and_means_how_many_to_show():
    for path, cmd in _commands():
        opts = _opts(cmd)
        if "--top" in opts:
            p = opts["--top"]
            assert "-n" in p.opts, path
            assert p.help.startswith("How many"), (path, p.help)
            assert isinstance(p.type, click.IntRange) and p.type.min == 1, path
        elif "-n" in opts:  # logs: the newest N rows, still "how many to show"
            assert opts["-n"].help.startswith("How many"), (path, opts["-n"].help)


def test_dry_run_means_show_what_would_be_sent_everywhere():
    seen = []
    for path, cmd in _commands():
        opts = _opts(cmd)
        if "--dry-run" in opts:
            seen.append(path)
            assert opts["--dry-run"].help.startswith("Show what would be sent; send nothing"), path
    assert {"llmcli prompt", "llmcli batch"} <= set(seen)


def test_chat_help_lists_every_slash_command_with_its_arguments(cli):
    from llmcli.chat.commands import COMMANDS

    res = cli("chat", "-m", "local", input="/help\n")
    assert res.exit_code == 0, res.stderr
    shown = res.stdout + res.stderr
    for cmd in set(COMMANDS.values()):
        assert cmd.usage in shown, cmd.usage  # `/model [provider:model]` is not eaten as markup


def test_an_option_the_provider_refuses_is_never_sent(cli, openai_server, groq_server):
    for model in ("openai:gpt-4o-mini", "groq:openai/gpt-oss-20b"):
        res = cli("prompt", "hi", "-m", model, "-o", "top_k=3")
        assert res.exit_code == 2
        assert res.stderr.endswith("does not take the option 'top_k' (providers that take it: "
                                   "gemini, local, OpenAI-compatible endpoints)\n")
    res = cli("prompt", "hi", "-m", "openai:gpt-4o-mini", "--raw")
    assert res.exit_code != 0 and "has no completion mode for --raw" in res.stderr
    assert openai_server.requests_for("chat") == [] and groq_server.requests_for("chat") == []


def test_prompt_json_numbers_and_model_follow_the_convention(cli, openai_server):
    import json
    import re

    res = cli("prompt", "hi", "-m", "openai:gpt-4o-mini", "--json")
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["model"] == "openai:gpt-4o-mini"
    assert data["cost"] > 0 and not re.search(r'"cost": [0-9.]+e', res.stdout)
    for key in ("ttft", "total", "waited"):
        assert round(data["timings"][key], 3) == data["timings"][key]
    shown = cli("logs", "show", str(data["log_id"])).stdout
    assert re.search(r"cost: \$0\.0+[1-9][0-9]?\b", shown), shown  # $0.0000xx, no exponent


# SGR parameters that set a colour: 30-37, 38;..., 40-47, 48;..., 90-97, 100-107
_COLOUR = r"\x1b\[(?:[0-9;]*;)?(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])(?:;[0-9;]*)?m"


def test_no_color_takes_the_colour_away_not_bold_or_italics(cli, openai_server):
    import re

    openai_server.chunks = ["Some **bold** and *italic* text, `code` and [a link](https://e.x).\n"]
    plain = cli("prompt", "hi", "-m", "openai:gpt-4o-mini", stdout_tty=True, stderr_tty=True,
                env={"NO_COLOR": "1"})
    assert plain.exit_code == 0, plain.stderr
    assert "\x1b[1m" in plain.stdout and "\x1b[3m" in plain.stdout  # bold, italics
    assert "https://e.x" in plain.stdout  # the link target is still there
    assert not re.search(_COLOUR, plain.stdout), repr(plain.stdout)
    coloured = cli("prompt", "hi", "-m", "openai:gpt-4o-mini", stdout_tty=True)
    assert re.search(_COLOUR, coloured.stdout)  # the check above can fail
    bad = cli("prompt", "hi", "-m", "nope:x", stderr_tty=True, env={"NO_COLOR": "1"})
    assert bad.stderr.startswith("\x1b[1mllmcli: error:\x1b[0m ")  # bold, not red


def test_a_long_error_in_a_narrow_terminal_breaks_between_words(cli):
    res = cli("keys", "set", "zzz", input="k\n", stderr_tty=True, width=40)
    assert res.exit_code == 2
    text = res.stderr.replace("\x1b[1;31m", "").replace("\x1b[0m", "")
    lines = text.splitlines()
    assert len(lines) > 1 and all(len(ln) <= 40 for ln in lines), lines
    words = " ".join(ln.strip() for ln in lines).split()
    assert " ".join(words) == "llmcli: error: unknown provider 'zzz' (one of: gemini, groq, openai)"
    piped = cli("keys", "set", "zzz", input="k\n", width=40)
    assert len(piped.stderr.splitlines()) == 1  # a pipe keeps the one line for grep


def test_every_command_that_calls_a_provider_takes_key():
    callers = set()
    for path, cmd in _commands():
        opts = _opts(cmd)
        if "--timeout" in opts:  # --timeout is there wherever a provider is called
            callers.add(path)
            assert "--key" in opts, f"{path} calls a provider but has no --key"
    # and these call one without a --timeout of their own
    for path in ("llmcli tokenize", "llmcli batch status", "llmcli batch fetch",
                 "llmcli batch cancel"):
        assert "--key" in _opts(dict(_commands())[path]), path
    assert {"llmcli compare", "llmcli batch", "llmcli embed", "llmcli rag search"} <= callers


def test_key_reaches_the_provider_in_compare_and_embed(cli, openai_server):
    openai_server.expected_key = "sk-given-on-the-line-0001"
    for args in (["compare", "hi", "-m", "openai:gpt-4o-mini", "-m", "openai:gpt-4o", "--json"],
                 ["embed", "gato", "-m", "openai"]):
        res = cli(*args, "--key", "sk-given-on-the-line-0001",
                  env={"OPENAI_API_KEY": "sk-wrong-from-env-0002"})
        assert res.exit_code == 0, res.stderr
        assert "sk-given-on-the-line-0001" not in res.stdout + res.stderr
    wrong = cli("embed", "cão", "-m", "openai", env={"OPENAI_API_KEY": "sk-wrong-from-env-0002"})
    assert wrong.exit_code == 4  # the check above can fail: the stub refuses another key


def test_png_on_every_view_the_readme_names(cli, openai_server, tmp_path):
    for name, args in {"tokens.png": ["tokenize", "O coração 🐦", "-m", "o200k_base",
                                      "-m", "cl100k_base"],
                       "embed.png": ["embed", "gato", "cat", "carro", "-m", "openai"]}.items():
        target = tmp_path / name
        res = cli(*args, "--png", str(target))
        assert res.exit_code == 0, res.stderr
        assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"saved {target}" in res.stderr
        bad = cli(*args, "--png", str(tmp_path / "x.jpg"))
        assert bad.exit_code == 2 and bad.stdout == ""  # refused before anything is shown


def test_dash_reads_stdin_and_is_never_sent_as_text(cli, openai_server):
    res = cli("prompt", "-", "-m", "openai:gpt-4o-mini", input="o gato dorme\n")
    assert res.exit_code == 0, res.stderr
    assert openai_server.requests_for("chat")[-1].body["messages"][-1]["content"] == "o gato dorme"
    res = cli("embed", "-", "-m", "openai", input="gato\ncão\n", stdout_tty=False)
    assert res.exit_code == 0, res.stderr
    assert openai_server.requests_for("embeddings")[-1].body["input"] == ["gato", "cão"]
