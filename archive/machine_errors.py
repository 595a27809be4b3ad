"""Failures of the machine rather than of the archive (a full disk, a read-only directory, a damaged
index file), named in one line that says what to do: used by the CLI for its `Error:` line and by
the layers below it for their log lines, so neither prints a traceback for them."""

from __future__ import annotations

import errno
import sqlite3

from sqlalchemy import exc as sa_exc

DAMAGED_MARKERS = ("file is not a database", "database disk image is malformed", "file is encrypted")
_READ_ONLY = ("attempt to write a readonly database", "unable to open database file", "readonly")
_FULL = ("database or disk is full", "disk i/o error")


def explain(error: BaseException) -> str | None:
    """One line for an environment failure, or None for anything else (a bug keeps its traceback)."""
    if isinstance(error, (sa_exc.DBAPIError, sqlite3.DatabaseError)):
        cause = error.orig if isinstance(error, sa_exc.DBAPIError) else error
        text = str(cause).lower()
        if any(marker in text for marker in DAMAGED_MARKERS):
            return ("the index database is damaged or not a SQLite database "
                    f"({cause}): rebuild it from the WARC files with `newsarchive reindex`")
        if any(marker in text for marker in _FULL):
            return (f"the index database could not be written ({cause}): the disk is full or failing; "
                    "free space, then run the command again (nothing half-written is kept)")
        if any(marker in text for marker in _READ_ONLY):
            return (f"cannot write the index database ({cause}): check that the data directory "
                    "and archive.sqlite3 are writable by this user")
        return None
    if isinstance(error, OSError) and error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return (f"cannot write {error.filename or 'the data directory'}: {error.strerror} "
                "(check that the data directory is writable by this user)")
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return f"cannot write {error.filename or 'the data directory'}: {error.strerror} (free space, then retry)"
    return None
