"""What several test modules share: running the real command, crawling the sample site, reading
the results back with independent readers (sqlite3 or psycopg, warcio), the run's database (a SQLite
file, or a PostgreSQL database in the PostgreSQL pass), and the index's fixed test values.

Test modules import from here, never from one another or from conftest.py.
A crawl runs the installed `newsarchive` command in a subprocess (Twisted's reactor runs once per
process), against the site served from this process on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

from archive.index import database as db
from archive.index.ingest import ArticleRecord, CaptureRecord

REPO = Path(__file__).resolve().parent.parent
NEWSARCHIVE = str(Path(sys.executable).parent / "newsarchive")

# The replay tests drive Debian's chromium, headless, and keep their screenshots here.
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]

# Loopback only: no politeness delay needed against our own server.
LOCAL_SETTINGS = ("AUTOTHROTTLE_ENABLED=False", "DOWNLOAD_DELAY=0", "LOG_LEVEL=INFO")
# Page requisites (on by default) triple a crawl's requests; most tests are about pages, so they crawl
# without them, and the tests of requisites and replay (and the shared `crawled` archive) add
# REQUISITES_ON. Nothing from the internet: the sample pages name an analytics script on a real host.
LOCAL_SETTINGS += ("ARCHIVE_REQUISITES=False", "ARCHIVE_REQUISITE_HOSTS=127.0.0.1,localhost")
REQUISITES_ON = "ARCHIVE_REQUISITES=True"


@dataclass(frozen=True)
class CrawlResult:
    data_dir: Path
    returncode: int
    stdout: str
    stderr: str

    @property
    def database(self) -> Path:
        return self.data_dir / "archive.sqlite3"

    @property
    def warc_dir(self) -> Path:
        return self.data_dir / "warcs"


def run_newsarchive(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the real console command, as a user (or cron) would."""
    return subprocess.run(
        newsarchive_argv(*args), capture_output=True, text=True, timeout=timeout, cwd=cwd or REPO
    )


def crawl(data_dir: Path, base_url: str, *extra_settings: str, site: str = "morningstar") -> CrawlResult:
    pairs = (*LOCAL_SETTINGS, *database_settings(data_dir), *extra_settings)
    settings = [arg for name_value in pairs for arg in ("-s", name_value)]
    done = run_newsarchive("crawl", site, "--data-dir", str(data_dir), "--base-url", base_url, *settings)
    return CrawlResult(data_dir, done.returncode, done.stdout, done.stderr)


@dataclass(frozen=True)
class Replay:
    """A running `newsarchive replay`: the front page's URL and the archive's (another origin)."""

    front: str  # "http://127.0.0.1:PORT/"
    archive: str  # "http://127.0.0.1:OTHER_PORT/"


@contextmanager
def replay_server(data_dir: Path, log_path: Path, *options: str) -> Iterator[Replay]:
    """`newsarchive replay` on free ports, as a real server process."""
    log = log_path.open("w")
    process = subprocess.Popen(
        newsarchive_argv("replay", "--data-dir", str(data_dir), "--port", "0", *options),
        stdout=subprocess.PIPE, stderr=log, text=True,
    )
    try:
        deadline = time.monotonic() + 30
        urls = None
        while urls is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            if match := re.search(r"Serving the archive at (http://\S+/) \(archived pages at (http://\S+/)newsarchive/\)", line):
                urls = Replay(*match.groups())
        assert urls, f"replay did not start (exit {process.poll()}); see {log_path}"
        yield urls
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@dataclass(frozen=True)
class SiteCrawl:
    result: CrawlResult
    base_url: str
    requests: list  # (method, path_with_query, headers) the server received during this crawl
    cdn_url: str = ""  # the site's CDN (another port)
    cdn_requests: tuple = ()  # what the CDN received


def reachable(site: Any) -> dict:
    """The sample site's articles a crawl can reach, by path."""
    return {path: truth for path, truth in sorted(site.truth.items()) if truth.reachable}


def rows(database: Path, sql: str) -> list[sqlite3.Row]:
    """Rows of `sql` on the index behind `DATA_DIR/archive.sqlite3`: read with the standard library's
    sqlite3, or, in the PostgreSQL pass, from the database that path stands for."""
    if ON_POSTGRESQL:
        with connect_index(database) as index:
            return index.execute(sql).fetchall()  # type: ignore[return-value]
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def warc_records(warc_dir: Path) -> list[tuple[str, object, object, bytes]]:
    read = []
    for path in sorted(warc_dir.glob("*.warc.gz")):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                read.append((path.name, record.rec_headers, record.http_headers, record.content_stream().read()))
    return read


# The index's fixed test values: one run, one URL fetched again and again.
RUN = "11111111-1111-4111-8111-111111111111"
URL = "https://news.example/politics/budget"
# what `alembic check` compares: the full-text index and views are left out
COMPARE_OPTIONS = {"compare_type": True, "render_as_batch": True, "include_name": db.include_name}


