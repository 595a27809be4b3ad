"""The kinds of failure real publishers' pages showed (issue 8), one small page each, written for the
test: body, title, authors and paywall, read with the generic profile as a new user would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.extract import Article, extract_article
from crawler.extract.budget import ExtractionTimeout
from crawler.sites import SiteProfile, load_profile

URL = "https://news.example.org/2026/11/25/harbour-ferry-saved"
PROSE = [
    "Councillors voted on Tuesday night to keep the harbour ferry running through the winter, reversing a "
    "decision taken in the summer after months of campaigning by residents.",
    "The service carries about nine hundred passengers a day between the two quays, most of them commuters "
    "and schoolchildren who would otherwise face an hour-long detour by road.",
    "Operators had warned that fuel costs and a shortage of qualified crew made the timetable impossible to "
    "sustain without a subsidy from the council or the regional transport authority.",
    "A petition signed by more than four thousand residents was handed in at the town hall before the "
    "meeting began, and campaigners filled the public gallery to hear the vote.",
    "The council will now ask the regional authority to share the cost of the extra sailings, which it "
    "puts at a little under two hundred thousand pounds a year.",
    "Opposition members said the decision had come too late for the families who had already changed "
    "their plans, and called for a review of how the service is funded.",
]
CHROME = """<header role="banner"><nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a>
<a href="/opinion">Opinion</a></nav></header>"""
FOOTER = """<footer><p>© 2026 The Harbour Herald. All rights reserved. Registered in England and Wales,
company number 01234567, at Quay House, Harbour Street, with offices in every town on the coast.</p>
<ul><li><a href="/about">About us</a></li><li><a href="/contact">Contact</a></li></ul></footer>"""


@pytest.fixture(scope="module")
def generic() -> SiteProfile:
    return load_profile("generic")


def _page(head: str, body: str, html_attrs: str = "") -> bytes:
    return (f"<!DOCTYPE html><html lang=\"en\" {html_attrs}><head><meta charset=\"utf-8\">{head}</head>"
            f"<body>{CHROME}{body}{FOOTER}</body></html>").encode()


def _jsonld(**fields: object) -> str:
    node = {"@context": "https://schema.org", "@type": "NewsArticle", **fields}
    return f'<script type="application/ld+json">{json.dumps(node)}</script>'


def _paragraphs(texts: list[str]) -> str:
    return "".join(f"<p>{text}</p>" for text in texts)


def _extract(page: bytes, profile: SiteProfile, url: str = URL) -> Article:
    article = extract_article(page, url, {"Content-Type": "text/html; charset=utf-8"}, profile)
    assert article is not None
    return article


# --- body ---------------------------------------------------------------------------------------

def test_body_split_over_sibling_blocks_is_read_whole(generic: SiteProfile) -> None:
    body = f"""<main><h1>Harbour ferry saved</h1>
<div class="story-part">{_paragraphs(PROSE[:2])}</div>
<div class="ad-slot"><span>Advertisement</span></div>
<div class="story-part">{_paragraphs(PROSE[2:4])}</div>
<div class="inline-newsletter"><p>Sign up for our morning briefing, sent every weekday.</p></div>
<div class="story-part">{_paragraphs(PROSE[4:])}</div></main>"""
    article = _extract(_page(_jsonld(headline="Harbour ferry saved"), body), generic)
    assert article.free_text == "\n\n".join(PROSE)


@pytest.mark.parametrize("related", [
    "",  # the in-body heading is the only "Similar stories" candidate on the page
    """<aside class="related"><h2>Related stories</h2><ul>
<li><a href="/2026/11/19/bridge-tolls-to-rise-in-spring">Bridge tolls to rise in spring</a></li></ul></aside>""",
])
def test_read_more_heading_inside_the_body_does_not_end_it(generic: SiteProfile, related: str) -> None:
    body = f"""<article><h1>Harbour ferry saved</h1><div class="text">{_paragraphs(PROSE[:3])}
<h3>Read more</h3><p><a href="/2026/11/20/ferry-crew-shortage-explained">Ferry crew shortage explained</a></p>
{_paragraphs(PROSE[3:])}</div></article>{related}"""
    article = _extract(_page(_jsonld(headline="Harbour ferry saved"), body), generic)
    assert article.free_text == "\n\n".join(PROSE)


def test_profile_body_selector_reads_every_match(tmp_path: Path) -> None:
    profile_text = (Path(__file__).parent / "site" / "clarion.toml").read_text()
    profile_text = profile_text.replace('body = [".content__article-body"]', 'body = [".story-part"]')
    path = tmp_path / "parts.toml"
    path.write_text(profile_text)
    profile = load_profile(str(path))
    body = f"""<article><h1 class="content__headline">Harbour ferry saved</h1>
