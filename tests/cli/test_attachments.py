"""`prompt -a` through the real CLI and each real SDK to its loopback stub, which checks the
content parts as the API would (tests/stubs: a 400 for a part it would not read): images, PDFs
and audio in each provider's native form, the type sniffed from the bytes, models that cannot
read a type refused before sending with the names of those that can."""

from __future__ import annotations

import base64

import pytest

from tests import samples
from tests.stubs.gemini_stub import decode_bytes

KINDS = {  # file name (with a misleading extension for one), bytes, MIME type sniffed
    "image": ("photo.png", samples.png, "image/png"),
    "jpeg": ("photo.jpg", samples.jpeg, "image/jpeg"),
    "pdf": ("doc.pdf", samples.pdf, "application/pdf"),
    "mp3": ("audio.mp3", samples.mp3, "audio/mpeg"),
    "wav": ("som.wav", samples.wav, "audio/x-wav"),
}


def _write(tmp_path, kind):
    name, make, mime = KINDS[kind]
    path = tmp_path / name
    path.write_bytes(make())
    return path, make(), mime


def _user_parts(stub):
    return stub.requests_for("chat")[-1].body["messages"][-1]["content"]


@pytest.mark.parametrize("kind", ["image", "jpeg", "pdf"])
def test_openai_images_and_pdfs_are_data_url_parts(cli, openai_server, tmp_path, kind):
    path, data, mime = _write(tmp_path, kind)
    r = cli("prompt", "-m", "openai:gpt-4o-mini", "-a", str(path), "O que é isto? 🤔")
    assert r.exit_code == 0, r.stderr
    text, part = _user_parts(openai_server)
    assert text == {"type": "text", "text": "O que é isto? 🤔"}
    url = f"data:{mime};base64,{base64.b64encode(data).decode()}"
    if kind == "pdf":
        assert part == {"type": "file", "file": {"filename": "doc.pdf", "file_data": url}}
    else:
        assert part == {"type": "image_url", "image_url": {"url": url}}


@pytest.mark.parametrize("kind,fmt", [("mp3", "mp3"), ("wav", "wav")])
def test_openai_audio_is_an_input_audio_part(cli, openai_server, tmp_path, kind, fmt):
    # No catalog OpenAI model reads audio (only the -audio-preview ones do): a model the
    # catalog does not know is sent as is, and the server decides.
    openai_server.models.append("gpt-4o-audio-preview")
    path, data, _ = _write(tmp_path, kind)
    r = cli("prompt", "-m", "openai:gpt-4o-audio-preview", "-a", str(path), "transcreva")
    assert r.exit_code == 0, r.stderr
    assert _user_parts(openai_server)[1] == {
        "type": "input_audio", "input_audio": {"data": base64.b64encode(data).decode(),
                                               "format": fmt}}


@pytest.mark.parametrize("kind", ["image", "jpeg", "pdf", "mp3", "wav"])
def test_gemini_takes_every_kind_as_inline_data(cli, gemini_server, tmp_path, kind):
    path, data, mime = _write(tmp_path, kind)
    r = cli("prompt", "-m", "gemini:gemini-3.5-flash-lite", "-a", str(path), "descreva")
    assert r.exit_code == 0, r.stderr
    parts = gemini_server.requests_for("chat")[-1].body["contents"][-1]["parts"]
    gemini_mime = {"audio/mpeg": "audio/mp3", "audio/x-wav": "audio/wav"}.get(mime, mime)
    # google-genai 3.4 spells the MIME field `mime_type` inside `inlineData` and sends the
    # bytes URL-safe base64 (the API's proto JSON parser takes either spelling and alphabet)
    assert parts == [{"text": "descreva"},
                     {"inlineData": {"mime_type": gemini_mime,
                                     "data": base64.urlsafe_b64encode(data).decode()}}]
    assert decode_bytes(parts[1]["inlineData"]["data"]) == data


