"""A scriptable loopback HTTP server that records every request: the base of the provider stubs.

Each provider stub subclasses `StubServer`, maps a request to a route name ('chat', 'models',
'embeddings', ...) and builds the default reply for it. Tests script exceptions per route:

    stub.script("chat", stub.rate_limited(retry_after_ms=50), stub.rate_limited())  # then default
    stub.fail_times("chat", 2, stub.server_error(503))
    stub.script("chat", Hang())                # accept the request, never answer
    stub.script("chat", stub.stream(drop_after=2))   # stream that stops halfway

Replies are `Reply` (a whole body), `SSE` (a stream of events, ended right after the last one),
`Hang` or `Drop`; a callable `(Recorded) -> reply` is also accepted.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

# -- what was received --------------------------------------------------------------------------


class Headers(dict):
    """Request headers looked up without regard to case (SDKs differ: httpx2 lower-cases)."""

    def __init__(self, pairs: Iterable[tuple[str, str]]):
        pairs = list(pairs)
        super().__init__((k.lower(), v) for k, v in pairs)
        self.raw = pairs  # as sent, with the sender's capitalisation

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(key.lower(), default)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())


@dataclass
class Recorded:
    """One request as the stub received it."""

    method: str
    path: str  # path with query string, as on the request line (origin form)
    headers: Headers
    raw_body: bytes
    body: Any  # parsed JSON, or None
    route: str | None = None
    proxied: bool = False  # the request line had an absolute URL: it came through as a proxy
    target: str = ""  # the raw request-line target
    at: float = 0.0

    @property
    def route_path(self) -> str:
        return urlsplit(self.path).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.path).query)


# -- what to send -------------------------------------------------------------------------------


@dataclass
class Reply:
    """A whole response. dict/list bodies go out as JSON, str/bytes as they are."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None
    delay: float = 0.0


@dataclass
class SSE:
    """A server-sent-events stream, chunked, and ended right after the last event.

    `drop_after=N` sends N events then closes the connection mid-body (a broken stream);
    `stall_after=N` sends N events then goes silent (until `stall_seconds` or the stub stops).
    """

    events: list[bytes] = field(default_factory=list)
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    chunk_delay: float = 0.0
    drop_after: int | None = None
    stall_after: int | None = None
    stall_seconds: float = 60.0


@dataclass
class Hang:
    """Read the request, then send nothing (until `seconds` pass or the stub stops)."""

    seconds: float = 60.0


@dataclass
class Drop:
    """Read the request, then close the connection without a response."""


AnyReply = Reply | SSE | Hang | Drop | Callable[[Recorded], Any]


def sse_event(data: Any, line_end: str = "\n") -> bytes:
    """`data: <json>` and a blank line; a str is sent as is (e.g. '[DONE]')."""
    text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    return f"data: {text}{line_end}{line_end}".encode()


# -- the server ---------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _any(self) -> None:
        self.server.stub._serve(self)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_CONNECT = _any


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # The listen() backlog. With the default 5, batch or compare opening 16 connections at once
    # overflow it: Linux drops the extra SYNs, so those clients stall on a 1 s SYN retransmit.
    request_queue_size = 128
    stub: StubServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-reply (timeouts, cancelled streams) is expected here.
        import sys

        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            return
        self.stub.errors.append(exc)
        super().handle_error(request, client_address)


