"""Every `ARCHIVE_*` setting, declared once with its default and help, and the validated config.

`crawler/settings.py` takes its defaults from `ARCHIVE_SETTINGS`, the README documents each one, and
a test fails when a declared setting is missing from the README.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scrapy.settings import BaseSettings, Settings


class ConfigError(ValueError):
    """A setting has a value the crawler cannot use; the message names the setting."""


@dataclass(frozen=True, slots=True)
class SettingSpec:
    """One `ARCHIVE_*` setting: its name, default and the help the README repeats."""

    name: str
    default: Any
    help: str


ARCHIVE_SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec("ARCHIVE_DATA_DIR", "data", "Directory for WARC files (`warcs/`) and the SQLite database."),
    SettingSpec(
        "ARCHIVE_DATABASE_URL",
        "",
        "SQLAlchemy URL of the index database; empty means `sqlite:///<ARCHIVE_DATA_DIR>/archive.sqlite3`.",
    ),
    SettingSpec("ARCHIVE_WARC_DIR", "", "Where WARC files go; empty means `<ARCHIVE_DATA_DIR>/warcs`."),
    SettingSpec("ARCHIVE_WARC_ENABLED", True, "Write WARC files (and the index fed from them)."),
    SettingSpec("ARCHIVE_DB_ENABLED", True, "Index every capture and article in the database."),
    SettingSpec("ARCHIVE_WARC_PREFIX", "newsarchive", "First part of every WARC file name."),
    SettingSpec(
        "ARCHIVE_WARC_MAX_SIZE",
        1_000_000_000,
        "Roll over to a new WARC file before one would grow past this many bytes.",
    ),
    SettingSpec("ARCHIVE_WARC_DIGEST", "sha1", "Digest algorithm for WARC digests: `sha1` or `sha256`."),
    SettingSpec("ARCHIVE_WARC_GZIP_LEVEL", 6, "zlib level (1-9) for each record's gzip member."),
    SettingSpec("ARCHIVE_OPERATOR", "", "Who runs the crawl (name or email), written into every warcinfo record."),
    SettingSpec(
        "ARCHIVE_CONTACT_URL",
        "https://github.com/newsarchive/newsarchive",
        "URL named in the User-Agent so site owners can find out who is crawling.",
    ),
    SettingSpec("ARCHIVE_BASE_URL", "", "Crawl the site profile against this base URL (a mirror or local copy)."),
    SettingSpec("ARCHIVE_PROFILE_PATH", "", "Crawl with the profile at this path instead of a bundled one."),
    SettingSpec("ARCHIVE_DB_BATCH_SIZE", 200, "Database rows written per transaction by the index writer."),
    SettingSpec(
        "ARCHIVE_INCREMENTAL",
        True,
        "Re-crawls send conditional requests and archive unchanged pages as revisit records.",
    ),
    SettingSpec(
        "ARCHIVE_RECRAWL_DAYS",
        7,
        "Already archived articles are re-fetched while younger than this many days (0: never).",
    ),
    SettingSpec("ARCHIVE_PROGRESS", True, "Show a live progress line when stderr is a terminal."),
    SettingSpec(
        "ARCHIVE_MAX_FAILED_RATIO",
        0.05,
        "Share of pages that may fail (after retries) before the crawl exits with code 4.",
    ),
    SettingSpec(
        "ARCHIVE_MAX_LISTING_PAGES",
        100,
        "Listing pages numbered above this (`?page=N`, or a listing path ending in a number such as "
        "`/news/more/N`) are not followed: endless pagination ends (0: no limit).",
    ),
    SettingSpec(
        "ARCHIVE_MAX_URLS_PER_PATTERN",
        1000,
        "At most this many URLs that differ only in their digits (`/calendar/N/N/N`) are followed, "
        "unless articles were found under that pattern: calendars end (0: no limit).",
    ),
    SettingSpec(
        "ARCHIVE_RETRY_AFTER_MAX",
        120,
        "A 429 or 503 with `Retry-After` is retried after that many seconds if it is at most this "
        "many; a longer wait is not retried in this crawl (a recorded failure).",
    ),
    SettingSpec(
        "ARCHIVE_OBEY_NOARCHIVE",
        False,
        "Pages marked `noarchive` (meta robots, `X-Robots-Tag`) are archived and indexed, with the "
        "directive recorded in `extra.robots`; True leaves their article out of the index.",
    ),
    SettingSpec("ARCHIVE_REQUISITES", True,
                "Fetch and archive every page's requisites (stylesheets and what they load, scripts, images, "
                "icons), so pages replay as they looked (`crawler/requisites.py`)."),
    SettingSpec("ARCHIVE_REQUISITE_TYPES", ["stylesheet", "script", "image", "font", "icon"],
                "Which kinds of requisite to fetch."),
    SettingSpec("ARCHIVE_REQUISITE_MAX_SIZE", 5_000_000,
                "Bytes one requisite may have; a larger one is abandoned (and counted under "
                "`archive/requisites/failed`)."),
    SettingSpec("ARCHIVE_REQUISITES_PER_PAGE", 150,
                "Requisites requested for one page (or one stylesheet) at most, in document order."),
    SettingSpec("ARCHIVE_REQUISITE_HOSTS", [],
                "Empty: requisites come from whatever host a page loads them from (a CDN too). Otherwise "
                "only from the site's hosts and these."),
)


def default_of(name: str) -> Any:
    """The declared default of one `ARCHIVE_*` setting."""
    return next(spec.default for spec in ARCHIVE_SETTINGS if spec.name == name)


@dataclass(frozen=True, slots=True)
class ArchiveConfig:
    """The `ARCHIVE_*` settings, read once and checked."""

    data_dir: Path
    database_url: str
    warc_dir: Path
    warc_enabled: bool
    db_enabled: bool
    warc_prefix: str
    warc_max_size: int
    warc_digest: str
    warc_gzip_level: int
    operator: str
    contact_url: str
    base_url: str
    profile_path: str
    db_batch_size: int
    max_failed_ratio: float
    incremental: bool
    recrawl_days: float

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> ArchiveConfig:
        data_dir = Path(settings.get("ARCHIVE_DATA_DIR") or default_of("ARCHIVE_DATA_DIR"))
        digest = settings.get("ARCHIVE_WARC_DIGEST") or default_of("ARCHIVE_WARC_DIGEST")
        if digest not in ("sha1", "sha256"):
            raise ConfigError(f"ARCHIVE_WARC_DIGEST must be sha1 or sha256, not {digest!r}")
        level = settings.getint("ARCHIVE_WARC_GZIP_LEVEL", default_of("ARCHIVE_WARC_GZIP_LEVEL"))
        if not 1 <= level <= 9:
            raise ConfigError(f"ARCHIVE_WARC_GZIP_LEVEL must be between 1 and 9, not {level}")
        max_size = settings.getint("ARCHIVE_WARC_MAX_SIZE")
        if max_size <= 0:
            raise ConfigError(f"ARCHIVE_WARC_MAX_SIZE must be a positive number of bytes, not {max_size}")
        batch = settings.getint("ARCHIVE_DB_BATCH_SIZE")
        if batch <= 0:
            raise ConfigError(f"ARCHIVE_DB_BATCH_SIZE must be positive, not {batch}")
        return cls(
            data_dir=data_dir,
            database_url=settings.get("ARCHIVE_DATABASE_URL") or database_url_for(data_dir),
            warc_dir=Path(settings.get("ARCHIVE_WARC_DIR") or data_dir / "warcs"),
            warc_enabled=settings.getbool("ARCHIVE_WARC_ENABLED"),
            db_enabled=settings.getbool("ARCHIVE_DB_ENABLED"),
            warc_prefix=settings.get("ARCHIVE_WARC_PREFIX") or default_of("ARCHIVE_WARC_PREFIX"),
            warc_max_size=max_size,
            warc_digest=digest,
            warc_gzip_level=level,
            operator=settings.get("ARCHIVE_OPERATOR") or "",
            contact_url=settings.get("ARCHIVE_CONTACT_URL") or "",
            base_url=settings.get("ARCHIVE_BASE_URL") or "",
            profile_path=settings.get("ARCHIVE_PROFILE_PATH") or "",
            db_batch_size=batch,
            max_failed_ratio=settings.getfloat("ARCHIVE_MAX_FAILED_RATIO"),
            incremental=settings.getbool("ARCHIVE_INCREMENTAL"),
            recrawl_days=settings.getfloat("ARCHIVE_RECRAWL_DAYS"),
        )


def job_dir_for(data_dir: Path, site: str) -> Path:
    """Where `--resume` keeps a crawl's queue and seen URLs (Scrapy's JOBDIR)."""
    return data_dir / "jobs" / site


def database_url_for(data_dir: Path) -> str:
    """The embedded default: one SQLite file inside the data directory."""
    return f"sqlite:///{data_dir / 'archive.sqlite3'}"


def crawl_settings(data_dir: Path | None, base_url: str, overrides: dict[str, str]) -> Settings:
    """Project settings with the command line on top, exactly as `scrapy crawl -s` layers them."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    if data_dir is not None:
        settings.set("ARCHIVE_DATA_DIR", str(data_dir), priority="cmdline")
    if base_url:
        settings.set("ARCHIVE_BASE_URL", base_url, priority="cmdline")
    for name, value in overrides.items():
        settings.set(name, value, priority="cmdline")
    return settings
