"""The GGUF -> float32 cache: config, reuse without parsing, atomic writes, bad input."""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import write_tiny_gguf

from llmcli.core.errors import LocalModelError
from llmcli.local import gguf_cache
from llmcli.local.model import LocalModel


def cache_entries(cache_dir: Path) -> list[str]:
    return sorted(p.name for p in (cache_dir / "weights").iterdir())


@pytest.mark.slow
def test_config_and_metadata_of_the_real_file(local_model):
    c = local_model.config
    assert (c.arch, c.n_layers, c.d_model, c.ffn_dim, c.vocab_size) == (
        "gemma3", 18, 640, 2048, 262144
    )
    assert (c.n_heads, c.n_kv_heads, c.head_dim) == (4, 1, 256)
    assert c.sliding_window == 512 and c.context_length == 32768
    assert [i for i, g in enumerate(c.layer_is_global) if g] == [5, 11, 17]
    assert (c.rope_base_global, c.rope_base_local) == (1_000_000.0, 10_000.0)
    assert c.attention_scale == pytest.approx(1 / 16)
    assert c.embed_scale == pytest.approx(math.sqrt(640))
    assert c.tied_output
    md = local_model.metadata
    assert len(md["tokenizer.ggml.tokens"]) == 262144
    assert md["tokenizer.ggml.tokens"][2] == "<bos>"
    assert md["tokenizer.ggml.scores"].shape == (262144,)
    assert md["tokenizer.ggml.token_type"].dtype == np.int32
    assert md["tokenizer.ggml.bos_token_id"] == 2 and md["tokenizer.ggml.eos_token_id"] == 1
    assert md["tokenizer.ggml.add_bos_token"] is True
    assert md["tokenizer.ggml.model"] == "llama"


@pytest.mark.slow
def test_second_load_maps_the_cache_without_parsing(
    local_model, default_gguf, llmcli_test_cache, monkeypatch
):
    import gguf

    def no_parsing(*args, **kwargs):
        raise AssertionError("the GGUF file was parsed again")

    monkeypatch.setattr(gguf, "GGUFReader", no_parsing)
    start = time.perf_counter()
    model = LocalModel.load(default_gguf, llmcli_test_cache)
    loaded = time.perf_counter() - start
    logits = model.new_session().feed([2, 818, 5279, 529, 7001, 563])
    first_token = time.perf_counter() - start
    assert loaded < 1.5, f"cached load took {loaded:.2f} s"
    assert first_token < 3.0, f"load + first token took {first_token:.2f} s"
    assert logits.shape == (262144,)
    # The cache maps the file read-only: nobody can scribble over shared weights.
    assert not model.weights.token_embedding.flags.writeable


def test_cache_is_written_once_and_reused(tiny_gguf, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    progress: list[tuple[str, float]] = []
    first = LocalModel.load(tiny_gguf, cache, progress=lambda s, f: progress.append((s, f)))
    assert progress[-1] == ("done", 1.0)
    assert any(stage == "converting weights" for stage, _ in progress)
    (entry,) = cache_entries(cache)  # one directory, no temporary leftovers
    assert (cache / "weights" / entry / "manifest.json").is_file()

    calls = []
    monkeypatch.setattr(gguf_cache, "_build", lambda *a: calls.append(a))
    second = LocalModel.load(tiny_gguf, cache)
    assert calls == []
    np.testing.assert_array_equal(first.weights.layers[1].w_q, second.weights.layers[1].w_q)
    assert second.metadata["tokenizer.ggml.tokens"][5] == "t1"


def test_a_failed_conversion_leaves_nothing_behind(tiny_gguf, tmp_path, monkeypatch):
    cache = tmp_path / "cache"

    def crash(*args):
        raise RuntimeError("killed half-way")

    monkeypatch.setattr(gguf_cache, "_write_metadata", crash)
    with pytest.raises(RuntimeError):
        LocalModel.load(tiny_gguf, cache)
    assert cache_entries(cache) == []
    monkeypatch.undo()
    model = LocalModel.load(tiny_gguf, cache)
    assert model.config.n_layers == 3


def test_a_half_written_cache_is_never_used(tiny_gguf, tmp_path):
    cache = tmp_path / "cache"
    key = gguf_cache.quick_key(tiny_gguf)
    broken = cache / "weights" / key
    broken.mkdir(parents=True)
    (broken / "weights.bin").write_bytes(b"\0" * 100)  # no manifest: a crash mid-way
    model = LocalModel.load(tiny_gguf, cache)
    assert (broken / "manifest.json").is_file()
    assert np.abs(model.weights.token_embedding).sum() > 0

    # A manifest whose weights file was cut short: rebuilt, not mapped.
    with open(broken / "weights.bin", "r+b") as fh:
        fh.truncate(64)
    model = LocalModel.load(tiny_gguf, cache)
    assert np.abs(model.weights.layers[2].w_down).sum() > 0


def test_changed_file_with_same_size_and_ends_is_detected(tmp_path):
    # Big enough (> 2 MiB) that the quick key, which hashes the first and last MiB, cannot
    # see a change in the middle: the size/mtime check and the full sha256 must.
    path = write_tiny_gguf(tmp_path / "m.gguf", ffn_dim=8192)
    cache = tmp_path / "cache"
    key = gguf_cache.quick_key(path)
    before = np.stack([np.array(x.w_up) for x in LocalModel.load(path, cache).weights.layers])
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 4096] = bytes(4096)
    path.write_bytes(bytes(data))
    assert gguf_cache.quick_key(path) == key
    after = np.stack([np.array(x.w_up) for x in LocalModel.load(path, cache).weights.layers])
    assert not np.array_equal(before, after)
    assert cache_entries(cache) == [key]


def test_missing_file(tmp_path):
    with pytest.raises(LocalModelError, match="not found"):
        LocalModel.load(tmp_path / "absent.gguf", tmp_path / "cache")


def test_corrupt_files(tmp_path, tiny_gguf):
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(os.urandom(4096))
    with pytest.raises(LocalModelError, match="not a readable GGUF") as err:
        LocalModel.load(junk, tmp_path / "cache")
    assert err.value.exit_code == 14

    truncated = tmp_path / "truncated.gguf"
    truncated.write_bytes(tiny_gguf.read_bytes()[: tiny_gguf.stat().st_size // 2])
    with pytest.raises(LocalModelError):
        LocalModel.load(truncated, tmp_path / "cache")
    assert cache_entries(tmp_path / "cache") == []


def test_unsupported_architecture_names_the_supported_ones(tmp_path):
    path = write_tiny_gguf(tmp_path / "llama.gguf", arch="llama")
    with pytest.raises(LocalModelError, match="unsupported model architecture 'llama'") as err:
        LocalModel.load(path, tmp_path / "cache")
    assert "gemma3" in err.value.one_line()


def test_unwritable_cache_dir(tiny_gguf, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache dir should be", encoding="utf-8")
    with pytest.raises(LocalModelError, match="cannot write the model cache"):
        LocalModel.load(tiny_gguf, blocker / "cache")


def test_default_model_is_assembled_atomically(default_gguf, llmcli_test_cache):
    from llmcli.local.files import DEFAULT_MODEL_SIZE, ensure_default_model

    assert default_gguf.stat().st_size == DEFAULT_MODEL_SIZE
    assert ensure_default_model(llmcli_test_cache) == default_gguf  # present: reused
    leftovers = [p for p in default_gguf.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