class StubServer:
    """Threaded HTTP/1.1 server on 127.0.0.1:0. Subclasses implement `route` and `default`."""

    name = "stub"

    def __init__(self, expected_key: str | None = "test-key-0123456789"):
        self.expected_key = expected_key
        self.requests: list[Recorded] = []
        self.errors: list[BaseException | None] = []  # unexpected failures inside the stub
        self._queues: dict[str, list[AnyReply]] = defaultdict(list)
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> StubServer:
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.stub = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()  # frees hanging and stalled handlers
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> StubServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "stub not started"
        return self._httpd.server_address[1]

    @property
    def host_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The base URL to give the SDK (subclasses add their path prefix)."""
        return self.host_url

    # -- scripting --------------------------------------------------------------------------------
    def script(self, route: str, *replies: AnyReply) -> None:
        """Queue replies for a route; once they are used up the default reply comes back."""
        with self._lock:
            self._queues[route].extend(replies)

    def fail_times(self, route: str, n: int, reply: AnyReply) -> None:
        """The next `n` requests on `route` get `reply`, then the default again."""
        self.script(route, *([reply] * n))

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._queues.clear()

    def requests_for(self, route: str) -> list[Recorded]:
        return [r for r in self.requests if r.route == route]

    @property
    def last(self) -> Recorded:
        return self.requests[-1]

    # -- for subclasses ---------------------------------------------------------------------------
    def route(self, req: Recorded) -> str | None:
        raise NotImplementedError

    def default(self, route: str, req: Recorded) -> AnyReply:
        raise NotImplementedError

    def check_auth(self, req: Recorded) -> AnyReply | None:
        """A reply refusing the request, or None to let it through."""
        return None

    # -- serving ----------------------------------------------------------------------------------
    def _serve(self, h: _Handler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        target = h.path
        proxied = target.startswith(("http://", "https://"))
        path = target
        if proxied:
            parts = urlsplit(target)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
        req = Recorded(
            method=h.command,
            path=path,
            headers=Headers(h.headers.items()),
            raw_body=raw,
            body=body,
            proxied=proxied,
            target=target,
            at=time.monotonic(),
        )
        req.route = self.route(req)
        with self._lock:
            self.requests.append(req)
            queue = self._queues.get(req.route or "") if req.route else None
            scripted = queue.pop(0) if queue else None
        if req.route is None:
            reply: Any = self.not_found(req)
        else:
            reply = scripted or self.check_auth(req) or self.default(req.route, req)
        while callable(reply) and not isinstance(reply, Reply | SSE | Hang | Drop):
            reply = reply(req)
        self._send(h, reply)

    def not_found(self, req: Recorded) -> Reply:
        return Reply(404, {"error": {"message": f"no route for {req.method} {req.path}"}})

    def _send(self, h: _Handler, reply: Any) -> None:
        if isinstance(reply, Hang):
            self._release.wait(reply.seconds)
            h.close_connection = True
            return
        if isinstance(reply, Drop):
            h.close_connection = True
            _hard_close(h)
            return
        if reply.delay:
            self._release.wait(reply.delay)
        if isinstance(reply, SSE):
            self._send_sse(h, reply)
            return
        body = reply.body
        ctype = reply.content_type
        if isinstance(body, dict | list):
            data = json.dumps(body).encode()
            ctype = ctype or "application/json"
        elif isinstance(body, str):
            data = body.encode()
            ctype = ctype or "text/plain; charset=utf-8"
        else:
            data = body or b""
            ctype = ctype or "application/octet-stream"
        h.send_response(reply.status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(data)))
        for k, v in reply.headers.items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)
        h.wfile.flush()

    def _send_sse(self, h: _Handler, s: SSE) -> None:
        h.send_response(s.status)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Transfer-Encoding", "chunked")
        h.send_header("Cache-Control", "no-cache")
        for k, v in s.headers.items():
            h.send_header(k, v)
        h.end_headers()
        events = s.events
        cut = s.drop_after if s.drop_after is not None else s.stall_after
        if cut is not None:
            events = events[:cut]
        try:
            if s.chunk_delay or cut is not None:
                for ev in events:
                    _chunk(h, ev)
                    h.wfile.flush()
                    if s.chunk_delay:
                        time.sleep(s.chunk_delay)
            else:
                # Zero latency: many events per write, so the client, not the stub, is the limit.
                blob = b"".join(events)
                for i in range(0, len(blob), 65536):
                    _chunk(h, blob[i : i + 65536])
                h.wfile.flush()
            if s.drop_after is not None:
                h.close_connection = True
                _hard_close(h)
                return
            if s.stall_after is not None:
                self._release.wait(s.stall_seconds)
                h.close_connection = True
                return
            h.wfile.write(b"0\r\n\r\n")  # end the body right after the last event
            h.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            h.close_connection = True


def _chunk(h: _Handler, data: bytes) -> None:
    if data:
        h.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))


def _hard_close(h: _Handler) -> None:
    try:
        h.wfile.flush()
        h.connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def words(messages: Iterable[str]) -> int:
    """A stand-in token count: whitespace-separated words."""
    return sum(len(m.split()) for m in messages)
