"""The numbers the HTML page's interactive views need, taken from the traced run: every
layer's and head's attention (hover a token) and the final logits (the temperature slider:
the 256 highest exactly, the rest as a fine histogram, so the page stays small)."""

from __future__ import annotations

from typing import Any

import numpy as np

from llmcli.learn.run import TourRun

TOP_LOGITS = 256
BIN_WIDTH = 0.02  # logits of the tail are grouped in bins this wide


def page_data(run: TourRun) -> dict[str, Any]:
    t = run.trace
    logits = t.logits.astype(np.float64)
    order = np.argsort(-logits)
    top, rest = order[:TOP_LOGITS], logits[order[TOP_LOGITS:]]
    bins = np.round(rest / BIN_WIDTH).astype(np.int64)
    keys, counts = np.unique(bins, return_counts=True)
    return {
        "pieces": run.pieces,
        "layers": [{"kind": "global" if g else "local"} for g in t.layer_is_global],
        "attention": [[[[round(float(x), 5) for x in row] for row in head] for head in layer]
                      for layer in t.attention],
        "layer": run.layer, "head": run.head, "pos": run.pos,
        "top": [{"id": int(i), "piece": run.piece(int(i)), "logit": round(float(logits[i]), 5)}
                for i in top],
        "tail": [[round(float(k) * BIN_WIDTH, 4), int(c)] for k, c in zip(keys, counts,
                                                                          strict=True)],
        "temperature": float(run.params.temperature) or 1.0,
    }
