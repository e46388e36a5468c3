"""`prompt -x/--extract` and `--extract-last` on replies with zero, one and several fenced code
blocks, through the CLI and the OpenAI stub."""

from __future__ import annotations

SEVERAL = ("Primeiro:\n```bash\nls -1 *.py | wc -l\n```\nDepois, em Python:\n\n"
           "```python\nprint('olá 🐍')\n```\nE fim.")


def test_one_block_is_printed_alone_without_markdown(cli, openai_server):
    openai_server.reply_text = "Aqui está:\n\n```bash\nfind . -name '*.py' | wc -l\n```\n"
    r = cli("prompt", "-m", "openai:gpt-4o-mini", "-x", "conte os arquivos .py")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "find . -name '*.py' | wc -l\n"
    assert openai_server.requests_for("chat")[-1].body.get("stream") is None  # fetched whole


def test_several_blocks_first_and_last(cli, openai_server):
    openai_server.reply_text = SEVERAL
    first = cli("prompt", "-m", "openai:gpt-4o-mini", "-x", "x")
    last = cli("prompt", "-m", "openai:gpt-4o-mini", "--extract-last", "x")
    assert (first.exit_code, first.stdout) == (0, "ls -1 *.py | wc -l\n")
    assert (last.exit_code, last.stdout) == (0, "print('olá 🐍')\n")


def test_no_block_says_so_on_stderr_and_fails(cli, openai_server):
    openai_server.reply_text = "Não há código aqui, só texto."
    r = cli("prompt", "-m", "openai:gpt-4o-mini", "-x", "x")
    assert r.exit_code == 15
    assert r.stdout == ""  # nothing reaches the pipe
    assert "Não há código aqui, só texto.\n" in r.stderr  # the reply is not lost
    assert "the reply has no fenced code block to extract" in r.stderr
    assert "Traceback" not in r.stderr


def test_extract_refuses_json(cli, openai_server):
    r = cli("prompt", "-m", "openai:gpt-4o-mini", "-x", "--json", "x")
    assert r.exit_code == 2 and "does not combine with --json" in r.stderr