<div class="story-part">{_paragraphs(PROSE[:3])}</div><figure><img src="/a.jpg" alt=""></figure>
<div class="story-part">{_paragraphs(PROSE[3:])}</div></article>"""
    article = _extract(_page(_jsonld(headline="Harbour ferry saved"), body), profile,
                       url="https://www.theclarion.example/2026/nov/25/harbour-ferry-saved")
    assert article.free_text == "\n\n".join(PROSE)


def test_whole_body_declared_locked_gives_no_chrome_as_free_text(generic: SiteProfile) -> None:
    head = _jsonld(headline="Harbour ferry saved", isAccessibleForFree=False,
                   hasPart={"@type": "WebPageElement", "isAccessibleForFree": False, "cssSelector": ".article-text"})
    body = f"""<main><h1>Harbour ferry saved</h1><div class="article-text">{_paragraphs(PROSE)}</div></main>"""
    article = _extract(_page(head, body), generic)
    assert article.free_text == ""
    assert "Registered in England" not in article.free_text
    marker = article.paywall
    assert marker.paywalled is True and marker.decided_by == "declared" and marker.kind == "overlay"
    assert marker.locked_paragraphs == len(PROSE) and marker.locked_text_in_page is True
    assert marker.locked_words == sum(len(text.split()) for text in PROSE)


METERED = {"@type": "WebPageElement", "isAccessibleForFree": False, "cssSelector": ".meteredContent"}


def test_whole_body_behind_a_meter_is_free_text_marked_metered(generic: SiteProfile) -> None:
    # A meter lets a fresh visitor without cookies (what the crawl is) read the whole article.
    head = _jsonld(headline="Harbour ferry saved", isAccessibleForFree=False, hasPart=METERED)
    body = f"""<main><h1>Harbour ferry saved</h1><section class="meteredContent story">{_paragraphs(PROSE)}
    </section></main>"""
    article = _extract(_page(head, body), generic)
    assert article.free_text == "\n\n".join(PROSE)
    marker = article.paywall
    assert marker.paywalled is True and marker.decided_by == "declared" and marker.kind == "metered"
    assert "jsonld:hasPart=.meteredContent" in marker.signals
    assert marker.locked_paragraphs == 0 and marker.locked_text_in_page is False
    assert marker.free_paragraphs == len(PROSE)


def test_metered_part_declared_in_microdata_is_free_text(generic: SiteProfile) -> None:
    body = f"""<main itemscope itemtype="https://schema.org/NewsArticle">
    <meta itemprop="isAccessibleForFree" content="False">
    <span itemprop="hasPart" itemscope itemtype="https://schema.org/WebPageElement">
      <meta itemprop="isAccessibleForFree" content="False"><meta itemprop="cssSelector" content=".meteredContent">
    </span>
    <h1 itemprop="headline">Harbour ferry saved</h1>
    <section class="meteredContent">{_paragraphs(PROSE)}</section></main>"""
    article = _extract(_page("", body), generic)
    assert article.free_text == "\n\n".join(PROSE)
    assert article.paywall.kind == "metered" and "microdata:hasPart=.meteredContent" in article.paywall.signals


def test_a_meter_that_ran_out_shows_its_wall_and_locks_the_part(generic: SiteProfile) -> None:
    # the wall is on the page: what the visitor was shown beats the meter, the part is locked text
    head = _jsonld(headline="Harbour ferry saved", isAccessibleForFree=False, hasPart=METERED)
    body = f"""<main><h1>Harbour ferry saved</h1><p class="lede">{PROSE[0]}</p>
    <p class="notice">You have reached your article limit</p>
    <section class="meteredContent">{_paragraphs(PROSE[1:])}</section></main>"""
    article = _extract(_page(head, body), generic)
    marker = article.paywall
    assert marker.decided_by == "wall" and marker.kind == "overlay"
    assert article.free_text == PROSE[0]
    assert marker.locked_paragraphs == len(PROSE) - 1


def test_meter_beside_another_locked_part_locks_both(generic: SiteProfile) -> None:
    # a metered part beside a hard one: not a meter-only page, the declared parts are locked
    parts = [METERED, {"@type": "WebPageElement", "isAccessibleForFree": False, "cssSelector": ".premium-rest"}]
    head = _jsonld(headline="Harbour ferry saved", isAccessibleForFree=False, hasPart=parts)
    body = f"""<main><h1>Harbour ferry saved</h1><p>{PROSE[0]}</p>
    <section class="meteredContent">{_paragraphs(PROSE[1:3])}</section>
    <section class="premium-rest">{_paragraphs(PROSE[3:])}</section></main>"""
    article = _extract(_page(head, body), generic)
    marker = article.paywall
    assert marker.decided_by == "declared" and marker.kind == "overlay"
    assert article.free_text == PROSE[0]
    assert marker.locked_paragraphs == len(PROSE) - 1


def test_jsonld_article_body_read_when_the_markup_holds_no_paragraphs(generic: SiteProfile) -> None:
    head = _jsonld(headline="Harbour ferry saved", articleBody="\n\n".join(PROSE))
    body = """<main><h1>Harbour ferry saved</h1><div id="app" data-hydrate="story"></div></main>"""
    article = _extract(_page(head, body), generic)
    assert article.free_text == "\n\n".join(PROSE)
    assert article.extra["sources"]["free_text"] == "jsonld:articleBody"


# --- title --------------------------------------------------------------------------------------

def test_displayed_headline_beats_the_seo_headline(generic: SiteProfile) -> None:
    head = (_jsonld(headline="Harbour ferry vote: council reverses winter cuts | Ferry news today")
            + '<meta property="og:title" content="Harbour ferry saved as council reverses winter cuts">'
            + "<title>Harbour ferry saved as council reverses winter cuts | The Harbour Herald</title>")
    body = f"<article><h1>Harbour ferry saved as council reverses winter cuts</h1>{_paragraphs(PROSE)}</article>"
    article = _extract(_page(head, body), generic)
    assert article.title == "Harbour ferry saved as council reverses winter cuts"


def test_site_name_suffix_and_kicker_are_not_the_title(generic: SiteProfile) -> None:
    head = ('<meta property="og:site_name" content="The Harbour Herald">'
            '<meta property="og:title" content="Harbour ferry saved as council reverses winter cuts | The Harbour Herald">'
            '<meta property="og:type" content="article">')
    body = (f'<article><h1><span class="kicker">Exclusive:</span> Harbour ferry saved as council reverses winter cuts'
            f"</h1>{_paragraphs(PROSE)}</article>")
    assert _extract(_page(head, body), generic).title == "Harbour ferry saved as council reverses winter cuts"
    no_h1 = f"<article>{_paragraphs(PROSE)}</article>"
    assert _extract(_page(head, no_h1), generic).title == "Harbour ferry saved as council reverses winter cuts"


# --- authors ------------------------------------------------------------------------------------

def _authors(author: object, generic: SiteProfile, extra_head: str = "") -> tuple[str, ...]:
    head = _jsonld(headline="Harbour ferry saved", author=author,
                   publisher={"@type": "NewsMediaOrganization", "name": "The Harbour Herald"}) + extra_head
    body = f"<article><h1>Harbour ferry saved</h1>{_paragraphs(PROSE)}</article>"
    return _extract(_page(head, body), generic).authors


def test_the_site_given_as_author_is_not_an_author(generic: SiteProfile) -> None:
    assert _authors({"@type": "Organization", "name": "The Harbour Herald"}, generic,
                    '<meta name="author" content="Mary Quayle">') == ("Mary Quayle",)


def test_several_names_in_one_string_are_several_people(generic: SiteProfile) -> None:
    assert _authors({"@type": "Person", "name": "Mary Quayle and Tom Bright"}, generic) == ("Mary Quayle", "Tom Bright")
    assert _authors("Mary Quayle, Tom Bright & Ann Lee", generic) == ("Mary Quayle", "Tom Bright", "Ann Lee")
    assert _authors("Mary QuayleTom Bright", generic) == ("Mary Quayle", "Tom Bright")
    assert _authors("Ronald McDonald", generic) == ("Ronald McDonald",)


def test_email_address_is_not_a_name(generic: SiteProfile) -> None:
    assert _authors([{"@type": "Person", "name": "mary.quayle@harbourherald.example"},
                     {"@type": "Person", "name": "Tom Bright (tom@harbourherald.example)"}], generic) == ("Tom Bright",)


def test_last_comma_first_is_one_person(generic: SiteProfile) -> None:
    assert _authors("Quayle, Mary", generic) == ("Mary Quayle",)


def test_labels_roles_and_the_sites_desk_are_not_people(generic: SiteProfile) -> None:
    assert _authors("Analysis by Mary Quayle, Harbour Herald Political Editor", generic) == ("Mary Quayle",)
    assert _authors("Words: Mary Quayle", generic) == ("Mary Quayle",)
    assert _authors("Mary Quayle, The Harbour Herald", generic) == ("Mary Quayle",)
    assert _authors("MARY QUAYLETOM BRIGHT", generic) == ("MARY QUAYLETOM BRIGHT",)  # no case change to split at
    assert _authors("admin", generic, '<meta name="author" content="Tom Bright">') == ("Tom Bright",)


# --- paywall ------------------------------------------------------------------------------------

def test_paywall_class_on_html_of_a_free_page_is_no_wall(generic: SiteProfile) -> None:
    head = _jsonld(headline="Harbour ferry saved", isAccessibleForFree=True)
    body = f"<article><h1>Harbour ferry saved</h1>{_paragraphs(PROSE)}</article>"
    article = _extract(_page(head, body, html_attrs='class="paywall_enabled js"'), generic)
    marker = article.paywall
    assert marker.paywalled is False and marker.signals == () and marker.conflict is False
    assert marker.free_signals == ("jsonld:isAccessibleForFree=true",)
    assert article.free_text == "\n\n".join(PROSE)


def test_text_in_the_html_is_free_or_locked_never_neither(generic: SiteProfile) -> None:
    head = _jsonld(headline="Harbour ferry saved", isAccessibleForFree=False,
                   hasPart={"@type": "WebPageElement", "isAccessibleForFree": False, "cssSelector": ".premium-rest"})
    body = f"""<article><h1>Harbour ferry saved</h1><div class="story">{_paragraphs(PROSE[:2])}</div>
