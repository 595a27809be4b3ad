"""Page requisites: what a browser loads to show an archived page, fetched so that it replays as it looked.

For every HTML page a spider receives, `RequisitesMiddleware` (a spider middleware, so it works
under any spider) finds its stylesheets, scripts, images (`img`, `srcset`, `picture`, the
`og:image` lead image) and icons, and for each stylesheet what it loads in turn (`@import`, fonts,
background images). Each is requested once per crawl, from the site or any host the pages load
it from (a CDN), within the `ARCHIVE_REQUISITE_*` limits; the capture extension archives the
responses like any other (a re-crawl that finds one unchanged writes a revisit). Requisites never
reach the spider's callbacks, so they are never extracted nor counted as pages or articles; their
stats are `archive/requisites/*`. robots.txt applies to them as to any request.

On a shared frontier (crawler/frontier) requests are stored in Redis, which names a callback by
the spider method it is; so the middleware's callbacks are bound to the spider as methods
(`archive_requisite_fetched`, `archive_requisite_failed`) in every worker, and each requisite is
left to the frontier's shared duplicate filter, so N workers fetch a shared stylesheet once.

Discovery is a pure function of the parsed page (`page_requisites`) or of a stylesheet's text
(`stylesheet_requisites`), importing no Scrapy.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from types import MethodType
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree
from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler import settings as defaults
from crawler.config import ConfigError
from crawler.parsed import parsed_page

logger = logging.getLogger(__name__)

REQUISITE_META = "archive_requisite"  # the kind of requisite a request fetches
# the spider methods a requisite's callbacks are bound as on a shared frontier (see RequisitesMiddleware)
FETCHED_CALLBACK = "archive_requisite_fetched"
FAILED_CALLBACK = "archive_requisite_failed"
KINDS = ("stylesheet", "script", "image", "font", "icon")
# what a browser asks for, per kind (some servers and CDNs negotiate on it)
_ACCEPT = {
    "stylesheet": b"text/css,*/*;q=0.1",
    "script": b"*/*",
    "image": b"image/avif,image/webp,image/apng,image/*,*/*;q=0.8",
    "font": b"*/*",
    "icon": b"image/avif,image/webp,image/apng,image/*,*/*;q=0.8",
}


@dataclass(frozen=True, slots=True)
class Requisite:
    """One resource a page or stylesheet loads."""

    url: str
    kind: str  # one of KINDS


@dataclass(frozen=True, slots=True)
class RequisiteConfig:
    """The `ARCHIVE_REQUISITE*` settings, read once and checked."""

    enabled: bool
    kinds: frozenset[str]
    max_size: int  # bytes per resource; a larger one is abandoned
    max_per_page: int  # requisites requested for one page (or one stylesheet)
    hosts: frozenset[str]  # empty: any host; else the site's hosts plus these

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> RequisiteConfig:
        kinds = frozenset(settings.getlist("ARCHIVE_REQUISITE_TYPES", defaults.ARCHIVE_REQUISITE_TYPES))
        unknown = kinds - set(KINDS)
        if unknown:
            raise ConfigError(f"ARCHIVE_REQUISITE_TYPES: unknown type(s) {', '.join(sorted(unknown))}; "
                              f"choose from {', '.join(KINDS)}")
        max_size = settings.getint("ARCHIVE_REQUISITE_MAX_SIZE", defaults.ARCHIVE_REQUISITE_MAX_SIZE)
        per_page = settings.getint("ARCHIVE_REQUISITES_PER_PAGE", defaults.ARCHIVE_REQUISITES_PER_PAGE)
        if max_size <= 0 or per_page <= 0:
            raise ConfigError("ARCHIVE_REQUISITE_MAX_SIZE and ARCHIVE_REQUISITES_PER_PAGE must be positive")
        hosts = [host.lower() for host in settings.getlist("ARCHIVE_REQUISITE_HOSTS") if host != "*"]
        return cls(settings.getbool("ARCHIVE_REQUISITES", defaults.ARCHIVE_REQUISITES), kinds,
                   max_size, per_page, frozenset(hosts))


_PAGE_REQUISITES = etree.XPath(
    "//link[@href][contains(concat(' ', normalize-space(translate(@rel, 'STYLEHIC', 'stylehic')), ' '),"
    " ' stylesheet ') or contains(translate(@rel, 'ICON', 'icon'), 'icon')]"
    " | //script[@src] | //img[@src or @srcset] | //picture/source[@srcset] | //video[@poster]"
    " | //input[@type='image'][@src] | /html/head/meta[@property='og:image'][@content]"
)
_CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)""", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"""@import\s+(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_FONT_SUFFIXES = (".woff2", ".woff", ".ttf", ".otf", ".eot")
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)


def page_requisites(root: Any, page_url: str) -> list[Requisite]:
    """The stylesheets, scripts, images and icons of a parsed HTML page, in document order, once each."""
    base = _base_url(root, page_url)
    found: list[Requisite] = []
    for element in _PAGE_REQUISITES(root):
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        if tag == "link":
            rel = (element.get("rel") or "").lower().split()
            found.append(Requisite(element.get("href", ""), "stylesheet" if "stylesheet" in rel else "icon"))
        elif tag == "script":
            found.append(Requisite(element.get("src", ""), "script"))
        elif tag == "meta":
            found.append(Requisite(element.get("content", ""), "image"))
        elif tag == "video":
            found.append(Requisite(element.get("poster", ""), "image"))
        else:  # img, picture source, input type=image
            if element.get("src"):
                found.append(Requisite(element.get("src", ""), "image"))
            found.extend(Requisite(url, "image") for url in _srcset_urls(element.get("srcset") or ""))
    return _absolute_once(found, base)


def stylesheet_requisites(css: str, stylesheet_url: str) -> list[Requisite]:
    """What a stylesheet loads: imported stylesheets, fonts, and images (backgrounds, cursors...)."""
    css = _CSS_COMMENT.sub("", css)
    found = [Requisite(next(group for group in match.groups() if group is not None), "stylesheet")
             for match in _CSS_IMPORT.finditer(css)]
    for match in _CSS_URL.finditer(css):
        url = next((group for group in match.groups() if group is not None), "")
        before = css[max(0, match.start() - 12):match.start()].lower()
        if "@import" in before:
            kind = "stylesheet"
        elif urlsplit(url).path.lower().endswith(_FONT_SUFFIXES):
            kind = "font"
        else:
            kind = "image"
        found.append(Requisite(url, kind))
    return _absolute_once(found, stylesheet_url)


def _srcset_urls(srcset: str) -> list[str]:
    """The URLs of a `srcset` ("a.jpg 1x, b.jpg 2x"): each candidate's first token."""
    return [candidate.split()[0] for candidate in srcset.split(",") if candidate.strip()]


