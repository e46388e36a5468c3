"""The bounds on what -f and -a may read. One place, so errors and the README agree."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Caps on inputs. Tests pass smaller ones; the CLI uses DEFAULT."""

    file_bytes: int = 20 * 1024 * 1024  # one file read as a fragment (before PDF/HTML text)
    total_chars: int = 40 * 1024 * 1024  # all fragments of one request, as text
    folder_files: int = 5000  # files a folder or glob may expand to
    url_bytes: int = 20 * 1024 * 1024  # one download
    url_redirects: int = 5
    attachment_bytes: int = 20 * 1024 * 1024  # one attachment (Gemini's inline request limit)
    pdf_pages: int = 2000


DEFAULT = Limits()


def human(n: int) -> str:
    """Bytes as people read them: 20 MB, 512 KB."""
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            value = n / size
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{n} bytes"
