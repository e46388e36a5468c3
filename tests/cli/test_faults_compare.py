"""#16 item 1: a compare in which a cell's stream breaks mid-reply (dropped, stalled, an error
frame) is a failed compare: non-zero exit by the one rule (exchange/outcome.py) and a line on
stderr saying how many failed and why."""

from __future__ import annotations

import json

import pytest

AB = ["-m", "openai:model-a", "-m", "openai:model-b"]


@pytest.fixture
def ab(openai_server, home):
    openai_server.models += ["model-a", "model-b"]
    (home / "config").mkdir(parents=True, exist_ok=True)
    # A stalled stream gives up after 0.5 s of silence, and no retry: the test stays short.
    (home / "config" / "config.toml").write_text(
        "[network]\nread_timeout = 0.5\nmax_retries = 0\n", encoding="utf-8")
    return openai_server


def _fault(stub, kind: str):
    return {"drop-mid": stub.stream(drop_after=2), "err-mid": stub.stream(error_after=2),
            "stall-mid": stub.stream(stall_after=2)}[kind]


EXPECTED = {"drop-mid": (10, "provider error"), "err-mid": (10, "provider error"),
            "stall-mid": (7, "timeout")}


@pytest.mark.parametrize("kind", ["drop-mid", "err-mid", "stall-mid"])
@pytest.mark.parametrize("as_json", [False, True])
def test_one_cell_broken_mid_reply_fails_the_compare(cli, ab, kind, as_json):
    ab.script("chat", _fault(ab, kind))
    res = cli("compare", "hello", *AB, *(["--json"] if as_json else []))
    code, why = EXPECTED[kind]
    assert res.exit_code == code, res.stderr
    assert f"1 of 2 cells failed (1 {why})" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    if as_json:
        cells = json.loads(res.stdout)["cells"]
        assert sorted(c["status"] for c in cells) == ["complete", "interrupted"]
        broken = next(c for c in cells if c["status"] != "complete")
        assert broken["text"] and broken["error"]  # the partial reply is kept, with its error


@pytest.mark.parametrize("kind", ["drop-mid", "err-mid"])
def test_every_cell_broken_fails_with_their_shared_code(cli, ab, kind):
    ab.script("chat", _fault(ab, kind), _fault(ab, kind))
    res = cli("compare", "hello", *AB, "--json")
    code, why = EXPECTED[kind]
    assert res.exit_code == code, res.stderr
    assert f"2 of 2 cells failed (2 {why})" in res.stderr


def test_failures_of_different_kinds_exit_16(cli, ab):
    ab.script("chat", _fault(ab, "drop-mid"), _fault(ab, "stall-mid"))
    res = cli("compare", "hello", *AB)
    assert res.exit_code == 16, res.stderr
    assert "2 of 2 cells failed (" in res.stderr
    assert "1 timeout" in res.stderr and "1 provider error" in res.stderr


def test_a_batch_with_a_stream_broken_mid_reply_fails_and_says_why(cli, ab):
    ab.script("chat", _fault(ab, "drop-mid"))
    res = cli("batch", "-", "-m", "openai:model-a", "--retries", "0", "-j", "1",
              input='{"prompt": "one"}\n{"prompt": "two"}\n')
    assert res.exit_code == 10, res.stderr
    assert "1 of 2 requests failed (1 provider error)" in res.stderr


def test_a_batch_with_failures_of_different_kinds_exits_16(cli, ab):
    ab.script("chat", _fault(ab, "drop-mid"), _fault(ab, "stall-mid"))
    res = cli("batch", "-", "-m", "openai:model-a", "--retries", "0", "-j", "1",
              input='{"prompt": "one"}\n{"prompt": "two"}\n{"prompt": "three"}\n')
    assert res.exit_code == 16, res.stderr
    assert "2 of 3 requests failed (" in res.stderr
    assert "1 provider error" in res.stderr and "1 timeout" in res.stderr
