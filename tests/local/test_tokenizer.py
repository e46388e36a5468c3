"""Our SentencePiece tokenizer: known ids, round trips, streaming, special tokens, speed.

The ids below were produced by llama.cpp's own tokenizer on the default model's vocabulary
(test_tokenizer_parity.py checks the same on a larger corpus when llama-cpp-python is here).
"""

from __future__ import annotations

import itertools
import random
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmcli.core.errors import LocalModelError
from llmcli.local.tokenizer import (
    BYTE,
    CONTROL,
    NORMAL,
    USER_DEFINED,
    Tokenizer,
)
from llmcli.local.tokenizer_special import partition_reference

CORPUS = [
    "Hello world",
    "O gato subiu no telhado porque viu um pássaro",
    "Ação, coração, pão e feijão: à noite é só café.",
    'def f(x):\n    return {"k": x ** 2}  # square\n',
    "for (int i = 0; i < n; ++i) { total += a[i]; }",
    "😀🦙 ∮ 𝔘 — “quotes” …",
    "3.14159 1,000,000 2024-01-01 0x1F -42 1e-9",
    "a  b   c\n\n\nd\t\te",
    "   leading and trailing   ",
    "\n",
    "日本語のテキスト、中文文本。한국어 текст на русском",
    "Ωμέγα ñandú Zürich façade naïve",
    "zero\u200bwidth\u00a0nbsp\ufeffbom \U0001f9ec dna",
    "<table><tr><td>1</td></tr></table> <b>bold</b>",
    "<start_of_turn>user\nhi<end_of_turn>",
    "x > </y  >",
    "",
]
KNOWN = {
    "Hello world": [9259, 1902],
    "O gato subiu no telhado porque viu um pássaro": [
        236806, 96271, 1159, 11516, 951, 9517, 50757, 11093, 85294, 1983, 33456, 1075, 8404,
    ],
    "a  b   c\n\n\nd\t\te": [236746, 138, 236763, 139, 236755, 109, 236753, 255969, 236744],
    "😀🦙 ∮ 𝔘": [242398, 478, 397, 404, 391, 236743, 252355, 236743, 478, 395, 386, 390],
}


@pytest.fixture(scope="session")
def tok(default_gguf: Path) -> Tokenizer:
    return Tokenizer.from_gguf(default_gguf)


def test_vocabulary_facts(tok: Tokenizer) -> None:
    assert tok.vocab_size == 262_144
    assert (tok.bos_id, tok.eos_id) == (2, 1)
    assert tok.add_bos and not tok.add_space_prefix
    assert tok.piece(105) == "<start_of_turn>" and tok.is_special(105)
    assert tok.types[238] == BYTE and tok.piece(238) == "<0x00>"
    assert tok.types[108] == USER_DEFINED and tok.piece(108) == "\n\n"
    assert {1, 106} <= tok.eot_ids  # <eos> and <end_of_turn> end a reply


@pytest.mark.parametrize("text", list(KNOWN))
def test_known_ids(tok: Tokenizer, text: str) -> None:
    assert tok.encode(text, add_bos=False) == KNOWN[text]
    assert tok.encode(text) == [2, *KNOWN[text]]  # the vocabulary asks for a BOS


def test_special_tokens_only_when_asked(tok: Tokenizer) -> None:
    text = "<start_of_turn>user\nhi<end_of_turn>"
    assert tok.encode(text, add_bos=False, special=True) == [105, 2364, 107, 2202, 106]
    plain = tok.encode(text, add_bos=False)
    assert 105 not in plain and 106 not in plain
    assert tok.decode(plain) == text


@pytest.mark.parametrize("text", CORPUS)
def test_round_trip(tok: Tokenizer, text: str) -> None:
    ids = tok.encode(text, add_bos=False)
    assert tok.decode(ids) == text
    assert "".join(tok.token_texts(ids)) == text
    assert tok.count(text) == len(ids)


def test_spaces_are_visible_pieces(tok: Tokenizer) -> None:
    ids = tok.encode("your cat is a lovely cat", add_bos=False)
    pieces = [tok.piece(i) for i in ids]
    assert pieces[0] == "your" and pieces[1] == "▁cat" and pieces[-1] == "▁cat"
    assert ids[1] == ids[-1]  # the same word, the same id
    assert tok.readable(108) == "\\n\\n" and tok.readable(138) == "␣␣"
    assert tok.readable(tok.encode("🦙", add_bos=False)[0]) == "<0xF0>"


def test_byte_fallback_and_stream_decoder(tok: Tokenizer) -> None:
    ids = tok.encode("🦙", add_bos=False)
    assert [tok.piece(i) for i in ids] == ["<0xF0>", "<0x9F>", "<0xA6>", "<0x99>"]
    assert tok.token_texts(ids) == ["", "", "", "🦙"]
    decoder = tok.stream_decoder()
    assert [decoder.feed(i) for i in ids] == ["", "", "", "🦙"]
    assert decoder.flush() == ""


def test_control_tokens_dropped_from_generated_text(tok: Tokenizer) -> None:
    ids = [105, *tok.encode("model", add_bos=False), 106]
    assert tok.decode(ids) == "<start_of_turn>model<end_of_turn>"
    assert tok.decode(ids, special=False) == "model"


FIXTURE_OK = [HealthCheck.function_scoped_fixture]
SPECIAL_ATOMS = ["<b>", "</b>", " ", "  ", "\n", "\t", "<", ">", "b", "<start_of_turn>",
                 "<unused1", "0>", "[multimodal]", "<eos>"]  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURE_OK)
