"""`extract_article`: one response (bytes, URL, headers) plus a site profile to an `Article`.

Pure: no network, database or files, so it runs the same in the crawl, in tests on saved pages
and when re-extracting from archived WARC responses.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from lxml.html import HtmlElement

from crawler.sites import SiteProfile

from .article import Article
from .body import Container, extract_body, find_container
from .decode import decode_html, parse_html
from .dom import tagged, xpath
from .fields import (
    Sources, article_type, in_body, authors, canonical, language, lead_image, published, publisher, section, standfirst,
    tags, title, updated,
)
from .budget import DEFAULT_BUDGET, Budget
from .jsonld import article_node, declared_body, id_index, jsonld_nodes
from .meta import meta_properties
from .microdata import declares_access, microdata_article, microdata_nodes
from .paywall import collect
from .similar import extract_similar, find_similar_block
from .text import word_count

logger = logging.getLogger(__name__)

EXTRACTOR_VERSION = "3.1.0"  # 3.1: metered walls (paywall kind "metered")
# one run of prose this long (characters) holding this share of the page's prose makes an article
ARTICLE_SIZE, ARTICLE_SHARE = 500, 0.6
DECLARED_SHARE = 0.5  # JSON-LD articleBody is read when the markup holds less than this share of its words


def extract_article(
    body: bytes, url: str, headers: Mapping[str, str] | None, profile: SiteProfile,
    budget: float | None = DEFAULT_BUDGET,
) -> Article | None:
    """The article on this page, or None when it is not an article page (or not HTML at all).

    Raises `ExtractionTimeout` when the page takes more than `budget` seconds (None: no limit)."""
    clock = Budget(budget)
    text = decode_html(body, headers)
    if text is None:
        return None
    page = parse_html(text, url)
    if page is None:
        return None
    return _extract(page, url, profile, clock)


def _looks_like_article(page: HtmlElement, src: Sources, container: Container) -> bool:
    """Article pages by their markup: typed structured data, og:type=article, the profile's body
    element, one <article> holding several paragraphs (listings hold many <article> teasers), or,
    for a profile reading any site, one run of prose long enough to be an article and holding most
    of the page's prose (a listing's teasers are short and scattered)."""
    if src.node or src.micro or src.meta.get("og:type") == "article" or container.from_profile:
        return True
    prose = sum(block.size for block in container.blocks if block.prose)
    if src.profile.articles_by_markup and prose >= ARTICLE_SIZE and prose >= ARTICLE_SHARE * container.page_prose:
        return True
    articles = [element for element in tagged(page, "article") if in_body(element)]
    return len(articles) == 1 and len(xpath(articles[0], ".//p")) >= 3 and container.root is not None


def extract_from_tree(page: HtmlElement, url: str, profile: SiteProfile,
                      budget: float | None = DEFAULT_BUDGET) -> Article | None:
    """`extract_article` on a page already parsed (the crawl parses each page once, for its links
    too); the tree is only read, never changed."""
    return _extract(page, url, profile, Budget(budget))


def _extract(page: HtmlElement, url: str, profile: SiteProfile, clock: Budget) -> Article | None:
    meta = meta_properties(page)
    notes: list[str] = []
    nodes = jsonld_nodes(page, notes)
    node: dict[str, Any] = article_node(nodes) or {}
    # microdata is a fallback for pages without a JSON-LD article (extruct costs milliseconds), read
    # anyway when it declares the paywall
    micro = microdata_article(microdata_nodes(page, url)) or {} if not node or declares_access(page) else {}
    clock.check("structured data")
    evidence = collect(page, url, profile, node, nodes, micro or None)
    clock.check("paywall signals")
    container = find_container(page, profile, clock)
    clock.check("finding the body")
    block, similar_starts = find_similar_block(page, url, profile)
    src = Sources(page=page, url=url, profile=profile, node=node, index=id_index(nodes) if node else {},
                  micro=micro, meta=meta, similar_starts=similar_starts)
    if not _looks_like_article(page, src, container):
        return None
    headline, title_source = title(src)
    if not headline:
        return None

    body_part = extract_body(page, profile, container, similar_starts, evidence)
    clock.check("reading the body")
    paragraphs, body_source = body_part.paragraphs, "profile" if container.from_profile else "blocks"
    declared = declared_body(node)
    readable = not body_part.paywall.paywalled or body_part.paywall.kind == "metered"
    if declared and readable and word_count(paragraphs) < DECLARED_SHARE * word_count(declared):
        # the page's markup holds much less than its JSON-LD articleBody (text drawn by script); the
        # markup's paragraphs are cleaner when both hold the article
        paragraphs, body_source = declared, "jsonld:articleBody"
    if not paragraphs and not body_part.paywall.signals:
        return None

    free_text = "\n\n".join(paragraphs)
    canonical_link, url_source = canonical(src)
    people, authors_source = authors(src)
    first = paragraphs[0] if paragraphs else ""
    summary, standfirst_source = standfirst(src, first)
    page_language, language_source = language(src)
    when, date_source = published(src, page_language)
    section_name, section_source = section(src)
    topics, tags_source = tags(src)
    image_url, caption = lead_image(src)
    return Article(
        url=canonical_link,
        fetched_url=url,
        site=profile.name,
        title=headline,
        free_text=free_text,
        paywall=body_part.paywall,
        standfirst=summary,
        authors=tuple(person.name for person in people),
        published_at=when or None,
        updated_at=updated(src),
        section=section_name,
        lead_image_url=image_url,
        lead_image_caption=caption,
        language=page_language,
        similar=extract_similar(block, url, profile) if block is not None else (),
        word_count=word_count(paragraphs),
        profile_version=profile.version,
        extractor_version=EXTRACTOR_VERSION,
        extra={"sources": {
            "url": url_source, "title": title_source, "authors": authors_source,
            "standfirst": standfirst_source, "published_at": date_source, "section": section_source,
            "tags": tags_source, "language": language_source, "jsonld": bool(node), "microdata": bool(micro),
            "free_text": body_source,
        }, **({"notes": notes} if notes else {})},
        author_details=people,
        tags=topics,
        publisher=publisher(src),
        article_type=article_type(node, micro),
    )