<div class="paywall-box"><p>Subscribe to read the rest.</p></div>
<div class="premium-rest" style="display:none">{_paragraphs(PROSE[2:])}</div></article>"""
    article = _extract(_page(head, body), generic)
    marker = article.paywall
    assert marker.paywalled is True
    assert article.free_text == "\n\n".join(PROSE[:2])
    assert marker.locked_paragraphs == len(PROSE) - 2
    assert marker.free_words + marker.locked_words == sum(len(text.split()) for text in PROSE)


def test_css_hidden_locked_text_inside_the_body_is_counted_as_locked(generic: SiteProfile) -> None:
    head = _jsonld(headline="Harbour ferry saved", isAccessibleForFree=False)
    body = f"""<article><h1>Harbour ferry saved</h1><div class="story">{_paragraphs(PROSE[:2])}
<div style="display: none">{_paragraphs(PROSE[2:])}</div></div></article>"""
    article = _extract(_page(head, body), generic)
    marker = article.paywall
    assert marker.paywalled is True and marker.kind == "overlay"
    assert article.free_text == "\n\n".join(PROSE[:2])
    assert marker.locked_paragraphs == len(PROSE) - 2
    assert marker.locked_words == sum(len(text.split()) for text in PROSE[2:])


# --- hostile input ------------------------------------------------------------------------------

def test_jsonld_nested_200000_deep_is_ignored_and_noted(generic: SiteProfile) -> None:
    deep = '<script type="application/ld+json">' + "[" * 200_000 + "]" * 200_000 + "</script>"
    head = deep + _jsonld(headline="Harbour ferry saved", author="Mary Quayle")
    body = f"<article><h1>Harbour ferry saved</h1>{_paragraphs(PROSE)}</article>"
    article = _extract(_page(head, body), generic)
    assert article.title == "Harbour ferry saved" and article.authors == ("Mary Quayle",)
    assert article.free_text == "\n\n".join(PROSE)
    assert article.extra["notes"] == ["JSON-LD block 1 ignored: nested deeper than 100 levels"]


def test_elements_nested_deeper_than_python_recursion_are_read(generic: SiteProfile) -> None:
    body = f"<article><h1>Harbour ferry saved</h1>{_paragraphs(PROSE)}" + "<div>" * 5000 + "deep" + "</div>" * 5000
    article = _extract(_page(_jsonld(headline="Harbour ferry saved"), body + "</article>"), generic)
    assert article.free_text.startswith("\n\n".join(PROSE))


def test_a_page_over_its_time_budget_is_a_failure_with_a_reason(generic: SiteProfile) -> None:
    page = _page(_jsonld(headline="Harbour ferry saved"), f"<article>{_paragraphs(PROSE)}</article>")
    with pytest.raises(ExtractionTimeout, match="budget"):
        extract_article(page, URL, None, generic, budget=0.0)
