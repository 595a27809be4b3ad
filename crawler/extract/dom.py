"""Compiled, cached CSS/XPath queries on lxml elements: each expression is compiled once per process,
which is most of the cost of a query on a 25 KB page."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from lxml import etree
from lxml.html import HtmlElement
from parsel.csstranslator import HTMLTranslator

from .text import element_text

_TRANSLATOR = HTMLTranslator()


@lru_cache(maxsize=2048)
def _compiled_css(selector: str) -> etree.XPath:
    return etree.XPath(_TRANSLATOR.css_to_xpath(selector))


@lru_cache(maxsize=256)
def _compiled_xpath(expression: str) -> etree.XPath:
    return etree.XPath(expression)


def css(scope: HtmlElement, selector: str) -> list[HtmlElement]:
    """Elements under (or at) `scope` matching a CSS selector, in document order."""
    return _compiled_css(selector)(scope)


def xpath(scope: HtmlElement, expression: str, **variables: Any) -> list[Any]:
    """XPath result list; `$name` variables are passed as keyword arguments."""
    return _compiled_xpath(expression)(scope, **variables)


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
