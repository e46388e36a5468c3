"""Reaching the local model's parts (tokenizer, weights, traces) through the local provider.

The inspection commands need more than the Provider protocol offers (a streaming tokenizer,
the embedding table, a traced forward pass); the local provider exposes them as library calls.
This module is the one place that knows their names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llmcli.core.errors import Unsupported

if TYPE_CHECKING:
    from llmcli.core.registry import ModelRef, Registry


def is_local(ref: ModelRef) -> bool:
    return ref.adapter == "local"


def require_local(ref: ModelRef, what: str) -> None:
    if not is_local(ref):
        raise Unsupported(
            f"{what} needs the local model's weights; '{ref}' is a remote model",
            hint="use -m local (the numpy engine runs offline)",
        )


def local_provider(registry: Registry, ref: ModelRef) -> Any:
    require_local(ref, "this view")
    return registry.provider(ref)


def local_tokenizer(registry: Registry, ref: ModelRef) -> Any:
    """The llmcli.local.tokenizer.Tokenizer of a local model (no weights touched)."""
    return local_provider(registry, ref).tokenizer(ref.model)


def local_model(registry: Registry, ref: ModelRef) -> Any:
    """The llmcli.local.model.LocalModel (numpy engine) of a local model."""
    return local_provider(registry, ref).numpy_model(ref.model)


def sampling_params(registry: Registry, ref: ModelRef, values: dict[str, Any]) -> tuple[Any, dict]:
    """The engine's SamplingParams for `-o key=value` pairs (validated by the local provider's
    options model), and the options the user set, for display.

    Without options the model's plain distribution is shown: temperature 1, no filters.
    """
    from llmcli.exchange.request import validate_options
    from llmcli.local.sampling import SamplingParams

    options = validate_options(ref, values)
    chosen = options.set_values()
    known = set(SamplingParams.__dataclass_fields__)
    ignored = sorted(set(chosen) - known)
    if ignored:
        from llmcli.core.errors import InvalidInput

        raise InvalidInput(f"option '{ignored[0]}' does not change next-token probabilities",
                           hint="use temperature, top_k, top_p, min_p, repetition_penalty, seed")
    return SamplingParams(**{k: v for k, v in chosen.items() if k in known}), chosen
