"""Fenced code blocks found in a reply (-x/--extract)."""

from __future__ import annotations

import pytest

from llmcli.core.codeblocks import code_blocks


@pytest.mark.parametrize("text,blocks", [
    ("", []),
    ("no fences", []),
    ("```\na\n```", ["a\n"]),
    ("~~~sh\nb\n~~~\n```\nc\n```", ["b\n", "c\n"]),
    ("````md\n```\ninner\n```\n````", ["```\ninner\n```\n"]),  # a longer fence holds a shorter
    ("  ```\n  x\n   y\n  ```", ["x\n y\n"]),  # the fence's indent comes off
    ("```py\nunclosed\nto the end", ["unclosed\nto the end\n"]),
    ("```\n```", [""]),
])
def test_code_blocks(text, blocks):
    assert code_blocks(text) == blocks
