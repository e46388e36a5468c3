"""An app whose registry hands out the test double, with a real SQLite log."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from llmcli.core.registry import ModelRef
from llmcli.core.runner import RetryPolicy
from llmcli.store.logs import LogStore
from tests.doubles import FakeClock, FakeProvider

REF = ModelRef("fake", "m", "fake")


@dataclass
class _Registry:
    provider_: FakeProvider

    def provider(self, ref: ModelRef) -> FakeProvider:
        return self.provider_


@dataclass
class FakeApp:
    """What `run_exchange` takes from an AppContext: a registry, a retry policy, a log."""

    registry: _Registry
    logs: LogStore
    retry_policy: RetryPolicy = field(default_factory=lambda: RetryPolicy(max_retries=1))


class RecordingDisplay:
    def __init__(self):
        self.events: list[str] = []

    def waiting(self) -> None:
        self.events.append("waiting")

    def done_waiting(self) -> None:
        self.events.append("done")

    def warn(self, text: str) -> None:
        self.events.append(f"warn: {text}")

    def quiet_input(self) -> Any:
        from contextlib import nullcontext

        return nullcontext()


class RecordingWriter:
    def __init__(self, fail_on: str | None = None):
        self.pieces: list[str] = []
        self.finished: bool | None = None
        self.fail_on = fail_on

    def start(self) -> None:
        pass

    def write(self, piece: str) -> None:
        if piece == self.fail_on:
            raise BrokenPipeError("reader went away")
        self.pieces.append(piece)

    def finish(self, interrupted: bool = False) -> None:
        self.finished = interrupted


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def logs(tmp_path: Path):
    store = LogStore(tmp_path / "logs.db")
    yield store
    store.close()


@pytest.fixture
def make_app(logs):
    def make(provider: FakeProvider, **kw) -> FakeApp:
        return FakeApp(_Registry(provider), logs, **kw)

    return make
