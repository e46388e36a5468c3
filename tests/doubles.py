"""The one test double provider (and the fake clock it and the timed code share).

Every test that needs no wire protocol asks this provider: the library tests of chat, compare,
batch, templates and the core runner. Tests of what an SDK or a server does use the loopback
stubs in tests/stubs/ instead.

What one `chat` call does, in this order:
1. the next step of `script`, if any (consumed in order, whatever the model);
2. else the next exception queued in `fail` for the request's model or its last message;
3. else `reply` (a str, a mapping model -> str, or a function of the request; by default
   "reply N", N counting the calls).

A step is
- a str: streamed in `pieces` ("words", "halves" or "whole"), then usage and a finish;
- a list: its items in order, a str is a piece, an exception (KeyboardInterrupt too) is raised
  there, then a finish (no usage: nothing was counted);
- an exception: raised before any text;
- any other iterable: events yielded as they are (the test scripts events and clock itself);
- a callable: called with the request, its result is the step.

Time: `delay` passes before the first piece and `gap` between pieces, through `sleep`. Give it
a `FakeClock`'s sleep and no real time passes (the clock moves, the timings are exact); leave
the real `time.sleep` only where threads must really overlap (concurrency limits).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, ClassVar

from llmcli.core.events import Event, Finish, TextDelta, Usage
from llmcli.core.messages import ChatRequest, Message
from llmcli.core.provider import ModelInfo, Provider, ProviderSettings
from llmcli.core.registry import ModelRef


class FakeClock:
    """Time that moves only when code sleeps on it (or the test advances it)."""

    def __init__(self, start: float = 0.0):
        self.now = start
        self.sleeps: list[float] = []
        self.reads = 0  # how often it was read: lets a test wait until code got somewhere
        self._lock = threading.Lock()
        self._read = threading.Condition(self._lock)

    def __call__(self) -> float:
        with self._read:
            self.reads += 1
            self._read.notify_all()
            return self.now

    def wait_reads(self, n: int, timeout: float = 10.0) -> bool:
        """Block until the clock has been read `n` times (False after `timeout` s)."""
        with self._read:
            return self._read.wait_for(lambda: self.reads >= n, timeout)

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += max(0.0, seconds)

    def advance(self, seconds: float) -> None:
        self.sleep(seconds)


Reply = str | Mapping[str, str] | Callable[[ChatRequest], str] | None


class FakeProvider(Provider):
    """A configurable provider: canned replies, scripted steps, failures, delays, usage."""

    name: ClassVar[str] = "fake"
    description: ClassVar[str] = "test double"
    needs_key: ClassVar[bool] = False
    default_model: ClassVar[str] = "m"

    def __init__(
        self,
        settings: ProviderSettings | str = "fake",
        *,
        script: Iterable[Any] = (),
        reply: Reply = None,
        fail: Mapping[str, Iterable[BaseException]] | None = None,
        pieces: str = "words",
        delay: float | Callable[[ChatRequest], float] = 0.0,
        gap: float = 0.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        usage: bool = True,
        input_from: str = "all",
        framing: int = 0,
        prices: Mapping[str, tuple[float, float]] | None = None,
        models: Iterable[ModelInfo] = (),
        **hooks: Any,  # what the registry passes an adapter (the local model's progress)
    ):
        if isinstance(settings, str):
            settings = ProviderSettings(name=settings)
        super().__init__(settings)
        self.script = list(script)
        self.reply = reply
        self.fail = {k: list(v) for k, v in (fail or {}).items()}
        self.pieces = pieces
        self.delay = delay
        self.gap = gap
        self.sleep = sleep
        self.clock = clock
        self.usage = usage
        self.input_from = input_from
        self.framing = framing
        self.prices = dict(prices or {})
        self.models = list(models)
        self.requests: list[ChatRequest] = []
        self.calls: list[tuple[str, float]] = []  # (last message, start time)
        self.starts: list[tuple[str, float]] = []  # (model, start time)
        self.active = 0
        self.peak = 0
        self.lock = threading.Lock()

    # -- what the registry and the runner ask ------------------------------------------------
    def known_models(self) -> list[ModelInfo]:
        return list(self.models)

    def model_info(self, model: str) -> ModelInfo | None:
        if model in self.prices:
            pin, pout = self.prices[model]
            return ModelInfo(id=model, provider=self.settings.name, price_in=pin, price_out=pout)
        return next((m for m in self.models if m.id == model), None)

    def prompts(self) -> list[str]:
        return [p for p, _ in self.calls]

    def chat(self, request: ChatRequest, *, stream: bool = True) -> Iterator[Event]:
        prompt = request.messages[-1].content if request.messages else ""
        with self.lock:
            self.requests.append(request)
            now = self.clock()
            self.calls.append((prompt, now))
            self.starts.append((request.model, now))
            self.active += 1
            self.peak = max(self.peak, self.active)
            step = self._next_step(request, prompt)
        try:
            yield from self._play(step, request)
        finally:
            with self.lock:
                self.active -= 1

    # -- playing a step ----------------------------------------------------------------------
    def _next_step(self, request: ChatRequest, prompt: str) -> Any:
        if self.script:
            return self.script.pop(0)
        for key in (request.model, prompt):
            queue = self.fail.get(key)
            if queue:
                return queue.pop(0)
        reply = self.reply
        if reply is None:
            return f"reply {len(self.requests)}"
        if isinstance(reply, str):
            return reply
        if isinstance(reply, Mapping):
            return reply.get(request.model, f"reply from {request.model}")
        return reply(request)

    def _play(self, step: Any, request: ChatRequest) -> Iterator[Event]:
        if callable(step) and not isinstance(step, BaseException):
            step = step(request)
        if isinstance(step, BaseException):
            raise step
        delay = self.delay(request) if callable(self.delay) else self.delay
        if delay:
            self.sleep(delay)
        if isinstance(step, str):
            yield from self._text(step, request)
            return
        if isinstance(step, list):
            for i, item in enumerate(step):
                if isinstance(item, BaseException):
                    raise item
                if i and self.gap:
                    self.sleep(self.gap)
                yield TextDelta(item)
            yield Finish("stop")
            return
        yield from step  # events, scripted by the test

    def _text(self, text: str, request: ChatRequest) -> Iterator[Event]:
        for i, piece in enumerate(split(text, self.pieces)):
            if i and self.gap:
                self.sleep(self.gap)
            yield TextDelta(piece)
        if self.usage:
            yield Usage(input_tokens=self._input_tokens(request),
                        output_tokens=len(text.split()))
        yield Finish("stop")

    def _input_tokens(self, request: ChatRequest) -> int:
        messages = request.messages[-1:] if self.input_from == "last" else request.messages
        return sum(len(m.content.split()) for m in messages) + self.framing


def split(text: str, how: str) -> list[str]:
    """A reply in the pieces a stream would bring: words (spaces kept), two halves, or whole."""
    if how == "whole" or not text:
        return [text]
    if how == "halves":
        half = len(text) // 2
        return [text[:half], text[half:]] if half else [text]
    words = text.split(" ")
    return [w if i == len(words) - 1 else w + " " for i, w in enumerate(words)]


def ref(provider: str, model: str) -> ModelRef:
    return ModelRef(provider, model, provider)


def request(text: str = "hi", model: str = "m") -> ChatRequest:
    return ChatRequest(model=model, messages=[Message(role="user", content=text)])
