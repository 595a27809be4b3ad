"""Read-only SQL over the index: what `newsarchive query` runs.

Read-only is enforced by the connection, never by looking at the SQL. A SQLite file is opened with
`mode=ro` and `PRAGMA query_only=ON`, and an authorizer refuses ATTACH, DETACH (and so `VACUUM INTO`,
which attaches the file it writes) and every PRAGMA that would change state. A statement that would
write fails inside SQLite, and the error is turned into a `QueryError` that names the problem and
points at the SQL. PostgreSQL runs the statement in a READ ONLY transaction that is rolled back.

Every query runs under `QueryLimits`: a time limit (a timer interrupts the SQLite
statement; PostgreSQL's `statement_timeout`) and a memory limit (SQLite's heap limit and largest
value). Rows are streamed (`stream_query`), so the caller holds a few hundred at a time.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
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
# SQL functions that reach past the data: fts3_tokenizer() hands out a pointer into the process
REFUSED_FUNCTIONS = frozenset({"fts3_tokenizer", "load_extension"})


@dataclass(frozen=True, slots=True)
class QueryLimits:
    """How long a query may run and how much memory the database engine may use for it.

    `timeout` counts the seconds the database spends producing rows (not the time the caller spends
    writing them out); 0 means no limit. `max_memory` caps SQLite's heap for the process and the size
    of any one value, so a cartesian product or a giant `randomblob` fails instead of exhausting RAM.
    """

    timeout: float = 60.0
    max_memory: int = 512 * 2**20

    def __post_init__(self) -> None:
        if self.timeout < 0:
            raise QueryError(f"the time limit must be 0 (none) or a number of seconds, not {self.timeout:g}")
        if self.max_memory < 16 * 2**20:
            raise QueryError(f"the memory limit must be at least 16 MB, not {self.max_memory / 2**20:g} MB")


DEFAULT_LIMITS = QueryLimits()
FETCH_ROWS = 500  # rows taken from the database at a time: the only rows held in memory


@dataclass(frozen=True, slots=True)
class QueryResult:
    """Column names and every row of one query, in order."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]

    def dicts(self) -> list[dict[str, Any]]:
        """Each row as {column: value}; with duplicate column names, the last one wins."""
        return [dict(zip(self.columns, row)) for row in self.rows]


@dataclass(frozen=True, slots=True)
class QueryRows:
    """Column names and an iterator over the rows, fetched from the database as they are consumed."""

    columns: tuple[str, ...]
    rows: Iterator[tuple[Any, ...]]


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
        if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in REFUSED_FUNCTIONS:
            return self._refuse(f"{arg2}() is not allowed in queries: it reaches into the database engine")
        return sqlite3.SQLITE_OK

    def _refuse(self, reason: str) -> int:
        self.refused = reason
        return sqlite3.SQLITE_DENY


class _Stopwatch:
    """Time the database spends on a query, summed over the fetches; interrupts it past the limit.

    A timer thread calls `sqlite3.Connection.interrupt` when the time left runs out, so the limit
    holds inside C code too (FTS5's snippet() runs long between two virtual-machine steps, where a
    progress handler is never called); `expired` tells that "interrupted" error apart.
    """

    def __init__(self, connection: sqlite3.Connection, timeout: float) -> None:
        self.connection = connection
        self.timeout = timeout
        self.spent = 0.0
        self.expired = False

    @contextmanager
    def running(self) -> Iterator[None]:
        if not self.timeout:
            yield
            return
        started = time.monotonic()
        timer = threading.Timer(max(0.0, self.timeout - self.spent), self._expire)
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()
            self.spent += time.monotonic() - started

    def _expire(self) -> None:
        self.expired = True
        self.connection.interrupt()


