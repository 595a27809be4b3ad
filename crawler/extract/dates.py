"""Dates from any source to one form: UTC ISO-8601 with seconds ("2026-02-20T09:30:00+00:00")."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import dateparser

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
    try:
        return _as_utc(datetime.fromisoformat(value.strip()), timezone)
    except ValueError:
        return None


def text_to_utc(value: str, timezone: str) -> str | None:
    """Human dates ("Friday 20 February 2026, 09:30", "20 Feb 2026 9:30am") in the site's zone."""
    moment = iso_to_utc(value, timezone)
    if moment:
        return moment
    parsed = dateparser.parse(
        value,
        languages=["en"],
        settings={"TIMEZONE": timezone, "RETURN_AS_TIMEZONE_AWARE": True, "DATE_ORDER": "DMY",
                  "PREFER_DATES_FROM": "past"},
    )
    if parsed is None:
        logger.debug("unparseable date %r", value)
        return None
    return _as_utc(parsed, timezone)
