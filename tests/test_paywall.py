"""Paywall signals one by one, on small hand-made pages, and the documented conflict rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.extract import PaywallMarker, extract_article
from crawler.sites import SiteProfile, load_profile

URL = "https://news.example/2026/11/25/a-story-about-the-harbour-ferry"
TEASER = "<p>First free paragraph of the story.</p><p>Second free paragraph of the story.</p>"
LOCKED = "<p>Locked paragraph one.</p><p>Locked paragraph two.</p><p>Locked paragraph three.</p>"


@pytest.fixture(scope="module")
def generic() -> SiteProfile:
    return load_profile("generic")


def page(body: str, head: str = "", ld: object | None = None, html_attrs: str = "") -> bytes:
    scripts = ""
    for block in (ld if isinstance(ld, list) else [ld] if ld is not None else []):
        scripts += f'<script type="application/ld+json">{block if isinstance(block, str) else json.dumps(block)}</script>'
    return f"""<!DOCTYPE html><html lang="en"{html_attrs}><head><meta charset="utf-8"><title>T</title>
<meta property="og:type" content="article">{head}{scripts}</head>
<body><article><h1>A story about the harbour ferry</h1>
<div class="article-body">{body}</div></article></body></html>""".encode()


def marker(body: bytes, profile: SiteProfile, url: str = URL) -> PaywallMarker:
    article = extract_article(body, url, None, profile)
    assert article is not None
    return article.paywall


def article_ld(**extra: object) -> dict[str, object]:
    return {"@context": "https://schema.org", "@type": "NewsArticle", "headline": "H", **extra}


@pytest.mark.parametrize("flag", [False, "false", "False", "FALSE"])
def test_jsonld_flag_false_in_any_spelling(generic: SiteProfile, flag: object) -> None:
    found = marker(page(TEASER, ld=article_ld(isAccessibleForFree=flag)), generic)
    assert found.paywalled is True and found.decided_by == "declared" and found.kind == "truncated"
    assert found.signals == ("jsonld:isAccessibleForFree=false",)


@pytest.mark.parametrize("flag", [True, "true", "True"])
def test_jsonld_flag_true_means_free(generic: SiteProfile, flag: object) -> None:
    found = marker(page(TEASER, ld=article_ld(isAccessibleForFree=flag)), generic)
    assert found.paywalled is False and found.kind is None and found.signals == ()
    assert found.free_signals == ("jsonld:isAccessibleForFree=true",)


def test_flag_inside_graph_and_in_a_later_block(generic: SiteProfile) -> None:
    graph = {"@context": "https://schema.org", "@graph": [{"@type": "WebSite", "name": "S"},
                                                          {"@type": "NewsArticle", "headline": "H", "isAccessibleForFree": "False"}]}
    assert marker(page(TEASER, ld=graph), generic).paywalled is True
    blocks = [{"@type": "BreadcrumbList", "itemListElement": []}, "{not json", article_ld(isAccessibleForFree=False)]
    assert marker(page(TEASER, ld=blocks), generic).paywalled is True


def test_has_part_css_selector_locks_text_in_the_page(generic: SiteProfile) -> None:
    ld = article_ld(isAccessibleForFree=False, hasPart=[{"@type": "WebPageElement", "isAccessibleForFree": False,
                                                         "cssSelector": ".locked, .also-locked"}])
    found = marker(page(TEASER + f'<div class="locked">{LOCKED}</div>', ld=ld), generic)
    assert found.kind == "overlay" and found.locked_text_in_page and found.locked_paragraphs == 3
    assert found.free_paragraphs == 2 and "jsonld:hasPart=.locked, .also-locked" in found.signals


def test_microdata_flag_and_has_part(generic: SiteProfile) -> None:
    body = f"""<div itemscope itemtype="https://schema.org/NewsArticle"><meta itemprop="headline" content="H">
