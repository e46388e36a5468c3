"""The rag tables through store.rag_index, against a real SQLite file: pending documents stay
invisible, a promotion swaps versions in one step and bumps the generation, leftovers of an
interrupted build go, and batched statements cope with more rows than one can bind."""

import numpy as np
import pytest

from llmcli.store import rag_index as ri
from llmcli.store.db import connect


@pytest.fixture
def conn(tmp_path):
    c = connect(tmp_path / "logs.db")
    yield c
    c.close()


def _vec(*values: float) -> bytes:
    return np.asarray(values, dtype=np.float32).tobytes()


def _index(conn, name="notas") -> ri.IndexInfo:
    ri.create_index(conn, name, "local:m", 200, 20, "2026-01-01T00:00:00Z")
    info = ri.find_index(conn, name)
    assert info is not None
    return info


def _document(conn, info, path, text, digest="h", old_id=None, promote=True) -> int:
    doc = ri.add_pending_document(conn, info.id, path=path, source=path, kind="text",
                                  unit="line", digest=digest, size=len(text), stamp="t")
    ri.add_chunks(conn, [(info.id, doc, 0, 1, 1, "", text, f"hash:{text}", _vec(1.0, 0.0))])
    if promote:
        ri.promote_document(conn, info.id, doc, old_id)
    return doc


def test_a_pending_document_is_invisible_until_promoted(conn):
    info = _index(conn)
    doc = _document(conn, info, "/n/a.md", "receita de bacalhau", promote=False)
    assert ri.ready_documents(conn, info.id) == {}
    assert ri.count_ready_chunks(conn, info.id) == 0
    assert ri.keyword_matches(conn, info.id, '"bacalhau"', 10) == []
    before = ri.generation(conn, info.id)
    ri.promote_document(conn, info.id, doc, None)
    assert ri.generation(conn, info.id) == before + 1
    assert ri.ready_documents(conn, info.id) == {"/n/a.md": ("h", doc)}
    [(cid, bm25)] = ri.keyword_matches(conn, info.id, '"bacalhau"', 10)
    assert bm25 < 0  # FTS5: lower is better
    assert ri.chunk_rows(conn, [cid])[cid]["text"] == "receita de bacalhau"
    assert [(i, np.frombuffer(v, np.float32).tolist()) for i, v in
            ri.iter_vectors(conn, info.id)] == [(cid, [1.0, 0.0])]


def test_promotion_replaces_the_old_version_and_its_chunks(conn):
    info = _index(conn)
    old = _document(conn, info, "/n/a.md", "versão antiga")
    new = _document(conn, info, "/n/a.md", "versão nova ✨", digest="h2", old_id=old)
    assert ri.ready_documents(conn, info.id) == {"/n/a.md": ("h2", new)}
    assert [r["text"] for r in ri.iter_chunks(conn, info)] == ["versão nova ✨"]
    assert ri.keyword_matches(conn, info.id, '"antiga"', 10) == []  # FTS rows follow


def test_leftovers_of_an_interrupted_build_are_dropped(conn):
    info = _index(conn)
    _document(conn, info, "/n/kept.md", "fica")
    _document(conn, info, "/n/half.md", "meio escrito", promote=False)
    ri.drop_pending(conn, info.id)
    assert set(ri.ready_documents(conn, info.id)) == {"/n/kept.md"}
    assert conn.execute("SELECT COUNT(*) FROM rag_chunks").fetchone()[0] == 1


def test_sources_dimension_and_finish(conn):
    info = _index(conn)
    ri.set_sources(conn, info.id, ["/home/ana/notas ✍"], ["*.md"])
    ri.set_dimension(conn, info.id, 64)
    gen = ri.generation(conn, info.id)
    ri.finish_build(conn, info.id, "2026-02-02T00:00:00Z", 300, 30, None)
    again = ri.find_index(conn, "notas")
    assert (again.roots, again.globs, again.dimension) == (["/home/ana/notas ✍"], ["*.md"], 64)
    assert (again.chunk_size, again.overlap, again.updated) == (300, 30, "2026-02-02T00:00:00Z")
    assert again.generation == gen + 1
    assert [i.name for i in ri.list_indexes(conn)] == ["notas"]
    assert ri.index_names(conn) == ["notas"]


def test_many_rows_go_through_in_batches(conn):
    info = _index(conn)
    doc = ri.add_pending_document(conn, info.id, path="/big", source="big", kind="text",
                                  unit="line", digest="h", size=1, stamp="t")
    rows = [(info.id, doc, i, i, i, "", f"t{i}", f"h{i}", _vec(float(i))) for i in range(1200)]
    ri.add_chunks(conn, rows)
    ri.promote_document(conn, info.id, doc, None)
    known = ri.stored_vectors(conn, info.id, [f"h{i}" for i in range(1300)])
    assert len(known) == 1200 and np.frombuffer(known["h1100"], np.float32).tolist() == [1100.0]
    ids = [cid for cid, _ in ri.iter_vectors(conn, info.id)]
    assert len(ri.chunk_rows(conn, ids)) == 1200
    for i in range(1100):
        ri.add_pending_document(conn, info.id, path=f"/f{i}", source="s", kind="text",
                                unit="line", digest="h", size=1, stamp="t")
    conn.execute("UPDATE rag_documents SET state = 'ready'")
    gen = ri.generation(conn, info.id)
    assert ri.drop_documents_except(conn, info.id, {"/big"}) == 1100
    assert set(ri.ready_documents(conn, info.id)) == {"/big"}
    assert ri.generation(conn, info.id) > gen


def test_remove_and_a_removed_index_has_no_generation(conn, tmp_path):
    info = _index(conn)
    _document(conn, info, "/n/a.md", "texto")
    ri.remove_index(conn, info)
    assert ri.find_index(conn, "notas") is None and ri.generation(conn, info.id) is None
    assert conn.execute("SELECT COUNT(*) FROM rag_chunks_fts WHERE rag_chunks_fts MATCH "
                        "'texto'").fetchone()[0] == 0
    other = connect(tmp_path / "other.db")
    assert ri.database_key(other) != ri.database_key(conn)
    assert ri.database_key(conn).endswith("logs.db")
