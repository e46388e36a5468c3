"""Tab completion for the chat prompt: slash commands, model names, options, templates, paths.

Model names come from the providers' built-in lists (offline, no network), aliases and the
named endpoints of the config.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from prompt_toolkit.completion import CompleteEvent, Completer, Completion, PathCompleter
from prompt_toolkit.document import Document

from llmcli.chat import commands

if TYPE_CHECKING:
    from llmcli.app_context import AppContext


def model_names(app: AppContext) -> list[str]:
    """provider:model for every built-in model, bare provider names, aliases, endpoints."""
    from llmcli.core.provider import ProviderSettings
    from llmcli.core.registry import provider_class, provider_names

    out: list[str] = []
    for name in provider_names():
        out.append(name)
        try:
            infos = provider_class(name)(ProviderSettings(name=name)).known_models()
        except Exception:  # a provider that cannot even list its catalogue offline is skipped
            continue
        out.extend(f"{name}:{info.id}" for info in infos)
    try:
        out.extend(app.registry.aliases())
        out.extend(f"{ep}:" for ep in app.settings.endpoints)
    except Exception:
        pass
    return sorted(set(out))


class ChatCompleter(Completer):
    """Completes the word at the cursor when the line is a slash command."""

    def __init__(
        self,
        models: Callable[[], list[str]],
        options: Callable[[], list[str]],
        templates: Callable[[], list[str]],
    ):
        self._models = models
        self._models_cache: list[str] | None = None
        self._options = options
        self._templates = templates
        self._paths = PathCompleter(expanduser=True)

    def models(self) -> list[str]:
        if self._models_cache is None:
            self._models_cache = self._models()
        return self._models_cache

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterable[Completion]:
        text = document.text_before_cursor
        if not text.startswith("/") or text.startswith("//") or "\n" in text:
            return
        if " " not in text:
            for name in commands.names():
                if name.startswith(text.lower()):
                    yield Completion(name, start_position=-len(text), display_meta=_meta(name))
            return
        cmd, _, rest = text.partition(" ")
        cmd = cmd.lower()
        if cmd == "/save":
            sub = Document(rest, len(rest))
            yield from self._paths.get_completions(sub, complete_event)
            return
        if cmd == "/model":
            candidates = self.models()
        elif cmd == "/set" and " " not in rest:
            candidates = self._options()
        elif cmd == "/template":
            candidates = [*self._templates(), "off"]
        elif cmd == "/system":
            candidates = ["off"]
        else:
            return
        for c in candidates:
            if c.startswith(rest):
                yield Completion(c, start_position=-len(rest))


def _meta(name: str) -> str:
    cmd = commands.COMMANDS.get(name[1:])
    return cmd.help if cmd else ""
