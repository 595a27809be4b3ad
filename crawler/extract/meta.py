"""<meta> properties (og:, article:, twitter:, name=) read once into a dict."""

from __future__ import annotations

from lxml.html import HtmlElement

from .dom import xpath


def meta_properties(page: HtmlElement) -> dict[str, str]:
    """First non-empty content per lower-cased property/name/itemprop."""
    found: dict[str, str] = {}
    for element in xpath(page, "//meta[@content]"):
        attrs = element.attrib
        key = attrs.get("property") or attrs.get("name") or attrs.get("itemprop")
        content = " ".join(attrs.get("content", "").split())
        if key and content:
            found.setdefault(key.strip().lower(), content)
    return found
