"""The Scrapy extension that archives every HTTP exchange and every extracted article.

Exchanges are captured on `response_downloaded`: the response exactly as the downloader handed it
back, before middlewares decompress it or follow its redirects, with the request as sent. Articles
arrive on `item_scraped`, after every pipeline has had its say. Handlers only enqueue; the archive
writer thread owns the WARC file and the database writer thread owns the write connection.
"""

from __future__ import annotations

import logging
import os
import platform
import shutil
import socket
import uuid
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

from archive.session.warc_thread import RUN_SCHEMA, Archiver
from archive.index.database import prepare_database
from archive.index.writer import DatabaseWriter
from archive.errors import ArchiveError
from archive.index.previous import PreviousCrawls, load_previous_crawls
from archive.index.ingest import RunStarted
from archive.session.lock import CrawlLock
from archive.session.recovery import recover_open_files, recover_unfinished_runs
from archive.warc.records import (
    IDENTICAL_PAYLOAD_DIGEST,
    SERVER_NOT_MODIFIED,
    HttpExchange,
    Revisit,
    payload_digest,
)
from archive.warc.writer import RollingWarcWriter, WriterConfig
from crawler import __version__
from crawler.config import ArchiveConfig
from crawler.items import CAPTURED_AT_META, RECORD_ID_META, REVISIT_META, ArticleItem, SessionProvider

logger = logging.getLogger(__name__)


