"""chat with -f/--sf/-a and /attach, piped (one message per line), through the real SDKs to
the loopback stubs."""

from __future__ import annotations

from tests import samples


def _bodies(stub) -> list[dict]:
    return [r.body for r in stub.requests_for("chat")]


def test_attach_goes_with_the_next_message_and_stays_in_the_history(cli, gemini_server, tmp_path):
    img = tmp_path / "foto.png"
    img.write_bytes(samples.png())
    r = cli("chat", "-m", "gemini", input=f"/attach {img}\no que é isto? 🤔\ne agora?\n")
    assert r.exit_code == 0, r.stderr
    said = " ".join(r.stderr.split())  # notes wrap at the terminal's width
    assert f"attached {img} (image/png, {len(samples.png()):,} bytes)" in said
    first, second = _bodies(gemini_server)
    assert [list(p) for p in first["contents"][0]["parts"]] == [["text"], ["inlineData"]]
    # the second request repeats the first turn with its image, the new message has none
    assert [list(p) for p in second["contents"][0]["parts"]] == [["text"], ["inlineData"]]
    assert second["contents"][-1]["parts"] == [{"text": "e agora?"}]


def test_attach_to_a_model_that_cannot_read_it_is_refused_at_once(cli, openai_server, tmp_path):
    song = tmp_path / "song.mp3"
    song.write_bytes(samples.mp3())
    r = cli("chat", "-m", "openai:gpt-4o-mini", input=f"/attach {song}\noi\n")
    assert r.exit_code == 0, r.stderr
    said = " ".join(r.stderr.split())
    assert "cannot read audio" in said and "gemini:gemini-3.5-flash-lite" in said
    [body] = _bodies(openai_server)
    assert body["messages"][-1] == {"role": "user", "content": "oi"}  # sent without it


def test_chat_fragments_join_the_first_message_and_system(cli, openai_server, tmp_path):
    doc = tmp_path / "contrato.md"
    doc.write_text("Cláusula 1: prazo de 30 dias 📅\n")
    rules = tmp_path / "regras.md"
    rules.write_text("Responda em português")
    r = cli("chat", "-m", "openai:gpt-4o-mini", "-f", str(doc), "--sf", str(rules),
            input="qual o prazo?\ne depois?\n")
    assert r.exit_code == 0, r.stderr
    first, second = _bodies(openai_server)
    assert first["messages"][0] == {
        "role": "system", "content": f'<fragment source="{rules}">\nResponda em português\n'
                                     "</fragment>"}
    assert first["messages"][1]["content"] == (
        f'<fragment source="{doc}">\nCláusula 1: prazo de 30 dias 📅\n</fragment>\n\n'
        "qual o prazo?")
    assert second["messages"][-1] == {"role": "user", "content": "e depois?"}
    assert second["messages"][1] == first["messages"][1]  # history keeps the fragment


def test_chat_refuses_stdin_as_a_fragment(cli, openai_server):
    r = cli("chat", "-m", "openai:gpt-4o-mini", "-f", "-", input="oi\n")
    assert r.exit_code == 2
    assert "chat reads its messages from stdin" in " ".join(r.stderr.split())


def test_a_continued_chat_resends_the_fragment_and_image(cli, gemini_server, tmp_path):
    img = tmp_path / "foto.png"
    img.write_bytes(samples.png())
    doc = tmp_path / "nota.md"
    doc.write_text("nota 📝")
    assert cli("chat", "-m", "gemini", "-f", str(doc), "-a", str(img),
               input="veja\n").exit_code == 0
    r = cli("chat", "-c", input="e então?\n")
    assert r.exit_code == 0, r.stderr
    first, again = _bodies(gemini_server)
    assert again["contents"][0] == first["contents"][0]  # text with the block, and the image
