"""exchange.interactive.run_exchange and exchange.record: in front of a person, always logged."""

from __future__ import annotations

import pytest

from llmcli.core.errors import AuthError, Interrupted, RateLimited
from llmcli.core.options import Options
from llmcli.exchange.interactive import run_exchange
from llmcli.exchange.record import log_exchange
from llmcli.exchange.request import build_request
from tests.doubles import FakeProvider, request
from tests.exchange.conftest import REF, RecordingDisplay, RecordingWriter


def ask(app, writer=None, display=None, **kw):
    req = build_request(REF, request("Olá 🙂").messages, Options())
    return run_exchange(app, REF, req, writer or RecordingWriter(), display, **kw)


def test_a_reply_streams_to_the_writer_and_is_logged(make_app, logs):
    writer, display = RecordingWriter(), RecordingDisplay()
    r = ask(make_app(FakeProvider(reply="Tudo bem!")), writer, display, template="t1")
    assert writer.pieces == ["Tudo ", "bem!"] and writer.finished is False
    assert display.events[:2] == ["waiting", "done"]
    row = logs.get(r.log_id)
    assert (row["status"], row["reply"], row["prompt"], row["template"]) == (
        "complete", "Tudo bem!", "Olá 🙂", "t1")


def test_a_failure_is_logged_then_raised_with_the_response(make_app, logs):
    with pytest.raises(AuthError) as exc:
        ask(make_app(FakeProvider(script=[AuthError("the provider refused the key")])))
    response = exc.value.response
    assert response.status == "error" and logs.get(response.log_id)["status"] == "error"


def test_ctrl_c_keeps_the_partial_reply_and_says_where(make_app, logs):
    writer = RecordingWriter()
    with pytest.raises(Interrupted) as exc:
        ask(make_app(FakeProvider(script=[["Era uma ", KeyboardInterrupt()]])), writer)
    assert exc.value.hint == "the partial reply was kept in the log"
    assert writer.finished is True
    row = logs.get(exc.value.response.log_id)
    assert (row["status"], row["reply"]) == ("interrupted", "Era uma ")


def test_a_retry_is_announced_on_its_own_line(make_app):
    display = RecordingDisplay()
    p = FakeProvider(script=[RateLimited("rate limited", retry_after=0.0), "ok"])
    ask(make_app(p), display=display)
    assert "warn: rate limited; retrying in 0.0 s (attempt 2 of 2)" in display.events
    # the spinner stops before the warning and starts again after it
    i = display.events.index("warn: rate limited; retrying in 0.0 s (attempt 2 of 2)")
    assert display.events[i - 1 : i + 2] == ["done", display.events[i], "waiting"]


def test_a_closed_pipe_ends_the_exchange_after_the_row_is_written(make_app, logs):
    from llmcli.core.errors import OutputClosed

    with pytest.raises(OutputClosed):
        ask(make_app(FakeProvider(reply="a b")), RecordingWriter(fail_on="b"))
    (row,) = logs.list()
    assert row["status"] == "interrupted" and row["reply"] == "a b"  # what the provider sent


def test_no_log_writes_no_row(make_app, logs):
    ask(make_app(FakeProvider()), log=False)
    assert logs.count() == 0


def test_log_exchange_is_the_one_call_and_sets_the_log_id(logs):
    from llmcli.exchange.drive import drive

    req = build_request(REF, request().messages, Options())
    response = drive(FakeProvider(reply="x"), req, "fake").response
    log_id = log_exchange(logs, req, response, batch_id="b1")
    assert response.log_id == log_id and logs.get(log_id)["batch_id"] == "b1"
