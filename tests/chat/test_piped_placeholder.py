"""#16 (smaller): in piped chat a failed line leaves a placeholder on stdout, so reply N still
answers line N."""

from __future__ import annotations

M = ["-m", "openai:gpt-4o-mini"]


def test_a_failed_line_leaves_a_placeholder_so_replies_stay_aligned(cli, openai_server, home):
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text("[network]\nmax_retries = 0\n", encoding="utf-8")
    openai_server.echo = True
    calls = {"n": 0}
    default = openai_server.default

    def second_fails(route, req):
        if route == "chat":
            calls["n"] += 1
            if calls["n"] == 2:
                return openai_server.server_error(400)
        return default(route, req)

    openai_server.default = second_fails
    res = cli("chat", *M, input="um\ndois\ntrês 🌍\n")
    assert res.exit_code == 2, res.stderr  # a 400: the request was refused as invalid
    assert res.stdout.splitlines() == ["um", "[no reply]", "três 🌍"]
    assert res.stderr.count("llmcli: error:") == 1


def test_a_reply_cut_mid_stream_keeps_its_text_and_no_placeholder(cli, openai_server, home):
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text("[network]\nmax_retries = 0\n", encoding="utf-8")
    openai_server.script("chat", openai_server.stream(drop_after=2))
    res = cli("chat", *M, input="um\ndois\n")
    lines = res.stdout.splitlines()
    assert len(lines) == 2 and lines[0] == "Hello from" and "[no reply]" not in res.stdout
