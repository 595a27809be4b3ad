"""A news site that misbehaves on purpose, served over real HTTP on 127.0.0.1.

Crawled with `tests/hostile/hostile.toml`. Six good articles sit behind everything a hostile or
broken site does: malformed links in the navigation, endless pagination (query and path style),
an endless calendar, an endless link chain, redirects and links to another host name and another
port, a `br` body nobody asked for, a gzip bomb, a truncated gzip body, a 429 with Retry-After,
`noarchive` pages, terminal escapes in a title, and (on request) a page that never finishes.
"""

from __future__ import annotations

import gzip
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

PROFILE = Path(__file__).with_name("hostile.toml")
# trap limits low enough that a crawl of the site takes seconds (the defaults allow ~1,300 pages)
LIMITS = ("ARCHIVE_MAX_LISTING_PAGES=10", "ARCHIVE_MAX_URLS_PER_PATTERN=15", "DEPTH_LIMIT=30",
          "ARCHIVE_MAX_FAILED_RATIO=0.5")
GOOD_ARTICLES = tuple(f"/article/a{number}" for number in range(1, 7))
BOMB_DECODED = 100 * 1024 * 1024  # bytes of zeros behind /article/bomb: past DOWNLOAD_MAXSIZE and show's cap
ESCAPE_TITLE = "Harmless \x1b]0;pwned\x07\x1b[2J title"
MALFORMED_HREFS = ("http://127.0.0.1:99999/article/bad-port", "http://[::1/article/bad-ipv6")


