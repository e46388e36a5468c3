"""The batch tests' configuration of the test double, and a runner harness (no HTTP)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable

from llmcli.batch.build import PromptBuilder
from llmcli.batch.dispatch import BatchConfig, BatchRunner, Hooks, Target
from llmcli.batch.inputs import read_items
from llmcli.batch.outputs import JsonlSink
from llmcli.batch.summary import BatchStats
from llmcli.core.provider import ModelInfo, Provider
from tests.doubles import FakeProvider


def Scripted(
    name: str = "scripted",
    *,
    latency: float | Callable[[str], float] = 0.0,
    reply: Callable[[str], str] | None = None,
    fail: dict[str, list[Exception]] | None = None,
    price: tuple[float, float] | None = None,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
) -> FakeProvider:
    """The test double answering each prompt after `latency(prompt)` seconds with `reply(prompt)`
    (default 'echo: PROMPT') in one piece; `fail[prompt]` lists exceptions for its first calls."""
    answer = reply or (lambda p: f"echo: {p}")
    delay = (lambda r: latency(r.messages[-1].content)) if callable(latency) else latency
    extra = {k: v for k, v in (("sleep", sleep), ("clock", clock)) if v is not None}
    provider = FakeProvider(name, reply=lambda r: answer(r.messages[-1].content), fail=fail,
                            delay=delay, pieces="whole", input_from="last", **extra)
    if price is not None:
        provider.model_info = lambda model: ModelInfo(  # type: ignore[method-assign]
            id=model, provider=name, price_in=price[0], price_out=price[1])
    return provider


def target(provider: Provider, model: str = "m1") -> Target:
    label = f"{provider.settings.name}:{model}"
    return Target(label=label, provider_name=provider.settings.name, model=model, provider=provider,
                  info=provider.model_info(model))


def jsonl(prompts: Iterable[str]) -> bytes:
    return "".join(json.dumps({"prompt": p}) + "\n" for p in prompts).encode()


class Recorder(Hooks):
    def __init__(self):
        self.bad: list[tuple[int, str]] = []
        self.failures: list[dict] = []
        self.notices: list[str] = []

    def bad_line(self, line, reason):
        self.bad.append((line, reason))

    def failed(self, rec):
        self.failures.append(rec)

    def notice(self, text):
        self.notices.append(text)


def run_batch(
    targets: list[Target],
    data: bytes | Iterable,
    *,
    builder=None,
    fmt: str = "jsonl",
    skip=None,
    log=None,
    **config,
) -> tuple[list[dict], BatchStats, Recorder, BatchRunner]:
    """Run a batch into memory; returns (records as written, stats, hooks, runner)."""
    out = io.StringIO()
    sink = JsonlSink(out, name="memory", owns=False)
    stats = BatchStats(batch_id="b-test")
    hooks = Recorder()
    runner = BatchRunner(targets, builder or PromptBuilder(), sink, BatchConfig(**config), stats,
                         hooks=hooks, skip=skip, log=log)
    records = read_items(io.BytesIO(data), fmt) if isinstance(data, bytes) else data
    runner.run(records)
    return [json.loads(x) for x in out.getvalue().splitlines()], stats, hooks, runner
