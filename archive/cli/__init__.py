"""`newsarchive`: the command line. Thin: parse, call the library, turn its errors into exit codes.

Exit codes: 0 success; 1 the command ran and failed (a crawl that archived nothing or could not write,
a reindex that hit unreadable files); 2 usage error (bad option, unknown site, invalid profile or
setting); 3 could not start (the database schema is behind: run `newsarchive db upgrade`; or another
crawl of the site holds the lock); 4 a crawl finished with more failed pages than ARCHIVE_MAX_FAILED_RATIO.

The exit codes and what every command shares are in `archive.cli.shared`; `query` and `search`
(`archive.cli.read`) and `show`, `replay` and `export` (`archive.cli.replay`) are registered here.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import click
from sqlalchemy.exc import SQLAlchemyError

from archive.cli.cluster import DEFAULT_FRONTIER, frontier, seed
from archive.cli.extract import extract
from archive.cli.read import query, search, show
from archive.cli.reindex import reindex
from archive.cli.replay import browse, export, replay
from archive.cli.worker import worker
from archive.cli.shared import (
    EXIT_FAILED,
    EXIT_OK,
    Failed,
    NotStarted,
    SomePagesFailed,
    data_dir_option,
    load_config,
    log_to_stderr,
    open_archive,
    parse_overrides,
    setting_option,
)
from archive.errors import ArchiveError, DatabaseNotMigrated, LockHeld


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newsarchive")
def cli() -> None:
    """Archive what a non-subscriber can read on a news site: WARC files plus a SQL index."""
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its plugin set-up chatter is not news


@cli.command()
@click.argument("site", required=False)
@data_dir_option
@click.option("--base-url", default="", help="Crawl the profile against this URL (a mirror or local copy).")
@click.option("--profile", "profile_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Crawl with this profile file instead of a bundled profile (SITE may then be left out).")
@click.option("--resume", is_flag=True,
              help="Continue an interrupted crawl of this site: its queue and seen URLs are kept on disk.")
@click.option("--log-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the log to this file (it always goes to stderr).")
@click.option("--frontier", default="", metavar="redis://HOST:6379/N",
              help="Take requests from this shared frontier (scrapy-redis), with every other worker on it.")
@click.option("--join", is_flag=True, help="With --frontier: join the site's run in progress (or start one).")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help=f"Run this many local worker processes on one frontier ({DEFAULT_FRONTIER} unless --frontier).")
@click.option("--database", default="", metavar="URL", help="Index into this database (same as -s ARCHIVE_DATABASE_URL=URL).")
@click.option("--stats-file", type=click.Path(dir_okay=False, path_type=Path), default=None, hidden=True)
@setting_option
def crawl(site: str | None, data_dir: Path | None, base_url: str, profile_path: Path | None,
          resume: bool, log_file: Path | None, frontier: str, join: bool, workers: int, database: str,
          stats_file: Path | None, overrides: tuple[str, ...]) -> None:
    """Crawl SITE (a bundled profile name or a profile file) into WARC files and the index.

    With --profile PATH, crawl with that profile file; a SITE given too must be the name the file
    declares. The generic profile needs --base-url: `newsarchive crawl generic --base-url URL`.

    Example: newsarchive crawl morningstar --data-dir /srv/archive -s CLOSESPIDER_PAGECOUNT=50
    """
    settings = parse_overrides(overrides)
    profile = _profile(site, profile_path, base_url, settings)
    if database:
        settings["ARCHIVE_DATABASE_URL"] = database
    if workers > 1:
        from archive.cli.cluster import run_workers

        outcome = run_workers(site or "", profile.name, data_dir, base_url, settings, frontier or DEFAULT_FRONTIER,
                              workers, log_file)
    elif frontier:
        settings["ARCHIVE_FRONTIER_URL"] = frontier
        with _frontier_run(profile.name, data_dir, base_url, settings, join):
            outcome = _crawl(profile, data_dir, base_url, settings, resume=resume, log_file=log_file)
    else:
        outcome = _crawl(profile, data_dir, base_url, settings, resume=resume, log_file=log_file)
    if stats_file is not None:
        from archive.cli.cluster import write_stats

        write_stats(stats_file, outcome.stats)
    click.echo(outcome.summary())
    _judge(outcome)


@contextlib.contextmanager
def _frontier_run(name: str, data_dir: Path | None, base_url: str, overrides: dict[str, str], join: bool) -> Iterator[None]:
    """Take part in the cluster run of site `name`: a new one (refused while one runs), or the running one (--join)."""
    from archive.cli.cluster import frontier_run

    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(frontier_run(name, data_dir, base_url, overrides, join))
        except (DatabaseNotMigrated, LockHeld) as exc:
            raise NotStarted(str(exc)) from exc
        yield


def _judge(outcome: Any) -> None:
    if failure := outcome.failure:
        raise Failed(failure)
    if too_many := outcome.failed_pages:
        raise SomePagesFailed(too_many)


def _profile(site: str | None, profile_path: Path | None, base_url: str, overrides: dict[str, str]) -> Any:
    """The profile to crawl, loaded once: --profile PATH, else SITE, else the ARCHIVE_PROFILE_PATH
    setting; checked before anything starts, so a bad profile or a missing base URL is a usage error."""
    from crawler.sites import ProfileError, load_profile

    ref = str(profile_path) if profile_path else site or overrides.get("ARCHIVE_PROFILE_PATH", "")
    if not ref:
        raise click.UsageError("give a SITE (see `newsarchive sites`) or --profile PATH")
    try:
        profile = load_profile(ref)
    except ProfileError as exc:
        raise click.UsageError(str(exc)) from exc
    if profile_path and site and site not in (profile.name, str(profile_path)):
        raise click.UsageError(
            f"SITE {site!r} and --profile {profile_path} (which declares name = {profile.name!r}) disagree; "
            "give one of them"
        )
    if profile_path:
        overrides["ARCHIVE_PROFILE_PATH"] = str(profile_path)
    if not profile.default_base_url and not (base_url or overrides.get("ARCHIVE_BASE_URL")):
        raise click.UsageError(f"the {profile.name!r} profile works on any site: give its address with --base-url URL")
    return profile


def _crawl(
    profile: Any,  # a SiteProfile, or the name of a bundled one
    data_dir: Path | None,
    base_url: str,
    overrides: dict[str, str],
    *,
    resume: bool = False,
    log_file: Path | None = None,
) -> Any:
    from crawler.run import run_crawl
    from crawler.sites import ProfileError

    settings, _ = load_config(data_dir, overrides, base_url)
    try:
        return run_crawl(profile, settings, resume=resume, log_file=log_file)
    except ProfileError as exc:
        raise click.UsageError(str(exc)) from exc
    except (DatabaseNotMigrated, LockHeld) as exc:
        raise NotStarted(str(exc)) from exc


@cli.command()
@data_dir_option
@click.option("--articles", default=60, show_default=True, help="How many articles the sample site has.")
@click.option("--port", default=0, help="Port for the sample site (default: any free port).")
def demo(data_dir: Path | None, articles: int, port: int) -> None:
    """Serve the bundled sample news site on 127.0.0.1, archive it, and show what was archived.

    Example: newsarchive demo --data-dir demo-data
    """
    from archive.cli.demo import print_demo_report
    from archive.index.database import Database
    from newsarchive_site import build_site, serve

    data_dir = data_dir or Path("demo-data")
    with serve(build_site(articles), host="127.0.0.1", port=port) as server:
        click.echo(f"Serving the sample site at {server.base_url}")
        outcome = _crawl(
            "morningstar",
            data_dir,
            server.base_url,
            {"AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0", "LOG_LEVEL": "WARNING"},
        )
    click.echo(outcome.summary())
    _judge(outcome)
    with Database(outcome.config.database_url) as database:
        print_demo_report(database)


@cli.group()
def db() -> None:
    """Manage the index database schema."""


@db.command("upgrade")
@data_dir_option
@setting_option
@click.option("--revision", default="head", show_default=True)
def db_upgrade(data_dir: Path | None, overrides: tuple[str, ...], revision: str) -> None:
    """Migrate the database to the newest schema (creating it if needed).

    Example: newsarchive db upgrade --data-dir /srv/archive
    """
    from archive.index.database import Database

    log_to_stderr()
    _, config = load_config(data_dir, parse_overrides(overrides))
    with Database(config.database_url) as database:
        try:
            database.upgrade(revision)
        except ArchiveError as exc:
            raise Failed(str(exc)) from exc
        click.echo(f"{config.database_url} is at revision {database.current_revision()}")


@cli.command()
@data_dir_option
@setting_option
@click.option("--limit", default=20, show_default=True, help="How many runs, newest first.")
@click.option("--site", default=None, help="Only runs of this site.")
def runs(data_dir: Path | None, overrides: tuple[str, ...], limit: int, site: str | None) -> None:
    """List crawl runs with their status and figures, newest first.

    Example: newsarchive runs --data-dir /srv/archive --limit 7
    """
    from archive.index.database import Database
    from archive.index.runs import list_runs

    config = open_archive(data_dir, overrides)
    columns = ("id", "site", "started_at", "finished_at", "status")
    lines = []
    with Database(config.database_url) as database:
        found = list_runs(database, limit, site)
    for run in found:
        values = {name: getattr(run, name) or "" for name in columns} | run.counts()
        lines.append(values)
    if not lines:
        click.echo("No crawl runs yet.")
        return
    headers = list(lines[0])
    widths = [max(len(str(name)), *(len(str(line[name])) for line in lines)) for name in headers]
    click.echo("  ".join(str(name).ljust(width) for name, width in zip(headers, widths)))
    for line in lines:
        click.echo("  ".join(str(line[name]).ljust(width) for name, width in zip(headers, widths)))


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
def sites(paths: tuple[Path, ...]) -> None:
    """List the bundled site profiles, or check profile files (PATHS) for errors.

    Example: newsarchive sites my-paper.toml
    """
    from crawler.sites import ProfileError, available_profiles, load_profile

    try:
        profiles = [load_profile(str(path)) for path in paths] or [load_profile(n) for n in available_profiles()]
    except ProfileError as exc:
        raise click.UsageError(str(exc)) from exc
    for profile in profiles:
        where = profile.default_base_url or "(any site: --base-url URL)"
        click.echo(f"{profile.name}\t{profile.version}\t{where}\t{profile.description or profile.publisher}")


for command in (query, search, show, replay, browse, export, extract, reindex, seed, frontier, worker):
    cli.add_command(command)


def main(args: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code so tests can call it directly."""
    try:
        cli.main(args=list(args) if args is not None else None, prog_name="newsarchive", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted!", err=True)
        return EXIT_FAILED
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except (OSError, SQLAlchemyError, sqlite3.DatabaseError) as exc:  # the machine, not the archive: one line, no traceback
        from archive.cli.environment import explain

        message = explain(exc)
        if message is None:
            raise
        logging.getLogger(__name__).debug("environment failure", exc_info=True)
        click.echo(f"Error: {message}", err=True)
        return EXIT_FAILED
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
