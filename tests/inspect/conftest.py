"""The real local model for the inspection views, loaded once per session from the shared
converted cache (the first run converts the GGUF, later ones map the cache)."""

from __future__ import annotations

import pytest

from tests.conftest import shared_cache_dir


@pytest.fixture(scope="session")
def gemma():
    """(LocalModel, Tokenizer) of the default Gemma 3 270M."""
    from llmcli.local.files import ensure_default_model
    from llmcli.local.model import LocalModel
    from llmcli.local.tokenizer import Tokenizer

    cache = shared_cache_dir()
    model = LocalModel.load(ensure_default_model(cache), cache)
    return model, Tokenizer.from_metadata(model.metadata)
