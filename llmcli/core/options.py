"""Generation options, validated at the boundary: unknown names and out-of-range values refused."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from llmcli.core.errors import InvalidInput

# More than any model generates in one reply; a bigger number is a typo, refused here rather
# than sent (the context pre-check then also keeps max_tokens free in the model's window).
MAX_TOKENS = 1_000_000
SEED_RANGE = 2**63  # the widest seed any API takes (a signed 64-bit integer)


class Options(BaseModel):
    """Options every provider understands. Adapters extend this with their own fields."""

    model_config = ConfigDict(extra="forbid")

    temperature: float | None = Field(None, ge=0, le=2, description="Sampling temperature, 0-2")
    top_p: float | None = Field(None, gt=0, le=1, description="Nucleus sampling mass, (0, 1]")
    top_k: int | None = Field(None, ge=1, le=MAX_TOKENS,
                              description="Sample among the k most likely tokens")
    max_tokens: int | None = Field(None, ge=1, le=MAX_TOKENS,
                                   description=f"Most tokens to generate, 1-{MAX_TOKENS:,}")
    seed: int | None = Field(None, ge=-SEED_RANGE, lt=SEED_RANGE,
                             description="Random seed, for repeatable sampling (64-bit)")
    stop: list[str] | None = Field(None, description="Stop when one of these strings appears")

    @field_validator("stop", mode="before")
    @classmethod
    def _split_stop(cls, v: Any) -> Any:
        if isinstance(v, str):
            return [v]
        return v

    def set_values(self) -> dict[str, Any]:
        """Only the options the user set, for logs and for request bodies."""
        return self.model_dump(exclude_none=True)


def parse_pairs(pairs: list[str] | None) -> dict[str, Any]:
    """Turn ['temperature=0.2', 'stop=###'] into a dict; repeated `stop` keys accumulate."""
    out: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise InvalidInput(f"option '{pair}' is not key=value", hint="e.g. -o temperature=0.2")
        if key == "stop":
            out.setdefault("stop", []).append(value)
        else:
            out[key] = value
    return out


def validate_options(values: dict[str, Any], model: type[Options] = Options) -> Options:
    """Validate options against a provider's model; the first problem becomes a one-line error."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        err = exc.errors()[0]
        name = ".".join(str(p) for p in err["loc"]) or "options"
        if err["type"] == "extra_forbidden":
            known = ", ".join(model.model_fields)
            raise InvalidInput(f"unknown option '{name}'", hint=f"known options: {known}") from None
        raise InvalidInput(
            f"invalid value for option '{name}': {err['msg'].lower()}",
            hint=_describe(model, name),
        ) from None


def _describe(model: type[Options], name: str) -> str | None:
    field = model.model_fields.get(name)
    return field.description if field and field.description else None
