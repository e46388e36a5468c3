"""The embedder's identity ('provider:model#revision') locks an index and keys the embedding
cache: an index built by an older revision of the local embedder is refused with one line
that says how to re-index, before any model is loaded."""

from __future__ import annotations

import pytest

from llmcli.config import Paths
from llmcli.core.embedder_id import embedder_key, split_key
from llmcli.rag import index as ix
from llmcli.store.db import connect

OLD_LOCAL = "local:gemma-3-270m"  # what indexes built before revisions were recorded hold


def test_keys_round_trip():
    assert embedder_key("local", "gemma-3-270m", "eol16-18") == "local:gemma-3-270m#eol16-18"
    assert embedder_key("openai", "text-embedding-3-small") == "openai:text-embedding-3-small"
    assert split_key("local:gemma-3-270m#eol16-18") == ("local:gemma-3-270m", "eol16-18")
    assert split_key("local:/models/a#b/tiny.gguf") == ("local:/models/a#b/tiny.gguf", "")
    assert split_key(OLD_LOCAL) == (OLD_LOCAL, "")


def test_the_local_revision_is_the_embedders_own():
    from llmcli.local.embedder import REVISION
    from llmcli.providers.local import LocalProvider

    assert LocalProvider.embed_revision == REVISION != ""


@pytest.fixture
def old_index(notes):
    """An index as the previous local embedder left it (vectors from another computation)."""
    from tests.rag.conftest import bow_vector

    conn = connect(Paths.from_env().logs_db)
    ix.build(conn, "notas", [notes], embed=lambda ts: [bow_vector(t) for t in ts],
             model=OLD_LOCAL)
    conn.close()
    return notes


@pytest.mark.parametrize("command", [
    ("rag", "search", "notas", "frango"),
    ("rag", "search", "notas", "frango", "-m", "local"),
    ("rag", "index", "notas"),
    ("prompt", "--rag", "notas", "frango", "-m", "local"),
])
def test_an_index_of_the_old_local_embedder_asks_to_be_rebuilt(cli, old_index, command):
    res = cli(*command)
    assert res.exit_code == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr
    assert (f"index 'notas' was built by an older local:gemma-3-270m embedder ({OLD_LOCAL}); "
            f"re-index it: llmcli rag rm notas && llmcli rag index notas {old_index}"
            in lines[0])


def test_cloud_identities_are_unchanged(cli, embed_server, notes):
    res = cli("rag", "index", "notas", str(notes), "-m", "openai:text-embedding-3-small")
    assert res.exit_code == 0, res.stderr
    conn = connect(Paths.from_env().logs_db)
    assert ix.get_index(conn, "notas").embed_model == "openai:text-embedding-3-small"
    conn.close()


@pytest.mark.slow
def test_the_embedding_cache_never_serves_the_old_local_vectors(cli):
    import json
    import sqlite3

    from llmcli.inspect.embeddings import EmbeddingCache

    pytest.importorskip("llmcli.providers.local")
    db = Paths.from_env().data_dir / "embeddings.db"
    cache = EmbeddingCache(db)
    cache.put_many(OLD_LOCAL, [("o gato dorme", [9.0] * 640)])  # a vector of the old embedder
    cache.close()
    res = cli("embed", "o gato dorme", "-m", "local", "--json")
    assert res.exit_code == 0, res.stderr
    vector = json.loads(res.stdout)["items"][0]["vector"]
    assert len(vector) == 640 and vector != [9.0] * 640
    conn = sqlite3.connect(db)
    models = sorted(r[0] for r in conn.execute("SELECT model FROM embeddings"))
    conn.close()
    assert models == [OLD_LOCAL, "local:gemma-3-270m#eol16-18"]
