"""The whole tour as ONE self-contained HTML page: both languages (a toggle), every step's
explanation and tables, and two interactive views (hover a token to see its attention; drag
the temperature and watch the distribution). Style, script and data are inline: the page
opens from a file with no server and makes no request."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from llmcli.learn.step import Step
from llmcli.learn.texts import LANGS, cell, label, step_text, texts

WIDGET_TEXT = {
    "attn": {"en": "Hover a token: where does it look? (layer, head)",
             "pt": "Passe o mouse num token: para onde ele olha? (camada, cabeça)"},
    "temp": {"en": "Drag the temperature and watch the next-token distribution",
             "pt": "Arraste a temperatura e veja a distribuição do próximo token"},
    "title": {"en": "What Gemma 3 270M does with your sentence",
              "pt": "O que o Gemma 3 270M faz com a sua frase"},
}


def _both(key: str) -> str:
    return "".join(f'<span lang="{lang}">{escape(WIDGET_TEXT[key][lang])}</span>'
                   for lang in LANGS)


def _table(step: Step, lang: str) -> str:
    out = []
    for t in step.tables:
        head = "".join(f"<th>{escape(label(lang, c))}</th>" for c in t.columns)
        rows = "".join(
            f'<tr{" class=hl" if i == t.highlight else ""}>'
            + "".join(f"<td>{escape(cell(lang, c))}</td>" for c in row) + "</tr>"
            for i, row in enumerate(t.rows))
        out.append(f"<table><caption>{escape(label(lang, t.title))}</caption>"
                   f"<tr>{head}</tr>{rows}</table>")
    return "".join(out)


def _widget(name: str, data: dict[str, Any]) -> str:
    if name == "attention":
        chips = "".join(f'<span class="tok" tabindex="0" data-i="{i}">{escape(p)}<small>'
                        f"</small></span>" for i, p in enumerate(data["pieces"]))
        return (f'<div class="widget" id="attn-widget"><h3>{_both("attn")}</h3>'
                '<label>layer <select id="attn-layer"></select></label> '
                '<label>head <select id="attn-head"></select></label>'
                f'<div id="attn-tokens">{chips}</div><div id="attn-readout"></div></div>')
    if name == "sampling":
        t = data["temperature"]
        return (f'<div class="widget" id="temp-widget"><h3>{_both("temp")}</h3>'
                f'<input type="range" id="temp" min="0.05" max="2" step="0.05" value="{t}"'
                ' style="width:320px"> <div id="temp-readout"></div>'
                '<div id="temp-bars"></div></div>')
    return ""


def tour_html(steps: list[Step], data: dict[str, Any], meta: dict[str, Any],
              lang: str) -> str:
    """The page as a string. `data` comes from learn.page_data; `meta` names model and text."""
    from llmcli.ui.learn_page_assets import CSS, JS

    nav = " ".join(f'<a href="#step-{s.name}">{i + 1}</a>' for i, s in enumerate(steps))
    sections = []
    for step in steps:
        inner = []
        for code in LANGS:
            title, body = step_text(code, step.name, step.say)
            inner.append(f'<div lang="{code}"><h2>{escape(title)}</h2><p>{escape(body)}</p>'
                         f"{_table(step, code)}</div>")
        sections.append(f'<section id="step-{step.name}">{"".join(inner)}'
                        f"{_widget(step.name, data)}</section>")
    buttons = "".join(f'<button data-lang="{code}" class="{"on" if code == lang else ""}">'
                      f"{code.upper()}</button>" for code in LANGS)
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    title = "".join(f'<span lang="{code}">{escape(texts(code).UI["model_line"].format(**meta))}'
                    "</span>" for code in LANGS)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>llmcli learn: {escape(meta['text'])}</title><style>{CSS}</style></head>"
        f'<body class="lang-{lang}"><header><h1>{_both("title")}{buttons}</h1>'
        f'<div class="meta">{title}</div></header><nav>{nav}</nav>'
        f"<main>{''.join(sections)}</main>"
        f'<script type="application/json" id="tour-data">{payload}</script>'
        f"<script>{JS}</script></body></html>\n"
    )