@given(
    parts=st.lists(st.sampled_from([*CORPUS, " ", "  ", "\n\n", "x>", " </", "é"]), max_size=12),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=6),
)
def test_streaming_equals_whole(tok: Tokenizer, parts: list[str], cuts: list[int]) -> None:
    text = "".join(parts)
    bounds = sorted({0, len(text), *(c for c in cuts if c < len(text))})
    chunks = [text[a:b] for a, b in itertools.pairwise(bounds)]
    streamed = [i for ids in tok.encode_iter(chunks, add_bos=False) for i in ids]
    assert streamed == tok.encode(text, add_bos=False)


def test_long_stream_is_cut_at_safe_points(tok: Tokenizer) -> None:
    rng = random.Random(7)
    words = [w for line in CORPUS for w in line.split(" ")] + ["  ", "\n"]
    text = " ".join(rng.choice(words) for _ in range(20_000))
    chunks = [text[i : i + 777] for i in range(0, len(text), 777)]
    pieces = list(tok.encode_iter(chunks, add_bos=False))
    assert len(pieces) > 5  # output streamed out before the end of input
    assert [i for ids in pieces for i in ids] == tok.encode(text, add_bos=False)


@settings(max_examples=200, deadline=None, suppress_health_check=FIXTURE_OK)
@given(st.lists(st.sampled_from(SPECIAL_ATOMS), max_size=15))
def test_fast_partition_matches_llama_cpp_algorithm(tok: Tokenizer, parts: list[str]) -> None:
    text = "".join(parts)
    for special in (False, True):
        regex, specials = tok._matcher(special)
        assert regex is not None  # this vocabulary allows the fast scan
        assert tok._partition(text, special) == partition_reference(text, specials, tok._ids)


def test_ten_megabytes_in_well_under_a_minute(tok: Tokenizer) -> None:
    rng = random.Random(3)
    words = [w for line in CORPUS for w in line.split(" ")]
    words += [f"word{rng.randrange(50_000)}" for _ in range(5_000)]
    text = " ".join(rng.choice(words) for _ in range(1_500_000))[:10_000_000]
    start = time.process_time()
    step = 1 << 20
    count = tok.count(iter([text[i : i + step] for i in range(0, len(text), step)]))
    elapsed = time.process_time() - start
    assert count == tok.count(text) > 1_000_000
    assert elapsed < 30, f"10 MB took {elapsed:.1f} s of CPU"


# -- a hand-made vocabulary: the merge rules themselves ----------------------------------------


def small_vocab(**kw: object) -> Tokenizer:
    pieces = {
        "<pad>": (0.0, CONTROL), "<eos>": (0.0, CONTROL), "<bos>": (0.0, CONTROL),
        "a": (-1.0, NORMAL), "b": (-1.0, NORMAL), "c": (-1.0, NORMAL), "▁": (-1.0, NORMAL),
        "ab": (-5.0, NORMAL), "bc": (-2.0, NORMAL), "abc": (-3.0, NORMAL), "▁a": (-4.0, NORMAL),
        "<sep>": (0.0, CONTROL), "  ": (0.0, USER_DEFINED),
    }  # fmt: skip
    pieces.update({f"<0x{b:02X}>": (0.0, BYTE) for b in range(256)})
    return Tokenizer(list(pieces), [s for s, _ in pieces.values()], [t for _, t in pieces.values()],
                     bos_id=2, eos_id=1, **kw)  # type: ignore[arg-type]


def test_best_scoring_merge_first() -> None:
    tok = small_vocab()
    # 'bc' (-2) beats 'ab' (-5); then 'a'+'bc' forms 'abc'.
    assert [tok.piece(i) for i in tok.encode("abc", add_bos=False)] == ["abc"]
    assert [tok.piece(i) for i in tok.encode("abab", add_bos=False)] == ["ab", "ab"]
    # 'ab' then 'c' cannot happen: 'bc' wins, 'a' stays alone when 'abc' is not reachable.
    assert [tok.piece(i) for i in tok.encode("cabc", add_bos=False)] == ["c", "abc"]


def test_unknown_characters_fall_back_to_bytes() -> None:
    tok = small_vocab()
    ids = tok.encode("aé", add_bos=False)
    assert [tok.piece(i) for i in ids] == ["a", "<0xC3>", "<0xA9>"]
    assert tok.decode(ids) == "aé"


def test_space_prefix_when_the_vocabulary_asks() -> None:
    with_prefix = small_vocab(add_space_prefix=True)
    assert [with_prefix.piece(i) for i in with_prefix.encode("a", add_bos=False)] == ["▁a"]
    assert with_prefix.decode(with_prefix.encode("a", add_bos=False)) == "a"
    plain = small_vocab()
    assert [plain.piece(i) for i in plain.encode("a", add_bos=False)] == ["a"]


def test_user_defined_tokens_always_cut_out() -> None:
    tok = small_vocab()
    assert [tok.piece(i) for i in tok.encode("a  b<sep>", add_bos=False)][:3] == ["a", "  ", "b"]
    assert tok.encode("<sep>", add_bos=False, special=True) == [tok.token_id("<sep>")]


def test_non_spm_vocabulary_is_refused() -> None:
    with pytest.raises(LocalModelError, match="tokenizer type 'gpt2' is not supported"):
        Tokenizer.from_metadata({"tokenizer.ggml.model": "gpt2", "tokenizer.ggml.tokens": ["a"]})


def test_corrupt_gguf_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF\x03\x00\x00\x00" + b"\xff" * 20)
    with pytest.raises(LocalModelError, match="not a readable GGUF"):
        Tokenizer.from_gguf(bad)
    with pytest.raises(LocalModelError, match="not found"):
        Tokenizer.from_gguf(tmp_path / "missing.gguf")