def _base_url(root: Any, page_url: str) -> str:
    hrefs = root.xpath("/html/head/base/@href") if hasattr(root, "xpath") else []
    return urljoin(page_url, hrefs[0].strip()) if hrefs else page_url


def _absolute_once(found: Iterable[Requisite], base: str) -> list[Requisite]:
    seen: set[str] = set()
    result = []
    for requisite in found:
        href = requisite.url.strip()
        if not href or href.startswith(("data:", "#", "javascript:", "about:", "blob:")):
            continue
        try:
            url = urljoin(base, href).split("#", 1)[0]
            parts = urlsplit(url)
            if "/." in parts.path:  # an absolute URL's dot segments, resolved as a browser does
                url = urljoin(url, parts.path + (f"?{parts.query}" if parts.query else ""))
        except ValueError:  # a port out of range, a broken IPv6 literal: the browser fails on it too
            continue
        if parts.scheme in ("http", "https") and url not in seen:
            seen.add(url)
            result.append(Requisite(url, requisite.kind))
    return result


class RequisitesMiddleware:
    """Adds the requisites of every HTML page (and stylesheet) a spider receives to its output."""

    def __init__(self, crawler: Crawler, config: RequisiteConfig) -> None:
        self.crawler = crawler
        self.config = config
        self.stats = crawler.stats
        self._requested: set[str] = set()  # each requisite once per crawl, however many pages use it
        self.shared_frontier = bool(crawler.settings.get("ARCHIVE_FRONTIER_URL"))
        self._fetched_callback: Any = self._fetched
        self._failed_callback: Any = self._failed
        if self.shared_frontier and crawler.spider is not None:
            self._bind_to(crawler.spider)

    def _bind_to(self, spider: Spider) -> None:
        """Make the callbacks methods of the spider, so a request stored in Redis names them."""
        setattr(spider, FETCHED_CALLBACK, MethodType(lambda _spider, response: self._fetched(response), spider))
        setattr(spider, FAILED_CALLBACK, MethodType(lambda _spider, failure: self._failed(failure), spider))
        self._fetched_callback = getattr(spider, FETCHED_CALLBACK)
        self._failed_callback = getattr(spider, FAILED_CALLBACK)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RequisitesMiddleware:
        config = RequisiteConfig.from_settings(crawler.settings)
        if not config.enabled or not config.kinds:
            raise NotConfigured("ARCHIVE_REQUISITES is off")
        return cls(crawler, config)

    # `spider` is optional: Scrapy stops passing it, and a method that requires it is wrapped in a
    # deprecation shim (one more async-generator layer for every item of every page)
    def process_spider_output(
        self, response: Response, result: Iterable[Any], spider: Spider | None = None
    ) -> Iterator[Any]:
        yield from result
        yield from self._requests_for(response, spider or self.crawler.spider)

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any], spider: Spider | None = None
    ) -> AsyncIterator[Any]:
        async for item in result:
            yield item
        for request in self._requests_for(response, spider or self.crawler.spider):
            yield request

    def _requests_for(self, response: Response, spider: Spider) -> Iterator[Request]:
        if response.status != 200 or not isinstance(response, TextResponse):
            return
        kind = response.meta.get(REQUISITE_META)
        try:
            if kind == "stylesheet":
                found = stylesheet_requisites(response.text, response.url)
            elif kind is None and isinstance(response, HtmlResponse):
                found = page_requisites(parsed_page(response), response.url)
            else:
                return
        except (ValueError, UnicodeDecodeError) as exc:  # a page lxml or the decoder cannot read
            logger.debug("No requisites read from %s: %s", response.url, exc)
            return
        wanted = [requisite for requisite in found if requisite.kind in self.config.kinds]
        if len(wanted) > self.config.max_per_page:
            self.stats.inc_value("archive/requisites/over_page_limit", len(wanted) - self.config.max_per_page)
            wanted = wanted[: self.config.max_per_page]
        scope = getattr(spider, "scope", None)
        for requisite in wanted:
            if requisite.url in self._requested or not self._host_allowed(requisite.url, scope):
                continue
            self._requested.add(requisite.url)
            self.stats.inc_value("archive/requisites/requested")
            yield Request(
                requisite.url,
                callback=self._fetched_callback,
                errback=self._failed_callback,
                headers={"Accept": _ACCEPT[requisite.kind], "Referer": response.url},
                # our set does the deduplicating in one process (dont_filter), the frontier's shared
                # duplicate filter across workers; allow_offsite lets a CDN past allowed_domains
                dont_filter=not self.shared_frontier,
                meta={REQUISITE_META: requisite.kind, "download_maxsize": self.config.max_size, "allow_offsite": True},
            )

    def _host_allowed(self, url: str, scope: Any) -> bool:
        if not self.config.hosts:
            return True
        host = (urlsplit(url).hostname or "").lower()
        if host in self.config.hosts:
            return True
        try:
            return bool(scope is not None and scope.allows(url))
        except ValueError:
            return False

    def _fetched(self, response: Response) -> Iterable[Any]:
        """The spider never sees a requisite; a stylesheet's own requisites follow in our output."""
        kind = response.meta.get(REQUISITE_META, "other")
        self.stats.inc_value("archive/requisites")
        self.stats.inc_value(f"archive/requisites/{kind}")
        self.stats.inc_value("archive/requisites/bytes", len(response.body))
        return ()

    def _failed(self, failure: Failure) -> None:
        """Counted apart from failed pages: a missing icon does not fail a crawl."""
        if failure.check(HttpError):
            reason = f"http_{failure.value.response.status}"
        elif failure.check(IgnoreRequest):
            self.stats.inc_value("archive/requisites/skipped")  # robots.txt, off limits
            return
        else:
            reason = failure.type.__name__ if failure.type else "error"
        self.stats.inc_value("archive/requisites/failed")
        self.stats.inc_value(f"archive/requisites/failed/{reason}")
        logger.debug("Could not archive requisite %s: %s", failure.request.url, reason)
