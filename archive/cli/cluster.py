"""`newsarchive seed`, `newsarchive frontier` and `crawl --workers N`: crawling one site with many
workers on a shared frontier (crawler/frontier). Redis and scrapy-redis are imported only when used,
so a single-machine install without them still runs every other command.
"""

from __future__ import annotations

import contextlib
import json
import logging
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from archive.cli.shared import load_config

logger = logging.getLogger(__name__)

DEFAULT_FRONTIER = "redis://127.0.0.1:6379/0"
WORKER_MAIN = "import sys; from archive.cli import main; sys.exit(main())"


def begin_frontier_run(name: str, data_dir: Path | None, base_url: str, overrides: dict[str, str], join: bool) -> str:
    """The token of the run of site `name` this worker takes part in: a new run, or with `join` the running one."""
    from crawler.frontier.run import begin_run, running_run

    url = overrides["ARCHIVE_FRONTIER_URL"]
    if join and (token := running_run(url, name)):
        return token
    settings, config = load_config(data_dir, overrides, base_url)
    database_url = config.database_url if config.db_enabled else None
    return begin_run(url, name, settings.getfloat("ARCHIVE_FRONTIER_LEASE"), config.warc_dir, database_url)


@contextlib.contextmanager
def frontier_run(name: str, data_dir: Path | None, base_url: str, overrides: dict[str, str], join: bool) -> Iterator[None]:
    """The block runs as a member of the cluster run of site `name` on the frontier of
    `overrides["ARCHIVE_FRONTIER_URL"]`: a new run (LockHeld while one runs), or with `join` the running
    one. A worker started by a launcher (`ARCHIVE_FRONTIER_RUN` given) takes part through its scheduler
    alone. When the block ends the run lock is released if no other member is left."""
    from crawler.frontier.run import RunMembership

    if overrides.get("ARCHIVE_FRONTIER_RUN"):
        yield
        return
    token = begin_frontier_run(name, data_dir, base_url, overrides, join)
    settings, _ = load_config(data_dir, overrides, base_url)
    with RunMembership(overrides["ARCHIVE_FRONTIER_URL"], name, token, settings.getfloat("ARCHIVE_FRONTIER_LEASE"), "crawl"):
        overrides["ARCHIVE_FRONTIER_RUN"] = token
        yield


def write_stats(path: Path, stats: dict[str, Any]) -> None:
    """A worker's stats for its launcher (numbers and text only)."""
    wanted = {key: value for key, value in stats.items() if isinstance(value, (int, float, str))}
    path.write_text(json.dumps(wanted), encoding="utf-8")


def combine_stats(every: list[dict[str, Any]]) -> dict[str, Any]:
    """The workers' stats as one crawl's: counts added up, the first failure and the worst reason kept."""
    combined: dict[str, Any] = {}
    for stats in every:
        for key, value in stats.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                combined[key] = combined.get(key, 0) + value
            else:
                combined.setdefault(key, value)
    reasons = [stats.get("finish_reason") for stats in every]
    combined["finish_reason"] = next((reason for reason in reasons if reason != "finished"), "finished")
    return combined


