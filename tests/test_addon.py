"""The Scrapy add-on in a project of its own: a plain `CrawlSpider`, one line in `ADDONS`, and the
sample site archived into WARC files and the index, with articles extracted, while the spider's
own items still reach its own feed."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from newsarchive_site import build_site, serve
from tests.helpers import connect_index, database_settings, setting_args

SETTINGS = """
BOT_NAME = "myclippings"
SPIDER_MODULES = ["myclippings.spiders"]
ROBOTSTXT_OBEY = True
DOWNLOAD_DELAY = 0
AUTOTHROTTLE_ENABLED = False
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
ADDONS = {"crawler.addon.NewsArchiveAddon": 500}
ARCHIVE_DATA_DIR = "archive-data"
ARCHIVE_REQUISITE_HOSTS = ["127.0.0.1"]
"""

SPIDER = """
from scrapy.linkextractors import LinkExtractor
from scrapy.spiders import CrawlSpider, Rule


class ClippingsSpider(CrawlSpider):
    name = "clippings"

    def __init__(self, start="", *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.start_urls = [start]
        self.allowed_domains = ["127.0.0.1"]

    rules = (
        Rule(LinkExtractor(allow=r"/article/"), callback="parse_story", follow=True),
        Rule(LinkExtractor(allow=r"^[^?]*/(britain|world|features|editorial|culture|sport)$"), follow=True),
    )

    def parse_story(self, response):
        yield {"url": response.url, "headline": response.css("h1 ::text").get(default="").strip()}
"""


@pytest.fixture(scope="module")
def project_crawl(tmp_path_factory):
    root = tmp_path_factory.mktemp("project")
    (root / "scrapy.cfg").write_text("[settings]\ndefault = myclippings.settings\n")
    package = root / "myclippings"
    (package / "spiders").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "spiders" / "__init__.py").write_text("")
    (package / "settings.py").write_text(textwrap.dedent(SETTINGS))
    (package / "spiders" / "clippings.py").write_text(textwrap.dedent(SPIDER))
    site = build_site(30)
    with serve(site, host="127.0.0.1", port=0) as server:
        done = subprocess.run(
            [str(Path(sys.executable).parent / "scrapy"), "crawl", "clippings", "-a", f"start={server.base_url}/",
             "-O", "items.jsonl", *setting_args(database_settings(root / "archive-data"))],
            cwd=root, capture_output=True, text=True, timeout=300,
        )
        base = server.base_url
    assert done.returncode == 0, done.stderr[-4000:]
    return root, site, base, done


def test_the_addon_archives_a_plain_crawlspider_into_warcs_and_the_index(project_crawl) -> None:
    root, site, base, done = project_crawl
    data = root / "archive-data"
    warcs = sorted((data / "warcs").glob("*.warc.gz"))
    assert warcs, done.stderr[-3000:]
    check = subprocess.run([str(Path(sys.executable).parent / "warcio"), "check", *map(str, warcs)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    types: dict[str, set[str]] = {}
    for path in warcs:
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                types.setdefault(record.rec_type, set()).add(record.rec_headers.get_header("WARC-Target-URI") or "")
    reachable = {path: truth for path, truth in site.truth.items() if truth.reachable}
    # the spider's own choice of URLs, tracking parameters and all; the article is the path
    fetched = {url for url in types["response"] if url.partition("?")[0][len(base):] in reachable}
    crawled_articles = {url.partition("?")[0] for url in fetched}
    assert len(crawled_articles) > len(reachable) // 2
    with connect_index(data / "archive.sqlite3") as db:
        rows = db.execute("SELECT c.url, a.title, a.paywalled FROM articles a "
                          "JOIN captures c ON c.id = a.latest_capture_id").fetchall()
        run = json.loads(db.execute("SELECT stats FROM crawl_runs").fetchone()[0])
    indexed = {url.partition("?")[0]: (title, paywalled) for url, title, paywalled in rows}
    # every article the spider reached is extracted and indexed, as the site says it is
    assert set(indexed) == crawled_articles
    for url, (title, paywalled) in indexed.items():
        truth = reachable[url[len(base):]]
        assert title == truth.title, url
        # the generic profile has no default: a page without a paywall signal is unknown, never paywalled
        assert (paywalled == 1) == bool(truth.paywalled), url
    # an article's metadata record sits beside its response
    assert {url.partition("?")[0] for url in types["metadata"]} >= crawled_articles
    assert run["archive/articles"] >= len(indexed)  # an article fetched under two URLs is captured twice
    assert run["archive/requisites"] > 0  # the site's stylesheets and images came along


def test_the_spiders_own_items_are_untouched(project_crawl) -> None:
    root, site, base, _ = project_crawl
    items = [json.loads(line) for line in (root / "items.jsonl").read_text().splitlines()]
    assert items and all(set(item) == {"url", "headline"} for item in items)
    by_url = {item["url"]: item["headline"] for item in items}
    for url, headline in by_url.items():
        path = url[len(base):].partition("?")[0]
        if path in site.truth:
            assert headline == site.truth[path].title
