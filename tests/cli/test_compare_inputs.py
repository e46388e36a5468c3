"""compare with -f and -a: every cell gets the fragments and the attachment; a model that
cannot read the attachment stops the comparison before anything is sent."""

from __future__ import annotations

from tests import samples


def test_every_model_gets_the_fragment_and_the_image(cli, openai_server, gemini_server,
                                                      tmp_path):
    doc = tmp_path / "cardápio.md"
    doc.write_text("Prato do dia: moqueca 🐟")
    img = tmp_path / "prato.png"
    img.write_bytes(samples.png())
    r = cli("compare", "-m", "openai:gpt-4o-mini", "-m", "gemini", "-f", str(doc), "-a",
            str(img), "Combina?", "--jsonl")
    assert r.exit_code == 0, r.stderr
    block = f'<fragment source="{doc}">\nPrato do dia: moqueca 🐟\n</fragment>\n\nCombina?'
    [o] = openai_server.requests_for("chat")
    assert o.body["messages"][-1]["content"][0] == {"type": "text", "text": block}
    assert o.body["messages"][-1]["content"][1]["type"] == "image_url"
    [g] = gemini_server.requests_for("chat")
    assert g.body["contents"][-1]["parts"][0] == {"text": block}
    assert "inlineData" in g.body["contents"][-1]["parts"][1]


def test_a_model_that_cannot_read_the_attachment_stops_it_before_sending(
        cli, openai_server, gemini_server, tmp_path):
    song = tmp_path / "som.wav"
    song.write_bytes(samples.wav())
    r = cli("compare", "-m", "gemini", "-m", "openai:gpt-4o-mini", "-a", str(song), "x")
    assert r.exit_code == 13
    assert "openai:gpt-4o-mini cannot read audio" in r.stderr
    assert gemini_server.requests_for("chat") == [] == openai_server.requests_for("chat")
