"""Building, refreshing and removing indexes in a real SQLite database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from llmcli.core.errors import InvalidInput, ProviderError
from llmcli.rag import index as ix
from llmcli.rag.search import load_matrix, search
from llmcli.store.db import connect
from llmcli.store.schema import MIGRATIONS
from tests.rag.conftest import CountingEmbedder, bow_vector

MODEL = "test:bow"


@pytest.fixture
def conn(tmp_path: Path) -> sqlite3.Connection:
    c = connect(tmp_path / "logs.db")
    yield c
    c.close()


def build(conn, paths, embedder, **kw):
    return ix.build(conn, "notas", paths, embed=embedder, model=MODEL, **kw)


def counts(conn) -> tuple[int, int, int]:
    docs = conn.execute("SELECT COUNT(*) FROM rag_documents").fetchone()[0]
    chunks = conn.execute("SELECT COUNT(*) FROM rag_chunks").fetchone()[0]
    fts = conn.execute("SELECT COUNT(*) FROM rag_chunks_fts").fetchone()[0]
    return docs, chunks, fts


def test_first_build_reads_chunks_embeds_and_skips(conn, notes, embedder):
    stats = build(conn, [notes], embedder)
    assert (stats.files, stats.added, stats.unchanged) == (6, 3, 0)
    assert sorted(Path(s.path).name for s in stats.skipped) == [
        "dados.bin2", "foto.png", "latin1.txt"]
    reasons = {Path(s.path).name: s.reason for s in stats.skipped}
    assert reasons["foto.png"] == "binary file (.png)"
    assert reasons["dados.bin2"] == "binary file (NUL bytes)"
    assert reasons["latin1.txt"].startswith("not UTF-8 text")
    info = ix.get_index(conn, "notas")
    assert (info.embed_model, info.dimension, info.documents) == (MODEL, 64, 3)
    assert stats.chunks == info.chunks == stats.embedded == len(embedder.texts)
    assert counts(conn) == (3, info.chunks, info.chunks)  # FTS mirrors the chunks
    sources = sorted(d["source"] for d in ix.documents(conn, info))
    assert sources == ["receitas.md", "sub/treino.txt", "tabela.csv"]
    blob = conn.execute("SELECT vector FROM rag_chunks LIMIT 1").fetchone()[0]
    assert len(blob) == 64 * 4  # float32


def test_reindex_without_changes_embeds_nothing(conn, notes, embedder):
    build(conn, [notes], embedder)
    before = len(embedder.texts)
    stats = ix.build(conn, "notas", embed=embedder, model=MODEL)  # no paths: the stored ones
    assert (stats.added, stats.updated, stats.unchanged, stats.embedded) == (0, 0, 3, 0)
    assert len(embedder.texts) == before


def test_a_changed_file_reembeds_only_its_new_chunks(conn, notes, embedder):
    build(conn, [notes], embedder, chunk_size=120, overlap=0)
    first = len(embedder.texts)
    md = notes / "receitas.md"
    md.write_text(md.read_text(encoding="utf-8") + "\n## Salada\n\nFolhas verdes e tomate.\n",
                  encoding="utf-8")
    stats = build(conn, [notes], embedder)
    assert (stats.updated, stats.unchanged) == (1, 2)
    assert embedder.texts[first:] == ["Receitas > Salada\nFolhas verdes e tomate."]
    assert stats.reused >= 2  # the unchanged sections kept their vectors
    info = ix.get_index(conn, "notas")
    assert counts(conn) == (3, info.chunks, info.chunks)
    assert conn.execute("SELECT COUNT(*) FROM rag_documents WHERE state = 'pending'"
                        ).fetchone()[0] == 0


def test_deleted_files_are_dropped(conn, notes, embedder):
    build(conn, [notes], embedder)
    (notes / "tabela.csv").unlink()
    (notes / "sub" / "treino.txt").unlink()
    stats = build(conn, [notes], embedder)
    assert stats.removed == 2
    info = ix.get_index(conn, "notas")
    assert [d["source"] for d in ix.documents(conn, info)] == ["receitas.md"]
    assert counts(conn) == (1, info.chunks, info.chunks)
    hits = search(conn, info, "frango", bow_vector("frango"), 5, "keyword")
    assert all(h.source == "receitas.md" for h in hits)


def test_new_paths_replace_the_old_ones(conn, notes, embedder):
    build(conn, [notes], embedder)
    stats = build(conn, [notes / "sub"], embedder)
    assert (stats.removed, stats.unchanged) == (2, 1)
    assert ix.get_index(conn, "notas").roots == [str((notes / "sub").resolve())]


def test_globs_are_remembered(conn, notes, embedder):
    build(conn, [notes], embedder, globs=["*.md"])
    stats = ix.build(conn, "notas", embed=embedder, model=MODEL)
    assert (stats.files, stats.unchanged) == (1, 1)


def test_the_index_keeps_its_model(conn, notes, embedder):
    build(conn, [notes], embedder)
    with pytest.raises(InvalidInput, match="was built with test:bow, not other:model") as err:
        ix.build(conn, "notas", [notes], embed=embedder, model="other:model")
    assert "-m test:bow" in err.value.hint


def test_a_model_that_changes_dimension_is_refused(conn, notes, embedder):
    build(conn, [notes], embedder)
    (notes / "novo.md").write_text("Texto novo.\n", encoding="utf-8")
    with pytest.raises(ProviderError, match="returned 32 dimensions"):
        build(conn, [notes], CountingEmbedder(dims=32))


def test_interrupted_run_keeps_every_document_whole(conn, notes, embedder):
    build(conn, [notes], embedder, chunk_size=120, overlap=0)
    info = ix.get_index(conn, "notas")
    before = sorted(r["text"] for r in ix.iter_chunks(conn, info))
    for f in ("receitas.md", "sub/treino.txt"):
        p = notes / f
        p.write_text(p.read_text(encoding="utf-8") + "\nMais uma linha nova aqui.\n",
                     encoding="utf-8")

    def broken(texts):
        if any("Mais uma linha" in t for t in texts):
            raise KeyboardInterrupt
        return embedder(texts)

    with pytest.raises(KeyboardInterrupt):
        build(conn, [notes], broken)
    info = ix.get_index(conn, "notas")
    assert sorted(r["text"] for r in ix.iter_chunks(conn, info)) == before  # old versions
    assert conn.execute("SELECT COUNT(*) FROM rag_documents WHERE state = 'pending'"
                        ).fetchone()[0] == 2  # both share a batch: left over, unseen
    stats = build(conn, [notes], embedder)
    assert stats.updated == 2
    assert conn.execute("SELECT COUNT(*) FROM rag_documents WHERE state = 'pending'"
                        ).fetchone()[0] == 0
    info = ix.get_index(conn, "notas")
    assert counts(conn) == (3, info.chunks, info.chunks)


def test_chunk_size_change_rechunks_and_reuses_equal_chunks(conn, notes, embedder):
    build(conn, [notes], embedder, chunk_size=1000)
    n = len(embedder.texts)
    stats = build(conn, [notes], embedder, chunk_size=900)
    assert stats.updated == 3
    assert stats.embedded == 0 and len(embedder.texts) == n  # same small texts, same vectors
    assert ix.get_index(conn, "notas").chunk_size == 900


def test_duplicate_chunks_are_embedded_once(conn, tmp_path, embedder):
    folder = tmp_path / "dup"
    folder.mkdir()
    for name in ("a.txt", "b.txt"):
        (folder / name).write_text("O mesmo parágrafo.\n", encoding="utf-8")
    stats = build(conn, [folder], embedder)
    assert (stats.chunks, stats.embedded, stats.reused) == (2, 1, 1)


def test_remove_deletes_rows_and_fts_entries(conn, notes, embedder):
    build(conn, [notes], embedder)
    ix.build(conn, "outro", [notes / "receitas.md"], embed=embedder, model=MODEL)
    ix.remove_index(conn, "notas")
    info = ix.get_index(conn, "outro")
    assert counts(conn) == (1, info.chunks, info.chunks)
    assert [i.name for i in ix.list_indexes(conn)] == ["outro"]


def test_unknown_index_names_the_known_ones(conn, notes, embedder):
    with pytest.raises(InvalidInput, match="no index named 'x'") as err:
        ix.get_index(conn, "x")
    assert "llmcli rag index x PATH" in err.value.hint
    build(conn, [notes], embedder)
    with pytest.raises(InvalidInput) as err:
        ix.get_index(conn, "nota")
    assert "did you mean 'notas'" in err.value.hint


def test_bad_names_and_missing_paths(conn, notes, embedder):
    with pytest.raises(InvalidInput, match="not a valid index name"):
        ix.build(conn, "a b", [notes], embed=embedder, model=MODEL)
    with pytest.raises(InvalidInput, match="does not exist yet"):
        ix.build(conn, "novo", [], embed=embedder, model=MODEL)
    with pytest.raises(InvalidInput, match="no such file or folder"):
        ix.build(conn, "novo", [notes / "nada"], embed=embedder, model=MODEL)
    assert ix.find_index(conn, "novo") is None  # a bad path creates nothing


def test_older_schema_is_migrated_and_its_rows_kept(tmp_path, notes, embedder):
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    old.executescript(MIGRATIONS[0] + MIGRATIONS[1])
    old.execute("PRAGMA user_version = 2")
    old.execute("INSERT INTO exchanges (created, provider, model, prompt, reply, status) "
                "VALUES ('2025-01-01', 'groq', 'llama', 'olá', 'oi', 'complete')")
    old.commit()
    old.close()
    conn = connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    ix.build(conn, "notas", [notes], embed=embedder, model=MODEL)
    row = conn.execute("SELECT prompt, reply FROM exchanges").fetchone()
    assert tuple(row) == ("olá", "oi")
    assert conn.execute("SELECT COUNT(*) FROM exchanges_fts WHERE exchanges_fts MATCH 'olá'"
                        ).fetchone()[0] == 1
    conn.close()


def test_matrix_is_loaded_once_per_generation(conn, notes, embedder):
    build(conn, [notes], embedder)
    info = ix.get_index(conn, "notas")
    m1 = load_matrix(conn, info)
    assert load_matrix(conn, ix.get_index(conn, "notas")) is m1
    assert np.allclose(np.linalg.norm(m1.vectors, axis=1), 1.0, atol=1e-5)
    (notes / "novo.md").write_text("Novo texto sobre sono.\n", encoding="utf-8")
    build(conn, [notes], embedder)
    m2 = load_matrix(conn, ix.get_index(conn, "notas"))
    assert m2 is not m1 and m2.size == m1.size + 1
