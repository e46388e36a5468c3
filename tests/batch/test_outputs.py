"""Record writers, the reorder buffer, and reading an earlier run back for --resume."""

import csv
import errno
import io
import json

import pytest

from llmcli.batch.outputs import CSV_FIELDS, OutputError, Reorder, make_record, open_sink
from llmcli.batch.resume import answer_key, compact, repair_tail, scan
from llmcli.core.errors import InvalidInput


def rec(ident, status="ok", model="p:m", reply="r"):
    return make_record(id=ident, model=model, status=status, reply=reply, input_tokens=1,
                       output_tokens=2, total=0.123456, error=None if status == "ok" else "boom",
                       line=ident if isinstance(ident, int) else None, batch="b1")


class CountingStream(io.StringIO):
    def __init__(self):
        super().__init__()
        self.flushes = 0

    def flush(self):
        self.flushes += 1
        super().flush()


def test_jsonl_sink_flushes_every_record_whole(tmp_path):
    out = CountingStream()
    sink = open_sink(None, out, "jsonl", append=False)
    sink.write(rec(1, reply="linha um\ncom quebra 🌍"))
    assert out.flushes == 1 and out.getvalue().count("\n") == 1
    sink.write(rec(2))
    assert out.flushes == 2 and sink.written == 2
    first = json.loads(out.getvalue().splitlines()[0])
    assert first["reply"] == "linha um\ncom quebra 🌍"
    assert first["usage"] == {"input_tokens": 1, "output_tokens": 2}
    assert first["timings"]["total"] == 0.123 and first["batch"] == "b1"  # the millisecond


def test_csv_sink_writes_the_header_once_even_across_runs(tmp_path):
    path = tmp_path / "out.csv"
    sink = open_sink(path, io.StringIO(), "csv", append=False)
    sink.write(rec(1, reply="a, \"quoted\"\nreply"))
    sink.close()
    sink = open_sink(path, io.StringIO(), "csv", append=True)
    sink.write(rec(2, status="error"))
    sink.close()
    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    assert [r["id"] for r in rows] == ["1", "2"]
    assert rows[0]["reply"] == "a, \"quoted\"\nreply" and rows[1]["error"] == "boom"
    assert list(rows[0]) == CSV_FIELDS


def test_existing_output_needs_resume(tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_text("keep me\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="exists") as err:
        open_sink(path, io.StringIO(), "jsonl", append=False)
    assert "--resume" in err.value.one_line()
    assert path.read_text(encoding="utf-8") == "keep me\n"


class Failing(io.StringIO):
    def __init__(self, exc):
        super().__init__()
        self.exc = exc

    def flush(self):
        raise self.exc


def test_closed_pipe_and_full_disk_become_output_errors():
    pipe = Failing(BrokenPipeError(errno.EPIPE, "Broken pipe"))
    sink = open_sink(None, pipe, "jsonl", append=False)
    with pytest.raises(OutputError) as err:
        sink.write(rec(1))
    assert err.value.closed_pipe and sink.written == 0
    full = Failing(OSError(errno.ENOSPC, "No space left on device"))
    sink = open_sink(None, full, "jsonl", append=False)
    with pytest.raises(OutputError, match="the disk is full") as err:
        sink.write(rec(1))
    assert not err.value.closed_pipe and err.value.exit_code == 12


def test_reorder_releases_in_sequence_and_skips_dropped_units():
    r = Reorder(ordered=True)
    assert r.push(2, {"n": 2}) == [] and r.push(1, None) == []
    assert r.push(0, {"n": 0}) == [{"n": 0}, {"n": 2}]
    assert r.push(4, {"n": 4}) == [] and r.held == 1
    assert r.drain() == [{"n": 4}] and r.held == 0
    assert Reorder(ordered=False).push(7, {"n": 7}) == [{"n": 7}]


def test_scan_knows_answered_failed_and_the_batch_id(tmp_path):
    path = tmp_path / "out.jsonl"
    lines = [rec(1), rec(2, "error"), rec(3, "error"), rec(3), rec(4, model="p:other"),
             rec(1, "error")]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines) + "garbage\n", encoding="utf-8")
    state = scan(path, "jsonl")
    assert state.ok == {answer_key("p:m", 1), answer_key("p:m", 3), answer_key("p:other", 4)}
    assert state.failed == {answer_key("p:m", 2)}
    assert state.superseded == 2 and state.unreadable == 1 and state.batch == "b1"


def test_a_torn_last_line_is_cut_before_resuming(tmp_path):
    path = tmp_path / "out.jsonl"
    whole = json.dumps(rec(1)) + "\n"
    path.write_text(whole + json.dumps(rec(2))[:-5], encoding="utf-8")
    state = scan(path, "jsonl")
    assert state.cut_bytes > 0 and state.ok == {answer_key("p:m", 1)}
    assert path.read_text(encoding="utf-8") == whole
    assert repair_tail(path) == 0


def test_compact_keeps_one_record_per_input_and_model(tmp_path):
    for fmt in ("jsonl", "csv"):
        path = tmp_path / f"out.{fmt}"
        sink = open_sink(path, io.StringIO(), fmt, append=False)
        for x in [rec(1), rec(2, "error"), rec(3, "error"), rec(2), rec(3, "error")]:
            sink.write(x)
        sink.close()
        assert compact(path, fmt) == 2
        state = scan(path, fmt)
        assert state.records == 3 and state.superseded == 0
        assert state.ok == {answer_key("p:m", 1), answer_key("p:m", 2)}
        assert state.failed == {answer_key("p:m", 3)}
