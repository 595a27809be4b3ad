"""Extraction against the local site's ground truth (every article page) and awkward inputs."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from newsarchive_site import ArticleTruth, Site

from crawler.extract import EXTRACTOR_VERSION, Article, extract_article
from crawler.sites import SiteProfile

TEST_BASE = "http://127.0.0.1:8000"  # any origin: pages are rendered for it

FIXTURES = Path(__file__).parent / "fixtures"
CHROME_TEXTS = ("Support the Morning Star", "Anniversary Appeal", "Similar stories", "newsletter",
                "You have reached the free limit", "Subscribe to continue reading", "Skip to main content")


def _extract(site: Site, path: str, profile: SiteProfile) -> Article | None:
    headers, body = site.lookup(path).render(TEST_BASE)
    return extract_article(body, TEST_BASE + path, dict(headers), profile)


def _observed(article: Article) -> dict[str, object]:
    return {
        "path": urlsplit(article.url).path, "title": article.title, "section": article.section,
        "published_at": article.published_at, "authors": article.authors,
        "standfirst": article.standfirst, "paywalled": article.paywall.paywalled,
        "paywall_kind": article.paywall.kind, "free_text": article.free_text,
        "free_paragraphs": article.paywall.free_paragraphs,
        "similar": tuple(urlsplit(story.url).path for story in article.similar),
    }


def test_every_article_matches_ground_truth(site: Site, profile: SiteProfile) -> None:
    failures = []
    for path, truth in site.truth.items():
        article = _extract(site, path, profile)
        if article is None:
            failures.append(f"{path}: not extracted")
            continue
        for field, value in _observed(article).items():
            if value != getattr(truth, field):
                failures.append(f"{path} ({truth.template}, {truth.variants}) {field}: {value!r:.120} != {getattr(truth, field)!r:.120}")
    assert not failures, "\n".join(failures)


def test_ground_truth_covers_every_variant(site: Site) -> None:
    seen = {(t.template, t.paywall_kind) for t in site.truth.values()}
    assert seen == {(tpl, kind) for tpl in "ab" for kind in (None, "truncated", "overlay")}
    variants = {v for t in site.truth.values() for v in t.variants}
    for expected in ("metadata:jsonld", "metadata:jsonld_broken", "metadata:meta_only", "metadata:visible_only",
                     "windows-1252", "bom", "malformed", "long", "og-url-only", "only-via-similar",
                     "orphan", "disallowed-only", "redirected"):
        assert expected in variants


@pytest.mark.parametrize("variant", ["windows-1252", "bom", "malformed", "metadata:visible_only", "long"])
def test_awkward_pages_come_out_right(site: Site, profile: SiteProfile, variant: str) -> None:
    for truth in (t for t in site.truth.values() if variant in t.variants):
        article = _extract(site, truth.path, profile)
        assert article is not None
        assert article.title == truth.title and article.free_text == truth.free_text


def test_chrome_never_leaks_into_free_text(site: Site, profile: SiteProfile) -> None:
    for path in site.truth:
        article = _extract(site, path, profile)
        assert article is not None
        for chrome in CHROME_TEXTS:
            assert chrome not in article.free_text, (path, chrome)
            assert chrome not in article.standfirst, (path, chrome)


def test_article_record_fields(site: Site, profile: SiteProfile) -> None:
    truth = next(t for t in site.truth.values() if t.paywall_kind == "overlay" and "metadata:jsonld" in t.variants)
    article = _extract(site, truth.path, profile)
    assert article is not None
    assert article.url == TEST_BASE + truth.path
    assert article.site == "morningstar"
    assert article.extractor_version == EXTRACTOR_VERSION and article.profile_version == profile.version
    assert article.word_count == len(truth.free_text.split()) == article.paywall.free_words
    assert article.paywall.locked_text_in_page
    assert set(article.paywall.signals) >= {"css:#paywall-overlay", "jsonld:isAccessibleForFree=false"}
    assert article.lead_image_url.startswith(TEST_BASE + "/sites/default/files/styles/")
    assert article.lead_image_caption
    assert Article.from_record(article.to_record()) == article


def test_truncated_page_signals(site: Site, profile: SiteProfile) -> None:
    truth = next(t for t in site.truth.values() if t.paywall_kind == "truncated")
    article = _extract(site, truth.path, profile)
    assert article is not None
    assert "text:free-limit" in article.paywall.signals
    assert not article.paywall.locked_text_in_page


def test_similar_stories_carry_title_section_and_date(site: Site, profile: SiteProfile) -> None:
    for truth in list(site.truth.values())[:12]:
        article = _extract(site, truth.path, profile)
        assert article is not None
        for story in article.similar:
            target = site.truth[urlsplit(story.url).path]
            assert story.url == TEST_BASE + target.path  # tracking parameters stripped
            assert story.title == target.title
            assert story.section == target.section
            assert story.date and story.date[-4:].isdigit()


def test_tracking_url_variant_gives_canonical_url(site: Site, profile: SiteProfile) -> None:
    for link in site.links["tracking"]:
        article = _extract(site, link, profile)
        assert article is not None
        assert article.fetched_url == TEST_BASE + link
        assert article.url == TEST_BASE + link.split("?")[0]


def test_windows_1252_without_headers_uses_meta_charset(site: Site, profile: SiteProfile) -> None:
    truth = next(t for t in site.truth.values() if t.encoding == "windows-1252")
    _headers, body = site.pages[truth.path].render(TEST_BASE)
    article = extract_article(body, TEST_BASE + truth.path, None, profile)
    assert article is not None and article.title == truth.title
    assert "£" in article.title and "’" in article.title and "é" in article.title


def test_non_article_pages_return_none(site: Site, profile: SiteProfile) -> None:
    for path, page in site.pages.items():
        if path.split("?")[0] in site.truth:
            continue
        headers, body = page.render(TEST_BASE)
        assert extract_article(body, TEST_BASE + path, dict(headers), profile) is None, path
    _headers, body = site.not_found.render(TEST_BASE)
    assert extract_article(body, TEST_BASE + "/article/b/gone", None, profile) is None


@pytest.mark.parametrize("body", [
    b"", b"\x00\x01\x02\x03" * 500, bytes(range(256)) * 64, b"<html>", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
    b"\xef\xbb\xbf", "just some text, no markup".encode(), b"<html><body><h1>Only a headline</h1></body></html>",
])
def test_garbage_does_not_crash(profile: SiteProfile, body: bytes) -> None:
    assert extract_article(body, "https://morningstaronline.co.uk/article/x", None, profile) is None


def test_binary_content_type_is_not_parsed(site: Site, profile: SiteProfile) -> None:
    _headers, body = site.pages[next(iter(site.truth))].render(TEST_BASE)
    assert extract_article(body, TEST_BASE + "/x.jpg", {"content-type": "image/jpeg"}, profile) is None


def test_invalid_jsonld_is_tolerated(profile: SiteProfile) -> None:
    html = """<html><head>
