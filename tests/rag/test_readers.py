"""Reading files into documents: formats, structure, and the files that must be skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmcli.core.errors import InvalidInput
from llmcli.rag.readers import Document, Skip, discover, markdown_blocks, read, text_blocks
from tests.samples import pdf_pages as make_pdf


def doc(path: Path) -> Document:
    got = read(path)
    assert isinstance(got, Document), got
    return got


def test_markdown_blocks_carry_heading_path_and_lines():
    text = ("# Receitas\n\nIntro.\n\n## Almoço\n\n### Frango\n\nTempere o frango.\nGrelhe.\n\n"
            "## Jantar\n\nOmelete.\n")
    blocks = markdown_blocks(text)
    assert [(b.text, b.heading, b.start, b.end) for b in blocks] == [
        ("Intro.", ("Receitas",), 3, 3),
        ("Tempere o frango.\nGrelhe.", ("Receitas", "Almoço", "Frango"), 9, 10),
        ("Omelete.", ("Receitas", "Jantar"), 14, 14),
    ]


def test_markdown_code_fence_is_one_block_and_hash_inside_is_not_a_heading():
    text = "## Código\n\n```python\n# comentário\n\nx = 1\n```\n\nDepois.\n"
    blocks = markdown_blocks(text)
    assert blocks[0].text == "```python\n# comentário\n\nx = 1\n```"
    assert blocks[0].heading == ("Código",)
    assert blocks[1].text == "Depois." and blocks[1].heading == ("Código",)


def test_markdown_setext_headings_and_thematic_breaks():
    text = "Título\n======\n\nTexto um.\n\n---\n\nSeção\n-----\n\nTexto dois.\n"
    blocks = markdown_blocks(text)
    assert [(b.text, b.heading) for b in blocks] == [
        ("Texto um.", ("Título",)), ("Texto dois.", ("Título", "Seção"))]


def test_text_paragraphs_with_line_numbers():
    blocks = text_blocks("um\ndois\n\n\ntrês\n")
    assert [(b.text, b.start, b.end) for b in blocks] == [("um\ndois", 1, 2), ("três", 5, 5)]


def test_csv_rows_carry_their_header(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("Alimento,Proteínas (g)\nFrango,32\n,\nOvo,6.3\n", encoding="utf-8")
    d = doc(p)
    assert d.kind == "csv" and d.unit == "row"
    assert [(b.text, b.start) for b in d.blocks] == [
        ("Alimento: Frango; Proteínas (g): 32", 2), ("Alimento: Ovo; Proteínas (g): 6.3", 3)]


def test_tsv_and_bom(tmp_path):
    p = tmp_path / "t.tsv"
    p.write_bytes("\ufeffa\tb\n1\t2\n".encode())
    assert doc(p).blocks[0].text == "a: 1; b: 2"


def test_jsonl_text_field_title_and_bad_lines(tmp_path):
    p = tmp_path / "faq.jsonl"
    p.write_text('{"title": "Creatina", "text": "Três a cinco gramas por dia."}\n'
                 'not json\n{"pergunta": "Jejum?", "nota": 3}\n"uma string"\n', encoding="utf-8")
    d = doc(p)
    assert [(b.text, b.start, b.heading) for b in d.blocks] == [
        ("Três a cinco gramas por dia.", 1, ("Creatina",)),
        ("pergunta: Jejum?; nota: 3", 3, ()),
        ("uma string", 4, ()),
    ]
    assert d.notes == ["1 line is not JSON (skipped)"]


def test_pdf_text_per_page(tmp_path):
    p = tmp_path / "manual.pdf"
    p.write_bytes(make_pdf([["Tabela nutricional", "Frango: 32 g de proteína"],
                            ["Segunda página: receitas"]]))
    d = doc(p)
    assert d.kind == "pdf" and d.unit == "page"
    assert [(b.start, b.text) for b in d.blocks] == [
        (1, "Tabela nutricional\nFrango: 32 g de proteína"), (2, "Segunda página: receitas")]


def test_pdf_by_magic_bytes_even_without_suffix(tmp_path):
    p = tmp_path / "sem_extensao"
    p.write_bytes(make_pdf([["Olá PDF"]]))
    assert doc(p).blocks[0].text == "Olá PDF"


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("foto.png", b"\x89PNG\r\n", "binary file (.png)"),
    ("modelo.gguf", b"GGUF", "binary file (.gguf)"),
    ("dados.xyz", b"abc\x00def", "binary file (NUL bytes)"),
    ("latin.txt", "açúcar".encode("latin-1"), "not UTF-8 text"),
    ("vazio.md", b"  \n\n", "empty"),
    ("quebrado.pdf", b"%PDF-1.4\nnot really a pdf", "unreadable PDF"),
    ("cabecalho.csv", b"", "empty"),
])
def test_skips_with_reasons(tmp_path, name, data, reason):
    p = tmp_path / name
    p.write_bytes(data)
    got = read(p)
    assert isinstance(got, Skip)
    assert got.reason.startswith(reason)


def test_pdf_without_text_is_skipped(tmp_path):
    p = tmp_path / "scan.pdf"
    p.write_bytes(make_pdf([[]]))
    got = read(p)
    assert isinstance(got, Skip) and "OCR" in got.reason


def test_utf16_with_bom_is_text(tmp_path):
    p = tmp_path / "win.txt"
    p.write_bytes("Olá, mundo".encode("utf-16"))
    assert doc(p).blocks[0].text == "Olá, mundo"


def test_unreadable_file_is_a_skip_not_a_crash(tmp_path):
    p = tmp_path / "dir.md"
    p.mkdir()
    got = read(p)
    assert isinstance(got, Skip) and got.reason.startswith("unreadable")


def test_discover_sorted_hidden_left_out_and_globs(notes):
    found = [p.relative_to(notes).as_posix() for p, _ in discover([notes])]
    assert found == ["dados.bin2", "foto.png", "latin1.txt", "receitas.md", "tabela.csv",
                     "sub/treino.txt"]
    only_md = [p.name for p, _ in discover([notes], ["*.md"])]
    assert only_md == ["receitas.md"]
    by_path = [p.name for p, _ in discover([notes], ["sub/*"])]
    assert by_path == ["treino.txt"]


def test_discover_a_named_file_ignores_globs(notes):
    file = notes / "tabela.csv"
    assert [p for p, _ in discover([file], ["*.md"])] == [file.resolve()]


def test_discover_missing_path_is_an_error(tmp_path):
    with pytest.raises(InvalidInput, match="no such file or folder"):
        list(discover([tmp_path / "nao-existe"]))


def test_markdown_saved_as_txt_keeps_its_headings(tmp_path):
    p = tmp_path / "notas.txt"
    p.write_text("# Transformers\n\n## Atenção\n\nCada token olha os outros.\n", encoding="utf-8")
    d = doc(p)
    assert d.kind == "markdown" and d.blocks[0].heading == ("Transformers", "Atenção")
    q = tmp_path / "script.txt"
    q.write_text("# um comentário\nlinha\n", encoding="utf-8")
    assert doc(q).kind == "text"
