"""The site's public data: pages as the server sends them and the ground truth a crawler must recover."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

BASE_PLACEHOLDER = "{base}"
"""Stands for "scheme://host:port" in bodies and headers; the server fills it from the Host header."""
CDN_PLACEHOLDER = "{cdn}"
"""Stands for the CDN's origin (the server's companion port), where some requisites live."""


@dataclass(frozen=True, slots=True)
class Page:
    """One response. `body` and header values may hold `{base}`; `render` fills it per request."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    etag: bool = True  # False: the server sends no ETag and ignores If-None-Match for this page

    def render(self, base: str, cdn: str | None = None) -> tuple[list[tuple[str, str]], bytes]:
        """Headers and body with `{base}` replaced by an origin such as "http://127.0.0.1:8000", and
        `{cdn}` by the CDN's origin (`base` when there is none)."""
        cdn = cdn or base
        headers = [(name, value.replace(BASE_PLACEHOLDER, base).replace(CDN_PLACEHOLDER, cdn))
                   for name, value in self.headers]
        body = self.body.replace(BASE_PLACEHOLDER.encode("ascii"), base.encode("ascii"))
        return headers, body.replace(CDN_PLACEHOLDER.encode("ascii"), cdn.encode("ascii"))

    def header(self, name: str) -> str | None:
        """First value of header `name` (case-insensitive), unrendered."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


@dataclass(frozen=True, slots=True)
class ArticleTruth:
    """What an ideal extractor returns for one article; the test oracle."""

    path: str
    title: str
    section: str
    published_at: str
    authors: tuple[str, ...]
    standfirst: str
    paywalled: bool | None  # None: the page carries no paywall signal and the profile does not say
    paywall_kind: str | None
    free_text: str
    free_paragraphs: int
    similar: tuple[str, ...]
    only_via_similar: bool
    encoding: str
    reachable: bool
    template: str
    variants: tuple[str, ...] = ()  # which special cases this page exercises, e.g. ("malformed",)
    # Fields below are stated by the second publisher and the variant pages; None means "not stated".
    canonical: str | None = None  # path of the canonical URL when it is not `path` (an AMP page)
    updated_at: str | None = None
    author_kinds: tuple[str, ...] | None = None  # "person" / "organization", one per author
    tags: tuple[str, ...] | None = None
    language: str | None = None
    publisher: str | None = None
    lead_image: str | None = None  # path of the lead image
    article_type: str | None = None
    locked_text_in_page: bool | None = None
    signals: tuple[str, ...] | None = None  # paywall signals that must be among those recorded
    free_signals: tuple[str, ...] | None = None
    decided_by: str | None = None
    conflict: bool | None = None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-ready dict (tuples become lists)."""
        data = asdict(self)
        data["authors"] = list(self.authors)
        data["similar"] = list(self.similar)
        data["variants"] = list(self.variants)
        for name, value in data.items():
            if isinstance(value, tuple):
                data[name] = list(value)
        return data


@dataclass(slots=True)
class Site:
    """Every page the server knows, keyed by path plus query exactly as requested."""

    pages: dict[str, Page]
    truth: dict[str, ArticleTruth]
    robots_disallowed: list[str]
    not_found: Page
    links: dict[str, tuple[str, ...]] = field(default_factory=dict)  # special links by purpose

    def lookup(self, path_with_query: str) -> Page:
        """The page for a request target; article paths ignore unknown query strings, as Drupal does."""
        page = self.pages.get(path_with_query)
        if page is not None:
            return page
        path, _, query = path_with_query.partition("?")
        if query and (path.startswith("/article/") or path in self.truth) and path in self.pages:
            return self.pages[path]
        return self.not_found

    def truth_json(self) -> str:
        """Ground truth for every article as one JSON document, sorted by path."""
        rows = [self.truth[path].to_json() for path in sorted(self.truth)]
        return json.dumps(rows, ensure_ascii=False, indent=2)