def sqlite_path(database_url: str) -> Path | None:
    """The file behind a SQLite URL, or None when the URL is not a SQLite file."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).expanduser()


@contextmanager
def readonly_sqlite(
    path: Path, limits: QueryLimits = DEFAULT_LIMITS
) -> Iterator[tuple[sqlite3.Connection, _Guard, _Stopwatch]]:
    """A connection to the SQLite file at `path` that cannot change it, its guard and its stopwatch.

    Run statements inside `stopwatch.running()` for the time limit to count them.
    """
    if not path.is_file():
        raise QueryError(f"database {path} does not exist: crawl first, or check --data-dir")
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise QueryError(f"cannot open database {path} read-only: {error}") from error
    try:
        connection.execute("PRAGMA query_only=ON")
        connection.execute("PRAGMA busy_timeout=30000")  # wait out a writer's checkpoint
        _refuse_damaged(connection)
        # the heap limit is the process's: fine for a command, and a ceiling for the replay server
        connection.execute(f"PRAGMA hard_heap_limit={int(limits.max_memory)}")
        connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, max(1, limits.max_memory // 4))
        stopwatch = _Stopwatch(connection, limits.timeout)
        guard = _Guard()
        connection.set_authorizer(guard)
        yield connection, guard, stopwatch
    finally:
        connection.close()


def _refuse_damaged(connection: sqlite3.Connection) -> None:
    """A file that is not a SQLite database, or a damaged one, says so, with the way out."""
    from archive.machine_errors import explain as explain_environment

    try:
        connection.execute("PRAGMA schema_version").fetchone()
    except sqlite3.DatabaseError as error:
        message = explain_environment(error)
        if message:
            raise QueryError(message) from error
        raise


def _refuse_damaged_error(error: Exception) -> None:
    from archive.machine_errors import explain as explain_environment

    if message := explain_environment(error):
        raise QueryError(message) from error


@contextmanager
def stream_query(
    database_url: str,
    sql: str,
    params: Mapping[str, Any] | None = None,
    limits: QueryLimits = DEFAULT_LIMITS,
) -> Iterator[QueryRows]:
    """Run one read-only statement and hand out its rows as they are fetched, a few hundred at a time.

    Memory stays bounded however many rows the statement returns; the rows must be consumed inside
    the `with` block. Raises `QueryError` (also while iterating) for a statement that would change
    the database, runs past `limits.timeout`, needs more than `limits.max_memory`, has a syntax error,
    a missing table or parameter, or a database that cannot be opened.
    """
    params = dict(params or {})
    path = sqlite_path(database_url)
    if path is None:
        with _stream_other(database_url, sql, params, limits) as rows:
            yield rows
        return
    with readonly_sqlite(path, limits) as (connection, guard, stopwatch):
        try:
            with stopwatch.running():
                cursor = connection.execute(sql, params)
        except (sqlite3.Error, OverflowError, MemoryError) as error:
            if "malformed" in str(error):  # the file is damaged, not the statement
                _refuse_damaged_error(error)
            raise explain(error, sql, guard.refused, stopwatch, limits) from error
        columns = tuple(column[0] for column in cursor.description or ())

        def fetch() -> Iterator[tuple[Any, ...]]:
            while True:
                try:
                    with stopwatch.running():
                        batch = cursor.fetchmany(FETCH_ROWS)
                except (sqlite3.Error, MemoryError) as error:
                    raise explain(error, sql, guard.refused, stopwatch, limits) from error
                if not batch:
                    return
                yield from batch

        yield QueryRows(columns, fetch())


def run_query(
    database_url: str, sql: str, params: Mapping[str, Any] | None = None, limits: QueryLimits = DEFAULT_LIMITS
) -> QueryResult:
    """Run one read-only statement with named parameters (`:name`) and return all its rows.

    For results too large to hold, use `stream_query`. Raises `QueryError` as `stream_query` does.
    """
    with stream_query(database_url, sql, params, limits) as result:
        return QueryResult(result.columns, list(result.rows))


@contextmanager
def _stream_other(database_url: str, sql: str, params: dict[str, Any], limits: QueryLimits) -> Iterator[QueryRows]:
    """PostgreSQL: a READ ONLY transaction, rolled back, with the rows streamed one at a time.

    psycopg's `stream()` sends the statement with the extended query protocol, which takes exactly
    one statement: `COMMIT; DELETE …` cannot step out of the read-only transaction. The time limit
    is PostgreSQL's `statement_timeout`.
    """
    import psycopg
    from sqlalchemy import text

    from archive.index.database import make_engine

    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            if connection.dialect.name != "postgresql":  # pragma: no cover - only SQLite and PostgreSQL
                raise QueryError(f"read-only queries are not supported on {connection.dialect.name}")
            compiled = text(sql).compile(dialect=connection.dialect)
            missing = [name for name in compiled.params if name not in params]
            if missing:
                raise QueryError(
                    f"the query needs a value for :{missing[0]} (newsarchive query … --param {missing[0]}=VALUE)"
                    f"\n{show_sql(sql)}", sql,
                )
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")
            connection.exec_driver_sql(f"SET LOCAL statement_timeout = {int(limits.timeout * 1000)}")
            driver = connection.connection.driver_connection
            cursor = driver.cursor()
            stream = cursor.stream(str(compiled), {name: params[name] for name in compiled.params})
            finished = False
            try:
                try:
                    first = next(stream, None)
                except psycopg.Error as error:
                    finished = True
                    raise _explain_postgresql(error, sql, limits) from error
                finished = first is None
                columns = tuple(column.name for column in cursor.description or ())

                def fetch() -> Iterator[tuple[Any, ...]]:
                    nonlocal finished
                    if first is not None:
                        yield first
                        try:
                            yield from stream
                        except psycopg.Error as error:
                            raise _explain_postgresql(error, sql, limits) from error
                    finished = True

                yield QueryRows(columns, fetch())
            finally:
                if not finished:  # the reader stopped early: stop the server sending the rest
                    driver.cancel_safe()
                    stream.close()
                cursor.close()
                connection.rollback()
    finally:
        engine.dispose()


def _explain_postgresql(error: Exception, sql: str, limits: QueryLimits) -> QueryError:
    """A `QueryError` for a PostgreSQL failure, naming the limit when the statement timed out."""
    code = getattr(error, "sqlstate", None)
    message = str(error).strip()
    if code == "57014":  # query_canceled: statement_timeout
        problem = _timeout_message(limits)
    elif code == "25006":  # read_only_sql_transaction
        problem = f"queries are read-only: this statement would change the database ({message})"
    elif code == "42601" and "multiple commands" in message:
        problem = "only one statement can run at a time: remove the ';' and anything after it"
    else:
        problem = message
    return QueryError(f"{problem}\n{show_sql(sql)}", sql)


def _timeout_message(limits: QueryLimits) -> str:
    return (
        f"the query ran longer than the {limits.timeout:g} s limit and was stopped: narrow it "
        "(WHERE, LIMIT), or allow more time with --timeout SECONDS (0: no limit)"
    )


def _memory_message(limits: QueryLimits) -> str:
    return (
        f"the query needed more than the {limits.max_memory / 2**20:g} MB memory limit and was stopped: "
        "narrow it, or allow more with --max-memory MB"
    )


def explain(
    error: Exception,
    sql: str,
    refused: str | None = None,
    stopwatch: _Stopwatch | None = None,
    limits: QueryLimits = DEFAULT_LIMITS,
) -> QueryError:
    """A `QueryError` saying what went wrong, with the SQL and, where known, a caret under the fault."""
    message = str(error)
    name = getattr(error, "sqlite_errorname", "") or ""
    if refused:
        problem = refused
    elif stopwatch is not None and stopwatch.expired:
        problem = _timeout_message(limits)
    elif isinstance(error, MemoryError) or name == "SQLITE_NOMEM":
        problem = _memory_message(limits)
    elif name == "SQLITE_TOOBIG" or "too big" in message:
        problem = (
            f"a value would be larger than {limits.max_memory // 4 / 2**20:g} MB (a quarter of the memory "
            "limit): narrow the query, or allow more with --max-memory MB"
        )
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
