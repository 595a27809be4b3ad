"""Serve the archive through pywb on 127.0.0.1, with our own list of articles at `/`.

Layout under the data directory (nothing is copied: pywb reads the WARC files where they are):

    DATA_DIR/replay/config.yaml                               pywb config, rewritten at each start
    DATA_DIR/replay/collections/newsarchive/indexes/*.cdxj    one sorted CDXJ index per WARC file

`update_index` (re)indexes only the WARC files that are new or changed since their index was
written, and drops the index of a WARC file that is gone. Files still being written (`*.open`) are
left out until they are closed and renamed. A revisit record's line points at its original response
(`archive.replay.index`), so pywb replays the original payload at the revisit's date, a 304 too.

Two servers, two origins: the archived pages (pywb) on one port and our front page on another, so
an archived page's scripts never run on the front page's origin (they cannot read it, its storage
or its cookies). pywb runs on gevent, and importing pywb's app monkey-patches the process
(`gevent.monkey.patch_all`), so the servers are meant for a process of their own (`newsarchive
replay`); nothing else in `archive/` imports pywb's apps.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archive.errors import ArchiveError, WarcDirectoryNotFound
from archive.layout import DataLayout
from archive.replay.index import RevisitResolver, parse_line

logger = logging.getLogger(__name__)
access_logger = logging.getLogger("archive.replay.access")

COLLECTION = "newsarchive"
INDEX_SUFFIX = ".cdxj"
# bumped when the lines change meaning, so indexes written by an older version are rebuilt
INDEX_FORMAT = "2"  # 2: revisits point at their originals (archive.replay.index)
# What replay may serve for a URL. Our article `metadata` records share the response's URL and
# WARC-Date, so indexed they would be served instead of the page: they stay in the WARC files,
# out of the replay index.
REPLAY_RECORDS = "response,revisit,resource"

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class ReplayError(ArchiveError):
    """The replay index could not be built or the server could not start."""


@dataclass(frozen=True, slots=True)
class ReplayLayout:
    """Where replay keeps its index and config for one data directory."""

    warc_dir: Path
    root: Path  # DATA_DIR/replay

    @classmethod
    def of(cls, layout: DataLayout) -> ReplayLayout:
        return cls(layout.warc_dir.resolve(), layout.replay_dir.resolve())

    @property
    def collections_dir(self) -> Path:
        return self.root / "collections"

    @property
    def index_dir(self) -> Path:
        return self.collections_dir / COLLECTION / "indexes"

    @property
    def format_file(self) -> Path:
        return self.root / "index-format"

    @property
    def config_file(self) -> Path:
        return self.root / "config.yaml"


@dataclass(frozen=True, slots=True)
class IndexUpdate:
    """What `update_index` did."""

    indexed: tuple[str, ...]  # WARC files (re)indexed
    unchanged: int
    removed: tuple[str, ...]  # indexes dropped because their WARC file is gone

    def __str__(self) -> str:
        return (
            f"replay index: {len(self.indexed)} WARC files indexed, {self.unchanged} unchanged, "
            f"{len(self.removed)} removed"
        )


def replay_path(captured_at: str, url: str, collection: str = COLLECTION) -> str:
    """The replay address of a capture: `/<collection>/<14-digit timestamp>/<url>`."""
    digits = "".join(ch for ch in captured_at if ch.isdigit())[:14]
    return f"/{collection}/{digits}/{url}"


def update_index(layout: ReplayLayout) -> IndexUpdate:
    """Bring the CDXJ indexes in `layout.index_dir` in step with the closed WARC files.

    Every WARC file's lines pass through one `RevisitResolver` in name (capture) order, so a
    revisit's line points at its original even when the original is in an older, unchanged file.
    """
    if not layout.warc_dir.is_dir():
        raise WarcDirectoryNotFound(str(layout.warc_dir))
    layout.index_dir.mkdir(parents=True, exist_ok=True)
    current_format = layout.format_file.exists() and layout.format_file.read_text().strip() == INDEX_FORMAT
    warcs = {path.name: path for path in sorted(layout.warc_dir.glob("*.warc.gz"))}
    resolver = RevisitResolver(keep_own_record=True)
    indexed, unchanged = [], 0
    for name, warc in warcs.items():
        index = layout.index_dir / (name + INDEX_SUFFIX)
        if current_format and index.exists() and index.stat().st_mtime_ns >= warc.stat().st_mtime_ns:
            _learn_originals(index, resolver)
            unchanged += 1
            continue
        _index_warc(warc, index, resolver)
        indexed.append(name)
        logger.info("Indexed %s for replay", name)
    layout.format_file.write_text(INDEX_FORMAT + "\n", encoding="utf-8")
    removed = []
    for index in layout.index_dir.glob("*" + INDEX_SUFFIX):
        if index.name[: -len(INDEX_SUFFIX)] not in warcs:
            index.unlink()
            removed.append(index.name)
    if resolver.unresolved:
        logger.warning("%d revisit records have no original in the archive; replay shows them as recorded",
                       resolver.unresolved)
    return IndexUpdate(tuple(indexed), unchanged, tuple(removed))


def _index_warc(warc: Path, index: Path, resolver: RevisitResolver) -> None:
    from cdxj_indexer import CDXJIndexer

    class ResolvingIndexer(CDXJIndexer):  # type: ignore[misc]
        def _do_write(self, urlkey: str, ts: str, entry: dict[str, Any], out: Any) -> None:
            super()._do_write(urlkey, ts, resolver.resolve(urlkey, ts, entry), out)

    partial = index.with_name(index.name + ".part")
    try:
        with partial.open("w", encoding="utf-8") as out:
            # the filename field is the name inside the WARC directory, which pywb's
            # archive_paths then resolves; sorted, so pywb can binary-search it
            ResolvingIndexer(out, [str(warc)], sort=True, filename=warc.name, records=REPLAY_RECORDS).process_all()
    except Exception as exc:  # cdxj-indexer raises whatever warcio raises on a bad file
        partial.unlink(missing_ok=True)
        raise ReplayError(f"could not index {warc}: {exc}") from exc
    partial.replace(index)


def _learn_originals(index: Path, resolver: RevisitResolver) -> None:
    """Feed an unchanged file's lines to the resolver in record order (they are stored sorted)."""
    with index.open(encoding="utf-8") as lines:
        entries = [parse_line(line) for line in lines if line.strip()]
    entries.sort(key=lambda entry: int(entry[2].get("offset", 0)))
    for urlkey, timestamp, fields in entries:
        resolver.resolve(urlkey, timestamp, fields)


