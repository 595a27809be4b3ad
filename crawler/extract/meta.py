"""<meta> properties (og:, article:, twitter:, name=) read once into a dict."""

from __future__ import annotations

from lxml.html import HtmlElement

from .dom import tagged


def meta_properties(page: HtmlElement) -> dict[str, str]:
    """First non-empty content per lower-cased property/name/itemprop."""
    found: dict[str, str] = {}
    for element in tagged(page, "meta"):
        attrs = element.attrib
        raw = attrs.get("content")
        if raw is None:
            continue
        key = attrs.get("property") or attrs.get("name") or attrs.get("itemprop")
        content = " ".join(raw.split())
        if key and content:
            found.setdefault(key.strip().lower(), content)
    return found
