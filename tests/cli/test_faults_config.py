"""#16 item 5: paths that ended in 'internal error' get one line and their documented code:
a read-only config dir under `keys set/remove`, bad numbers in the config, template recursion."""

from __future__ import annotations

import errno
import os

import pytest

import llmcli.config


@pytest.fixture
def read_only_config(monkeypatch):
    """The config dir on a read-only file system: every file created in it fails with EROFS
    (injected: the tests may run as root, for whom permission bits do not stop a write)."""
    real_open = os.open

    def refuse(path, flags, *args, **kw):
        if flags & os.O_CREAT:
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, flags, *args, **kw)

    monkeypatch.setattr(llmcli.config.os, "open", refuse)


def test_keys_set_on_a_read_only_config_dir_is_one_line_exit_12(cli, read_only_config):
    res = cli("keys", "set", "groq", input="gsk_supersecretvalue1234\n")
    assert res.exit_code == 12, res.stderr
    assert res.stderr.startswith("llmcli: error: cannot write the keys file ")
    assert "the file system is read-only" in res.stderr and res.stderr.count("\n") == 1
    assert "gsk_supersecretvalue1234" not in res.stderr


def test_keys_remove_on_a_read_only_config_dir_is_one_line_exit_12(cli, home, monkeypatch):
    assert cli("keys", "set", "groq", input="gsk_supersecretvalue1234\n").exit_code == 0
    monkeypatch.setattr(llmcli.config.os, "replace",
                        lambda *a: (_ for _ in ()).throw(PermissionError(errno.EACCES, "denied")))
    res = cli("keys", "remove", "groq")
    assert res.exit_code == 12 and "permission denied" in res.stderr, res.stderr
    assert (home / "config" / "keys.json").read_text(encoding="utf-8").count("gsk_") == 1
    assert not (home / "config" / "keys.tmp").exists()


@pytest.mark.parametrize("line", ['read_timeout = "abc"', "read_timeout = -1",
                                  "connect_timeout = 0", "read_timeout = nan"])
def test_a_bad_timeout_in_the_config_is_one_line_exit_2(cli, home, openai_server, line):
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text(f"[network]\n{line}\n", encoding="utf-8")
    res = cli("prompt", "hi", "-m", "openai:gpt-4o-mini")
    assert res.exit_code == 2, res.stderr
    key = line.split()[0]
    assert f"[network] {key} = " in res.stderr and "is not a number of seconds" in res.stderr
    assert res.stderr.count("\n") == 1
    assert not openai_server.requests_for("chat")


def test_a_bad_timeout_for_one_provider_is_refused_too(cli, home):
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text('[providers.groq]\nread_timeout = "x"\n',
                                                 encoding="utf-8")
    res = cli("models", "--offline")
    assert res.exit_code == 2 and "[providers.groq] read_timeout" in res.stderr, res.stderr


def test_template_recursion_is_one_line_exit_2(cli, home, openai_server):
    (home / "config" / "templates").mkdir(parents=True)
    (home / "config" / "templates" / "loop.yaml").write_text(
        "name: loop\ndescription: calls itself\nprompt: |\n"
        "  {% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }} {{ input }}\n",
        encoding="utf-8")
    res = cli("prompt", "-t", "loop", "hi", "-m", "openai:gpt-4o-mini")
    assert res.exit_code == 2, res.stderr
    assert "the template calls itself without end (recursion)" in res.stderr
    assert "internal error" not in res.stderr and not openai_server.requests_for("chat")