def pywb_config(layout: ReplayLayout) -> dict[str, Any]:
    """pywb's configuration: one fixed collection reading the WARC directory in place."""
    return {
        "collections_root": str(layout.collections_dir),
        "enable_auto_colls": False,  # never pick up collections from the working directory
        "collections": {
            COLLECTION: {
                "index_paths": str(layout.index_dir) + os.sep,
                "archive_paths": str(layout.warc_dir) + os.sep,
            }
        },
        # the capture itself at /newsarchive/<ts>/<url>, with pywb's banner, not inside a frame
        "framed_replay": False,
        "enable_memento": True,
    }


def write_pywb_config(layout: ReplayLayout) -> Path:
    """Write the config as YAML too, so `wayback` (pywb's own server) can be run on it by hand."""
    import yaml

    layout.root.mkdir(parents=True, exist_ok=True)
    layout.config_file.write_text(
        "# Written by `newsarchive replay`; rewritten at each start.\n"
        + yaml.safe_dump(pywb_config(layout), sort_keys=False),
        encoding="utf-8",
    )
    return layout.config_file


def make_archive_app(layout: ReplayLayout) -> WsgiApp:
    """pywb alone: the archived pages, served on an origin of their own (see `serve_replay`)."""
    from pywb.apps.frontendapp import FrontEndApp  # monkey-patches the process for gevent

    config_file = write_pywb_config(layout)
    pywb = FrontEndApp(config_file=str(config_file))
    _load_revisits_with_original_headers(pywb)
    return pywb


