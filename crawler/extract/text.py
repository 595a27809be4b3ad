"""Whitespace rules shared by every extracted field, so truth and output compare exactly."""

from __future__ import annotations

from collections.abc import Iterable

from lxml.html import HtmlElement

_SKIP = frozenset({"script", "style", "noscript", "template"})


def collapse(text: str | None) -> str:
    """Runs of whitespace (incl. NBSP) to one space, trimmed."""
    return " ".join(text.split()) if text else ""


def _gather(element: HtmlElement, parts: list[str]) -> None:
    if element.text and isinstance(element.tag, str):
        parts.append(element.text)
    for child in element:
        if isinstance(child.tag, str) and child.tag not in _SKIP:
            _gather(child, parts)
        if child.tail:
            parts.append(child.tail)


def element_text(element: HtmlElement) -> str:
    """Visible text of an element, collapsed; comments, scripts and styles inside it are skipped."""
    parts: list[str] = []
    _gather(element, parts)
    return collapse("".join(parts))


def word_count(paragraphs: Iterable[str]) -> int:
    """Whitespace-separated words, the measure `Article.word_count` uses."""
    return sum(len(paragraph.split()) for paragraph in paragraphs)
