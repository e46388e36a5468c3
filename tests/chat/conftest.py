"""The test double (tests/doubles.py) registered under the real entry-point lookup, and a
recording frontend.

`ScriptedProvider.script` holds what the next `chat` calls do, in order (see FakeProvider):
- a str: streamed word by word, then usage and a finish;
- a list: its items in order; a str is a text piece, an exception (KeyboardInterrupt too) is raised;
- an exception: raised before any text.
With the script empty the reply is "reply N".
"""

from __future__ import annotations

import io
import os
from typing import Any, ClassVar

import pytest

from llmcli.core.options import Options
from llmcli.core.provider import Capability, ModelInfo, Provider
from tests.doubles import FakeProvider


class ScriptedProvider(FakeProvider):
    """The test double as the registry builds it: scripted through class attributes, so a test
    scripts the instance the chat session will make."""

    name: ClassVar[str] = "script"
    default_model: ClassVar[str] = "small"
    script: ClassVar[list[Any]] = []  # type: ignore[misc]
    requests: ClassVar[list[Any]] = []  # type: ignore[misc]
    framing: ClassVar[int] = 0  # type: ignore[misc]  # tokens the "chat template" adds

    def __init__(self, settings, **hooks):
        super().__init__(settings, **hooks)
        for shared in ("script", "requests", "framing"):  # read the class's, set by the test
            del self.__dict__[shared]
        self.models = [
            ModelInfo(id="small", provider=self.settings.name, context_window=100),
            ModelInfo(id="big", provider=self.settings.name, context_window=100_000),
        ]


class TokenizingProvider(ScriptedProvider):
    """Counts exactly: one token per whitespace-separated word."""

    name: ClassVar[str] = "scriptcount"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.CHAT, Capability.STREAM, Capability.TOKENIZE}
    )
    tokenize_calls: ClassVar[int] = 0

    def tokenize(self, text: str, model: str) -> list[tuple[int, str]]:
        type(self).tokenize_calls += 1
        return [(i, w) for i, w in enumerate(text.split())]


class BeamOptions(Options):
    beam: int | None = None


class ExtraOptionProvider(ScriptedProvider):
    """Takes an option the others do not."""

    name: ClassVar[str] = "scriptext"
    options_model: ClassVar[type[Options]] = BeamOptions


class _EP:
    def __init__(self, name: str, cls: type[Provider]):
        self.name = name
        self._cls = cls

    def load(self) -> type[Provider]:
        return self._cls


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch) -> type[ScriptedProvider]:
    """Registers the scripted providers next to the real ones; returns the class to script."""
    from llmcli.core import registry

    real = dict(registry._entry_points())
    classes = (ScriptedProvider, TokenizingProvider, ExtraOptionProvider)
    fakes = {c.name: _EP(c.name, c) for c in classes}
    monkeypatch.setattr(registry, "_entry_points", lambda: {**real, **fakes})
    registry.provider_class.cache_clear()
    ScriptedProvider.script = []
    ScriptedProvider.requests = []
    TokenizingProvider.requests = []
    TokenizingProvider.tokenize_calls = 0
    TokenizingProvider.framing = 0
    ExtraOptionProvider.requests = []
    yield ScriptedProvider
    registry.provider_class.cache_clear()


class RecordingWriter:
    def __init__(self):
        self.text = ""
        self.finished: bool | None = None

    def start(self) -> None:
        pass

    def write(self, piece: str) -> None:
        self.text += piece

    def finish(self, interrupted: bool = False) -> None:
        self.finished = interrupted


class FakeUI:
    """A Frontend that records what the session said and answers questions from a list."""

    spinner = False

    def __init__(self, answers: list[bool] | None = None):
        self.answers = list(answers or [])
        self.questions: list[str] = []
        self.notes: list[str] = []
        self.warnings: list[str] = []
        self.errors: list[str] = []
        self.writers: list[RecordingWriter] = []
        self.interruptions = 0

    def display(self, label: str):
        from llmcli.exchange.interactive import SilentDisplay

        return SilentDisplay()

    def reply_writer(self) -> RecordingWriter:
        self.writers.append(RecordingWriter())
        return self.writers[-1]

    def note(self, text: str) -> None:
        self.notes.append(text)

    def warn(self, text: str) -> None:
        self.warnings.append(text)

    def error(self, text: str) -> None:
        self.errors.append(text)

    def interrupted(self) -> None:
        self.interruptions += 1

    def confirm(self, question: str) -> bool:
        self.questions.append(question)
        return self.answers.pop(0) if self.answers else False


class _Out(io.StringIO):
    def __init__(self, tty: bool = False):
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


def make_app(*, tty: bool = False):
    """A real AppContext (settings, registry, SQLite log) on captured streams."""
    from llmcli.app_context import AppContext
    from llmcli.environment import Environment

    env = Environment(
        stdin=io.BytesIO(), stdout=_Out(tty), stderr=_Out(), stdin_isatty=tty, stdout_isatty=tty,
        stderr_isatty=False, environ=dict(os.environ), width=100,
    )
    return AppContext(env)


@pytest.fixture
def app(scripted):
    ctx = make_app()
    yield ctx
    ctx.close()


@pytest.fixture
def ui() -> FakeUI:
    return FakeUI()


def new_session(app, spec: str = "script:big", **kw):
    from llmcli.chat.session import ChatSession

    return ChatSession(app, app.registry.resolve(spec), **kw)
