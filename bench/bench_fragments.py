"""Fragments and attachments (issue 21): how long -f takes to read what people give it.

1. A folder of 1,000 small source files (about 2 KB each) read by the real Loader, as
   `prompt -f FOLDER` does (walk, size checks, UTF-8 decoding, labels, dedupe by sha256),
   and the same folder composed into one prompt.
2. PDF text with pypdf on a generated 200-page PDF: pages per second.
3. HTML text: selectolax's Lexbor parser (what llmcli uses, fragments/extract.html_text)
   against an extractor on the standard library's html.parser (below, the alternative that
   was measured and dropped), side by side on the same 1 MB page, median of --runs.

Run from the repository root:
    .venv/bin/python bench/bench_fragments.py [--runs 5]
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.samples


def make_folder(root: Path, n: int = 1000) -> None:
    for i in range(n):
        sub = root / f"pkg{i % 20}"
        sub.mkdir(exist_ok=True)
        body = "".join(f"def f{i}_{k}(x):\n    return x * {k}  # função nº {k} ✅\n"
                       for k in range(40))
        (sub / f"mod{i}.py").write_text(body, encoding="utf-8")


def make_pdf(pages: int) -> bytes:
    """A PDF of `pages` pages, each with 30 lines of Helvetica text (the tests' PDF writer)."""
    from tests.samples import pdf_pages

    return pdf_pages([[f"Linha {k} da pagina {p} com algum texto corrido." for k in range(30)]
                      for p in range(pages)])


def make_html(size: int = 1 << 20) -> str:
    para = ("<div class='c'><p>Parágrafo com <b>negrito</b>, <a href='#'>um link</a> e "
            "acentuação: ação, você, pôr 🎉</p><script>var x = 1;</script></div>\n")
    return "<html><head><title>Página</title><style>p{}</style></head><body>" + para * (
        size // len(para)) + "</body></html>"


_SKIP = {"script", "style", "noscript", "template", "svg", "head", "iframe", "object"}
_BLOCK = {"p", "div", "br", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "pre"}


def stdlib_html_text(html: str) -> str:
    """The same job on html.parser: drop invisible elements, end a line at each block."""
    from html.parser import HTMLParser

    class Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.parts: list[str] = []
            self.skipping = 0

        def handle_starttag(self, tag, attrs):
            if tag in _SKIP:
                self.skipping += 1
            elif tag in _BLOCK:
                self.parts.append("\n")

        def handle_endtag(self, tag):
            if tag in _SKIP:
                self.skipping = max(0, self.skipping - 1)
            elif tag in _BLOCK:
                self.parts.append("\n")

        def handle_data(self, data):
            if not self.skipping:
                self.parts.append(data)

    p = Text()
    p.feed(html)
    p.close()
    return "\n".join(line.strip() for line in "".join(p.parts).split("\n") if line.strip())


def timed(fn, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    runs = ap.parse_args().runs

    from llmcli.core.fragments import compose
    from llmcli.fragments.extract import html_text, pdf_text
    from llmcli.fragments.load import Loader

    out: dict[str, object] = {"runs": runs}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "proj"
        root.mkdir()
        make_folder(root)
        secs, frags = timed(lambda: Loader().load([str(root)]), runs)
        chars = sum(len(f.text) for f in frags)  # type: ignore[union-attr]
        out["folder_1000_files"] = {"files": len(frags), "chars": chars,  # type: ignore[arg-type]
                                    "load_s": round(secs, 4)}
        secs, _ = timed(lambda: compose("resuma", frags), runs)  # type: ignore[arg-type]
        out["folder_1000_files"]["compose_s"] = round(secs, 4)  # type: ignore[index]

    pdf = make_pdf(200)
    secs, text = timed(lambda: pdf_text(pdf, "bench.pdf"), max(1, runs // 2))
    out["pdf_200_pages"] = {"bytes": len(pdf), "chars": len(text),  # type: ignore[arg-type]
                            "s": round(secs, 3), "pages_per_s": round(200 / secs, 1)}

    html = make_html()
    secs, text = timed(lambda: html_text(html), runs)
    secs2, _ = timed(lambda: stdlib_html_text(html), runs)
    size = len(html.encode())
    out["html_1mb"] = {"bytes": size, "chars_out": len(text),  # type: ignore[arg-type]
                       "selectolax_s": round(secs, 4), "selectolax_mb_per_s": round(
                           size / secs / 1e6, 1),
                       "stdlib_html_parser_s": round(secs2, 4),
                       "stdlib_mb_per_s": round(size / secs2 / 1e6, 2),
                       "ratio": round(secs2 / secs, 1)}
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
