"""The full-text index and views of migration b2f0c1a9e7d4: built on upgrade, kept in step by
triggers (whoever writes: the ingest, a reindex, plain sqlite3), dropped on downgrade. SQLite's FTS5
table is SQLite's own: those tests are SQLite only; PostgreSQL's search is tested in test_postgresql.py."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.orm import Session

from archive.index import database as db
from archive.index.ingest import Ingestor, RunStarted
from archive.index.models import Base
from archive.readers.search import search
from tests.helpers import (
    COMPARE_OPTIONS, ON_POSTGRESQL, RUN, URL, SiteCrawl, connect_index, fetch, index_url, run_newsarchive,
)

INITIAL, FULLTEXT = "9c1e4b7a2d30", "b2f0c1a9e7d4"
VIEWS = {"latest_captures", "paywall_by_section_month", "article_similar_links", "crawl_run_summary"}
TRIGGERS = {"articles_fts_insert", "articles_fts_update", "articles_fts_delete"}


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "index.db"


@pytest.fixture
def url(path: Path) -> str:
    return index_url(path)


@pytest.fixture
def connection(path: Path, url: str) -> Iterator[sqlite3.Connection]:
    db.upgrade(url)
    connection = sqlite3.connect(path)
    yield connection
    connection.close()


def schema_objects(path: Path) -> dict[str, set[str]]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT type, name FROM sqlite_master").fetchall()
    objects: dict[str, set[str]] = {}
    for kind, name in rows:
        objects.setdefault(kind, set()).add(name)
    return objects


def add_article(connection: sqlite3.Connection, url: str, title: str, free_text: str, **columns: object) -> int:
    values = {
        "url": url, "site": "test", "title": title, "section": "Britain", "authors": "[]",
        "standfirst": "", "free_text": free_text, "paywalled": 0, "paywall_signals": "{}",
        "free_paragraphs": 1, "word_count": len(free_text.split()), "lead_image_url": "",
        "lead_image_caption": "", "language": "en", "first_seen_at": "2026-02-20T09:30:00+00:00",
        "last_seen_at": "2026-02-20T09:30:00+00:00", "published_at": "2026-02-20T09:30:00+00:00",
        **columns,
    }
    cursor = connection.execute(
        f"INSERT INTO articles ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
        list(values.values()),
    )
    connection.commit()
    return int(cursor.lastrowid)


def found(url: str, words: str) -> list[str]:
    return [hit.url for hit in search(url, words)]


def integrity_check(path: Path) -> None:
    """FTS5's own check that the index matches the text in `articles` (raises when it does not).
    PostgreSQL's search keeps no index apart from the rows to check."""
    if ON_POSTGRESQL:
        return
    with sqlite3.connect(path) as connection:
        connection.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('integrity-check', 1)")


@pytest.mark.sqlite_only("SQLite's FTS5 table, views and triggers, read from sqlite_master")
def test_upgrade_indexes_existing_rows_and_downgrade_removes_only_the_new_objects(path: Path, url: str) -> None:
    db.upgrade(url, INITIAL)
    with sqlite3.connect(path) as connection:
        add_article(connection, "https://news.example/a", "Dockers walk out", "Pickets gathered at dawn.")

    db.upgrade(url, FULLTEXT)
    objects = schema_objects(path)
    assert VIEWS <= objects["view"] and TRIGGERS <= objects["trigger"] and "articles_fts" in objects["table"]
    assert found(url, "picket") == ["https://news.example/a"]  # stemmed: "Pickets"
    integrity_check(path)

    db.downgrade(url, INITIAL)
    objects = schema_objects(path)
    assert not objects.get("view") and not objects.get("trigger")
    assert not {name for name in objects["table"] if name.startswith("articles_fts")}
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT title FROM articles").fetchall() == [("Dockers walk out",)]

    db.upgrade(url)  # and up again
    assert found(url, "dockers") == ["https://news.example/a"]


def test_the_drift_check_still_sees_tables_without_a_model(path: Path, url: str) -> None:
    db.upgrade(url)
    with connect_index(path) as connection:
        connection.execute("CREATE TABLE articles_notes (id INTEGER PRIMARY KEY)")
    engine = db.make_engine(url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts=COMPARE_OPTIONS), Base.metadata)
    engine.dispose()
    assert [(change[0], change[1].name) for change in diff] == [("remove_table", "articles_notes")]


