"""The local model's token-embedding table: an id picks a learned row, and rows of related
tokens lie close together. For each word: its token(s), the row's norm and first values, and
the vocabulary tokens whose rows are nearest by cosine similarity."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from llmcli.core.errors import InvalidInput

NORMAL = 1  # GGUF token type of ordinary vocabulary pieces (not control, byte or unused)


@dataclass
class Neighbour:
    id: int
    piece: str
    score: float


@dataclass
class TokenEntry:
    word: str
    id: int
    piece: str
    norm: float
    first: list[float]
    neighbours: list[Neighbour] = field(default_factory=list)


@dataclass
class TokenNeighbours:
    model: str
    vocab_size: int
    dimension: int
    entries: list[TokenEntry]
    similarity: list[list[float]]

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "vocab_size": self.vocab_size,
            "dimension": self.dimension,
            "tokens": [
                {
                    "word": e.word, "id": e.id, "piece": e.piece, "norm": e.norm,
                    "first_values": e.first,
                    "neighbours": [{"id": n.id, "piece": n.piece, "cosine": n.score}
                                   for n in e.neighbours],
                }
                for e in self.entries
            ],
            "similarity": self.similarity,
        }


def token_neighbours(model_name: str, table: Any, tokenizer: Any, words: list[str], *,
                     top: int = 8, space: bool = True, first: int = 8) -> TokenNeighbours:
    """Nearest vocabulary rows for every token of `words` in the [vocab, d] `table`.

    `space=True` tokenizes each word with a leading space, the form it takes inside a sentence
    ('▁cat' rather than 'cat').
    """
    import numpy as np

    from llmcli.inspect.embeddings import cosine_matrix, top_k

    if not words:
        raise InvalidInput("give at least one word",
                           hint="e.g. llmcli inspect embedding cat dog car")
    if top < 1:
        raise InvalidInput("--top must be at least 1")
    pairs: list[tuple[str, int]] = []
    for word in words:
        ids = tokenizer.encode((" " + word) if space else word, add_bos=False)
        if not ids:
            raise InvalidInput(f"'{word}' gives no tokens")
        pairs.extend((word, i) for i in ids)
    ids = [i for _, i in pairs]
    rows = np.asarray(table[ids], dtype=np.float32)  # [k, d]
    norms_q = np.linalg.norm(rows, axis=1)
    scores = _cosines(table, rows / np.maximum(norms_q[:, None], 1e-12))  # [k, vocab]
    allowed = np.asarray(tokenizer.types) == NORMAL
    scores[:, ~allowed[: scores.shape[1]]] = -np.inf
    entries = []
    for k, (word, tid) in enumerate(pairs):
        near = top_k(scores[k], top, exclude=[tid])
        entries.append(TokenEntry(
            word=word, id=tid, piece=tokenizer.readable(tid), norm=round(float(norms_q[k]), 6),
            first=[round(float(v), 6) for v in rows[k, :first]],
            neighbours=[Neighbour(int(i), tokenizer.readable(int(i)), round(float(scores[k, i]), 6))
                        for i in near],
        ))
    return TokenNeighbours(model_name, int(table.shape[0]), int(table.shape[1]), entries,
                           np.round(cosine_matrix(rows), 6).tolist())


def _cosines(table: Any, unit_queries: Any, block: int = 32768) -> Any:
    """Cosine of each unit query against every row, in blocks (the table is ~670 MB)."""
    import numpy as np

    out = np.empty((unit_queries.shape[0], table.shape[0]), dtype=np.float32)
    q = unit_queries.T.astype(np.float32)
    for lo in range(0, table.shape[0], block):
        part = np.asarray(table[lo : lo + block], dtype=np.float32)
        norms = np.sqrt(np.einsum("ij,ij->i", part, part))
        out[:, lo : lo + block] = ((part @ q) / np.maximum(norms, 1e-12)[:, None]).T
    return out
