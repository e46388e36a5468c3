"""The embedding cache against a real SQLite file: round trips, the file of earlier versions,
and a damaged file reported, never replaced."""

import sqlite3

import numpy as np
import pytest

from llmcli.core.errors import StorageError
from llmcli.store.db import BUSY_TIMEOUT_S
from llmcli.store.embedding_cache import EmbeddingCache, text_key
from llmcli.store.schema import EMBEDDING_CACHE_MIGRATIONS

# What llmcli wrote before the cache moved into store/: the same table, user_version 0.
OLD_SCHEMA = ("CREATE TABLE IF NOT EXISTS embeddings (model TEXT NOT NULL, hash TEXT NOT NULL, "
              "dim INTEGER NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (model, hash))")


def test_round_trip_by_model_and_text(tmp_path):
    cache = EmbeddingCache(tmp_path / "embeddings.db")
    texts = ["Qual é a capital de Portugal? 🇵🇹", "gato", "cão"]
    cache.put_many("m", [(t, [float(i), 0.5, -1.0]) for i, t in enumerate(texts)])
    cache.put_many("other", [("gato", [9.0, 9.0, 9.0])])
    got = cache.get_many("m", ["gato", "nunca visto", *texts])
    assert set(got) == {text_key(t) for t in texts}
    assert got[text_key("gato")].dtype == np.float32
    assert got[text_key("cão")].tolist() == [2.0, 0.5, -1.0]
    assert cache.get_many("other", ["gato"])[text_key("gato")].tolist() == [9.0, 9.0, 9.0]
    cache.put_many("m", [("gato", [7.0, 7.0, 7.0])])  # a model that changed: replaced
    assert cache.get_many("m", ["gato"])[text_key("gato")].tolist() == [7.0, 7.0, 7.0]
    assert (cache.count(), cache.count("m"), cache.count("nada")) == (4, 3, 0)
    cache.close()
    again = EmbeddingCache(tmp_path / "embeddings.db")
    assert again.count("m") == 3
    again.close()


def test_more_texts_than_one_statement_can_bind(tmp_path):
    cache = EmbeddingCache(tmp_path / "e.db")
    texts = [f"linha {i}" for i in range(1234)]
    cache.put_many("m", [(t, [float(i)]) for i, t in enumerate(texts)])
    got = cache.get_many("m", texts)
    assert len(got) == 1234 and got[text_key("linha 1000")].tolist() == [1000.0]


def test_opened_like_every_llmcli_database(tmp_path):
    cache = EmbeddingCache(tmp_path / "e.db")
    assert cache.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert cache.db.execute("PRAGMA busy_timeout").fetchone()[0] == int(BUSY_TIMEOUT_S * 1000)
    assert cache.db.execute("PRAGMA user_version").fetchone()[0] == len(EMBEDDING_CACHE_MIGRATIONS)


def test_a_file_from_the_previous_version_is_adopted_with_its_vectors(tmp_path):
    path = tmp_path / "embeddings.db"
    old = sqlite3.connect(path)
    old.execute(OLD_SCHEMA)
    old.execute("INSERT INTO embeddings VALUES (?, ?, ?, ?)",
                ("openai:text-embedding-3-small", text_key("olá"), 2,
                 np.asarray([0.25, -0.5], dtype=np.float32).tobytes()))
    old.commit()
    old.close()
    cache = EmbeddingCache(path)
    assert cache.db.execute("PRAGMA user_version").fetchone()[0] == 1
    got = cache.get_many("openai:text-embedding-3-small", ["olá"])
    assert got[text_key("olá")].tolist() == [0.25, -0.5]


def test_a_damaged_file_is_reported_and_left_alone(tmp_path):
    path = tmp_path / "embeddings.db"
    path.write_bytes(b"not a database at all " * 200)
    before = path.read_bytes()
    with pytest.raises(StorageError) as err:
        EmbeddingCache(path)
    line = err.value.one_line()
    assert "embedding cache" in line and "unreadable" in line and "move the file aside" in line
    assert path.read_bytes() == before


def test_a_newer_cache_is_refused(tmp_path):
    path = tmp_path / "embeddings.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(EMBEDDING_CACHE_MIGRATIONS) + 1}")
    conn.close()
    with pytest.raises(StorageError, match=r"embedding cache has schema version .* newer"):
        EmbeddingCache(path)
