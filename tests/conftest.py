"""Shared fixtures: the sample news site on a real HTTP server, and real crawls of it.

A crawl runs the installed `newsarchive` command in a subprocess (Twisted's reactor runs once per
process), against the site served from this process on 127.0.0.1.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from newsarchive_site import build_site, serve

REPO = Path(__file__).resolve().parent.parent
NEWSARCHIVE = str(Path(sys.executable).parent / "newsarchive")

# Loopback only: no politeness delay needed against our own server.
LOCAL_SETTINGS = ("AUTOTHROTTLE_ENABLED=False", "DOWNLOAD_DELAY=0", "LOG_LEVEL=INFO")


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


@pytest.fixture(scope="session")
def site():
    return build_site(60)


@pytest.fixture(scope="session")
def server(site) -> Iterator:
    with serve(site, host="127.0.0.1", port=0) as running:
        yield running


@dataclass(frozen=True)
class SiteCrawl:
    result: CrawlResult
    base_url: str
    requests: list  # (method, path_with_query, headers) the server received during this crawl


@pytest.fixture(scope="session")
def crawled(site, tmp_path_factory) -> SiteCrawl:
    """One full crawl of the sample site on a server of its own, shared by read-only tests."""
    with serve(site, host="127.0.0.1", port=0) as running:
        result = crawl(tmp_path_factory.mktemp("crawl"), running.base_url)
        requests = list(running.requests)
    assert result.returncode == 0, result.stdout + result.stderr[-4000:]
    return SiteCrawl(result, running.base_url, requests)


@pytest.fixture(scope="session")
def profile():
    """The bundled Morning Star site profile."""
    from crawler.sites import load_profile

    return load_profile("morningstar")



# The PostgreSQL server the tests create throw-away databases on (trust auth on loopback).
POSTGRESQL_ADMIN_URL = os.environ.get("NEWSARCHIVE_TEST_POSTGRESQL", "postgresql://postgres@127.0.0.1:5432/postgres")
# `postgresql` runs the crawls of the suite into PostgreSQL instead of SQLite (make test's second pass).
TEST_DATABASE = os.environ.get("NEWSARCHIVE_TEST_DATABASE", "sqlite")
_created_databases: list[str] = []
_database_of_data_dir: dict[Path, str] = {}


def _admin_connection():
    import psycopg
    from sqlalchemy import make_url

    admin = make_url(POSTGRESQL_ADMIN_URL)
    return psycopg.connect(
        host=admin.host, port=admin.port or 5432, user=admin.username, password=admin.password,
        dbname=admin.database, autocommit=True,
    )


def new_postgresql_database() -> str:
    """The URL of a new, empty PostgreSQL database, dropped when the test session ends."""
    from sqlalchemy import make_url

    name = f"newsarchive_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with _admin_connection() as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    _created_databases.append(name)
    return make_url(POSTGRESQL_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def database_settings(data_dir: Path) -> tuple[str, ...]:
    """`-s` pairs that point a command at the data directory's index: nothing for SQLite (the file
    in the data directory); in the PostgreSQL pass, a database of its own, the same on every call."""
    if TEST_DATABASE != "postgresql":
        return ()
    key = Path(data_dir).resolve()
    if key not in _database_of_data_dir:
        _database_of_data_dir[key] = new_postgresql_database()
    return (f"ARCHIVE_DATABASE_URL={_database_of_data_dir[key]}",)


def database_url_of(database: Path) -> str:
    """The index URL behind `DATA_DIR/archive.sqlite3` as the tests name it, in either pass."""
    settings = database_settings(Path(database).parent)
    return settings[0].partition("=")[2] if settings else f"sqlite:///{database}"


def index_rows(database: Path, sql: str) -> list[dict]:
    """Rows of `sql` on the index behind `DATA_DIR/archive.sqlite3`, as dicts keyed by column (also
    indexable by position), with values as sqlite3 gives them (JSON columns as text)."""
    import json

    from sqlalchemy import text

    from archive.db import make_engine

    engine = make_engine(database_url_of(database))
    try:
        with engine.connect() as connection:
            result = connection.execute(text(sql))
            columns = list(result.keys())
            return [
                IndexRow(columns, [json.dumps(v) if isinstance(v, (dict, list)) else v for v in row])
                for row in result
            ]
    finally:
        engine.dispose()


class IndexRow(dict):
    """A row both as {column: value} and as a tuple (row[0]), as sqlite3.Row is."""

    def __init__(self, columns: list[str], values: list) -> None:
        super().__init__(zip(columns, values))
        self._values = tuple(values)

    def __getitem__(self, key):
        return self._values[key] if isinstance(key, int) else super().__getitem__(key)

    def __iter__(self):
        return iter(self._values)

    def __eq__(self, other):
        return tuple(self._values) == tuple(other) if isinstance(other, tuple) else super().__eq__(other)

    __hash__ = None


def pytest_collection_modifyitems(config, items) -> None:
    """In the PostgreSQL pass, tests about the SQLite file itself are skipped, each with a reason."""
    if TEST_DATABASE != "postgresql":
        return
    for item in items:
        if item.get_closest_marker("sqlite_only"):
            item.add_marker(pytest.mark.skip(reason="about the SQLite file itself (NEWSARCHIVE_TEST_DATABASE=postgresql)"))


@pytest.fixture(scope="session", autouse=True)
def _drop_test_databases() -> Iterator[None]:
    yield
    if _created_databases:
        with _admin_connection() as connection:
            for name in _created_databases:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgresql_database():
    """Factory of empty PostgreSQL databases (their URLs), all dropped when the session ends.

    A server that cannot be reached fails the tests that need it: nothing is skipped silently.
    """
    return new_postgresql_database
