"""Dates from any source to one form: UTC ISO-8601 with seconds ("2026-02-20T09:30:00+00:00").

Cheapest first: machine-readable timestamps with `datetime.fromisoformat`; visible text with the
profile's strptime formats; dateparser (slow, but reads any language) only for visible text nothing
else could read; htmldate (which also reads dates out of URLs such as /2026/nov/25/) only when the
page offered no date anywhere else.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import dateparser
from lxml.html import HtmlElement

logger = logging.getLogger(__name__)


@lru_cache(maxsize=16)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _as_utc(moment: datetime, timezone: str) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_zone(timezone))
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def iso_to_utc(value: str, timezone: str) -> str | None:
    """Machine-readable timestamps (JSON-LD, meta, <time datetime>); naive ones are site-local."""
    text = value.strip()
    if len(text) < 10 or not text[:4].isdigit():
        return None
    try:
        return _as_utc(datetime.fromisoformat(text), timezone)
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def _dateparser(value: str, timezone: str, languages: tuple[str, ...]) -> str | None:
    parsed = dateparser.parse(
        value,
        languages=list(languages),
        settings={"TIMEZONE": timezone, "RETURN_AS_TIMEZONE_AWARE": True, "DATE_ORDER": "DMY",
                  "PREFER_DATES_FROM": "past"},
    )
    if parsed is None:
        logger.debug("unparseable date %r", value)
        return None
    return _as_utc(parsed, timezone)


def text_to_utc(value: str, timezone: str, formats: Sequence[str] = (), language: str = "en") -> str | None:
    """Human dates ("Friday 20 February 2026, 09:30", "20 Feb 2026 9:30am", "25. November 2026")
    in the site's zone: ISO, then each strptime format, then dateparser in the page's language."""
    moment = iso_to_utc(value, timezone)
    if moment:
        return moment
    text = " ".join(value.split())
    for fmt in formats:
        try:
            return _as_utc(datetime.strptime(text, fmt), timezone)
        except ValueError:
            continue
    primary = (language or "en").split("-")[0].lower()
    languages = (primary,) if primary == "en" else (primary, "en")
    try:
        return _dateparser(text, timezone, languages)
    except ValueError:  # a language dateparser does not know
        return _dateparser(text, timezone, ("en",))


def page_date(page: HtmlElement, url: str, timezone: str) -> str | None:
    """Last resort: htmldate's search of the whole page and its URL (a day, taken as local midnight)."""
    from htmldate import find_date

    try:
        found = find_date(page, extensive_search=False, original_date=True, url=url)
    except Exception as exc:  # htmldate on odd pages: a missing date is not a failed extraction
        logger.debug("htmldate failed on %s: %s", url, exc)
        return None
    return _as_utc(datetime.fromisoformat(found), timezone) if found else None
