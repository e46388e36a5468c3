"""The token explorer's words, in English and Portuguese, and the choice between them.

The language follows `--lang`, else the locale (LC_ALL, LC_MESSAGES, LANG: pt_* means pt).
Every key exists in both languages (tests check it).
"""

from __future__ import annotations

from collections.abc import Mapping

LANGS = ("en", "pt")

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "llmcli explore",
        "candidates": "next token · entropy {bits:.2f} bits",
        "sampling_entropy": "after sampling options {bits:.2f} bits",
        "col_p": "p",
        "col_sample": "sample p",
        "sampled_mark": "← sampled",
        "outside": "(rank {rank} of {vocab})",
        "ended": "the text ended (end-of-text token): u undoes it",
        "keys": "Enter/n next · 1-9 pick · p N pick · t type · u undo · b branch · "
                "o open branch · c compare · q quit",
        "keys_back": "any key: back",
        "added": "+ {piece} ({how} · p {p} · rank {rank})",
        "how_sampled": "sampled",
        "how_picked": "picked",
        "how_typed": "typed",
        "undone": "undone: {piece}",
        "nothing_to_undo": "nothing to undo: the text is back at the prompt",
        "branched": "saved branch '{name}' ({n} tokens)",
        "opened": "opened branch '{name}'",
        "no_branch": "no branch named '{name}'; saved: {names}",
        "no_branches": "no branches saved yet: b NAME saves the current path",
        "bad_pick": "pick a number from 1 to {n}",
        "empty_text": "type some text after t",
        "unknown": "unknown command '{cmd}': {help}",
        "help": "n next · p N pick · t TEXT type · u undo · b NAME branch · o NAME open · "
                "c compare · q quit",
        "ask_pick": "pick number: ",
        "ask_type": "text to add: ",
        "ask_branch": "branch name: ",
        "ask_open": "open branch: ",
        "compare_title": "branches side by side",
        "current": "(current)",
        "tokens": "tokens",
        "logprob": "log p",
        "mean_entropy": "mean entropy",
        "bits": "bits",
        "perplexity": "perplexity",
        "diverges": "differs from token {k}",
        "legend": "colours: sampled · picked · typed",
        "no_options": "temperature 1, no filters",
        "seed": "seed",
        "no_seed": "no seed",
    },
    "pt": {
        "title": "llmcli explore",
        "candidates": "próximo token · entropia {bits:.2f} bits",
        "sampling_entropy": "após as opções de amostragem {bits:.2f} bits",
        "col_p": "p",
        "col_sample": "p amostra",
        "sampled_mark": "← sorteado",
        "outside": "(posição {rank} de {vocab})",
        "ended": "o texto terminou (token de fim de texto): u desfaz",
        "keys": "Enter/n próximo · 1-9 escolher · p N escolher · t digitar · u desfazer · "
                "b ramo · o abrir ramo · c comparar · q sair",
        "keys_back": "qualquer tecla: voltar",
        "added": "+ {piece} ({how} · p {p} · posição {rank})",
        "how_sampled": "sorteado",
        "how_picked": "escolhido",
        "how_typed": "digitado",
        "undone": "desfeito: {piece}",
        "nothing_to_undo": "nada a desfazer: o texto voltou ao prompt",
        "branched": "ramo '{name}' salvo ({n} tokens)",
        "opened": "ramo '{name}' aberto",
        "no_branch": "não há ramo '{name}'; salvos: {names}",
        "no_branches": "nenhum ramo salvo ainda: b NOME salva o caminho atual",
        "bad_pick": "escolha um número de 1 a {n}",
        "empty_text": "digite um texto depois de t",
        "unknown": "comando desconhecido '{cmd}': {help}",
        "help": "n próximo · p N escolher · t TEXTO digitar · u desfazer · b NOME ramo · "
                "o NOME abrir · c comparar · q sair",
        "ask_pick": "número: ",
        "ask_type": "texto a acrescentar: ",
        "ask_branch": "nome do ramo: ",
        "ask_open": "abrir o ramo: ",
        "compare_title": "ramos lado a lado",
        "current": "(atual)",
        "tokens": "tokens",
        "logprob": "log p",
        "mean_entropy": "entropia média",
        "bits": "bits",
        "perplexity": "perplexidade",
        "diverges": "difere a partir do token {k}",
        "legend": "cores: sorteado · escolhido · digitado",
        "no_options": "temperatura 1, sem filtros",
        "seed": "semente",
        "no_seed": "sem semente",
    },
}


def choose_lang(choice: str | None, environ: Mapping[str, str]) -> str:
    """`--lang` if given, else pt when the locale is Portuguese, else en."""
    if choice:
        return choice
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name)
        if value:
            return "pt" if value.lower().startswith("pt") else "en"
    return "en"


def tr(lang: str, key: str, **values: object) -> str:
    """The text for `key` in `lang`, with `values` filled in."""
    text = TEXT[lang][key]
    return text.format(**values) if values else text
