"""Compiled, cached CSS/XPath queries on lxml elements: each expression is compiled once per process,
which is most of the cost of a query on a 25 KB page."""

from __future__ import annotations

from collections.abc import Iterable
import re
from functools import lru_cache
from typing import Any

from lxml import etree
from lxml.html import HtmlElement
from parsel.csstranslator import HTMLTranslator

from .text import element_text

_TRANSLATOR = HTMLTranslator()
_COMBINATORS = frozenset(" >+~,")


@lru_cache(maxsize=2048)
def _compiled_css(selector: str) -> etree.XPath:
    return etree.XPath(_TRANSLATOR.css_to_xpath(selector))


@lru_cache(maxsize=256)
def _compiled_xpath(expression: str) -> etree.XPath:
    return etree.XPath(expression)


def css(scope: HtmlElement, selector: str) -> list[HtmlElement]:
    """Elements under (or at) `scope` matching a CSS selector, in document order; no scan at all when
    a class or id the selector needs appears nowhere on the page."""
    needles = _needles(selector)
    if needles:
        names = page_names(scope)
        if not all(needle in names for needle in needles):
            return []
    return _compiled_css(selector)(scope)


@lru_cache(maxsize=256)
def _compiled_union(selectors: tuple[str, ...]) -> etree.XPath:
    return etree.XPath(" | ".join(_TRANSLATOR.css_to_xpath(selector) for selector in selectors))


@lru_cache(maxsize=2048)
def _compiled_self(selector: str) -> etree.XPath:
    return etree.XPath(_TRANSLATOR.css_to_xpath(selector, prefix="self::"))


_NAME_PARTS = re.compile(r"[.#]([A-Za-z0-9_-]+)|\[(?:class|id)[*^$~|]?=[\"']?([A-Za-z0-9_ -]+)")
_ALL_NAMES = etree.XPath("//*/@class | //*/@id", smart_strings=False)


@lru_cache(maxsize=2048)
def _needles(selector: str) -> tuple[str, ...]:
    """Class / id text a simple selector needs on the page to match anything (none for combinators)."""
    if not _COMBINATORS.isdisjoint(selector.strip()):
        return ()
    return tuple(a or b for a, b in _NAME_PARTS.findall(selector))


@lru_cache(maxsize=2)
def _names_of(root: HtmlElement) -> str:
    return " ".join(_ALL_NAMES(root))


_BODY_TEXT = etree.XPath("string(//body)")


@lru_cache(maxsize=2)
def _text_of(root: HtmlElement) -> str:
    return _BODY_TEXT(root)


# Elements several readers need, gathered in one C-level pass (`iter` with a tag filter costs less than
# one `//tag` XPath scan, and there were six of those per page).
_TAGGED = ("meta", "link", "script", "title", "style", "h1", "article")


@lru_cache(maxsize=2)
def _tagged_of(root: HtmlElement) -> dict[str, list[HtmlElement]]:
    found: dict[str, list[HtmlElement]] = {tag: [] for tag in _TAGGED}
    for element in root.iter(*_TAGGED):
        found[element.tag].append(element)
    return found


def tagged(scope: HtmlElement, tag: str) -> list[HtmlElement]:
    """The page's elements of one of the tags in `_TAGGED` (meta, link, script, title, style, h1,
    article), in document order: read once per page for every reader."""
    return _tagged_of(scope.getroottree().getroot())[tag]


def body_text(scope: HtmlElement) -> str:
    """All text of the page's <body> (scripts included): for "is this text anywhere?" tests, read
    once per page."""
    return _text_of(scope.getroottree().getroot())


def page_names(scope: HtmlElement) -> str:
    """Every class and id value of the page, space-joined: read once per page (cached for the page
    being extracted), for cheap "could anything match?" tests before any scan."""
    return _names_of(scope.getroottree().getroot())


def _possible(scope: HtmlElement, selectors: tuple[str, ...]) -> tuple[str, ...]:
    """The selectors that can match on this page: one whose class / id names appear nowhere is
    dropped before any scan (most of a profile's fallbacks match nothing on a given page)."""
    if not any(_needles(selector) for selector in selectors):
        return selectors
    names = page_names(scope)
    return tuple(s for s in selectors if all(needle in names for needle in _needles(s)))


def css_any(scope: HtmlElement, selectors: tuple[str, ...]) -> list[HtmlElement]:
    """Elements matching any of the selectors, in document order: one scan instead of one per selector."""
    selectors = _possible(scope, selectors)
    return _compiled_union(selectors)(scope) if selectors else []


_NEVER = etree.XPath("false()")


@lru_cache(maxsize=64)
def _compiled_self_union(selectors: tuple[str, ...]) -> etree.XPath | None:
    """One XPath testing whether an element itself matches any of the selectors, or None when one
    of them has a combinator ("div p": the element alone cannot tell)."""
    if any(not _COMBINATORS.isdisjoint(selector.strip()) for selector in selectors):
        return None
    return etree.XPath(" | ".join(_TRANSLATOR.css_to_xpath(s, prefix="self::") for s in selectors))


def self_matcher(scope: HtmlElement, selectors: tuple[str, ...]) -> etree.XPath | None:
    """A test of one element against those of the selectors that can match on this page (see
    `_possible`): a handful of elements are tested for far less than one scan of the page finding
    every match. None when a selector needs the tree (a combinator)."""
    possible = _possible(scope, selectors)
    return _compiled_self_union(possible) if possible else _NEVER


def matches(element: HtmlElement, selector: str) -> bool:
    """Whether the element itself matches a CSS selector."""
    return bool(_compiled_self(selector)(element))


def xpath(scope: HtmlElement, expression: str, **variables: Any) -> list[Any]:
    """XPath result list; `$name` variables are passed as keyword arguments."""
    return _compiled_xpath(expression)(scope, **variables)


def by_selector(scope: HtmlElement, selectors: tuple[str, ...]) -> list[tuple[str, list[HtmlElement]]]:
    """(selector, its matches in document order) for each selector that matches, in selector order,
    from one scan of the tree."""
    selectors = _possible(scope, selectors)
    if not selectors:
        return []
    found = css_any(scope, selectors)
    if not found:
        return []
    if len(selectors) == 1:
        return [(selectors[0], found)]
    result = []
    for selector in selectors:
        if _COMBINATORS.isdisjoint(selector):
            hits = [element for element in found if matches(element, selector)]
        else:  # "article h1": the element alone cannot tell, ask the tree
            hits = css(scope, selector)
        if hits:
            result.append((selector, hits))
    return result


def first_match(scope: HtmlElement, selectors: Iterable[str]) -> HtmlElement | None:
    """First element matched by the first selector that matches anything."""
    for selector in selectors:
        found = css(scope, selector)
        if found:
            return found[0]
    return None


def first_text(scope: HtmlElement, selectors: Iterable[str]) -> tuple[str, str]:
    """(text, selector) of the first matched element with visible text; ("", "") if none."""
    for selector in selectors:
        for element in css(scope, selector):
            text = element_text(element)
            if text:
                return text, selector
    return "", ""


def xpath_literal(text: str) -> str:
    """`text` as an XPath 1.0 string literal: XPath has no escapes, so both quotes need concat()."""
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    return "concat(" + ", \"'\", ".join(f"'{part}'" for part in text.split("'")) + ")"
