"""The rag template filled with hits, citation parsing, and the sources list."""

from __future__ import annotations

import pytest

from llmcli.core.errors import InvalidInput
from llmcli.rag.prompt import Sources, citations, load, render_prompt
from llmcli.rag.search import Hit


def hit(rank: int, text: str, source: str = "receitas.md", start: int = 1) -> Hit:
    return Hit(rank, 1.0 / rank, rank, text, "", source, f"/n/{source}", "line", start,
               start + 2, 0)


def test_render_numbers_the_passages_with_their_sources(home):
    template = load(None, None)
    hits = [hit(1, "Grelhe o frango por seis minutos."), hit(2, "Beba 35 ml de água.", "t.txt", 9)]
    rendered = render_prompt(template, "Quanto tempo grelhar?", hits)
    system, user = rendered.messages
    assert system.role == "system" and "[1]" in system.content
    assert user.content == (
        "Context:\n[1] (receitas.md:1-3) Grelhe o frango por seis minutos.\n\n"
        "[2] (t.txt:9-11) Beba 35 ml de água.\n\nQuestion: Quanto tempo grelhar?")
    assert rendered.options == {"temperature": 0}


def test_completion_mode_is_one_message(home):
    rendered = render_prompt(load(None, None), "Pergunta?", [hit(1, "Passagem.")],
                             mode="completion")
    assert len(rendered.messages) == 1
    assert "Answer the question using only" in rendered.messages[0].content


def test_a_user_template_overrides_the_builtin(home):
    from llmcli.config import Paths

    paths = Paths.from_env()
    folder = paths.config_dir / "templates"
    folder.mkdir(parents=True)
    (folder / "rag.yaml").write_text(
        "name: rag\ntechnique: rag\nvariables:\n  - name: input\n  - name: chunks\n"
        "    type: list\nprompt: |\n  Fontes:{% for c in chunks %} <{{ loop.index }}:"
        "{{ c.source }}>{% endfor %}.\n  P: {{ input }}\n", encoding="utf-8")
    rendered = render_prompt(load(None, paths), "Q?", [hit(1, "a"), hit(2, "b", "x.md")])
    assert rendered.messages[-1].content == "Fontes: <1:receitas.md:1-3> <2:x.md:1-3>.\nP: Q?"


def test_a_template_without_chunks_cannot_hold_context(home):
    with pytest.raises(InvalidInput, match="cannot hold retrieved context") as err:
        load("chain-of-thought", None)
    assert "-t rag" in err.value.hint


@pytest.mark.parametrize(("reply", "expected"), [
    ("Grelhe por seis minutos [1].", [1]),
    ("Sim [2][3], e também [1].", [2, 3, 1]),
    ("Veja [1, 3] e [2; 4].", [1, 3, 2, 4]),
    ("Passos [2-4].", [2, 3, 4]),
    ("Conforme [1 e 2].", [1, 2]),
    ("Sem citações. Lista [a] e [ ] e [1.5].", []),
    ("Repetida [2] [2].", [2]),
])
def test_citations(reply, expected):
    assert citations(reply) == expected


def test_sources_mark_cited_and_flag_unknown_numbers():
    hits = [hit(1, "a"), hit(2, "b", "tabela.csv"), hit(3, "c")]
    s = Sources.of(hits, "Frango tem 32 g [2]; ver também [7].")
    assert s.cited == [2] and s.unknown == [7]
    assert s.lines() == ["[1] receitas.md:1-3", "[2] tabela.csv:1-3 (cited)",
                         "[3] receitas.md:1-3", "cited but not in the context: [7]"]
    assert [x["cited"] for x in s.to_json()] == [False, True, False]
