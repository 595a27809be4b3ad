"""Components built from a crawler, fed hand-made hostile input: malformed links, other ports,
mirrors' Similar links, Content-Encoding caps, Retry-After values, terminal escapes."""

from __future__ import annotations

import gzip
import zlib
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from archive.terminal import printable
from archive.content_encoding import CannotDecode, DecodedTooLarge, decode_content
from crawler.items import ArticleItem
from crawler.retry_after import retry_after_seconds
from crawler.spiders.news import NewsSpider
from crawler.traps import page_number, url_pattern

MIRROR = "http://127.0.0.1:8123"


def _spider(profile: str = "morningstar", base_url: str = MIRROR) -> NewsSpider:
    crawler = get_crawler(NewsSpider, {"ARCHIVE_BASE_URL": base_url})
    crawler.stats.open_spider()
    return NewsSpider.from_crawler(crawler, profile=profile)


def _parse(spider: NewsSpider, url: str, body: bytes) -> list:
    return list(spider.parse(HtmlResponse(url, body=body, encoding="utf-8", request=Request(url))))


def test_a_malformed_link_is_skipped_counted_and_hides_nothing() -> None:
    spider = _spider()
    body = b"""<html><body><a href="http://127.0.0.1:99999/article/x">bad port</a>
<a href="http://[::1/article/y">bad ipv6</a> <a href="/article/b/one">one</a> <a href="/britain">britain</a></body></html>"""
    followed = [out.url for out in _parse(spider, MIRROR + "/", body) if isinstance(out, Request)]
    assert followed == [MIRROR + "/article/b/one", MIRROR + "/britain"]
    stats = spider.crawler.stats
    assert stats.get_value("archive/failed_pages/malformed_link") == 2
    _parse(spider, MIRROR + "/world", body)  # the same hrefs on the next page: not counted again
    assert stats.get_value("archive/failed_pages/malformed_link") == 2


def test_links_to_another_port_or_host_are_not_followed() -> None:
    spider = _spider()
    body = b"""<html><body><a href="http://127.0.0.1:8124/article/b/other-port">p</a>
<a href="http://localhost:8123/article/b/other-host">h</a> <a href="//127.0.0.1:8123/article/b/same">same</a>
<a href="https://morningstaronline.co.uk/article/b/live">live site: not while crawling a mirror</a></body></html>"""
    followed = [out.url for out in _parse(spider, MIRROR + "/", body) if isinstance(out, Request)]
    assert followed == [MIRROR + "/article/b/same"]
    live = _spider(base_url="")
    assert live.scope.allows("https://www.morningstaronline.co.uk/x") and live.scope.allows("http://morningstaronline.co.uk/")
    assert not live.scope.allows("https://morningstaronline.co.uk:8443/x")


def test_similar_links_of_a_mirror_are_indexed_under_the_canonical_site() -> None:
    spider = _spider()
    html = (b'<html><head><link rel="canonical" href="https://morningstaronline.co.uk/article/b/main-story">'
            b'<title>Main</title></head><body><article><h1 class="node__title">Main story</h1>'
            b'<div class="field--name-body"><p>' + b"word " * 80 + b'</p></div></article>'
            b'<section class="similar-stories"><h2>Similar stories</h2><div class="views-row">'
            b'<a href="/article/b/other-story"><h3>Other story</h3></a></div></section></body></html>')
    items = [out for out in _parse(spider, MIRROR + "/article/b/main-story", html) if isinstance(out, ArticleItem)]
    article = items[0].article
    assert article.url == "https://morningstaronline.co.uk/article/b/main-story"
    assert [story.url for story in article.similar] == ["https://morningstaronline.co.uk/article/b/other-story"]


def test_trap_shapes() -> None:
    assert url_pattern("http://x/calendar/2026/11?day=03") == "/calendar/N/N?day=N"
    assert page_number("http://x/news/more/7", "page", is_listing=True) == 7
    assert page_number("http://x/news/more/7", "page", is_listing=False) is None
    assert page_number("http://x/britain?page=12", "page", is_listing=True) == 12


def test_decoding_is_capped_and_honest() -> None:
    page = b"<html><body>" + b"<p>words</p>" * 500 + b"</body></html>"
    assert decode_content(gzip.compress(page), ["gzip"], max_size=10**6).body == page
    whole = gzip.compress(page)
    truncated = decode_content(whole[: len(whole) // 2], ["gzip"], max_size=10**6)
    assert truncated.truncated and page.startswith(truncated.body) and truncated.body
    bomb = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb_bytes = b"".join(bomb.compress(b"\0" * (1 << 20)) for _ in range(50)) + bomb.flush()
    with pytest.raises(DecodedTooLarge, match="decompression bomb"):
        decode_content(bomb_bytes, ["gzip"], max_size=5 * 1024 * 1024)
    with pytest.raises(CannotDecode, match="'br'"):
        decode_content(b"\x1b\x03\x00", ["br"], max_size=0, accepted=frozenset({"gzip", "deflate"}))
    with pytest.raises(CannotDecode):
        decode_content(b"not gzip at all", ["gzip"], max_size=0)


def test_retry_after_values() -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
    assert retry_after_seconds("7", now) == 7.0
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90.0
    assert retry_after_seconds(format_datetime(now - timedelta(hours=1), usegmt=True), now) == 0.0
    assert retry_after_seconds("soon", now) is None and retry_after_seconds(None, now) is None


def test_printable_shows_control_characters() -> None:
    assert printable("a\x1b]0;pwned\x07b\u202e\x9bc") == "a\\x1b]0;pwned\\x07b\\u202e\\x9bc"
    assert printable("line\nnext\ttab", keep="\n\t") == "line\nnext\ttab"
    assert printable("Caf\u00e9 \u2014 ok") == "Caf\u00e9 \u2014 ok"


def test_recovery_measures_a_file_whose_big_record_ends_inside_a_read(tmp_path) -> None:
    """A member that ends inside an output-limited decompress call (a page of more than 1 MiB
    decoded) once sent recovery into an endless loop; the file is measured to its end."""
    from archive.session.recovery import complete_length

    members = [gzip.compress(b"small record"), gzip.compress(b"x" * 3_000_000), gzip.compress(b"after")]
    path = tmp_path / "big.warc.gz.open"
    path.write_bytes(b"".join(members) + members[2][:10])  # and a torn tail
    assert complete_length(path) == sum(len(member) for member in members)
    body = decode_content(members[1] + members[2], ["gzip"], max_size=0).body
    assert body == b"x" * 3_000_000 + b"after"
