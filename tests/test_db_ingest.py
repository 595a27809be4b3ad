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
