"""Text out of the bytes of a fragment: UTF-8 text as is, HTML without its markup, PDF pages.

HTML goes through the standard library's `html.parser`: it tolerates broken markup, imports in
a millisecond and needs no compiled dependency, and the input is already bounded by the download
cap (BENCHMARKS.md has its speed). Scripts, styles and other invisible elements are dropped;
block elements end lines. PDF text comes from `pypdf` (already the project's PDF reader for
`rag index`), page by page, bounded by a page cap.
"""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

from llmcli.core.errors import InvalidInput
from llmcli.fragments.limits import DEFAULT, Limits

_SKIP = {"script", "style", "noscript", "template", "svg", "head", "iframe", "object"}
_BLOCK = {
    "p", "div", "br", "li", "ul", "ol", "tr", "table", "section", "article", "header",
    "footer", "nav", "aside", "main", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote",
    "hr", "dd", "dt", "dl", "figure", "figcaption", "form", "title",
}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.title: str | None = None
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _SKIP:
            self.skipping += 1
        elif tag in _BLOCK:
            self.parts.append("\n")
        if tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title and self.title is None:
            self.title = data.strip()
        if not self.skipping:
            self.parts.append(data)


def html_text(html: str) -> str:
    """The visible text of an HTML document, one paragraph per line, blank runs collapsed."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    lines = [re.sub(r"[ \t\r\f\v\u00a0]+", " ", line).strip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    body = "\n".join(out).strip()
    if parser.title and not body.startswith(parser.title):
        body = f"{parser.title}\n\n{body}"
    return body


def pdf_text(data: bytes, source: str, limits: Limits = DEFAULT) -> str:
    """The text of a PDF's pages, separated by blank lines."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise InvalidInput(f"{source}: the PDF is encrypted",
                               hint="decrypt it first (qpdf --decrypt)")
        pages = reader.pages
        if len(pages) > limits.pdf_pages:
            raise InvalidInput(f"{source}: the PDF has {len(pages):,} pages, more than "
                               f"{limits.pdf_pages:,}", hint="split it first")
        texts = [(page.extract_text() or "").strip() for page in pages]
    except InvalidInput:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise InvalidInput(f"{source}: not a readable PDF ({type(exc).__name__}: {exc})",
                           hint="check the file, or pass its text instead") from None
    text = "\n\n".join(t for t in texts if t)
    if not text:
        raise InvalidInput(f"{source}: the PDF has no text layer (a scan?)",
                           hint="send it with -a to a model that reads PDFs")
    return text


def decode(data: bytes, source: str) -> str:
    """Bytes as UTF-8 text (a BOM dropped); anything else is refused with the byte offset."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"{source}: not UTF-8 text (byte {exc.start:,} is 0x{data[exc.start]:02x})",
            hint="convert it (iconv -t UTF-8), or attach a binary file with -a",
        ) from None


def looks_like_pdf(data: bytes) -> bool:
    return data[:5] == b"%PDF-"


def looks_like_html(data: bytes, content_type: str | None = None) -> bool:
    if content_type and "html" in content_type.lower():
        return True
    head = data[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))


def to_text(data: bytes, source: str, *, content_type: str | None = None,
            limits: Limits = DEFAULT) -> str:
    """A fragment's text from its bytes: PDF and HTML extracted, anything else UTF-8."""
    if looks_like_pdf(data) or (content_type or "").lower().startswith("application/pdf"):
        return pdf_text(data, source, limits)
    if looks_like_html(data, content_type):
        return html_text(decode(data, source))
    return decode(data, source)
