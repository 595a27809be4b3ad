"""Re-crawls fetch only what may have changed: the downloader middleware behind nightly runs.

Articles an earlier crawl archived are re-fetched while younger than `ARCHIVE_RECRAWL_DAYS`, with
`If-None-Match` / `If-Modified-Since` from their last capture, so an unchanged page costs a 304.
Older archived articles are not fetched at all. Listings are always fetched in full: they are how
new articles are found. (Turning a response into a revisit record is the capture extension's job.)
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThread
from twisted.python.failure import Failure

from archive.index.previous import PreviousCapture
from crawler.config import ArchiveConfig
from crawler.items import ARCHIVED_LINKS_META, PREVIOUS_CAPTURE_META, ArchivedArticleSkipped, SessionProvider

if TYPE_CHECKING:
    from archive.session.session import CrawlSession

logger = logging.getLogger(__name__)


class IncrementalMiddleware:
    """Conditional requests for archived articles; no request at all for old archived articles.

    Earlier captures are looked up in the index by the crawl session, in a thread, a batch of URLs at
    a time (every request that reaches the downloader in one turn of the event loop); the capture
    found travels in `request.meta` to the capture extension, which decides on a revisit record.
    """

    def __init__(self, crawler: Crawler, config: ArchiveConfig, session: CrawlSession) -> None:
        self.crawler = crawler
        self.config = config
        self.session = session
        self._now = datetime.now(timezone.utc)
        self._waiting: dict[str, list[Deferred[PreviousCapture | None]]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalMiddleware:
        # Downloader middlewares are built after extensions: the capture extension has read the
        # settings (one config per crawl) and its session has checked the schema before any request.
        capture = crawler.get_extension(SessionProvider)
        if capture is None:
            raise NotConfigured("incremental re-crawls need the capture extension")
        config = capture.config
        if not (config.incremental and config.db_enabled):
            raise NotConfigured("incremental re-crawls need ARCHIVE_INCREMENTAL and the index")
        if capture.session.previous is None:
            logger.info("First crawl into this archive: no earlier captures to compare with")
        return cls(crawler, config, capture.session)

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        request.meta.pop(PREVIOUS_CAPTURE_META, None)  # a redirect copies the meta of the request before
        if self.session.previous is None:
            return
        self.condition(request, await maybe_deferred_to_future(self._previous_capture(request.url)))

    def condition(self, request: Request, previous: PreviousCapture | None) -> None:
        """Make `request` conditional on the URL's earlier capture, or drop it when that capture is
        an article older than ARCHIVE_RECRAWL_DAYS (IgnoreRequest)."""
        if previous is None:
            return
        request.meta[PREVIOUS_CAPTURE_META] = previous
        if not previous.is_article:
            return
        age = previous.article_age_days(self._now)
        if age is not None and age > self.config.recrawl_days:
            self.crawler.stats.inc_value("archive/skipped/archived_article")
            raise ArchivedArticleSkipped(
                f"archived before and older than {self.config.recrawl_days:g} days", previous.similar_links
            )
        request.meta[ARCHIVED_LINKS_META] = previous.similar_links
        if previous.etag:
            request.headers.setdefault(b"If-None-Match", previous.etag.encode("latin-1"))
        if previous.last_modified:
            request.headers.setdefault(b"If-Modified-Since", previous.last_modified.encode("latin-1"))

    def _previous_capture(self, url: str) -> Deferred[PreviousCapture | None]:
        """The URL's earlier capture, from the next batched look-up."""
        waiting: Deferred[PreviousCapture | None] = Deferred()
        if not self._waiting:
            from twisted.internet import reactor  # the installed one

            reactor.callLater(0, self._look_up)
        self._waiting.setdefault(url, []).append(waiting)
        return waiting

    def _look_up(self) -> None:
        batch, self._waiting = self._waiting, {}
        self.crawler.stats.inc_value("archive/previous_lookups")

        def answer(found: dict[str, PreviousCapture]) -> None:
            for url, waiting in batch.items():
                for deferred in waiting:
                    deferred.callback(found.get(url))

        def fail(failure: Failure) -> None:
            for waiting in batch.values():
                for deferred in waiting:
                    deferred.errback(failure)

        deferToThread(self.session.lookup_previous, list(batch)).addCallbacks(answer, fail)