def run_workers(site: str, name: str, data_dir: Path | None, base_url: str, overrides: dict[str, str], url: str,
                workers: int, log_file: Path | None) -> Any:
    """Start `workers` local processes crawling `site` (as given; `name` is its profile's name) on one
    run of the frontier at `url`; wait; combine their outcomes."""
    from archive.cli.shared import NotStarted
    from archive.errors import DatabaseNotMigrated, LockHeld
    from crawler.frontier.run import RunMembership
    from crawler.run import CrawlOutcome

    overrides["ARCHIVE_FRONTIER_URL"] = url
    settings, config = load_config(data_dir, overrides, base_url)
    membership = contextlib.ExitStack()
    try:
        token = begin_frontier_run(name, data_dir, base_url, overrides, join=False)
        membership.enter_context(RunMembership(url, name, token, settings.getfloat("ARCHIVE_FRONTIER_LEASE"), "launcher"))
    except (DatabaseNotMigrated, LockHeld) as exc:
        raise NotStarted(str(exc)) from exc
    with membership, tempfile.TemporaryDirectory(prefix="newsarchive-workers-") as scratch:
        stats_files = [Path(scratch) / f"worker-{number}.json" for number in range(workers)]
        processes = []
        for number, stats_file in enumerate(stats_files):
            args = [sys.executable, "-c", WORKER_MAIN, "crawl", *([site] if site else []), "--frontier", url,
                    "--stats-file", str(stats_file), "-s", f"ARCHIVE_FRONTIER_RUN={token}", "-s", "ARCHIVE_PROGRESS=False"]
            args += ["--data-dir", str(config.data_dir)]
            if base_url:
                args += ["--base-url", base_url]
            if log_file is not None:
                args += ["--log-file", str(log_file.with_name(f"{log_file.stem}.{number}{log_file.suffix}"))]
            for name, value in overrides.items():
                if name not in ("ARCHIVE_FRONTIER_URL", "ARCHIVE_FRONTIER_RUN", "ARCHIVE_PROGRESS"):
                    args += ["-s", f"{name}={value}"]
            processes.append(subprocess.Popen(args, stdout=subprocess.DEVNULL))
        previous = signal.signal(signal.SIGTERM, _stop)  # cron's or systemd's stop reaches the workers too
        try:
            _wait(processes, url, name)
        except BaseException:
            for process in processes:  # each stops gracefully: its queue stays on the frontier
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in processes:
                process.wait(timeout=120)
            raise
        finally:
            signal.signal(signal.SIGTERM, previous)
        every = [json.loads(path.read_text()) for path in stats_files if path.exists()]
    codes = [process.returncode for process in processes]
    stats = combine_stats(every)
    stats["frontier/workers"] = workers
    stats["frontier/workers_lost"] = workers - len(every)
    if len(every) < workers:  # killed, or refused before it started: its pages went to the others
        lost = f"{workers - len(every)} of {workers} workers ended without a summary (exit codes {codes})"
        if every:
            logger.warning("%s", lost)
        else:
            stats["archive/failed"] = lost
    return CrawlOutcome(stats=stats, config=config)


def _stop(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _wait(processes: list[subprocess.Popen], url: str, site: str) -> None:
    """Wait for the workers (the launcher's membership renews the run lock), with one progress line on a terminal."""
    from crawler.frontier.run import frontier_state

    while any(process.poll() is None for process in processes):
        if sys.stderr.isatty():
            state = frontier_state(url, site)[0]
            click.echo(f"\r{sum(p.poll() is None for p in processes)} workers: {state.queued} queued, "
                       f"{state.in_flight} in flight, {state.seen} seen  ", nl=False, err=True)
        time.sleep(1.0)
    if sys.stderr.isatty():
        click.echo("", err=True)


@click.command()
@click.argument("site")
@click.option("--frontier", "url", default=DEFAULT_FRONTIER, show_default=True, metavar="redis://HOST:6379/N")
@click.option("--base-url", default="", help="Seed the profile's start pages at this URL (a mirror or local copy).")
def seed(site: str, url: str, base_url: str) -> None:
    """Queue SITE's start pages on the shared frontier, for workers to take.

    Example: newsarchive seed morningstar --frontier redis://10.0.0.5:6379/0
    """
    from crawler.frontier.run import seed as push_start_urls
    from crawler.sites import ProfileError, load_profile
    from crawler.spiders.news import NewsSpider

    try:
        spider = NewsSpider(profile=load_profile(site), base_url=base_url)
    except (ProfileError, ValueError) as exc:
        raise click.UsageError(str(exc)) from exc
    added = push_start_urls(url, spider)
    click.echo(f"{added} start pages queued for {site} on {url}")


@click.command()
@click.option("--frontier", "url", default=DEFAULT_FRONTIER, show_default=True, metavar="redis://HOST:6379/N")
@click.option("--site", default=None, help="Only this site.")
def frontier(url: str, site: str | None) -> None:
    """Show the shared frontier: requests queued, in flight and seen, per site.

    Example: newsarchive frontier --frontier redis://10.0.0.5:6379/0
    """
    from crawler.frontier.run import frontier_state

    states = frontier_state(url, site)
    if not states:
        click.echo(f"No site on the frontier {url}.")
        return
    click.echo("site\tqueued\tin_flight\tseen\tworkers\trun")
    for state in states:
        click.echo(f"{state.site}\t{state.queued}\t{state.in_flight}\t{state.seen}\t{state.workers}\t{state.run or '-'}")
