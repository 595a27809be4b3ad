"""The capture extension and the incremental middleware, built the way Scrapy builds them (`get_crawler`,
`from_crawler`) and fed hand-made requests and responses; what they write is read back with warcio and
the index's own database. Whole crawls are in test_crawl_e2e.py and test_incremental.py."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from scrapy import Request, Spider
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler
from twisted.internet.defer import Deferred
from warcio.archiveiterator import ArchiveIterator

from archive.errors import LockHeld
from archive.index.previous import PreviousCapture
from crawler.extension import WarcCaptureExtension
from crawler.extract import extract_article
from crawler.items import ARCHIVED_LINKS_META, PREVIOUS_CAPTURE_META, RECORD_ID_META, ArticleItem, SessionProvider
from crawler.middleware import IncrementalMiddleware
from crawler.sites import load_profile
from tests.helpers import connect_index, index_settings

SEED = Path(__file__).parent / "fixtures" / "seed_article.html"
URL = "https://morningstaronline.co.uk/article/b/seed-story"
EXTENSION = {"crawler.extension.WarcCaptureExtension": 100}


def crawler_for(data_dir: Path, **settings: object):
    """A crawler with only our extension, outside the project settings (as a project of one's own)."""
    return get_crawler(Spider, {"ARCHIVE_DATA_DIR": str(data_dir), "EXTENSIONS": EXTENSION, **index_settings(data_dir), **settings})


def capture_extension(crawler) -> WarcCaptureExtension:
    extension = crawler.get_extension(SessionProvider)
    assert isinstance(extension, WarcCaptureExtension)
    return extension


def test_the_extension_is_off_when_warc_writing_is_off(tmp_path: Path) -> None:
    crawler = get_crawler(Spider, {"ARCHIVE_DATA_DIR": str(tmp_path), "ARCHIVE_WARC_ENABLED": False})
    with pytest.raises(NotConfigured):
        WarcCaptureExtension.from_crawler(crawler)
    assert not (tmp_path / "locks").exists(), "switched off, it takes no lock and opens no database"


def test_outside_the_project_settings_the_declared_defaults_apply(tmp_path: Path) -> None:
    extension = capture_extension(crawler_for(tmp_path))
    try:
        warc = extension.session.config.warc
        assert warc.max_size == 1_000_000_000  # not 0: the default declared in crawler/settings.py
        assert (warc.prefix, warc.digest, warc.compress_level) == ("newsarchive", "sha1", 6)
        assert warc.directory == tmp_path / "warcs"
    finally:
        extension.session.close("finished", {})


def test_a_second_crawl_of_the_same_site_is_refused_while_the_first_holds_the_lock(tmp_path: Path) -> None:
    first = capture_extension(crawler_for(tmp_path))
    try:
        with pytest.raises(LockHeld):
            WarcCaptureExtension.from_crawler(crawler_for(tmp_path))
    finally:
        first.session.close("finished", {})
    capture_extension(crawler_for(tmp_path)).session.close("finished", {})  # released: the next may run


def test_the_extension_archives_an_exchange_and_its_article_and_closes_off_the_reactor(tmp_path: Path) -> None:
    crawler = crawler_for(tmp_path)
    crawler.stats.open_spider()
    extension = capture_extension(crawler)
    spider = Spider(name="morningstar")
    extension.spider_opened(spider)

    body = SEED.read_bytes()
    request = Request(URL, headers={"User-Agent": "test"})
    response = HtmlResponse(URL, status=200, body=body, headers={"Content-Type": "text/html; charset=utf-8"},
                            request=request, protocol="HTTP/1.1")
    extension.response_downloaded(response, request, spider)
    article = extract_article(body, URL, {"Content-Type": "text/html; charset=utf-8"}, load_profile("morningstar"))
    assert article is not None
    item = ArticleItem(article, request.meta[RECORD_ID_META], datetime.now(timezone.utc))
    extension.item_scraped(item, response, spider)

    closing = extension.spider_closed(spider, "finished")
    assert isinstance(closing, Deferred), "closing is handed to a thread, never done on the reactor"
    # no reactor runs in this test: do what the thread does, then what the reactor does with its result
    extension._closed(extension.session.close("finished", {"archive/responses": 1}))

    (warc,) = (tmp_path / "warcs").glob("*.warc.gz")
    with warc.open("rb") as stream:
        records = [(record.rec_type, record.rec_headers.get_header("WARC-Target-URI")) for record in ArchiveIterator(stream)]
    assert [kind for kind, _ in records] == ["warcinfo", "response", "request", "metadata", "metadata"]
    assert records[1][1] == URL
    with connect_index(tmp_path / "archive.sqlite3") as db:
        assert db.execute("SELECT url, status FROM captures").fetchall() == [(URL, 200)]
        assert db.execute("SELECT title FROM articles").fetchone()[0] == article.title
        assert db.execute("SELECT status FROM crawl_runs").fetchone()[0] == "finished"
    stats = crawler.stats.get_stats()
    assert (stats["archive/responses"], stats["archive/articles/new"], stats["archive/warc_files"]) == (1, 1, 1)
    assert not (tmp_path / "locks" / "crawl.lock").read_text(), "the lock is released"

    # the next crawl looks earlier captures up in the index, a batch of URLs at a time
    session = capture_extension(crawler_for(tmp_path)).session
    try:
        found = session.lookup_previous([URL, "https://morningstaronline.co.uk/never-fetched"])
    finally:
        session.close("finished", {})
    assert list(found) == [URL]
    assert found[URL].record_id == item.response_record_id and found[URL].is_article
    assert session.revisit_of(URL, 200, body, found[URL]) is not None  # same body: a revisit
    assert session.revisit_of(URL, 200, body + b" ", found[URL]) is None


def test_the_middleware_is_off_without_incremental_crawls(tmp_path: Path) -> None:
    crawler = crawler_for(tmp_path, ARCHIVE_INCREMENTAL=False)
    try:
        with pytest.raises(NotConfigured):
            IncrementalMiddleware.from_crawler(crawler)
    finally:
        capture_extension(crawler).session.close("finished", {})


def test_the_middleware_finds_the_extensions_session_and_makes_requests_conditional(tmp_path: Path) -> None:
    crawler = crawler_for(tmp_path, ARCHIVE_RECRAWL_DAYS=7)
    crawler.stats.open_spider()
    extension = capture_extension(crawler)
    try:
        middleware = IncrementalMiddleware.from_crawler(crawler)
        assert middleware.session is extension.session  # found with crawler.get_extension, not rebuilt
        assert extension.session.previous is None  # a first crawl looks nothing up

        first_visit = Request(URL)
        pending = middleware.process_request(first_visit)
        with pytest.raises(StopIteration):  # nothing to wait for on a first crawl
            pending.send(None)
        assert PREVIOUS_CAPTURE_META not in first_visit.meta

        now = datetime.now(timezone.utc)
        fresh = previous_article(now - timedelta(days=2))
        request = Request(URL)
        middleware.condition(request, fresh)
        assert request.headers[b"If-None-Match"] == b'"v1"'
        assert request.headers[b"If-Modified-Since"] == b"Mon, 23 Nov 2026 10:00:00 GMT"
        assert request.meta[ARCHIVED_LINKS_META] == ("https://morningstaronline.co.uk/article/b/other",)
        assert request.meta[PREVIOUS_CAPTURE_META] is fresh  # for the extension's revisit decision

        with pytest.raises(IgnoreRequest):
            middleware.condition(Request(URL), previous_article(now - timedelta(days=30)))
        assert crawler.stats.get_value("archive/skipped/archived_article") == 1
    finally:
        extension.session.close("finished", {})


def previous_article(published: datetime) -> PreviousCapture:
    return PreviousCapture(
        record_id="<urn:uuid:00000000-0000-0000-0000-000000000001>",
        captured_at=published.isoformat(),
        payload_digest="sha1:AAAA",
        etag='"v1"',
        last_modified="Mon, 23 Nov 2026 10:00:00 GMT",
        article_published_at=published.isoformat(),
        article_first_seen_at=published.isoformat(),
        similar_links=("https://morningstaronline.co.uk/article/b/other",),
    )
