"""schema.org microdata (itemscope/itemprop), read by extruct from the page's existing tree and
reshaped like JSON-LD nodes, so every field reads both with the same code.

Only pages with an item typed as an article pay for extruct (a few milliseconds): the check is one
XPath over the `itemtype`s; every other page's microdata could not give an article anyway.
"""

from __future__ import annotations

import logging
from typing import Any

from extruct.w3cmicrodata import MicrodataExtractor
from lxml import etree
from lxml.html import HtmlElement

from .jsonld import ARTICLE_TYPES, node_types

logger = logging.getLogger(__name__)

_EXTRACTOR = MicrodataExtractor()


def _as_node(item: Any) -> Any:
    """extruct's {"type": URL, "properties": {...}} to {"@type": "NewsArticle", ...}, recursively."""
    if isinstance(item, list):
        return [_as_node(value) for value in item]
    if not isinstance(item, dict) or "properties" not in item:
        return item
    kinds = item.get("type") or []
    node: dict[str, Any] = {"@type": [kinds] if isinstance(kinds, str) else list(kinds)}
    for name, value in item["properties"].items():
        node[name] = _as_node(value)
    return node


_ACCESS = etree.XPath("boolean(//*[@itemprop='isAccessibleForFree'])")


def declares_access(page: HtmlElement) -> bool:
    """Whether the page's microdata says anything about isAccessibleForFree."""
    return bool(_ACCESS(page))


_ITEM_TYPES = etree.XPath("//*[@itemscope]/@itemtype", smart_strings=False)


def _has_article_item(page: HtmlElement) -> bool:
    """Whether any microdata item is typed as an article ("https://schema.org/NewsArticle"…)."""
    return any(kind.rstrip("/").rsplit("/", 1)[-1] in ARTICLE_TYPES
               for value in _ITEM_TYPES(page) for kind in value.split())


def microdata_nodes(page: HtmlElement, base_url: str) -> list[dict[str, Any]]:
    """Every top-level microdata item as a JSON-LD-shaped node; [] when the page has none, or
    none typed as an article (`microdata_article` would find nothing in them)."""
    if not _has_article_item(page):
        return []
    try:
        return [_as_node(item) for item in _EXTRACTOR.extract_items(page, base_url)]
    except Exception as exc:  # extruct on odd markup: microdata is a fallback, never a failure
        logger.debug("skipping unreadable microdata on %s: %s", base_url, exc)
        return []


def microdata_article(nodes: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The first microdata item typed as an article, looking one level into wrappers (WebPage)."""
    for node in nodes:
        if node_types(node) & ARTICLE_TYPES:
            return node
        for value in node.values():
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, dict) and node_types(child) & ARTICLE_TYPES:
                    return child
    return None
