"""Sentence vectors from the local model: the last position's hidden state after a prompt that
asks the model to sum the text up in one word ("PromptEOL", Jiang et al. 2023), averaged over
the last three blocks.

    vector = mean over blocks 16, 17, 18 of unit_rms(hidden[block][last position])
    of the ids of   This text: "<text>" means in one word: "

Why this and not a pooled hidden state: the model is a next-token predictor, so its last
position already summarises what comes next; the prompt makes "what comes next" the meaning of
the text. Chosen by measurement on tests/rag/eval (BENCHMARKS.md, #14): vector recall@1 0.75
against 0.37 for the mean of the final hidden states; mean pooling over middle layers, query/
passage prefixes and centring all did worse. Each block's state is scaled to unit RMS before
averaging so that no block's larger residual dominates.

`REVISION` names this computation: it is part of the embedder's identity, which locks an index
and keys the embedding cache. Change it whenever the vectors change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from llmcli.core.errors import ContextTooLong, InvalidInput
from llmcli.local import forward as fw
from llmcli.local.blas import blas_threads

if TYPE_CHECKING:
    from llmcli.local.model import LocalModel

REVISION = "eol16-18"
PROMPT = 'This text: "{text}" means in one word: "'
BLOCKS = (16, 17, 18)  # 1-based: the outputs of the last three of Gemma 3 270M's 18 blocks
PIECE = 256  # positions per forward call, as in prefill


def prompt_ids(tokenizer, text: str) -> list[int]:
    """The token ids the model reads for `text` (BOS first)."""
    return tokenizer.encode(PROMPT.format(text=text))


def sentence_embedding(local: LocalModel, ids: list[int] | np.ndarray) -> np.ndarray:
    """The vector [d_model] of prompt ids (see the module doc)."""
    array = local._check_ids(ids)
    if array.size == 0:
        raise InvalidInput("cannot embed an empty text")
    config = local.config
    if array.size > config.context_length:
        over = array.size - config.context_length
        raise ContextTooLong(f"the text has {array.size} tokens, {over} over the context")
    blocks = [b for b in BLOCKS if b <= config.n_layers] or [config.n_layers]
    cache = fw.KVCache(config, capacity=int(array.size))
    body, last = array[:-1], array[-1:]
    records: list[dict] = []
    with blas_threads(1):  # the engine splits work across cores itself
        for lo in range(0, body.size, PIECE):
            fw.forward(local.weights, config, body[lo : lo + PIECE], lo, cache)
        # The last position alone, recorded: its attention rows are [heads, 1, T], small.
        out = fw.forward(local.weights, config, last, body.size, cache, records)
    states = []
    for b in blocks:
        h = out[-1] if b == config.n_layers else records[b - 1]["hidden"][-1]
        if b == config.n_layers:
            h = fw.final_norm(local.weights, config, h)
        states.append(h / np.sqrt(np.mean(h * h, dtype=np.float64) + 1e-6))
    return np.mean(states, axis=0).astype(np.float32)
