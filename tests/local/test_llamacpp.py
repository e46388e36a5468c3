"""The llama.cpp backend, and the numpy engine measured against it.

Needs llama-cpp-python (skipped with the install command otherwise). The parity figures (top-1,
top-10 overlap, max |log-prob difference|) are printed with `-s` and kept in the test report
through `record_property`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from llmcli.core.errors import ContextTooLong, InvalidInput, LocalModelError
from llmcli.local import llamacpp_backend
from llmcli.local.tokenizer import Tokenizer

pytest.importorskip(
    "llama_cpp", reason="llama-cpp-python is not installed: pip install 'llmcli[llamacpp]'"
)
pytestmark = pytest.mark.llamacpp

NEAR_TIE = 0.3  # nats: about the log-prob differences llama.cpp's 8-bit activations cause
PROMPTS = [
    "The capital of France is",
    "O gato subiu no telhado porque viu um",
    "def fibonacci(n):\n    ",
    "1, 2, 3, 4, 5,",
    "User: What is the capital of France?\nAssistant:",
    "Once upon a time, in a small village by the sea, there lived",
]


@pytest.fixture(scope="module")
def llama(default_gguf: Path) -> Any:
    model = llamacpp_backend.LlamaCppModel(default_gguf, n_ctx=1024)
    yield model
    model.close()


@pytest.fixture(scope="module")
def llama_f32(default_gguf: Path, llmcli_test_cache: Path) -> Any:
    """llama.cpp on a float32 copy of the same weights: no quantized arithmetic anywhere. The
    copy lives in the suite's shared cache: each forked test would otherwise write its own GB."""
    st = default_gguf.stat()
    target = llmcli_test_cache / f"f32-{st.st_size}-{st.st_mtime_ns}.gguf"
    path = target if target.is_file() else llamacpp_backend.dequantize_gguf(default_gguf, target)
    model = llamacpp_backend.LlamaCppModel(path, n_ctx=1024)
    yield model
    model.close()


@pytest.fixture(scope="module")
def tok(default_gguf: Path) -> Tokenizer:
    return Tokenizer.from_gguf(default_gguf)


def log_softmax(x: np.ndarray) -> np.ndarray:
    z = x.astype(np.float64) - x.max()
    return z - np.log(np.exp(z).sum())


def test_the_probe_child_passes_on_this_machine(default_gguf: Path, tmp_path: Path) -> None:
    """The real probe (the two-token batch `auto` relies on) survives here, and says so."""
    from llmcli.local.llamacpp_guard import Verdicts

    verdict = Verdicts(tmp_path).check(default_gguf)
    assert verdict.ok, verdict.reason


def test_amx_workaround_opens_the_model_safely(default_gguf: Path, tok: Tokenizer) -> None:
    """With the AMX workaround in force (always on an AMX CPU; forced here on any CPU) the model
    is opened without extra buffers and batches of several tokens give the same next token."""
    from llmcli.local.llamacpp_guard import has_amx

    ids = tok.encode("O gato subiu no telhado porque viu um")
    safe = llamacpp_backend.LlamaCppModel(default_gguf, n_ctx=64, amx=True)
    assert safe.amx_workaround is True
    assert safe.llm.model_params.use_extra_bufts is False
    safe_logits = safe.new_session().feed(ids)
    safe.close()
    default = llamacpp_backend.LlamaCppModel(default_gguf, n_ctx=64)
    assert default.amx_workaround is has_amx()  # on an AMX machine the default is the safe path
    assert default.llm.model_params.use_extra_bufts is not has_amx()
    logits = default.new_session().feed(ids)
    default.close()
    # Without the repacked buffers llama.cpp takes other kernels (other activation rounding):
    # the same top token, log-probs of the top 10 within the tolerance the parity tests allow.
    assert int(np.argmax(safe_logits)) == int(np.argmax(logits))
    top = np.argsort(-logits)[:10]
    assert np.abs(log_softmax(safe_logits)[top] - log_softmax(logits)[top]).max() < 1.0


def test_uses_every_core_and_no_logits_all(llama: Any) -> None:
    assert llama.n_threads == os.cpu_count()
    assert llama.llm.context_params.n_threads == os.cpu_count()
    assert llama.llm.context_params.n_threads_batch == os.cpu_count()
    assert llama.llm._logits_all is False


def test_session_feeds_rewinds_and_limits(llama: Any, tok: Tokenizer) -> None:
    session = llama.new_session(max_context=16)
    ids = tok.encode("The capital of France is")
    first = session.feed(ids)
    assert first.shape == (262_144,) and session.pos == len(ids)
    session.feed([int(np.argmax(first))])
    session.rewind(len(ids))  # back to the prompt: the same logits again
    np.testing.assert_allclose(session.last_logits(), first, atol=1e-3)
    with pytest.raises(ContextTooLong, match="by"):
        session.feed([5] * 20)
    with pytest.raises(InvalidInput, match="outside the vocabulary"):
        session.feed([999_999])


def compare_next_token(local_model: Any, llama: Any, tok: Tokenizer) -> tuple[float, list[int]]:
    """Max |log-prob difference| over llama.cpp's top 10, and the top-10 overlaps, per prompt;
    the top-1 must be the same token."""
    worst, overlaps = 0.0, []
    for prompt in PROMPTS:
        ids = tok.encode(prompt)
        ours = log_softmax(local_model.new_session().feed(ids))
        theirs = log_softmax(llama.new_session().feed(ids))
        assert int(np.argmax(ours)) == int(np.argmax(theirs)), prompt
        top_ours, top_theirs = np.argsort(-ours)[:10], np.argsort(-theirs)[:10]
        overlaps.append(len(set(top_ours.tolist()) & set(top_theirs.tolist())))
        worst = max(worst, float(np.abs(ours[top_theirs] - theirs[top_theirs]).max()))
    return worst, overlaps


