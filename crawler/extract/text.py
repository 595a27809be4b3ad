"""Whitespace rules shared by every extracted field, so truth and output compare exactly."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from lxml.html import HtmlElement

_SKIP = frozenset({"script", "style", "noscript", "template"})


def collapse(text: str | None) -> str:
    """Runs of whitespace (incl. NBSP) to one space, trimmed."""
    return " ".join(text.split()) if text else ""


def _gather(element: HtmlElement, parts: list[str]) -> None:
    """Text and tails in document order, skipping script/style subtrees; a loop with its own stack,
    because a hostile page can nest elements deeper than Python's recursion limit."""
    if element.text and isinstance(element.tag, str):
        parts.append(element.text)
    stack = [iter(element)]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
            continue
        if isinstance(child.tag, str) and child.tag not in _SKIP:
            if child.text:
                parts.append(child.text)
            if len(child):
                stack.append(_with_tail(child))
                continue
        if child.tail:
            parts.append(child.tail)


def _with_tail(element: HtmlElement) -> Iterator[Any]:
    """The element's children, then a sentinel carrying the element's own tail."""
    yield from element
    if element.tail:
        yield _Tail(element.tail)


class _Tail:
    """Stands in for an element's tail in `_gather`'s stack: no tag, only a tail."""

    tag = None
    text = None

    def __init__(self, tail: str) -> None:
        self.tail = tail

    def __len__(self) -> int:
        return 0


def element_text(element: HtmlElement) -> str:
    """Visible text of an element, collapsed; comments, scripts and styles inside it are skipped."""
    parts: list[str] = []
    _gather(element, parts)
    return collapse("".join(parts))


def word_count(paragraphs: Iterable[str]) -> int:
    """Whitespace-separated words, the measure `Article.word_count` uses."""
    return sum(len(paragraph.split()) for paragraph in paragraphs)