def payload(title: str, similar: list[str]) -> dict[str, Any]:
    return {
        "schema": "newsarchive/article/1",
        "url": URL,
        "site": "morningstar",
        "title": title,
        "free_text": title,
        "paywall": {"paywalled": None, "kind": None, "signals": [], "free_paragraphs": 1},
        "similar": [{"url": link, "title": "", "section": "", "date": ""} for link in similar],
    }


def fetch(number: int, date: str, title: str, similar: list[str]) -> list[Any]:
    response = f"<urn:uuid:00000000-0000-0000-0000-{number:012d}>"
    return [
        CaptureRecord(response, URL, date, 200, "text/html", "sha1:A", "a.warc.gz", number * 100, 90, RUN),
        ArticleRecord(f"<urn:uuid:meta-{number}>", response, date, payload(title, similar), "a.warc.gz", number * 100 + 90, 10),
    ]


# --- The run's database: SQLite files, or PostgreSQL databases in the PostgreSQL pass ---------------
#
# Tests name an index by its SQLite path (`DATA_DIR/archive.sqlite3`, or `tmp_path / "index.db"` for the
# unit tests of the index). In the PostgreSQL pass (NEWSARCHIVE_TEST_DATABASE=postgresql) each such path
# stands for a throw-away PostgreSQL database of its own, created on first use: `index_url(path)` is its
# URL, `database_settings(data_dir)` the `-s ARCHIVE_DATABASE_URL=…` that points a command at it,
# `connect_index(path)` / `rows(path, sql)` read and write it, and `newsarchive_argv` adds the setting
# to every command given `--data-dir`. conftest drops the databases a test created when it ends.

# The PostgreSQL server the tests create throw-away databases on (trust auth on loopback).
POSTGRESQL_ADMIN_URL = os.environ.get("NEWSARCHIVE_TEST_POSTGRESQL", "postgresql://postgres@127.0.0.1:5432/postgres")
# `postgresql` runs the index-touching suite against PostgreSQL instead of SQLite (`make test-postgresql`).
TEST_DATABASE = os.environ.get("NEWSARCHIVE_TEST_DATABASE", "sqlite")
ON_POSTGRESQL = TEST_DATABASE == "postgresql"
CREATED_DATABASES: list[str] = []
_database_of_path: dict[Path, str] = {}
# the commands that take -s NAME=VALUE (and so ARCHIVE_DATABASE_URL) beside --data-dir
_INDEX_COMMANDS = {"crawl", "reindex", "query", "search", "show", "runs", "replay", "export", "browse", "db"}


def postgresql_admin():
    """An autocommit connection to the PostgreSQL server's admin database."""
    import psycopg
    from sqlalchemy import make_url

    admin = make_url(POSTGRESQL_ADMIN_URL)
    return psycopg.connect(
        host=admin.host, port=admin.port or 5432, user=admin.username, password=admin.password,
        dbname=admin.database, autocommit=True,
    )