@pytest.mark.sqlite_only("FTS5's triggers on writes by plain sqlite3")
def test_plain_sqlite3_updates_and_deletes_keep_the_index_in_step(
    path: Path, url: str, connection: sqlite3.Connection
) -> None:
    article = add_article(connection, "https://news.example/a", "Nurses strike", "Wards were staffed by volunteers.")
    add_article(connection, "https://news.example/b", "Council budget", "Libraries close on Sundays.")
    assert found(url, "volunteers") == ["https://news.example/a"]

    connection.execute("UPDATE articles SET free_text = 'Agency staff covered the wards.' WHERE id = ?", (article,))
    connection.execute("UPDATE articles SET last_seen_at = '2026-03-01T00:00:00+00:00'")  # no text change
    connection.commit()
    assert found(url, "volunteers") == []
    assert found(url, "agency") == ["https://news.example/a"]
    integrity_check(path)

    connection.execute("DELETE FROM articles WHERE id = ?", (article,))
    connection.commit()
    assert found(url, "agency OR nurses") == []
    assert found(url, "libraries") == ["https://news.example/b"]
    integrity_check(path)


def test_the_ingest_keeps_the_index_in_step_when_a_newer_capture_arrives(path: Path, url: str) -> None:
    db.upgrade(url)
    engine = db.make_engine(url)
    with Session(engine) as session:
        ingestor = Ingestor(session)
        ingestor.apply([RunStarted(RUN, "morningstar", "2026-02-20T09:00:00Z")])
        ingestor.apply(fetch(1, "2026-02-20T10:00:00Z", "Budget leaks early", []))
        session.commit()
        assert found(url, "leaks") == [URL]
        ingestor.apply(fetch(2, "2026-02-21T10:00:00Z", "Budget delayed again", []))
        session.commit()
    engine.dispose()
    assert found(url, "leaks") == []
    assert found(url, "delayed") == [URL]
    integrity_check(path)


@pytest.mark.sqlite_only("the reindex sets FTS5's triggers aside and rebuilds its table")
def test_reindex_rebuilds_the_index_with_the_same_search_results(site, crawled: SiteCrawl, tmp_path: Path) -> None:
    rebuilt = tmp_path / "rebuilt"
    shutil.copytree(crawled.result.warc_dir, rebuilt / "warcs")
    done = run_newsarchive("reindex", "--data-dir", str(rebuilt))
    assert done.returncode == 0, done.stderr[-3000:]
    done = run_newsarchive("reindex", "--data-dir", str(rebuilt))  # over a full index: deletes fire too
    assert done.returncode == 0, done.stderr[-3000:]

    original, again = db.sqlite_url(crawled.result.database), db.sqlite_url(rebuilt / "archive.sqlite3")
    for words in ("strike", "pension OR rent", '"pay restoration"', "title: ballot"):
        expected = [(hit.url, hit.snippet) for hit in search(original, words, limit=100)]
        assert expected, words
        assert [(hit.url, hit.snippet) for hit in search(again, words, limit=100)] == expected, words
    integrity_check(rebuilt / "archive.sqlite3")
    with sqlite3.connect(rebuilt / "archive.sqlite3") as connection:
        indexed = connection.execute("SELECT COUNT(*) FROM articles_fts_docsize").fetchone()[0]
        articles = connection.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    assert indexed == articles == len([truth for truth in site.truth.values() if truth.reachable])
    # the rebuild sets the index's triggers aside and rebuilds it in one pass: they are back after it,
    # so a later write (the next crawl, or plain sqlite3) still reaches the index
    assert schema_objects(rebuilt / "archive.sqlite3")["trigger"] == schema_objects(crawled.result.database)["trigger"]
    with sqlite3.connect(rebuilt / "archive.sqlite3") as connection:
        connection.execute("UPDATE articles SET title = 'Zanzibar ferry strike' WHERE id = (SELECT MIN(id) FROM articles)")
    assert len(found(again, "zanzibar")) == 1
    integrity_check(rebuilt / "archive.sqlite3")
