"""What several test modules share: running the real command, crawling the sample site, reading
the results back with independent readers (sqlite3, warcio), and the index's fixed test values.

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
        [NEWSARCHIVE, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd or REPO
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
        [NEWSARCHIVE, "replay", "--data-dir", str(data_dir), "--port", "0", *options],
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
    sqlite3, or, in the PostgreSQL pass, through SQLAlchemy from the data directory's database."""
    if TEST_DATABASE == "postgresql":
        return index_rows(database, sql)  # type: ignore[return-value]
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


# --- PostgreSQL: throw-away databases, and the pass that runs crawls into PostgreSQL -------------

# The PostgreSQL server the tests create throw-away databases on (trust auth on loopback).
POSTGRESQL_ADMIN_URL = os.environ.get("NEWSARCHIVE_TEST_POSTGRESQL", "postgresql://postgres@127.0.0.1:5432/postgres")
# `postgresql` runs the suite's crawls into PostgreSQL instead of SQLite (`make test-postgresql`).
TEST_DATABASE = os.environ.get("NEWSARCHIVE_TEST_DATABASE", "sqlite")
CREATED_DATABASES: list[str] = []
_database_of_data_dir: dict[Path, str] = {}


def postgresql_admin():
    """An autocommit connection to the PostgreSQL server's admin database."""
    import psycopg
    from sqlalchemy import make_url

    admin = make_url(POSTGRESQL_ADMIN_URL)
    return psycopg.connect(
        host=admin.host, port=admin.port or 5432, user=admin.username, password=admin.password,
        dbname=admin.database, autocommit=True,
    )


def new_postgresql_database() -> str:
    """The URL of a new, empty PostgreSQL database; conftest drops it when the session ends."""
    from sqlalchemy import make_url

    name = f"newsarchive_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with postgresql_admin() as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    CREATED_DATABASES.append(name)
    return make_url(POSTGRESQL_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def database_settings(data_dir: Path) -> tuple[str, ...]:
    """`NAME=VALUE` settings that point a command at the data directory's index: none for SQLite (the
    file in the data directory); in the PostgreSQL pass, a database of its own, the same every call."""
    if TEST_DATABASE != "postgresql":
        return ()
    key = Path(data_dir).resolve()
    if key not in _database_of_data_dir:
        _database_of_data_dir[key] = new_postgresql_database()
    return (f"ARCHIVE_DATABASE_URL={_database_of_data_dir[key]}",)


def setting_args(pairs: tuple[str, ...]) -> list[str]:
    return [arg for pair in pairs for arg in ("-s", pair)]


def database_url_of(database: Path) -> str:
    """The index URL behind `DATA_DIR/archive.sqlite3` as the tests name it, in either pass."""
    settings = database_settings(Path(database).parent)
    return settings[0].partition("=")[2] if settings else db.sqlite_url(database)


class IndexRow(dict):
    """A row both as {column: value} and as a tuple (row[0]), as sqlite3.Row is."""

    def __init__(self, columns: list[str], values: list) -> None:
        super().__init__(zip(columns, values))
        self._values = tuple(values)

    def __getitem__(self, key: Any) -> Any:
        return self._values[key] if isinstance(key, int) else super().__getitem__(key)

    def __iter__(self) -> Iterator:
        return iter(self._values)

    def keys(self):  # dict(row) must map columns to values, not iterate the values
        return super().keys()

    __hash__ = None  # type: ignore[assignment]


def index_rows(database: Path, sql: str) -> list[IndexRow]:
    """Rows of `sql` on the index behind `DATA_DIR/archive.sqlite3` through SQLAlchemy, with values as
    sqlite3 gives them (JSON columns as JSON text)."""
    from sqlalchemy import text

    engine = db.make_engine(database_url_of(database))
    try:
        with engine.connect() as connection:
            result = connection.execute(text(sql))
            columns = list(result.keys())
            return [
                IndexRow(columns, [json.dumps(v) if isinstance(v, (dict, list)) else v for v in row]) for row in result
            ]
    finally:
        engine.dispose()
