"""One generic news spider; a site profile says where to start, what to follow and what to extract."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import replace
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

from archive.urls import canonical_url
from crawler.extract import extract_from_tree
from crawler.extract.article import Article
from crawler.items import (
    ARCHIVED_LINKS_META,
    ArchivedArticleSkipped,
    CAPTURED_AT_META,
    RECORD_ID_META,
    TRUNCATED_META,
    ArticleItem,
    SessionProvider,
    UndecodableResponse,
)
from crawler.parsed import parsed_page
from crawler.robots_meta import robots_directives
from crawler.scope import SiteScope
from crawler.sites import SiteProfile, load_profile
from crawler.traps import TrapGuard, TrapLimits

logger = logging.getLogger(__name__)

MAX_RECORDED_FAILURES = 5000  # per run: enough for any real site, bounded for a hostile one


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
        self.scope = (
            SiteScope.of(profile.hosts, self.base_url) if not base_url else _same_site(self.base_url)
        )
        self.allowed_hosts = self.scope.hosts
        self.traps = TrapGuard(TrapLimits(0, 0, 0))  # from_crawler sets the configured limits
        self.obey_noarchive = False
        self.failed_urls: dict[str, str] = {}  # this run's failures, recorded with the run
        self.previous_failures: dict[str, str] = {}  # the previous run's, read at start

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        settings = crawler.settings
        # `newsarchive crawl` hands over the profile it loaded; `scrapy crawl` names one (-a profile=…)
        profile = kwargs.pop("profile", None) or settings.get("ARCHIVE_PROFILE_PATH") or cls.profile_name
        if not profile:
            raise ValueError("the news spider needs a site profile: -a profile=NAME_OR_PATH")
        kwargs.setdefault("base_url", settings.get("ARCHIVE_BASE_URL") or "")
        if not isinstance(profile, SiteProfile):
            profile = load_profile(profile)
        spider = super().from_crawler(crawler, *args, profile=profile, **kwargs)
        spider.traps = TrapGuard(TrapLimits.from_settings(settings))
        spider.obey_noarchive = settings.getbool("ARCHIVE_OBEY_NOARCHIVE")
        return spider

    async def start(self) -> AsyncIterator[Request]:
        capture = self.crawler.get_extension(SessionProvider)
        if capture is not None:  # its crawl session read them from the index before the crawl began
            self.previous_failures = capture.session.previous_failures
        for url in self.profile.start_urls(self.base_url):
            yield Request(url, callback=self.parse, errback=self.failed)

    def failed(self, failure: Failure) -> Iterator[Request] | None:
        """A page that could not be archived as a success, after retries: counted by kind, so
        the run's exit code and its `crawl_runs` row say how much of the site was missed.
        An old archived article skipped on purpose still leads to its archived Similar stories."""
        if failure.check(ArchivedArticleSkipped):
            links = failure.value.similar_links
            return self._requests((self._on_crawled_site(url) for url in links), failure)
        if failure.check(UndecodableResponse):
            kind = failure.value.kind  # archived raw, but its body cannot be read
        elif failure.check(IgnoreRequest) and not failure.check(HttpError):
            return  # skipped on purpose (robots.txt, re-crawl policy, off-site), not a failure
        elif failure.check(HttpError):
            kind = f"http_{failure.value.response.status}"
        else:
            kind = failure.type.__name__ if failure.type else "error"
        self._count_failure(kind, failure.request.url)

    def parse(self, response: Response) -> Iterator[Request | ArticleItem]:
        self.crawler.stats.inc_value("archive/pages")
        if response.status == 304:
            self.crawler.stats.inc_value("archive/articles/unchanged")
            links = response.meta.get(ARCHIVED_LINKS_META, ())
            yield from self._requests((self._on_crawled_site(url) for url in links), response)
            return
        if not isinstance(response, TextResponse):
            self.crawler.stats.inc_value("archive/skipped/not_text")
            return
        if isinstance(response, XmlResponse):  # RSS/Atom feeds and sitemaps: discovery only
            hrefs = _FEED_LINKS(parsed_page(response))
            yield from self._requests((self._resolve(response.url, href) for href in hrefs), response)
            return
        page = parsed_page(response)
        if response.meta.get(TRUNCATED_META):
            # only the start of the page decoded: its links are followed, its text is not indexed as an article
            self._count_failure("truncated_body", response.url, " (the compressed body ends early)")
        elif self.profile.may_be_article(response.url):
            item = self._article(response, page)
            if item is not None:
                yield item
        yield from self._follow(response, page)

    def _count_failure(self, kind: str, url: str, detail: str = "") -> None:
        """A page (or link) that could not be archived, by kind. One that failed the same way in
        the site's previous run is reported, but counted apart (`repeated`), not as a new failure."""
        if len(self.failed_urls) < MAX_RECORDED_FAILURES:
            self.failed_urls[url] = kind
        stats = self.crawler.stats
        if self.previous_failures.get(url) == kind:
            stats.inc_value("archive/failed_pages/repeated")
            logger.info("Still failing as in the previous run: %s: %s%s", url, kind, detail)
            return
        stats.inc_value("archive/failed_pages")
        stats.inc_value(f"archive/failed_pages/{kind}")
        logger.warning("Could not archive %s: %s%s", url, kind, detail)

    def _article(self, response: TextResponse, page: etree._Element) -> ArticleItem | None:
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
        self.traps.article_found(response.url)
        article = _similar_on_canonical_site(article)
        directives = robots_directives(response.headers.getlist("X-Robots-Tag"), page)
        if directives:
            article.extra["robots"] = list(directives)  # recorded, obeyed or not
        if "noarchive" in directives or "none" in directives:
            self.crawler.stats.inc_value("archive/articles/noarchive")
            if self.obey_noarchive:
                logger.info("Not indexing %s: noarchive (ARCHIVE_OBEY_NOARCHIVE)", response.url)
                return None
        return ArticleItem(
            article=article,
            response_record_id=response.meta.get(RECORD_ID_META, ""),
            captured_at=response.meta.get(CAPTURED_AT_META) or datetime.now(timezone.utc),
        )

    def _follow(self, response: TextResponse, page: etree._Element) -> Iterator[Request]:
        # lxml directly: wrapping ~80 links a page in parsel Selectors costs more than the parse
        hrefs = _PAGE_LINKS(page)
        yield from self._requests((self._resolve(response.url, href) for href in hrefs), response)

    def _requests(self, urls: Iterable[str | None], source: Response | Failure | None = None) -> Iterator[Request]:
        depth = _depth(source) + 1
        for url in urls:
            if url is None or url in self._requested:
                continue
            self._requested.add(url)
            profile = self.profile
            is_listing = profile.is_listing_url(url)
            trap = self.traps.refusal(url, depth, pagination_param=profile.pagination_param,
                                      is_listing=is_listing, is_article=profile.is_article_url(url))
            if trap is not None:
                self.crawler.stats.inc_value("archive/skipped/trap")
                self.crawler.stats.inc_value(f"archive/skipped/trap/{trap}")
                logger.debug("Not following %s: trap limit %s", url, trap)
                continue
            yield Request(url, callback=self.parse, errback=self.failed)

    def _on_crawled_site(self, url: str) -> str:
        """An indexed link of the live site (Similar stories are indexed under the canonical site)
        moved to the site being crawled, when that is a mirror."""
        parts = urlsplit(url)
        if parts.hostname in self.profile.hosts and not self.scope.allows(url):
            base = urlsplit(self.base_url)
            return urlunsplit(parts._replace(scheme=base.scheme, netloc=base.netloc))
        return url

    def _resolve(self, page_url: str, href: str) -> str | None:
        """The canonical URL to follow for a link, or None. Site-absolute links (nav, listings,
        Similar stories) repeat on every page, so their verdicts are cached."""
        href = href.strip()
        if not href.startswith(("/", "http:", "https:")) or href.startswith("//"):
            return self._checked(page_url, href)
        if href not in self._verdicts:
            self._verdicts[href] = self._checked(page_url, href)
        return self._verdicts[href]

    def _checked(self, page_url: str, href: str) -> str | None:
        """`_followable`, with a malformed link (port out of range, broken IPv6 literal) skipped and
        counted as a failure, so it never hides the page's other links."""
        try:
            return self._followable(page_url, href)
        except ValueError as exc:
            self._count_failure("malformed_link", href, f" (on {page_url}: {exc})")
            return None

    def _followable(self, page_url: str, href: str) -> str | None:
        if not href or href.startswith(("#", "mailto:", "javascript:", "tel:", "data:")):
            return None
        url = canonical_url(urljoin(page_url, href))
        parts = urlsplit(url)
        if not self.scope.allows(url):
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