def _postgresql_url(name: str) -> str:
    from sqlalchemy import make_url

    return make_url(POSTGRESQL_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def new_postgresql_database(template: str = "") -> str:
    """The URL of a new PostgreSQL database (empty, or a copy of database `template`), named by this
    process's pid so parallel sessions never share one; conftest drops it when its test ends."""
    name = f"newsarchive_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with postgresql_admin() as connection:
        if template:
            connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        else:
            connection.execute(f'CREATE DATABASE "{name}"')
    CREATED_DATABASES.append(name)
    return _postgresql_url(name)


def drop_postgresql_databases(names: list[str]) -> None:
    """Drop these test databases (and forget the paths that stood for them)."""
    if not names:
        return
    for path, url in list(_database_of_path.items()):
        if url.rsplit("/", 1)[-1] in names:
            del _database_of_path[path]
    with postgresql_admin() as connection:
        for name in names:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            CREATED_DATABASES.remove(name)


def index_url(path: Path) -> str:
    """The URL of the index the test names by SQLite path `path`: that file, or in the PostgreSQL
    pass a database of its own (the same every call)."""
    if not ON_POSTGRESQL:
        return db.sqlite_url(path)
    key = Path(path).resolve()
    if key not in _database_of_path:
        _database_of_path[key] = new_postgresql_database()
    return _database_of_path[key]


def index_file(data_dir: Path) -> Path:
    return Path(data_dir) / "archive.sqlite3"


def database_settings(data_dir: Path) -> tuple[str, ...]:
    """`NAME=VALUE` settings that point a command at the data directory's index: none for SQLite (the
    file in the data directory); in the PostgreSQL pass, a database of its own, the same every call."""
    return (f"ARCHIVE_DATABASE_URL={index_url(index_file(data_dir))}",) if ON_POSTGRESQL else ()


def index_settings(data_dir: Path) -> dict[str, str]:
    """`database_settings` as a dict, for Scrapy settings built in the test's own process."""
    return dict(pair.split("=", 1) for pair in database_settings(data_dir))


def setting_args(pairs: tuple[str, ...]) -> list[str]:
    return [arg for pair in pairs for arg in ("-s", pair)]


def newsarchive_argv(*args: str) -> list[str]:
    """The `newsarchive` command line for `args`; in the PostgreSQL pass, a command given `--data-dir`
    (and no database of its own) also gets `-s ARCHIVE_DATABASE_URL=` of that data directory's index."""
    argv = [NEWSARCHIVE, *args]
    if not ON_POSTGRESQL or not args or args[0] not in _INDEX_COMMANDS or "--data-dir" not in args:
        return argv
    if "--database" in args or any(str(arg).startswith("ARCHIVE_DATABASE_URL=") for arg in args):
        return argv
    data_dir = Path(args[args.index("--data-dir") + 1])
    return [*argv, *setting_args(database_settings(data_dir))]


def copy_index(source: Path, target: Path) -> None:
    """Copy the index named by path `source` to the one named `target` (both SQLite paths): the file
    with SQLite's backup API, or in the PostgreSQL pass a new database made from the first."""
    if not ON_POSTGRESQL:
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as origin, sqlite3.connect(target) as copy:
            origin.backup(copy)
        origin.close()
        copy.close()
        return
    template = index_url(source).rsplit("/", 1)[-1]
    _database_of_path[Path(target).resolve()] = new_postgresql_database(template)


def copy_archive(source: Path, target: Path, **copytree: Any) -> Path:
    """Copy data directory `source` (WARC files, index) to `target`, as a user copies an archive; in
    the PostgreSQL pass the copy's index is a copy of the source's database."""
    import shutil

    shutil.copytree(source, target, **copytree)
    if ON_POSTGRESQL:
        copy_index(index_file(source), index_file(target))
    return target


class IndexRow(dict):
    """A row both as {column: value} and as a tuple (row[0]), as sqlite3.Row is."""

    def __init__(self, columns: list[str], values: list) -> None:
        super().__init__(zip(columns, values))
        self._values = tuple(values)

    def __getitem__(self, key: Any) -> Any:
        return self._values[key] if isinstance(key, int) else super().__getitem__(key)

    def __iter__(self) -> Iterator:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        return self._values == (tuple(other) if isinstance(other, (tuple, list, IndexRow)) else other)

    def keys(self):  # dict(row) must map columns to values, not iterate the values
        return super().keys()

    __hash__ = None  # type: ignore[assignment]


def _as_sqlite_gives(value: Any) -> Any:
    """A PostgreSQL value as sqlite3 gives it: JSON as JSON text, booleans as 0/1."""
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, bool):
        return int(value)
    return value


class _Rows:
    """What `execute` returns: sqlite3's cursor methods over rows already read."""

    def __init__(self, found: list[IndexRow], rowcount: int) -> None:
        self._rows, self.rowcount = found, rowcount

    def fetchone(self) -> IndexRow | None:
        return self._rows.pop(0) if self._rows else None

    def fetchall(self) -> list[IndexRow]:
        found, self._rows = self._rows, []
        return found

    def __iter__(self) -> Iterator[IndexRow]:
        return iter(self.fetchall())


class PostgresqlIndex:
    """A PostgreSQL index with sqlite3's connection methods (execute with `?` parameters, commit), so
    a test reads and writes the run's database with the same lines in either pass."""

    def __init__(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        import psycopg

        address = make_url(url)
        self._connection = psycopg.connect(
            host=address.host, port=address.port or 5432, user=address.username, password=address.password,
            dbname=address.database,
        )

    def execute(self, sql: str, parameters: tuple | list = ()) -> _Rows:
        if parameters:  # sqlite3's `?` placeholders; psycopg's are %s (and a literal % is %%)
            sql = sql.replace("%", "%%").replace("?", "%s")
        cursor = self._connection.execute(sql, tuple(parameters) or None)
        if cursor.description is None:
            return _Rows([], cursor.rowcount)
        columns = [column.name for column in cursor.description]
        return _Rows([IndexRow(columns, [_as_sqlite_gives(v) for v in row]) for row in cursor.fetchall()], cursor.rowcount)

    def commit(self) -> None:
        self._connection.commit()

    def close(self) -> None:
        self._connection.close()


@contextmanager
def connect_index(database: Path) -> Iterator[Any]:
    """A connection to the index named by SQLite path `database`, in place of `sqlite3.connect(path)`:
    a sqlite3 connection to that file, or in the PostgreSQL pass to the database it stands for.
    Committed when the block ends without an error, and closed."""
    connection: Any = PostgresqlIndex(index_url(database)) if ON_POSTGRESQL else sqlite3.connect(database)
    try:
        yield connection
        connection.commit()
    finally:
        connection.close()


def has_table(database: Path, table: str) -> bool:
    """Whether the index named by `database` exists and has table `table` (a killed `db upgrade` may
    have left no file, or a file without the schema)."""
    if not ON_POSTGRESQL:
        if not Path(database).exists():
            return False
        sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    else:
        sql = "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?"
    with connect_index(database) as connection:
        return connection.execute(sql, (table,)).fetchone() is not None
