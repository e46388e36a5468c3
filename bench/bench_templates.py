"""Prompt templates: what they cost before any model is called, measured side by side.

1. in process: loading the nine built-ins (cold, then warm), rendering each, and the
   sandbox's overhead against a plain jinja2 Environment on the same 20-chunk loop;
2. commands, interleaved so machine noise hits them alike: `llmcli --help` (the floor),
   `templates list`, `templates render few-shot`, and `prompt -t few-shot --show-prompt`.

    .venv/bin/python bench/bench_templates.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import interleaved, isolated_env  # noqa: E402


def in_process(rounds: int = 200) -> dict[str, float]:
    nowhere = Path("/nonexistent-user-templates")
    start = time.perf_counter()
    from llmcli.templates.loader import entries, load_template
    from llmcli.templates.render import render
    from llmcli.templates.sandbox import render_source

    imported = time.perf_counter()
    templates = [load_template(e.name, nowhere) for e in entries(nowhere)]
    cold = time.perf_counter() - imported
    t = time.perf_counter()
    for _ in range(rounds):
        for e in entries(nowhere):
            load_template(e.name, nowhere)
    warm = (time.perf_counter() - t) / rounds
    values = {"input": "Quanto é 17 x 3?", "chunks": ["um", "dois"]}
    t = time.perf_counter()
    for _ in range(rounds):
        for tpl in templates:
            render(tpl, {k: v for k, v in values.items() if tpl.variable(k)})
    per_render = (time.perf_counter() - t) / rounds / len(templates)

    from jinja2 import Environment

    src = "{% for c in chunks %}[{{ loop.index }}] {{ c }}\n{% endfor %}Q: {{ input }}"
    data = {"chunks": [f"chunk {i}" for i in range(20)], "input": "q"}
    plain = Environment().from_string(src)
    n = 5000
    t = time.perf_counter()
    for _ in range(n):
        plain.render(**data)
    plain_s = (time.perf_counter() - t) / n
    t = time.perf_counter()
    for _ in range(n):
        render_source(src, data)
    sandbox_s = (time.perf_counter() - t) / n
    return {
        "import_ms": round(1000 * (imported - start), 1),
        "load_9_builtins_cold_ms": round(1000 * cold, 1),
        "load_9_builtins_warm_ms": round(1000 * warm, 2),
        "render_one_us": round(1e6 * per_render, 1),
        "loop_20_chunks_plain_jinja_us": round(1e6 * plain_s, 1),
        "loop_20_chunks_sandboxed_us": round(1e6 * sandbox_s, 1),
    }


def commands(runs: int) -> dict[str, dict[str, float]]:
    py = [sys.executable, "-m", "llmcli"]
    with tempfile.TemporaryDirectory() as home:
        env = isolated_env(Path(home))
        return interleaved({
            "--help": [*py, "--help"],
            "templates list": [*py, "templates", "list"],
            "templates render few-shot": [*py, "templates", "render", "few-shot", "x"],
            "prompt -t few-shot --show-prompt": [*py, "prompt", "-t", "few-shot", "--show-prompt",
                                                 "-m", "openai:gpt-4o-mini", "x"],
        }, runs, env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(json.dumps({"in_process": in_process(), "commands": commands(args.runs)}, indent=2))


if __name__ == "__main__":
    main()
