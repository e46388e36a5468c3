"""A small scripted Provider for library-level comparison tests (no HTTP)."""

from __future__ import annotations

import threading
import time

from llmcli.core.errors import LlmcliError
from llmcli.core.events import Finish, TextDelta, Usage
from llmcli.core.messages import ChatRequest, Message
from llmcli.core.provider import ModelInfo, Provider, ProviderSettings
from llmcli.core.registry import ModelRef


class Scripted(Provider):
    """Each model answers with `replies[model]` after `delay` s, in `chunks` pieces spread over
    `duration` s; an exception in `fail[model]` (a list, consumed per call) is raised first."""

    name = "scripted"
    needs_key = False

    def __init__(self, name="scripted", *, replies=None, delay=0.0, duration=0.0, fail=None,
                 prices=None):
        super().__init__(ProviderSettings(name=name))
        self.replies = replies or {}
        self.delay = delay
        self.duration = duration
        self.fail = {k: list(v) for k, v in (fail or {}).items()}
        self.prices = prices or {}
        self.starts: list[tuple[str, float]] = []
        self.lock = threading.Lock()
        self.active = 0
        self.peak = 0

    def model_info(self, model):
        if model in self.prices:
            pin, pout = self.prices[model]
            return ModelInfo(id=model, provider=self.settings.name, price_in=pin, price_out=pout)
        return None

    def chat(self, request, *, stream=True):
        with self.lock:
            self.starts.append((request.model, time.perf_counter()))
            self.active += 1
            self.peak = max(self.peak, self.active)
        try:
            queue = self.fail.get(request.model)
            if queue:
                err = queue.pop(0)
                if isinstance(err, LlmcliError | Exception):
                    raise err
            time.sleep(self.delay)
            reply = self.replies.get(request.model, f"reply from {request.model}")
            words = reply.split(" ")
            step = self.duration / max(1, len(words))
            for i, w in enumerate(words):
                if i:
                    time.sleep(step)
                yield TextDelta(w if i == 0 else " " + w)
            n_in = len(request.messages[-1].content.split())
            yield Usage(input_tokens=n_in, output_tokens=len(words))
            yield Finish("stop")
        finally:
            with self.lock:
                self.active -= 1


def ref(provider: str, model: str) -> ModelRef:
    return ModelRef(provider, model, provider)


def request_for(cell) -> ChatRequest:
    return ChatRequest(model=cell.ref.model, messages=list(cell.variant.messages))


def variant(text: str, label: str = "prompt", extract=None, template=None):
    from llmcli.compare.grid import PromptVariant

    return PromptVariant(label=label, text=text, messages=(Message(role="user", content=text),),
                         template=template, extract=extract)
