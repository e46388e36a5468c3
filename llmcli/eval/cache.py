"""Asking a model for an eval: through the reply cache, else one exchange (exchange.drive).

A reply is cached under a hash of the provider, the model, the messages, the options and a
salt (the repetition and the call's place in the cell), so a rerun asks only what changed,
while `--repeat 5` still asks five times. Only complete replies are cached.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from llmcli.core.errors import Interrupted, LlmcliError
from llmcli.core.provider import Provider

if TYPE_CHECKING:
    from llmcli.core.messages import Message
    from llmcli.core.options import Options
    from llmcli.core.registry import ModelRef
    from llmcli.core.response import Response
    from llmcli.core.runner import RetryPolicy
    from llmcli.store.eval_runs import ReplyCache

Asker = Callable[["ModelRef", Sequence["Message"], "Mapping[str, Any] | Options", Any],
                 "Response"]


def cache_key(ref: ModelRef, messages: Sequence[Message], options: Options, salt: Any) -> str:
    blob = json.dumps({"provider": ref.provider, "model": ref.model,
                       "messages": [m.model_dump(mode="json") for m in messages],
                       "options": options.set_values(), "salt": salt},
                      sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


class Exchanges:
    """Every chat an eval makes: cached, driven with the shared retry rule, stoppable."""

    def __init__(self, providers: Mapping[str, Provider | LlmcliError], *,
                 cache: ReplyCache | None, policy: RetryPolicy | None, read_cache: bool = True,
                 clock: Callable[[], float] | None = None,
                 sleep: Callable[[float], None] | None = None):
        self.providers = providers
        self.cache = cache
        self.read_cache = read_cache  # False (--no-cache): ask again, then refresh the cache
        self.policy = policy
        self.clock = clock
        self.sleep = sleep
        self.stop = threading.Event()
        self.asked = 0  # exchanges really sent (not from the cache)
        self.hits = 0
        self._lock = threading.Lock()

    def ask(self, ref: ModelRef, messages: Sequence[Message],
            options: Mapping[str, Any] | Options, salt: Any) -> tuple[Response, bool]:
        """The reply and whether it came from the cache; an exchange's error is raised."""
        from llmcli.core.response import Response
        from llmcli.exchange.drive import drive
        from llmcli.exchange.request import build_request

        if self.stop.is_set():
            raise Interrupted("interrupted")
        request = build_request(ref, messages, options)
        key = cache_key(ref, request.messages, request.options, salt)
        if self.cache is not None and self.read_cache:
            hit = self.cache.get(key)
            if hit is not None:
                with self._lock:
                    self.hits += 1
                return Response.model_validate(hit), True
        provider = self.providers.get(ref.provider)
        if not isinstance(provider, Provider):
            raise provider or LlmcliError(f"provider '{ref.provider}' is unavailable")
        kw: dict[str, Any] = {}
        if self.clock is not None:
            kw["clock"] = self.clock
        if self.sleep is not None:
            kw["sleep"] = self.sleep
        with self._lock:
            self.asked += 1
        result = drive(provider, request, ref.provider, policy=self.policy, stream=True,
                       should_stop=self.stop.is_set, **kw)
        if result.stopped:
            raise Interrupted("interrupted")
        if result.error is not None:
            raise result.error
        response = result.response
        if self.cache is not None and response.status == "complete":
            self.cache.put(key, str(ref), response.model_dump(mode="json"))
        return response, False