def _zeros_gzip(size: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = b"\0" * (1 << 20)
    parts = [compressor.compress(chunk) for _ in range(size // len(chunk))]
    return b"".join(parts) + compressor.flush()


_BOMB = _zeros_gzip(BOMB_DECODED)


def article_html(path: str, title: str, *, head: str = "") -> bytes:
    others = "".join(f'<li><a href="{other}">Story {other[-2:]}</a></li>' for other in GOOD_ARTICLES if other != path)
    words = " ".join(f"word{number}" for number in range(120))
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>{head}</head><body>"
        f"<article><h1>{title}</h1><time datetime='2026-11-01T10:00:00Z'>1 November 2026</time>"
        f"<div class='body'><p>{words}.</p><p>The second paragraph of {path}.</p></div></article>"
        f"<section class='similar'><h2>Similar stories</h2><ul>{others}</ul></section>"
        "</body></html>"
    ).encode()


def _page(links: list[str], title: str = "Listing") -> bytes:
    anchors = " ".join(f'<a href="{href}">{href}</a>' for href in links)
    return f"<!doctype html><html><head><title>{title}</title></head><body>{anchors}</body></html>".encode()


@dataclass
class Hit:
    path: str
    host: str
    at: float


@dataclass
class HostileSite:
    """What the server saw; `other_port` is a second server the crawl must never reach."""

    base_url: str = ""
    other_port: int = 0
    slow_page: bool = False
    huge_page: bool = False
    hits: list[Hit] = field(default_factory=list)
    other_port_hits: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def paths(self) -> list[str]:
        with self.lock:
            return [hit.path for hit in self.hits]

    def route(self, path: str, query: dict[str, list[str]], host: str) -> tuple[int, list[tuple[str, str]], bytes]:
        html = [("Content-Type", "text/html; charset=utf-8")]
        port = urlsplit(self.base_url).port
        if path == "/":
            links = [*MALFORMED_HREFS, GOOD_ARTICLES[0], "/news", "/more", "/calendar/2026/11", "/chain/a",
                     "/redirect-away", "/redirect-port", f"http://127.0.0.1:{self.other_port}/article/other-port",
                     f"http://localhost:{port}/article/other-host", "/article/brotli", "/article/bomb",
                     "/article/truncated", "/article/limited", "/article/noarchive", "/article/xrobots",
                     "/article/escape", *(["/article/slow"] if self.slow_page else []),
                     *(["/article/huge"] if self.huge_page else [])]
            return 200, html, _page(links, "Home")
        if path == "/news":  # ?page=N forever; the first page lists articles
            number = int((query.get("page") or ["0"])[0])
            links = [f"/news?page={number + 1}"] + (list(GOOD_ARTICLES[1:3]) if number == 0 else [])
            return 200, html, _page(links)
        if path == "/more" or path.startswith("/more/"):  # path-style pagination forever
            number = int(path.rsplit("/", 1)[1]) if path.startswith("/more/") else 1
            links = [f"/more/{number + 1}"] + ([GOOD_ARTICLES[3]] if number == 1 else [])
            return 200, html, _page(links)
        if path.startswith("/calendar/"):  # every month links the next and the previous, forever
            year, month = (int(part) for part in path.split("/")[2:4])
            after = (year + month // 12, month % 12 + 1)
            before = (year - (month == 1), (month - 2) % 12 + 1)
            return 200, html, _page([f"/calendar/{after[0]}/{after[1]:02d}", f"/calendar/{before[0]}/{before[1]:02d}"])
        if path.startswith("/chain/"):  # a new link on every page, never a repeated pattern
            letters = path.rsplit("/", 1)[1]
            return 200, html, _page([f"/chain/{letters}{'ab'[len(letters) % 2]}"] + ([GOOD_ARTICLES[4]] if letters == "a" else []))
        if path == "/redirect-away":
            return 302, [("Location", f"http://localhost:{port}/article/elsewhere")], b""
        if path == "/redirect-port":
            return 302, [("Location", f"http://127.0.0.1:{self.other_port}/article/elsewhere")], b""
        if path in GOOD_ARTICLES:
            return 200, html, article_html(path, f"Good story {path[-2:]}")
        if path == "/article/brotli":  # Content-Encoding we never asked for
            return 200, [*html, ("Content-Encoding", "br")], _brotli(article_html(path, "Brotli story"))
        if path == "/article/bomb":
            return 200, [*html, ("Content-Encoding", "gzip")], _BOMB
        if path == "/article/truncated":
            whole = gzip.compress(article_html(path, "Truncated story"))
            return 200, [*html, ("Content-Encoding", "gzip")], whole[: len(whole) // 2]
        if path == "/article/limited":  # rate-limited on the first visit
            first = self.paths().count(path) == 1
            if first:
                return 429, [*html, ("Retry-After", "2")], b"slow down"
            return 200, html, article_html(path, "Rate limited story")
        if path == "/article/noarchive":
            return 200, html, article_html(path, "Noarchive story", head='<meta name="robots" content="noarchive, nofollow-x">')
        if path == "/article/xrobots":
            return 200, [*html, ("X-Robots-Tag", "noarchive")], article_html(path, "X-Robots story")
        if path == "/article/escape":
            return 200, html, article_html(path, ESCAPE_TITLE)
        if path == "/article/huge":  # seconds of extraction: a window to kill the crawl in
            return 200, html, _HUGE
        if path == "/article/slow":
            time.sleep(60)
            return 200, html, article_html(path, "Slow story")
        return 404, html, b"not found"


_HUGE = article_html("/article/huge", "Huge story").replace(
    b"<p>The second", b"<p>" + b"</p><p>".join(b"Lorem ipsum dolor sit amet, paragraph %d." % n for n in range(100_000))
    + b"</p><p>The second")


def _brotli(body: bytes) -> bytes:
    try:
        import brotli

        return brotli.compress(body)
    except Exception:  # no usable brotli here: the crawler must not read it either way
        return b"\x1b\x03\x00\xf8" + body


def _handler(site: HostileSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            with site.lock:
                site.hits.append(Hit(self.path, self.headers.get("Host", ""), time.monotonic()))
            if parts.path == "/robots.txt":
                status, headers, body = 200, [("Content-Type", "text/plain")], b"User-agent: *\nDisallow:\n"
            else:
                status, headers, body = site.route(parts.path, parse_qs(parts.query), self.headers.get("Host", ""))
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
            pass

    return Handler


def _other_handler(site: HostileSite) -> type[BaseHTTPRequestHandler]:
    class Other(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            site.other_port_hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"no")

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
            pass

    return Other


@contextmanager
def serve_hostile(slow_page: bool = False, huge_page: bool = False) -> Iterator[HostileSite]:
    """The hostile site and the other-port server, both on 127.0.0.1, for the duration of the block."""
    site = HostileSite(slow_page=slow_page, huge_page=huge_page)
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), _other_handler(site))]
    site.other_port = servers[0].server_address[1]
    servers.append(ThreadingHTTPServer(("127.0.0.1", 0), _handler(site)))
    site.base_url = "http://127.0.0.1:%d" % servers[1].server_address[1]
    threads = []
    for server in servers:
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        threads.append(thread)
    try:
        yield site
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
