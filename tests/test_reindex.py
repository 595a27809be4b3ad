"""Reindex: real WARC files in the crawler's layout, written with warcio, rebuilt into SQLite.

The same files also feed a `DatabaseWriter` the items the live crawl would submit, to prove the
database rebuilt from the WARC files equals the one written during the crawl.
"""

from __future__ import annotations

import io
import itertools
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.index import database as db
from archive.index.writer import DatabaseWriter
from archive.errors import DatabaseNotMigrated, WarcDirectoryNotFound
from archive.index.ingest import (
    RUN_SCHEMA,
    ArticleRecord,
    CaptureRecord,
    IngestItem,
    RunFinished,
    RunStarted,
)
from archive.index.models import Article, ArticleLink, Base, Capture, CrawlRun
from archive.index.reindex import ReindexStats, reindex
from archive.index.translate import parse_warc_fields
from crawler.extract.article import Article as ExtractedArticle
from crawler.extract.article import PaywallMarker, SimilarStory
from tests.helpers import index_url

RUN_A = "11111111-1111-4111-8111-111111111111"
RUN_B = "22222222-2222-4222-8222-222222222222"
SITE = "morningstar"
UA = "newsarchive-test/1.0 (+https://example.org/bot)"
X_URL = "https://news.example/politics/budget"
Y_URL = "https://news.example/world/summit"


