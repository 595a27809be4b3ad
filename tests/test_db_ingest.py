"""Ingestor rules that WARC files alone cannot easily show: order, idempotence, bad payloads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.index import database as db
from archive.errors import InvalidRecord
from archive.index.ingest import ArticleRecord, Ingestor, RunFinished, RunStarted, utc_iso
from archive.index.models import Article, ArticleLink, Capture, CrawlRun
from tests.helpers import RUN, fetch, index_url



@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    url = index_url(tmp_path / "index.db")
    db.upgrade(url)
    engine = db.make_engine(url)
    with Session(engine) as session:
        yield session
    engine.dispose()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-26T10:52:17Z", "2026-11-26T10:52:17+00:00"),
        ("2026-11-26T10:52:17.123456Z", "2026-11-26T10:52:17.123456+00:00"),
        ("2026-11-26T11:52:17+01:00", "2026-11-26T10:52:17+00:00"),
        ("2026-11-26T10:52:17", "2026-11-26T10:52:17+00:00"),
        (datetime(2026, 11, 26, 5, 52, 17, tzinfo=timezone(timedelta(hours=-5))), "2026-11-26T10:52:17+00:00"),
    ],
)
def test_timestamps_are_normalised_to_utc_iso(value: str | datetime, expected: str) -> None:
    assert utc_iso(value) == expected


def test_an_older_capture_applied_later_only_moves_first_seen(session: Session) -> None:
    ingestor = Ingestor(session)
    ingestor.apply([RunStarted(RUN, "morningstar", "2026-02-20T09:00:00Z")])
    ingestor.apply(fetch(2, "2026-02-21T10:00:00Z", "New", ["https://news.example/new"]))
    ingestor.apply(fetch(1, "2026-02-20T10:00:00Z", "Old", ["https://news.example/old"]))
    session.commit()

    article = session.scalars(select(Article)).one()
    newest = session.scalars(select(Capture).where(Capture.offset == 200)).one()
    assert (article.title, article.first_seen_at, article.last_seen_at) == (
        "New",
        "2026-02-20T10:00:00+00:00",
        "2026-02-21T10:00:00+00:00",
    )
    assert article.latest_capture_id == newest.id
    assert session.scalars(select(ArticleLink.url)).all() == ["https://news.example/new"]
    assert session.scalars(select(Capture.article_id)).all() == [article.id, article.id]


def test_applying_the_same_records_again_changes_nothing(session: Session) -> None:
    items = [
        RunStarted(RUN, "morningstar", "2026-02-20T09:00:00Z"),
        *fetch(1, "2026-02-20T10:00:00Z", "Old", ["https://news.example/a", "https://news.example/b"]),
        RunFinished(RUN, "2026-02-20T11:00:00Z", "finished", {"archive/responses": 1}),
    ]
    Ingestor(session).apply(items)
    session.commit()
    before = snapshot(session)

    again = Ingestor(session)
    again.apply(items)
    session.commit()

    assert snapshot(session) == before
    assert again.counts.captures == again.counts.runs == 0


def snapshot(session: Session) -> list[Any]:
    rows: list[Any] = []
    for model in (CrawlRun, Article, Capture, ArticleLink):
        rows += [
            {column: getattr(row, column) for column in model.__table__.columns.keys()}
            for row in session.scalars(select(model).order_by(model.id).execution_options(populate_existing=True))
        ]
    return rows


def test_a_record_that_is_not_an_article_is_refused_before_anything_is_written(session: Session) -> None:
    capture, article = fetch(1, "2026-02-20T10:00:00Z", "Old", [])
    Ingestor(session).apply([capture])
    broken = ArticleRecord(article.record_id, article.concurrent_to, article.captured_at, {"schema": "newsarchive/article/1"}, "a.warc.gz", 0, 1)

    with pytest.raises(InvalidRecord, match="a.warc.gz"):
        Ingestor(session).apply([broken])
    with pytest.raises(InvalidRecord, match="unknown status 'exploded'"):
        Ingestor(session).apply([RunFinished(RUN, "2026-02-20T11:00:00Z", "exploded", {})])
    assert session.scalars(select(Article)).all() == []


def test_a_batch_gives_the_rows_and_ids_that_items_one_by_one_give(tmp_path: Path) -> None:
    """`apply` writes new responses and article records in batches; one URL twice in a batch, an
    article record for an earlier batch's capture, and an invalid record in between change nothing."""
    capture_1, article_1 = fetch(1, "2026-02-20T10:00:00Z", "First", ["https://news.example/a"])
    capture_2, article_2 = fetch(2, "2026-02-21T10:00:00Z", "Second", ["https://news.example/b"])
    capture_3, article_3 = fetch(3, "2026-02-19T10:00:00Z", "Older", [])
    broken = ArticleRecord("<urn:uuid:broken>", None, "2026-02-21T10:00:00Z", {"schema": "newsarchive/article/1"},
                           "a.warc.gz", 0, 1)
    items = [RunStarted(RUN, "morningstar", "2026-02-20T09:00:00Z"), capture_1, capture_2, article_1, broken,
             article_2, capture_3, article_3, article_3]
    snapshots = []
    for batched in (True, False):
        url = db.sqlite_url(tmp_path / f"{batched}.db")
        db.upgrade(url)
        engine = db.make_engine(url)
        with Session(engine) as session:
            ingestor, refused = Ingestor(session), []
            if batched:
                ingestor.apply(items, invalid=refused.append)
            else:
                for item in items:
                    try:
                        ingestor.apply_one(item)
                    except InvalidRecord as error:
                        refused.append(error)
            session.commit()
            snapshots.append((snapshot(session), ingestor.counts, [str(error) for error in refused]))
        engine.dispose()

    assert snapshots[0] == snapshots[1]
    rows, counts, refused = snapshots[0]
    assert (counts.captures, counts.articles, counts.unchanged, len(refused)) == (3, 3, 1, 1)
    article = next(row for row in rows if "title" in row)
    assert (article["title"], article["first_seen_at"]) == ("Second", "2026-02-19T10:00:00+00:00")


def test_the_schema_revisions_read_without_alembic_are_alembic_s(tmp_path: Path) -> None:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    assert db.head_revision() == ScriptDirectory.from_config(db.alembic_config("sqlite://")).get_current_head()
    database = db.Database.sqlite(tmp_path / "index.db")
    assert database.current_revision() is None
    database.upgrade("9c1e4b7a2d30")
    with database.engine.connect() as connection:
        assert database.current_revision() == MigrationContext.configure(connection).get_current_revision() == "9c1e4b7a2d30"
    database.dispose()
