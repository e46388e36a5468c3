"""Eval runs, results and the reply cache in a real SQLite file."""

from __future__ import annotations

import threading

from llmcli.store.eval_runs import EvalStore, ReplyCache
from llmcli.store.logs import LogStore


def record(**kw):
    rec = {"prompt": "p", "model": "openai:m", "case_key": "k1", "repeat": 0, "case_index": 0,
           "case_title": "t", "vars": {"x": "olá 🏴‍☠️"}, "passed": True, "score": 1.0,
           "reply": "Olá", "answer": None, "assertions": [{"type": "equals", "pass": True}],
           "error": None, "latency": 0.1, "cost": None, "cached": False}
    rec.update(kw)
    return rec


def test_a_run_and_its_results(tmp_path):
    logs = LogStore(tmp_path / "logs.db")
    store = EvalStore(logs)
    store.create("abc123def456", suite="s.yaml", digest="d", description=None, prompts=["p"],
                 models=["openai:m"], repeat=1, cells=2, settings={"repeat": 1})
    store.add_result("abc123def456", record())
    # the same cell again (a resumed run) replaces the first row
    store.add_result("abc123def456", record(passed=False, error="boom sk-abcdef0123456789xyz"))
    store.add_result("abc123def456", record(case_key="k2", case_index=1))
    rows = store.results("abc123def456")
    assert [(r["case_key"], r["passed"]) for r in rows] == [("k1", False), ("k2", True)]
    assert rows[0]["vars"] == {"x": "olá 🏴‍☠️"} and rows[1]["assertions"][0]["type"] == "equals"
    assert "sk-abcdef0123456789xyz" not in rows[0]["error"]  # keys are scrubbed
    assert store.run("abc1")["id"] == "abc123def456" and store.run("zzz") is None
    (listed,) = store.runs()
    assert (listed["done"], listed["passed"], listed["status"]) == (2, 1, "running")
    store.finish("abc123def456", "interrupted")
    assert store.run("last")["status"] == "interrupted"
    logs.close()


def test_the_reply_cache_is_shared_by_threads(tmp_path):
    cache = ReplyCache(tmp_path / "logs.db")
    assert cache.get("nope") is None

    def put(i: int) -> None:
        cache.put(f"k{i}", "openai:m", {"text": f"reply {i} ✓"})

    threads = [threading.Thread(target=put, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [cache.get(f"k{i}")["text"] for i in range(16)] == [f"reply {i} ✓" for i in range(16)]
    cache.close()
    again = ReplyCache(tmp_path / "logs.db")  # it persists
    assert again.get("k3") == {"text": "reply 3 ✓"}
    again.close()
