"""Crawler traps: limits that stop endless pagination, calendars and other generated URL spaces.

Three limits, each a setting (README, "Configuration"); a URL refused by one is counted under
`archive/skipped/trap/<limit>`, never fetched, and not a failure:

- depth (Scrapy's `DEPTH_LIMIT`): links followed from the start pages;
- pages per listing (`ARCHIVE_MAX_LISTING_PAGES`): the page number in `?<pagination_param>=N`, or
  the trailing number of a listing path (`/news/more/7`, `/page/7`);
- URLs per path pattern (`ARCHIVE_MAX_URLS_PER_PATTERN`): URLs whose path and query are the same
  once every run of digits is replaced (`/calendar/2026/11/25` and `/calendar/1999/01/01` share
  `/calendar/N/N/N`). A pattern under which an article was found is never limited, so
  `/news/12345`-style article URLs are not mistaken for a calendar.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from scrapy.settings import BaseSettings

_DIGITS = re.compile(r"\d+")
_TRAILING_NUMBER = re.compile(r"/(\d+)/?$")


@dataclass(frozen=True, slots=True)
class TrapLimits:
    """The limits, read once from the settings; 0 switches a limit off."""

    max_depth: int
    max_listing_pages: int
    max_urls_per_pattern: int

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> TrapLimits:
        return cls(
            max_depth=settings.getint("DEPTH_LIMIT"),
            max_listing_pages=settings.getint("ARCHIVE_MAX_LISTING_PAGES"),
            max_urls_per_pattern=settings.getint("ARCHIVE_MAX_URLS_PER_PATTERN"),
        )


def url_pattern(url: str) -> str:
    """The URL's path and sorted query with every run of digits replaced by N."""
    parts = urlsplit(url)
    query = sorted((name, _DIGITS.sub("N", value)) for name, value in parse_qsl(parts.query, keep_blank_values=True))
    shape = _DIGITS.sub("N", parts.path or "/")
    return shape + ("?" + "&".join(f"{name}={value}" for name, value in query) if query else "")


def page_number(url: str, pagination_param: str, is_listing: bool) -> int | None:
    """The pagination number of a URL: its `pagination_param` value, or for a listing the number
    that ends its path; None when the URL is not a numbered page."""
    parts = urlsplit(url)
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name == pagination_param and value.isdigit():
            return int(value)
    if is_listing and (match := _TRAILING_NUMBER.search(parts.path)):
        return int(match.group(1))
    return None


class TrapGuard:
    """Decides, per new URL, whether a trap limit refuses it; one instance per crawl."""

    def __init__(self, limits: TrapLimits) -> None:
        self.limits = limits
        self._per_pattern: Counter[str] = Counter()
        self._article_patterns: set[str] = set()

    def refusal(self, url: str, depth: int, *, pagination_param: str, is_listing: bool, is_article: bool) -> str | None:
        """The name of the limit that refuses `url` at link depth `depth`, or None to follow it."""
        limits = self.limits
        if limits.max_depth and depth > limits.max_depth:
            return "depth"
        if limits.max_listing_pages:
            number = page_number(url, pagination_param, is_listing)
            if number is not None and number > limits.max_listing_pages:
                return "listing_pages"
        if limits.max_urls_per_pattern and not is_article:
            pattern = url_pattern(url)
            if pattern not in self._article_patterns:
                if self._per_pattern[pattern] >= limits.max_urls_per_pattern:
                    return "url_pattern"
                self._per_pattern[pattern] += 1
        return None

    def article_found(self, url: str) -> None:
        """An article came from `url`: its pattern holds articles, not a calendar."""
        self._article_patterns.add(url_pattern(url))
