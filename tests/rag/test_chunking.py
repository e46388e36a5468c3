"""Chunks respect headings and paragraphs, stay within their size, cover every word, and
share an overlap inside a section only."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmcli.core.errors import InvalidInput
from llmcli.rag.chunking import check_sizes, chunk_document
from llmcli.rag.readers import Block, Document, markdown_blocks, text_blocks


def md(text: str) -> Document:
    return Document(Path("x.md"), "markdown", "line", markdown_blocks(text))


def txt(text: str) -> Document:
    return Document(Path("x.txt"), "text", "line", text_blocks(text))


def test_a_heading_starts_a_new_chunk_with_its_path():
    text = "# Receitas\n\n## Frango\n\nGrelhe o frango.\n\n## Omelete\n\nBata as claras.\n"
    chunks = chunk_document(md(text), 1000, 100)
    assert [c.text for c in chunks] == ["Receitas > Frango\nGrelhe o frango.",
                                        "Receitas > Omelete\nBata as claras."]
    assert [(c.start, c.end) for c in chunks] == [(5, 5), (9, 9)]
    assert chunks[0].body == "Grelhe o frango."


def test_paragraphs_are_packed_whole_while_they_fit():
    paras = [f"Parágrafo {i} " + "palavra " * 10 for i in range(6)]
    chunks = chunk_document(txt("\n\n".join(paras)), 200, 0)
    for c in chunks:
        for part in c.text.split("\n\n"):
            assert part.strip() in [p.strip() for p in paras]  # never a cut paragraph
    assert sum(len(c.text.split("\n\n")) for c in chunks) == 6


def test_overlap_repeats_the_end_of_the_previous_chunk_within_a_section():
    sentences = [f"Frase número {i} sobre proteína e treino." for i in range(40)]
    chunks = chunk_document(txt(" ".join(sentences)), 300, 80)
    assert len(chunks) > 3
    for prev, nxt in itertools.pairwise(chunks):
        head = nxt.text.split(" ")[0:4]
        assert " ".join(head) in prev.text  # the next chunk starts with text of the previous
        assert len(nxt.text) <= 300


def test_no_overlap_across_headings():
    text = "## A\n\n" + "Alfa beta. " * 40 + "\n\n## B\n\nGama delta.\n"
    chunks = chunk_document(md(text), 200, 60)
    last = chunks[-1]
    assert last.text == "B\nGama delta."


def test_long_line_without_spaces_is_cut_hard():
    blob = "x" * 450
    chunks = chunk_document(txt(blob), 200, 0)
    assert "".join(c.text for c in chunks) == blob
    assert all(len(c.text) <= 200 for c in chunks)


def test_records_pack_a_few_rows_and_never_cut_one():
    rows = [Block(f"Alimento: item {i}; Proteínas (g): {i}", i + 2, i + 2) for i in range(30)]
    doc = Document(Path("t.csv"), "csv", "row", rows)
    chunks = chunk_document(doc, 1000, 150)
    texts = [part for c in chunks for part in c.text.split("\n\n")]
    assert texts == [r.text for r in rows]  # every row once: no overlap, no cut rows
    assert all(len(c.text) <= 250 for c in chunks)
    assert (chunks[0].start, chunks[-1].end) == (2, 31)


def test_very_long_heading_is_shortened():
    text = "# " + "Título muito longo " * 30 + "\n\nCorpo.\n"
    chunk = chunk_document(md(text), 200, 0)[0]
    assert len(chunk.text) <= 200 and chunk.heading.endswith("…")
    assert chunk.text.endswith("Corpo.")


@pytest.mark.parametrize(("size", "overlap"), [(50, 0), (1000, -1), (1000, 500), (200, 150)])
def test_bad_sizes(size, overlap):
    with pytest.raises(InvalidInput):
        check_sizes(size, overlap)


_words = st.text(alphabet="abcdeéçãõ", min_size=1, max_size=30)
_para = st.lists(_words, min_size=1, max_size=60).map(" ".join)
_doc = st.lists(st.tuples(st.booleans(), _para), min_size=1, max_size=12)


@settings(max_examples=150, deadline=None)
@given(parts=_doc, size=st.integers(100, 600), share=st.floats(0, 0.45))
def test_property_size_bound_and_every_word_in_order(parts, size, share):
    """Whatever the text: no chunk is longer than the size, and reading the chunks in order
    (skipping each chunk's overlap with the previous one) gives back every word in order."""
    overlap = int(size * share) if int(size * share) < size // 2 else 0
    lines = []
    for i, (is_heading, para) in enumerate(parts):
        lines.append(f"## H{i}" if is_heading else para)
        lines.append("")
    doc = md("\n".join(lines))
    chunks = chunk_document(doc, size, overlap)
    assert all(len(c.text) <= size for c in chunks)
    words = [w for b in doc.blocks for w in b.text.split()]
    seen = " ".join(w for c in chunks for w in c.body.split())
    # Every word appears, in order, as a subsequence of the concatenated chunk bodies.
    it = iter(seen.split())
    assert all(any(w == x for x in it) for w in words)
