"""What every `newsarchive` command shares: exit codes, the exceptions that carry them, the common
options, and the steps from options to an archive (settings, config, log set-up, schema check).

`archive.cli`, `archive.cli.read` and `archive.cli.replay` import from here; nothing here imports
them, so any of them may be imported first.

Exit codes: 0 success; 1 the command ran and failed; 2 usage error (click's own); 3 could not start
(database schema behind, crawl lock held); 4 a crawl finished with too many failed pages.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
from sqlalchemy import make_url

from archive.errors import DatabaseNotMigrated

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NOT_STARTED, EXIT_SOME_PAGES_FAILED = 0, 1, 2, 3, 4

data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Directory holding warcs/ and archive.sqlite3 (default: the ARCHIVE_DATA_DIR setting, ./data).",
)
setting_option = click.option(
    "-s",
    "--set",
    "overrides",
    multiple=True,
    metavar="NAME=VALUE",
    help="Override a Scrapy or ARCHIVE_* setting, exactly like `scrapy crawl -s`.",
)


class Failed(click.ClickException):
    """The command ran and failed: `Error: …` and exit 1."""

    exit_code = EXIT_FAILED


class SomePagesFailed(click.ClickException):
    """The crawl finished, but more pages failed than ARCHIVE_MAX_FAILED_RATIO allows: exit 4."""

    exit_code = EXIT_SOME_PAGES_FAILED


class NotStarted(click.ClickException):
    """The command could not start: `Error: …` and exit 3."""

    exit_code = EXIT_NOT_STARTED


def parse_overrides(pairs: Sequence[str]) -> dict[str, str]:
    """`-s NAME=VALUE` options as a dict; a pair without `=` is a usage error."""
    overrides = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="-s")
        overrides[name.strip()] = value
    return overrides


def load_config(data_dir: Path | None, overrides: dict[str, str], base_url: str = "") -> tuple[Any, Any]:
    """The crawl's Scrapy settings and the validated `ArchiveConfig`; an invalid setting is a usage error."""
    from crawler.config import ArchiveConfig, ConfigError, crawl_settings

    settings = crawl_settings(data_dir, base_url, overrides)
    try:
        return settings, ArchiveConfig.from_settings(settings)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc


def log_to_stderr() -> None:
    """Logging for commands that do not run Scrapy (a crawl uses Scrapy's own log handler)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def require_current_schema(config: Any) -> None:
    """Exit 3 when the index's schema is not the one this code reads."""
    from archive.index.database import Database

    try:
        with Database(config.database_url) as database:
            database.require_current()
    except DatabaseNotMigrated as exc:
        raise NotStarted(str(exc)) from exc


def open_archive(data_dir: Path | None, overrides: Sequence[str]) -> Any:
    """The config of an existing archive whose index is at head: exit 1 without an index, 3 if it is behind."""
    _, config = load_config(data_dir, parse_overrides(overrides))
    url = make_url(config.database_url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        raise Failed(
            f"no archive index at {url.database}: crawl first, or point --data-dir at an archive"
        )
    require_current_schema(config)
    return config
