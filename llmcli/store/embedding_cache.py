"""The embedding cache: vectors keyed by model and text hash, in their own SQLite file.

A line is embedded once per model, whichever file or index it comes from. The file is a
cache (deleting it costs only the time to embed again), so it lives apart from the logs
database; it is opened like every llmcli database (WAL, busy timeout, migrations).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from llmcli.core.errors import StorageError

if TYPE_CHECKING:
    import numpy as np

FILE_NAME = "embeddings.db"  # in the data dir
_PARAMS = 500  # well under SQLite's limit of bound parameters per statement


def text_key(text: str) -> str:
    """The cache key of a text (also the chunk hash of a rag index: same text, same vector)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """Vectors in SQLite keyed by model and text hash, stored as float32 blobs."""

    key = staticmethod(text_key)

    def __init__(self, path: Path):
        from llmcli.store.db import EMBEDDING_CACHE, connect

        self.path = Path(path)
        self.db = connect(self.path, schema=EMBEDDING_CACHE)

    def get_many(self, model: str, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """{text key: vector} for the texts this model has embedded before."""
        import numpy as np

        keys = list({text_key(t) for t in texts})
        found: dict[str, np.ndarray] = {}
        for lo in range(0, len(keys), _PARAMS):
            part = keys[lo : lo + _PARAMS]
            marks = ",".join("?" * len(part))
            rows = self.db.execute(
                f"SELECT hash, vector FROM embeddings WHERE model = ? AND hash IN ({marks})",
                [model, *part],
            )
            for h, blob in rows:
                found[h] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, model: str, items: Sequence[tuple[str, Sequence[float]]]) -> None:
        """Store (text, vector) pairs, replacing what the model gave before for the same text."""
        import sqlite3

        import numpy as np

        rows = []
        for text, vec in items:
            arr = np.asarray(vec, dtype=np.float32)
            rows.append((model, text_key(text), int(arr.size), arr.tobytes()))
        try:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?, ?)", rows)
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise StorageError(f"cannot write the embedding cache: {exc}") from None

    def count(self, model: str | None = None) -> int:
        """How many vectors are cached (for one model, or all)."""
        if model is None:
            return int(self.db.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0])
        return int(self.db.execute("SELECT COUNT(*) FROM embeddings WHERE model = ?",
                                   (model,)).fetchone()[0])

    def close(self) -> None:
        self.db.close()