<meta itemprop="isAccessibleForFree" content="False">
<div itemprop="hasPart" itemscope itemtype="https://schema.org/WebPageElement">
<meta itemprop="isAccessibleForFree" content="False"><meta itemprop="cssSelector" content=".paid"></div>
{TEASER}<section class="paid">{LOCKED}</section></div>"""
    found = marker(page(body), generic)
    assert found.paywalled and found.kind == "overlay" and found.locked_paragraphs == 3
    assert {"microdata:isAccessibleForFree=false", "microdata:hasPart=.paid"} <= set(found.signals)


@pytest.mark.parametrize(("markup", "signal", "system"), [
    ('<div class="tp-modal"><p>Subscribe now</p></div><div class="tp-backdrop"></div>', "piano:.tp-modal", "piano"),
    ('<div class="tp-container-inner"><p>Offer</p></div>', "piano:.tp-container-inner", "piano"),
    ('<div id="pianoj_ribbon">Subscribe</div>', "piano:#pianoj_ribbon", "piano"),
    ('<div id="zephr-overlay"><p>Register to keep reading</p></div>', "zephr:#zephr-overlay", "zephr"),
    ('<div class="pelcro-ui-overlay"><p>Subscribe</p></div>', "pelcro:.pelcro-ui-overlay", "pelcro"),
    ('<div id="poool-widget"><p>Unlock</p></div>', "poool:#poool-widget", "poool"),
    ('<div data-ae-poool="x"><p>Unlock</p></div>', "poool:[data-ae-poool]", "poool"),
    ('<div class="lp_overlay-text"><p>Buy now</p></div>', "laterpay:.lp_overlay-text", "laterpay"),
    ('<div class="leaky_paywall_message_wrap"><p>Members only</p></div>',
     "leaky-paywall:.leaky_paywall_message_wrap", "leaky-paywall"),
])
def test_paywall_systems_walls(generic: SiteProfile, markup: str, signal: str, system: str) -> None:
    found = marker(page(TEASER + markup), generic)
    assert found.paywalled is True and found.decided_by == "wall" and signal in found.signals
    assert system in found.systems and found.kind == "truncated" and found.free_paragraphs == 2
    assert found.locked_paragraphs == 0  # the wall's own message is neither free nor locked text


def test_empty_vendor_placeholders_are_not_walls(generic: SiteProfile) -> None:
    found = marker(page(TEASER + '<div id="poool-widget"></div><div class="tp-container-inner"></div>'), generic)
    assert found.paywalled is None and found.signals == () and set(found.systems) == {"poool", "piano"}


def test_laterpay_paid_content_is_locked_text(generic: SiteProfile) -> None:
    found = marker(page(TEASER + f'<div class="lp_paid-content">{LOCKED}</div>'), generic)
    assert found.kind == "overlay" and found.locked_paragraphs == 3


@pytest.mark.parametrize("css_class", ["paywall", "article-regwall", "meter-wall-prompt", "content-gate"])
def test_generic_containers_are_weak_signals(generic: SiteProfile, css_class: str) -> None:
    found = marker(page(TEASER + f'<div class="{css_class}"><p>Please subscribe.</p></div>'), generic)
    assert found.paywalled is True and found.decided_by == "weak" and found.signals[0].startswith("generic:")
    free = marker(page(TEASER + f'<div class="{css_class}"><p>Please subscribe.</p></div>',
                       ld=article_ld(isAccessibleForFree=True)), generic)
    assert free.paywalled is False and free.conflict  # a declaration beats a weak container


def test_a_wall_beats_a_free_declaration(generic: SiteProfile) -> None:
    found = marker(page(TEASER + '<p>Subscribe to continue reading</p>', ld=article_ld(isAccessibleForFree=True)), generic)
    assert found.paywalled is True and found.decided_by == "wall" and found.conflict
    assert found.free_signals == ("jsonld:isAccessibleForFree=true",) and found.free_paragraphs == 2


def test_no_signal_is_unknown_unless_the_profile_says(generic: SiteProfile, profile: SiteProfile) -> None:
    assert marker(page(TEASER), generic).paywalled is None
    assert marker(page(TEASER), generic).decided_by == "none"
    url = "https://morningstaronline.co.uk/article/b/a-story"
    body = page(TEASER).replace(b'class="article-body"', b'class="field--name-body"')
    assert marker(body, profile, url).paywalled is False and marker(body, profile, url).decided_by == "default"


def test_amp_sections_only_count_on_a_paywalled_page(generic: SiteProfile) -> None:
    body = TEASER + f'<section subscriptions-section="content">{LOCKED}</section>'
    free = marker(page(body, ld=article_ld(isAccessibleForFree=True), html_attrs=" amp"), generic)
    assert free.paywalled is False and free.free_paragraphs == 5 and "amp-subscriptions" in free.systems
    locked = marker(page(body, ld=article_ld(isAccessibleForFree=False), html_attrs=" amp"), generic)
    assert locked.kind == "overlay" and locked.locked_paragraphs == 3 and locked.free_paragraphs == 2
    access = TEASER + f'<div amp-access="NOT subscriber"><p>Subscribe to read on</p></div><div amp-access="subscriber">{LOCKED}</div>'
    found = marker(page(access, ld=article_ld(isAccessibleForFree=False)), generic)
    assert found.kind == "overlay" and found.locked_paragraphs == 3 and found.free_paragraphs == 2


def test_css_hidden_text_is_locked_only_on_paywalled_pages(generic: SiteProfile) -> None:
    hidden = TEASER + f'<div style="DISPLAY: None">{LOCKED}</div>'
    assert marker(page(hidden, ld=article_ld(isAccessibleForFree=False)), generic).locked_paragraphs == 3
    assert marker(page(hidden, ld=article_ld(isAccessibleForFree=True)), generic).free_paragraphs == 5
    attribute = TEASER + f"<div hidden>{LOCKED}</div>"
    assert marker(page(attribute, ld=article_ld(isAccessibleForFree=False)), generic).kind == "overlay"


def test_profile_url_rules_and_locked_selectors(tmp_path: Path) -> None:
    text = (Path(__file__).parents[1] / "crawler" / "sites" / "generic.toml").read_text(encoding="utf-8")
    text = text.replace("selectors = []", "selectors = []\nlocked_selectors = ['.members-only']\nurl_paths = ['^/premium/']")
    text = text.replace('name = "generic"', 'name = "premium-test"')
    path = tmp_path / "premium.toml"
    path.write_text(text, encoding="utf-8")
    profile = load_profile(str(path))
    found = marker(page(TEASER), profile, "https://news.example/premium/a-story-about-the-harbour-ferry")
    assert found.paywalled is True and found.signals == ("url:^/premium/",)
    found = marker(page(TEASER + f'<div class="members-only">{LOCKED}</div>'), profile)
    assert found.signals == ("css-locked:.members-only",) and found.locked_paragraphs == 3


def test_marker_fields_reach_the_record(generic: SiteProfile) -> None:
    article = extract_article(page(TEASER + '<div class="tp-modal"><p>x</p></div>'), URL, None, generic)
    assert article is not None
    record = article.to_record()["paywall"]
    assert record["systems"] == ["piano"] and record["decided_by"] == "wall" and record["conflict"] is False
    assert set(record) >= {"paywalled", "kind", "signals", "free_paragraphs", "free_words", "locked_text_in_page",
                           "free_signals", "locked_paragraphs", "locked_words"}
    json.dumps(article.to_record())
