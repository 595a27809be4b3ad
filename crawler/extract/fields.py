"""Metadata fields, each from the strongest signal present with weaker ones as fallbacks:
visible markup named by the profile, JSON-LD, then og:/article: meta."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin

from lxml.html import HtmlElement

from crawler.sites import SiteProfile
from crawler.urls import canonical_url

from .dates import iso_to_utc, text_to_utc
from .jsonld import person_names, text_value
from .dom import css, first_match, first_text, xpath
from .text import collapse, element_text

_BY = re.compile(r"^\s*by\s+", re.IGNORECASE)
_NAME_SPLIT = re.compile(r"\s*,\s*|\s+and\s+|\s*&\s*")

Found = tuple[str, str]  # (value, where it came from)


def title(page: HtmlElement, profile: SiteProfile, node: dict[str, Any], meta: dict[str, str]) -> Found:
    text, css = first_text(page, profile.selectors.headline)
    if text:
        return text, f"css:{css}"
    for source, value in (("jsonld:headline", text_value(node.get("headline"))),
                          ("meta:og:title", meta.get("og:title", "")),
                          ("meta:twitter:title", meta.get("twitter:title", ""))):
        if value:
            return collapse(value), source
    head_title = collapse(xpath(page, "string(//head/title)"))
    return head_title.split(" | ")[0].strip(), "title" if head_title else ""


def section(page: HtmlElement, profile: SiteProfile, node: dict[str, Any], meta: dict[str, str]) -> Found:
    value = text_value(node.get("articleSection"))
    if value:
        return collapse(value), "jsonld:articleSection"
    if meta.get("article:section"):
        return meta["article:section"], "meta:article:section"
    text, css = first_text(page, profile.selectors.section)
    return text, f"css:{css}" if text else ""


def authors(page: HtmlElement, profile: SiteProfile, node: dict[str, Any], meta: dict[str, str]) -> tuple[tuple[str, ...], str]:
    names = person_names(node.get("author")) if node.get("author") else ()
    if names:
        return names, "jsonld:author"
    byline = first_match(page, profile.selectors.byline)
    if byline is not None:
        for selector in profile.selectors.byline_names:
            found = tuple(t for t in (element_text(e) for e in css(byline, selector)) if t)
            if found:
                return found, f"css:{selector}"
        text = _BY.sub("", element_text(byline))
        found = tuple(name for name in _NAME_SPLIT.split(text) if name)
        if found:
            return found, "byline-text"
    author = meta.get("author") or meta.get("article:author", "")
    if author and "://" not in author:
        return tuple(n for n in _NAME_SPLIT.split(author) if n), "meta:author"
    return (), ""


def standfirst(page: HtmlElement, profile: SiteProfile, node: dict[str, Any], meta: dict[str, str],
               first_paragraph: str) -> Found:
    text, css = first_text(page, profile.selectors.standfirst)
    if text:
        return text, f"css:{css}"
    for source, value in (("jsonld:description", text_value(node.get("description"))),
                          ("meta:og:description", meta.get("og:description", ""))):
        value = collapse(value)
        # A CMS-generated summary is the body's opening, not a standfirst.
        if value and not first_paragraph.startswith(value.rstrip("…. ")):
            return value, source
    return "", ""


def published(page: HtmlElement, profile: SiteProfile, node: dict[str, Any], meta: dict[str, str]) -> Found:
    for source, value in (("jsonld:datePublished", text_value(node.get("datePublished"))),
                          ("meta:article:published_time", meta.get("article:published_time", "")),
                          ("meta:datePublished", meta.get("datepublished", ""))):
        moment = iso_to_utc(value, profile.timezone) if value else None
        if moment:
            return moment, source
    for selector in profile.selectors.date:
        for found in css(page, selector):
            stamp = found.get("datetime")
            moment = iso_to_utc(stamp, profile.timezone) if stamp else None
            if not moment:
                text = element_text(found)
                moment = text_to_utc(text, profile.timezone) if text else None
            if moment:
                return moment, f"css:{selector}"
    return "", ""


def updated(profile: SiteProfile, node: dict[str, Any], meta: dict[str, str]) -> str | None:
    value = text_value(node.get("dateModified")) or meta.get("article:modified_time", "")
    return iso_to_utc(value, profile.timezone) if value else None


def canonical(page: HtmlElement, fetched_url: str, node: dict[str, Any], meta: dict[str, str]) -> Found:
    links = xpath(page, '//link[@rel="canonical"]/@href')
    for source, value in (("link:canonical", links[0] if links else ""),
                          ("meta:og:url", meta.get("og:url", "")),
                          ("jsonld:url", text_value(node.get("url")))):
        if value.strip():
            return canonical_url(urljoin(fetched_url, value.strip())), source
    return canonical_url(fetched_url), "fetched"


def lead_image(page: HtmlElement, profile: SiteProfile, meta: dict[str, str], page_url: str) -> tuple[str, str]:
    """(absolute image URL, caption)."""
    image = first_match(page, profile.selectors.lead_image)
    src = ""
    alt = ""
    if image is not None:
        src = image.get("src") or image.get("data-src") or ""
        alt = collapse(image.get("alt"))
    src = src or meta.get("og:image", "")
    caption, _ = first_text(page, profile.selectors.lead_image_caption)
    return (urljoin(page_url, src) if src else ""), caption or alt
