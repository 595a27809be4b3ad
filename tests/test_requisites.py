"""Page requisites: found in pages and stylesheets (pure functions), then fetched and archived by real
crawls of the sample site, whose stylesheets, web font, images and scripts live on the site and on
its CDN (another port): each once, within the limits, robots.txt obeyed, never an article."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import lxml.html
import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.requisites import Requisite, page_requisites, stylesheet_requisites
from newsarchive_site import build_site, serve
from newsarchive_site.assets import (
    CDN_STYLESHEET, HEADER_BACKGROUND, IMPORTED_STYLESHEET, MAIN_STYLESHEET, ROBOTS_DENIED_IMAGE, SCRIPTS,
    WEB_FONT,
)
from tests.helpers import REQUISITES_ON, SiteCrawl, connect_index, crawl

PAGE = """<html><head><base href="https://news.example/section/">
<link rel="stylesheet" href="/css/main.css"><link rel="Shortcut Icon" href="favicon.ico">
<link rel="canonical" href="https://news.example/a"><meta property="og:image" content="https://cdn.example/lead.jpg">
<script src="https://cdn.example/app.js"></script><script>inline()</script></head>
<body><img src="a.png" srcset="a-2x.png 2x, a-3x.png 3x"><picture><source srcset="b.webp 1x, b-2x.webp 2x">
<img src="b.jpg"></picture><img src="data:image/png;base64,AAAA"><img src="https://news.example/css/../a.png#frag">
<video poster="poster.jpg"></video><img src="http://[::1:bad/x.png"><a href="/not-a-requisite">link</a></body></html>"""


def test_page_requisites_are_every_kind_a_browser_loads_once_each_and_absolute() -> None:
    found = page_requisites(lxml.html.fromstring(PAGE), "https://news.example/section/page")
    assert found == [
        Requisite("https://news.example/css/main.css", "stylesheet"),
        Requisite("https://news.example/section/favicon.ico", "icon"),
        Requisite("https://cdn.example/lead.jpg", "image"),
        Requisite("https://cdn.example/app.js", "script"),
        Requisite("https://news.example/section/a.png", "image"),
        Requisite("https://news.example/section/a-2x.png", "image"),
        Requisite("https://news.example/section/a-3x.png", "image"),
        Requisite("https://news.example/section/b.webp", "image"),
        Requisite("https://news.example/section/b-2x.webp", "image"),
        Requisite("https://news.example/section/b.jpg", "image"),
        Requisite("https://news.example/a.png", "image"),
        Requisite("https://news.example/section/poster.jpg", "image"),
    ]


def test_stylesheet_requisites_are_imports_fonts_and_images_outside_comments() -> None:
    css = """@import "print.css"; @import url('theme.css') screen;
    /* background: url(commented-out.png) */
    @font-face { font-family: X; src: url("/fonts/x.woff2") format("woff2"), url(/fonts/x.ttf); }
    .hero { background-image: url( hero.jpg ); } .icon { background: url(data:image/svg+xml;utf8,<svg/>) }"""
    assert stylesheet_requisites(css, "https://cdn.example/css/site.css") == [
        Requisite("https://cdn.example/css/print.css", "stylesheet"),
        Requisite("https://cdn.example/css/theme.css", "stylesheet"),
        Requisite("https://cdn.example/fonts/x.woff2", "font"),
        Requisite("https://cdn.example/fonts/x.ttf", "font"),
        Requisite("https://cdn.example/css/hero.jpg", "image"),
    ]


def archived(warc_dir: Path) -> dict[str, list[tuple[str, str]]]:
    """URL -> [(record type, HTTP status)] of every response and revisit record."""
    found: dict[str, list[tuple[str, str]]] = {}
    for path in sorted(warc_dir.glob("*.warc.gz")):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type in ("response", "revisit"):
                    found.setdefault(record.rec_headers.get_header("WARC-Target-URI"), []).append(
                        (record.rec_type, record.http_headers.get_statuscode()))
    return found


def run_stats(database: Path) -> dict:
    with connect_index(database) as db:
        return json.loads(db.execute("SELECT stats FROM crawl_runs ORDER BY id DESC").fetchone()[0])


def test_a_crawl_archives_every_requisite_once_from_the_site_and_its_cdn(site, crawled: SiteCrawl) -> None:
    records = archived(crawled.result.warc_dir)
    base, cdn = crawled.base_url, crawled.cdn_url
    wanted = [base + MAIN_STYLESHEET, base + IMPORTED_STYLESHEET, cdn + CDN_STYLESHEET, cdn + WEB_FONT,
              base + HEADER_BACKGROUND, *(base + script for script in SCRIPTS),
              base + "/themes/custom/morningstar/favicon.ico", base + "/themes/custom/morningstar/logo.svg"]
    lead_images = {base + re.search(rb'<img src="(/sites/default/files/styles/article_main/[^"]+)"', site.pages[path].body)
                   .group(1).decode() for path, truth in site.truth.items() if truth.reachable}
    assert len(lead_images) > 30  # articles with the same first words share an image
    for url in [*wanted, *lead_images]:
        assert records.get(url) == [("response", "200")], url
    # once per crawl, however many pages use them; the same for the CDN
    site_gets = Counter(path for method, path, _ in crawled.requests if method == "GET")
    cdn_gets = Counter(path for method, path, _ in crawled.cdn_requests if method == "GET")
    assert site_gets[MAIN_STYLESHEET] == site_gets[IMPORTED_STYLESHEET] == 1
    assert cdn_gets[CDN_STYLESHEET] == cdn_gets[WEB_FONT] == 1
    repeated = {path for path, count in (site_gets + cdn_gets).items() if count > 1}
    assert repeated <= {"/robots.txt", *site.links["server_error"]}, repeated  # a 500 is retried
    # robots.txt applies to requisites too; nothing came from the internet (ARCHIVE_REQUISITE_HOSTS)
    assert ROBOTS_DENIED_IMAGE not in site_gets
    assert not [url for url in records if not url.startswith((base, cdn))]


def test_requisites_are_never_articles_and_are_counted_apart(site, crawled: SiteCrawl) -> None:
    with connect_index(crawled.result.database) as db:
        article_urls = {url for (url,) in db.execute(
            "SELECT c.url FROM articles a JOIN captures c ON c.id = a.latest_capture_id")}
        requisite_captures = db.execute(
            "SELECT count(*) FROM captures WHERE content_type NOT LIKE 'text/html%' AND url NOT LIKE '%robots.txt'"
            " AND url NOT LIKE '%rss.xml'").fetchone()[0]
    assert not [url for url in article_urls if "/sites/default/files" in url or "/themes/" in url]
    stats = run_stats(crawled.result.database)
    assert stats["archive/requisites"] == requisite_captures > 0
    assert stats["archive/requisites/stylesheet"] == 6  # five linked, one imported
    assert stats["archive/requisites/font"] == 1
    assert stats["archive/requisites/skipped"] == 1  # the robots.txt-denied image
    # the failure ratio is about pages only: the sample site's two broken pages, not its requisites
    assert stats["archive/failed_pages"] == 2
    assert stats["archive/pages"] < stats["archive/responses"] - stats["archive/requisites"] + 1
    assert f"({stats['archive/requisites']} of them page requisites)" in crawled.result.stdout


@pytest.fixture(scope="module")
def limited_crawls(tmp_path_factory):
    """The sample site crawled with requisites off, and with tight limits."""
    site = build_site(30)
    crawls = {}
    for name, settings in {
        "off": ("ARCHIVE_REQUISITES=False",),
        "limited": ("ARCHIVE_REQUISITE_TYPES=stylesheet", "ARCHIVE_REQUISITES_PER_PAGE=2",
                    "ARCHIVE_REQUISITE_MAX_SIZE=500"),
    }.items():
        with serve(site, host="127.0.0.1", port=0) as server:
            done = crawl(tmp_path_factory.mktemp(name), server.base_url, "ARCHIVE_MAX_FAILED_RATIO=0.2",
                         REQUISITES_ON, *settings)
            assert done.returncode == 0, done.stderr[-3000:]
            gets = Counter(path for method, path, _ in server.requests + server.cdn_requests if method == "GET")
        crawls[name] = (done, gets)
    return site, crawls


def test_archive_requisites_false_fetches_none(limited_crawls) -> None:
    _, crawls = limited_crawls
    done, gets = crawls["off"]
    assert not [path for path in gets if path.startswith(("/sites/default/files", "/themes/", "/fonts/"))]
    assert "archive/requisites" not in run_stats(done.database)


def test_requisite_limits_bound_types_count_per_page_and_size(limited_crawls) -> None:
    site, crawls = limited_crawls
    done, gets = crawls["limited"]
    assert len(site.pages[MAIN_STYLESHEET].body) > 500 > len(site.pages[IMPORTED_STYLESHEET].body)
    fetched = {path for path in gets if path.startswith(("/sites/default/files", "/themes/", "/fonts/"))}
    # stylesheets only, the first two of each page's five, and the main one abandoned past 500 bytes
    # (so what it imports is never seen)
    assert fetched == {MAIN_STYLESHEET, "/sites/default/files/css/css_Zp0vYt.css?t=q9x2"}
    records = archived(done.warc_dir)
    assert not [url for url in records if url.endswith(MAIN_STYLESHEET)]
    stats = run_stats(done.database)
    assert stats["archive/requisites"] == 1
    assert stats["archive/requisites/failed"] == 1
    assert stats["archive/requisites/over_page_limit"] > 0
