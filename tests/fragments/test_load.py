"""-f specs read from disk and stdin: files, folders, globs, '-'; labelled, deduplicated by
their text, bounded by the caps of fragments/limits.py."""

from __future__ import annotations

import io

import pytest

from llmcli.core.errors import InvalidInput
from llmcli.core.fragments import compose
from llmcli.fragments.limits import Limits
from llmcli.fragments.load import Loader
from tests import samples

PT = "Reunião de condomínio 🏢: votação às 15h, orçamento ✅\n"


def test_a_file_keeps_its_utf8_text_and_its_path_as_label(tmp_path):
    f = tmp_path / "ata.md"
    f.write_text(PT, encoding="utf-8")
    [frag] = Loader().load([str(f)])
    assert frag.text == PT and frag.source == str(f)
    assert compose("Resuma", [frag]) == f'<fragment source="{f}">\n{PT}</fragment>\n\nResuma'


def test_a_folder_is_read_in_order_without_hidden_files_and_binaries_named(tmp_path):
    (tmp_path / "b.txt").write_text("bê")
    (tmp_path / "a.txt").write_text("á")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.py").write_text("print('c')")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref")
    (tmp_path / "logo.png").write_bytes(samples.png())
    loader = Loader()
    frags = loader.load([str(tmp_path)])
    assert [f.source for f in frags] == [str(tmp_path / n) for n in ("a.txt", "b.txt",
                                                                     "sub/c.py")]
    assert loader.skipped == [str(tmp_path / "logo.png")]


def test_a_pdf_file_becomes_its_text(tmp_path):
    f = tmp_path / "r.pdf"
    f.write_bytes(samples.pdf("Pagina um"))
    assert Loader().load([str(f)])[0].text == "Pagina um"


def test_a_glob_expands_sorted_and_must_match(tmp_path):
    for name in ("x2.py", "x1.py", "y.txt"):
        (tmp_path / name).write_text(name)
    frags = Loader().load([str(tmp_path / "*.py")])
    assert [f.text for f in frags] == ["x1.py", "x2.py"]
    with pytest.raises(InvalidInput, match="no file matches"):
        Loader().load([str(tmp_path / "*.rs")])


def test_the_same_text_twice_is_kept_once_with_its_first_label(tmp_path):
    (tmp_path / "a.txt").write_text("igual")
    (tmp_path / "b.txt").write_text("igual")
    frags = Loader().load([str(tmp_path / "a.txt"), str(tmp_path / "*.txt")])
    assert [(f.source, f.text) for f in frags] == [(str(tmp_path / "a.txt"), "igual")]


def test_stdin_is_a_fragment_once(tmp_path):
    loader = Loader(stdin=io.BytesIO(PT.encode()))
    [frag] = loader.load(["-"])
    assert (frag.source, frag.text) == ("stdin", PT)
    with pytest.raises(InvalidInput, match="stdin was already read"):
        loader.load(["-"])


def test_stdin_that_is_not_utf8_names_the_byte():
    with pytest.raises(InvalidInput, match="byte 1 is 0xe7"):
        Loader(stdin=io.BytesIO(b"a\xe7\xe3o")).load(["-"])


def test_a_folder_over_the_file_cap_is_refused_before_reading(tmp_path):
    for i in range(6):
        (tmp_path / f"{i}.txt").write_text("x")
    with pytest.raises(InvalidInput, match="more than 5 files"):
        Loader(limits=Limits(folder_files=5)).load([str(tmp_path)])


def test_a_file_over_the_size_cap_is_refused(tmp_path):
    f = tmp_path / "big.txt"
    f.write_text("x" * 2000)
    with pytest.raises(InvalidInput, match=r"2\.0 KB is more than the 1000 bytes"):
        Loader(limits=Limits(file_bytes=1000)).load([str(f)])


def test_the_total_of_all_fragments_is_capped(tmp_path):
    for i in range(3):
        (tmp_path / f"{i}.txt").write_text(str(i) * 400)
    with pytest.raises(InvalidInput, match="more than 1,000 characters"):
        Loader(limits=Limits(total_chars=1000)).load([str(tmp_path)])


def test_a_missing_path_says_what_can_be_given(tmp_path):
    with pytest.raises(InvalidInput, match="no such file or folder"):
        Loader().load([str(tmp_path / "nope.md")])


def test_html_file_is_read_as_text(tmp_path):
    f = tmp_path / "p.html"
    f.write_text("<html><body><p>Olá 👋</p><script>x()</script></body></html>")
    assert Loader().load([str(f)])[0].text == "Olá 👋"
