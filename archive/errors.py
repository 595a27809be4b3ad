"""Domain errors of `archive/`: each message says what the user should do next.

The CLI turns any `ArchiveError` into `Error: <message>` and exit status 1, so callers never need
to know the concrete class unless they want to recover from it.
"""

from __future__ import annotations


class ArchiveError(Exception):
    """Base class of every error the archive library raises on purpose."""


class DatabaseNotMigrated(ArchiveError):
    """The database schema is not at the revision this code expects."""

    def __init__(self, database: str, current: str | None, head: str | None) -> None:
        self.database = database
        self.current = current
        self.head = head
        if current is None:
            message = (
                f"database {database} has no schema yet (head is {head}): "
                "run `newsarchive db upgrade`"
            )
        else:
            message = (
                f"database {database} is at revision {current}, head is {head}: "
                "run `newsarchive db upgrade` (or install the newsarchive version that wrote it)"
            )
        super().__init__(message)


class IngestError(ArchiveError):
    """Archived records could not be written to the database index."""


class InvalidRecord(IngestError):
    """A WARC metadata record does not carry what its schema promises."""


class WarcDirectoryNotFound(ArchiveError):
    """The directory given as the WARC store does not exist."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"WARC directory {path} does not exist: check the path you passed")


class ArchiveWriteError(ArchiveError):
    """WARC records could not be written; the message names the cause (disk full, permissions…)."""


class LockHeld(ArchiveError):
    """Another crawl of the same site into the same data directory is running."""

    def __init__(self, path: str, holder: str) -> None:
        self.path = path
        self.holder = holder
        super().__init__(
            f"another crawl of this site is running ({holder}; lock {path}): "
            "this run exits without fetching anything"
        )


class QueryError(ArchiveError):
    """A read-only query or search could not run; the message names the problem and the SQL."""

    def __init__(self, message: str, sql: str | None = None) -> None:
        self.sql = sql
        super().__init__(message)