class WarcCaptureExtension(SessionProvider):
    """Feeds the archive writer from Scrapy signals; one instance per crawl, no shared state."""

    def __init__(
        self, crawler: Crawler, config: ArchiveConfig, lock: CrawlLock, previous: PreviousCrawls
    ) -> None:
        self.crawler = crawler
        self.config = config
        self.lock = lock
        self.previous = previous
        self.stats = crawler.stats
        # read once, here: the warcinfo record states both
        self.user_agent: str = crawler.settings.get("USER_AGENT", "")
        self.obeys_robots = crawler.settings.getbool("ROBOTSTXT_OBEY")
        self.run_uuid = str(uuid.uuid4())
        self.started_at = datetime.now(timezone.utc)
        self.archiver: Archiver | None = None
        self.database: DatabaseWriter | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCaptureExtension:
        config = ArchiveConfig.from_settings(crawler.settings)
        if not config.warc_enabled:
            raise NotConfigured("ARCHIVE_WARC_ENABLED is off")
        site = getattr(crawler.spider, "site_name", None) or getattr(crawler.spider, "name", "crawl")
        lock = CrawlLock(config.layout.lock_file(site))
        lock.acquire()  # raises LockHeld: an overlapping cron run fetches nothing
        try:
            database_url = config.database_url if config.db_enabled else None
            if database_url:
                prepare_database(database_url)  # raises if the schema is behind: nothing is fetched
            recover_open_files(config.warc_dir, database_url)
            if database_url:
                recover_unfinished_runs(config.warc_dir, database_url, site)
            _discard_stale_job(crawler, config, site)
            previous = (
                load_previous_crawls(database_url)
                if database_url and config.incremental
                else PreviousCrawls({}, frozenset(), {})
            )
        except BaseException:
            lock.release()
            raise
        extension = cls(crawler, config, lock, previous)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        try:
            self._open(spider)
        except Exception as exc:  # without an archive there is no point fetching anything
            logger.exception("Could not start archiving; stopping the crawl")
            self.stats.set_value("archive/failed", f"could not start archiving: {exc}")
            from twisted.internet import reactor  # the installed one; importing early would install another

            engine = self.crawler.engine
            assert engine is not None
            reactor.callLater(0, lambda: deferred_from_coro(engine.close_spider_async(reason="archive_failed")))

    def _open(self, spider: Spider) -> None:
        site = getattr(spider, "site_name", spider.name)
        warcinfo = self._warcinfo_fields(site)
        if self.config.db_enabled:
            self.database = DatabaseWriter(self.config.database_url, batch_size=self.config.db_batch_size)
            self.database.submit(RunStarted.from_warcinfo(warcinfo))  # as reindex will read it back
        writer = RollingWarcWriter(
            WriterConfig(
                directory=self.config.warc_dir,
                prefix=self.config.warc_prefix,
                max_size=self.config.warc_max_size,
                digest=self.config.warc_digest,
                compress_level=self.config.warc_gzip_level,
            ),
            warcinfo,
        )
        sink = self.database.submit if self.database else _discard
        self.archiver = Archiver(writer, sink, self.run_uuid)

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        if self.archiver is None or urlsplit(response.url).scheme not in ("http", "https"):
            return
        latency = request.meta.get("download_latency") or 0.0
        started_at = datetime.now(timezone.utc) - timedelta(seconds=latency)
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
            revisit=self._revisit_of(response),
        )
        request.meta[RECORD_ID_META] = exchange.response_record_id
        request.meta[CAPTURED_AT_META] = started_at
        request.meta[REVISIT_META] = exchange.revisit is not None
        self.archiver.archive_exchange(exchange)
        self.stats.inc_value("archive/responses")
        self.stats.inc_value(f"archive/responses/status/{response.status}")
        if exchange.revisit is not None:
            self.stats.inc_value("archive/revisits")
            self.stats.inc_value(f"archive/revisits/{exchange.revisit.profile.rsplit('/', 1)[1]}")

    def _revisit_of(self, response: Response) -> Revisit | None:
        """A revisit when an earlier crawl archived exactly this: a 304 to our conditional request,
        or a 200 whose body has the digest of the URL's last full capture."""
        previous = self.previous.by_url.get(response.url)
        if previous is None or not previous.payload_digest:
            return None
        if not previous.is_article and self._may_be_article(response.url):
            # an article page captured without its article record (the crawl was killed between
            # the two): not a revisit base, so the page is archived in full and extracted again
            return None
        if response.status == 304:
            profile = SERVER_NOT_MODIFIED
        elif response.status == 200 and payload_digest(response.body, previous.payload_digest) == previous.payload_digest:
            profile = IDENTICAL_PAYLOAD_DIGEST
        else:
            return None
        return Revisit(
            profile=profile,
            refers_to=previous.record_id,
            refers_to_uri=response.url,
            refers_to_date=previous.warc_date,
            payload_digest=previous.payload_digest,
        )

    def _may_be_article(self, url: str) -> bool:
        profile = getattr(self.crawler.spider, "profile", None)
        return profile is not None and profile.is_article_url(url)

    def item_scraped(self, item: Any, response: Response, spider: Spider) -> None:
        if self.archiver is None or not isinstance(item, ArticleItem):
            return
        article = item.article
        self.stats.inc_value("archive/articles")
        if response.meta.get(REVISIT_META):
            self.stats.inc_value("archive/articles/unchanged")  # its metadata record already exists
            return
        known = article.url in self.previous.article_urls
        self.stats.inc_value("archive/articles/changed" if known else "archive/articles/new")
        self.archiver.archive_metadata(
            target_uri=article.fetched_url,
            payload=article.to_record(),
            concurrent_to=item.response_record_id,
            date=item.captured_at,
        )
        verdict = {True: "paywalled", False: "free", None: "paywall_unknown"}[article.paywall.paywalled]
        self.stats.inc_value(f"archive/articles/{verdict}")

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.archiver is None:
            self.lock.release()
            return
        status = "finished" if reason == "finished" or reason.startswith("closespider_") else "interrupted"
        self.archiver.archive_metadata(
            target_uri=f"urn:newsarchive:crawl-run:{self.run_uuid}",
            payload={
                "schema": RUN_SCHEMA,
                "run_uuid": self.run_uuid,
                "finished_at": datetime.now(timezone.utc).isoformat(),
                "status": status,
                "stats": self._run_stats(reason),
            },
            concurrent_to=None,
            date=datetime.now(timezone.utc),
        )
        try:
            self.archiver.close()
        except ArchiveError as exc:
            logger.error("%s", exc)
            self.stats.set_value("archive/failed", str(exc))
        finally:
            writer = self.archiver.writer
            self.stats.set_value("archive/warc_files", len(writer.files_written))
            self.stats.set_value("archive/warc_bytes", writer.bytes_written)
            self.stats.set_value("archive/records", self.archiver.records_written)
        if self.database is not None:
            try:
                self.database.close()
            except ArchiveError as exc:
                logger.error("%s", exc)
                # a failed WARC write is the cause (a full disk fails the index next): it is named first
                if not self.stats.get_value("archive/failed"):
                    self.stats.set_value("archive/failed", str(exc))
        self.lock.release()

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

    def _warcinfo_fields(self, site: str) -> dict[str, str]:
        return {
            "software": f"newsarchive/{__version__} (Scrapy {scrapy.__version__}, warcio {version('warcio')})",
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "operator": self.config.operator,
            "hostname": socket.gethostname(),
            "python": platform.python_version(),
            "pid": str(os.getpid()),
            "robots": "obey" if self.obeys_robots else "ignore",
            "http-header-user-agent": self.user_agent,
            "crawl-run-id": self.run_uuid,
            "warc-prefix": self.config.warc_prefix,
            "site": site,
            "started-at": self.started_at.isoformat(),
        }


def _discard_stale_job(crawler: Crawler, config: ArchiveConfig, site: str) -> None:
    """Without --resume a crawl starts afresh: an interrupted crawl's queue would replay old work.
    Done under the lock, so a running crawl's job directory is never touched."""
    job_dir = config.layout.job_dir(site)
    if not crawler.settings.get("JOBDIR") and job_dir.exists():
        logger.info("Starting afresh: discarding the state of an interrupted crawl in %s", job_dir)
        shutil.rmtree(job_dir)


def _discard(_: object) -> None:
    """Index sink when database writing is switched off."""


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
