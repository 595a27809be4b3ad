"""One generic news spider; a site profile says where to start, what to follow and what to extract."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import datetime, timezone
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from lxml import etree
from lxml.html import HtmlElement
from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse, XmlResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.extract import extract_from_tree
from crawler.items import ARCHIVED_LINKS_META, CAPTURED_AT_META, RECORD_ID_META, ArticleItem
from crawler.sites import SiteProfile, load_profile
from archive.urls import canonical_url

logger = logging.getLogger(__name__)


class NewsSpider(Spider):
    """Crawls a publisher's home and section pages, their pagination, and every article they reach.

    Article pages are followed from listings and from other articles (the "Similar stories" block
    included), so articles reachable only through another article are archived too.
    """

    name = "news"
    profile_name: ClassVar[str] = ""
    # 304: an archived article that has not changed since (a revisit record holds it)
    handle_httpstatus_list: ClassVar[tuple[int, ...]] = (304,)  # a tuple: class state is never mutated

    def __init__(self, *args: Any, profile: SiteProfile, base_url: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.profile = profile
        self.site_name = profile.name
        self._requested: set[str] = set()  # each URL is requested once; saves the dupefilter's work
        self._verdicts: dict[str, str | None] = {}  # site-absolute href -> URL to follow, or None
        self.base_url = (base_url or profile.default_base_url).rstrip("/")
        if not self.base_url:
            raise ValueError(f"the {profile.name!r} profile has no default_base_url: give a base URL "
                             "(newsarchive crawl --base-url URL, or -s ARCHIVE_BASE_URL=URL)")
        # a mirror or local copy is crawled on its own: its absolute links to the live site are not followed
        self.allowed_hosts = frozenset(
            profile.allowed_hosts(self.base_url) if not base_url else _same_site(self.base_url)
        )

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        settings = crawler.settings
        profile_ref = kwargs.pop("profile", None) or settings.get("ARCHIVE_PROFILE_PATH") or cls.profile_name
        if not profile_ref:
            raise ValueError("the news spider needs a site profile: -a profile=NAME_OR_PATH")
        kwargs.setdefault("base_url", settings.get("ARCHIVE_BASE_URL") or "")
        profile = load_profile(profile_ref)
        return super().from_crawler(crawler, *args, profile=profile, **kwargs)

    async def start(self) -> AsyncIterator[Request]:
        for url in self.profile.start_urls(self.base_url):
            yield Request(url, callback=self.parse, errback=self.failed)

    def failed(self, failure: Failure) -> None:
        """A page that could not be archived as a success, after retries: counted by kind, so
        the run's exit code and its `crawl_runs` row say how much of the site was missed."""
        if failure.check(IgnoreRequest) and not failure.check(HttpError):
            return  # skipped on purpose (robots.txt, re-crawl policy), not a failure
        if failure.check(HttpError):
            kind = f"http_{failure.value.response.status}"
        else:
            kind = failure.type.__name__ if failure.type else "error"
        self.crawler.stats.inc_value("archive/failed_pages")
        self.crawler.stats.inc_value(f"archive/failed_pages/{kind}")
        logger.warning("Could not archive %s: %s", failure.request.url, kind)

    def parse(self, response: Response) -> Iterator[Request | ArticleItem]:
        self.crawler.stats.inc_value("archive/pages")
        if response.status == 304:
            self.crawler.stats.inc_value("archive/articles/unchanged")
            yield from self._requests(response.meta.get(ARCHIVED_LINKS_META, ()))
            return
        if not isinstance(response, TextResponse):
            self.crawler.stats.inc_value("archive/skipped/not_text")
            return
        if isinstance(response, XmlResponse):  # RSS/Atom feeds and sitemaps: discovery only
            hrefs = _FEED_LINKS(response.selector.root)
            yield from self._requests(self._resolve(response.url, href) for href in hrefs)
            return
        if self.profile.may_be_article(response.url):
            item = self._article(response)
            if item is not None:
                yield item
        yield from self._follow(response)

    def _article(self, response: TextResponse) -> ArticleItem | None:
        page = response.selector.root
        try:
            if not isinstance(page, HtmlElement):
                raise TypeError(f"not an HTML page: {type(response).__name__}")
            article = extract_from_tree(page, response.url, self.profile)
        except Exception:  # a page the extractor cannot read is a recorded failure, not a dead crawl
            logger.exception("Extraction failed for %s", response.url)
            self.crawler.stats.inc_value("archive/extract_errors")
            return None
        if article is None:
            self.crawler.stats.inc_value("archive/not_an_article")
            return None
        return ArticleItem(
            article=article,
            response_record_id=response.meta.get(RECORD_ID_META, ""),
            captured_at=response.meta.get(CAPTURED_AT_META) or datetime.now(timezone.utc),
        )

    def _follow(self, response: TextResponse) -> Iterator[Request]:
        # lxml directly: wrapping ~80 links a page in parsel Selectors costs more than the parse
        hrefs = _PAGE_LINKS(response.selector.root)
        yield from self._requests(self._resolve(response.url, href) for href in hrefs)

    def _requests(self, urls: Iterable[str | None]) -> Iterator[Request]:
        for url in urls:
            if url is not None and url not in self._requested:
                self._requested.add(url)
                yield Request(url, callback=self.parse, errback=self.failed)

    def _resolve(self, page_url: str, href: str) -> str | None:
        """The canonical URL to follow for a link, or None. Site-absolute links (nav, listings,
        Similar stories) repeat on every page, so their verdicts are cached."""
        href = href.strip()
        if not href.startswith(("/", "http:", "https:")) or href.startswith("//"):
            return self._followable(page_url, href)
        if href not in self._verdicts:
            self._verdicts[href] = self._followable(page_url, href)
        return self._verdicts[href]

    def _followable(self, page_url: str, href: str) -> str | None:
        if not href or href.startswith(("#", "mailto:", "javascript:", "tel:", "data:")):
            return None
        url = canonical_url(urljoin(page_url, href))
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.hostname not in self.allowed_hosts:
            return None
        profile = self.profile
        if profile.is_listing_url(url):
            return _first_page_unnumbered(url, profile.pagination_param)
        if profile.is_article_url(url) or profile.is_followable_url(url):
            return url
        if profile.follow_all and not profile.is_denied_url(url) and not parts.path.lower().endswith(_STATIC_FILE_SUFFIXES):
            return url
        return None


