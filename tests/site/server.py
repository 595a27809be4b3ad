"""Serves a `Site` over real HTTP/1.1 (keep-alive, Content-Length, ETag) from a daemon thread.

A companion server on another port plays the site's CDN (`{cdn}` in pages): another origin to a
crawler, serving the same pages.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from .model import Site

logger = logging.getLogger(__name__)

RequestLog = list[tuple[str, str, dict[str, str]]]


def _handler_for(site: Site, requests: RequestLog, lock: threading.Lock,
                 cdn: list[str]) -> type[BaseHTTPRequestHandler]:
    """A handler class bound to one site and one request log (no state shared between servers)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def version_string(self) -> str:
            return "nginx"

        def do_GET(self) -> None:
            self._respond(send_body=True)

        def do_HEAD(self) -> None:
            self._respond(send_body=False)

        def _respond(self, send_body: bool) -> None:
            with lock:
                requests.append((self.command, self.path, dict(self.headers.items())))
            host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
            page = site.lookup(self.path)
            headers, body = page.render(f"http://{host}", cdn[0] if cdn else None)
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            if page.status == 200 and page.etag and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(page.status)
            for name, value in headers:
                self.send_header(name, value)
            if page.status == 200 and page.etag:
                self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if send_body:
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
            logger.debug("%s " + format, self.address_string(), *args)

    return Handler


class SiteServer:
    """A running server; use as a context manager or call `close()`."""

    def __init__(self, site: Site, host: str = "127.0.0.1", port: int = 0) -> None:
        self.requests: RequestLog = []
        self.cdn_requests: RequestLog = []
        self._lock = threading.Lock()
        cdn: list[str] = []
        self._httpd = ThreadingHTTPServer((host, port), _handler_for(site, self.requests, self._lock, cdn))
        self._cdn = ThreadingHTTPServer((host, 0), _handler_for(site, self.cdn_requests, self._lock, cdn))
        self.base_url = _origin(self._httpd)
        self.cdn_url = _origin(self._cdn)
        cdn.append(self.cdn_url)
        self._threads = []
        for name, httpd in (("newsarchive-site", self._httpd), ("newsarchive-cdn", self._cdn)):
            httpd.daemon_threads = True
            thread = threading.Thread(target=httpd.serve_forever, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        logger.info("serving test site at %s (CDN at %s)", self.base_url, self.cdn_url)

    def close(self) -> None:
        """Stop serving and release the ports."""
        for httpd in (self._httpd, self._cdn):
            httpd.shutdown()
            httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> SiteServer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _origin(httpd: ThreadingHTTPServer) -> str:
    host, port = httpd.server_address[:2]
    return f"http://{host}:{port}"


def serve(site: Site, host: str = "127.0.0.1", port: int = 0) -> SiteServer:
    """Start serving `site` on host:port (0 picks a free port); returns the running server."""
    return SiteServer(site, host, port)