<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Broken", </script>
<script type="application/ld+json"><!-- {"@context": "https://schema.org", "@type": "NewsArticle",
 "headline": "Repaired headline", "datePublished": "2025-07-01T10:00:00+01:00",
 "author": [{"@type": "Person", "name": "Ann Lee"},], "isAccessibleForFree": "False",} --></script>
</head><body><div class="article-body"><p>One.</p><p>Two.</p></div></body></html>"""
    article = extract_article(html.encode(), "https://morningstaronline.co.uk/article/b/x", None, profile)
    assert article is not None
    assert article.title == "Repaired headline"
    assert article.published_at == "2025-07-01T09:00:00+00:00"
    assert article.authors == ("Ann Lee",)
    assert article.paywall.paywalled is True and article.paywall.signals == ("jsonld:isAccessibleForFree=false",)
    assert article.free_text == "One.\n\nTwo."


def test_similar_found_by_heading_text_alone(profile: SiteProfile) -> None:
    html = """<html><head><meta property="og:type" content="article"></head><body>
<h1>Headline</h1><div class="field--name-body"><p>Body text.</p></div>
<div class="renamed-block"><span>Similar stories</span><ul>
<li><a href="/article/b/one?fbclid=x">First story</a><em>Britain / 3 March 2025</em></li>
<li><a href="/article/two">Second story</a></li></ul></div></body></html>"""
    article = extract_article(html.encode(), "https://morningstaronline.co.uk/article/b/h", None, profile)
    assert article is not None
    assert [(s.url, s.title, s.section, s.date) for s in article.similar] == [
        ("https://morningstaronline.co.uk/article/b/one", "First story", "Britain", "3 March 2025"),
        ("https://morningstaronline.co.uk/article/two", "Second story", "", ""),
    ]


def test_seed_article_structure(profile: SiteProfile) -> None:
    body = (FIXTURES / "seed_article.html").read_bytes()
    url = "https://morningstaronline.co.uk/article/w/japans-far-right-pm-says-she-wants-sign-peace-treaty-russia?utm_source=twitter"
    article = extract_article(body, url, {"Content-Type": "text/html; charset=utf-8"}, profile)
    assert article is not None
    assert article.url == url.split("?")[0]
    assert article.title == "Japan’s far-right PM says she wants to sign a peace treaty with Russia"
    assert article.section == "World" and article.published_at == "2026-02-20T09:30:00+00:00"
    assert article.free_text.split("\n\n")[0].startswith("JAPAN’S far-right Prime Minister")
    assert article.paywall.free_paragraphs == 3 and article.paywall.kind == "truncated"
    assert article.paywall.signals == ("text:free-limit", "text:subscribe")
    assert article.lead_image_caption.startswith("Japan’s Prime Minister Sanae Takaichi")
    assert [(s.section, s.date) for s in article.similar] == [("Features", "22 August 2025"), ("War", "29 May 2025")]
    assert article.similar[1].url == "https://morningstaronline.co.uk/article/w/father-mourns-children-killed-russian-strike"
    assert article.similar[0].title.startswith("Washington plays innocent bystander")


def test_truth_type_is_exported(site: Site) -> None:
    assert all(isinstance(t, ArticleTruth) for t in site.truth.values())