# Links a page offers: anchors, rel=next in the head, and its RSS/Atom feeds (discovery for any site).
_PAGE_LINKS = etree.XPath(
    "//a/@href | /html/head/link[@rel='next']/@href"
    " | /html/head/link[@rel='alternate'][contains(@type, 'rss') or contains(@type, 'atom')]/@href"
)
# Links a feed or sitemap offers: <loc> (sitemaps), <link> text (RSS) and <link href> (Atom).
_FEED_LINKS = etree.XPath(
    "//*[local-name()='loc']/text() | //*[local-name()='item']/*[local-name()='link']/text()"
    " | //*[local-name()='entry']/*[local-name()='link']/@href"
)
_STATIC_FILE_SUFFIXES = (
    ".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".ico", ".css", ".js", ".json", ".pdf", ".zip", ".gz",
    ".mp3", ".mp4", ".m4a", ".mov", ".avi", ".webm", ".woff", ".woff2", ".ttf", ".eot", ".doc", ".docx",
    ".xls", ".xlsx", ".ppt", ".pptx", ".epub",
)


def _same_site(base_url: str) -> list[str]:
    """The base URL's host and its www./bare twin: the site a generic crawl stays on."""
    host = urlsplit(base_url).hostname or ""
    if "." not in host or host.replace(".", "").isdigit():
        return [host]
    return [host, host[4:] if host.startswith("www.") else f"www.{host}"]


def _first_page_unnumbered(url: str, param: str) -> str:
    """Drupal pagers link the first page as `?page=0`; it is the bare listing, fetched once."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if (param, "0") not in query:
        return url
    remaining = [(name, value) for name, value in query if (name, value) != (param, "0")]
    return urlunsplit(parts._replace(query=urlencode(remaining)))
