"""The `ARCHIVE_*` settings read once per crawl into a frozen, validated config.

The settings and their defaults are declared in `crawler/settings.py`; a setting missing from the
settings given (a project of one's own, a test's `get_crawler`) takes that default, never 0 or "".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scrapy.settings import BaseSettings, Settings

from archive.layout import DataLayout
from crawler import settings as defaults


class ConfigError(ValueError):
    """A setting has a value the crawler cannot use; the message names the setting."""


@dataclass(frozen=True, slots=True)
class ArchiveConfig:
    """The `ARCHIVE_*` settings, read once and checked."""

    layout: DataLayout
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
    query_timeout: float
    query_max_memory: int  # megabytes

    @property
    def data_dir(self) -> Path:
        return self.layout.data_dir

    @property
    def warc_dir(self) -> Path:
        return self.layout.warc_dir

    @property
    def database_url(self) -> str:
        return self.layout.database_url

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> ArchiveConfig:
        def text(name: str) -> str:
            return settings.get(name) or getattr(defaults, name)

        def number(name: str) -> int:
            return settings.getint(name, getattr(defaults, name))

        def flag(name: str) -> bool:
            return settings.getbool(name, getattr(defaults, name))

        digest = text("ARCHIVE_WARC_DIGEST")
        if digest not in ("sha1", "sha256"):
            raise ConfigError(f"ARCHIVE_WARC_DIGEST must be sha1 or sha256, not {digest!r}")
        level = number("ARCHIVE_WARC_GZIP_LEVEL")
        if not 1 <= level <= 9:
            raise ConfigError(f"ARCHIVE_WARC_GZIP_LEVEL must be between 1 and 9, not {level}")
        max_size = number("ARCHIVE_WARC_MAX_SIZE")
        if max_size <= 0:
            raise ConfigError(f"ARCHIVE_WARC_MAX_SIZE must be a positive number of bytes, not {max_size}")
        timeout = settings.getfloat("ARCHIVE_QUERY_TIMEOUT", defaults.ARCHIVE_QUERY_TIMEOUT)
        if timeout < 0:
            raise ConfigError(f"ARCHIVE_QUERY_TIMEOUT must be 0 (no limit) or a number of seconds, not {timeout:g}")
        memory = number("ARCHIVE_QUERY_MAX_MEMORY")
        if memory < 16:
            raise ConfigError(f"ARCHIVE_QUERY_MAX_MEMORY must be at least 16 (megabytes), not {memory}")
        batch = number("ARCHIVE_DB_BATCH_SIZE")
        if batch <= 0:
            raise ConfigError(f"ARCHIVE_DB_BATCH_SIZE must be positive, not {batch}")
        return cls(
            layout=DataLayout.of(
                text("ARCHIVE_DATA_DIR"), text("ARCHIVE_WARC_DIR"), text("ARCHIVE_DATABASE_URL")
            ),
            warc_enabled=flag("ARCHIVE_WARC_ENABLED"),
            db_enabled=flag("ARCHIVE_DB_ENABLED"),
            warc_prefix=text("ARCHIVE_WARC_PREFIX"),
            warc_max_size=max_size,
            warc_digest=digest,
            warc_gzip_level=level,
            operator=text("ARCHIVE_OPERATOR"),
            contact_url=text("ARCHIVE_CONTACT_URL"),
            base_url=text("ARCHIVE_BASE_URL"),
            profile_path=text("ARCHIVE_PROFILE_PATH"),
            db_batch_size=batch,
            max_failed_ratio=settings.getfloat("ARCHIVE_MAX_FAILED_RATIO", defaults.ARCHIVE_MAX_FAILED_RATIO),
            incremental=flag("ARCHIVE_INCREMENTAL"),
            recrawl_days=settings.getfloat("ARCHIVE_RECRAWL_DAYS", defaults.ARCHIVE_RECRAWL_DAYS),
            query_timeout=timeout,
            query_max_memory=memory,
        )


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
