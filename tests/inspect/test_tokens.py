"""Tokenizer views: OpenAI encodings offline, streaming equal to whole-text encoding, pieces."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmcli.core.errors import InvalidInput
from llmcli.inspect import tokens as tk

CORPUS = [
    "your cat is a lovely cat",
    "O gato subiu no telhado porque viu um pássaro.",
    "Ação, coração, pão e açúcar — não é?",
    "emoji 🐱🐶 and flags 🇧🇷 and ZWJ 👩‍💻",
    "def f(x):\n    return x ** 2  # square\n",
    "   leading spaces\n\n\n\ttabs\t\tand\r\nCRLF  ",
    "numbers 1234567890 3.14159 -42 1e-9",
    "日本語のテキストと中文",
    "",
]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    # tiktoken keeps loaded encodings for the whole process: forget those an earlier test
    # loaded, so these are read (and their files written) from this module's own cache dir.
    from tiktoken import registry

    for name in ("o200k_base", "cl100k_base"):
        registry.ENCODINGS.pop(name, None)
    return tmp_path_factory.mktemp("tk-cache")


@pytest.fixture(scope="module")
def o200k(cache_dir):
    return tk.TiktokenBackend(tk.tiktoken_encoding("o200k_base", cache_dir))


@pytest.fixture(scope="module")
def cl100k(cache_dir):
    return tk.TiktokenBackend(tk.tiktoken_encoding("cl100k_base", cache_dir))


def ids_of(backend, text, size=tk.BLOCK):
    return [i for part in backend.encode_stream(tk.iter_string(text, size)) for i in part]


def test_known_ids_offline(o200k, cl100k, cache_dir):
    # Published ids of OpenAI's encodings; the data comes from a wheel, not the network.
    assert ids_of(cl100k, "hello world") == [15339, 1917]
    assert ids_of(o200k, "hello world") == [24912, 2375]
    assert ids_of(o200k, "your cat is a lovely cat") == [35156, 9059, 382, 261, 16334, 9059]
    # The file sits where tiktoken looks for it: the sha1 of its download URL.
    import hashlib

    url = tk.TIKTOKEN_FILES["o200k_base"][0]
    assert (cache_dir / "tiktoken" / hashlib.sha1(url.encode()).hexdigest()).is_file()


@pytest.mark.parametrize("text", CORPUS)
def test_round_trip(o200k, cl100k, text):
    for backend in (o200k, cl100k):
        ids = ids_of(backend, text)
        assert backend.decode(ids) == text
        assert "".join(backend.texts(ids)) == text


def test_pieces_make_spaces_and_bytes_visible(o200k):
    ids = ids_of(o200k, "a cat 🐱")
    pieces = o200k.pieces(ids)
    assert "␣cat" in pieces
    assert any(p.startswith("<0x") for p in pieces)  # the emoji is split into raw bytes
    assert tk.readable_bytes(b" \xf0\x9f") == "␣<0xF0><0x9F>"
    assert tk.readable_bytes(b"a\nb\t") == "a\\nb\\t"


def test_streamed_equals_whole_on_long_text(o200k, cl100k):
    text = "\n".join(CORPUS) * 400  # ~100 k chars: several safe cuts
    for backend in (o200k, cl100k):
        assert ids_of(backend, text, size=997) == backend.enc.encode_ordinary(text)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab \n\t.!é🐱\r")), max_size=300))
def test_safe_cut_never_changes_tokens(o200k, text):
    cut = tk.safe_cut(text)
    enc = o200k.enc.encode_ordinary
    if cut:
        assert enc(text[:cut]) + enc(text[cut:]) == enc(text)


def test_ids_outside_vocabulary_are_refused(o200k):
    with pytest.raises(InvalidInput, match="outside the vocabulary"):
        o200k.decode([10**9])


def test_iter_blocks_decodes_across_block_edges():
    data = ("açúcar 🐱 " * 1000).encode("utf-8")
    text = "".join(tk.iter_blocks(io.BytesIO(b"\xef\xbb\xbf" + data), size=7))
    assert text == data.decode("utf-8")
    with pytest.raises(InvalidInput, match="offset 3"):
        list(tk.iter_blocks(io.BytesIO(b"abc\xff"), size=2))


def test_run_view_counts_everything_keeps_limit(o200k):
    choice = tk.Choice("tiktoken:o200k_base", True, o200k, tokenizer="tiktoken o200k_base")
    text = "your cat is a lovely cat. " * 1000
    seen: list[int] = []
    view = tk.run_view(choice, tk.iter_string(text, 1000), limit=10, on_ids=seen.extend)
    assert view.count == len(o200k.enc.encode_ordinary(text)) == len(seen)
    assert view.shown == 10 and view.truncated
    assert view.chars == len(text)
    data = view.to_json()
    assert data["estimate"] is False and len(data["tokens"]) == 10
    assert set(data["tokens"][0]) == {"index", "id", "piece", "text"}