def _similar_on_canonical_site(article: Article) -> Article:
    """Similar-story links of a page fetched from a mirror, moved to the article's canonical site:
    `articles.url` is canonical, so `article_links.url` must be too, or no link resolves."""
    canonical, fetched = urlsplit(article.url), urlsplit(article.fetched_url)
    if (canonical.scheme, canonical.netloc) == (fetched.scheme, fetched.netloc) or not canonical.netloc:
        return article
    moved = []
    for story in article.similar:
        parts = urlsplit(story.url)
        if (parts.scheme, parts.netloc) == (fetched.scheme, fetched.netloc):
            story = replace(story, url=urlunsplit(parts._replace(scheme=canonical.scheme, netloc=canonical.netloc)))
        moved.append(story)
    return replace(article, similar=tuple(moved))


def _depth(response: Response | Failure | None) -> int:
    """The link depth Scrapy's depth middleware gave the page (0 for a start page)."""
    request = getattr(response, "request", None)
    return request.meta.get("depth", 0) if request is not None else 0


def _same_site(base_url: str) -> SiteScope:
    """The base URL's host and port, and its www./bare twin on the same port: the site a generic
    crawl, or a crawl of a mirror, stays on."""
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    if "." not in host or host.replace(".", "").isdigit() or ":" in host:
        return SiteScope.of((), base_url)
    twin = host[4:] if host.startswith("www.") else f"www.{host}"
    return SiteScope.of((), base_url).union(SiteScope.of((), base_url.replace(host, twin, 1)))


def _first_page_unnumbered(url: str, param: str) -> str:
    """Drupal pagers link the first page as `?page=0`; it is the bare listing, fetched once."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if (param, "0") not in query:
        return url
    remaining = [(name, value) for name, value in query if (name, value) != (param, "0")]
    return urlunsplit(parts._replace(query=urlencode(remaining)))
