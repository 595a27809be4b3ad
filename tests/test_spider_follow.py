"""The news spider's link rules, built from a crawler and fed hand-made responses: what the generic
profile follows (same site, rel=next, feeds, sitemaps; not accounts, static files or other sites)
and which pages go through extraction."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, XmlResponse
from scrapy.utils.test import get_crawler

from crawler.items import ArticleItem
from crawler.spiders.news import NewsSpider

BASE = "https://www.harbour.example"


def _spider(profile: str, base_url: str = BASE) -> NewsSpider:
    crawler = get_crawler(NewsSpider, {"ARCHIVE_BASE_URL": base_url})
    crawler.stats.open_spider()
    return NewsSpider.from_crawler(crawler, profile=profile)


def _html(url: str, body: bytes) -> HtmlResponse:
    return HtmlResponse(url, body=body, encoding="utf-8", request=Request(url))


def _followed(spider: NewsSpider, response) -> list[str]:
    return [out.url for out in spider.parse(response) if isinstance(out, Request)]


def test_generic_follows_the_whole_site_and_nothing_else() -> None:
    spider = _spider("generic")
    body = b"""<html><head><link rel="next" href="/page/2/">
<link rel="alternate" type="application/rss+xml" href="/feed/"><link rel="stylesheet" href="/style.css"></head>
<body><a href="/2026/11/25/a-story">story</a> <a href="/about-us">about</a> <a href="https://harbour.example/x">twin</a>
<a href="https://elsewhere.example/news">other site</a> <a href="/login">log in</a> <a href="/wp-login.php">staff</a>
<a href="/media/photo.JPG">photo</a> <a href="/doc.pdf">pdf</a> <a href="mailto:x@y">mail</a> <a href="#top">top</a>
<a href="/2026/11/25/a-story?utm_source=x">same story</a></body></html>"""
    followed = _followed(spider, _html(BASE + "/", body))
    assert followed == [BASE + "/page/2/", BASE + "/feed/", BASE + "/2026/11/25/a-story", BASE + "/about-us",
                        "https://harbour.example/x"]


def test_feeds_and_sitemaps_are_read_for_links() -> None:
    spider = _spider("generic")
    rss = b"""<?xml version="1.0"?><rss version="2.0"><channel><link>https://www.harbour.example/</link>
<item><title>A</title><link>https://www.harbour.example/2026/11/24/from-the-feed</link></item></channel></rss>"""
    assert _followed(spider, XmlResponse(BASE + "/feed/", body=rss)) == [BASE + "/2026/11/24/from-the-feed"]
    sitemap = b"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>https://www.harbour.example/2026/11/23/from-the-sitemap</loc></url>
<url><loc>https://elsewhere.example/not-ours</loc></url></urlset>"""
    assert _followed(spider, XmlResponse(BASE + "/sitemap.xml", body=sitemap)) == [
        BASE + "/2026/11/23/from-the-sitemap"]
    atom = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">
<entry><link href="https://www.harbour.example/2026/11/22/from-atom"/></entry></feed>"""
    assert _followed(spider, XmlResponse(BASE + "/atom.xml", body=atom)) == [BASE + "/2026/11/22/from-atom"]


def test_generic_extracts_articles_from_any_url_by_markup() -> None:
    spider = _spider("generic")
    article = b"""<html><head><meta property="og:type" content="article"><title>T</title></head><body>
<h1>Harbour ferry saved</h1><div class="article-body"><p>One.</p><p>Two.</p></div></body></html>"""
    items = [out for out in spider.parse(_html(BASE + "/about-us", article))
             if isinstance(out, ArticleItem)]
    assert [item.article.title for item in items] == ["Harbour ferry saved"]
    listing = b"""<html><body><article><h2>A</h2><p>a</p></article><article><h2>B</h2><p>b</p></article></body></html>"""
    assert not [out for out in spider.parse(_html(BASE + "/", listing))
                if isinstance(out, ArticleItem)]


def test_profiled_site_keeps_to_its_url_rules() -> None:
    spider = _spider("morningstar", "http://127.0.0.1:8123")
    body = b"""<html><head><link rel="next" href="/britain?page=1"></head><body>
<a href="/article/b/a-story">a</a> <a href="/about-us">about</a> <a href="/rss.xml">rss</a></body></html>"""
    followed = _followed(spider, _html("http://127.0.0.1:8123/britain", body))
    base = "http://127.0.0.1:8123"
    assert followed == [base + "/britain?page=1", base + "/article/b/a-story", base + "/rss.xml"]


def test_a_profile_without_base_url_needs_one() -> None:
    with pytest.raises(ValueError, match="--base-url"):
        _spider("generic", "")
