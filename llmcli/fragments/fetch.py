"""Downloading a -f URL with httpx: bounded in time (connect and read timeouts, and a deadline
for the whole body, so a server that drips bytes cannot hold the process) and in size (the
body is streamed and cut at the cap; a Content-Length over it is refused before reading)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from llmcli.core.errors import FetchFailed
from llmcli.fragments.limits import DEFAULT, Limits, human

USER_AGENT = "llmcli (fragment fetch)"


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    data: bytes
    content_type: str | None


@dataclass(frozen=True)
class Timeouts:
    connect: float = 10.0
    read: float = 20.0
    deadline: float = 60.0  # the whole download, redirects included

    @classmethod
    def from_read(cls, read: float | None) -> Timeouts:
        """Timeouts for --timeout SECONDS (the wait for bytes); the deadline is three times it."""
        if read is None:
            return cls()
        return cls(connect=min(10.0, read), read=read, deadline=3 * read)


def fetch(url: str, *, timeouts: Timeouts = Timeouts(), limits: Limits = DEFAULT,
          clock: Callable[[], float] = time.monotonic) -> Fetched:
    """The body of `url` (http or https), following up to `limits.url_redirects` redirects."""
    import httpx

    start = clock()
    try:
        with httpx.Client(
            follow_redirects=True,
            max_redirects=limits.url_redirects,
            timeout=httpx.Timeout(timeouts.read, connect=timeouts.connect),
            headers={"user-agent": USER_AGENT},
        ) as client, client.stream("GET", url) as resp:
            if resp.status_code >= 400:
                raise FetchFailed(f"{url}: HTTP {resp.status_code} {resp.reason_phrase}",
                                  hint="check the URL, or save the page and pass the file")
            declared = resp.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > limits.url_bytes:
                raise _too_large(url, limits, f"{human(int(declared))} declared")
            chunks: list[bytes] = []
            got = 0
            for chunk in resp.iter_bytes():
                got += len(chunk)
                if got > limits.url_bytes:
                    raise _too_large(url, limits, "more")
                chunks.append(chunk)
                if clock() - start > timeouts.deadline:
                    raise FetchFailed(
                        f"{url}: the download took longer than {timeouts.deadline:g} s",
                        hint="try again, raise --timeout, or save the page and pass the file")
            return Fetched(str(resp.url), b"".join(chunks), resp.headers.get("content-type"))
    except FetchFailed:
        raise
    except httpx.TooManyRedirects:
        raise FetchFailed(f"{url}: more than {limits.url_redirects} redirects",
                          hint="pass the final URL") from None
    except httpx.TimeoutException as exc:
        what = "connecting" if isinstance(exc, httpx.ConnectTimeout) else "waiting for data"
        limit = timeouts.connect if isinstance(exc, httpx.ConnectTimeout) else timeouts.read
        raise FetchFailed(f"{url}: timed out {what} (after {limit:g} s)",
                          hint="try again, or raise --timeout") from None
    except httpx.UnsupportedProtocol:
        raise FetchFailed(f"{url}: only http and https URLs can be fetched",
                          hint="save it and pass the file") from None
    except (httpx.HTTPError, OSError) as exc:
        raise FetchFailed(f"{url}: could not be fetched ({type(exc).__name__}: {exc})",
                          hint="check the address and your connection") from None


def _too_large(url: str, limits: Limits, got: str) -> FetchFailed:
    return FetchFailed(f"{url}: the response is larger than {human(limits.url_bytes)} ({got})",
                       hint="save the part you need and pass the file")


def charset(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header, if any."""
    for param in (content_type or "").split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"')
    return None
