"""Streaming input readers: JSONL, plain lines, CSV; bad records carry their line numbers."""

import io

import pytest

from llmcli.batch.inputs import BadLine, Item, count_records, read_items
from llmcli.core.errors import InvalidInput


def items(data: bytes, fmt="jsonl", needs_prompt=True):
    return list(read_items(io.BytesIO(data), fmt, needs_prompt=needs_prompt))


def test_jsonl_prompts_ids_and_default_ids_are_line_numbers():
    data = (
        b'\xef\xbb\xbf{"prompt": "um"}\n'
        b"\n"
        b'{"prompt": "dois", "id": "q2", "system": "be brief"}\n'
        b'"tr\xc3\xaas"\n'
        b'{"prompt": "four", "id": 40}'
    )
    got = items(data)
    assert [(i.line, i.id, i.prompt) for i in got] == [
        (1, 1, "um"), (3, "q2", "dois"), (4, 4, "três"), (5, 40, "four")
    ]
    assert got[1].system == "be brief" and got[1].key == "q2" and got[3].key == "40"


def test_jsonl_bad_lines_are_reported_with_line_numbers_and_reading_goes_on():
    data = (
        b'{"prompt": "ok"}\n'
        b"not json\n"
        b"[1, 2]\n"
        b'{"text": "no prompt"}\n'
        b'{"prompt": 5}\n'
        b'{"prompt": "x", "id": [1]}\n'
        b'{"prompt": "  "}\n'
        b'{"prompt": "caf\xe9"}\n'
        b'{"prompt": "last"}\n'
    )
    got = items(data)
    bad = {b.line: b.reason for b in got if isinstance(b, BadLine)}
    assert [i.prompt for i in got if isinstance(i, Item)] == ["ok", "last"]
    assert sorted(bad) == [2, 3, 4, 5, 6, 7, 8]
    assert "not valid JSON" in bad[2] and "column 1" in bad[2]
    assert "expected a JSON object, got an array" in bad[3]
    assert "no 'prompt' field" in bad[4] and "-t TEMPLATE" in bad[4]
    assert "'prompt' must be a string" in bad[5]
    assert "'id' must be a string or an integer" in bad[6]
    assert "empty 'prompt'" in bad[7]
    assert "not valid UTF-8 (byte 0xe9" in bad[8]


def test_jsonl_with_a_template_takes_any_fields_as_variables():
    (item,) = items(b'{"question": "2+2?", "id": "a"}\n', needs_prompt=False)
    assert item.prompt is None and item.variables == {"question": "2+2?"} and item.id == "a"


def test_plain_lines_skip_blank_lines_and_keep_line_numbers():
    got = items(b"first\r\n\n  \nsecond\n", "lines")
    assert [(i.line, i.id, i.prompt) for i in got] == [(1, 1, "first"), (4, 4, "second")]


def test_csv_rows_quoted_newlines_and_line_numbers():
    data = (
        b"id,prompt,topic\n"
        b'a,"two\nlines",x\n'
        b",plain,y\n"
        b"bad,row\n"
        b'c,"caf\xe9",z\n'
        b"d,last,w\n"
    )
    got = items(data, "csv")
    good = [i for i in got if isinstance(i, Item)]
    bad = {b.line: b.reason for b in got if isinstance(b, BadLine)}
    assert [(i.line, i.id, i.prompt) for i in good] == [
        (2, "a", "two\nlines"), (4, 4, "plain"), (7, "d", "last")
    ]
    assert good[0].variables == {"prompt": "two\nlines", "topic": "x"}
    assert bad == {5: "2 fields where the header has 3", 6: "not valid UTF-8"}


def test_csv_without_a_prompt_column_is_refused_unless_a_template_fills_it():
    with pytest.raises(InvalidInput, match="no 'prompt' column"):
        items(b"question\nwhy?\n", "csv")
    (item,) = items(b"question\nwhy?\n", "csv", needs_prompt=False)
    assert item.variables == {"question": "why?"}


def test_reading_is_streamed_not_slurped():
    line = b'{"prompt": "' + b"x" * 100 + b'"}\n'
    stream = io.BytesIO(line * 100_000)  # 11 MB
    reader = read_items(stream, "jsonl")
    first = next(reader)
    assert first.line == 1
    assert stream.tell() < 1_000_000  # one buffered block, not the file
    csv_stream = io.BytesIO(b"prompt\n" + b"y" * 100 + b"\n" * 1 + (b"z" * 100 + b"\n") * 100_000)
    reader = read_items(csv_stream, "csv")
    next(reader)
    assert csv_stream.tell() < 1_000_000


def test_count_records(tmp_path):
    p = tmp_path / "in.jsonl"
    p.write_bytes(b"a\nb\nc")
    assert count_records(str(p), "jsonl") == 3
    p.write_bytes(b"prompt\na\nb\n")
    assert count_records(str(p), "csv") == 2
