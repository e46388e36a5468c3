"""Beam search on the numpy engine, checked against searches that recompute everything.

A tiny random Gemma 3 with an 8-token vocabulary makes brute force feasible: every sequence of
up to three tokens can be scored with fresh sessions (no KV cache shared, no batching).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from llmcli.core.errors import InvalidInput
from llmcli.local.beam import Hypothesis, beam_search, beam_tokens
from llmcli.local.beam_step import BeamCache, decode_step
from llmcli.local.generate import generate
from llmcli.local.model import LocalModel
from llmcli.local.sampling import Sampler, SamplingParams, log_softmax
from tests.local.conftest import write_tiny_gguf

EOS = 1  # the tiny model's <eos>
PROMPT = [2, 5, 6]  # <bos> and two ordinary tokens


# (weights seed, prompt): random models like to repeat their last token; in these cases the
# best sequence is not the greedy one (seed 1), or EOS alone wins without length
# normalisation and loses with it (seed 2).
CASES = {"beam-beats-greedy": (1, [2, 7]), "eos-vs-length": (2, [2, 3]), "plain": (3, PROMPT)}


def vocab8(tmp_path: Path, seed: int) -> LocalModel:
    """Eight tokens (four special), three layers, a sliding window of 4 on two of them."""
    path = write_tiny_gguf(tmp_path / f"v8-{seed}.gguf", vocab=8, seed=seed)
    return LocalModel.load(path, tmp_path / f"cache-{seed}")


@pytest.fixture
def small_vocab_model(tmp_path: Path) -> LocalModel:
    return vocab8(tmp_path, 3)


def fresh_logprobs(model: LocalModel, ids: list[int]) -> np.ndarray:
    """Next-token log-probs after `ids`, from a new session (no cache reuse at all)."""
    return log_softmax(model.new_session().feed(ids))


def test_batched_step_matches_one_session_per_beam(tiny_model: Any) -> None:
    session = tiny_model.new_session()
    session.feed(PROMPT)
    cache = BeamCache(tiny_model.config, session.cache, session.pos)
    paths = [[7]]
    rng = np.random.default_rng(0)
    for step in range(7):  # past the sliding window of 4: both cache parts are cut
        if step == 1:  # one beam becomes three, then beams are dropped and duplicated
            parents = [0, 0, 0]
        elif step > 1:
            parents = sorted(rng.integers(0, len(paths), size=3).tolist())
        else:
            parents = [0]
        if step:
            cache.reorder(parents)
            paths = [[*paths[p], int(rng.integers(4, 300))] for p in parents]
        logits = decode_step(tiny_model, cache, [p[-1] for p in paths])
        for row, path in zip(logits, paths, strict=True):
            expected = tiny_model.new_session().feed(PROMPT + path)
            np.testing.assert_allclose(row, expected, rtol=1e-4, atol=1e-4)
    assert session.tokens == PROMPT  # the shared prompt cache was only read


def exhaustive_best(model: LocalModel, prompt: list[int], length: int,
                    penalty: float) -> Hypothesis:
    """Score every sequence of up to `length` tokens (EOS ends one) with fresh sessions."""
    vocab = model.config.vocab_size
    table: dict[tuple[int, ...], np.ndarray] = {}

    def logprobs(prefix: tuple[int, ...]) -> np.ndarray:
        if prefix not in table:
            table[prefix] = fresh_logprobs(model, prompt + list(prefix))
        return table[prefix]

    hypotheses = []
    for n in range(1, length + 1):
        for seq in itertools.product(range(vocab), repeat=n):
            if EOS in seq[:-1]:
                continue  # a sequence ends at its EOS
            lps = tuple(float(logprobs(seq[:i])[t]) for i, t in enumerate(seq))
            if seq[-1] == EOS or n == length:
                hypotheses.append(Hypothesis(seq, lps, seq[-1] == EOS))
    return max(hypotheses, key=lambda h: h.score(penalty))


@pytest.mark.parametrize("penalty", [0.0, 0.6, 1.0])
@pytest.mark.parametrize("case", list(CASES))
def test_a_wide_beam_finds_the_best_of_all_sequences(tmp_path, case, penalty) -> None:
    # A width of vocab^(length-1) = 64 never prunes a prefix that could win.
    seed, prompt = CASES[case]
    model = vocab8(tmp_path, seed)
    result = beam_search(model.new_session(), prompt, 64, 3, {EOS}, length_penalty=penalty)
    best = exhaustive_best(model, prompt, 3, penalty)
    assert result.best.ids == best.ids
    assert result.best.score(penalty) == pytest.approx(best.score(penalty), abs=1e-5)
    assert result.finished  # hypotheses that ended with EOS were in the running


def test_the_brute_force_cases_are_not_greedy(tmp_path) -> None:
    seed, prompt = CASES["beam-beats-greedy"]
    model = vocab8(tmp_path, seed)
    greedy = beam_search(model.new_session(), prompt, 1, 3, {EOS}).best
    assert exhaustive_best(model, prompt, 3, 1.0).ids != greedy.ids
    seed, prompt = CASES["eos-vs-length"]
    model = vocab8(tmp_path, seed)
    assert exhaustive_best(model, prompt, 3, 0.0).ids == (EOS,)
    assert exhaustive_best(model, prompt, 3, 1.0).ids != (EOS,)


def reference_beam(model: LocalModel, prompt: list[int], width: int, max_tokens: int,
                   penalty: float, shown: int) -> tuple[list[tuple[list, list]], Hypothesis]:
    """Beam search by its definition: every extension of every live beam, scored from
    scratch, sorted by (-cumulative log-prob, parent, token)."""
    live = [Hypothesis((), ())]
    finished: list[Hypothesis] = []
    steps = []
    for _ in range(max_tokens):
        candidates = []
        for p, h in enumerate(live):
            lps = fresh_logprobs(model, prompt + list(h.ids))
            for t in range(lps.size):
                candidates.append((-(h.logprob + lps[t]), p, t,
                                   Hypothesis((*h.ids, t), (*h.logprobs, float(lps[t])),
                                              t == EOS)))
        candidates.sort(key=lambda c: c[:3])
        kept = [c[3] for c in candidates[:width]]
        pruned = [c[3] for c in candidates[width : width + shown]]
        steps.append((kept, pruned))
        finished += [h for h in kept if h.finished]
        live = [h for h in kept if not h.finished]
        if not live:
            return steps, max(finished, key=lambda h: h.score(penalty))
        if penalty == 0 and finished and max(h.logprob for h in finished) >= max(
                h.logprob for h in live):
            break
    return steps, max(finished + live, key=lambda h: h.score(penalty))


@pytest.mark.parametrize(("width", "penalty"), [(2, 1.0), (3, 0.0), (5, 1.0)])
@pytest.mark.parametrize("case", list(CASES))
def test_each_step_keeps_and_prunes_what_brute_force_does(tmp_path, case, width,
                                                          penalty) -> None:
    seed, prompt = CASES[case]
    model = vocab8(tmp_path, seed)
    result = beam_search(model.new_session(), prompt, width, 6, {EOS}, length_penalty=penalty,
                         pruned_shown=3)
    steps, best = reference_beam(model, prompt, width, 6, penalty, shown=3)
    assert len(result.steps) == len(steps)
    for got, (kept, pruned) in zip(result.steps, steps, strict=True):
        assert [h.ids for h in got.kept] == [h.ids for h in kept]
        assert [h.ids for h in got.pruned] == [h.ids for h in pruned]
        for a, b in zip(got.kept + got.pruned, kept + pruned, strict=True):
            assert a.logprob == pytest.approx(b.logprob, abs=1e-5)
            assert a.finished == b.finished
    assert result.best.ids == best.ids


def test_width_one_is_greedy_decoding(tiny_model) -> None:
    greedy = [t.id for t in generate(tiny_model.new_session(), PROMPT,
                                     Sampler(SamplingParams(temperature=0)), 12, {EOS})]
    beam = beam_search(tiny_model.new_session(), PROMPT, 1, 12, {EOS})
    assert list(beam.best.ids) == greedy
    assert all(len(step.kept) == 1 for step in beam.steps)


def test_beam_tokens_stream_the_best_hypothesis(small_vocab_model) -> None:
    session = small_vocab_model.new_session()
    result = beam_search(small_vocab_model.new_session(), PROMPT, 3, 5, {EOS})
    tokens = list(beam_tokens(session, PROMPT, 3, 5, {EOS}))
    assert tuple(t.id for t in tokens) == result.best.ids
    assert [t.is_stop for t in tokens] == [i == EOS for i in result.best.ids]
    assert session.tokens == PROMPT


def test_bad_widths_are_one_line_errors(tiny_model) -> None:
    for width in (0, 65):
        with pytest.raises(InvalidInput, match="beam width"):
            beam_search(tiny_model.new_session(), PROMPT, width, 3)


@pytest.mark.parametrize("beams", [1, 2, 5])
def test_batched_projection_equals_a_plain_product(beams) -> None:
    from llmcli.local.beam_step import linear
    from llmcli.local.blas import blas_threads

    rng = np.random.default_rng(1)
    for rows in (300, 70_000):  # a small matrix in blocks; a tall one split across the cores
        w = rng.normal(size=(rows, 64)).astype(np.float32)
        x = rng.normal(size=(beams, 64)).astype(np.float32)
        with blas_threads(1):
            got = linear(x, w)
        np.testing.assert_allclose(got, x @ w.T, rtol=1e-4, atol=1e-4)


# -- the real model through the CLI ------------------------------------------------------------
FRANCE = "The capital of France is"


@pytest.mark.slow
def test_next_beam_shows_kept_and_pruned_beside_greedy_and_sampled(cli, local_model) -> None:
    import json

    result = cli("next", FRANCE, "--beam", "2", "--steps", "5", "-o", "seed=4", "--json")
    assert result.exit_code == 0, result.stderr
    view = json.loads(result.stdout)
    assert view["beam"] == 2 and view["length_penalty"] == 1.0 and len(view["steps"]) == 5
    tok = _tokenizer()
    expected = beam_search(local_model.new_session(), tok.encode(FRANCE, add_bos=True), 2, 5,
                           frozenset(tok.eot_ids), pruned_shown=2)
    for got, step in zip(view["steps"], expected.steps, strict=True):
        assert [k["ids"] for k in got["kept"]] == [list(h.ids) for h in step.kept]
        assert [k["ids"] for k in got["pruned"]] == [list(h.ids) for h in step.pruned]
        cumulative = [k["logprob"] for k in got["kept"] + got["pruned"]]
        assert cumulative == sorted(cumulative, reverse=True)
    assert view["best"]["ids"] == list(expected.best.ids)
    labels = [p["label"] for p in view["compared"]]
    assert labels == ["greedy", "sampled"]
    greedy = view["compared"][0]
    assert greedy["ids"][0] == view["steps"][0]["kept"][0]["ids"][0]  # the top first token
    assert view["best"]["score"] >= greedy["score"] - 1e-9

    shown = cli("next", FRANCE, "--beam", "2", "--steps", "3", "-o", "seed=4", width=80)
    assert shown.exit_code == 0, shown.stderr
    text = shown.stdout
    flat = " ".join(text.split())
    assert "beam search: 2 beams, up to 3 tokens · score = log p / tokens^1" in flat
    assert text.count("  kept ") == 6 and text.count("  pruned ") == 6
    assert all(label in text for label in ("  beam ", "  greedy ", "  sampled "))
    assert all(len(line) <= 80 for line in text.splitlines())


def _tokenizer():
    from llmcli.local.files import ensure_default_model
    from llmcli.local.tokenizer import Tokenizer
    from tests.conftest import shared_cache_dir

    return Tokenizer.from_gguf(ensure_default_model(shared_cache_dir()))


@pytest.mark.slow
def test_prompt_with_beam_streams_the_best_beam(cli, local_model) -> None:
    tok = _tokenizer()
    result = cli("prompt", "-m", "local", "--raw", "-o", "beam=3", "-o", "max_tokens=8",
                 "--no-log", FRANCE)
    assert result.exit_code == 0, result.stderr
    best = beam_search(local_model.new_session(), tok.encode(FRANCE, add_bos=True), 3, 8,
                       frozenset(tok.eot_ids)).best
    ids = [i for i in best.ids if i not in tok.eot_ids]
    assert result.stdout.rstrip("\n") == tok.decode(ids, special=False).rstrip("\n")
    greedy = cli("prompt", "-m", "local", "--raw", "-o", "temperature=0", "-o", "max_tokens=8",
                 "--no-log", FRANCE)
    assert greedy.stdout != result.stdout  # on this prompt the beam finds another text


def test_beam_refuses_options_it_cannot_honour(cli) -> None:
    for options, text in [
        (["beam=2", "temperature=0.5"], "option 'temperature' does not apply to beam search"),
        (["beam=2", "engine=llamacpp"], "beam search runs on the numpy engine"),
        (["beam=2", "top_logprobs=3"], "option 'top_logprobs' does not apply"),
        (["length_penalty=0.5"], "length_penalty applies to beam search only"),
        (["beam=0"], "beam"),
    ]:
        args = [a for o in options for a in ("-o", o)]
        result = cli("prompt", "-m", "local", "--no-log", *args, "hi")
        assert result.exit_code == 2, (options, result.stderr)
        assert text in result.stderr and len(result.stderr.strip().splitlines()) == 1
    bad = cli("next", FRANCE, "--beam", "65")
    assert bad.exit_code == 2 and "beam width must be between 1 and 64" in bad.stderr
