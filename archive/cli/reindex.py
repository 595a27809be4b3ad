"""`newsarchive reindex`: rebuild the index from the WARC files of one archive or of many workers.

Kept lean on purpose: a reindex needs the archive's paths and the database, not Scrapy (whose
settings machinery `load_config` imports) nor Alembic, so with only path settings given the paths are
read from the project's defaults directly, with the same precedence `load_config` gives them.
"""

from __future__ import annotations

import logging
from pathlib import Path

import click

from archive.cli.shared import Failed, NotStarted, data_dir_option, load_config, log_to_stderr, parse_overrides, setting_option
from archive.errors import ArchiveError, DatabaseNotMigrated
from archive.layout import DataLayout

PATH_SETTINGS = frozenset({"ARCHIVE_DATA_DIR", "ARCHIVE_WARC_DIR", "ARCHIVE_DATABASE_URL"})


def archive_layout(data_dir: Path | None, overrides: dict[str, str]) -> DataLayout:
    """The archive's paths from --data-dir and `-s` settings; other settings are checked as a crawl checks them."""
    if set(overrides) - PATH_SETTINGS:
        return load_config(data_dir, overrides)[1].layout
    from crawler import settings as defaults

    values = {"ARCHIVE_DATA_DIR": str(data_dir)} if data_dir is not None else {}
    values.update(overrides)  # `-s` is applied after --data-dir, as in `load_config`

    def text(name: str) -> str:
        return values.get(name) or getattr(defaults, name)

    return DataLayout.of(text("ARCHIVE_DATA_DIR"), text("ARCHIVE_WARC_DIR"), text("ARCHIVE_DATABASE_URL"))


@click.command()
@click.argument("warc_dirs", nargs=-1, type=click.Path(file_okay=False, path_type=Path))
@click.option("--warc-dir", "more_dirs", multiple=True, type=click.Path(file_okay=False, path_type=Path),
              help="Read the WARC files of this directory (repeat for several; default: the archive's own).")
@data_dir_option
@click.option("--database", default="", metavar="URL",
              help="Rebuild this database (same as -s ARCHIVE_DATABASE_URL=URL).")
@setting_option
def reindex(warc_dirs: tuple[Path, ...], more_dirs: tuple[Path, ...], data_dir: Path | None, database: str,
            overrides: tuple[str, ...]) -> None:
    """Rebuild the database from the WARC files alone: the archive's own, or those of WARC_DIRS.

    Several directories (each worker of a cluster writes its own) are rebuilt into one index; each
    capture names its file, and its run the host that wrote it.

    Example: newsarchive reindex --data-dir /srv/archive

    \b
    Example, two workers' directories into one PostgreSQL index:
    newsarchive reindex --database postgresql://archive@db/news w1/warcs w2/warcs
    """
    from archive.cli.environment import damage_of, set_aside
    from archive.index.database import Database
    from archive.index.reindex import reindex as rebuild

    log_to_stderr()
    settings = parse_overrides(overrides)
    if database:
        settings["ARCHIVE_DATABASE_URL"] = database
    layout = archive_layout(data_dir, settings)
    sources = list(dict.fromkeys([*warc_dirs, *more_dirs])) or [layout.warc_dir]
    try:
        if damage := damage_of(layout.database_url):  # rebuilt from scratch: the WARCs are the truth
            logging.getLogger(__name__).warning("The index is damaged (%s)", damage)
            set_aside(layout.database_url)
        with Database(layout.database_url) as index:
            index.prepare()
            stats = rebuild(sources, index)
    except DatabaseNotMigrated as exc:
        raise NotStarted(str(exc)) from exc
    except ArchiveError as exc:
        raise Failed(str(exc)) from exc
    click.echo(str(stats))
