"""Where everything lives inside a data directory: the one place that derives those paths.

    DATA_DIR/warcs/                 WARC files (or ARCHIVE_WARC_DIR)
    DATA_DIR/archive.sqlite3        the index (or ARCHIVE_DATABASE_URL)
    DATA_DIR/locks/<site>.lock      one crawl per site at a time
    DATA_DIR/jobs/<site>/           an interrupted crawl's queue, kept for `--resume` (Scrapy's JOBDIR)
    DATA_DIR/replay/                pywb's config and CDXJ indexes
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class DataLayout:
    """The paths of one archive; `warc_dir` and `database_url` may be placed elsewhere by settings."""

    data_dir: Path
    warc_dir: Path
    database_url: str

    @classmethod
    def of(cls, data_dir: Path | str, warc_dir: Path | str | None = None, database_url: str = "") -> DataLayout:
        """The layout of `data_dir`, with the WARC directory and database where given, else inside it."""
        data_dir = Path(data_dir)
        return cls(
            data_dir=data_dir,
            warc_dir=Path(warc_dir) if warc_dir else data_dir / "warcs",
            database_url=database_url or f"sqlite:///{data_dir / 'archive.sqlite3'}",
        )

    def lock_file(self, site: str) -> Path:
        """The lock a crawl of `site` holds (the site name made safe for a file name)."""
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in site)
        return self.data_dir / "locks" / f"{safe}.lock"

    def job_dir(self, site: str) -> Path:
        """Where `--resume` keeps a crawl's queue and seen URLs (Scrapy's JOBDIR)."""
        return self.data_dir / "jobs" / site

    @property
    def replay_dir(self) -> Path:
        """pywb's config and collection indexes."""
        return self.data_dir / "replay"
