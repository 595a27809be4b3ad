"""The crawl history: one line per run, newest first, for `newsarchive runs` and cron mail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from archive.index.database import Database
from archive.index.models import CrawlRun


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One row of `newsarchive runs`: a crawl run and its stats."""

    id: int
    site: str
    started_at: str
    finished_at: str | None
    status: str
    stats: dict[str, Any]

    def counts(self) -> dict[str, int]:
        """The figures a reader of the run list wants, from the run's stats."""
        stats = self.stats
        return {
            "pages": int(stats.get("archive/pages", 0)),
            "articles": int(stats.get("archive/articles", 0)),
            "new": int(stats.get("archive/articles/new", 0)),
            "changed": int(stats.get("archive/articles/changed", 0)),
            "unchanged": int(stats.get("archive/articles/unchanged", 0)),
            "revisits": int(stats.get("archive/revisits", 0)),
            "failed": int(stats.get("archive/failed_pages", 0)),
            "bytes": int(stats.get("archive/warc_bytes", 0)),
        }


def list_runs(database: Database, limit: int = 20, site: str | None = None) -> list[RunSummary]:
    """The latest `limit` runs, newest first, optionally of one site only."""
    query = select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)
    if site:
        query = query.where(CrawlRun.site == site)
    with database.engine.connect() as connection:
        return [
            RunSummary(row.id, row.site, row.started_at, row.finished_at, row.status, row.stats or {})
            for row in connection.execute(query)
        ]
