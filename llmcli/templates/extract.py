"""Pull the final answer out of a reply: after a marker such as 'Answer:', or by a regex."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llmcli.templates.model import Extract, Template

# A regex from a template runs on replies the user does not control: the `regex` module (the
# same syntax and Unicode classes as `re`, so `\w` still matches "São") can stop a match after
# a timeout, which `re` cannot; the nested-repeat shape is already refused when loading.
REGEX_SECONDS = 1.0

# Markdown emphasis and code marks a model wraps answers in: **42**, `42`, __42__, **42**.
_LEAD = re.compile(r"^[\s*_`]+")
_TRAIL = re.compile(r"[\s*_`]+(?=[.!;]?$)")


def extract(template: Template, text: str) -> str | None:
    """The template's answer in `text`, None when it has no extract rule or nothing matched."""
    if template.extract is None:
        return None
    return extract_with(template.extract, text)


def extract_with(spec: Extract, text: str) -> str | None:
    if spec.regex is not None:
        return _by_regex(spec, text)
    return _by_marker(spec.marker or [], text, spec.which)


def _by_marker(markers: list[str], text: str, which: str) -> str | None:
    """Text after the first/last marker (any of them, case-insensitive) up to the end of its
    line; when the marker ends its line, the next non-empty line."""
    hits: list[tuple[int, int]] = []
    lowered = text.casefold()
    for marker in markers:
        needle = marker.casefold()
        start = lowered.find(needle)
        while start != -1:
            hits.append((start, start + len(needle)))
            start = lowered.find(needle, start + 1)
    if not hits:
        return None
    hits.sort()
    _, end = hits[-1] if which == "last" else hits[0]
    rest = text[end:]
    first_line, _, after = rest.partition("\n")
    answer = _clean(first_line)
    if not answer:
        answer = next((_clean(line) for line in after.splitlines() if _clean(line)), "")
    return answer or None


def _by_regex(spec: Extract, text: str) -> str | None:
    import regex

    from llmcli.core.errors import InvalidInput

    pattern = regex.compile(spec.regex or "")
    try:
        matches = list(pattern.finditer(text, timeout=REGEX_SECONDS))
    except TimeoutError:
        raise InvalidInput(
            f"extract regex {spec.regex!r} took longer than {REGEX_SECONDS:g} s on a reply",
            hint="simplify the regex (avoid repeats inside repeats such as (a|aa)+)",
        ) from None
    if not matches:
        return None
    match = matches[-1] if spec.which == "last" else matches[0]
    group = spec.group if spec.group is not None else (1 if pattern.groups else 0)
    value = match.group(group)
    if value is None:
        return None
    return value.strip() or None


def _clean(line: str) -> str:
    text = _TRAIL.sub("", _LEAD.sub("", line.strip())).strip()
    # "51." or "Lisboa." end a sentence, the period is not part of a one-word answer.
    if text.endswith(".") and " " not in text and not text.endswith(".."):
        text = text[:-1]
    return text
