"""Starting, seeding and inspecting a site's run on a shared frontier (the library behind the CLI)."""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from scrapy import Request
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue

from crawler.frontier.keys import FrontierKeys, sites_in
from crawler.frontier.lock import ClusterRunLock
from crawler.frontier.queue import requeue_dead
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


class RunMembership:
    """This process takes part in the run `token` of `site` while the block runs: its member lease
    and the run lock are renewed from a thread (so a crawl starting up, or a launcher waiting for
    its workers, keeps the run alive), and on leaving the lock is released if no live member is left.

    Raises RunEnded on entry when the run no longer holds the site.
    """

    def __init__(self, url: str, site: str, token: str, lease: float, role: str = "process") -> None:
        self.lock = ClusterRunLock(connect(url), FrontierKeys(site), ttl=3 * lease)
        self.token = token
        self.name = f"{role}-{socket.gethostname()}-{os.getpid()}-{threading.get_ident() % 100000}"
        self.interval = max(0.2, lease / 3)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew, name=f"run-lease-{site}", daemon=True)

    def __enter__(self) -> RunMembership:
        self.lock.join(self.token, self.name)
        self._thread.start()
        return self

    def _renew(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                if not self.lock.renew(self.token, self.name):
                    return  # the run ended (its last worker released it)
            except RedisError as exc:  # Redis restarting: the next beat tries again
                logger.warning("Could not renew the run lock of %s: %s", self.lock.keys.site, exc)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        try:
            if self.lock.leave(self.token, self.name):
                logger.info("The run of %s ended: its lock is released", self.lock.keys.site)
        except RedisError as exc:
            logger.warning("Could not leave the run of %s (its lock expires by itself): %s", self.lock.keys.site, exc)


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
    if spider.base_url != (spider.profile.default_base_url or "").rstrip("/"):
        server.set(keys.origin, spider.base_url)  # workers crawl the mirror the site was seeded at
    else:
        server.delete(keys.origin)
    added = 0
    for start_url in spider.profile.start_urls(spider.base_url):
        request = Request(start_url, callback=spider.parse, errback=spider.failed)
        if not seen.request_seen(request):
            queue.push(request)
            added += 1
    return added


def origin(url: str, site: str) -> str:
    """The base URL `site` was seeded at ("" for the profile's own address)."""
    value = connect(url).get(FrontierKeys(site).origin)
    return value.decode() if value is not None else ""


def sites_with_work(url: str, sites: list[str] | None = None) -> list[str]:
    """The sites (of `sites`, or any on the frontier) with requests queued, most queued first; the
    requests of workers whose lease lapsed are queued again first."""
    server = connect(url)
    queued = {}
    for name in sites or sites_in(server):
        keys = FrontierKeys(name)
        if requeued := requeue_dead(server, keys):  # a run whose every worker died: its requests wait in flight
            logger.warning("Requeued %d requests of %s taken by workers that stopped renewing their lease", requeued, name)
        queued[name] = server.zcard(keys.requests)
    return sorted((name for name, count in queued.items() if count), key=lambda name: -queued[name])


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
