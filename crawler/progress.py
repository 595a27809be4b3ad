"""A live progress line when a crawl runs in a terminal; nothing at all under cron or in a pipe."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector
from scrapy.utils.asyncio import create_looping_call


class ProgressExtension:
    """Redraws the crawl's counts once a second on stderr, from Scrapy's stats."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.task_id = self.progress.add_task("starting", total=None)
        self.loop = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressExtension:
        if not crawler.settings.getbool("ARCHIVE_PROGRESS") or not sys.stderr.isatty():
            raise NotConfigured("no terminal (or ARCHIVE_PROGRESS is off)")
        assert crawler.stats is not None
        extension = cls(crawler.stats)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        self.progress.start()
        self.loop = create_looping_call(self.refresh)
        self.loop.start(1.0)

    def refresh(self) -> None:
        value = self.stats.get_value
        self.progress.update(
            self.task_id,
            description=(
                f"{value('archive/pages', 0)} pages, {value('archive/articles', 0)} articles "
                f"({value('archive/articles/new', 0)} new, {value('archive/articles/changed', 0)} changed, "
                f"{value('archive/articles/unchanged', 0)} unchanged), {value('archive/revisits', 0)} revisits, "
                f"{value('archive/failed_pages', 0)} failed"
            ),
        )

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.progress.stop()
