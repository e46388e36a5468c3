"""Building eval runs on the test double: a plan from suite text, run with a FakeProvider."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from llmcli.core.registry import ModelRef
from llmcli.eval.assertions import Graders
from llmcli.eval.cache import Exchanges
from llmcli.eval.cell_loop import EvalRunner
from llmcli.eval.plan import Model, Row, build_cells, validated_options
from llmcli.eval.suite import parse_suite
from llmcli.templates.loader import load_template


def fake_ref(model: str = "m") -> ModelRef:
    """The double under the name 'fake', validated as an OpenAI-compatible model's options."""
    return ModelRef("fake", model, "openai")


def make_runner(tmp_path: Path, suite_text: str, provider: Any, *, models=("m",), repeat=1,
                cache=None, graders: Graders | None = None, jobs=4, clock=None, sleep=None,
                policy=None) -> tuple[EvalRunner, Exchanges]:
    suite = parse_suite(suite_text, tmp_path / "suite.yaml")
    rows = [Row(p, load_template(p.template) if p.template else None) for p in suite.prompts]
    cols = [Model(f"fake:{m}", fake_ref(m)) for m in models]
    options = {(r, c): validated_options(row, m, {}) for r, row in enumerate(rows)
               for c, m in enumerate(cols)}
    exchanges = Exchanges({"fake": provider}, cache=cache, policy=policy, clock=clock,
                          sleep=sleep)
    cells = build_cells(rows, cols, suite.cases, repeat)
    kw = {"clock": clock} if clock is not None else {}
    runner = EvalRunner(rows, cols, cells, options=options, exchanges=exchanges,
                        graders=graders or Graders(), jobs=jobs, **kw)
    return runner, exchanges