def test_numpy_matches_llama_cpp_in_float32(local_model: Any, llama_f32: Any, tok: Tokenizer,
                                            record_property: Any) -> None:
    """Same float weights, float arithmetic on both sides: the engines agree to rounding."""
    worst, overlaps = compare_next_token(local_model, llama_f32, tok)
    record_property("f32_max_abs_logprob_diff_top10", round(worst, 5))
    print(f"\nfloat32 file: top-10 overlaps {overlaps}, max |dlogp| over top-10 {worst:.4f}")
    assert min(overlaps) >= 9 and worst < 0.02


def test_logit_parity_with_numpy(local_model: Any, llama: Any, tok: Tokenizer,
                                 record_property: Any) -> None:
    """On the Q4_K_M file llama.cpp quantizes activations to 8 bits inside its products: the
    same top-1, nearly the same top 10, log-probs within a few tenths of a nat."""
    worst, overlaps = compare_next_token(local_model, llama, tok)
    record_property("max_abs_logprob_diff_top10", round(worst, 4))
    record_property("top10_overlaps", overlaps)
    print(f"\nQ4_K_M file: top-10 overlaps {overlaps}, max |dlogp| over top-10 {worst:.4f}")
    assert min(overlaps) >= 8 and worst < 1.0


def test_greedy_generations_agree_in_float32(local_model: Any, llama_f32: Any,
                                             tok: Tokenizer) -> None:
    from llmcli.local.generate import generate
    from llmcli.local.sampling import Sampler, SamplingParams

    for prompt in PROMPTS:
        ids = tok.encode(prompt)
        greedy = Sampler(SamplingParams(temperature=0))
        runs = [[t.id for t in generate(m.new_session(), ids, greedy, 32)]
                for m in (local_model, llama_f32)]
        assert runs[0] == runs[1], (prompt, tok.decode(runs[0]), tok.decode(runs[1]))


def test_greedy_generations_agree(local_model: Any, llama: Any, tok: Tokenizer,
                                  record_property: Any) -> None:
    """32 greedy tokens from llama.cpp, fed to both engines: at every step the numpy engine
    picks llama.cpp's token, except at a near tie (top-2 within NEAR_TIE nats), where the two
    engines' rounding (llama.cpp quantizes activations to 8 bits) may decide either way."""
    from llmcli.local.generate import generate
    from llmcli.local.sampling import Sampler, SamplingParams

    agreed = []
    for prompt in PROMPTS:
        ids = tok.encode(prompt)
        greedy = Sampler(SamplingParams(temperature=0))
        reference = [t.id for t in generate(llama.new_session(), ids, greedy, 32)]
        ours = [t.id for t in generate(local_model.new_session(), ids, greedy, 32)]
        same = [a == b for a, b in zip(ours, reference, strict=True)]
        agreed.append(same.index(False) if False in same else 32)
        numpy_session, llama_session = local_model.new_session(), llama.new_session()
        mine, theirs = numpy_session.feed(ids), llama_session.feed(ids)
        for step, token in enumerate(reference):
            margin = float(np.diff(np.sort(log_softmax(theirs))[-2:])[0])
            if margin >= NEAR_TIE:
                assert int(np.argmax(mine)) == token, (prompt, step, margin)
            mine, theirs = numpy_session.feed([token]), llama_session.feed([token])
    record_property("greedy_tokens_agreeing", agreed)
    print(f"\ngreedy 32-token runs: tokens agreeing before the first difference {agreed}")
    assert sum(a == 32 for a in agreed) >= len(PROMPTS) // 2


def test_same_seed_same_output_on_each_backend(local_model: Any, llama: Any,
                                               tok: Tokenizer) -> None:
    from llmcli.local.generate import generate
    from llmcli.local.sampling import Sampler, SamplingParams

    ids = tok.encode("Once upon a time")
    params = SamplingParams(temperature=1.0, top_k=50, top_p=0.95, seed=1234)
    for model in (local_model, llama):
        runs = [[t.id for t in generate(model.new_session(), ids, Sampler(params), 12)]
                for _ in range(2)]
        assert runs[0] == runs[1]
        other = Sampler(SamplingParams(temperature=1.0, top_k=50, top_p=0.95, seed=99))
        assert [t.id for t in generate(model.new_session(), ids, other, 12)] != runs[0]


def test_nothing_reaches_stderr(default_gguf: Path) -> None:
    """Loading and generating must not print llama.cpp's log (a KV-cache warning included)."""
    script = (
        "import sys\n"
        "from llmcli.local.llamacpp_backend import LlamaCppModel\n"
        f"m = LlamaCppModel({str(default_gguf)!r}, n_ctx=256)\n"
        "s = m.new_session()\n"
        "logits = s.feed(m.tokenize('Hello there'))\n"
        "s.feed([int(logits.argmax())])\n"
        "print('ok')\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert proc.stdout.decode().strip() == "ok"
    assert proc.stderr == b""


def test_missing_package_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # import now raises ImportError
    assert llamacpp_backend.available() is False
    with pytest.raises(LocalModelError) as info:
        llamacpp_backend.import_llama_cpp()
    assert "pip install 'llmcli[llamacpp]'" in info.value.one_line()


def test_bad_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"not a gguf at all")
    with pytest.raises(LocalModelError, match=r"llama\.cpp cannot load bad\.gguf"):
        llamacpp_backend.LlamaCppModel(bad)
    with pytest.raises(LocalModelError, match="not found"):
        llamacpp_backend.LlamaCppModel(tmp_path / "missing.gguf")
