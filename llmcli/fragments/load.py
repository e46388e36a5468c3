"""-f and --sf: each spec (a file, a folder, a glob, an http(s) URL, '-' for stdin) read as one
or more labelled `Fragment`s, deduplicated by text, within the caps of limits.py."""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Literal

from llmcli.core.errors import InvalidInput
from llmcli.core.fragments import Fragment, dedupe
from llmcli.fragments.extract import decode, to_text
from llmcli.fragments.fetch import Timeouts, charset, fetch
from llmcli.fragments.limits import DEFAULT, Limits, human

GLOB_CHARS = "*?["


@dataclass
class Loader:
    """Reads fragment specs. `stdin` is read at most once (by '-'); `skipped` collects the
    files of a folder or glob that were left out (binary, not UTF-8) for one warning line."""

    stdin: BinaryIO | None = None
    limits: Limits = DEFAULT
    timeouts: Timeouts = field(default_factory=Timeouts)
    fetcher: Callable[..., object] = fetch
    skipped: list[str] = field(default_factory=list)
    _chars: int = 0
    _stdin_used: bool = False

    def load(self, specs: Iterable[str],
             role: Literal["user", "system"] = "user") -> list[Fragment]:
        """The fragments of every spec, in order, each distinct text once."""
        out: list[Fragment] = []
        for spec in specs:
            for source, text in self._read(spec):
                self._chars += len(text)
                if self._chars > self.limits.total_chars:
                    raise InvalidInput(
                        f"the fragments add up to more than {self.limits.total_chars:,} "
                        f"characters (at {source})", hint="give fewer or smaller files")
                out.append(Fragment(source=source, text=text, role=role))
        return dedupe(out)

    # -- one spec --------------------------------------------------------------------------
    def _read(self, spec: str) -> Iterator[tuple[str, str]]:
        if not spec:
            raise InvalidInput("-f needs a file, folder, glob, URL or '-'")
        if spec == "-":
            yield "stdin", self._stdin()
        elif spec.startswith(("http://", "https://")):
            yield self._url(spec)
        elif Path(spec).is_dir():
            yield from self._many(spec, _walk(Path(spec)), f"folder {spec}")
        elif Path(spec).is_file():
            yield spec, self._file(Path(spec))
        elif any(c in spec for c in GLOB_CHARS):
            matches = (Path(p) for p in glob.iglob(spec, recursive=True))
            yield from self._many(spec, (p for p in matches if p.is_file()), f"glob {spec}",
                                  must_match=True)
        else:
            raise InvalidInput(f"-f {spec}: no such file or folder",
                               hint="give a path, a glob in quotes ('src/*.py'), a URL or -")

    def _many(self, spec: str, paths: Iterable[Path], what: str,
              must_match: bool = False) -> Iterator[tuple[str, str]]:
        found = []
        for path in paths:
            found.append(path)
            if len(found) > self.limits.folder_files:
                raise InvalidInput(f"-f {spec}: the {what} has more than "
                                   f"{self.limits.folder_files:,} files",
                                   hint="narrow it with a glob ('src/**/*.py')")
        if must_match and not found:
            raise InvalidInput(f"-f {spec}: no file matches", hint="check the pattern")
        for path in sorted(found):
            try:
                yield str(path), self._file(path)
            except InvalidInput:
                # A folder holds what it holds: binaries and other encodings are left out
                # (named in one warning), not the end of the command.
                self.skipped.append(str(path))

    def _file(self, path: Path) -> str:
        try:
            size = path.stat().st_size
            if size > self.limits.file_bytes:
                raise InvalidInput(f"{path}: {human(size)} is more than the "
                                   f"{human(self.limits.file_bytes)} a fragment may be",
                                   hint="pass the part you need")
            with path.open("rb") as fh:  # a file that grows while read is still cut at the cap
                data = fh.read(self.limits.file_bytes + 1)
        except OSError as exc:
            raise InvalidInput(f"-f {path}: {exc.strerror or exc}") from None
        if len(data) > self.limits.file_bytes:
            raise InvalidInput(f"{path}: more than {human(self.limits.file_bytes)}")
        return to_text(data, str(path), limits=self.limits)

    def _stdin(self) -> str:
        data = self.read_stdin("-f -")
        return decode(data, "stdin")

    def read_stdin(self, flag: str) -> bytes:
        """All of stdin (bounded), once: a second '-' (as -f - and -a - together) is refused."""
        if self._stdin_used:
            raise InvalidInput(f"{flag}: stdin was already read by another '-'",
                               hint="give at most one of -f - and -a -")
        if self.stdin is None:
            raise InvalidInput(f"{flag}: nothing is piped on stdin",
                               hint="pipe something: cat notes.md | llmcli prompt -f - ...")
        self._stdin_used = True
        cap = max(self.limits.file_bytes, self.limits.attachment_bytes)
        data = self.stdin.read(cap + 1)
        if len(data) > cap:
            raise InvalidInput(f"{flag}: stdin holds more than {human(cap)}",
                               hint="pass the part you need")
        return data

    @property
    def stdin_used(self) -> bool:
        return self._stdin_used

    def _url(self, url: str) -> tuple[str, str]:
        got = self.fetcher(url, timeouts=self.timeouts, limits=self.limits)
        data, ctype = got.data, got.content_type  # type: ignore[attr-defined]
        enc = charset(ctype)
        if enc and enc.lower().replace("_", "-") not in ("utf-8", "utf8"):
            try:
                data = data.decode(enc).encode("utf-8")
            except (LookupError, UnicodeDecodeError):
                pass  # to_text says it is not UTF-8
        return url, to_text(data, url, content_type=ctype, limits=self.limits)


def _walk(root: Path) -> Iterator[Path]:
    """Files under `root`, hidden files and folders (.git, .venv) left out, never following
    links to folders (a loop cannot make it endless)."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                yield Path(dirpath) / name
