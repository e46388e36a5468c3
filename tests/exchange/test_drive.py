"""exchange.drive: one exchange to its end, and the one rule for failures."""

from __future__ import annotations

import pytest

from llmcli.core.errors import AuthError, Interrupted, LlmcliError, MissingKey, RateLimited
from llmcli.core.events import Finish, TextDelta
from llmcli.core.runner import RetryPolicy
from llmcli.exchange.drive import drive, internal_error, model_info, warm_up
from tests.doubles import FakeProvider, request


def test_a_complete_exchange_hands_over_every_piece_and_measures_it(clock):
    p = FakeProvider(reply="one two three", gap=0.5, sleep=clock.sleep)
    pieces: list[str] = []
    result = drive(p, request("a b"), "fake", on_piece=pieces.append, clock=clock)
    r = result.response
    assert pieces == ["one ", "two ", "three"] and result.ok and not result.stopped
    assert (r.status, r.text, r.provider, r.model) == ("complete", "one two three", "fake", "m")
    assert (r.usage.input_tokens, r.usage.output_tokens) == (2, 3)
    assert r.timings.ttft == 0.0 and r.timings.total == pytest.approx(1.0)


def test_a_provider_error_after_text_keeps_the_text_as_interrupted():
    p = FakeProvider(script=[["Once ", "upon ", AuthError("the key was revoked")]])
    result = drive(p, request(), "fake")
    assert isinstance(result.error, AuthError)
    assert (result.response.status, result.response.text) == ("interrupted", "Once upon ")
    assert result.response.error == "the key was revoked"


def test_anything_else_is_one_internal_error_line_with_its_cause():
    bug = ZeroDivisionError("division by zero")
    result = drive(FakeProvider(script=[bug]), request(), "fake")
    err = result.error
    assert type(err) is LlmcliError and err.exit_code == 1 and err.__cause__ is bug
    assert err.one_line() == ("internal error in fake: ZeroDivisionError: division by zero "
                              "(run with --debug for the traceback)")
    assert result.response.status == "error" and result.response.error == err.one_line()
    assert internal_error("fake", bug).one_line() == err.one_line()  # the same wording anywhere


def test_the_stop_signal_ends_it_at_the_next_piece():
    p = FakeProvider(reply="a b c d e")
    pieces: list[str] = []
    result = drive(p, request(), "fake", on_piece=pieces.append, should_stop=lambda: True)
    assert result.stopped and pieces == ["a "] and isinstance(result.error, Interrupted)
    assert result.response.status == "interrupted" and result.response.text == "a "
    assert result.response.error == "stopped before the reply was complete"


def test_ctrl_c_is_reported_not_raised():
    p = FakeProvider(script=[["partial ", KeyboardInterrupt()]])
    result = drive(p, request(), "fake")
    assert result.keyboard and isinstance(result.error, Interrupted)
    assert result.error.exit_code == 130 and result.response.text == "partial "


def test_retries_wait_on_the_injected_clock_and_are_announced(clock):
    p = FakeProvider(script=[RateLimited("slow down", retry_after=2.0), "ok"])
    waits: list[tuple[float, int]] = []
    result = drive(p, request(), "fake", policy=RetryPolicy(max_retries=1), clock=clock,
                   sleep=clock.sleep, on_wait=lambda d, n, e: waits.append((d, n)))
    assert result.ok and result.response.attempts == 2 and result.response.text == "ok"
    assert clock.sleeps == [2.0] and waits == [(2.0, 1)]
    assert result.response.timings.waited == 2.0


def test_the_callers_own_failure_is_handed_back_to_raise():
    def buggy(piece: str) -> None:
        raise ValueError("a bug in the writer")

    result = drive(FakeProvider(reply="hello there"), request(), "fake", on_piece=buggy)
    assert isinstance(result.raised, ValueError)
    assert result.response.status == "error" and "ValueError" in result.response.error


def test_a_closed_output_keeps_the_partial_reply_as_interrupted():
    from llmcli.core.errors import OutputClosed

    def broken_pipe(piece: str) -> None:
        raise BrokenPipeError("reader went away")

    result = drive(FakeProvider(reply="hello there"), request(), "fake", on_piece=broken_pipe)
    assert result.raised is None and isinstance(result.error, OutputClosed)
    assert result.response.status == "interrupted" and result.response.text == "hello "


def test_events_scripted_by_the_test_pass_through(clock):
    def events():
        clock.advance(0.25)
        yield TextDelta("x")
        yield Finish("length")

    result = drive(FakeProvider(script=[events()]), request(), "fake", clock=clock)
    assert result.response.finish_reason == "length" and result.response.timings.ttft == 0.25


def test_warm_up_raises_what_the_user_must_fix_and_leaves_the_rest_to_the_request():
    p = FakeProvider()
    p.warm_up = lambda model: (_ for _ in ()).throw(MissingKey("no API key for fake"))
    with pytest.raises(MissingKey):
        warm_up(p, "m")
    p.warm_up = lambda model: 1 / 0
    warm_up(p, "m")  # the first request meets it and reports it


def test_a_broken_price_table_is_no_price():
    p = FakeProvider(prices={"m": (1.0, 2.0)})
    assert model_info(p, "m").price_in == 1.0
    p.model_info = lambda model: {}["nope"]
    assert model_info(p, "m") is None
    assert drive(p, request(), "fake").response.cost is None


def test_an_output_error_raised_by_the_writer_itself_is_kept_as_it_is():
    from llmcli.core.errors import OutputClosed

    def rich_closed_pipe(piece: str) -> None:
        raise OutputClosed("standard output was closed by its reader")

    result = drive(FakeProvider(reply="hello there"), request(), "fake", on_piece=rich_closed_pipe)
    assert isinstance(result.error, OutputClosed) and result.raised is None
    assert result.response.status == "interrupted"
