"""Read-only SQL over the index: what `newsarchive query` runs.

Read-only is enforced by the connection, never by looking at the SQL. A SQLite file is opened with
`mode=ro` and `PRAGMA query_only=ON`, and an authorizer refuses ATTACH, DETACH (and so `VACUUM INTO`,
which attaches the file it writes) and every PRAGMA that would change state. A statement that would
write fails inside SQLite, and the error is turned into a `QueryError` that names the problem and
points at the SQL. PostgreSQL runs the statement in a READ ONLY transaction that is rolled back.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import make_url

from archive.errors import QueryError

# PRAGMAs that take an argument yet only read; any other PRAGMA given a value is refused.
READING_PRAGMAS = frozenset(
    {
        "foreign_key_check", "foreign_key_list", "index_info", "index_list", "index_xinfo",
        "integrity_check", "quick_check", "table_info", "table_list", "table_xinfo",
    }
)
# PRAGMAs that change something even without an argument
ACTING_PRAGMAS = frozenset({"incremental_vacuum", "optimize", "wal_checkpoint"})


@dataclass(frozen=True, slots=True)
class QueryResult:
    """Column names and every row of one query, in order."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]

    def dicts(self) -> list[dict[str, Any]]:
        """Each row as {column: value}; with duplicate column names, the last one wins."""
        return [dict(zip(self.columns, row)) for row in self.rows]


class _Guard:
    """The connection's authorizer; remembers why it refused, for the error message."""

    def __init__(self) -> None:
        self.refused: str | None = None

    def __call__(self, action: int, arg1: str | None, arg2: str | None, *_: Any) -> int:
        if action == sqlite3.SQLITE_ATTACH:
            return self._refuse(f"ATTACH (or VACUUM INTO) {arg1!r} is not allowed: queries are read-only")
        if action == sqlite3.SQLITE_DETACH:
            return self._refuse("DETACH is not allowed: queries are read-only")
        if action == sqlite3.SQLITE_PRAGMA:
            name = (arg1 or "").lower()
            if name in ACTING_PRAGMAS or (arg2 is not None and name not in READING_PRAGMAS):
                shown = f"PRAGMA {name}" if arg2 is None else f"PRAGMA {name}={arg2}"
                return self._refuse(f"{shown} is not allowed: queries are read-only")
        return sqlite3.SQLITE_OK

    def _refuse(self, reason: str) -> int:
        self.refused = reason
        return sqlite3.SQLITE_DENY


def sqlite_path(database_url: str) -> Path | None:
    """The file behind a SQLite URL, or None when the URL is not a SQLite file."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).expanduser()


@contextmanager
def readonly_sqlite(path: Path) -> Iterator[tuple[sqlite3.Connection, _Guard]]:
    """A connection to the SQLite file at `path` that cannot change it, and its guard."""
    if not path.is_file():
        raise QueryError(f"database {path} does not exist: crawl first, or check --data-dir")
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise QueryError(f"cannot open database {path} read-only: {error}") from error
    try:
        connection.execute("PRAGMA query_only=ON")
        connection.execute("PRAGMA busy_timeout=30000")  # wait out a writer's checkpoint
        guard = _Guard()
        connection.set_authorizer(guard)
        yield connection, guard
    finally:
        connection.close()


def run_query(database_url: str, sql: str, params: Mapping[str, Any] | None = None) -> QueryResult:
    """Run one read-only statement with named parameters (`:name`) and return all its rows.

    Raises `QueryError` for a statement that would change the database, a syntax error, a missing
    table or parameter, or a database that cannot be opened.
    """
    params = dict(params or {})
    path = sqlite_path(database_url)
    if path is None:
        return _run_other(database_url, sql, params)
    with readonly_sqlite(path) as (connection, guard):
        try:
            cursor = connection.execute(sql, params)
            rows = cursor.fetchall()
        except (sqlite3.Error, OverflowError) as error:
            raise explain(error, sql, guard.refused) from error
        columns = tuple(column[0] for column in cursor.description or ())
    return QueryResult(columns, rows)


def _run_other(database_url: str, sql: str, params: dict[str, Any]) -> QueryResult:
    """Any other database through SQLAlchemy, in a read-only transaction that is rolled back."""
    from sqlalchemy import create_engine, exc, pool, text

    engine = create_engine(database_url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql("SET TRANSACTION READ ONLY")
            else:  # pragma: no cover - only SQLite and PostgreSQL are supported
                raise QueryError(f"read-only queries are not supported on {connection.dialect.name}")
            try:
                result = connection.execute(text(sql), params)
                columns = tuple(result.keys())
                rows = [tuple(row) for row in result] if result.returns_rows else []
            except exc.StatementError as error:
                raise QueryError(f"{error.orig or error}\n{show_sql(sql)}", sql) from error
            finally:
                connection.rollback()
    finally:
        engine.dispose()
    return QueryResult(columns, rows)


def explain(error: Exception, sql: str, refused: str | None = None) -> QueryError:
    """A `QueryError` saying what went wrong, with the SQL and, where known, a caret under the fault."""
    message = str(error)
    name = getattr(error, "sqlite_errorname", "") or ""
    if refused:
        problem = refused
    elif name.startswith("SQLITE_READONLY"):
        problem = f"queries are read-only: this statement would change the database ({message})"
    elif isinstance(error, sqlite3.ProgrammingError) and "one statement" in message:
        problem = "only one statement can run at a time: remove the ';' and anything after it"
    elif match := re.search(r"supply a value for binding parameter :?(\w+)", message):
        problem = f"the query needs a value for :{match[1]} (newsarchive query … --param {match[1]}=VALUE)"
    elif isinstance(error, OverflowError):
        problem = f"a parameter is too large for SQLite: {message}"
    else:
        problem = message
    return QueryError(f"{problem}\n{show_sql(sql, _fault(message, sql))}", sql)


def _fault(message: str, sql: str) -> tuple[int, int] | None:
    """Where in `sql` the error message points: (start, length), or None when it does not say."""
    if message == "incomplete input":
        end = len(sql.rstrip().rstrip(";").rstrip())
        return end, 1
    match = re.search(r'near "(.+?)": syntax error', message) or re.search(
        r"no such (?:table|column|function): ([\w.]+)", message
    )
    if match is None:
        return None
    token = match[1]
    found = re.search(rf"(?<![\w.]){re.escape(token)}(?!\w)", sql, re.IGNORECASE)
    if found is None:
        return None
    return found.start(), len(token)


def show_sql(sql: str, fault: tuple[int, int] | None = None) -> str:
    """The SQL indented under "in:", with a caret line under the fault when there is one."""
    lines = sql.strip("\n").splitlines() or [""]
    shown = ["in:"]
    if fault is None:
        shown += [f"  {line}" for line in lines]
        return "\n".join(shown)
    start, length = fault
    start -= len(sql) - len(sql.lstrip("\n"))
    for line in lines:
        shown.append(f"  {line}")
        if 0 <= start <= len(line):
            shown.append("  " + " " * start + "^" * max(1, min(length, len(line) - start)))
        start -= len(line) + 1
    return "\n".join(shown)
