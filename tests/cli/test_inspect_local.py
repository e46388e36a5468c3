"""The inspection commands on the local model, end to end in-process (real weights)."""

from __future__ import annotations

import json
import re

import pytest

# Registers the commands even before app.py lists them.

pytestmark = pytest.mark.slow
SENTENCE = "O gato subiu no telhado porque viu um pássaro"


def js(result):
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_tokenize_and_detokenize_local(cli):
    view = js(cli("tokenize", "your cat is a lovely cat", "-m", "local", "--json"))["views"][0]
    assert view["model"] == "local:gemma-3-270m" and view["exact"] is True
    assert [t["id"] for t in view["tokens"]] == [17993, 5866, 563, 496, 14954, 5866]
    assert "<bos> (id 2)" in view["note"]
    text = "Ação, coração — não é? 🐱 日本語\n\tfim"
    ids = cli("tokenize", text, "-m", "local", "--ids").stdout.split()
    assert cli("detokenize", *ids, "-m", "local").stdout == text + "\n"


def test_tokenize_local_streams_stdin(cli):
    block = "O gato subiu no telhado porque viu um pássaro.\n" * 5000
    view = js(cli("tokenize", "-m", "local", "--json", "--limit", "3", input=block))["views"][0]
    assert view["chars"] == len(block) and len(view["tokens"]) == 3
    one = js(cli("tokenize", block.splitlines()[0] + "\n", "-m", "local", "--json"))["views"][0]
    assert view["count"] == 5000 * one["count"]


def test_inspect_embedding_json(cli):
    data = js(cli("inspect", "embedding", "cat", "dog", "car", "--json", "--top", "3"))
    assert [t["piece"] for t in data["tokens"]] == ["▁cat", "▁dog", "▁car"]
    assert len(data["tokens"][0]["neighbours"]) == 3
    assert data["similarity"][0][0] == pytest.approx(1.0)
    typed = js(cli("inspect", "embedding", "cat", "--as-typed", "--json"))
    assert typed["tokens"][0]["piece"] == "cat"


def test_inspect_attention_json(cli):
    data = js(cli("inspect", "attention", SENTENCE, "--layer", "5", "--head", "2", "--json"))
    assert data["layer"] == 5 and data["layer_type"] == "global"
    assert data["tokens"][0]["piece"] == "<bos>"
    (head,) = data["heads"]
    assert head["head"] == 2
    n = len(data["tokens"])
    for q, row in enumerate(head["weights"]):
        assert len(row) == n and all(v is None for v in row[q + 1 :])
        assert sum(row[: q + 1]) == pytest.approx(1.0, abs=1e-4)
    every = js(cli("inspect", "attention", SENTENCE, "--layer", "-1", "--json"))
    assert [h["head"] for h in every["heads"]] == [0, 1, 2, 3] and every["layer"] == 17


def test_inspect_attention_from_and_skip_bos(cli):
    data = js(cli("inspect", "attention", SENTENCE, "--from", "telhado", "--json"))
    assert data["from"]["piece"] == "hado" and len(data["layers"]) == 18
    skipped = js(cli("inspect", "attention", SENTENCE, "--layer", "3", "--skip-bos", "--json"))
    assert skipped["tokens"][0]["piece"] == "O" and "rescaled" in skipped["note"]
    for row in skipped["heads"][0]["weights"]:
        assert sum(v for v in row if v is not None) == pytest.approx(1.0, abs=1e-4)


def test_inspect_layers_lens_matches_next(cli):
    layers = js(cli("inspect", "layers", "The capital of France is", "--json"))
    nxt = js(cli("next", "The capital of France is", "--top", "5", "--json"))
    final = [g["id"] for g in layers["final"]]
    assert final == [r["id"] for r in nxt["steps"][0]["top"]]
    assert layers["final"][0]["prob"] == pytest.approx(
        nxt["steps"][0]["top"][0]["probs"]["softmax"], abs=1e-5)
    assert [x["lens"] for x in layers["layers"]][-1] == layers["final"]


