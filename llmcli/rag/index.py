"""Building and refreshing an index in the logs database (its SQL: llmcli.store.rag_index).

    stats = build(conn, "notes", [Path("~/notes")], embed=fn, model="local:gemma-3-270m")

Two passes over the files. The first reads and hashes each one and compares the hash with the
stored document: unchanged files cost a read, nothing more. The second reads the changed
files one at a time, chunks them and embeds the chunks in batches that run across files (up
to BATCH chunks and BATCH_CHARS characters a request: 2,000 small files cost about 63
requests, not 2,000); a chunk whose text is already in the index (same hash, so same vector)
is copied, not embedded again. A file becomes ready once all its chunks are written. Files
that are gone are dropped at the end.

Nothing waits on the embedding model inside a write transaction: new chunks are written in
short transactions under a 'pending' document, and one more short transaction swaps it for
the old version. Other llmcli processes logging exchanges never find the database locked
for long, and an interrupted run leaves every document either old or new, never half.
Memory holds one batch of chunks and the set of paths seen, whatever the folder's size.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmcli.core.errors import InvalidInput, ProviderError
from llmcli.rag.catalog import (  # re-exported: callers use llmcli.rag.index for both
    IndexInfo,
    check_name,
    documents,
    find_index,
    generation,
    get_index,
    iter_chunks,
    list_indexes,
    remove_index,
)
from llmcli.rag.chunking import DEFAULT_OVERLAP, DEFAULT_SIZE, Chunk, check_sizes, chunk_document
from llmcli.rag.readers import Document, Skip, discover, read
from llmcli.store import rag_index as store

if TYPE_CHECKING:
    from llmcli.store.db import Connection

__all__ = [
    "IndexInfo", "Progress", "Stats", "build", "check_name", "chunk_hash", "documents",
    "find_index", "generation", "get_index", "iter_chunks", "list_indexes", "remove_index",
]

Embedder = Callable[[list[str]], list[list[float]]]
BATCH = 32  # chunks per embedding call: the progress bar moves, memory stays small
BATCH_CHARS = 64_000  # and at most this much text per call (about 16k tokens)


def chunk_hash(text: str) -> str:
    """The same key as the embedding cache (llmcli.store.embedding_cache.text_key)."""
    from llmcli.store.embedding_cache import text_key

    return text_key(text)


def now_iso() -> str:
    from llmcli.store.logs import now_iso as _now

    return _now()


# -- building ------------------------------------------------------------------------------------
@dataclass
class Progress:
    """What the progress bar shows: files and bytes to process, chunks embedded so far."""

    phase: str  # "scan" or "embed"
    files_done: int = 0
    files_total: int = 0
    bytes_done: int = 0
    bytes_total: int = 0
    chunks_embedded: int = 0
    chunks_reused: int = 0
    current: str = ""


@dataclass
class Stats:
    name: str
    model: str
    files: int = 0  # files found (readable or not)
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: list[Skip] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    chunks: int = 0  # chunks in the index at the end
    embedded: int = 0  # chunks sent to the model
    reused: int = 0  # chunks whose vector was already in the index
    seconds: float = 0.0
    embed_seconds: float = 0.0

    @property
    def rate(self) -> float | None:
        """Chunks embedded per second of embedding."""
        return self.embedded / self.embed_seconds if self.embed_seconds > 0 else None

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.name, "model": self.model, "files": self.files, "added": self.added,
            "updated": self.updated, "unchanged": self.unchanged, "removed": self.removed,
            "skipped": [{"path": str(s.path), "reason": s.reason} for s in self.skipped],
            "notes": self.notes, "chunks": self.chunks, "embedded": self.embedded,
            "reused": self.reused, "seconds": round(self.seconds, 3),
            "chunks_per_second": round(self.rate, 2) if self.rate else None,
        }


@dataclass
class _Changed:
    path: Path
    root: Path
    size: int
    digest: str
    old_id: int | None


def build(
    conn: Connection,
    name: str,
    paths: Sequence[Path] = (),
    *,
    embed: Embedder,
    model: str,
    chunk_size: int | None = None,
    overlap: int | None = None,
    globs: Sequence[str] | None = None,
    progress: Callable[[Progress], None] | None = None,
    batch: int = BATCH,
) -> Stats:
    """Create or refresh index `name` from `paths` (none: the paths it was built from)."""
    check_name(name)
    started = time.perf_counter()
    info = find_index(conn, name)
    if info is not None and info.embed_model != model:
        from llmcli.rag.retrieve import stale_embedder

        stale = stale_embedder(info, model)
        if stale is not None:
            raise stale
        raise InvalidInput(
            f"index '{name}' was built with {info.embed_model}, not {model}",
            hint=f"re-index with -m {info.embed_model}, or 'llmcli rag rm {name}' to start over",
        )
    reuse_roots = not paths
    if reuse_roots:
        if info is None or not info.roots:
            what = "does not exist yet" if info is None else "has no paths yet"
            raise InvalidInput(f"index '{name}' {what}: give the files or folders",
                               hint=f"e.g. llmcli rag index {name} ./notes")
        paths = [Path(p) for p in info.roots]
    size = chunk_size if chunk_size is not None else (info.chunk_size if info else DEFAULT_SIZE)
    over = overlap if overlap is not None else (info.overlap if info else DEFAULT_OVERLAP)
    if chunk_size is not None and overlap is None and over >= size // 2:
        over = min(DEFAULT_OVERLAP, size // 5)
    check_sizes(size, over)
    patterns = list(globs) if globs else (info.globs if info and reuse_roots else [])
    roots = [str(Path(p).expanduser().resolve()) for p in paths]
    files = list(discover([Path(p) for p in paths], patterns))  # validates the paths first
    created = info is None
    info = _ensure(conn, info, name, model, size, over)
    resize = (info.chunk_size, info.overlap) != (size, over)
    # Recorded now, so that an interrupted run is resumed from the same paths.
    store.set_sources(conn, info.id, roots, patterns)
    stats = Stats(name, model, files=len(files))
    store.drop_pending(conn, info.id)

    report = progress or (lambda p: None)
    changed, seen = _scan(conn, info, files, resize, stats, report)
    total_bytes = sum(c.size for c in changed)
    state = Progress("embed", 0, len(changed), 0, total_bytes)
    report(state)
    indexer = _Indexer(conn, info, embed, model, size, over, batch, stats, state, report, seen)
    for item in changed:
        state.current = str(item.path)
        indexer.index_file(item)
        state.files_done += 1
        state.bytes_done += item.size
        report(state)
    indexer.flush()
    stats.removed = store.drop_documents_except(conn, info.id, seen)
    store.finish_build(conn, info.id, now_iso(), size, over, indexer.dimension)
    final = get_index(conn, name)
    stats.chunks = final.chunks
    if created and not final.chunks:
        store.remove_index(conn, final)  # indexed nothing: no empty index left behind
    stats.seconds = time.perf_counter() - started
    return stats


def _ensure(conn: Connection, info: IndexInfo | None, name: str, model: str,
            size: int, over: int) -> IndexInfo:
    if info is not None:
        return info
    store.create_index(conn, name, model, size, over, now_iso())
    return get_index(conn, name)


def _scan(conn: Connection, info: IndexInfo, files: list[tuple[Path, Path]],
          resize: bool, stats: Stats, report: Callable[[Progress], None],
          ) -> tuple[list[_Changed], set[str]]:
    """Hash every file; the ones whose hash differs from the stored one need indexing."""
    stored = store.ready_documents(conn, info.id)
    changed: list[_Changed] = []
    seen: set[str] = set()
    state = Progress("scan", files_total=len(files))
    for path, root in files:
        state.current = str(path)
        digest, size, problem = _file_hash(path)
        old = stored.get(str(path))
        if digest is None:
            stats.skipped.append(Skip(path, problem))
        elif old is not None and old[0] == digest and not resize:
            stats.unchanged += 1
            seen.add(str(path))
        else:
            changed.append(_Changed(path, root, size, digest, old[1] if old else None))
        state.files_done += 1
        if state.files_done % 64 == 0:
            report(state)
    report(state)
    return changed, seen


def _file_hash(path: Path) -> tuple[str | None, int, str]:
    """(sha256, size, "") or (None, 0, why it cannot be read)."""
    h = hashlib.sha256()
    size = 0
    try:
        with path.open("rb") as fh:
            while block := fh.read(1 << 20):
                h.update(block)
                size += len(block)
    except OSError as exc:
        return None, 0, f"unreadable ({exc.strerror or exc})"
    return h.hexdigest(), size, ""


class _Indexer:
    """Turns changed files into chunks with vectors, a bounded batch at a time; a batch holds
    chunks of several files, and a file is promoted once all its chunks are written."""

    def __init__(self, conn: Connection, info: IndexInfo, embed: Embedder, model: str,
                 size: int, overlap: int, batch: int, stats: Stats, state: Progress,
                 report: Callable[[Progress], None], seen: set[str]):
        self.conn, self.info, self.embed, self.model = conn, info, embed, model
        self.size, self.overlap, self.batch = size, overlap, max(1, batch)
        self.stats, self.state, self.report, self.seen = stats, state, report, seen
        self.dimension: int | None = info.dimension
        self.queue: list[tuple[int, int, Chunk]] = []  # (document, position, chunk)
        self.queued_chars = 0
        self.complete: list[tuple[_Changed, int]] = []  # every chunk queued or written

    def index_file(self, item: _Changed) -> None:
        doc = read(item.path)
        if isinstance(doc, Skip):
            self.stats.skipped.append(doc)
            return  # not seen: a previous version is dropped at the end
        chunks = chunk_document(doc, self.size, self.overlap)
        for note in doc.notes:
            self.stats.notes.append(f"{_display(item)}: {note}")
        doc_id = self._pending_document(item, doc)
        for position, chunk in enumerate(chunks):
            self.queue.append((doc_id, position, chunk))
            self.queued_chars += len(chunk.text)
            if len(self.queue) >= self.batch or self.queued_chars >= BATCH_CHARS:
                self._write_queue()
        self.complete.append((item, doc_id))

    def flush(self) -> None:
        """Embed and write what is queued, then promote the files that are now whole."""
        self._write_queue()

    def _promote_complete(self) -> None:
        for item, doc_id in self.complete:
            store.promote_document(self.conn, self.info.id, doc_id, item.old_id)
            if item.old_id is None:
                self.stats.added += 1
            else:
                self.stats.updated += 1
            self.seen.add(str(item.path))
        self.complete.clear()

    def _write_queue(self) -> None:
        queue, self.queue, self.queued_chars = self.queue, [], 0
        if queue:
            self._write_batch(queue)
        self._promote_complete()  # files queued whole before this batch are now written

    def _pending_document(self, item: _Changed, doc: Document) -> int:
        return store.add_pending_document(
            self.conn, self.info.id, path=str(item.path), source=_display(item), kind=doc.kind,
            unit=doc.unit, digest=item.digest, size=item.size, stamp=now_iso())

    def _write_batch(self, queue: list[tuple[int, int, Chunk]]) -> None:
        import numpy as np

        chunks = [c for _, _, c in queue]
        hashes = [chunk_hash(c.text) for c in chunks]
        known = store.stored_vectors(self.conn, self.info.id, hashes)
        todo = list(dict.fromkeys(h for h in hashes if h not in known))
        if todo:
            texts = {h: c.text for h, c in zip(hashes, chunks, strict=True)}
            began = time.perf_counter()
            vectors = self.embed([texts[h] for h in todo])
            self.stats.embed_seconds += time.perf_counter() - began
            if len(vectors) != len(todo):
                raise ProviderError(f"{self.model} returned {len(vectors)} vectors "
                                    f"for {len(todo)} texts")
            for h, vec in zip(todo, vectors, strict=True):
                arr = np.asarray(vec, dtype=np.float32)
                self._check_dimension(arr)
                known[h] = arr.tobytes()
        self.stats.embedded += len(todo)
        self.stats.reused += len(chunks) - len(todo)
        self.state.chunks_embedded = self.stats.embedded
        self.state.chunks_reused = self.stats.reused
        rows = [(self.info.id, doc_id, i, c.start, c.end, c.heading, c.text, h, known[h])
                for (doc_id, i, c), h in zip(queue, hashes, strict=True)]
        store.add_chunks(self.conn, rows)
        self.report(self.state)

    def _check_dimension(self, arr: Any) -> None:
        if arr.ndim != 1 or arr.size == 0:
            raise ProviderError(f"{self.model} returned an empty or malformed vector")
        if self.dimension is None:
            self.dimension = int(arr.size)
            store.set_dimension(self.conn, self.info.id, self.dimension)
        elif arr.size != self.dimension:
            raise ProviderError(
                f"{self.model} returned {arr.size} dimensions; index '{self.info.name}' holds "
                f"{self.dimension}", hint="the model changed: rebuild the index")


def _display(item: _Changed) -> str:
    """The path shown as a source: relative to the folder it was found in."""
    try:
        rel = item.path.relative_to(item.root).as_posix()
    except ValueError:
        rel = item.path.name
    return rel

