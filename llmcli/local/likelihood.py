"""How likely the model finds a text after another: the sum of the log-probabilities of the
continuation's tokens, teacher-forced after the prefix (one forward pass over both)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from llmcli.core.errors import ContextTooLong, InvalidInput
from llmcli.local import forward as fw
from llmcli.local.blas import blas_threads

if TYPE_CHECKING:
    from llmcli.local.model import LocalModel

PIECE = 256  # positions per forward call, as in prefill


def continuation_logprob(local: LocalModel, prefix: list[int], continuation: list[int]) -> float:
    """log P(continuation | prefix) in nats; `prefix` starts with BOS and is not empty."""
    if not prefix or not continuation:
        raise InvalidInput("both the prefix and the continuation need tokens")
    ids = local._check_ids([*prefix, *continuation])
    if ids.size > local.config.context_length:
        over = ids.size - local.config.context_length
        raise ContextTooLong(f"the texts have {ids.size} tokens, {over} over the context")
    cache = fw.KVCache(local.config, capacity=int(ids.size))
    first = len(prefix) - 1  # the position whose output predicts the continuation's first token
    kept = []
    with blas_threads(1):
        for lo in range(0, ids.size, PIECE):
            x = fw.forward(local.weights, local.config, ids[lo : lo + PIECE], lo, cache)
            if lo + x.shape[0] > first:
                kept.append(x[max(0, first - lo) :])
        # Only the positions that predict a continuation token pay for the vocabulary.
        logits = local.logits_from_hidden(np.concatenate(kept)[: len(continuation)])
    z = logits.astype(np.float64)
    z -= z.max(axis=-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    return float(logp[np.arange(len(continuation)), np.asarray(continuation)].sum())