def front_page_only(front_page: WsgiApp) -> WsgiApp:
    """The front page at `/`; anything else on its origin is a 404 (archived pages live elsewhere)."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "/") in ("", "/"):
            return front_page(environ, start_response)
        body = b"Not found: archived pages are served on the archive's own port.\n"
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8"),
                                         ("Content-Length", str(len(body)))])
        return [body]

    return app


def _load_revisits_with_original_headers(pywb: Any) -> None:
    """Give the collection's WARC loader our `RevisitLoader` (pywb builds its own at start)."""
    from pywb.warcserver.resource.resolvingloader import ResolvingLoader

    class RevisitLoader(ResolvingLoader):  # type: ignore[misc]
        """pywb's loader, except that a 304 revisit replays its original's status and headers.

        pywb loads a resolved revisit's headers from the revisit record and its payload from
        `orig.*`; a 304's headers would replay an empty page, so the original's are used, while the
        record's date stays the revisit's (pywb takes it from the headers record).
        """

        def load_headers_and_payload(self, cdx: Any, failed_files: Any, cdx_loader: Any) -> Any:
            headers, payload = super().load_headers_and_payload(cdx, failed_files, cdx_loader)
            if (headers is not None and payload is not None and headers is not payload
                    and headers.rec_type == "revisit" and headers.http_headers is not None
                    and headers.http_headers.get_statuscode() == "304"):
                headers.http_headers = payload.http_headers
            return headers, payload

    for loader in pywb.warcserver.fixed_routes[COLLECTION].resource_loaders:
        if hasattr(loader, "resolve_loader"):  # the WARCPathLoader
            loader.resolve_loader = RevisitLoader(loader.resolvers, no_record_parse=False)


@dataclass(slots=True)
class ReplayServer:
    """A bound server; `url` is known before it starts serving."""

    server: Any  # gevent.pywsgi.WSGIServer
    url: str

    def start(self) -> None:
        """Serve in the background (a greenlet of this process)."""
        self.server.start()

    def serve_forever(self) -> None:
        try:
            self.server.serve_forever()
        finally:
            self.server.stop()

    def stop(self) -> None:
        self.server.stop()


def start_server(app: WsgiApp, host: str, port: int) -> ReplayServer:
    """Bind `host:port` (0: any free port) and return the server, not yet serving."""
    from gevent.pywsgi import WSGIServer
    from pywb.utils.geventserver import RequestURIWSGIHandler

    server = WSGIServer(
        (host, port), app, handler_class=RequestURIWSGIHandler, log=_AccessLog(), error_log=_AccessLog()
    )
    try:
        server.init_socket()
    except OSError as exc:
        raise ReplayError(f"cannot listen on {host}:{port}: {exc.strerror or exc}: choose another port") from exc
    bound_host, bound_port = server.address[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    return ReplayServer(server, f"http://{shown}:{bound_port}/")


@dataclass(slots=True)
class ReplayServers:
    """The front page and the archive, each on its own port (its own origin)."""

    front: ReplayServer
    archive: ReplayServer

    def serve_forever(self) -> None:
        self.archive.start()
        try:
            self.front.serve_forever()
        finally:
            self.archive.stop()


def start_servers(layout: ReplayLayout, front_page: Callable[[str, Callable[..., Any]], WsgiApp],
                  host: str, port: int, archive_port: int) -> ReplayServers:
    """Bind the archive (pywb) and the front page; `front_page(archive_url, run_blocking)` builds
    the front page's app once the archive's URL is known, with a thread-pool runner for its work."""
    archive = start_server(make_archive_app(layout), host, archive_port)
    front = start_server(front_page_only(front_page(archive.url, thread_pool_runner())), host, port)
    return ReplayServers(front, archive)


def thread_pool_runner() -> Callable[..., Any]:
    """`run(function, *args)` in gevent's thread pool: a slow database query (SQLite runs without
    the GIL) then holds up only its own request, never the server's other greenlets."""
    from gevent import get_hub

    pool = get_hub().threadpool

    def run(function: Callable[..., Any], *args: Any) -> Any:
        return pool.apply(function, args)

    return run


class _AccessLog:
    """gevent writes access and error lines to a file-like object; send them to logging instead."""

    def write(self, line: str) -> None:
        if line.strip():
            access_logger.info("%s", line.rstrip())
