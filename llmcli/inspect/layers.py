"""Per-layer view of the residual stream at one position: its norm after each block, how much
attention and the feed-forward added, and a logit lens (the final norm and output projection
applied to each layer's hidden state: what the model would predict if it stopped there)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from llmcli.inspect.trace_data import TraceData


@dataclass
class Guess:
    id: int
    piece: str
    prob: float


@dataclass
class LayerRow:
    layer: int
    layer_type: str
    residual_norm: float
    attn_norm: float
    ffn_norm: float
    lens: list[Guess] = field(default_factory=list)
    final_prob: float = 0.0  # probability this layer's lens gives the model's final top token


@dataclass
class LayersView:
    model: str
    position: int
    ids: list[int]
    pieces: list[str]
    embedding_norm: float
    rows: list[LayerRow]
    final: list[Guess]

    def to_json(self) -> dict[str, Any]:
        def guesses(items: list[Guess]) -> list[dict[str, Any]]:
            return [{"id": g.id, "piece": g.piece, "prob": g.prob} for g in items]

        return {
            "view": "layers",
            "model": self.model,
            "position": {"index": self.position, "id": self.ids[self.position],
                         "piece": self.pieces[self.position]},
            "tokens": [{"index": k, "id": i, "piece": p}
                       for k, (i, p) in enumerate(zip(self.ids, self.pieces, strict=True))],
            "embedding_norm": self.embedding_norm,
            "layers": [
                {"layer": r.layer, "layer_type": r.layer_type, "residual_norm": r.residual_norm,
                 "attn_norm": r.attn_norm, "ffn_norm": r.ffn_norm, "lens": guesses(r.lens),
                 "final_top_prob": r.final_prob}
                for r in self.rows
            ],
            "final": guesses(self.final),
        }


def lens_logits(model: Any, trace: TraceData, position: int) -> Any:
    """Logits [layers, vocab] from each layer's hidden state at `position` (one pass over the
    output matrix for all layers together)."""
    import numpy as np

    stack = np.stack([h[position] for h in trace.hidden])
    return model.logits_from_hidden(stack)


def softmax(logits: Any) -> Any:
    import numpy as np

    x = np.asarray(logits, dtype=np.float64)
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def layers_view(model_name: str, model: Any, tokenizer: Any, trace: TraceData,
                position: int = -1, top: int = 5) -> LayersView:
    import numpy as np

    from llmcli.inspect.embeddings import top_k

    n = len(trace.ids)
    pos = position % n
    probs = softmax(lens_logits(model, trace, pos))  # [layers, vocab]
    final_top = int(np.argmax(probs[-1]))

    def guesses(p: Any) -> list[Guess]:
        return [Guess(i, tokenizer.readable(i), round(float(p[i]), 6)) for i in top_k(p, top)]

    rows = []
    for layer in range(trace.n_layers):
        rows.append(LayerRow(
            layer=layer,
            layer_type=trace.layer_type(layer),
            residual_norm=_norm(trace.hidden[layer][pos]),
            attn_norm=_norm(trace.attn_out[layer][pos]),
            ffn_norm=_norm(trace.ffn_out[layer][pos]),
            lens=guesses(probs[layer]),
            final_prob=round(float(probs[layer][final_top]), 6),
        ))
    return LayersView(model_name, pos, trace.ids, trace.pieces, _norm(trace.embedded[pos]), rows,
                      guesses(probs[-1]))


def _norm(v: Any) -> float:
    import numpy as np

    return round(float(np.linalg.norm(np.asarray(v, dtype=np.float64))), 4)
