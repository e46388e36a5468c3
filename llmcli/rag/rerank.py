"""A second opinion on the first few hits: the local model reads each passage and scores how
likely the question is after it, log P(question | passage); the hits are reordered by that.

The embedder compares two summaries; the reranker reads the passage and the question together,
token by token, so a passage that answers (names the dish and its price, the food and its
calories) explains the question better than one that only shares its words. Measured on
tests/rag/eval (BENCHMARKS.md, #14): hybrid recall@1 0.86 -> 0.93 over the first 5 hits. It costs
one forward pass per passage (about the passage's length in tokens), so it is asked for with
`--rerank`, not done on every search.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from llmcli.rag.search import Hit

# (prefixes, continuation) -> log P(continuation | prefix) for each prefix
Scorer = Callable[[list[str], str], list[float]]
TEMPLATE = "{passage}\n\nQuestion: "  # the only template measured (BENCHMARKS.md, #14)
DEPTH = 5  # hits read by the model; the rest keep their order after them


def rerank(question: str, hits: list[Hit], score: Scorer, depth: int = DEPTH) -> list[Hit]:
    """The hits with the first `depth` reordered by log P(question | passage), best first;
    equal scores keep the first ranking's order. Ranks are renumbered from 1."""
    head, tail = hits[:depth], hits[depth:]
    if len(head) < 2:
        return hits
    scores = score([TEMPLATE.format(passage=h.text) for h in head], question)
    if len(scores) != len(head):
        raise ValueError(f"the scorer returned {len(scores)} scores for {len(head)} passages")
    order = sorted(range(len(head)), key=lambda i: (-scores[i], i))
    ranked = [replace(head[i], rerank=scores[i]) for i in order] + tail
    return [replace(h, rank=r) for r, h in enumerate(ranked, 1)]
