"""schema.org microdata (itemscope/itemprop), read by extruct from the page's existing tree and
reshaped like JSON-LD nodes, so every field reads both with the same code.

Only pages that carry `itemscope` pay for it: the check is one XPath.
"""

from __future__ import annotations

import logging
from typing import Any

from extruct.w3cmicrodata import MicrodataExtractor
from lxml import etree
from lxml.html import HtmlElement

from .dom import xpath
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


def microdata_nodes(page: HtmlElement, base_url: str) -> list[dict[str, Any]]:
    """Every top-level microdata item as a JSON-LD-shaped node; [] when the page has none."""
    if not xpath(page, "boolean(//*[@itemscope])"):
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
