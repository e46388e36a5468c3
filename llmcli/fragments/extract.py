"""Text out of the bytes of a fragment: UTF-8 text as is, HTML without its markup, PDF pages.

HTML goes through selectolax's Lexbor parser (an HTML5 parser in C, maintained, wheels on PyPI):
it parses a page some 30 times faster than the standard library's html.parser, and the whole
extraction is about 3 times faster measured side by side (BENCHMARKS.md, #21); it also builds
the tree a browser would from broken markup. Scripts,
styles and other invisible elements are dropped; block elements end lines. PDF text comes from
`pypdf` (already the project's PDF reader for `rag index`), page by page, bounded by a page
cap.
"""

from __future__ import annotations

import io
import re

from llmcli.core.errors import InvalidInput
from llmcli.fragments.limits import DEFAULT, Limits

# Invisible elements dropped; block elements end a line.
_SKIP = ["script", "style", "noscript", "template", "svg", "iframe", "object", "head", "nav"]
# A line break put in the source before each block tag (opening or closing): the parser keeps
# it as whitespace text, so the text has one block per line. Done on the source in one regex
# pass: walking the parsed nodes to insert breaks took longer than the parse itself.
_BLOCK_TAG = re.compile(
    r"<(?=/?(?:p|div|br|li|ul|ol|tr|table|section|article|header|footer|nav|aside|main|h[1-6]|"
    r"pre|blockquote|hr|dd|dt|dl|figure|figcaption|form|title)[\s>/])", re.IGNORECASE)


_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_LINE_EDGES = re.compile(r" ?\n ?")
_BLANK_RUNS = re.compile(r"\n{3,}")


def html_text(html: str) -> str:
    """The visible text of an HTML document (its title first), one block per line, runs of
    blank lines collapsed."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(_BLOCK_TAG.sub("\n<", html))
    title_node = tree.css_first("title")
    title = title_node.text(strip=True) if title_node is not None else ""
    tree.strip_tags(_SKIP)
    root = tree.body or tree.root
    text = root.text(separator="", strip=False) if root is not None else ""
    # whole-text passes (a Python loop per line costs more than the parse on a big page)
    text = _SPACES.sub(" ", text)
    text = _LINE_EDGES.sub("\n", text)
    body = _BLANK_RUNS.sub("\n\n", text).strip()
    if title and not body.startswith(title):
        body = f"{title}\n\n{body}" if body else title
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
