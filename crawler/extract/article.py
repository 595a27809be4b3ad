"""The extracted article: what the metadata WARC record carries and the database indexes.

`Article.to_record()` is the JSON payload of the WARC `metadata` record. It is the contract between
the crawler and `archive/` (ingest and reindex read it back), so its keys only ever grow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RECORD_SCHEMA = "newsarchive/article/1"


@dataclass(frozen=True, slots=True)
class SimilarStory:
    """One link from the article's "Similar stories" block, with the line shown beside it."""

    url: str
    title: str = ""
    section: str = ""
    date: str = ""  # as shown on the page, e.g. "22 August 2025"


@dataclass(frozen=True, slots=True)
class Author:
    """One byline entry: a person or an organisation (a news agency, "Staff reporter" desks)."""

    name: str
    kind: str = "person"  # "person" or "organization"
    url: str = ""


@dataclass(frozen=True, slots=True)
class PaywallMarker:
    """What the page said about its paywall, and where the free part ends.

    `signals` lists every signal that said "paywalled" (e.g. "text:free-limit", "css:#paywall-overlay",
    "jsonld:isAccessibleForFree=false", "piano:.tp-modal"); `free_signals` those that said "free"
    ("jsonld:isAccessibleForFree=true"). `decided_by` names the rule of `crawler.extract.paywall`
    that settled `paywalled`, and `conflict` is true when signals disagreed.
    """

    paywalled: bool | None  # None: no signal either way and the profile does not say
    # "truncated" (server cut the text), "overlay" (text in page), "hard" (no text), "metered" (a meter:
    # the whole text is free to a fresh visitor), None
    kind: str | None = None
    signals: tuple[str, ...] = ()  # e.g. ("text:free-limit", "css:#paywall-overlay")
    free_paragraphs: int = 0
    free_words: int = 0
    locked_text_in_page: bool = False  # the locked text was in the HTML (client-side overlay, CSS-hidden)
    free_signals: tuple[str, ...] = ()  # signals that said "free", e.g. ("jsonld:isAccessibleForFree=true",)
    decided_by: str = ""  # "wall", "declared", "weak", "default" or "none": see crawler.extract.paywall
    conflict: bool = False  # some signals said paywalled and others free
    locked_paragraphs: int = 0  # paragraphs of locked text present in the HTML, excluded from free_text
    locked_words: int = 0
    systems: tuple[str, ...] = ()  # paywall systems present on the page, firing or not ("piano", "amp-access")


@dataclass(frozen=True, slots=True)
class Article:
    """Everything extracted from one article page. Pure data; built by `extract_article`."""

    url: str  # canonical URL (rel=canonical / og:url, tracking parameters stripped)
    fetched_url: str  # the URL whose response this was extracted from
    site: str  # profile name, e.g. "morningstar"
    title: str
    free_text: str  # body paragraphs before the paywall, joined by "\n\n"
    paywall: PaywallMarker
    standfirst: str = ""
    authors: tuple[str, ...] = ()
    published_at: str | None = None  # UTC ISO-8601, "2026-02-20T09:30:00+00:00"
    updated_at: str | None = None
    section: str = ""
    lead_image_url: str = ""
    lead_image_caption: str = ""
    language: str = ""
    similar: tuple[SimilarStory, ...] = ()
    word_count: int = 0  # words in free_text
    profile_version: str = ""
    extractor_version: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # extra["sources"]: where each field came from
    author_details: tuple[Author, ...] = ()  # `authors` with their kind (person / organization) and URL
    tags: tuple[str, ...] = ()  # keywords and topic tags, in page order, duplicates dropped
    publisher: str = ""  # e.g. "Morning Star"
    article_type: str = ""  # schema.org type when declared: "NewsArticle", "LiveBlogPosting", "ImageGallery"

    def to_record(self) -> dict[str, Any]:
        """The JSON object stored in the article's WARC metadata record."""
        # built by hand: dataclasses.asdict deep-copies every value, once per article
        payload = {name: getattr(self, name) for name in self.__dataclass_fields__}
        payload["authors"] = list(self.authors)
        payload["paywall"] = {
            name: getattr(self.paywall, name) for name in PaywallMarker.__dataclass_fields__
        }
        for name, value in payload["paywall"].items():
            if isinstance(value, tuple):
                payload["paywall"][name] = list(value)
        payload["similar"] = [
            {name: getattr(story, name) for name in SimilarStory.__dataclass_fields__}
            for story in self.similar
        ]
        payload["author_details"] = [
            {name: getattr(author, name) for name in Author.__dataclass_fields__} for author in self.author_details
        ]
        payload["tags"] = list(self.tags)
        payload["extra"] = dict(self.extra)
        payload["schema"] = RECORD_SCHEMA
        return payload

    @classmethod
    def from_record(cls, payload: dict[str, Any]) -> Article:
        """Inverse of `to_record`, used by reindex; unknown keys from newer writers are ignored."""
        known = {name for name in cls.__dataclass_fields__}
        values = {key: value for key, value in payload.items() if key in known}
        values["authors"] = tuple(values.get("authors", ()))
        marker_fields = PaywallMarker.__dataclass_fields__
        values["paywall"] = PaywallMarker(**{
            name: tuple(value) if isinstance(value, list) else value
            for name, value in payload["paywall"].items() if name in marker_fields
        })
        values["similar"] = tuple(SimilarStory(**story) for story in values.get("similar", ()))
        values["author_details"] = tuple(Author(**author) for author in values.get("author_details", ()))
        values["tags"] = tuple(values.get("tags", ()))
        return cls(**values)
