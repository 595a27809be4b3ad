"""The baseline: a plain Scrapy CrawlSpider that follows the same links as the archival crawl and stores nothing.

    python benchmarks/plain_spider.py BASE_URL [-s NAME=VALUE ...]

Scrapy's defaults plus what a `scrapy startproject` template and our crawl share: robots.txt obeyed,
no cookies, the same User-Agent, the same concurrency and politeness settings (given with -s). It
starts at the home page and follows the links the morningstar profile follows (articles, listings
and their pages, feeds): the profile's path rules become the LinkExtractor's `allow`/`deny`, and
tracking queries are dropped as the archival spider drops them, so both fetch the same pages.
Scrapy logs its stats at INFO when it finishes.
"""

from __future__ import annotations

import re
import sys

from scrapy.crawler import CrawlerProcess
from scrapy.linkextractors import LinkExtractor
from scrapy.settings import Settings
from scrapy.spiders import CrawlSpider, Rule

from crawler.settings import USER_AGENT
from crawler.sites import SiteProfile, load_profile


class PlainCrawlSpider(CrawlSpider):
    """Follow the links the archival spider follows; store nothing."""

    name = "plain"

    def __init__(self, base_url: str, profile: SiteProfile, **kwargs: object) -> None:
        self.start_urls = [base_url + "/"]
        # the profile's path rules as URL rules, the way a Scrapy user writes `allow=`
        origin = re.escape(base_url)
        allow = [origin + _unanchored(pattern.pattern) + r"(?:\?[^#]*)?$"
                 for pattern in (*profile.article_paths, *profile.listing_paths, *profile.follow_paths)]
        deny = [origin + _unanchored(pattern.pattern) for pattern in profile.deny_paths]
        self.rules = (Rule(LinkExtractor(allow=allow, deny=deny, process_value=_without_tracking), follow=True),)
        super().__init__(**kwargs)


def _unanchored(path_pattern: str) -> str:
    return path_pattern.removeprefix("^").removesuffix("$")


TRACKING_QUERY = re.compile(r"\?(?:utm_|fbclid=).*$")


def _without_tracking(href: str) -> str:
    """The archival spider's URL identity for the sample site's links: tracking queries dropped."""
    return TRACKING_QUERY.sub("", href)


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
