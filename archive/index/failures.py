"""What failed in a site's previous crawl, so a nightly run can tell old breakage from new.

A site's permanently broken links fail every night; counted as new failures they push a re-crawl
over `ARCHIVE_MAX_FAILED_RATIO` (exit 4) night after night. Each run records the pages that failed
and how (`failed_urls` in `crawl_runs.stats`, from its run record); the next run reports a page that
fails the same way again under `archive/failed_pages/repeated` instead of counting it as a failure.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from archive.index.database import Database
from archive.index.models import CrawlRun

logger = logging.getLogger(__name__)


def previous_failures(database: Database, site: str) -> dict[str, str]:
    """URL -> failure kind of the site's last ended run ({} when there is none or no index)."""
    try:
        with database.engine.connect() as connection:
            stats = connection.execute(
                select(CrawlRun.stats)
                .where(CrawlRun.site == site, CrawlRun.status != "running")
                .order_by(CrawlRun.id.desc())
                .limit(1)
            ).scalar()
    except SQLAlchemyError as exc:  # no index yet, or one the crawl itself will refuse
        logger.debug("No previous failures read: %s", exc)
        return {}
    failed = (stats or {}).get("failed_urls")
    return dict(failed) if isinstance(failed, dict) else {}
