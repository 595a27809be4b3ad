"""Run one crawl in this process and report how it went: the engine behind `newsarchive crawl`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from archive.db import prepare_database
from crawler.config import ArchiveConfig
from crawler.sites import load_profile
from crawler.spiders.news import NewsSpider

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CrawlOutcome:
    """What a finished crawl did, read from its Scrapy stats."""

    stats: dict[str, Any]
    config: ArchiveConfig

    @property
    def failure(self) -> str | None:
        """Why the crawl counts as failed, or None when it succeeded."""
        if failed := self.stats.get("archive/failed"):
            return str(failed)
        reason = self.stats.get("finish_reason")
        if reason not in ("finished", None):
            return f"the crawl stopped early ({reason})"
        if not self.stats.get("archive/responses"):
            return "no page could be fetched: check the base URL and the network"
        return None

    def summary(self) -> str:
        stats = self.stats
        articles = stats.get("archive/articles", 0)
        paywalled = stats.get("archive/articles/paywalled", 0)
        errors = sum(
            value for key, value in stats.items() if key.startswith("archive/responses/status/") and key[-3] in "45"
        ) + stats.get("downloader/exception_count", 0)
        return (
            f"{stats.get('archive/responses', 0)} responses archived, {articles} articles "
            f"({paywalled} paywalled, {articles - paywalled} free), {errors} failed fetches; "
            f"{stats.get('archive/warc_files', 0)} WARC files ({stats.get('archive/warc_bytes', 0):,} bytes) "
            f"in {self.config.warc_dir}; index {self.config.database_url}"
        )


def run_crawl(profile_ref: str, settings: Settings) -> CrawlOutcome:
    """Crawl with the named (or file) profile; blocks until the crawl ends. One call per process."""
    config = ArchiveConfig.from_settings(settings)
    load_profile(profile_ref)  # a bad profile is a usage error, raised before anything starts
    if config.db_enabled:
        prepare_database(config.database_url)
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(NewsSpider)
    process.crawl(crawler, profile=profile_ref)
    process.start()
    return CrawlOutcome(stats=dict(crawler.stats.get_stats() if crawler.stats else {}), config=config)
