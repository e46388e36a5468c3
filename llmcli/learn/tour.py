"""The tour: its steps in the order the data flows, built once from one traced run."""

from __future__ import annotations

from collections.abc import Callable

from llmcli.core.errors import InvalidInput
from llmcli.learn import steps_attention, steps_block, steps_input, steps_output
from llmcli.learn.run import TourRun
from llmcli.learn.step import Step

STEPS: list[tuple[str, Callable[[TourRun], Step]]] = [
    ("tokens", steps_input.tokens),
    ("embedding", steps_input.embedding),
    ("rope", steps_input.rope),
    ("attention", steps_attention.attention),
    ("multihead", steps_attention.multihead),
    ("addnorm", steps_block.addnorm),
    ("ffn", steps_block.ffn),
    ("layers", steps_block.layers),
    ("output", steps_output.output),
    ("softmax", steps_output.softmax),
    ("sampling", steps_output.sampling),
    ("sampled", steps_output.sampled),
    ("loop", steps_output.loop),
]
STEP_NAMES = [name for name, _ in STEPS]


def check_step(name: str) -> str:
    if name not in STEP_NAMES:
        raise InvalidInput(f"no step named '{name}'", hint="steps: " + ", ".join(STEP_NAMES))
    return name


def build_tour(run: TourRun) -> list[Step]:
    """Every step, in order (the loop step decodes on from the trace's KV cache, so a run's
    tour is built once)."""
    return [build(run) for _, build in STEPS]
