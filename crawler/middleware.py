"""Re-crawls fetch only what may have changed: the downloader middleware behind nightly runs.

Articles an earlier crawl archived are re-fetched while younger than `ARCHIVE_RECRAWL_DAYS`, with
`If-None-Match` / `If-Modified-Since` from their last capture, so an unchanged page costs a 304.
Older archived articles are not fetched at all. Listings are always fetched in full: they are how
new articles are found. (Turning a response into a revisit record is the capture extension's job.)
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured

from archive.index.previous import PreviousCrawls
from crawler.config import ArchiveConfig
from crawler.items import ARCHIVED_LINKS_META, SessionProvider

logger = logging.getLogger(__name__)


class IncrementalMiddleware:
    """Conditional requests for archived articles; no request at all for old archived articles."""

    def __init__(self, crawler: Crawler, config: ArchiveConfig, previous: PreviousCrawls) -> None:
        self.crawler = crawler
        self.config = config
        self.previous = previous
        self._now = datetime.now(timezone.utc)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalMiddleware:
        config = ArchiveConfig.from_settings(crawler.settings)
        if not (config.incremental and config.db_enabled and config.warc_enabled):
            raise NotConfigured("incremental re-crawls need ARCHIVE_INCREMENTAL and the index")
        # Downloader middlewares are built after extensions: the capture extension has checked the
        # schema and loaded what earlier crawls archived, before any request. One load serves both.
        capture = crawler.get_extension(SessionProvider)
        if capture is None:
            raise NotConfigured("incremental re-crawls need the capture extension")
        logger.info("Incremental crawl: %d URLs archived before", len(capture.previous.by_url))
        return cls(crawler, config, capture.previous)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        previous = self.previous.by_url.get(request.url)
        if previous is None or not previous.is_article:
            return
        age = previous.article_age_days(self._now)
        if age is not None and age > self.config.recrawl_days:
            self.crawler.stats.inc_value("archive/skipped/archived_article")
            raise IgnoreRequest(f"archived before and older than {self.config.recrawl_days:g} days")
        request.meta[ARCHIVED_LINKS_META] = self.previous.similar_links.get(request.url, ())
        if previous.etag:
            request.headers.setdefault(b"If-None-Match", previous.etag.encode("latin-1"))
        if previous.last_modified:
            request.headers.setdefault(b"If-Modified-Since", previous.last_modified.encode("latin-1"))
