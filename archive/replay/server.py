"""Serve the archive through pywb on 127.0.0.1, with our own list of articles at `/`.

Layout under the data directory (nothing is copied: pywb reads the WARC files where they are):

    DATA_DIR/replay/config.yaml                               pywb config, rewritten at each start
    DATA_DIR/replay/collections/newsarchive/indexes/*.cdxj    one sorted CDXJ index per WARC file

`update_index` (re)indexes only the WARC files that are new or changed since their index was
written, and drops the index of a WARC file that is gone. Files still being written (`*.open`) are
left out until they are closed and renamed. Revisit records are indexed like any other; pywb
resolves them to their original payload when it replays them.

pywb runs on gevent, and importing pywb's app monkey-patches the process (`gevent.monkey.patch_all`),
so `serve` is meant for a process of its own (`newsarchive replay`); nothing else in `archive/`
imports pywb's apps.
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

logger = logging.getLogger(__name__)
access_logger = logging.getLogger("archive.replay.access")

COLLECTION = "newsarchive"
INDEX_SUFFIX = ".cdxj"
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
    """Bring the CDXJ indexes in `layout.index_dir` in step with the closed WARC files."""
    from cdxj_indexer import CDXJIndexer

    if not layout.warc_dir.is_dir():
        raise WarcDirectoryNotFound(str(layout.warc_dir))
    layout.index_dir.mkdir(parents=True, exist_ok=True)
    warcs = {path.name: path for path in sorted(layout.warc_dir.glob("*.warc.gz"))}
    indexed, unchanged = [], 0
    for name, warc in warcs.items():
        index = layout.index_dir / (name + INDEX_SUFFIX)
        if index.exists() and index.stat().st_mtime_ns >= warc.stat().st_mtime_ns:
            unchanged += 1
            continue
        partial = index.with_name(index.name + ".part")
        try:
            with partial.open("w", encoding="utf-8") as out:
                # the filename field is the name inside the WARC directory, which pywb's
                # archive_paths then resolves; sorted, so pywb can binary-search it
                CDXJIndexer(out, [str(warc)], sort=True, filename=name, records=REPLAY_RECORDS).process_all()
        except Exception as exc:  # cdxj-indexer raises whatever warcio raises on a bad file
            partial.unlink(missing_ok=True)
            raise ReplayError(f"could not index {warc}: {exc}") from exc
        partial.replace(index)
        indexed.append(name)
        logger.info("Indexed %s for replay", name)
    removed = []
    for index in layout.index_dir.glob("*" + INDEX_SUFFIX):
        if index.name[: -len(INDEX_SUFFIX)] not in warcs:
            index.unlink()
            removed.append(index.name)
    return IndexUpdate(tuple(indexed), unchanged, tuple(removed))


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


def make_app(layout: ReplayLayout, front_page: WsgiApp) -> WsgiApp:
    """One WSGI app: our front page at `/`, pywb for everything else (replay, static files)."""
    from pywb.apps.frontendapp import FrontEndApp  # monkey-patches the process for gevent

    config_file = write_pywb_config(layout)
    pywb = FrontEndApp(config_file=str(config_file))

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "/") in ("", "/"):
            return front_page(environ, start_response)
        return pywb(environ, start_response)

    return app


@dataclass(slots=True)
class ReplayServer:
    """The bound server; `url` is known before `serve_forever` starts."""

    server: Any  # gevent.pywsgi.WSGIServer
    url: str

    def serve_forever(self) -> None:
        try:
            self.server.serve_forever()
        finally:
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
        raise ReplayError(f"cannot listen on {host}:{port}: {exc.strerror or exc}: choose another --port") from exc
    bound_host, bound_port = server.address[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    return ReplayServer(server, f"http://{shown}:{bound_port}/")


class _AccessLog:
    """gevent writes access and error lines to a file-like object; send them to logging instead."""

    def write(self, line: str) -> None:
        if line.strip():
            access_logger.info("%s", line.rstrip())
