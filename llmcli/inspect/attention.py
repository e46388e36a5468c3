"""Attention views over a trace: one head or every head of a layer as a matrix (queries down,
keys across), and `--from TOKEN`: where one token looks in every layer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from llmcli.core.errors import InvalidInput
from llmcli.inspect.trace_data import TraceData


@dataclass
class AttentionMap:
    """One layer: weights[h][q][k] for the selected heads; None where the mask forbids."""

    model: str
    layer: int
    layer_type: str
    window: int | None
    heads: list[int]
    weights: list[list[list[float | None]]]
    ids: list[int]
    pieces: list[str]
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "view": "attention",
            "model": self.model,
            "note": self.note,
            "layer": self.layer,
            "layer_type": self.layer_type,
            "window": self.window,
            "tokens": _tokens(self.ids, self.pieces),
            "heads": [{"head": h, "weights": w} for h, w in zip(self.heads, self.weights,
                                                                  strict=True)],
        }


@dataclass
class AttentionFrom:
    """One query position across layers: weights[layer][k] (mean of heads unless one head)."""

    model: str
    position: int
    head: int | None
    layer_types: list[str]
    weights: list[list[float | None]]
    ids: list[int]
    pieces: list[str]
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "view": "attention_from",
            "model": self.model,
            "note": self.note,
            "from": {"index": self.position, "id": self.ids[self.position],
                     "piece": self.pieces[self.position]},
            "head": self.head,
            "heads": "one" if self.head is not None else "mean",
            "tokens": _tokens(self.ids[: self.position + 1], self.pieces[: self.position + 1]),
            "layers": [{"layer": i, "layer_type": t, "weights": w}
                       for i, (t, w) in enumerate(zip(self.layer_types, self.weights,
                                                      strict=True))],
        }


def _tokens(ids: list[int], pieces: list[str]) -> list[dict[str, Any]]:
    return [{"index": k, "id": i, "piece": p} for k, (i, p) in enumerate(zip(ids, pieces,
                                                                              strict=True))]


def check_layer(trace: TraceData, layer: int) -> int:
    n = trace.n_layers
    if not -n <= layer < n:
        raise InvalidInput(f"layer {layer} does not exist",
                           hint=f"this model has layers 0..{n - 1}")
    return layer % n


def check_head(trace: TraceData, head: int) -> int:
    h = trace.n_heads
    if not 0 <= head < h:
        raise InvalidInput(f"head {head} does not exist", hint=f"this model has heads 0..{h - 1}")
    return head


def attention_map(model: str, trace: TraceData, layer: int, head: int | None = None,
                  digits: int = 6) -> AttentionMap:
    """The attention matrix of one head (or all heads) of a layer, masked cells as None."""
    layer = check_layer(trace, layer)
    heads = [check_head(trace, head)] if head is not None else list(range(trace.n_heads))
    n = len(trace.ids)
    w = trace.attn[layer]
    maps = []
    for h in heads:
        rows = []
        for q in range(n):
            rows.append([None if trace.masked(layer, q, k) else round(float(w[h, q, k]), digits)
                         for k in range(n)])
        maps.append(rows)
    return AttentionMap(model, layer, trace.layer_type(layer), trace.window, heads, maps,
                        trace.ids, trace.pieces)


def find_position(trace: TraceData, token: str) -> int:
    """A token index ('5', '-1') or a word: the last token of the word's first occurrence."""
    n = len(trace.ids)
    try:
        index = int(token)
    except ValueError:
        index = None
    if index is not None:
        if not -n <= index < n:
            raise InvalidInput(f"token index {index} is outside 0..{n - 1}")
        return index % n
    text = "".join(trace.texts)
    at = text.find(token)
    if at < 0:
        at = text.lower().find(token.lower())
    if at < 0:
        raise InvalidInput(f"'{token}' is not in the text",
                           hint="give a word of the text or a token index")
    end = at + len(token)
    pos = 0
    for k, piece in enumerate(trace.texts):
        pos += len(piece)
        if pos >= end:
            return k
    return n - 1


def attention_from(model: str, trace: TraceData, token: str, head: int | None = None,
                   digits: int = 6) -> AttentionFrom:
    """Where the token at `token` attends, in every layer."""
    q = find_position(trace, token)
    if head is not None:
        check_head(trace, head)
    rows = []
    for layer in range(trace.n_layers):
        w = trace.attn[layer]
        row = w[head, q] if head is not None else w[:, q].mean(axis=0)
        rows.append([None if trace.masked(layer, q, k) else round(float(row[k]), digits)
                     for k in range(q + 1)])
    return AttentionFrom(model, q, head, [trace.layer_type(i) for i in range(trace.n_layers)],
                         rows, trace.ids, trace.pieces)
