"""The shape of a model, read from its GGUF metadata (`<arch>.block_count` and friends).

Gemma 3 leaves a few numbers out of its GGUF; llama.cpp hard-codes them when it loads the
architecture, and so do we (see `from_gguf`): the local rope base (10,000), the pattern of
sliding-window layers (five local layers, then one global: layers 5, 11, 17 of 18 are global)
and the attention scale 1/sqrt(head_dim) (Gemma's query_pre_attn_scalar equals head_dim for
every size except 27B).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from llmcli.core.errors import LocalModelError

SUPPORTED_ARCHS = ("gemma3",)


@dataclass(frozen=True)
class ModelConfig:
    """Hyper-parameters of a decoder-only transformer, enough to run its forward pass."""

    arch: str
    name: str
    n_layers: int
    d_model: int
    n_heads: int
    n_kv_heads: int
    head_dim: int
    ffn_dim: int
    vocab_size: int
    context_length: int
    sliding_window: int | None
    rope_base_global: float
    rope_base_local: float
    rope_scale_global: float  # linear position scaling on global layers (1.0 = none)
    layer_is_global: list[bool] = field(default_factory=list)
    rms_eps: float = 1e-6
    attention_scale: float = 1.0
    embed_scale: float = 1.0
    tied_output: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        return cls(**data)

    @classmethod
    def from_gguf(
        cls, meta: dict[str, Any], tensor_shapes: dict[str, tuple[int, ...]]
    ) -> ModelConfig:
        """Build the config from GGUF key/values and the (numpy-order) tensor shapes."""
        arch = str(meta.get("general.architecture", "?"))
        if arch not in SUPPORTED_ARCHS:
            raise LocalModelError(
                f"unsupported model architecture '{arch}'",
                hint=f"the numpy engine runs: {', '.join(SUPPORTED_ARCHS)}",
            )

        def key(name: str, default: Any = None) -> Any:
            value = meta.get(f"{arch}.{name}", default)
            if value is None:
                raise LocalModelError(
                    f"GGUF metadata lacks '{arch}.{name}'",
                    hint="the file is incomplete or not a Gemma 3 model",
                )
            return value

        n_layers = int(key("block_count"))
        d_model = int(key("embedding_length"))
        n_heads = int(key("attention.head_count"))
        head_dim = int(key("attention.key_length", d_model // n_heads))
        if "token_embd.weight" not in tensor_shapes:
            raise LocalModelError(
                "GGUF file has no token_embd.weight tensor", hint="the file is damaged"
            )
        vocab_size = int(tensor_shapes["token_embd.weight"][0])

        # llama.cpp: hparams.set_swa_pattern(6) -> layer i is local unless i % 6 == 5. A file may
        # carry the pattern as a period or as one flag per layer (true = sliding window).
        pattern = meta.get(f"{arch}.attention.sliding_window_pattern", 6)
        if isinstance(pattern, int | float):
            period = int(pattern)
            layer_is_global = [period > 0 and i % period == period - 1 for i in range(n_layers)]
        else:
            layer_is_global = [not bool(flag) for flag in pattern]
            if len(layer_is_global) != n_layers:
                raise LocalModelError(
                    "GGUF sliding_window_pattern does not list every layer",
                    hint="the file's metadata is inconsistent",
                )
        window = meta.get(f"{arch}.attention.sliding_window")

        rope_scale = 1.0
        if meta.get(f"{arch}.rope.scaling.type") == "linear":
            rope_scale = float(meta.get(f"{arch}.rope.scaling.factor", 1.0)) or 1.0

        # Gemma's query_pre_attn_scalar: head_dim, except the 27B model (62 layers).
        if n_layers == 62:
            attention_scale = 1.0 / math.sqrt(d_model / n_heads)
        else:
            attention_scale = 1.0 / math.sqrt(head_dim)

        return cls(
            arch=arch,
            name=str(meta.get("general.name", arch)),
            n_layers=n_layers,
            d_model=d_model,
            n_heads=n_heads,
            n_kv_heads=int(key("attention.head_count_kv", n_heads)),
            head_dim=head_dim,
            ffn_dim=int(key("feed_forward_length")),
            vocab_size=vocab_size,
            context_length=int(key("context_length")),
            sliding_window=int(window) if window else None,
            rope_base_global=float(key("rope.freq_base", 1_000_000.0)),
            rope_base_local=float(meta.get(f"{arch}.rope.freq_base_swa", 10_000.0)),
            rope_scale_global=rope_scale,
            layer_is_global=layer_is_global,
            rms_eps=float(key("attention.layer_norm_rms_epsilon", 1e-6)),
            attention_scale=attention_scale,
            # Gemma multiplies token embeddings by sqrt(d_model) (llama.cpp: sqrtf(n_embd)).
            embed_scale=math.sqrt(d_model),
            tied_output="output.weight" not in tensor_shapes,
        )
