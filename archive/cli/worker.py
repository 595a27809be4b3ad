"""`newsarchive worker`: a long-running process for machines that only take work from the frontier.

It waits until a site has requests queued on the frontier (`newsarchive seed`, or a run another
machine started), takes part in that site's cluster run — joining the running one, or starting one
if none holds the site — by running one `newsarchive crawl SITE --frontier …` process, and waits
again when that crawl ends (the site's queue drained). So every run is an ordinary crawl of this
worker, with its own `crawl_runs` row, and the cluster rule holds: one run of a site at a time.

Why a loop here and not scrapy-redis's idle behaviour: a `RedisSpider` keeps one spider open for
ever (`spider_idle` raises `DontCloseSpider` until `MAX_IDLE_TIME_BEFORE_CLOSE`), fed from a start
URL list, and `SCHEDULER_IDLE_BEFORE_CLOSE` is only a blocking-pop timeout (ignored by the priority
queue). A spider that never closes never finishes its run: no `crawl_runs` row is closed, the run
lock is never released, and only one site's spider runs. A crawl per run, in a child process (a
Twisted reactor cannot be restarted), keeps the bookkeeping of a single crawl.

SIGTERM (or Ctrl-C) stops the worker: the crawl in progress gets one SIGTERM, closes its WARC file,
marks its run `interrupted` and hands every request it had taken and not archived back to the queue
(`AcknowledgedQueue.leave`); then the worker exits 0. A worker that is SIGKILLed loses nothing
either: its requests go back to the queue when its lease lapses.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import click

from archive.cli.cluster import DEFAULT_FRONTIER, WORKER_MAIN, begin_frontier_run
from archive.cli.shared import EXIT_USAGE, data_dir_option, load_config, log_to_stderr, parse_overrides, setting_option

logger = logging.getLogger(__name__)


class Worker:
    """The loop behind `newsarchive worker`: wait for a site with work, crawl it, repeat until stopped."""

    def __init__(self, url: str, sites: list[str], data_dir: Path | None, overrides: dict[str, str], poll: float) -> None:
        self.url = url
        self.sites = sites
        self.data_dir = data_dir
        self.overrides = dict(overrides, ARCHIVE_FRONTIER_URL=url)
        self.poll = poll
        self.stopping = False
        self.child: subprocess.Popen | None = None
        self.child_signalled = False
        self.refused: set[str] = set()  # sites whose profile this worker cannot load: not tried again
        self.crawls = 0

    def stop(self, signum: int, frame: Any) -> None:
        """Signal handler: finish gracefully; the crawl in progress gets one SIGTERM (a second would
        make Scrapy stop uncleanly)."""
        if not self.stopping:
            logger.info("Stopping (signal %d): the crawl in progress hands its unfinished requests back", signum)
        self.stopping = True
        if self.child is not None and self.child.poll() is None and not self.child_signalled:
            self.child.send_signal(signal.SIGTERM)
            self.child_signalled = True

    def run(self) -> None:
        from redis.exceptions import RedisError

        from crawler.frontier.run import sites_with_work

        logger.info("Waiting for work on %s (%s)", self.url, ", ".join(self.sites) if self.sites else "any site")
        while not self.stopping:
            try:
                ready = [site for site in sites_with_work(self.url, self.sites or None) if site not in self.refused]
                if ready:
                    self.crawl(ready[0])
                    continue
            except RedisError as exc:  # Redis restarting: wait and look again
                logger.warning("The frontier %s cannot be read (%s): trying again in %.0f s", self.url, exc, self.poll)
            self._sleep(self.poll)
        logger.info("Stopped after %d crawls", self.crawls)

    def crawl(self, site: str) -> None:
        """Take part in `site`'s run (joined, or started) with one crawl process, until it ends."""
        from archive.errors import DatabaseNotMigrated, LockHeld
        from crawler.frontier.run import RunMembership, origin

        base_url = origin(self.url, site)
        try:
            token = begin_frontier_run(site, self.data_dir, base_url, self.overrides, join=True)
            settings, config = load_config(self.data_dir, self.overrides, base_url)
            membership = RunMembership(self.url, site, token, settings.getfloat("ARCHIVE_FRONTIER_LEASE"), "worker")
            membership.__enter__()
        except LockHeld as exc:  # another worker started the run a moment ago, or it just ended: look again
            logger.info("%s", exc)
            return
        except DatabaseNotMigrated as exc:
            logger.error("%s", exc)
            self.refused.add(site)
            return
        try:
            if self.stopping:  # stopped while the run was being joined: start no crawl
                return
            args = [sys.executable, "-c", WORKER_MAIN, "crawl", site, "--frontier", self.url,
                    "--data-dir", str(config.data_dir), "-s", f"ARCHIVE_FRONTIER_RUN={token}"]
            if base_url:
                args += ["--base-url", base_url]
            for name, value in self.overrides.items():
                if name not in ("ARCHIVE_FRONTIER_URL", "ARCHIVE_FRONTIER_RUN"):
                    args += ["-s", f"{name}={value}"]
            logger.info("Crawling %s (run %s)", site, token.split(" ", 1)[0])
            self.child, self.child_signalled = subprocess.Popen(args), False
            if self.stopping:  # the signal came while the child was being started
                self.stop(signal.SIGTERM, None)
            code = self.child.wait()
            self.crawls += 1
        finally:
            self.child = None
            membership.__exit__(None, None, None)
        if code == EXIT_USAGE:
            logger.error("The crawl of %s was refused as a usage error: this worker will not take %s again", site, site)
            self.refused.add(site)
        elif code not in (0, 4) and not self.stopping:
            logger.warning("The crawl of %s exited with %d", site, code)
            self._sleep(self.poll)  # do not spin on a site that fails at once

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(min(0.2, seconds))


@click.command()
@click.option("--frontier", "url", default=DEFAULT_FRONTIER, show_default=True, metavar="redis://HOST:6379/N")
@click.option("--database", default="", metavar="URL", help="Index into this database (same as -s ARCHIVE_DATABASE_URL=URL).")
@click.option("--site", "sites", multiple=True, help="Only take work for this site (repeatable; default: any site on the frontier).")
@click.option("--poll", type=click.FloatRange(0.1), default=5.0, show_default=True,
              help="Seconds between looks at the frontier while there is no work.")
@data_dir_option
@setting_option
def worker(url: str, database: str, sites: tuple[str, ...], poll: float, data_dir: Path | None,
           overrides: tuple[str, ...]) -> None:
    """Take work from the shared frontier until stopped: crawl every site seeded there, idle when empty.

    Runs as a service (see docs/systemd.md); SIGTERM stops it cleanly, handing unfinished requests back
    to the queue. Each crawl prints its summary line.

    Example: newsarchive worker --frontier redis://10.0.0.5:6379/0 --database postgresql://archive@10.0.0.6/archive
    """
    from crawler.frontier.run import connect

    settings = parse_overrides(overrides)
    if database:
        settings["ARCHIVE_DATABASE_URL"] = database
    log_to_stderr()
    try:
        connect(url)
    except Exception as exc:  # redis.ConnectionError, a bad URL
        raise click.ClickException(f"cannot reach the frontier {url}: {exc}") from exc
    loop = Worker(url, list(sites), data_dir, settings, poll)
    previous = {number: signal.signal(number, loop.stop) for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        loop.run()
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
