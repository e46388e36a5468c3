"""The real Gemma 3 270M and one tour of the issue's sentence, built once per session."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import shared_cache_dir

SENTENCE = "O gato subiu no telhado"


@pytest.fixture(scope="session")
def gemma() -> tuple[Any, Any]:
    from llmcli.local.files import ensure_default_model
    from llmcli.local.model import LocalModel
    from llmcli.local.tokenizer import Tokenizer

    cache = shared_cache_dir()
    model = LocalModel.load(ensure_default_model(cache), cache)
    return model, Tokenizer.from_metadata(model.metadata)


def make_run(gemma, text: str = SENTENCE, **kw: Any):
    from llmcli.learn.run import start_run
    from llmcli.local.sampling import SamplingParams

    model, tok = gemma
    options = kw.pop("options", {})
    return start_run("local:gemma-3-270m", model, tok, text, lambda v: SamplingParams(**v),
                     options, **kw)


@pytest.fixture(scope="session")
def tour(gemma):
    """(run, {name: step}) of the default tour: layer 0, head 0, the last token."""
    from llmcli.learn.tour import build_tour

    run = make_run(gemma)
    return run, {s.name: s for s in build_tour(run)}


@pytest.fixture(scope="session")
def mid_tour(gemma):
    """A tour seen from a middle token of a global layer (the causal mask hides later ones)."""
    from llmcli.learn.tour import build_tour

    run = make_run(gemma, layer=5, head=2, pos=3)
    return run, {s.name: s for s in build_tour(run)}
