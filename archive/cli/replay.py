"""`newsarchive replay`, `newsarchive browse` and `newsarchive export wacz`: serving the archive,
exploring its index, and packing it for others.

Thin: find the data directory, call `archive.replay` (server, front page, WACZ) or
`archive.readers.browse`, and turn their errors into `Error: …` with the documented exit codes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from archive.cli.shared import Failed, data_dir_option, log_to_stderr, open_archive, setting_option
from archive.errors import ArchiveError


@click.command()
@data_dir_option
@setting_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, help="Port of the front page (0: any free port).")
@click.option("--archive-port", type=int, default=None,
              help="Port of the archived pages, a separate origin [default: --port + 1; any free port with --port 0].")
def replay(data_dir: Path | None, overrides: tuple[str, ...], host: str, port: int, archive_port: int | None) -> None:
    """Serve the archive through pywb, with the list of archived articles on a front page.

    Updates the replay index (CDXJ, under DATA_DIR/replay/) for new WARC files first. The front
    page is served at http://HOST:PORT/; captures open on the archive's own port, at
    /newsarchive/<timestamp>/<url>, so archived scripts never share the front page's origin.
    Stop with Ctrl-C.

    Example: newsarchive replay --data-dir /srv/archive --port 8080
    """
    from gevent import monkey

    monkey.patch_all()  # pywb runs on gevent; its app would patch at import anyway, so do it first
    from archive.index.database import Database
    from archive.replay.frontpage import FrontPage, find_searcher
    from archive.replay.server import ReplayLayout, start_servers, update_index

    log_to_stderr()
    config = open_archive(data_dir, overrides)
    layout = ReplayLayout.of(config.layout)
    if archive_port is None:
        archive_port = port + 1 if port else 0
    with Database(config.database_url) as database:

        def front_page(archive_url: str, run_blocking: Callable[..., Any]) -> FrontPage:
            return FrontPage(database, find_searcher(), archive_url=archive_url, run_blocking=run_blocking)

        try:
            click.echo(str(update_index(layout)))
            servers = start_servers(layout, front_page, host, port, archive_port)
        except ArchiveError as exc:
            raise Failed(str(exc)) from exc
        click.echo(f"Serving the archive at {servers.front.url} (archived pages at {servers.archive.url}newsarchive/)")
        sys.stdout.flush()
        try:
            servers.serve_forever()
        except KeyboardInterrupt:
            click.echo("Stopped.")


@click.command()
@data_dir_option
@setting_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8001, show_default=True, help="Port to listen on.")
@click.option("--replay-url", default="http://127.0.0.1:8081/", show_default=True,
              help="Where `newsarchive replay` serves archived pages (its --archive-port): article URLs link there.")
def browse(data_dir: Path | None, overrides: tuple[str, ...], host: str, port: int, replay_url: str) -> None:
    """Explore the index in Datasette, read-only, with the documented example queries.

    Needs the optional extra: pip install 'newsarchive[browse]'. Column descriptions and canned
    queries come from docs/database.md; article URLs link to their replay. Stop with Ctrl-C.

    Example: newsarchive browse --data-dir /srv/archive --port 8001
    """
    from archive.readers.browse import serve
    from archive.readers.query import sqlite_path

    log_to_stderr()
    config = open_archive(data_dir, overrides)
    database = sqlite_path(config.database_url)
    if database is None:
        raise Failed("browse reads a SQLite index; ARCHIVE_DATABASE_URL names another database")
    click.echo(f"Browsing {database} at http://{host}:{port}/ (read-only; Ctrl-C to stop)")
    sys.stdout.flush()
    try:
        serve(database, host, port, replay_url)
    except ArchiveError as exc:
        raise Failed(str(exc)) from exc


@click.group()
def export() -> None:
    """Export the archive in formats other tools read."""


@export.command("wacz")
@data_dir_option
@setting_option
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The WACZ file to write (replaced if it exists).")
def export_wacz_command(data_dir: Path | None, overrides: tuple[str, ...], output: Path) -> None:
    """Pack the WARC files, a CDXJ index and pages.jsonl (one page per article) into a WACZ file.

    ReplayWeb.page and pywb open it as it is.

    Example: newsarchive export wacz --data-dir /srv/archive -o morningstar.wacz
    """
    from archive.index.database import Database
    from archive.replay.wacz import export_wacz

    log_to_stderr()
    config = open_archive(data_dir, overrides)
    try:
        with Database(config.database_url) as database:
            summary = export_wacz(database, config.warc_dir, output)
    except ArchiveError as exc:
        raise Failed(str(exc)) from exc
    click.echo(str(summary))
