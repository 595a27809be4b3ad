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
from .body import extract_body, find_container
from .decode import decode_html, parse_html
from .fields import authors, canonical, lead_image, published, section, standfirst, title, updated
from .jsonld import accessible_for_free, article_node, jsonld_nodes
from .meta import meta_properties
from .similar import extract_similar, find_similar_block
from .text import word_count

logger = logging.getLogger(__name__)

EXTRACTOR_VERSION = "1.0.0"


def extract_article(
    body: bytes, url: str, headers: Mapping[str, str] | None, profile: SiteProfile
) -> Article | None:
    """The article on this page, or None when it is not an article page (or not HTML at all)."""
    text = decode_html(body, headers)
    if text is None:
        return None
    page = parse_html(text, url)
    if page is None:
        return None
    return extract_from_tree(page, url, profile)


def extract_from_tree(page: HtmlElement, url: str, profile: SiteProfile) -> Article | None:
    """`extract_article` on a page already parsed (the crawl parses each page once, for its links
    too); the tree is only read, never changed."""
    meta = meta_properties(page)
    node: dict[str, Any] = article_node(jsonld_nodes(page)) or {}
    container, from_profile = find_container(page, profile)
    if container is None or not (node or from_profile or meta.get("og:type") == "article"):
        return None
    headline, title_source = title(page, profile, node, meta)
    if not headline:
        return None

    block, similar_starts = find_similar_block(page, url, profile)
    jsonld_free = accessible_for_free(node) if node else None
    body_part = extract_body(page, profile, container, similar_starts, jsonld_free)
    if not body_part.paragraphs and not body_part.paywall.signals:
        return None

    free_text = "\n\n".join(body_part.paragraphs)
    canonical_link, url_source = canonical(page, url, node, meta)
    names, authors_source = authors(page, profile, node, meta)
    first = body_part.paragraphs[0] if body_part.paragraphs else ""
    summary, standfirst_source = standfirst(page, profile, node, meta, first)
    when, date_source = published(page, profile, node, meta)
    section_name, section_source = section(page, profile, node, meta)
    image_url, caption = lead_image(page, profile, meta, url)
    language = page.get("lang") or profile.language
    return Article(
        url=canonical_link,
        fetched_url=url,
        site=profile.name,
        title=headline,
        free_text=free_text,
        paywall=body_part.paywall,
        standfirst=summary,
        authors=names,
        published_at=when or None,
        updated_at=updated(profile, node, meta),
        section=section_name,
        lead_image_url=image_url,
        lead_image_caption=caption,
        language=language,
        similar=extract_similar(block, url, profile) if block is not None else (),
        word_count=word_count(body_part.paragraphs),
        profile_version=profile.version,
        extractor_version=EXTRACTOR_VERSION,
        extra={"sources": {
            "url": url_source, "title": title_source, "authors": authors_source,
            "standfirst": standfirst_source, "published_at": date_source, "section": section_source,
            "jsonld": bool(node),
        }},
    )
