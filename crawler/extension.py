"""The Scrapy extension that archives every HTTP exchange and every extracted article: a thin
adapter from Scrapy's signals to the crawl session (`archive.session.session.CrawlSession`).

Exchanges are captured on `response_downloaded`: the response exactly as the downloader handed it
back, before middlewares decompress it or follow its redirects, with the request as sent. Articles
arrive on `item_scraped`, after every pipeline has had its say. Handlers only enqueue, and closing
runs in a thread: the session's writer threads own the WARC file and the database's write connection.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from importlib.metadata import version
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers, Response
from scrapy.utils.defer import deferred_from_coro
from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThread

from archive.session.session import CrawlSession, SessionConfig, SessionTotals
from archive.warc.records import HttpExchange
from archive.warc.writer import WriterConfig
from crawler import __version__
from crawler.config import ArchiveConfig
from crawler.items import (
    CAPTURED_AT_META,
    PREVIOUS_CAPTURE_META,
    RECORD_ID_META,
    REVISIT_META,
    ArticleItem,
    SessionProvider,
)

logger = logging.getLogger(__name__)


class WarcCaptureExtension(SessionProvider):
    """Feeds the crawl session from Scrapy signals; one instance per crawl, no shared state."""

    def __init__(self, crawler: Crawler, config: ArchiveConfig, session: CrawlSession) -> None:
        self.crawler = crawler
        self.config = config
        self.session = session
        self.stats = crawler.stats
        # read once, here: the warcinfo record states both
        self.user_agent: str = crawler.settings.get("USER_AGENT", "")
        self.obeys_robots = crawler.settings.getbool("ROBOTSTXT_OBEY")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCaptureExtension:
        config = ArchiveConfig.from_settings(crawler.settings)
        if not config.warc_enabled:
            raise NotConfigured("ARCHIVE_WARC_ENABLED is off")
        site = getattr(crawler.spider, "site_name", None) or getattr(crawler.spider, "name", "crawl")
        session = CrawlSession(
            SessionConfig(
                layout=config.layout,
                site=site,
                warc=WriterConfig(
                    directory=config.warc_dir,
                    prefix=config.warc_prefix,
                    max_size=config.warc_max_size,
                    digest=config.warc_digest,
                    compress_level=config.warc_gzip_level,
                ),
                index=config.db_enabled,
                incremental=config.incremental,
                db_batch_size=config.db_batch_size,
                resume=bool(crawler.settings.get("JOBDIR")),
                # a worker on a shared frontier: the cluster's Redis lock (crawler/frontier) holds the site
                shared_frontier=bool(crawler.settings.get("ARCHIVE_FRONTIER_URL")),
            )
        )
        session.start()  # raises LockHeld, DatabaseNotMigrated, …: then nothing is fetched
        extension = cls(crawler, config, session)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        try:
            self.session.open(
                {
                    "software": f"newsarchive/{__version__} (Scrapy {scrapy.__version__}, warcio {version('warcio')})",
                    "operator": self.config.operator,
                    "robots": "obey" if self.obeys_robots else "ignore",
                    "http-header-user-agent": self.user_agent,
                }
            )
        except Exception as exc:  # without an archive there is no point fetching anything
            logger.exception("Could not start archiving; stopping the crawl")
            self.stats.set_value("archive/failed", f"could not start archiving: {exc}")
            from twisted.internet import reactor  # the installed one; importing early would install another

            engine = self.crawler.engine
            assert engine is not None
            reactor.callLater(0, lambda: deferred_from_coro(engine.close_spider_async(reason="archive_failed")))

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        if not self.session.opened or urlsplit(response.url).scheme not in ("http", "https"):
            return
        latency = request.meta.get("download_latency") or 0.0
        started_at = datetime.now(timezone.utc) - timedelta(seconds=latency)
        previous = request.meta.get(PREVIOUS_CAPTURE_META)  # looked up by the incremental middleware
        exchange = HttpExchange(
            url=response.url,
            method=request.method,
            request_headers=_request_headers_as_sent(request),
            request_body=request.body,
            protocol=response.protocol or "HTTP/1.1",
            status=response.status,
            reason=_reason_phrase(response.status),
            response_headers=_header_pairs(response.headers),
            body=response.body,
            started_at=started_at,
            ip_address=str(response.ip_address) if response.ip_address else None,
            # a first crawl has no earlier captures: no profile pattern is matched against the URL
            # (a time-bounded match costs tens of µs, and every requisite's URL is a new one)
            revisit=None if previous is None else self.session.revisit_of(
                response.url, response.status, response.body, previous, self._may_be_article(response.url)
            ),
        )
        request.meta[RECORD_ID_META] = exchange.response_record_id
        request.meta[CAPTURED_AT_META] = started_at
        request.meta[REVISIT_META] = exchange.revisit is not None
        self.session.archive_exchange(exchange)
        self.stats.inc_value("archive/responses")
        self.stats.inc_value(f"archive/responses/status/{response.status}")
        if exchange.revisit is not None:
            self.stats.inc_value("archive/revisits")
            self.stats.inc_value(f"archive/revisits/{exchange.revisit.profile.rsplit('/', 1)[1]}")

    def _may_be_article(self, url: str) -> bool:
        profile = getattr(self.crawler.spider, "profile", None)
        return profile is not None and profile.is_article_url(url)

    def item_scraped(self, item: Any, response: Response, spider: Spider) -> None:
        if not self.session.opened or not isinstance(item, ArticleItem):
            return
        article = item.article
        self.stats.inc_value("archive/articles")
        if response.meta.get(REVISIT_META):
            self.stats.inc_value("archive/articles/unchanged")  # its metadata record already exists
            return
        previous = response.meta.get(PREVIOUS_CAPTURE_META)
        known = previous is not None and previous.is_article
        self.stats.inc_value("archive/articles/changed" if known else "archive/articles/new")
        self.session.archive_article(
            target_uri=article.fetched_url,
            payload=article.to_record(),
            concurrent_to=item.response_record_id,
            date=item.captured_at,
        )
        verdict = {True: "paywalled", False: "free", None: "paywall_unknown"}[article.paywall.paywalled]
        self.stats.inc_value(f"archive/articles/{verdict}")

    def spider_closed(self, spider: Spider, reason: str) -> Deferred:
        """Drain and close the writers in a thread: the reactor never waits for the disk."""
        status = "finished" if reason == "finished" or reason.startswith("closespider_") else "interrupted"
        closing = deferToThread(self.session.close, status, self._run_stats(reason) if self.session.opened else {})
        return closing.addCallback(self._closed)

    def _closed(self, totals: SessionTotals) -> None:
        if not self.session.opened:
            return
        if totals.failure:
            self.stats.set_value("archive/failed", totals.failure)
        self.stats.set_value("archive/warc_files", totals.warc_files)
        self.stats.set_value("archive/warc_bytes", totals.warc_bytes)
        self.stats.set_value("archive/records", totals.records)

    def _run_stats(self, reason: str) -> dict[str, Any]:
        wanted = ("archive/", "downloader/response_count", "downloader/exception_count", "retry/", "robotstxt/")
        stats = {
            key: value
            for key, value in self.stats.get_stats().items()
            if key.startswith(wanted) and isinstance(value, (int, float, str))
        }
        stats["finish_reason"] = reason
        # which pages failed and how: the next run reports the same failure as a repeat, not anew
        stats["failed_urls"] = dict(getattr(self.crawler.spider, "failed_urls", {}))
        return stats


def _request_headers_as_sent(request: Request) -> list[tuple[bytes, bytes]]:
    # Twisted writes the Host header itself; the archived request should show it too.
    headers = _header_pairs(request.headers)
    if not any(name.lower() == b"host" for name, _ in headers):
        headers.insert(0, (b"Host", urlsplit(request.url).netloc.encode("ascii")))
    return headers


def _header_pairs(headers: Headers) -> list[tuple[bytes, bytes]]:
    """Every (name, value) as bytes, a repeated header (Set-Cookie) once per value."""
    return [(bytes(name), bytes(value)) for name, values in headers.items() for value in values]


def _reason_phrase(status: int) -> str:
    # Scrapy does not keep the server's reason phrase; the registered phrase is the honest stand-in.
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
