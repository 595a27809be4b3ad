"""Archive from any Scrapy project: one line in its `ADDONS` turns on WARC capture and the index.

    ADDONS = {"crawler.addon.NewsArchiveAddon": 500}

The add-on enables, around the user's own spider and pipelines:

- the capture extension (`crawler.extension.WarcCaptureExtension`): every response as downloaded into
  WARC files, indexed in the database (`ARCHIVE_DATA_DIR`, SQLite by default; the schema is created
  on the first crawl), with revisit records for pages whose body has not changed since;
- `ArticleExtractionMiddleware`: each HTML page the profile recognises as an article
  (`ARCHIVE_PROFILE_PATH`, by default the bundled `generic` profile, which knows articles by their
  markup) is extracted and archived as a metadata record and index rows, paywall marker included.
  The article goes to the archive only: the spider's own items and pipelines are left as they were;
- page requisites (`crawler.requisites.RequisitesMiddleware`), unless `ARCHIVE_REQUISITES = False`.

A setting the project does not give takes its default from `crawler/settings.py`. Conditional
re-crawl requests (`ARCHIVE_INCREMENTAL`'s 304s) are switched off at add-on priority: a 304 would
reach the user's callbacks as an error response.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import datetime, timezone
from typing import Any

from lxml.html import HtmlElement
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, Response
from scrapy.settings import BaseSettings

from crawler.extract import extract_from_tree
from crawler.items import CAPTURED_AT_META, RECORD_ID_META, ArticleItem, SessionProvider
from crawler.parsed import parsed_page
from crawler.requisites import REQUISITE_META
from crawler.sites import SiteProfile, load_profile

logger = logging.getLogger(__name__)

DEFAULT_PROFILE = "generic"


class NewsArchiveAddon:
    """Scrapy add-on: WARC capture, the index and article extraction for any spider."""

    def update_settings(self, settings: BaseSettings) -> None:
        settings.set("ARCHIVE_INCREMENTAL", False, priority="addon")  # below the project's own value
        settings.setdefault_in_component_priority_dict("EXTENSIONS", "crawler.extension.WarcCaptureExtension", 100)
        settings.setdefault_in_component_priority_dict(
            "SPIDER_MIDDLEWARES", ArticleExtractionMiddleware, 45)
        settings.setdefault_in_component_priority_dict(
            "SPIDER_MIDDLEWARES", "crawler.requisites.RequisitesMiddleware", 40)


class ArticleExtractionMiddleware:
    """Extracts the articles among the pages a spider receives and hands them to the capture
    extension, as the project's own news spider does, without touching the spider's output."""

    def __init__(self, crawler: Crawler, profile: SiteProfile, capture: SessionProvider) -> None:
        self.crawler = crawler
        self.profile = profile
        self.capture = capture
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArticleExtractionMiddleware:
        capture = crawler.get_extension(SessionProvider)
        if capture is None:
            raise NotConfigured("article extraction archives through the capture extension, which is off")
        profile = load_profile(crawler.settings.get("ARCHIVE_PROFILE_PATH") or DEFAULT_PROFILE)
        return cls(crawler, profile, capture)

    def process_spider_output(self, response: Response, result: Iterable[Any], spider: Spider) -> Iterator[Any]:
        self._archive_article(response, spider)
        yield from result

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any], spider: Spider
    ) -> AsyncIterator[Any]:
        self._archive_article(response, spider)
        async for item in result:
            yield item

    def _archive_article(self, response: Response, spider: Spider) -> None:
        if (response.status != 200 or not isinstance(response, HtmlResponse)
                or response.meta.get(REQUISITE_META) or not self.profile.may_be_article(response.url)):
            return
        self.stats.inc_value("archive/pages")
        try:
            root = parsed_page(response)
            if not isinstance(root, HtmlElement):
                return
            article = extract_from_tree(root, response.url, self.profile)
        except Exception:  # a page the extractor cannot read is a recorded failure, not a dead crawl
            logger.exception("Extraction failed for %s", response.url)
            self.stats.inc_value("archive/extract_errors")
            return
        if article is None:
            self.stats.inc_value("archive/not_an_article")
            return
        item = ArticleItem(
            article=article,
            response_record_id=response.meta.get(RECORD_ID_META, ""),
            captured_at=response.meta.get(CAPTURED_AT_META) or datetime.now(timezone.utc),
        )
        self.capture.item_scraped(item, response, spider)
