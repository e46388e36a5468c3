"""No control token or media marker reaches the text of a local model's reply; inspection
(decode with specials) still shows them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from llmcli.core.events import TextDelta
from llmcli.core.messages import ChatRequest, Message
from llmcli.core.options import Options
from llmcli.local.chat_format import run_chat


@pytest.fixture(scope="module")
def tok() -> Any:
    from llmcli.local.files import ensure_default_model
    from llmcli.local.tokenizer import Tokenizer
    from tests.conftest import shared_cache_dir

    return Tokenizer.from_gguf(ensure_default_model(shared_cache_dir()))


class _ForcedSession:
    """A stand-in for the model whose logits always pick the next scripted token."""

    max_context = 4096

    def __init__(self, vocab: int, script: list[int]):
        self.vocab, self.script, self.tokens = vocab, list(script), []

    def rewind(self, keep: int) -> None:
        del self.tokens[keep:]

    def feed(self, ids: list[int]) -> np.ndarray:
        self.tokens.extend(ids)
        logits = np.zeros(self.vocab, dtype=np.float32)
        logits[self.script.pop(0)] = 100.0
        return logits


def _reply(tok: Any, script: list[int], raw: bool) -> str:
    request = ChatRequest(model="m", messages=[Message(role="user", content="Fish")], raw=raw,
                          options=Options(temperature=0, max_tokens=len(script)))
    events = run_chat(request, tok, _ForcedSession(tok.vocab_size, script), defaults={},
                      max_tokens=len(script))
    return "".join(e.text for e in events if isinstance(e, TextDelta))


@pytest.mark.parametrize("raw", [True, False])
def test_media_markers_and_control_tokens_are_not_reply_text(tok, raw):
    before = tok.encode(" live in water.", add_bos=False)
    after = tok.encode("The ocean <b>is</b> big", add_bos=False)
    markers = [tok.token_id(t) for t in ("<start_of_image>", "<end_of_image>", "[multimodal]",
                                          "<unused3>", "<mask>")]
    assert None not in markers
    text = _reply(tok, [*before, *markers, *after], raw)
    assert text.strip() == "live in water.The ocean <b>is</b> big"  # HTML tags are text
    assert "<start_of_image>" not in text and "<unused3>" not in text


def test_inspection_still_shows_the_marker(tok):
    ids = tok.encode("a<start_of_image>b", add_bos=False)
    assert tok.token_id("<start_of_image>") in ids  # parsed as llama.cpp does
    assert tok.decode(ids) == "a<start_of_image>b"
    assert tok.decode(ids, special=False) == "ab"
    assert tok.is_hidden(tok.token_id("<start_of_image>")) and not tok.is_hidden(
        tok.token_id("<b>"))
