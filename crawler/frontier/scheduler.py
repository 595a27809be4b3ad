"""scrapy-redis's scheduler on the acknowledged queue, with a lease renewed while the worker runs."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterable
from typing import Any

from redis import Redis
from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.asyncio import create_looping_call
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler

from crawler.frontier.keys import FrontierKeys
from crawler.frontier.lock import ClusterRunLock
from crawler.frontier.queue import FRONTIER_ENTRY_META, AcknowledgedQueue

logger = logging.getLogger(__name__)


def connect(url: str) -> Redis:
    """A client for the frontier at `url` (redis://HOST:PORT/DB), checked with a ping."""
    server = Redis.from_url(url, socket_timeout=30, socket_connect_timeout=10, retry_on_timeout=True)
    server.ping()
    return server


def worker_name() -> str:
    """Unique across the cluster and across restarts of one machine's workers."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class FrontierScheduler(Scheduler):
    """Queue and seen-URL set shared by every worker of a site, persisted between runs.

    `ARCHIVE_FRONTIER_URL` names the Redis database; `ARCHIVE_FRONTIER_RUN` is the run token the
    worker takes part in (set by `newsarchive crawl`); `ARCHIVE_FRONTIER_LEASE` is how long a worker
    may go silent before the requests it took are given to another.
    """

    def __init__(self, server: Redis, crawler: Crawler, token: str, lease: float) -> None:
        super().__init__(server, persist=True)
        self.crawler = crawler
        self.stats = crawler.stats
        self.token = token
        self.lease = lease
        self.worker = worker_name()
        self.queue: AcknowledgedQueue
        self.lock: ClusterRunLock | None = None
        self.loop: Any = None
        self._settling: list[Request] = []  # callback done; its output may still be being handed on
        self._settled: list[Request] = []  # scraped by the previous beat: acknowledged at the next one

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FrontierScheduler:
        settings = crawler.settings
        url = settings.get("ARCHIVE_FRONTIER_URL")
        token = settings.get("ARCHIVE_FRONTIER_RUN")
        if not url or not token:
            raise ValueError("FrontierScheduler needs ARCHIVE_FRONTIER_URL and ARCHIVE_FRONTIER_RUN (newsarchive crawl --frontier)")
        return cls(connect(url), crawler, token, settings.getfloat("ARCHIVE_FRONTIER_LEASE"))

    def open(self, spider: Spider) -> None:
        self.spider = spider
        keys = FrontierKeys(getattr(spider, "site_name", spider.name))
        self.queue = AcknowledgedQueue(self.server, spider, keys, self.worker)
        self.df = RFPDupeFilter(self.server, key=keys.seen, debug=self.crawler.settings.getbool("DUPEFILTER_DEBUG"))
        self.lock = ClusterRunLock(self.server, keys, ttl=3 * self.lease)
        self.lock.join(self.token, self.worker)  # RunEnded when the run is over: nothing is fetched
        self.queue.renew_lease(self.lease, busy=True)
        if queued := len(self.queue):
            logger.info("Joining the frontier of %s as %s: %d requests queued", keys.site, self.worker, queued)
        self.loop = create_looping_call(self._beat)
        self.loop.start(min(1.0, self.lease / 3), now=False)

    def _beat(self) -> None:
        """Acknowledge what is archived, renew this worker's lease and the run lock, requeue dead
        workers' requests, and fetch what other workers queued while this one had nothing to do."""
        self._acknowledge_settled()
        self.queue.renew_lease(self.lease, busy=self._busy())
        assert self.lock is not None
        if not self.lock.renew(self.token, self.worker):
            logger.warning("The run lock of %s was lost (Redis restarted, or this worker stalled longer than its lease)",
                           self.queue.keys.site)
        if requeued := self.queue.requeue_dead():
            logger.warning("Requeued %d requests taken by a worker that stopped renewing its lease", requeued)
            self.stats.inc_value("frontier/requeued", requeued)
        engine = self.crawler.engine
        if engine is not None and engine._slot is not None and len(self.queue):  # noqa: SLF001
            engine._slot.nextcall.schedule()  # noqa: SLF001  the engine otherwise waits its 5 s heartbeat

    def _busy(self) -> bool:
        engine = self.crawler.engine
        if engine is None:
            return False
        slot = engine.scraper.slot
        return bool(engine.downloader.active) or (slot is not None and not slot.is_idle())

    def close(self, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.queue.leave(finished=reason == "finished")
        if self.lock is not None and self.lock.leave(self.token, self.worker):
            logger.info("The run of %s ended: its lock is released", self.queue.keys.site)

    def enqueue_request(self, request: Request) -> bool:
        # a redirect or retry carries the entry it replaces: acknowledged once its follow-up is queued
        replaced = request.meta.pop(FRONTIER_ENTRY_META, None)
        if request.dont_filter:
            self.queue.push(request)
            added = True
        else:
            added = self.queue.push_unseen(request, self.df.request_fingerprint(request))
        if added:
            self.stats.inc_value("scheduler/enqueued/redis")
        else:
            self.df.log(request, self.spider)
        if replaced is not None:
            self.server.hdel(self.queue.keys.inflight(self.worker), replaced)
        return added

    def next_request(self) -> Request | None:
        request = self.queue.pop()
        if request is not None:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        return len(self.queue) > 0 or self.queue.others_at_work()

    def acknowledge(self, request: Request) -> None:
        """Called when the callback of `request` has produced all its output."""
        self._settling.append(request)

    def _acknowledge_settled(self) -> None:
        """A request is acknowledged one beat after Scrapy finished scraping its response: by then
        its links are queued and its records handed to the WARC writer thread have been written
        (the scraper hands output on up to two items behind the callback, the writer a few ms)."""
        for request in self._settled:
            self.queue.acknowledge(request)
        slot = self.crawler.engine.scraper.slot if self.crawler.engine else None
        active = slot.active if slot is not None else set()
        self._settled = [request for request in self._settling if request not in active]
        self._settling = [request for request in self._settling if request in active]


class AcknowledgeMiddleware:
    """Spider middleware: a request taken from the frontier is acknowledged once its page has been
    processed (its article and links handed on), so a worker killed before that loses nothing."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AcknowledgeMiddleware:
        if not crawler.settings.get("ARCHIVE_FRONTIER_URL"):
            raise NotConfigured("no shared frontier (ARCHIVE_FRONTIER_URL)")
        return cls(crawler)

    def _acknowledge(self, response: Response) -> None:
        scheduler = self.crawler.engine.scheduler if self.crawler.engine else None
        if isinstance(scheduler, FrontierScheduler) and response.request is not None:
            scheduler.acknowledge(response.request)

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterable[Any]:
        try:
            yield from result
        finally:
            self._acknowledge(response)

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        try:
            async for output in result:
                yield output
        finally:
            self._acknowledge(response)
