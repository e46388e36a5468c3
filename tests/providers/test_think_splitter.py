"""`<think>` blocks cut out of streamed content, tags split anywhere across chunks."""

from __future__ import annotations

import pytest

from llmcli.core.events import ReasoningDelta, TextDelta
from llmcli.providers._reasoning import ThinkSplitter

REPLY = "<think>pensar 🤔 bem</think>\n\nResposta: 4"


def split(pieces: list[str]) -> tuple[str, str]:
    s = ThinkSplitter()
    events = [e for p in pieces for e in s.feed(p)] + list(s.flush())
    thought = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    answer = "".join(e.text for e in events if isinstance(e, TextDelta))
    return thought, answer


@pytest.mark.parametrize("cut", range(1, len(REPLY)))
def test_every_cut_point_gives_the_same_split(cut):
    assert split([REPLY[:cut], REPLY[cut:]]) == ("pensar 🤔 bem", "Resposta: 4")


def test_one_character_at_a_time():
    assert split(list(REPLY)) == ("pensar 🤔 bem", "Resposta: 4")


@pytest.mark.parametrize(("pieces", "expected"), [
    (["no tags at all"], ("", "no tags at all")),
    (["a <think>later</think> is text"], ("", "a <think>later</think> is text")),
    (["<thi", "s is not a tag"], ("", "<this is not a tag")),
    (["<think>never closed"], ("never closed", "")),  # cut off mid-thought: all reasoning
    (["<th"], ("", "<th")),
])
def test_edge_cases(pieces, expected):
    assert split(pieces) == expected
