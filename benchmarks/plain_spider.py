"""The baseline: a plain Scrapy CrawlSpider that follows the same links as the archival crawl and stores nothing.

    python benchmarks/plain_spider.py BASE_URL [-s NAME=VALUE ...]

Scrapy's defaults plus what a `scrapy startproject` template and our crawl share: robots.txt obeyed,
no cookies, the same User-Agent, the same concurrency and politeness settings (given with -s). It
starts at the home page and follows the links the morningstar profile follows (articles, listings
and their pages, feeds), tested with the profile's own URL rules and with the same URL identity
(tracking parameters dropped), so both crawlers fetch the same pages. Scrapy logs its stats at INFO
when it finishes.
"""

from __future__ import annotations

import sys
from urllib.parse import urlsplit

from scrapy.crawler import CrawlerProcess
from scrapy.link import Link
from scrapy.linkextractors import LinkExtractor
from scrapy.settings import Settings
from scrapy.spiders import CrawlSpider, Rule

from crawler.settings import USER_AGENT
from crawler.sites import SiteProfile, load_profile
from crawler.urls import canonical_url


class PlainCrawlSpider(CrawlSpider):
    """Follow the links the archival spider follows; store nothing."""

    name = "plain"

    def __init__(self, base_url: str, profile: SiteProfile, **kwargs: object) -> None:
        self.start_urls = [base_url + "/"]
        host_and_port = urlsplit(base_url).netloc  # LinkExtractor compares the netloc, port included
        self.rules = (Rule(LinkExtractor(allow_domains=[host_and_port]), follow=True,
                           process_links=self.same_links),)
        self.profile = profile
        super().__init__(**kwargs)

    def same_links(self, links: list[Link]) -> list[Link]:
        """The links the archival spider follows (articles, listings, feeds), with its URL identity."""
        kept = []
        for link in links:
            url = canonical_url(link.url)  # tracking parameters and fragments dropped: one fetch per page
            profile = self.profile
            if profile.is_article_url(url) or profile.is_listing_url(url) or profile.is_followable_url(url):
                link.url = url
                kept.append(link)
        return kept


def main(argv: list[str]) -> None:
    base_url, rest = argv[0].rstrip("/"), argv[1:]
    settings = Settings({
        "USER_AGENT": USER_AGENT,
        "ROBOTSTXT_OBEY": True,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        "LOG_LEVEL": "INFO",
    })
    for flag, pair in zip(rest[::2], rest[1::2]):
        if flag != "-s":
            raise SystemExit(f"unexpected argument {flag!r}")
        name, _, value = pair.partition("=")
        settings.set(name, value, priority="cmdline")
    profile = load_profile("morningstar")
    process = CrawlerProcess(settings)
    process.crawl(PlainCrawlSpider, base_url=base_url, profile=profile)
    process.start()


if __name__ == "__main__":
    main(sys.argv[1:])
