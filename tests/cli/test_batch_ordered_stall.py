"""#16 (smaller): `batch --ordered` used to stall everything behind one stuck request (finished
records waiting for it filled the window of work in hand). Held records now have their own
bound, so the other requests keep flowing while one is slow."""

from __future__ import annotations

import json
import threading

M = ["-m", "openai:gpt-4o-mini"]
N = 40


def test_one_stuck_request_does_not_stall_the_others(cli, openai_server, tmp_path):
    all_sent = threading.Event()
    seen_while_stuck: list[int] = []
    default = openai_server.default

    def reply(route, req):
        if route == "chat" and len(openai_server.requests_for("chat")) >= N:
            all_sent.set()
        if route == "chat" and req.body["messages"][-1]["content"] == "p0":
            # Stuck until every other input has been sent (10 s at most, if they never are).
            all_sent.wait(10)
            seen_while_stuck.append(len(openai_server.requests_for("chat")))
        return default(route, req)

    openai_server.default = reply
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"prompt": f"p{i}"}) + "\n" for i in range(N)),
                   encoding="utf-8")
    res = cli("batch", str(src), *M, "-j", "2", "--ordered", "--no-log")
    assert res.exit_code == 0, res.stderr
    assert seen_while_stuck == [N]  # every other input was sent while p0 was stuck
    assert [json.loads(x)["id"] for x in res.stdout.splitlines()] == list(range(1, N + 1))


def test_the_reorder_buffer_is_bounded_behind_a_stuck_request():
    """With room for 10 held records, a stuck first request lets about 10 more finish, then
    reading pauses until it is answered: memory stays bounded, nothing is lost."""
    from llmcli.batch.inputs import Item
    from tests.batch.helpers import Scripted, run_batch, target

    pulled: list[int] = []
    release = threading.Event()

    def records():
        for i in range(1, 201):
            pulled.append(i)
            if len(pulled) == 40:
                release.set()  # never reached while the buffer is bounded
            yield Item(line=i, id=i, prompt=f"p{i}")

    at_release: list[int] = []

    def latency(prompt: str) -> float:
        if prompt == "p1":
            release.wait(3)  # the buffer fills and reading stops well before this ends
            at_release.append(len(pulled))
        return 0.0

    recs, stats, _, _ = run_batch([target(Scripted(latency=latency))], records(), jobs=2,
                                  ordered=True, reorder_limit=10)
    # p1, 10 held, the window in hand (2 * jobs + 1) and the feeder's read-ahead (as many).
    assert at_release and 10 < at_release[0] <= 1 + 10 + 5 + 5
    assert [r["id"] for r in recs] == list(range(1, 201)) and stats.ok == 200
