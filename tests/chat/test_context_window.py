"""Context-window accounting: counting, the fit check, and never sending what cannot fit."""

from __future__ import annotations

from llmcli.chat.tokens import PER_MESSAGE, Count, TokenMeter, estimate
from llmcli.core.messages import Message
from tests.chat.conftest import TokenizingProvider, new_session


def msg(text: str, role: str = "user") -> Message:
    return Message(role=role, content=text)


def test_estimate_is_chars_over_four_and_labelled():
    assert estimate("") == 0 and estimate("abcd") == 1 and estimate("abcde") == 2
    c = Count(1234, False, "estimate, chars/4")
    assert str(c) == "~1,234" and str(Count(1234, True, "x")) == "1,234"


def test_meter_uses_the_providers_tokenizer_when_it_has_one(app, scripted):
    provider = app.registry.provider(app.registry.resolve("scriptcount:big"))
    meter = TokenMeter(provider, "big")
    n = meter.count([msg("one two three four five six seven eight nine ten eleven")], exact=True)
    assert n.exact and n.tokens == 11 + PER_MESSAGE and "tokenizer" in n.source
    # a repeated text is not counted twice
    calls = TokenizingProvider.tokenize_calls
    meter.count([msg("one two three four five six seven eight nine ten eleven")], exact=True)
    assert TokenizingProvider.tokenize_calls == calls


def test_far_from_the_window_the_estimate_decides_without_asking_the_provider(app, scripted):
    provider = app.registry.provider(app.registry.resolve("scriptcount:big"))
    fit = TokenMeter(provider, "big").fit([], [], [msg("short question")], window=100_000)
    assert fit.fits and not fit.needed.exact and TokenizingProvider.tokenize_calls == 0


def test_fit_finds_the_fewest_oldest_turns_to_drop():
    class NoCount:
        settings = type("S", (), {"name": "x"})()

        def has(self, cap):
            return False

    meter = TokenMeter(NoCount(), "m")
    turn = [msg("x" * 80), msg("y" * 80, "assistant")]  # 2 * (20 + 4) = 48 tokens each
    tail = [msg("z" * 40)]  # 14 tokens
    fit = meter.fit([], [turn, turn, turn], tail, window=120)
    assert fit.needed.tokens == 3 * 48 + 14 and fit.drop == 1
    assert meter.fit([], [turn, turn, turn], tail, window=70).drop == 2
    assert meter.fit([], [turn, turn, turn], tail, window=200).drop == 0
    assert meter.fit([], [turn], tail, window=10).drop is None  # the message alone is too long
    # max_tokens kept free for the reply counts too
    assert meter.fit([], [turn], tail, window=70, reserve=10).drop == 1


def test_overflow_asks_then_drops_the_oldest_turns_and_sends(app, ui, scripted):
    s = new_session(app, "script:small")  # a 100-token window
    scripted.script = ["ok"] * 5
    for i in range(3):
        assert s.send(f"question {i} " + "words " * 10, ui).status == "complete"
    ui.answers = [True]
    out = s.send("question 3 " + "words " * 10, ui)
    assert out.status == "complete"
    assert len(ui.questions) == 1 and "Drop the oldest" in ui.questions[0]
    assert "estimated, chars/4" in ui.questions[0] and "100" in ui.questions[0]
    sent = [m.content for m in scripted.requests[-1].messages]
    assert not any(c.startswith("question 0") for c in sent)
    assert sent[-1].startswith("question 3")
    assert any("dropped the oldest" in n for n in ui.notes)


def test_declining_sends_nothing_and_keeps_the_message_for_retry(app, ui, scripted):
    s = new_session(app, "script:small")
    for i in range(3):
        s.send(f"question {i} " + "words " * 10, ui)
    before = len(scripted.requests)
    ui.answers = [False]
    out = s.send("question 3 " + "words " * 10, ui)
    assert out.status == "not_sent" and out.error.exit_code == 9
    assert len(scripted.requests) == before  # no request that was sure to fail
    assert len(s.turns) == 3 and s.pending.text.startswith("question 3")


def test_a_message_longer_than_the_window_is_never_sent(app, ui, scripted):
    s = new_session(app, "script:small")
    out = s.send("word " * 200, ui)
    assert out.status == "not_sent" and scripted.requests == []
    assert len(ui.errors) == 1 and "too long even alone" in ui.errors[0] and ui.questions == []


def test_max_tokens_counts_against_the_window(app, ui, scripted):
    s = new_session(app, "script:small", option_values={"max_tokens": "95"})
    out = s.send("a question of some forty characters....", ui)
    assert out.status == "not_sent" and "max_tokens" in ui.errors[0]


def test_exact_counts_near_the_window(app, ui, scripted):
    # 'scriptcount' counts words: 60 one-letter words are 60 tokens but only ~30 by chars/4
    s = new_session(app, "scriptcount:small")
    ui.answers = [True]
    s.send("a " * 60, ui)
    s.send("b " * 60, ui)
    assert len(ui.questions) == 1 and "counted" in ui.questions[0]
    assert TokenizingProvider.tokenize_calls > 0


def test_context_window_override_and_unknown_windows(app, ui, scripted):
    s = new_session(app, "script:big", window_override=50)
    assert s.window == 50
    assert s.send("word " * 100, ui).status == "not_sent"
    s2 = new_session(app, "script:nosuchmodel")  # not in the catalogue: window unknown
    assert s2.window is None and s2.send("word " * 1000, ui).status == "complete"


def test_piped_input_drops_old_turns_by_itself_and_says_so(cli, scripted):
    lines = "".join(f"question {i} " + "words " * 10 + "\n" for i in range(5))
    res = cli("chat", "-m", "script:small", input=lines)
    assert res.exit_code == 0 and res.stdout.count("reply") == 5
    assert "Dropping the oldest" in res.stderr and "(piped input)" in res.stderr
    assert len(scripted.requests[-1].messages) < 2 * 4 + 1  # not every earlier turn went along
    res = cli("chat", "-m", "script:small", input="word " * 300 + "\n")
    assert res.exit_code == 9 and res.stdout == "[no reply]\n"
    assert "too long even alone" in res.stderr


def test_exact_counts_learn_what_the_provider_adds_around_the_messages(app, ui, scripted):
    TokenizingProvider.framing = 30  # e.g. a chat template's role markers and primer
    s = new_session(app, "scriptcount:small")
    s.send("a b c", ui)
    # history: "a b c" (3 + 4) and "reply 1" (2 + 4); the provider reported 3 + 30 for a
    # request the meter counts as 7, so 26 more come with every request
    count = s.meter.count(s.messages(), exact=True)
    assert count.exact and count.tokens == 13 + 26
    ui.answers = [False]
    assert s.send("x " * 60, ui).status == "not_sent"  # 13 + 64 = 77 would fit 100; +26 not
    assert "counted" in ui.questions[0]