class CrawlerStyleWarc:
    """Writes one WARC file as the crawler does, noting the index item the crawl submits per record."""

    def __init__(self, path: Path, ids: Iterator[int], run_uuid: str, started_at: str) -> None:
        self.path = path
        self.name = path.name.removesuffix(".open")
        self._ids = ids
        self._out = path.open("wb")
        self._writer = WARCWriter(self._out, gzip=True, warc_version="WARC/1.1")
        self.items: list[IngestItem] = []
        fields = {
            "software": "newsarchive/0.1.0",
            "hostname": "crawler-1",
            "http-header-user-agent": UA,
            "crawl-run-id": run_uuid,
            "site": SITE,
            "started-at": started_at,
        }
        self.warcinfo_id = self._id()
        self.run_uuid = run_uuid
        body = "".join(f"{name}: {value}\r\n" for name, value in fields.items()).encode()
        self._write(
            "warcinfo",
            "",
            {"WARC-Record-ID": self.warcinfo_id, "WARC-Date": started_at, "WARC-Filename": self.name},
            payload=body,
            content_type="application/warc-fields",
        )
        self.items.append(RunStarted.from_warcinfo(fields))

    def _id(self) -> str:
        return f"<urn:uuid:{uuid.UUID(int=next(self._ids))}>"

    def _write(
        self,
        record_type: str,
        url: str,
        headers: dict[str, str],
        payload: bytes = b"",
        content_type: str = "",
        http_headers: StatusAndHeaders | None = None,
    ) -> tuple[int, int]:
        if record_type != "warcinfo":
            headers = {**headers, "WARC-Warcinfo-ID": self.warcinfo_id}
        record = self._writer.create_warc_record(
            url,
            record_type,
            payload=io.BytesIO(payload),
            length=len(payload),
            warc_content_type=content_type,
            warc_headers_dict=headers,
            http_headers=http_headers,
        )
        offset = self._out.tell()
        self._writer.write_record(record)
        return offset, self._out.tell() - offset

    def exchange(
        self, url: str, date: str, body: bytes, status: str = "200 OK", content_type: str = "text/html"
    ) -> str:
        response_id = self._id()
        http = StatusAndHeaders(
            status,
            [("Content-Type", content_type), ("Content-Length", str(len(body)))],
            protocol="HTTP/1.1",
        )
        offset, length = self._write(
            "response",
            url,
            {"WARC-Record-ID": response_id, "WARC-Date": date},
            payload=body,
            http_headers=http,
        )
        request = StatusAndHeaders(
            f"GET {url.split('news.example', 1)[1]} HTTP/1.1",
            [("Host", "news.example"), ("User-Agent", UA)],
            is_http_request=True,
        )
        self._write(
            "request",
            url,
            {"WARC-Record-ID": self._id(), "WARC-Date": date, "WARC-Concurrent-To": response_id},
            http_headers=request,
        )
        digest = self._last_payload_digest(offset, length)
        self.items.append(
            CaptureRecord(
                record_id=response_id,
                url=url,
                captured_at=date,
                status=int(status.split()[0]),
                content_type=content_type,
                payload_digest=digest,
                warc_file=self.name,
                offset=offset,
                length=length,
                run_uuid=self.run_uuid,
            )
        )
        return response_id

    def _last_payload_digest(self, offset: int, length: int) -> str:
        self._out.flush()
        with self.path.open("rb") as stream:
            stream.seek(offset)
            record = next(iter(ArchiveIterator(io.BytesIO(stream.read(length)))))
            return str(record.rec_headers.get_header("WARC-Payload-Digest"))

    def article(self, concurrent_to: str, fetched_url: str, date: str, payload: dict[str, Any]) -> None:
        record_id = self._id()
        offset, length = self._write(
            "metadata",
            fetched_url,
            {"WARC-Record-ID": record_id, "WARC-Date": date, "WARC-Concurrent-To": concurrent_to},
            payload=json.dumps(payload).encode(),
            content_type="application/json",
        )
        self.items.append(
            ArticleRecord(record_id, concurrent_to, date, payload, self.name, offset, length)
        )

    def run_finished(self, finished_at: str, status: str, stats: dict[str, Any]) -> None:
        payload = {
            "schema": RUN_SCHEMA,
            "run_uuid": self.run_uuid,
            "finished_at": finished_at,
            "status": status,
            "stats": stats,
        }
        self._write(
            "metadata",
            f"urn:newsarchive:run:{self.run_uuid}",
            {"WARC-Record-ID": self._id(), "WARC-Date": finished_at},
            payload=json.dumps(payload).encode(),
            content_type="application/json",
        )
        self.items.append(RunFinished.from_record(payload))

    def revisit(self, url: str, date: str, refers_to: CaptureRecord) -> None:
        record_id = self._id()
        record = self._writer.create_revisit_record(
            url,
            digest=refers_to.payload_digest,
            refers_to_uri=refers_to.url,
            refers_to_date=refers_to.captured_at,
            warc_headers_dict={
                "WARC-Record-ID": record_id,
                "WARC-Date": date,
                "WARC-Refers-To": refers_to.record_id,
                "WARC-Warcinfo-ID": self.warcinfo_id,
            },
        )
        offset = self._out.tell()
        self._writer.write_record(record)
        self.items.append(  # an unchanged re-capture is a capture too, pointing at its original
            CaptureRecord(
                record_id=record_id,
                url=url,
                captured_at=date,
                status=None,
                content_type=None,
                payload_digest=refers_to.payload_digest,
                warc_file=self.name,
                offset=offset,
                length=self._out.tell() - offset,
                run_uuid=self.run_uuid,
                record_type="revisit",
                refers_to=refers_to.record_id,
            )
        )

    def close(self, cut_last_response: bool = False) -> None:
        """Close the file; or end it halfway through the last response, as a killed crawl does."""
        self._out.close()
        if cut_last_response:
            last = self.items.pop()
            assert isinstance(last, CaptureRecord)
            data = self.path.read_bytes()
            self.path.write_bytes(data[: last.offset + last.length // 2])


def article_payload(url: str, version: int, similar: list[str]) -> dict[str, Any]:
    """A real `Article.to_record()` payload, as the crawler's extraction produces it."""
    text = f"Budget text, version {version}.\n\nSecond paragraph {version}."
    return ExtractedArticle(
        url=url,
        fetched_url=url + "?utm_source=feed",
        site=SITE,
        title=f"Headline v{version}",
        free_text=text,
        paywall=PaywallMarker(
            paywalled=version == 1,
            kind="truncated" if version == 1 else None,
            signals=("css:#paywall",) if version == 1 else (),
            free_paragraphs=2,
            free_words=8,
        ),
        standfirst=f"Standfirst v{version}",
        authors=("Ann Writer", f"Guest {version}"),
        published_at="2026-02-20T08:00:00Z",
        section="politics",
        language="en",
        similar=tuple(
            SimilarStory(url=link, title=f"Story {link[-1]}", section="world", date="20 February 2026")
            for link in similar
        ),
        word_count=len(text.split()),
        profile_version="1",
        extractor_version="0.1",
    ).to_record()


class Archive:
    """The WARC directory of the scenario and the items the live crawl submitted for it."""

    def __init__(self, warc_dir: Path, files: list[CrawlerStyleWarc], skipped: str) -> None:
        self.warc_dir = warc_dir
        self.files = {warc.name: warc for warc in files}
        self.items = [item for warc in files for item in warc.items]
        self.skipped = skipped


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    """Two runs: article X fetched twice with new text, Y's metadata after a rollover, a cut-off end."""
    warc_dir = tmp_path / "warcs"
    warc_dir.mkdir()
    ids = itertools.count(1)

    first = CrawlerStyleWarc(
        warc_dir / "news-20260220092958000000-00000-crawler-1-100.warc.gz",
        ids,
        RUN_A,
        "2026-02-20T09:29:58Z",
    )
    section = first.exchange("https://news.example/politics", "2026-02-20T09:29:59Z", b"<html>list</html>")
    x1 = first.exchange(X_URL + "?utm_source=feed", "2026-02-20T09:30:00Z", b"<html>v1</html>")
    first.article(x1, X_URL + "?utm_source=feed", "2026-02-20T09:30:00Z", article_payload(X_URL, 1, ["https://news.example/a", "https://news.example/b", "https://news.example/c"]))
    first.exchange("https://news.example/missing", "2026-02-20T09:30:01Z", b"gone", "404 Not Found", "text/plain")
    first.run_finished("2026-02-20T09:45:00Z", "finished", {"archive/responses": 3})
    first.close()

    second = CrawlerStyleWarc(
        warc_dir / "news-20260221105200500000-00000-crawler-1-200.warc.gz",
        ids,
        RUN_B,
        "2026-02-21T10:52:00.5Z",
    )
    x2 = second.exchange(X_URL, "2026-02-21T10:52:17.123456Z", b"<html>v2</html>")
    second.article(x2, X_URL, "2026-02-21T10:52:17.123456Z", article_payload(X_URL, 2, ["https://news.example/d"]))
    y = second.exchange(Y_URL, "2026-02-21T10:53:00Z", b"<html>summit</html>")
    second.revisit("https://news.example/politics", "2026-02-21T10:53:01Z", first.items[1])  # type: ignore[arg-type]
    second.close()

    third = CrawlerStyleWarc(  # rolled over before Y's metadata was written
        warc_dir / "news-20260221105300000000-00001-crawler-1-200.warc.gz",
        ids,
        RUN_B,
        "2026-02-21T10:52:00.5Z",
    )
    third.article(y, Y_URL, "2026-02-21T10:53:00Z", article_payload(Y_URL, 1, []))
    third.exchange("https://news.example/world/cut", "2026-02-21T10:54:00Z", b"<html>" + bytes(range(256)) * 40)
    third.close(cut_last_response=True)  # killed while writing it: the crawl never indexed it

    still_open = CrawlerStyleWarc(
        warc_dir / "news-20260222080000000000-00000-crawler-1-300.warc.gz.open",
        ids,
        "33333333-3333-4333-8333-333333333333",
        "2026-02-22T08:00:00Z",
    )
    still_open.exchange("https://news.example/", "2026-02-22T08:00:01Z", b"<html>home</html>")
    still_open.close()

    return Archive(warc_dir, [first, second, third], skipped=still_open.path.name)


def migrated(path: Path) -> str:
    url = index_url(path)
    db.upgrade(url)
    return url


def dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = db.make_engine(url)
    with engine.connect() as connection:
        tables = {
            table.name: [tuple(row) for row in connection.execute(select(table).order_by(table.c.id))]
            for table in Base.metadata.sorted_tables
        }
    engine.dispose()
    return tables


def read_one(path: Path, offset: int, length: int) -> tuple[str, str]:
    """The type and id of the record at `offset`, read with one seek and one read."""
    with path.open("rb") as stream:
        stream.seek(offset)
        data = stream.read(length)
    records = [(r.rec_type, r.rec_headers.get_header("WARC-Record-ID")) for r in ArchiveIterator(io.BytesIO(data))]
    assert len(records) == 1
    return records[0]


def test_reindex_rebuilds_the_index_from_warc_files(archive: Archive, tmp_path: Path) -> None:
    url = migrated(tmp_path / "index.db")
    seen: list[str] = []

    stats = reindex(archive.warc_dir, db.Database(url), progress=lambda path, _: seen.append(path.name))

    names = sorted(archive.files)
    assert seen == names
    assert stats == ReindexStats(
        files=3,
        records=18,
        runs=2,
        captures=6,  # 5 responses and 1 revisit
        articles=3,
        runs_finished=1,
        ignored=5,  # 5 requests (the cut-off response's never made it)
        invalid=0,
        skipped_open=[archive.skipped],
        truncated=[names[2]],
    )
    engine = db.make_engine(url)
    with Session(engine) as session:
        runs = {run.run_uuid: run for run in session.scalars(select(CrawlRun))}
        assert runs[RUN_A].status == "finished"
        assert runs[RUN_A].finished_at == "2026-02-20T09:45:00+00:00"
        assert runs[RUN_A].stats == {"archive/responses": 3}
        assert runs[RUN_A].user_agent == UA
        assert runs[RUN_A].hostname == "crawler-1"
        # killed (its last file cut off, no end record) and no file of it still .open: interrupted, as
        # crash recovery indexes it, never "running" forever
        assert (runs[RUN_B].status, runs[RUN_B].finished_at) == ("interrupted", None)
        assert runs[RUN_B].started_at == "2026-02-21T10:52:00.500000+00:00"

        captures = session.scalars(select(Capture).order_by(Capture.id)).all()
        assert [(c.url, c.status, c.run_id) for c in captures] == [
            ("https://news.example/politics", 200, runs[RUN_A].id),
            (X_URL + "?utm_source=feed", 200, runs[RUN_A].id),
            ("https://news.example/missing", 404, runs[RUN_A].id),
            (X_URL, 200, runs[RUN_B].id),
            (Y_URL, 200, runs[RUN_B].id),
            ("https://news.example/politics", None, runs[RUN_B].id),  # the revisit
        ]
        assert (captures[5].record_type, captures[5].refers_to) == ("revisit", captures[0].record_id)
        assert captures[2].content_type == "text/plain"
        assert captures[3].captured_at == "2026-02-21T10:52:17.123456+00:00"
        for capture in captures:
            assert read_one(archive.warc_dir / capture.warc_file, capture.offset, capture.length) == (
                capture.record_type,
                capture.record_id,
            )
            assert capture.payload_digest and capture.payload_digest.startswith("sha1:")

        x = session.scalars(select(Article).where(Article.url == X_URL)).one()
        assert (x.first_seen_at, x.last_seen_at) == (
            "2026-02-20T09:30:00+00:00",
            "2026-02-21T10:52:17.123456+00:00",
        )
        assert (x.title, x.standfirst, x.paywalled, x.paywall_kind) == ("Headline v2", "Standfirst v2", False, None)
        assert x.free_text.startswith("Budget text, version 2.")
        assert x.authors == ["Ann Writer", "Guest 2"]
        assert x.published_at == "2026-02-20T08:00:00+00:00"
        assert x.paywall_signals["free_words"] == 8
        assert x.latest_capture_id == captures[3].id
        assert [c.article_id for c in captures] == [None, x.id, None, x.id, captures[4].article_id, None]
        links = session.scalars(select(ArticleLink).where(ArticleLink.article_id == x.id)).all()
        assert [(link.position, link.url, link.kind, link.date_text) for link in links] == [
            (0, "https://news.example/d", "similar", "20 February 2026")
        ]

        y = session.scalars(select(Article).where(Article.url == Y_URL)).one()
        y_capture = captures[4]
        assert (y_capture.article_id, y.latest_capture_id) == (y.id, y_capture.id)
        assert y.paywalled is True and y.paywall_signals["signals"] == ["css:#paywall"]
        assert (y_capture.warc_file, y_capture.meta_warc_file) == (names[1], names[2])
        for capture in (captures[1], captures[3], y_capture):
            assert capture.meta_warc_file and capture.meta_offset is not None and capture.meta_length
            assert read_one(archive.warc_dir / capture.meta_warc_file, capture.meta_offset, capture.meta_length) == (
                "metadata",
                capture.meta_record_id,
            )
    engine.dispose()


def test_reindex_twice_gives_identical_tables(archive: Archive, tmp_path: Path) -> None:
    url = migrated(tmp_path / "index.db")
    reindex(archive.warc_dir, db.Database(url))
    first = dump(url)
    reindex(archive.warc_dir, db.Database(url))
    assert dump(url) == first
    assert len(first["articles"]) == 2 and len(first["article_links"]) == 1


def test_rebuilt_database_equals_the_crawled_one(archive: Archive, tmp_path: Path) -> None:
    crawled = migrated(tmp_path / "crawled.db")
    with DatabaseWriter(db.Database(crawled), batch_size=4, flush_interval=0.05) as writer:
        for item in archive.items:
            writer.submit(item)
    assert writer.errors == 0
    # the next crawl of the site recovers the killed run B: its closed files indexed, the run interrupted
    from archive.session.recovery import recover_unfinished_runs

    assert recover_unfinished_runs(archive.warc_dir, db.Database(crawled), "morningstar") == sorted(archive.files)[1:]
    rebuilt = migrated(tmp_path / "rebuilt.db")

    reindex(archive.warc_dir, db.Database(rebuilt))

    assert dump(rebuilt) == dump(crawled)
    reindex(archive.warc_dir, db.Database(crawled))  # reindexing a crawled database changes nothing either
    assert dump(crawled) == dump(rebuilt)


def test_reindex_refuses_a_missing_directory_or_an_unmigrated_database(tmp_path: Path) -> None:
    with pytest.raises(WarcDirectoryNotFound, match="does not exist"):
        reindex(tmp_path / "nowhere", db.Database(migrated(tmp_path / "index.db")))
    with pytest.raises(DatabaseNotMigrated, match="newsarchive db upgrade"):
        reindex(tmp_path, db.Database(index_url(tmp_path / "new.db")))


def test_warc_fields_are_parsed_with_lower_case_names() -> None:
    fields = parse_warc_fields(b"Software: x/1\r\ncrawl-run-id: abc\r\nnot a field\r\nurl: http://a/b:c\r\n")
    assert fields == {"software": "x/1", "crawl-run-id": "abc", "url": "http://a/b:c"}


@pytest.mark.parametrize("keep", [1, 20, 0.5, -1], ids=["1-byte", "in-header", "half", "all-but-1"])
def test_a_file_cut_anywhere_in_its_last_record_keeps_the_records_before(
    tmp_path: Path, keep: float
) -> None:
    warc_dir = tmp_path / "warcs"
    warc_dir.mkdir()
    warc = CrawlerStyleWarc(warc_dir / "cut-00000.warc.gz", itertools.count(1), RUN_A, "2026-02-20T09:29:58Z")
    warc.exchange(X_URL, "2026-02-20T09:30:00Z", b"<html>kept</html>")
    last = warc.exchange(Y_URL, "2026-02-20T09:30:01Z", b"<html>lost</html>" * 100)
    warc.close()
    response = next(i for i in warc.items if isinstance(i, CaptureRecord) and i.record_id == last)
    cut = response.offset + (int(response.length * keep) if isinstance(keep, float) else keep % response.length)
    warc.path.write_bytes(warc.path.read_bytes()[:cut])

    stats = reindex(warc_dir, db.Database(migrated(tmp_path / "index.db")))

    assert (stats.captures, stats.truncated) == (1, [warc.path.name])


def test_warc_dirs_of_two_crawls_rebuild_into_one_index_equal_to_the_crawled_one(tmp_path: Path) -> None:
    """Two crawls (as two workers would) share one index but each writes its own WARC directory; the
    second re-crawls the first's articles, so its revisits point at records in the other directory.
    `reindex A B` rebuilds the index they wrote, and each capture's file is in its own run's directory."""
    from dataclasses import replace

    from newsarchive_site import build_site, serve
    from tests.helpers import crawl, index_url, rows, run_newsarchive

    site = build_site(30)
    first_dir, second_dir, rebuilt_dir = tmp_path / "worker-1", tmp_path / "worker-2", tmp_path / "rebuilt"
    # the small site's fixed 404 and 500 are more than the default failed-pages ratio of 30 articles
    shared = (f"ARCHIVE_DATABASE_URL={index_url(first_dir / 'archive.sqlite3')}", "ARCHIVE_MAX_FAILED_RATIO=1")
    with serve(site, host="127.0.0.1", port=0) as server:
        first = crawl(first_dir, server.base_url, *shared)
        assert first.returncode == 0, first.stderr[-3000:]
        edited = next(truth for truth in site.truth.values() if truth.reachable and not truth.paywalled)
        page = site.pages[edited.path]
        site.pages[edited.path] = replace(page, body=page.body.replace(b"</p>", b" Updated.</p>", 1))
        second = crawl(second_dir, server.base_url, *shared, "ARCHIVE_RECRAWL_DAYS=100000")  # re-fetch every article
        assert second.returncode == 0, second.stderr[-3000:]

    rebuilt = index_url(rebuilt_dir / "archive.sqlite3")
    done = run_newsarchive("reindex", "--database", rebuilt, str(second_dir / "warcs"), "--warc-dir", str(first_dir / "warcs"))

    assert done.returncode == 0, done.stderr[-3000:]
    crawled_db, rebuilt_db = first_dir / "archive.sqlite3", rebuilt_dir / "archive.sqlite3"
    for table in ("captures", "articles", "article_links", "article_versions"):
        original = rows(crawled_db, f"SELECT * FROM {table} ORDER BY id")
        assert original, table
        assert [dict(row) for row in rows(rebuilt_db, f"SELECT * FROM {table} ORDER BY id")] == [
            dict(row) for row in original
        ], table
    runs = "SELECT run_uuid, status, started_at, finished_at, stats FROM crawl_runs ORDER BY id"
    assert [dict(row) for row in rows(rebuilt_db, runs)] == [dict(row) for row in rows(crawled_db, runs)]
    captures = rows(rebuilt_db, "SELECT c.warc_file, c.record_type, r.id AS run FROM captures c "
                                      "JOIN crawl_runs r ON r.id = c.run_id ORDER BY c.id")
    run_dirs = {1: first_dir / "warcs", 2: second_dir / "warcs"}
    assert {row["run"] for row in captures} == {1, 2}
    for row in captures:  # the file name and the run (its host) say where a capture lives
        assert (run_dirs[row["run"]] / row["warc_file"]).is_file(), row
    assert any(row["record_type"] == "revisit" and row["run"] == 2 for row in captures)
    edited_versions = rows(rebuilt_db, "SELECT v.id FROM article_versions v JOIN articles a "
                                             f"ON a.id = v.article_id WHERE a.url LIKE '%{edited.path}'")
    assert len(edited_versions) == 2
