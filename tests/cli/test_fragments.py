"""`prompt -f/--sf` through the real CLI and the real OpenAI SDK to the loopback stub: what is
sent (labelled blocks, once each), the log (each text once, shown by `logs show`), and the
context-window refusal before anything is sent."""

from __future__ import annotations

import json
import sqlite3

from tests import samples

PT = "Ata: votação às 15h, orçamento aprovado ✅ 🎉\n"


def _db_path():
    from llmcli.config import Paths

    return Paths.from_env().logs_db


def _sent(stub) -> list[dict]:
    return stub.requests_for("chat")[-1].body["messages"]


def test_a_file_fragment_is_sent_labelled_before_the_prompt(cli, openai_server, tmp_path):
    f = tmp_path / "ata.md"
    f.write_text(PT, encoding="utf-8")
    r = cli("prompt", "-m", "openai:gpt-4o-mini", "-f", str(f), "Resuma em uma linha")
    assert r.exit_code == 0, r.stderr
    [user] = _sent(openai_server)
    assert user["content"] == f'<fragment source="{f}">\n{PT}</fragment>\n\nResuma em uma linha'


def test_system_fragment_goes_to_the_system_prompt(cli, openai_server, tmp_path):
    f = tmp_path / "regras.txt"
    f.write_text("Responda em português 🇧🇷")
    r = cli("prompt", "-m", "openai:gpt-4o-mini", "-s", "Seja breve", "--sf", str(f), "Oi")
    assert r.exit_code == 0, r.stderr
    system, user = _sent(openai_server)
    assert system == {"role": "system", "content": f'<fragment source="{f}">\nResponda em '
                      'português 🇧🇷\n</fragment>\n\nSeja breve'}
    assert user == {"role": "user", "content": "Oi"}


def test_stdin_as_a_fragment_leaves_the_argument_as_the_prompt(cli, openai_server):
    r = cli("prompt", "-m", "openai:gpt-4o-mini", "-f", "-", "Traduza", input=PT)
    assert r.exit_code == 0, r.stderr
    assert _sent(openai_server)[0]["content"] == (
        f'<fragment source="stdin">\n{PT}</fragment>\n\nTraduza')


def test_fragments_alone_are_a_prompt(cli, openai_server, tmp_path):
    f = tmp_path / "q.txt"
    f.write_text("Quanto é 2+2?")
    assert cli("prompt", "-m", "openai:gpt-4o-mini", "-f", str(f)).exit_code == 0
    expected = f'<fragment source="{f}">\nQuanto é 2+2?\n</fragment>'
    assert _sent(openai_server)[0]["content"] == expected


def test_url_fragments_html_and_pdf(cli, openai_server, web_server):
    web_server.pages["/a.html"] = (200, "text/html; charset=utf-8",
                                   "<p>Olá mundo 🌍</p><script>x</script>".encode())
    web_server.pages["/b.pdf"] = (200, "application/pdf", samples.pdf("Texto do PDF"))
    r = cli("prompt", "-m", "openai:gpt-4o-mini", "-f", web_server.url + "/a.html",
            "-f", web_server.url + "/redirect/1/b.pdf", "compare")
    assert r.exit_code == 0, r.stderr
    content = _sent(openai_server)[0]["content"]
    assert f'<fragment source="{web_server.url}/a.html">\nOlá mundo 🌍\n</fragment>' in content
    assert (f'<fragment source="{web_server.url}/redirect/1/b.pdf">\nTexto do PDF\n'
            "</fragment>") in content


def test_a_url_that_never_answers_fails_with_exit_19_and_sends_nothing(
        cli, openai_server, web_server):
    r = cli("prompt", "-m", "openai:gpt-4o-mini", "--timeout", "0.3", "-f",
            web_server.url + "/hang", "hi")
    assert r.exit_code == 19
    assert "timed out waiting for data (after 0.3 s)" in r.stderr
    assert "Traceback" not in r.stderr
    assert openai_server.requests_for("chat") == []


