"""Every built-in template's rendering, chat and completion form, against golden files.

Regenerate after an intended change: UPDATE_GOLDEN=1 pytest tests/templates/test_golden.py
and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from llmcli.templates.loader import builtin_dir, load_template
from llmcli.templates.render import Rendered, render, render_call, render_step

GOLDEN = Path(__file__).parent / "golden"
NOWHERE = Path("/nonexistent-user-templates")

CASES: dict[str, dict] = {
    "zero-shot": {"input": "Qual é a capital de Portugal?",
                  "task": "Responda em uma palavra."},
    "few-shot": {"input": "Que filme maravilhoso! 🎬"},
    "chain-of-thought": {"input": "Um trem sai às 14h10 e chega às 16h45. Quanto dura a viagem?"},
    "zero-shot-cot": {"input": "Um trem sai às 14h10 e chega às 16h45. Quanto dura a viagem?"},
    "least-to-most": {"input": "Elsa tem 5 maçãs. Anna tem 2 a mais que Elsa. "
                               "Quantas maçãs elas têm juntas?"},
    "self-consistency": {"input": "Se 3 gatos pegam 3 ratos em 3 minutos, "
                                  "quantos gatos pegam 100 ratos em 100 minutos?"},
    "role": {"input": "O que é um embedding?", "role": "um professor de física",
             "audience": "alunos do ensino médio", "language": "português"},
    "json": {"input": "Maria tem 34 anos e mora em Recife.", "fields": "nome, idade, cidade"},
    "tree-of-thoughts": {"input": "Com 4 notas de 5 reais e 3 de 2 reais, quanto dinheiro há?"},
    "self-refine": {"input": "Quanto é 2 + 2 x 3?"},
    "chain-of-draft": {"input": "João lê 12 páginas por dia. Em quantos dias lê 84 páginas?"},
    "rag": {"input": "Quando foi publicado o artigo?",
            "chunks": ["O artigo 'Attention Is All You Need' foi publicado em 2017.",
                       {"text": "Transformers usam self-attention.", "source": "notas.md"}]},
}


def dump(rendered: Rendered, extra: list | None = None) -> str:
    lines = [f"options: {json.dumps(rendered.options, sort_keys=True)}"]
    for m in rendered.messages:
        lines += [f"--- {m.role} ---", m.content]
    for title, messages in extra or []:
        lines.append(f"=== {title} ===")
        for m in messages:
            lines += [f"--- {m.role} ---", m.content]
    return "\n".join(lines) + "\n"


def test_every_builtin_has_a_golden_case():
    names = sorted(p.stem for p in builtin_dir().glob("*.yaml"))
    assert names == sorted(CASES)


@pytest.mark.parametrize("mode", ["chat", "completion"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_builtin_rendering_matches_golden(name, mode):
    template = load_template(name, NOWHERE)
    assert template.builtin and template.description
    rendered = render(template, CASES[name], mode=mode)
    extra = []
    if template.technique == "least-to-most":
        previous = [{"question": "Quantas maçãs Anna tem?", "answer": "7"}]
        step = render_step(rendered, "Quantas maçãs elas têm juntas?", previous)
        extra.append(("solve step 2", step))
    if template.technique == "tree-of-thoughts":
        path = {"thoughts": ["4 x 5 = 20 reais"], "step": 2, "breadth": 3, "depth": 3}
        extra.append(("propose step 2", render_call(rendered, "prompt", path)))
        extra.append(("evaluate", render_call(rendered, "evaluate",
                                              {**path, "thought": "3 x 2 = 6 reais"})))
        extra.append(("conclude", render_call(rendered, "conclude",
                                              {"thoughts": ["4 x 5 = 20", "20 + 6 = 26"]})))
    if template.technique == "self-refine":
        draft = "2 + 2 = 4, 4 x 3 = 12\nAnswer: 12"
        extra.append(("critique", render_call(rendered, "critique", {"draft": draft, "round": 1})))
        extra.append(("revise", render_call(rendered, "revise", {
            "draft": draft, "feedback": "A multiplicação vem primeiro.", "round": 1})))
    text = dump(rendered, extra)
    path = GOLDEN / f"{name}.{mode}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}; run with UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")
