"""One benchmark crawl in this process; prints a JSON line with pages, seconds and peak RSS.

    python benchmarks/crawl_once.py archival|no-storage|plain-crawlspider BASE_URL WORKDIR
"""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path
from urllib.parse import urlsplit

from scrapy.crawler import CrawlerProcess
from scrapy.linkextractors import LinkExtractor
from scrapy.spiders import CrawlSpider, Rule

from crawler.config import crawl_settings

SAME_FOR_ALL = {
    "AUTOTHROTTLE_ENABLED": "False",
    "DOWNLOAD_DELAY": "0",
    "LOG_LEVEL": "WARNING",
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
}


class PlainCrawlSpider(CrawlSpider):
    """The baseline: follow every same-site link, store nothing."""

    name = "plain"

    def __init__(self, base_url: str, **kwargs: object) -> None:
        self.start_urls = [base_url + "/"]
        host_and_port = urlsplit(base_url).netloc  # LinkExtractor compares the netloc, port included
        self.rules = (Rule(LinkExtractor(allow_domains=[host_and_port]), follow=True),)
        super().__init__(**kwargs)


def main() -> None:
    mode, base_url, workdir = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    overrides = dict(SAME_FOR_ALL)
    if mode == "no-storage":
        overrides |= {"ARCHIVE_WARC_ENABLED": "False", "ARCHIVE_DB_ENABLED": "False"}
    settings = crawl_settings(workdir, base_url, overrides)
    if mode == "plain-crawlspider":
        process = CrawlerProcess(settings)
        crawler = process.create_crawler(PlainCrawlSpider)
        process.crawl(crawler, base_url=base_url)
        process.start()
        stats = crawler.stats.get_stats()
    else:
        from crawler.run import run_crawl  # imported here so the baseline loads none of it

        stats = run_crawl("morningstar", settings).stats
    pages = stats.get("response_received_count", 0)
    seconds = stats["elapsed_time_seconds"]
    result = {
        "mode": mode,
        "pages": pages,
        "seconds": seconds,
        "pages_per_second": pages / seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if mode == "archival":
        result |= {"articles": stats.get("archive/articles", 0), "warc_bytes": stats.get("archive/warc_bytes", 0)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
