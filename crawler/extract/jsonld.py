"""JSON-LD read straight from the page's <script> blocks: tolerant of the broken JSON CMSs emit.

extruct would re-parse the whole page per call; reading the scripts from the existing tree is
a fraction of the cost and lets us repair common mistakes ourselves.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from lxml.html import HtmlElement

from .dom import xpath

logger = logging.getLogger(__name__)

ARTICLE_TYPES = frozenset({
    "Article", "NewsArticle", "ReportageNews", "AnalysisNewsArticle", "OpinionNewsArticle",
    "ReviewNewsArticle", "BackgroundNewsArticle", "BlogPosting", "Report", "LiveBlogPosting",
})
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_WRAPPERS = re.compile(r"^\s*(?:<!--|<!\[CDATA\[)|(?:-->|\]\]>)\s*$")


def _loads(raw: str) -> Any:
    try:
        return json.loads(raw, strict=False)
    except ValueError:
        repaired = _TRAILING_COMMA.sub(r"\1", _WRAPPERS.sub("", raw.strip()))
        return json.loads(repaired, strict=False)


def _flatten(value: Any, out: list[dict[str, Any]]) -> None:
    if isinstance(value, list):
        for item in value:
            _flatten(item, out)
    elif isinstance(value, dict):
        out.append(value)
        if "@graph" in value:
            _flatten(value["@graph"], out)


def jsonld_nodes(page: HtmlElement) -> list[dict[str, Any]]:
    """Every object from every ld+json block, @graph members included; bad blocks are skipped."""
    nodes: list[dict[str, Any]] = []
    for raw in xpath(page, '//script[@type="application/ld+json"]/text()'):
        try:
            _flatten(_loads(raw), nodes)
        except ValueError as exc:
            logger.debug("skipping invalid JSON-LD block: %s", exc)
    return nodes


def node_types(node: dict[str, Any]) -> set[str]:
    kind = node.get("@type", ())
    kinds = [kind] if isinstance(kind, str) else kind if isinstance(kind, list) else []
    return {k.rsplit("/", 1)[-1] for k in kinds if isinstance(k, str)}


def article_node(nodes: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The first node typed as an article (NewsArticle and kin)."""
    return next((node for node in nodes if node_types(node) & ARTICLE_TYPES), None)


def text_value(value: Any) -> str:
    """A schema.org property as text: strings as is, the first of a list, an object's name/@id."""
    if isinstance(value, list):
        return next((text for text in map(text_value, value) if text), "")
    if isinstance(value, dict):
        return text_value(value.get("name") or value.get("@id") or value.get("url") or "")
    if isinstance(value, str):
        return value.strip()
    return ""


def person_names(value: Any) -> tuple[str, ...]:
    """Author names from a Person, a list of them or plain strings; organisations are not bylines."""
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items:
        if isinstance(item, dict):
            if node_types(item) & {"Organization", "NewsMediaOrganization"}:
                continue
            name = text_value(item.get("name"))
        else:
            name = text_value(item)
        if name:
            names.append(" ".join(name.split()))
    return tuple(names)


def accessible_for_free(node: dict[str, Any]) -> bool | None:
    """isAccessibleForFree as a bool; schema.org allows true/false and "True"/"False" text."""
    value = node.get("isAccessibleForFree")
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None
