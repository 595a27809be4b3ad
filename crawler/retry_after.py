"""`Retry-After` on 429 and 503 honoured, within a cap, before Scrapy's retry middleware retries.

Scrapy retries a 429 at once, which is exactly what a rate-limited server asked us not to do. This
middleware holds such a response for the time the server named (seconds or an HTTP date), up to
`ARCHIVE_RETRY_AFTER_MAX` seconds, and only then lets the retry middleware see it. A server that
asks for a longer wait is not retried in this crawl: the page is a recorded failure.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future

logger = logging.getLogger(__name__)

RETRY_AFTER_STATUSES = (429, 503)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or HTTP-date); None if unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class RetryAfterMiddleware:
    """Waits out a 429/503's Retry-After (at most `max_wait` s) so the retry comes when asked."""

    def __init__(self, crawler: Crawler, max_wait: float) -> None:
        self.crawler = crawler
        self.max_wait = max_wait

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        return cls(crawler, crawler.settings.getfloat("ARCHIVE_RETRY_AFTER_MAX"))

    async def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        if response.status not in RETRY_AFTER_STATUSES or request.meta.get("dont_retry"):
            return response
        header = response.headers.get("Retry-After")
        wait = retry_after_seconds(header.decode("latin-1") if header else None)
        if wait is None:
            return response
        stats = self.crawler.stats
        if wait > self.max_wait:
            logger.warning("%s asks to retry after %.0f s, more than ARCHIVE_RETRY_AFTER_MAX=%g: not retried",
                           request.url, wait, self.max_wait)
            stats.inc_value("archive/retry_after/too_long")
            request.meta["dont_retry"] = True
            return response
        logger.info("%s answered %d: waiting %.1f s (Retry-After) before retrying", request.url, response.status, wait)
        stats.inc_value("archive/retry_after/waits")
        stats.inc_value("archive/retry_after/seconds", round(wait, 3))
        from twisted.internet import reactor, task  # the running reactor, installed by Scrapy

        await maybe_deferred_to_future(task.deferLater(reactor, wait, lambda: None))
        return response
