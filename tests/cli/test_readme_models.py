"""README.md names only models that are alive on the catalog's date (pinned by the suite's
clock to 2026-12-06): every `provider:model` it mentions and every `-m` it passes, aliases and
bare providers resolved to the model they mean. The one place a retired model may appear is
an example whose next line shows llmcli refusing it."""

from __future__ import annotations

import re

import pytest

from llmcli.core.registry import BUILTIN_ALIASES
from llmcli.providers import catalog, lifecycle
from tests.conftest import CATALOG_TODAY, ROOT

CLOUD = tuple(catalog.DEFAULTS)  # the providers the catalog covers
_REF = re.compile(r"\b(" + "|".join(CLOUD) + r"):([A-Za-z0-9][A-Za-z0-9._/-]*[A-Za-z0-9])")
_FLAG = re.compile(r"(?:^|\s)-m\s+([A-Za-z0-9][^\s`'\"]*)")


def model_refs(text: str) -> list[tuple[int, str, str]]:
    """(line number, provider, model) for every cloud model the text names or passes to -m."""
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        for provider, model in _REF.findall(line):
            out.append((n, provider, model))
        for arg in _FLAG.findall(line):
            arg = BUILTIN_ALIASES.get(arg, arg)
            provider, _, model = arg.partition(":")
            if provider in CLOUD and not model:
                out.append((n, provider, catalog.DEFAULTS[provider]))
    return out


def retired_uses(text: str, today: str) -> list[str]:
    """Lines that use a model shut down on or before `today`, unless the next line shows the
    refusal for that very model."""
    lines = text.splitlines()
    bad = []
    for n, provider, model in model_refs(text):
        found = lifecycle.lookup(provider, model)
        if found is None or found.shutdown.isoformat() > today:
            continue
        shown = f"{provider}:{model} is retired"
        if shown in lines[n - 1] or (n < len(lines) and shown in lines[n]):
            continue  # the example of the refusal itself
        bad.append(f"README.md:{n}: {provider}:{model} was shut down on {found.shutdown}")
    return bad


@pytest.fixture(scope="module")
def readme() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_checker_finds_what_it_should():
    sample = (
        "$ llmcli prompt hi -m groq\n"
        "$ llmcli compare x -m flash -m openai:gpt-4o-mini\n"
        "| gemini:gemini-2.5-pro | 1 |\n"
        "$ llmcli prompt hi -m groq:llama-3.1-8b-instant\n"
        "llmcli: error: groq:llama-3.1-8b-instant is retired, shutdown date 2026-08-16\n"
    )
    assert model_refs(sample)[:3] == [
        (1, "groq", "openai/gpt-oss-20b"),
        (2, "openai", "gpt-4o-mini"),
        (2, "gemini", "gemini-3.5-flash-lite"),
    ]
    assert retired_uses(sample, CATALOG_TODAY) == [
        "README.md:3: gemini:gemini-2.5-pro was shut down on 2026-12-01"
    ]
    assert len(retired_uses(sample, "2027-01-14")) == 2  # gpt-4o-mini's day comes too


def test_readme_uses_no_model_shut_down_today(readme):
    today = lifecycle.clock().isoformat()
    assert today == CATALOG_TODAY  # the suite's pinned clock, not the wall
    refs = model_refs(readme)
    assert len(refs) > 30 and {p for _, p, _ in refs} == set(CLOUD)
    assert retired_uses(readme, today) == []


def test_every_cloud_model_in_the_readme_is_in_the_catalog(readme):
    unknown = sorted(
        {f"{p}:{m}" for _, p, m in model_refs(readme) if catalog.entry(p, m) is None}
    )
    assert unknown == []  # otherwise the check above could not know its dates
