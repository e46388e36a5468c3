"""Shared fixtures for the local engine: the real Gemma 3 270M model and a tiny synthetic one.

`local_model` loads the real model once per test session. Its cache (the assembled GGUF and
the ~1.1 GB float32 weight cache) is the suite's shared cache dir (`.pytest_cache/llmcli-cache`
or `$LLMCLI_TEST_CACHE`), so a run converts the weights once, and repeated runs not at all.

`write_tiny_gguf` writes a random-weight Gemma 3 with a handful of dimensions through the
`gguf` package's writer: conversion takes milliseconds, so cache behaviour, errors and exact
properties of the forward pass (KV cache, sliding window) are tested without the real file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest


@pytest.fixture(scope="session")
def llmcli_test_cache() -> Path:
    """The llmcli cache dir used by tests that need the real model: the suite's shared one, so
    a run converts the weights once (tests/conftest.py honours $LLMCLI_TEST_CACHE)."""
    from tests.conftest import shared_cache_dir

    return shared_cache_dir()


@pytest.fixture(scope="session")
def default_gguf(llmcli_test_cache: Path) -> Path:
    """The default model's GGUF, assembled from the installed package."""
    from llmcli.local.files import ensure_default_model

    return ensure_default_model(llmcli_test_cache)


@pytest.fixture(scope="session")
def local_model(default_gguf: Path, llmcli_test_cache: Path) -> Any:
    """The real Gemma 3 270M on the numpy engine, loaded once per session."""
    from llmcli.local.model import LocalModel

    return LocalModel.load(default_gguf, llmcli_test_cache)


TINY = dict(
    n_layers=3,
    d_model=32,
    n_heads=4,
    n_kv_heads=2,
    head_dim=8,
    ffn_dim=48,
    vocab=300,
    context=64,
    window=4,
    pattern=3,  # layers 0, 1 local, layer 2 global
)


def write_tiny_gguf(path: Path, arch: str = "gemma3", seed: int = 0, **overrides: Any) -> Path:
    """Write a small random Gemma 3 GGUF (some tensors Q8_0-quantized, as in real files)."""
    import gguf
    from gguf.quants import quantize

    p = {**TINY, **overrides}
    rng = np.random.default_rng(seed)
    writer = gguf.GGUFWriter(str(path), arch)
    writer.add_name("tiny test model")
    writer.add_block_count(p["n_layers"])
    writer.add_context_length(p["context"])
    writer.add_embedding_length(p["d_model"])
    writer.add_feed_forward_length(p["ffn_dim"])
    writer.add_head_count(p["n_heads"])
    writer.add_head_count_kv(p["n_kv_heads"])
    writer.add_key_length(p["head_dim"])
    writer.add_value_length(p["head_dim"])
    writer.add_layer_norm_rms_eps(1e-6)
    writer.add_rope_freq_base(1_000_000.0)
    if p["window"]:
        writer.add_sliding_window(p["window"])
    writer.add_sliding_window_pattern(p["pattern"])
    tokens = ["<pad>", "<eos>", "<bos>", "<unk>"] + [f"t{i}" for i in range(p["vocab"] - 4)]
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores([-float(i) for i in range(p["vocab"])])
    writer.add_token_types([3, 3, 3, 2] + [1] * (p["vocab"] - 4))
    writer.add_bos_token_id(2)
    writer.add_eos_token_id(1)
    writer.add_unk_token_id(3)
    writer.add_pad_token_id(0)
    writer.add_add_bos_token(True)

    def matrix(rows: int, cols: int, quantized: bool) -> None:
        return rng.normal(0, 0.3, (rows, cols)).astype(np.float32), quantized

    d, h, kv, hd, f = p["d_model"], p["n_heads"], p["n_kv_heads"], p["head_dim"], p["ffn_dim"]
    tensors: dict[str, Any] = {
        "token_embd.weight": matrix(p["vocab"], d, True),
        "output_norm.weight": (1 + 0.1 * rng.normal(size=d).astype(np.float32), False),
    }
    for i in range(p["n_layers"]):
        b = f"blk.{i}."
        tensors.update(
            {
                b + "attn_norm.weight": (1 + 0.1 * rng.normal(size=d).astype(np.float32), False),
                b + "attn_q.weight": matrix(h * hd, d, True),
                b + "attn_k.weight": matrix(kv * hd, d, False),
                b + "attn_v.weight": matrix(kv * hd, d, True),
                b + "attn_q_norm.weight": (np.ones(hd, np.float32), False),
                b + "attn_k_norm.weight": (np.ones(hd, np.float32), False),
                b + "attn_output.weight": matrix(d, h * hd, False),
                b + "post_attention_norm.weight": (np.ones(d, np.float32), False),
                b + "ffn_norm.weight": (np.ones(d, np.float32), False),
                b + "ffn_gate.weight": matrix(f, d, True),
                b + "ffn_up.weight": matrix(f, d, False),
                b + "ffn_down.weight": matrix(d, f, True),
                b + "post_ffw_norm.weight": (np.ones(d, np.float32), False),
            }
        )
    for name, (array, quantized) in tensors.items():
        if quantized and array.shape[-1] % 32 == 0:
            q8 = gguf.GGMLQuantizationType.Q8_0
            writer.add_tensor(name, quantize(array, q8), raw_dtype=q8)
        else:
            writer.add_tensor(name, array)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


@pytest.fixture
def tiny_gguf(tmp_path: Path) -> Path:
    return write_tiny_gguf(tmp_path / "tiny.gguf")


@pytest.fixture
def tiny_model(tiny_gguf: Path, tmp_path: Path) -> Any:
    from llmcli.local.model import LocalModel

    return LocalModel.load(tiny_gguf, tmp_path / "cache")
