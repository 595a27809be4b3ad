"""What the crawl's components share without importing one another.

The spider, the capture extension and the incremental middleware are siblings: each reads and
writes the request-meta keys below and hands articles over as `ArticleItem`, so none needs another's
module. The middleware finds the capture extension through `crawler.get_extension(SessionProvider)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from scrapy.exceptions import IgnoreRequest

from crawler.extract.article import Article

if TYPE_CHECKING:  # the spider must not load the index (SQLAlchemy) to read this module
    from archive.session.session import CrawlSession
    from crawler.config import ArchiveConfig

# Set by the capture extension on `response_downloaded`, read by the spider.
RECORD_ID_META = "warc_response_record_id"  # WARC-Record-ID of the archived response
CAPTURED_AT_META = "warc_captured_at"  # when the capture began
REVISIT_META = "warc_revisit"  # the response was archived as a revisit of an earlier capture
# Set by the incremental middleware, read by the spider on a 304, which has no body to read.
ARCHIVED_LINKS_META = "archived_similar_links"
# Set by the incremental middleware, read by the capture extension: the URL's last full capture.
PREVIOUS_CAPTURE_META = "archive_previous_capture"
# Set by the decoding middleware on a response whose compressed body ended early; read by the spider.
TRUNCATED_META = "archive_body_truncated"


class UndecodableResponse(IgnoreRequest):
    """Raised by the decoding middleware for a response archived raw whose body the spider cannot
    read; `kind` names why, for the spider's failure stats."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(slots=True)
class ArticleItem:
    """An extracted article and the archived response it came from."""

    article: Article
    response_record_id: str  # WARC-Record-ID of the response record: the metadata record points here
    captured_at: datetime  # when the capture began; the metadata record shares the response's date


class SessionProvider:
    """A crawl component that owns the crawl session; `crawler.get_extension(SessionProvider)` finds
    it, so the middleware shares the session without importing the extension's module."""

    session: CrawlSession
    config: ArchiveConfig  # the crawl's settings, read once

    def item_scraped(self, item: object, response: object, spider: object) -> None:
        """Archive an extracted `ArticleItem` (the add-on's extraction hands articles over here)."""
        raise NotImplementedError


class ArchivedArticleSkipped(IgnoreRequest):
    """An old archived article not fetched again; its archived Similar-stories links are still
    followed (by the spider's errback), or articles reachable only through it would never be
    reached again, such as one whose record a killed crawl did not write."""

    def __init__(self, message: str, similar_links: tuple[str, ...]) -> None:
        super().__init__(message)
        self.similar_links = similar_links
