"""Failures of the machine rather than of the archive, turned into one line that says what to do.

A read-only data directory, a full disk, or an `archive.sqlite3` that is damaged or not a database
at all reach the command line as OSError or SQLAlchemy errors from deep inside a library. The CLI
passes them here and prints the result as `Error: …` with exit 1, instead of a traceback. A damaged
index is never repaired in place: `newsarchive reindex` sets it aside and rebuilds it from the WARCs.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import make_url

from archive import machine_errors

logger = logging.getLogger(__name__)

_SQLITE_HEADER = b"SQLite format 3\x00"
explain = machine_errors.explain  # the CLI's one line for a failure of the machine


def damage_of(database_url: str) -> str | None:
    """Why an existing SQLite index file cannot be opened as a database, or None if it can (or is
    not SQLite, or does not exist yet)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    path = Path(url.database)
    if not path.exists() or path.stat().st_size == 0:
        return None
    with path.open("rb") as stream:
        if stream.read(len(_SQLITE_HEADER)) != _SQLITE_HEADER:
            return "not a SQLite database"
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            connection.execute("PRAGMA schema_version").fetchone()
            verdict = connection.execute("PRAGMA quick_check(1)").fetchone()[0]
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        # a read-only or locked file is not a damaged one: the command itself will say what is wrong
        return str(exc) if any(marker in str(exc).lower() for marker in machine_errors.DAMAGED_MARKERS) else None
    return None if verdict == "ok" else verdict


def set_aside(database_url: str) -> Path:
    """Rename a damaged SQLite index (and its -wal/-shm files) out of the way; returns the new name."""
    path = Path(make_url(database_url).database or "")
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    path.rename(target)
    for suffix in ("-wal", "-shm"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            companion.rename(target.with_name(target.name + suffix))
    logger.warning("Set the damaged index aside as %s; rebuilding it from the WARC files", target)
    return target
