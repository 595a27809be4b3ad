"""Which origins a crawl may fetch from, and the downloader middleware that enforces it.

A crawl stays on the site: the profile's `hosts` (on the standard ports) and the base URL's host
and port. The spider checks links with the same `SiteScope`; the middleware catches what the spider
never sees: redirects (the redirect middleware builds the new request) and start URLs. It runs before
robots.txt, so another host's robots.txt is not fetched either.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

from crawler.requisites import REQUISITE_META

logger = logging.getLogger(__name__)

DEFAULT_PORTS = {"http": 80, "https": 443}


class OffsiteRequest(IgnoreRequest):
    """A request for a host (or port) the crawl does not cover."""


@dataclass(frozen=True, slots=True)
class SiteScope:
    """The (host, port) pairs a crawl may visit; any host on its standard ports is written port 0."""

    origins: frozenset[tuple[str, int]]

    @classmethod
    def of(cls, hosts: list[str] | tuple[str, ...], base_url: str) -> SiteScope:
        """`hosts` on their standard ports, plus the base URL's host on its own port."""
        origins = {(host.lower(), 0) for host in hosts}
        parts = urlsplit(base_url)
        if parts.hostname:
            origins.add((parts.hostname.lower(), _port(parts.scheme, parts.port)))
        return cls(frozenset(origins))

    def allows(self, url: str) -> bool:
        """True when the URL is http(s) on one of the crawl's origins. Raises ValueError for a URL
        that cannot be parsed (port out of range, broken IPv6 literal)."""
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            return False
        return (parts.hostname, _port(parts.scheme, parts.port)) in self.origins

    def union(self, other: SiteScope) -> SiteScope:
        return SiteScope(self.origins | other.origins)

    @property
    def hosts(self) -> frozenset[str]:
        return frozenset(host for host, _ in self.origins)


def _port(scheme: str, port: int | None) -> int:
    """0 for a scheme's standard port (so http://host and https://host are one site), else the port."""
    return 0 if port is None or port == DEFAULT_PORTS.get(scheme) else port


class OffsiteGuardMiddleware:
    """Drops any request outside the spider's `scope`, redirects included, and counts it."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OffsiteGuardMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        scope: SiteScope | None = getattr(self.crawler.spider, "scope", None)
        if scope is None or request.meta.get(REQUISITE_META):  # requisites may come from a CDN
            return
        try:
            allowed = scope.allows(request.url)
        except ValueError:
            allowed = False
        if not allowed:
            self.crawler.stats.inc_value("archive/skipped/offsite")
            if request.meta.get("redirect_urls"):
                self.crawler.stats.inc_value("archive/skipped/offsite_redirect")
            logger.info("Not fetching %s: outside the site's hosts (redirected from %s)",
                        request.url, (request.meta.get("redirect_urls") or ["a link"])[0])
            raise OffsiteRequest(f"{request.url} is outside the site's hosts")