def test_fragments_are_stored_once_and_shown_by_logs_show(cli, openai_server, tmp_path, home):
    a = tmp_path / "a.md"
    a.write_text(PT)
    b = tmp_path / "b.md"
    b.write_text("segundo 📄")
    for prompt in ("primeira", "segunda"):
        r = cli("prompt", "-m", "openai:gpt-4o-mini", "-f", str(a), "-f", str(b),
                "-f", str(a), prompt)  # a given twice: sent once
        assert r.exit_code == 0, r.stderr
    content = _sent(openai_server)[0]["content"]
    assert content.count("<fragment ") == 2
    db = sqlite3.connect(_db_path())
    assert db.execute("SELECT COUNT(*) FROM fragments").fetchone()[0] == 2
    stored = db.execute("SELECT prompt, messages FROM exchanges ORDER BY id DESC").fetchone()
    assert PT not in stored[0] and PT not in stored[1]  # referenced, not copied
    assert stored[0].endswith("\n\nsegunda")
    shown = cli("logs", "show", "2")
    assert shown.exit_code == 0, shown.stderr
    assert f"[fragment 1: {a}]\n\n[fragment 2: {b}]\n\nsegunda" in shown.stdout
    assert f"[1] {a}  {len(PT):,} chars" in shown.stdout
    assert "    Ata: votação às 15h, orçamento aprovado ✅ 🎉" in shown.stdout
    as_json = json.loads(cli("logs", "show", "2", "--json").stdout)
    assert [f["content"] for f in as_json["fragments"]] == [PT, "segundo 📄"]


def test_the_log_gives_back_the_request_as_sent(cli, openai_server, tmp_path, home):
    from llmcli.store.logs import LogStore

    a = tmp_path / "a.md"
    a.write_text(PT)
    assert cli("prompt", "-m", "openai:gpt-4o-mini", "-f", str(a), "ok").exit_code == 0
    row = LogStore(_db_path()).get(1)
    assert json.loads(row["messages"])[0]["content"] == _sent(openai_server)[0]["content"]


def test_a_fragment_longer_than_the_window_is_refused_before_sending(
        cli, openai_server, tmp_path):
    big = tmp_path / "livro.txt"
    big.write_text("palavra " * 70_000)  # 560,000 chars: ~140,000 tokens by chars/4
    r = cli("prompt", "-m", "openai:gpt-4o-mini", "-f", str(big), "resuma")
    assert r.exit_code == 9
    assert "not sent: the request is 140,0" in r.stderr
    assert "more than gpt-4o-mini's context window of 128,000" in r.stderr
    assert openai_server.requests_for("chat") == []


def test_fragments_do_not_combine_with_templates(cli, tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("x")
    r = cli("prompt", "-t", "chain-of-thought", "-f", str(f), "hi")
    assert r.exit_code == 2
    assert "do not combine with templates" in r.stderr


def test_dry_run_shows_what_fragments_and_attachments_make_and_sends_nothing(
        cli, openai_server, tmp_path):
    f = tmp_path / "a.md"
    f.write_text("conteúdo 📎")
    img = tmp_path / "x.png"
    img.write_bytes(samples.png())
    r = cli("prompt", "--dry-run", "-m", "openai:gpt-4o-mini", "-f", str(f), "-a", str(img),
            "veja")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == (f"# model: openai:gpt-4o-mini\n# attachment: {img} (image/png, "
                        f"{len(samples.png())} bytes)\n\n--- user ---\n"
                        f'<fragment source="{f}">\nconteúdo 📎\n</fragment>\n\nveja\n')
    assert openai_server.requests_for("chat") == []


def test_fragments_with_a_schema(cli, openai_server, tmp_path):
    f = tmp_path / "ficha.txt"
    f.write_text("Maria, 34 anos, Recife")
    openai_server.reply_text = '{"nome": "Maria", "idade": 34}'
    r = cli("prompt", "-m", "openai:gpt-4o-mini", "--schema", "nome, idade int", "-f", str(f),
            "extraia")
    assert r.exit_code == 0, r.stderr
    assert _sent(openai_server)[-1]["content"].startswith(f'<fragment source="{f}">')


def test_export_gives_the_fragment_text_back(cli, openai_server, tmp_path):
    a = tmp_path / "a.md"
    a.write_text(PT)
    assert cli("prompt", "-m", "openai:gpt-4o-mini", "-f", str(a), "ok").exit_code == 0
    [row] = [json.loads(line) for line in cli("logs", "export").stdout.splitlines()]
    assert row["prompt"] == f'<fragment source="{a}">\n{PT}</fragment>\n\nok'


def test_an_oversized_download_fails_with_exit_19_before_reading_it(
        cli, openai_server, web_server):
    web_server.declared_size = 200 * 1024 * 1024
    r = cli("prompt", "-m", "openai:gpt-4o-mini", "-f", web_server.url + "/declared", "hi")
    assert r.exit_code == 19
    assert "the response is larger than 20 MB (200 MB declared)" in r.stderr
    assert openai_server.requests_for("chat") == []
