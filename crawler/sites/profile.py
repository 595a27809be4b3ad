"""A publisher's site profile: URL rules and extraction hints, loaded from TOML (see `loader`)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urljoin, urlsplit

from archive.urls import is_tracking_param

from .patterns import SafePattern


@dataclass(frozen=True, slots=True)
class Selectors:
    """Ordered CSS fallbacks per field: the first selector that yields text wins."""

    headline: tuple[str, ...]
    standfirst: tuple[str, ...]
    byline: tuple[str, ...]
    byline_names: tuple[str, ...]
    date: tuple[str, ...]
    section: tuple[str, ...]
    body: tuple[str, ...]
    paragraphs: tuple[str, ...]
    lead_image: tuple[str, ...]
    lead_image_caption: tuple[str, ...]
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SimilarRules:
    """How to find the "Similar stories" block and read each story in it."""

    headings: tuple[str, ...]
    blocks: tuple[str, ...]
    items: tuple[str, ...]
    titles: tuple[str, ...]
    meta_pattern: SafePattern | None


@dataclass(frozen=True, slots=True)
class PaywallRules:
    """Markers that say the page is paywalled and where the free part stops."""

    selectors: tuple[str, ...]  # the wall: the free text ends where one of these begins
    text_markers: tuple[tuple[str, str], ...]  # (signal id, text), e.g. ("free-limit", "You have reached…")
    default_paywalled: bool | None
    locked_selectors: tuple[str, ...] = ()  # elements holding locked text that is still in the page
    url_paths: tuple[SafePattern, ...] = ()  # premium sections: every article under these paths is paywalled


@dataclass(frozen=True, slots=True)
class ChromeRules:
    """Page furniture (appeals, newsletter boxes, menus) that must never reach the article text."""

    selectors: tuple[str, ...]
    texts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SiteProfile:
    """Everything the spider and the extractor know about one publisher."""

    name: str
    version: str
    source: str  # file the profile was loaded from, for messages
    default_base_url: str
    hosts: tuple[str, ...]
    timezone: str
    language: str
    start_paths: tuple[str, ...]
    article_paths: tuple[SafePattern, ...]
    listing_paths: tuple[SafePattern, ...]
    deny_paths: tuple[SafePattern, ...]
    follow_paths: tuple[SafePattern, ...]
    pagination_param: str
    selectors: Selectors
    similar: SimilarRules
    paywall: PaywallRules
    chrome: ChromeRules
    publisher: str = ""  # the publisher's name, for `newsarchive sites` and as a fallback for Article.publisher
    description: str = ""
    date_formats: tuple[str, ...] = ()  # strptime formats of the visible dates, tried before dateparser
    articles_by_markup: bool = False  # any page can be an article: recognised by its markup, not its URL
    follow_all: bool = False  # follow every same-site link (except deny_paths and static files)

    def start_urls(self, base_url: str) -> list[str]:
        """Home page and section listings under `base_url` (the live site or a local copy)."""
        return [urljoin(base_url, path) for path in self.start_paths]

    def allowed_hosts(self, base_url: str) -> list[str]:
        """Host names the crawl may visit: the profile's own plus the host of `base_url`."""
        hosts = list(self.hosts)
        extra = urlsplit(base_url).hostname
        if extra and extra not in hosts:
            hosts.append(extra)
        return hosts

    def is_article_url(self, url: str) -> bool:
        """True when the URL's path has the shape of an article page."""
        path = urlsplit(url).path
        return any(pattern.search(path) for pattern in self.article_paths)

    def may_be_article(self, url: str) -> bool:
        """True when a page fetched from `url` should go through extraction: its URL has the
        article shape, or the profile recognises articles by their markup alone."""
        if self.articles_by_markup:
            return not self.is_denied_url(url)
        return self.is_article_url(url)

    def is_premium_url(self, url: str) -> bool:
        """True under the paths the profile marks as paywalled (`paywall.url_paths`)."""
        path = urlsplit(url).path
        return any(pattern.search(path) for pattern in self.paywall.url_paths)

    def is_listing_url(self, url: str) -> bool:
        """True for the home page and section listings, with at most the pagination parameter."""
        parts = urlsplit(url)
        if not any(pattern.search(parts.path or "/") for pattern in self.listing_paths):
            return False
        params = {name for name, _ in parse_qsl(parts.query, keep_blank_values=True)}
        return all(name == self.pagination_param or is_tracking_param(name) for name in params)

    def is_followable_url(self, url: str) -> bool:
        """True for other pages worth fetching for their links (old URLs that redirect, feeds)."""
        path = urlsplit(url).path
        return not self.is_denied_url(url) and any(pattern.search(path) for pattern in self.follow_paths)

    def is_denied_url(self, url: str) -> bool:
        """True for paths the profile says never hold articles (login, search, print copies)."""
        path = urlsplit(url).path
        return any(pattern.search(path) for pattern in self.deny_paths)
