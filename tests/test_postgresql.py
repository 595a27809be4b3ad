"""PostgreSQL as a peer of SQLite: the same crawl, commands and answers, against the real server.

Each test database is a throw-away one on the PostgreSQL server on 127.0.0.1 (`postgresql_database`
in conftest). The crawl is the real command with `ARCHIVE_DATABASE_URL` set; its answers are
compared with the SQLite crawl of the same site, and its index with a reindex of its WARC files.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text

from archive.errors import QueryError
from archive.index import database as db
from archive.index.models import Base
from archive.readers.query import QueryLimits, run_query
from archive.readers.search import search
from newsarchive_site import serve
from tests.helpers import LOCAL_SETTINGS, NEWSARCHIVE, SiteCrawl, run_newsarchive, setting_args

INDEX_TABLES = ("articles", "captures", "article_links", "article_versions")


@dataclass(frozen=True)
class PostgresCrawl:
    data_dir: Path
    url: str
    base_url: str
    stdout: str


def crawl_into(data_dir: Path, database_url: str, base_url: str, *extra: str) -> Any:
    pairs = (*LOCAL_SETTINGS, f"ARCHIVE_DATABASE_URL={database_url}", *extra)
    settings = [arg for pair in pairs for arg in ("-s", pair)]
    return run_newsarchive("crawl", "morningstar", "--data-dir", str(data_dir), "--base-url", base_url, *settings)


def with_database(url: str, *args: str) -> list[str]:
    return [*args, "-s", f"ARCHIVE_DATABASE_URL={url}"]


@pytest.fixture(scope="module")
def pg_server(site) -> Iterator:
    with serve(site, host="127.0.0.1", port=0) as running:
        yield running


@pytest.fixture(scope="module")
def pg_crawl(pg_server, postgresql_database, tmp_path_factory) -> PostgresCrawl:
    url = postgresql_database()
    data_dir = tmp_path_factory.mktemp("pg-crawl")
    done = crawl_into(data_dir, url, pg_server.base_url)
    assert done.returncode == 0, done.stdout + done.stderr[-4000:]
    return PostgresCrawl(data_dir, url, pg_server.base_url, done.stdout)


def table_rows(url: str, table: str) -> list[dict[str, Any]]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as connection:
            model = Base.metadata.tables[table]
            return [dict(row._mapping) for row in connection.execute(select(model).order_by(model.c.id))]
    finally:
        engine.dispose()


def path_of(url: str) -> str:
    return urlsplit(url).path


def test_migrations_match_the_models_on_postgresql(postgresql_database) -> None:
    url = postgresql_database()
    db.upgrade(url)
    engine = db.make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "include_name": db.include_name}
            )
            assert compare_metadata(context, Base.metadata) == []
            assert context.get_current_revision() == db.head_revision()
            indexes = {index["name"] for index in inspect(connection).get_indexes("articles")}
            assert db.POSTGRESQL_FULLTEXT_INDEX in indexes
            views = set(inspect(connection).get_view_names())
            assert {"latest_captures", "paywall_by_section_month", "article_similar_links", "crawl_run_summary"} <= views
        db.downgrade(url, "base")
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    finally:
        engine.dispose()


def test_a_crawl_into_postgresql_indexes_what_the_sqlite_crawl_indexes(pg_crawl: PostgresCrawl, crawled: SiteCrawl) -> None:
    assert "index postgresql://" in pg_crawl.stdout
    sqlite_url = db.sqlite_url(crawled.result.database)
    fields = "title, section, published_at, paywalled, word_count, free_text"
    sqlite_rows = {
        path_of(row[0]): tuple(bool(v) if i == 3 and v is not None else v for i, v in enumerate(row[1:]))
        for row in run_query(sqlite_url, f"SELECT url, {fields} FROM articles").rows
    }
    pg_rows = {path_of(row[0]): tuple(row[1:]) for row in run_query(pg_crawl.url, f"SELECT url, {fields} FROM articles").rows}
    assert pg_rows and pg_rows == sqlite_rows


def test_the_postgresql_index_equals_a_reindex_of_its_warcs(pg_crawl: PostgresCrawl, postgresql_database, tmp_path: Path) -> None:
    rebuilt = postgresql_database()
    shutil.copytree(pg_crawl.data_dir / "warcs", tmp_path / "warcs")
    done = run_newsarchive(*with_database(rebuilt, "reindex", "--data-dir", str(tmp_path)))
    assert done.returncode == 0, done.stderr[-3000:]
    for table in INDEX_TABLES:
        original = table_rows(pg_crawl.url, table)
        assert original, table
        assert table_rows(rebuilt, table) == original, table


def test_query_is_read_only_on_postgresql(pg_crawl: PostgresCrawl) -> None:
    count = "SELECT COUNT(*) FROM articles"
    before = run_query(pg_crawl.url, count).rows
    for sql, problem in (
        ("DELETE FROM articles", "queries are read-only"),
        ("UPDATE articles SET title = 'x'", "queries are read-only"),
        ("CREATE TABLE stolen (x int)", "queries are read-only"),
        ("SELECT 1; DELETE FROM articles", "only one statement"),
        ("COMMIT; DELETE FROM articles", "only one statement"),
        ("SET default_transaction_read_only = off; DELETE FROM articles", "only one statement"),
    ):
        with pytest.raises(QueryError, match=problem):
            run_query(pg_crawl.url, sql)
    assert run_query(pg_crawl.url, count).rows == before and before[0][0] > 0


def test_query_limits_and_streaming_on_postgresql(pg_crawl: PostgresCrawl) -> None:
    endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT max(i) FROM n"
    with pytest.raises(QueryError, match=r"ran longer than the 0.5 s limit"):
        run_query(pg_crawl.url, endless, limits=QueryLimits(timeout=0.5))
    result = run_query(pg_crawl.url, "SELECT generate_series(1, 5000) AS n, '100%' AS literal_percent")
    assert result.columns == ("n", "literal_percent") and len(result.rows) == 5000
    assert run_query(pg_crawl.url, "SELECT title FROM articles WHERE section = :s LIMIT 1", {"s": "Britain"}).rows
    with pytest.raises(QueryError, match=r"needs a value for :s"):
        run_query(pg_crawl.url, "SELECT title FROM articles WHERE section = :s")


def test_search_on_postgresql_ranks_marks_and_filters(pg_crawl: PostgresCrawl) -> None:
    hits = search(pg_crawl.url, "strike", limit=100)
    assert hits, "no hit for a word many headlines carry"
    assert all("[strike" in hit.snippet.lower() or "[striking" in hit.snippet.lower() for hit in hits[:5]), hits[0].snippet
    in_title = [hit for hit in hits if "strike" in hit.title.lower()]
    not_in_title = [hit for hit in hits if "strike" not in hit.title.lower()]
    if in_title and not_in_title:
        assert hits.index(in_title[0]) < hits.index(not_in_title[0])
    assert [hit.rank for hit in hits] == sorted(hit.rank for hit in hits)
    britain = search(pg_crawl.url, "strike", section="BRITAIN", limit=100)
    assert britain and {hit.section for hit in britain} == {"Britain"}
    free = search(pg_crawl.url, "strike", paywalled=False, limit=100)
    assert free and all(hit.paywalled is False for hit in free)
    assert {hit.article_id for hit in free} < {hit.article_id for hit in hits}


def test_postgresql_search_uses_the_fulltext_index(pg_crawl: PostgresCrawl) -> None:
    from archive.readers.search_postgresql import DOCUMENT

    engine = db.make_engine(pg_crawl.url)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SET enable_seqscan = off")  # a tiny table is otherwise scanned
            plan = "\n".join(
                row[0] for row in connection.execute(
                    text(f"EXPLAIN SELECT a.id FROM articles a WHERE {DOCUMENT} @@ websearch_to_tsquery('english', 'strike')")
                )
            )
    finally:
        engine.dispose()
    assert db.POSTGRESQL_FULLTEXT_INDEX in plan, plan


def test_commands_on_postgresql(pg_crawl: PostgresCrawl) -> None:
    data_dir = str(pg_crawl.data_dir)
    done = run_newsarchive(*with_database(pg_crawl.url, "search", "strike", "--data-dir", data_dir, "--json"))
    assert done.returncode == 0, done.stderr
    hits = json.loads(done.stdout)
    assert hits and "[" in hits[0]["snippet"]

    done = run_newsarchive(*with_database(pg_crawl.url, "query", "SELECT * FROM paywall_by_section_month", "--data-dir", data_dir, "--nl"))
    assert done.returncode == 0, done.stderr
    months = [json.loads(line) for line in done.stdout.splitlines()]
    assert sum(month["articles"] for month in months) == run_query(
        pg_crawl.url, "SELECT COUNT(*) FROM articles WHERE published_at IS NOT NULL"
    ).rows[0][0]

    done = run_newsarchive(*with_database(pg_crawl.url, "runs", "--data-dir", data_dir))
    assert done.returncode == 0 and "finished" in done.stdout, done.stderr

    url = run_query(pg_crawl.url, "SELECT url, title FROM articles ORDER BY id LIMIT 1").rows[0]
    done = run_newsarchive(*with_database(pg_crawl.url, "show", url[0], "--data-dir", data_dir))
    assert done.returncode == 0, done.stderr
    assert re.search(rf"Title:\s+{re.escape(url[1])}", done.stdout)

    done = run_newsarchive(*with_database(pg_crawl.url, "query", "DELETE FROM articles", "--data-dir", data_dir))
    assert done.returncode == 1 and done.stderr.startswith("Error: queries are read-only")


def test_a_recrawl_into_postgresql_is_incremental(pg_server, postgresql_database, tmp_path: Path) -> None:
    url = postgresql_database()
    first = crawl_into(tmp_path, url, pg_server.base_url)
    assert first.returncode == 0, first.stderr[-3000:]
    # a re-crawl fetches few pages, so the site's two broken ones exceed the default failure ratio
    second = crawl_into(tmp_path, url, pg_server.base_url, "ARCHIVE_MAX_FAILED_RATIO=0.5")
    assert second.returncode == 0, second.stderr[-3000:]
    # archived articles are known from the database: not fetched again, listings fetched conditionally
    assert "0 articles new or changed" in second.stdout, second.stdout
    fetched = [int(re.match(r"(\d+) responses", done.stdout)[1]) for done in (first, second)]
    assert fetched[1] < fetched[0] / 2, fetched
    revisits = run_query(url, "SELECT COUNT(*) FROM captures WHERE record_type = 'revisit'").rows[0][0]
    assert revisits > 0
    runs = run_query(url, "SELECT COUNT(*) FROM crawl_runs WHERE status = 'finished'").rows[0][0]
    assert runs == 2
    # every article once, however many times it was captured
    assert run_query(url, "SELECT COUNT(*) = COUNT(DISTINCT url) FROM articles").rows[0][0] is True


def test_crawlers_on_several_machines_share_one_postgresql_index(site, postgresql_database, tmp_path: Path) -> None:
    """Two crawls started together, each with its own data directory (as on two machines), into one
    new database: the schema is created once (under an advisory lock), and both indexes land whole."""
    url = postgresql_database()
    pairs = (*LOCAL_SETTINGS, f"ARCHIVE_DATABASE_URL={url}")
    with serve(site, host="127.0.0.1", port=0) as first, serve(site, host="127.0.0.1", port=0) as second:
        crawls = [
            subprocess.Popen(
                [NEWSARCHIVE, "crawl", "morningstar", "--data-dir", str(tmp_path / name), "--base-url", running.base_url,
                 *setting_args(pairs)],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )
            for name, running in (("one", first), ("two", second))
        ]
        outcomes = [process.communicate(timeout=300) for process in crawls]
        bases = (first.base_url, second.base_url)
    for process, (stdout, stderr) in zip(crawls, outcomes):
        assert process.returncode == 0, stdout + stderr[-3000:]
    reachable = {path for path, truth in site.truth.items() if truth.reachable}
    urls = [row[0] for row in run_query(url, "SELECT url FROM articles").rows]
    assert len(urls) == len(set(urls))
    assert {(base, urlsplit(found).path) for found in urls for base in bases if found.startswith(base)} == {
        (base, path) for base in bases for path in reachable
    }
    assert run_query(url, "SELECT COUNT(*) FROM crawl_runs WHERE status = 'finished'").rows[0][0] == 2
