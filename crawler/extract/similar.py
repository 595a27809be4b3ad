"""The "Similar stories" block: found by profile selector or by its heading text, read per item."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urljoin

from lxml import etree
from lxml.html import HtmlElement

from crawler.sites import SiteProfile
from archive.urls import canonical_url

from .article import SimilarStory
from .dom import body_text, by_selector, css, first_text, xpath, xpath_literal
from .text import collapse, element_text

_HEADING_TAGS = "self::h1 or self::h2 or self::h3 or self::h4 or self::div or self::span or self::p"


_FIRST_TEXT = etree.XPath("string(text())")  # the first text node, as normalize-space(text()) reads it


@lru_cache(maxsize=64)
def _heading_xpath(headings: tuple[str, ...]) -> etree.XPath:
    """Heading-like elements whose first text holds any of the headings: one scan for them all."""
    tests = " or ".join(f"contains(., {xpath_literal(heading)})" for heading in headings)
    return etree.XPath(f"//body//*[{_HEADING_TAGS}][text()[1][{tests}]]")


def _article_links(scope: HtmlElement, page_url: str, profile: SiteProfile) -> list[tuple[HtmlElement, str]]:
    """(anchor, absolute URL) for every link under `scope` whose path is an article path."""
    links = []
    for anchor in xpath(scope, ".//a[@href]"):
        absolute = urljoin(page_url, anchor.get("href", "").strip())
        if profile.is_article_url(absolute):
            links.append((anchor, absolute))
    return links


def find_similar_block(
    page: HtmlElement, page_url: str, profile: SiteProfile
) -> tuple[HtmlElement | None, list[HtmlElement]]:
    """The block, and the elements that open it (block or heading): where an article's text ends."""
    for _selector, found in by_selector(page, profile.similar.blocks):
        return found[0], [found[0]]
    page_text = body_text(page) if profile.similar.headings else ""
    headings = tuple(heading for heading in profile.similar.headings if heading in page_text)
    if not headings:  # one look at the page's text spares the scan on most pages
        return None, []
    named: dict[str, list[HtmlElement]] = {}
    wanted = set(headings)
    for element in _heading_xpath(headings)(page):
        text = collapse(_FIRST_TEXT(element))
        if text in wanted:
            named.setdefault(text, []).append(element)
    for heading in headings:
        for title in named.get(heading, ()):
            for scope in list(title.iterancestors())[:4]:  # nearest ancestor holding article links
                if _article_links(scope, page_url, profile):
                    return scope, [title]
    return None, []


def _item_story(item: HtmlElement, links: list[tuple[HtmlElement, str]], url: str,
                profile: SiteProfile) -> SimilarStory:
    title, _ = first_text(item, profile.similar.titles)
    if not title:
        texts = [element_text(anchor) for anchor, target in links if canonical_url(target) == url]
        title = max(texts, key=len, default="") or collapse(" ".join(xpath(item, ".//img/@alt")[:1]))
    section = date = ""
    pattern = profile.similar.meta_pattern
    if pattern is not None:
        for text in xpath(item, ".//text()"):
            match = pattern.match(collapse(text))
            if match:
                groups = match.groupdict()
                section, date = groups.get("section") or "", groups.get("date") or ""
                break
    if not date:
        times = xpath(item, ".//time")
        date = element_text(times[0]) if times else ""
    return SimilarStory(url=url, title=title, section=section, date=date)


def extract_similar(block: HtmlElement, page_url: str, profile: SiteProfile) -> tuple[SimilarStory, ...]:
    """One SimilarStory per linked article, in page order, duplicates dropped."""
    items: list[HtmlElement] = []
    for selector in profile.similar.items:
        items = css(block, selector)
        if items:
            break
    if not items:  # no item markup known: each article link's parent is an item
        items = [anchor.getparent() for anchor, _ in _article_links(block, page_url, profile)]
    stories: list[SimilarStory] = []
    seen: set[str] = set()
    for item in items:
        links = _article_links(item, page_url, profile)
        if not links:
            continue
        url = canonical_url(links[0][1])
        if url not in seen:
            seen.add(url)
            stories.append(_item_story(item, links, url, profile))
    return tuple(stories)
