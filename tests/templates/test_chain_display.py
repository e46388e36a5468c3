"""Multi-call techniques in front of a person: self-consistency's samples at once, its
failure when no sample has an answer, least-to-most's labelled steps, a json template's raw
reply when it does not parse. The real CLI and SDK against the OpenAI stub."""

from __future__ import annotations

import re
import threading

from tests.templates.helpers import queue, says

M = ["-m", "openai:gpt-4o-mini"]


def _plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def test_samples_are_in_flight_together(cli, openai_server):
    # Every reply waits until all four requests (the default limit) have arrived: run one
    # after another, the first would wait alone until the barrier's timeout breaks it.
    barrier = threading.Barrier(4, timeout=15)
    answers = iter(["Answer: 19"] * 3 + ["Answer: 18"])
    lock = threading.Lock()

    def reply(req):
        barrier.wait()
        with lock:
            text = next(answers)
        return says(openai_server, text)(req)

    openai_server.script("chat", *([reply] * 4))
    res = cli("prompt", "-t", "self-consistency", "--samples", "4", "12 + 7?", *M)
    assert res.exit_code == 0, res.stderr
    assert res.stdout == "19\n"
    assert len(openai_server.requests_for("chat")) == 4


def test_concurrency_stays_within_the_providers_limit(cli, openai_server, home):
    from llmcli.config import Paths

    config = Paths.from_env().config_file
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[providers.openai]\nconcurrency = 2\n")
    in_flight, most = 0, 0
    lock = threading.Lock()
    release = threading.Semaphore(0)

    def reply(req):
        nonlocal in_flight, most
        with lock:
            in_flight += 1
            most = max(most, in_flight)
            if in_flight == 2:
                release.release()
                release.release()
        release.acquire(timeout=10)
        with lock:
            in_flight -= 1
        return says(openai_server, "Answer: 3")(req)

    openai_server.script("chat", *([reply] * 4))
    res = cli("prompt", "-t", "self-consistency", "--samples", "4", "q", *M)
    assert res.exit_code == 0, res.stderr
    assert most == 2


def test_no_answer_in_any_sample_shows_them_and_fails(cli, openai_server):
    queue(openai_server, "I think nineteen", "no idea", "maybe 19")
    res = cli("prompt", "-t", "self-consistency", "--samples", "3", "q", *M)
    assert res.exit_code == 10
    assert res.stdout == ""
    for text in ("I think nineteen", "no idea", "maybe 19"):
        assert text in res.stderr
    assert "no answer could be read from any of the 3 samples" in res.stderr


def test_least_to_most_labels_its_steps_in_a_terminal(cli, openai_server):
    queue(openai_server, "1. Quantas maçãs Anna tem?", "Answer: 7", "Então 12.\nAnswer: 12")
    res = cli("prompt", "-t", "least-to-most", "Elsa tem 5, Anna 2 a mais. Quantas juntas?",
              *M, stdout_tty=True)
    assert res.exit_code == 0, res.stderr
    out = _plain(res.stdout)
    assert "Sub-questions\n1. Quantas maçãs Anna tem?" in out
    assert "Sub-question 1: Quantas maçãs Anna tem?\nSub-answer: Answer: 7" in out
    assert "Original question: Elsa tem 5, Anna 2 a mais. Quantas juntas?" in out
    assert out.rstrip().endswith("Final answer: 12")


def test_a_json_reply_that_does_not_parse_is_shown(cli, openai_server):
    queue(openai_server, "Maria tem 34 anos e mora no Recife.")
    res = cli("prompt", "-t", "json", "-v", "fields=nome, idade", "Maria, 34", *M)
    assert res.exit_code == 10 and res.stdout == ""
    assert res.stderr.startswith("Maria tem 34 anos e mora no Recife.\n")
    assert "(the raw reply is on stderr)" in res.stderr
