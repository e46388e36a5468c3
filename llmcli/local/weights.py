"""The model's tensors under readable names, grouped per transformer block.

GGUF names (`blk.3.attn_q.weight`) map to fields (`layers[3].w_q`). Every matrix is stored
the way PyTorch's `nn.Linear` stores it, [out_features, in_features], so a projection is
`x @ w.T`; numpy hands that transposed view to BLAS without copying.

The norm weights are used as they are: llama.cpp's converter already folded Gemma's
"multiply by (1 + w)" into the stored values, so RMSNorm here multiplies by `w`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from llmcli.core.errors import LocalModelError
from llmcli.local.modelconfig import ModelConfig


@dataclass(frozen=True)
class LayerWeights:
    attn_norm: np.ndarray  # [d_model]      RMSNorm before attention
    w_q: np.ndarray  # [n_heads*head_dim, d_model]
    w_k: np.ndarray  # [n_kv_heads*head_dim, d_model]
    w_v: np.ndarray  # [n_kv_heads*head_dim, d_model]
    q_norm: np.ndarray  # [head_dim]       RMSNorm of every query head
    k_norm: np.ndarray  # [head_dim]       RMSNorm of every key head
    w_o: np.ndarray  # [d_model, n_heads*head_dim]
    post_attn_norm: np.ndarray  # [d_model]  RMSNorm of the attention output
    ffn_norm: np.ndarray  # [d_model]        RMSNorm before the feed-forward
    w_gate: np.ndarray  # [ffn_dim, d_model]
    w_up: np.ndarray  # [ffn_dim, d_model]
    w_down: np.ndarray  # [d_model, ffn_dim]
    post_ffn_norm: np.ndarray  # [d_model]   RMSNorm of the feed-forward output


@dataclass(frozen=True)
class Weights:
    token_embedding: np.ndarray  # [vocab, d_model], unscaled
    output: np.ndarray  # [vocab, d_model]; the same array as token_embedding when tied
    final_norm: np.ndarray  # [d_model]
    layers: list[LayerWeights]

    @property
    def nbytes(self) -> int:
        """Bytes read by one decode step: every matrix once (the tied matrix counted once)."""
        total = self.token_embedding.nbytes + self.final_norm.nbytes
        if self.output is not self.token_embedding:
            total += self.output.nbytes
        for layer in self.layers:
            total += sum(getattr(layer, f).nbytes for f in LayerWeights.__dataclass_fields__)
        return total


_LAYER_NAMES = {
    "attn_norm": "attn_norm",
    "w_q": "attn_q",
    "w_k": "attn_k",
    "w_v": "attn_v",
    "q_norm": "attn_q_norm",
    "k_norm": "attn_k_norm",
    "w_o": "attn_output",
    "post_attn_norm": "post_attention_norm",
    "ffn_norm": "ffn_norm",
    "w_gate": "ffn_gate",
    "w_up": "ffn_up",
    "w_down": "ffn_down",
    "post_ffn_norm": "post_ffw_norm",
}


def weights_from_tensors(tensors: dict[str, np.ndarray], config: ModelConfig) -> Weights:
    """Group GGUF-named tensors into `Weights`, checking that each has the expected shape."""
    c = config
    expected = {
        "attn_norm": (c.d_model,),
        "w_q": (c.n_heads * c.head_dim, c.d_model),
        "w_k": (c.n_kv_heads * c.head_dim, c.d_model),
        "w_v": (c.n_kv_heads * c.head_dim, c.d_model),
        "q_norm": (c.head_dim,),
        "k_norm": (c.head_dim,),
        "w_o": (c.d_model, c.n_heads * c.head_dim),
        "post_attn_norm": (c.d_model,),
        "ffn_norm": (c.d_model,),
        "w_gate": (c.ffn_dim, c.d_model),
        "w_up": (c.ffn_dim, c.d_model),
        "w_down": (c.d_model, c.ffn_dim),
        "post_ffn_norm": (c.d_model,),
    }

    def get(name: str, shape: tuple[int, ...]) -> np.ndarray:
        if name not in tensors:
            raise LocalModelError(f"model file lacks tensor {name}", hint="the file is damaged")
        array = tensors[name]
        if tuple(array.shape) != shape:
            raise LocalModelError(
                f"tensor {name} has shape {tuple(array.shape)}, expected {shape}",
                hint="the file does not match its own metadata",
            )
        return array

    layers = [
        LayerWeights(
            **{
                field: get(f"blk.{i}.{gguf}.weight", expected[field])
                for field, gguf in _LAYER_NAMES.items()
            }
        )
        for i in range(c.n_layers)
    ]
    embedding = get("token_embd.weight", (c.vocab_size, c.d_model))
    output = embedding if c.tied_output else get("output.weight", (c.vocab_size, c.d_model))
    return Weights(
        token_embedding=embedding,
        output=output,
        final_norm=get("output_norm.weight", (c.d_model,)),
        layers=layers,
    )
