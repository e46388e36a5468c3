"""A scripted Provider and a runner harness for library-level batch tests (no HTTP)."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Callable, Iterable

from llmcli.batch.build import PromptBuilder
from llmcli.batch.dispatch import BatchConfig, BatchRunner, Hooks, Target
from llmcli.batch.inputs import read_items
from llmcli.batch.outputs import JsonlSink
from llmcli.batch.summary import BatchStats
from llmcli.core.events import Finish, TextDelta, Usage
from llmcli.core.provider import ModelInfo, Provider, ProviderSettings


class Scripted(Provider):
    """Answers each prompt after `latency(prompt)` seconds with `reply(prompt)`; `fail[prompt]`
    is a list of exceptions raised on that prompt's first calls, one per call."""

    name = "scripted"
    needs_key = False

    def __init__(
        self,
        name: str = "scripted",
        *,
        latency: float | Callable[[str], float] = 0.0,
        reply: Callable[[str], str] | None = None,
        fail: dict[str, list[Exception]] | None = None,
        price: tuple[float, float] | None = None,
    ):
        super().__init__(ProviderSettings(name=name))
        self.latency = latency if callable(latency) else (lambda _p, v=latency: v)
        self.reply = reply or (lambda p: f"echo: {p}")
        self.fail = {k: list(v) for k, v in (fail or {}).items()}
        self.price = price
        self.calls: list[tuple[str, float]] = []  # (prompt, start time)
        self.lock = threading.Lock()
        self.active = 0
        self.peak = 0

    def model_info(self, model: str) -> ModelInfo | None:
        if self.price is None:
            return None
        pin, pout = self.price
        return ModelInfo(id=model, provider=self.settings.name, price_in=pin, price_out=pout)

    def chat(self, request, *, stream=True):
        prompt = request.messages[-1].content
        with self.lock:
            self.calls.append((prompt, time.monotonic()))
            self.active += 1
            self.peak = max(self.peak, self.active)
            queue = self.fail.get(prompt)
            err = queue.pop(0) if queue else None
        try:
            if err is not None:
                raise err
            time.sleep(self.latency(prompt))
            text = self.reply(prompt)
            yield TextDelta(text)
            yield Usage(input_tokens=len(prompt.split()), output_tokens=len(text.split()))
            yield Finish("stop")
        finally:
            with self.lock:
                self.active -= 1

    def prompts(self) -> list[str]:
        return [p for p, _ in self.calls]


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
