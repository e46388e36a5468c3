"""A loopback web server for -f URL tests: pages, a PDF, redirects, a server that never answers,
one that drips bytes, an oversized body (declared or not), an error status. Every request is
recorded (path) so tests can tell what was fetched."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class WebStub:
    """`pages[path] = (status, content_type, body)`; the special routes are built in."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[int, str, bytes]] = {}
        self.requests: list[str] = []
        self.big_size = 0  # /big sends this many bytes without a Content-Length
        self.declared_size = 0  # /declared says this Content-Length (and sends a little)
        self.stop_event = threading.Event()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                stub.requests.append(self.path)
                stub.serve(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> WebStub:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop_event.set()
        self.server.shutdown()
        self.server.server_close()

    def serve(self, h: BaseHTTPRequestHandler) -> None:
        path = h.path
        if path in self.pages:
            status, ctype, body = self.pages[path]
            self._send(h, status, body, ctype)
        elif path.startswith("/redirect/"):  # /redirect/N/target: N hops, then target
            _, _, n, target = path.split("/", 3)
            where = f"/redirect/{int(n) - 1}/{target}" if int(n) > 1 else f"/{target}"
            h.send_response(302)
            h.send_header("Location", where)
            h.send_header("Content-Length", "0")
            h.end_headers()
        elif path == "/hang":  # accept, then never answer
            self.stop_event.wait(30)
        elif path == "/drip":  # headers at once, then a byte every 0.05 s, for a long time
            h.send_response(200)
            h.send_header("Content-Type", "text/plain")
            h.send_header("Transfer-Encoding", "chunked")
            h.end_headers()
            for _ in range(2000):
                if self.stop_event.wait(0.05):
                    return
                try:
                    h.wfile.write(b"1\r\na\r\n")
                    h.wfile.flush()
                except OSError:
                    return
        elif path == "/big":
            h.send_response(200)
            h.send_header("Content-Type", "text/plain")
            h.send_header("Connection", "close")
            h.end_headers()
            block = b"x" * 65536
            sent = 0
            try:
                while sent < self.big_size:
                    h.wfile.write(block)
                    sent += len(block)
            except OSError:
                pass
            h.close_connection = True
        elif path == "/declared":
            h.send_response(200)
            h.send_header("Content-Type", "text/plain")
            h.send_header("Content-Length", str(self.declared_size))
            h.end_headers()
            try:
                h.wfile.write(b"x" * 10)
            except OSError:
                pass
            h.close_connection = True
        else:
            self._send(h, 404, b"<h1>Not Found</h1>", "text/html")

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
