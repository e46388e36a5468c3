"""Adapters must not import their SDKs (or httpx) until used: CLI start-up depends on it."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("openai", "groq", "google.genai", "httpx", "httpx2", "numpy")


def test_adapter_modules_import_no_sdk():
    code = (
        "import sys\n"
        "import llmcli.providers.openai_compat, llmcli.providers.groq, llmcli.providers.gemini\n"
        "from llmcli.core.registry import provider_class\n"
        "for name in ('openai', 'groq', 'gemini'):\n"
        "    provider_class(name).capabilities\n"
        f"print(sorted(m for m in sys.modules if m.startswith({HEAVY!r})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