def test_next_steps_are_repeatable_with_a_seed(cli):
    args = ["next", "Once upon a time", "-o", "temperature=0.8", "-o", "top_p=0.9", "-o",
            "seed=11", "--steps", "5", "--json"]
    first, second = js(cli(*args)), js(cli(*args))
    assert [s["chosen"]["id"] for s in first["steps"]] == [s["chosen"]["id"]
                                                          for s in second["steps"]]
    assert first["text"] == second["text"] and len(first["steps"]) == 5
    assert first["steps"][0]["stages"] == ["softmax", "temperature", "top_p"]
    bad = cli("next", "x", "-o", "max_tokens=3")
    assert bad.exit_code == 2 and "does not change next-token probabilities" in bad.stderr
    assert cli("next", "x", "-o", "temperature=9").exit_code == 2


@pytest.mark.parametrize("width", [40, 80, 160])
def test_local_views_render_at_widths(cli, width):
    for args in (["inspect", "attention", SENTENCE, "--layer", "2"],
                 ["inspect", "attention", SENTENCE, "--from", "-1"],
                 ["inspect", "layers", SENTENCE],
                 ["next", SENTENCE, "-o", "top_k=3", "-o", "seed=1"],
                 ["next", SENTENCE, "--steps", "3", "-o", "seed=1"]):
        r = cli(*args, stdout_tty=True, width=width, env={"NO_COLOR": "1"})
        assert r.exit_code == 0, r.stderr
        plain = re.sub(r"\x1b\[[0-9;]*m", "", r.stdout)
        # a terminal would cut a longer line mid-word: Rich breaks them between words
        from rich.cells import cell_len  # a combining mark (្រ) takes no column

        assert max(cell_len(line) for line in plain.splitlines()) <= width, (args, plain)
        # NO_COLOR: no colour (bold may stay: it is not colour)
        assert not re.search(r"\x1b\[(?:[0-9;]*;)?(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])(?:;[0-9;]*)?m",
                             r.stdout)
        assert r.stdout.strip()


def test_png_exports(cli, tmp_path):
    for name, args in {
        "att.png": ["inspect", "attention", SENTENCE, "--layer", "1"],
        "from.png": ["inspect", "attention", SENTENCE, "--from", "pássaro"],
        "layers.png": ["inspect", "layers", SENTENCE],
        "emb.png": ["inspect", "embedding", "cat", "dog"],
        "next.png": ["next", SENTENCE, "-o", "top_k=5"],
    }.items():
        target = tmp_path / name
        r = cli(*args, "--png", str(target))
        assert r.exit_code == 0, r.stderr
        assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"saved {target}" in r.stderr


def test_bad_layer_and_position(cli):
    r = cli("inspect", "attention", SENTENCE, "--layer", "18")
    assert r.exit_code == 2 and "layers 0..17" in r.stderr
    r = cli("inspect", "layers", SENTENCE, "--pos", "99")
    assert r.exit_code == 2 and "outside" in r.stderr
    r = cli("inspect", "attention", SENTENCE, "--from", "cachorro")
    assert r.exit_code == 2 and "not in the text" in r.stderr


def test_embed_and_similar_local(cli, tmp_path):
    data = js(cli("embed", "o gato dorme", "the cat sleeps", "-m", "local", "--json"))
    assert data["model"] == "local:gemma-3-270m" and data["dimension"] == 640
    sim = data["similarity"]
    assert sim[0][1] == pytest.approx(sim[1][0]) and sim[0][0] == pytest.approx(1.0)
    lines = tmp_path / "notes.txt"
    lines.write_text("o gato dorme\no carro é rápido\nthe cat sleeps\n", encoding="utf-8")
    first = js(cli("similar", "o gato dorme", "--file", str(lines), "-m", "local", "--json"))
    assert first["hits"][0]["line"] == 1 and first["hits"][0]["score"] == pytest.approx(1.0)
    # Both texts of the embed call above come from the cache: only the car line is new.
    assert (first["embedded"], first["cached"]) == (1, 3)
    again = js(cli("similar", "um gato", "--file", str(lines), "-m", "local", "--json"))
    assert again["embedded"] == 1 and again["cached"] == 3  # only the new query
