"""Starting, seeding and inspecting a site's run on a shared frontier (the library behind the CLI)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from redis import Redis
from scrapy import Request
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue

from crawler.frontier.keys import FrontierKeys, sites_in
from crawler.frontier.lock import ClusterRunLock
from crawler.frontier.scheduler import connect

logger = logging.getLogger(__name__)


def _drained(server: Redis, keys: FrontierKeys) -> bool:
    """Nothing queued and nothing taken: the site's last run finished."""
    taken = any(server.hlen(key) for key in server.scan_iter(match=keys.inflight_prefix + "*"))
    return not server.zcard(keys.requests) and not taken


def begin_run(url: str, site: str, lease: float, warc_dir: Path, database_url: str | None) -> str:
    """Start a cluster run of `site` and return its token; raises LockHeld while one runs.

    A run that follows a finished one starts afresh (the seen-URL set is cleared, so a re-crawl
    fetches the site again); a run that follows an interrupted one continues its queue. No other
    worker of the site is alive now, so the runs they left `running` in the index are closed here.
    """
    server = connect(url)
    keys = FrontierKeys(site)
    token = ClusterRunLock(server, keys, ttl=3 * lease).start()
    if _drained(server, keys):
        server.delete(keys.seen, keys.workers)
    else:
        logger.info("Continuing the interrupted run of %s: %d requests queued", site, server.zcard(keys.requests))
    if database_url:
        from archive.index.database import Database
        from archive.session.recovery import recover_unfinished_runs

        with Database(database_url) as database:
            database.prepare()  # raises DatabaseNotMigrated when the schema is behind
            recover_unfinished_runs(warc_dir, database, site)
    return token


def end_run_if_idle(url: str, site: str, token: str) -> None:
    """Release the run lock `token` unless a worker of the site is still alive (its last worker
    releases it then): for a run whose starting worker stopped before crawling."""
    server = connect(url)
    keys = FrontierKeys(site)
    if not any(True for _ in server.scan_iter(match=keys.alive_prefix + "*")):
        ClusterRunLock(server, keys, ttl=1).release(token)


def running_run(url: str, site: str) -> str | None:
    """The token of the site's run in progress on the frontier, if any."""
    return ClusterRunLock(connect(url), FrontierKeys(site), ttl=1).running()


def seed(url: str, spider: Any) -> int:
    """Queue the start URLs of `spider` (a NewsSpider) on the frontier; returns how many were new to it."""
    server = connect(url)
    keys = FrontierKeys(spider.site_name)
    if _drained(server, keys):
        server.delete(keys.seen)  # the last run finished: seeding starts the next one
    seen = RFPDupeFilter(server, key=keys.seen)
    queue = PriorityQueue(server, spider, keys.requests)
    added = 0
    for start_url in spider.profile.start_urls(spider.base_url):
        request = Request(start_url, callback=spider.parse, errback=spider.failed)
        if not seen.request_seen(request):
            queue.push(request)
            added += 1
    return added


@dataclass(frozen=True, slots=True)
class FrontierState:
    """What `newsarchive frontier` shows for one site."""

    site: str
    queued: int
    in_flight: int
    seen: int
    workers: int
    run: str | None


def frontier_state(url: str, site: str | None = None) -> list[FrontierState]:
    server = connect(url)
    states = []
    for name in [site] if site else sites_in(server):
        keys = FrontierKeys(name)
        run = ClusterRunLock(server, keys, ttl=1).holder()
        states.append(FrontierState(
            site=name,
            queued=server.zcard(keys.requests),
            in_flight=sum(server.hlen(key) for key in server.scan_iter(match=keys.inflight_prefix + "*")),
            seen=server.scard(keys.seen),
            workers=sum(1 for _ in server.scan_iter(match=keys.alive_prefix + "*")),
            run=run,
        ))
    return states
