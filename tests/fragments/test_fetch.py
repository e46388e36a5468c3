"""-f URL: the real httpx download against a loopback web server: HTML and PDF become text,
redirects are followed (and bounded), and a server that never answers, drips bytes or sends
too much is cut off with FetchFailed (exit 19), never left to hang or fill memory."""

from __future__ import annotations

import pytest

from llmcli.core.errors import FetchFailed
from llmcli.fragments.fetch import Timeouts, fetch
from llmcli.fragments.limits import Limits
from llmcli.fragments.load import Loader
from tests import samples

HTML = """<!doctype html><html><head><title>Ata da reunião</title>
<style>body { color: red }</style><script>alert('não')</script></head>
<body><nav>menu</nav><h1>Decisões</h1><p>Votação às 15h: aprovada 🎉</p>
<p>Orçamento&nbsp;de R$&nbsp;3.000</p></body></html>"""

SHORT = Timeouts(connect=1.0, read=0.3, deadline=1.0)


def test_html_page_becomes_its_visible_text(web_server):
    web_server.pages["/ata.html"] = (200, "text/html; charset=utf-8", HTML.encode())
    [frag] = Loader().load([web_server.url + "/ata.html"])
    assert frag.source == web_server.url + "/ata.html"
    assert "Votação às 15h: aprovada 🎉" in frag.text
    assert "Orçamento de R$ 3.000" in frag.text
    assert frag.text.startswith("Ata da reunião")
    assert "alert" not in frag.text and "color: red" not in frag.text
    assert "menu" not in frag.text  # navigation is not the page's text


def test_html_in_another_charset_is_decoded_by_its_header(web_server):
    web_server.pages["/latin.html"] = (200, "text/html; charset=iso-8859-1",
                                       "<p>Ação à vista</p>".encode("latin-1"))
    [frag] = Loader().load([web_server.url + "/latin.html"])
    assert frag.text == "Ação à vista"


def test_pdf_url_becomes_the_text_of_its_pages(web_server):
    web_server.pages["/doc.pdf"] = (200, "application/pdf", samples.pdf("Relatorio anual 2026"))
    [frag] = Loader().load([web_server.url + "/doc.pdf"])
    assert frag.text == "Relatorio anual 2026"


def test_redirects_are_followed_to_the_final_page(web_server):
    web_server.pages["/final.txt"] = (200, "text/plain", b"chegou")
    got = fetch(web_server.url + "/redirect/3/final.txt")
    assert got.data == b"chegou"
    assert got.url.endswith("/final.txt")
    assert web_server.requests == ["/redirect/3/final.txt", "/redirect/2/final.txt",
                                   "/redirect/1/final.txt", "/final.txt"]


def test_too_many_redirects_fail(web_server):
    web_server.pages["/final.txt"] = (200, "text/plain", b"x")
    with pytest.raises(FetchFailed, match="more than 2 redirects") as info:
        fetch(web_server.url + "/redirect/5/final.txt", limits=Limits(url_redirects=2))
    assert info.value.exit_code == 19


def test_a_server_that_never_answers_times_out(web_server):
    with pytest.raises(FetchFailed, match=r"timed out waiting for data \(after 0.3 s\)"):
        fetch(web_server.url + "/hang", timeouts=SHORT)


def test_a_server_that_drips_bytes_is_cut_at_the_deadline(web_server):
    # Each byte comes well within the read timeout; only the deadline can end this.
    with pytest.raises(FetchFailed, match="took longer than 1 s"):
        fetch(web_server.url + "/drip", timeouts=SHORT)


def test_an_oversized_body_is_cut_at_the_cap(web_server):
    web_server.big_size = 2 * 1024 * 1024  # no Content-Length: counted while streaming
    with pytest.raises(FetchFailed, match="larger than 512 KB"):
        fetch(web_server.url + "/big", limits=Limits(url_bytes=512 * 1024))


def test_a_declared_oversized_body_is_refused_before_reading(web_server):
    web_server.declared_size = 50 * 1024 * 1024
    with pytest.raises(FetchFailed, match=r"larger than 20 MB \(50 MB declared\)"):
        fetch(web_server.url + "/declared")


def test_an_error_status_names_it(web_server):
    with pytest.raises(FetchFailed, match="HTTP 404 Not Found"):
        fetch(web_server.url + "/missing")


def test_a_refused_connection_fails_cleanly(closed_port):
    with pytest.raises(FetchFailed, match="could not be fetched"):
        fetch(f"http://127.0.0.1:{closed_port}/x", timeouts=SHORT)
