"""DatabaseWriter: batches on its own thread against a real SQLite file, and never hides a failure."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

from archive.index import database as db
from archive.index.writer import DatabaseWriter
from archive.errors import DatabaseNotMigrated, IngestError
from archive.index.ingest import CaptureRecord, RunStarted
from archive.index.models import Capture, CrawlRun
from tests.helpers import index_url

RUN = "11111111-1111-4111-8111-111111111111"


def capture(number: int) -> CaptureRecord:
    return CaptureRecord(
        record_id=f"<urn:uuid:00000000-0000-0000-0000-{number:012d}>",
        url=f"https://news.example/{number}",
        captured_at="2026-02-20T09:30:00.123456Z",
        status=200,
        content_type="text/html",
        payload_digest="sha1:AAAA",
        warc_file="news-00000.warc.gz",
        offset=1000 * number,
        length=900,
        run_uuid=RUN,
    )


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = index_url(tmp_path / "index.db")
    db.upgrade(url)
    return url


def count(url: str, model: type) -> int:
    engine = db.make_engine(url)
    with engine.connect() as connection:
        total = connection.execute(select(func.count()).select_from(model)).scalar_one()
    engine.dispose()
    return int(total)


def test_items_are_written_in_batches_and_all_are_flushed_on_close(url: str) -> None:
    writer = DatabaseWriter(db.Database(url), batch_size=3, flush_interval=0.05)
    writer.submit(RunStarted(RUN, "morningstar", "2026-02-20T09:29:58Z", user_agent="ua"))
    for number in range(1, 8):
        writer.submit(capture(number))

    writer.close()

    assert (writer.written, writer.errors) == (8, 0)
    assert count(url, CrawlRun) == 1
    assert count(url, Capture) == 7


def test_a_partial_batch_is_written_after_the_flush_interval(url: str) -> None:
    with DatabaseWriter(db.Database(url), batch_size=100, flush_interval=0.05) as writer:
        writer.submit(RunStarted(RUN, "morningstar", "2026-02-20T09:29:58Z"))
        deadline = time.monotonic() + 10
        while count(url, CrawlRun) == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert count(url, CrawlRun) == 1  # written while the writer is still open


def test_a_database_error_is_logged_counted_and_raised_from_close(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    broken = replace(capture(2), url=None)  # violates captures.url NOT NULL
    writer = DatabaseWriter(db.Database(url), batch_size=10, flush_interval=0.05)
    for item in (RunStarted(RUN, "morningstar", "2026-02-20T09:29:58Z"), capture(1), broken, capture(3)):
        writer.submit(item)

    with caplog.at_level(logging.ERROR, logger="archive.index.writer"):
        with pytest.raises(IngestError, match="1 item.*newsarchive reindex") as raised:
            writer.close()

    assert writer.errors == 1
    assert "not null" in str(raised.value.__cause__).lower().replace("-", " ")  # SQLite: NOT NULL, PostgreSQL: not-null
    assert broken.record_id in caplog.text
    assert count(url, Capture) == 2  # the rest of the failed batch was still written


def test_submit_after_close_is_refused(url: str) -> None:
    writer = DatabaseWriter(db.Database(url))
    writer.close()
    with pytest.raises(RuntimeError, match="after the writer was closed"):
        writer.submit(capture(1))


def test_a_stale_database_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    url = index_url(tmp_path / "new.db")
    writer = DatabaseWriter(db.Database(url))
    writer.submit(capture(1))
    with pytest.raises(DatabaseNotMigrated, match="newsarchive db upgrade"):
        writer.close()
    assert db.Database(url).current_revision() is None
