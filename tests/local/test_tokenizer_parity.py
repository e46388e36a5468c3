"""Our tokenizer against llama.cpp's, id for id (needs llama-cpp-python; skipped otherwise)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from llmcli.local.tokenizer import Tokenizer

pytest.importorskip(
    "llama_cpp", reason="llama-cpp-python is not installed: pip install 'llmcli[llamacpp]'"
)
pytestmark = pytest.mark.llamacpp

CORPUS = [
    "Hello world",
    "The quick brown fox jumps over the lazy dog.",
    "O gato subiu no telhado porque viu um pássaro",
    "Ação, coração, pão e feijão: à noite é só café. Você está aí?",
    "Ça va? Größe, Straße, smörgåsbord, İstanbul, Ελληνικά",
    'def f(x):\n    return {"k": x ** 2}  # square\n\n\nclass A:\n\tpass\n',
    "for (int i = 0; i < n; ++i) { total += a[i]; }  // C++",
    "SELECT * FROM users WHERE name LIKE '%ão%';",
    "😀🦙 ∮ 𝔘 — “quotes” … 👩‍👩‍👧‍👦 🇧🇷",
    "3.14159 1,000,000 2024-01-01 0x1F -42 1e-9 ½ ² ∞",
    "a  b   c    d\n\n\ne\t\tf \n \n",
    "        eight spaces, then 40:" + " " * 40 + "end",
    "\n" * 35 + "after many newlines",
    "日本語のテキスト、中文文本。한국어 текст на русском العربية हिन्दी",
    "zero\u200bwidth\u00a0nbsp\ufeffbom \U0001f9ec \u0301 combining e\u0301",
    "\x00\x01\x7f control bytes \ufffd",
    "<table><tr><td>1</td></tr></table> <b>bold</b> <i>x</i></s>",
    "<start_of_turn>user\nWhat is 2+2?<end_of_turn>\n<start_of_turn>model\n",
    "<bos><eos><pad><unk><mask>[multimodal]<start_of_image><unused42>",
    "x > </y  > >  <",
    " ",
    "",
]


@pytest.fixture(scope="module")
def ours(default_gguf: Path) -> Tokenizer:
    return Tokenizer.from_gguf(default_gguf)


@pytest.fixture(scope="module")
def theirs(default_gguf: Path) -> Any:
    from llmcli.local.llamacpp_backend import LlamaCppModel

    return LlamaCppModel(default_gguf, vocab_only=True)


@pytest.mark.parametrize("special", [False, True])
@pytest.mark.parametrize("text", CORPUS)
def test_ids_equal_llama_cpp(ours: Tokenizer, theirs: Any, text: str, special: bool) -> None:
    for add_bos in (False, True):
        expected = theirs.tokenize(text, add_bos=add_bos, special=special)
        assert ours.encode(text, add_bos=add_bos, special=special) == expected


@pytest.mark.parametrize("text", CORPUS)
def test_round_trip_both_ways(ours: Tokenizer, theirs: Any, text: str) -> None:
    ids = ours.encode(text, add_bos=False)
    assert ours.decode(ids) == text
    assert theirs.detokenize(ids, special=True) == text
    assert b"".join(theirs.token_bytes(i, special=True) for i in ids) == text.encode()


def test_random_mixtures(ours: Tokenizer, theirs: Any) -> None:
    atoms = [" ", "  ", "\n", "\t", "a", "the", "<", ">", "</", "<b>", "<start_of_turn>",
             "<eos>", "<unused1", "0>", "é", "ção", "😀", "中文", "\u0301", ".", "\r\n",
             "[multimodal]", "1234", "  <", "> ", "\x00", "𝔘", "ab", "▁"]  # fmt: skip
    rng = random.Random(11)
    for _ in range(1500):
        text = "".join(rng.choice(atoms) for _ in range(rng.randint(1, 25)))
        for special in (False, True):
            expected = theirs.tokenize(text, add_bos=False, special=special)
            assert ours.encode(text, add_bos=False, special=special) == expected, repr(text)


def test_long_text_in_slices(ours: Tokenizer, theirs: Any) -> None:
    """Real prose and code: the Python standard library's own sources and docstrings."""
    import inspect
    import json
    import textwrap

    text = "\n".join(inspect.getsource(m) for m in (json, textwrap, random))
    for start in range(0, len(text), 20_000):
        piece = text[start : start + 20_000]
        assert ours.encode(piece, add_bos=False) == theirs.tokenize(piece, add_bos=False)