def test_groq_vision_model_takes_an_image(cli, groq_server, tmp_path):
    groq_server.models.append("meta-llama/llama-4-scout-17b-16e-instruct")
    path, _, _ = _write(tmp_path, "image")
    r = cli("prompt", "-m", "groq:meta-llama/llama-4-scout-17b-16e-instruct", "-a", str(path),
            "o que há na imagem?")
    assert r.exit_code == 0, r.stderr
    assert _user_parts(groq_server)[1]["image_url"]["url"].startswith("data:image/png;base64,")


@pytest.mark.parametrize("spec,kind,what", [
    ("groq:openai/gpt-oss-20b", "image", "images"),
    ("groq:meta-llama/llama-4-scout-17b-16e-instruct", "pdf", "PDFs"),
    ("openai:gpt-4o-mini", "mp3", "audio"),
    ("local", "image", "images"),
])
def test_a_model_that_cannot_read_the_type_is_refused_naming_those_that_can(
        cli, openai_server, groq_server, tmp_path, spec, kind, what):
    path, _, _ = _write(tmp_path, kind)
    r = cli("prompt", "-m", spec, "-a", str(path), "hi")
    assert r.exit_code == 13, r.stderr
    assert f"cannot read {what} ({path})" in r.stderr
    assert "models that can: " in r.stderr and "gemini:gemini-3.5-flash-lite" in r.stderr
    if kind == "image":
        assert "openai:gpt-4o" in r.stderr
    assert groq_server.requests_for("chat") == [] and openai_server.requests_for("chat") == []


def test_the_type_comes_from_the_bytes_not_the_name(cli, gemini_server, tmp_path):
    fake = tmp_path / "relatorio.pdf"
    fake.write_bytes(samples.png())  # a PNG named .pdf is sent as an image
    assert cli("prompt", "-m", "gemini", "-a", str(fake), "x").exit_code == 0
    part = gemini_server.requests_for("chat")[-1].body["contents"][-1]["parts"][1]
    assert part["inlineData"]["mime_type"] == "image/png"


def test_a_file_of_no_known_type_is_refused(cli, gemini_server, tmp_path):
    notes = tmp_path / "notes.png"
    notes.write_text("só texto, não imagem")
    r = cli("prompt", "-m", "gemini", "-a", str(notes), "x")
    assert r.exit_code == 2
    assert "its type could not be told from its bytes" in r.stderr
    assert "text files go in with -f" in r.stderr


def test_stdin_bytes_as_an_attachment(cli, gemini_server):
    r = cli("prompt", "-m", "gemini", "-a", "-", "descreva", input=samples.jpeg())
    assert r.exit_code == 0, r.stderr
    part = gemini_server.requests_for("chat")[-1].body["contents"][-1]["parts"][1]
    assert part["inlineData"]["mime_type"] == "image/jpeg"


def test_attachments_are_logged_once_without_bytes_in_the_row(cli, gemini_server, tmp_path):
    import json
    import sqlite3

    from llmcli.config import Paths
    from llmcli.store.logs import LogStore

    path, data, _ = _write(tmp_path, "image")
    for _ in range(2):
        assert cli("prompt", "-m", "gemini", "-a", str(path), "x").exit_code == 0
    db = sqlite3.connect(Paths.from_env().logs_db)
    assert db.execute("SELECT COUNT(*), MAX(length(data)) FROM attachments").fetchone() == (
        1, len(data))
    stored = json.loads(db.execute("SELECT messages FROM exchanges WHERE id = 2").fetchone()[0])
    assert "data" not in stored[-1]["attachments"][0]
    again = json.loads(LogStore(Paths.from_env().logs_db).get(2)["messages"])
    assert base64.b64decode(again[-1]["attachments"][0]["data"]) == data
    shown = cli("logs", "show", "2").stdout
    assert f"## Attachments\n- {path}  image/png  {len(data):,} bytes" in shown
