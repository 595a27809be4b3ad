"""JSON-LD read straight from the page's <script> blocks: tolerant of the broken JSON CMSs emit.

extruct would re-parse the whole page per call; reading the scripts from the existing tree is
a fraction of the cost and lets us repair common mistakes ourselves.
"""

from __future__ import annotations

import html
import json
import logging
import re
from typing import Any

from lxml.html import HtmlElement

from .dom import tagged

logger = logging.getLogger(__name__)

ARTICLE_TYPES = frozenset({
    "Article", "NewsArticle", "ReportageNews", "AnalysisNewsArticle", "OpinionNewsArticle",
    "ReviewNewsArticle", "BackgroundNewsArticle", "AskPublicNewsArticle", "SatiricalArticle",
    "BlogPosting", "Report", "LiveBlogPosting", "ImageGallery", "MediaGallery", "VideoGallery",
})
ORGANIZATION_TYPES = frozenset({"Organization", "NewsMediaOrganization", "Corporation", "GovernmentOrganization",
                                "NGO", "EducationalOrganization", "PerformingGroup"})
PAGE_TYPES = frozenset({"WebPage", "ItemPage", "CollectionPage", "ProfilePage"})
MAX_DEPTH = 100  # JSON-LD nesting beyond this is hostile, not schema.org
_BRACKETS = re.compile(r"[\[\]{}]")
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


def jsonld_nodes(page: HtmlElement, notes: list[str] | None = None) -> list[dict[str, Any]]:
    """Every object from every ld+json block, @graph members included; bad blocks are skipped (and
    noted in `notes`): one broken or hostile block never costs the article the others."""
    nodes: list[dict[str, Any]] = []
    scripts = [script.text for script in tagged(page, "script")
               if script.get("type") == "application/ld+json" and script.text]
    for number, raw in enumerate(scripts, 1):
        if _too_deep(raw):
            reason = f"JSON-LD block {number} ignored: nested deeper than {MAX_DEPTH} levels"
        else:
            try:
                found: list[dict[str, Any]] = []
                _flatten(_loads(raw), found)
                nodes.extend(found)
                continue
            except (ValueError, RecursionError) as exc:
                reason = f"JSON-LD block {number} ignored: {type(exc).__name__}: {str(exc)[:100]}"
        logger.debug("%s", reason)
        if notes is not None:
            notes.append(reason)
    return nodes


def _too_deep(raw: str) -> bool:
    """Whether brackets nest deeper than MAX_DEPTH (brackets inside strings counted too: a real
    block is nowhere near). A C-level count first; the walk over the brackets only for suspects."""
    if raw.count("[") + raw.count("{") <= MAX_DEPTH:
        return False
    depth = 0
    for match in _BRACKETS.finditer(raw):
        char = match.group()
        if char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif char in "]}":
            depth -= 1
    return False


def declared_body(node: dict[str, Any]) -> tuple[str, ...]:
    """The article node's `articleBody` as paragraphs (split on blank lines, else on line breaks)."""
    body = node.get("articleBody")
    if not isinstance(body, str) or not body.strip():
        return ()
    text = html.unescape(body) if "&" in body else body
    parts = text.split("\n\n") if "\n\n" in text else text.split("\n")
    return tuple(" ".join(part.split()) for part in parts if part.strip())


def node_types(node: dict[str, Any]) -> set[str]:
    kind = node.get("@type", ())
    kinds = [kind] if isinstance(kind, str) else kind if isinstance(kind, list) else []
    return {k.rsplit("/", 1)[-1] for k in kinds if isinstance(k, str)}


def article_node(nodes: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The article the page is about: the first node typed as an article (NewsArticle and kin)
    that has a headline or name, else the first article-typed node at all."""
    typed = [node for node in nodes if node_types(node) & ARTICLE_TYPES]
    return next((node for node in typed if node.get("headline") or node.get("name")), typed[0] if typed else None)


def id_index(nodes: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Nodes by their @id, so references such as {"@id": "#author-1"} (Yoast-style graphs) resolve."""
    index: dict[str, dict[str, Any]] = {}
    for node in nodes:
        ident = node.get("@id")
        if isinstance(ident, str) and len(node) > 1:
            index.setdefault(ident, node)
    return index


def resolve(value: Any, index: dict[str, dict[str, Any]]) -> Any:
    """A bare {"@id": …} reference replaced by the node it names (lists resolved item by item)."""
    if isinstance(value, list):
        return [resolve(item, index) for item in value]
    if isinstance(value, dict) and set(value) == {"@id"} and value["@id"] in index:
        return index[value["@id"]]
    return value


def text_value(value: Any) -> str:
    """A schema.org property as text: strings as is, the first of a list, an object's name/@id."""
    if isinstance(value, list):
        return next((text for text in map(text_value, value) if text), "")
    if isinstance(value, dict):
        return text_value(value.get("name") or value.get("@id") or value.get("url") or "")
    if isinstance(value, str):
        return value.strip()
    return ""


def author_entries(value: Any, index: dict[str, dict[str, Any]] | None = None) -> list[tuple[str, str, str]]:
    """(name, kind, url) per author: a Person, an Organization (an agency byline), a list of them
    or plain strings; references to other graph nodes are resolved."""
    value = resolve(value, index or {})
    items = value if isinstance(value, list) else [value]
    found = []
    for item in items:
        item = resolve(item, index or {})
        if isinstance(item, dict):
            name = text_value(item.get("name"))
            kind = "organization" if node_types(item) & ORGANIZATION_TYPES else "person"
            url = text_value(item.get("url")) if isinstance(item.get("url"), str | list) else ""
        else:
            name, kind, url = text_value(item), "person", ""
        name = " ".join(name.split())
        if name and "://" not in name:
            found.append((name, kind, url))
    return found


def keywords(value: Any) -> list[str]:
    """schema.org keywords: a list, or one comma-separated string."""
    items = value if isinstance(value, list) else [value]
    words: list[str] = []
    for item in items:
        text = text_value(item)
        words.extend(part.strip() for part in text.split(",") if part.strip())
    return words


def image_url(value: Any) -> tuple[str, str]:
    """(URL, caption) of an image property: a URL, an ImageObject, or a list of either."""
    if isinstance(value, list):
        return next((found for found in map(image_url, value) if found[0]), ("", ""))
    if isinstance(value, dict):
        url = text_value(value.get("url") or value.get("contentUrl") or value.get("@id") or "")
        return url, " ".join(text_value(value.get("caption")).split())
    return text_value(value), ""


def locked_parts(node: dict[str, Any]) -> list[str]:
    """CSS selectors of the node's `hasPart` WebPageElements marked isAccessibleForFree=false
    (Google's markup for paywalled content); a part may name several selectors."""
    parts = node.get("hasPart")
    selectors: list[str] = []
    for part in parts if isinstance(parts, list) else [parts]:
        if isinstance(part, dict) and accessible_for_free(part) is False:
            raw = part.get("cssSelector")
            for selector in raw if isinstance(raw, list) else [raw]:
                if isinstance(selector, str) and selector.strip():
                    selectors.append(selector.strip())
    return selectors


def accessible_for_free(node: dict[str, Any]) -> bool | None:
    """isAccessibleForFree as a bool; schema.org allows true/false and "True"/"False" text."""
    value = node.get("isAccessibleForFree")
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None
