"""Compares an extracted article with the ground truth, field by field: shared by the tests and by
`benchmarks/extraction_accuracy.py`, so both judge "right" the same way.

Takes any object with the `crawler.extract.Article` attributes (this package never imports the crawler).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from .model import ArticleTruth

# The fields of the README's accuracy table, in its column order.
SCORED = ("paywalled", "free_text", "title", "published_at", "authors", "section")


def observed(article: Any) -> dict[str, Any]:
    """The article's values under the names `ArticleTruth` uses."""
    marker = article.paywall
    return {
        "path": urlsplit(article.url).path, "title": article.title, "section": article.section,
        "published_at": article.published_at, "authors": tuple(article.authors),
        "standfirst": article.standfirst, "paywalled": marker.paywalled, "paywall_kind": marker.kind,
        "free_text": article.free_text, "free_paragraphs": marker.free_paragraphs,
        "similar": tuple(urlsplit(story.url).path for story in article.similar),
        "updated_at": article.updated_at,
        "author_kinds": tuple(author.kind for author in article.author_details),
        "tags": tuple(article.tags), "language": article.language, "publisher": article.publisher,
        "lead_image": urlsplit(article.lead_image_url).path if article.lead_image_url else "",
        "article_type": article.article_type, "locked_text_in_page": marker.locked_text_in_page,
        "signals": tuple(marker.signals), "free_signals": tuple(marker.free_signals),
        "decided_by": marker.decided_by, "conflict": marker.conflict,
    }


def differences(article: Any, truth: ArticleTruth) -> dict[str, tuple[Any, Any]]:
    """{field: (observed, expected)} for every field the truth states and the article gets wrong."""
    seen = observed(article)
    expected: dict[str, Any] = {
        "path": truth.canonical or truth.path, "title": truth.title, "section": truth.section,
        "published_at": truth.published_at, "authors": truth.authors, "standfirst": truth.standfirst,
        "paywalled": truth.paywalled, "paywall_kind": truth.paywall_kind, "free_text": truth.free_text,
        "free_paragraphs": truth.free_paragraphs, "similar": truth.similar,
    }
    for name in ("updated_at", "author_kinds", "tags", "language", "publisher", "lead_image", "article_type",
                 "locked_text_in_page", "free_signals", "decided_by", "conflict"):
        value = getattr(truth, name)
        if value is not None:
            expected[name] = value
    wrong = {name: (seen[name], value) for name, value in expected.items() if seen[name] != value}
    if truth.signals is not None:  # the signals the page must have fired (more may fire)
        missing = tuple(signal for signal in truth.signals if signal not in seen["signals"])
        if missing or (not truth.signals and seen["signals"]):
            wrong["signals"] = (seen["signals"], truth.signals)
    return wrong


def scored(article: Any | None, truth: ArticleTruth) -> dict[str, bool]:
    """Right or wrong for each field of the accuracy table (a page not extracted is wrong on all)."""
    if article is None:
        return {name: False for name in SCORED}
    seen = observed(article)
    return {name: seen[name] == getattr(truth, name) for name in SCORED}
