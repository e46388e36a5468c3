"""stderr lines are wrapped to the terminal stderr is on, even when stdout is a pipe."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios


def _stderr_on_a_pty(args: list[str], cols: int, home) -> str:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, cols, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env["LLMCLI_HOME"] = str(home)
    proc = subprocess.run([sys.executable, "-m", "llmcli", *args], stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=slave, env=env, timeout=60)
    os.close(slave)
    out = b""
    try:
        while chunk := os.read(master, 65536):
            out += chunk
    except OSError:  # EIO: the child's end is closed and everything was read
        pass
    os.close(master)
    assert proc.returncode == 2, out
    return out.decode()


def test_an_error_line_fits_a_wide_terminal_when_stdout_is_piped(tmp_path):
    # about 150 characters: one line at 200 columns; stdout piped used to make it 80
    text = _stderr_on_a_pty(["prompt", "olá", "-m", "openai:gpt-4o-mini", "-o",
                             "max_tokens=99999999999999999999"], 200, tmp_path)
    lines = [ln for ln in text.replace("\r", "").split("\n") if ln.strip()]
    assert len(lines) == 1 and "max_tokens" in lines[0], lines
    assert len(lines[0]) > 100


def test_it_still_breaks_between_words_in_a_narrow_one(tmp_path):
    text = _stderr_on_a_pty(["prompt", "olá", "-m", "openai:gpt-4o-mini", "-o",
                             "max_tokens=99999999999999999999"], 60, tmp_path)
    lines = [ln for ln in text.replace("\r", "").split("\n") if ln.strip()]
    assert len(lines) > 2 and all(len(_plain(ln)) <= 60 for ln in lines), lines


def _plain(line: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", line)
