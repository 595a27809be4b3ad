"""Reading the archive back: `show`, `export wacz` and `replay`, against one real crawl of the sample site.

Every test runs the installed console command (replay as a real server process) and checks what it
prints or serves against the site's ground truth. The browser test drives Debian's chromium
through Playwright from the front page to a replayed article and keeps a screenshot.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import re
import shutil
import subprocess
import urllib.request
import zipfile
from collections.abc import Iterator

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.helpers import (
    ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, Replay, SiteCrawl, copy_archive, newsarchive_argv, reachable, replay_server, run_newsarchive,
)


def pick(site, paywalled: bool):
    return next(truth for truth in reachable(site).values() if truth.paywalled == paywalled)


def show(crawled: SiteCrawl, *args: str) -> subprocess.CompletedProcess:
    return run_newsarchive("show", "--data-dir", str(crawled.result.data_dir), *args, timeout=60)


@pytest.mark.parametrize("paywalled", [True, False], ids=["paywalled", "free"])
def test_show_by_canonical_url_prints_the_true_article_from_the_warc(site, crawled: SiteCrawl, paywalled) -> None:
    truth = pick(site, paywalled)
    done = show(crawled, crawled.base_url + truth.path)
    assert done.returncode == 0, done.stderr
    assert f"Title:        {truth.title}\n" in done.stdout
    assert f"Section:      {truth.section}\n" in done.stdout
    assert f"Published:    {truth.published_at}\n" in done.stdout
    assert ("Paywall:      paywalled" if paywalled else "Paywall:      free") in done.stdout
    assert done.stdout.endswith(truth.free_text + "\n")


def test_show_follows_a_fetched_redirect_and_canonicalises_tracking_urls(site, crawled: SiteCrawl) -> None:
    (old_path,) = site.links["redirect"]
    target = site.lookup(old_path).header("Location").replace("{base}", "")
    for url, path in [
        (crawled.base_url + old_path, target),
        *((crawled.base_url + tracked, tracked.partition("?")[0]) for tracked in site.links["tracking"]),
    ]:
        done = show(crawled, url)
        assert done.returncode == 0, (url, done.stderr)
        truth = site.truth[path]
        assert f"URL:          {crawled.base_url}{path}\n" in done.stdout, url
        assert done.stdout.endswith(truth.free_text + "\n"), url
    assert f"Redirected from: {crawled.base_url}{old_path}" in show(crawled, crawled.base_url + old_path).stdout


def test_show_raw_writes_the_bytes_the_server_sent(site, crawled: SiteCrawl) -> None:
    truth = next(t for t in reachable(site).values() if t.encoding.lower() not in ("utf-8", "utf8"))
    done = subprocess.run(
        newsarchive_argv("show", "--raw", "--data-dir", str(crawled.result.data_dir), crawled.base_url + truth.path),
        capture_output=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == site.lookup(truth.path).render(crawled.base_url, crawled.cdn_url)[1]


def test_show_an_unknown_url_fails_naming_it(crawled: SiteCrawl) -> None:
    url = crawled.base_url + "/article/b/never-published"
    done = show(crawled, url)
    assert done.returncode == 1
    assert done.stderr.startswith(f"Error: {url} is not in the archive")


def test_export_wacz_is_valid_and_pywb_resolves_an_article(site, crawled: SiteCrawl, tmp_path) -> None:
    from pywb.utils.canonicalize import canonicalize
    from pywb.warcserver.index.indexsource import FileIndexSource
    from wacz.main import main as wacz_main

    output = tmp_path / "archive.wacz"
    done = run_newsarchive("export", "wacz", "--data-dir", str(crawled.result.data_dir), "-o", str(output))
    assert done.returncode == 0, done.stderr
    assert wacz_main(["validate", "-f", str(output)]) == 0

    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(output) as wacz:
        wacz.extractall(unpacked)
    package = json.loads((unpacked / "datapackage.json").read_text())
    assert package["wacz_version"] == "1.1.1"
    for resource in package["resources"]:
        data = (unpacked / resource["path"]).read_bytes()
        assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest(), resource["path"]
    warcs = sorted(p.name for p in crawled.result.warc_dir.glob("*.warc.gz"))
    assert sorted(p.name for p in (unpacked / "archive").iterdir()) == warcs

    header, *pages = [json.loads(line) for line in (unpacked / "pages/pages.jsonl").read_text().splitlines()]
    assert header["format"] == "json-pages-1.0"
    expected = {crawled.base_url + path: truth.title for path, truth in reachable(site).items()}
    assert {page["url"]: page["title"] for page in pages} == expected
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", page["ts"]) for page in pages)

    # pywb's own index reader finds the article's response (not its metadata record) in the WACZ index
    cdxj = tmp_path / "index.cdxj"
    cdxj.write_bytes(gzip.decompress((unpacked / "indexes/index.cdx.gz").read_bytes()))
    truth = pick(site, True)
    url = crawled.base_url + truth.path
    key = canonicalize(url).encode()
    (entry,) = FileIndexSource(str(cdxj)).load_index({"key": key, "end_key": key + b"!", "url": url})
    assert (entry["mime"], entry["status"]) == ("text/html", "200")
    with (unpacked / "archive" / entry["filename"]).open("rb") as stream:
        stream.seek(int(entry["offset"]))
        record = next(ArchiveIterator(stream))
        assert record.rec_headers.get_header("WARC-Target-URI") == url
        assert truth.title.encode() in html.unescape(record.content_stream().read().decode()).encode()


@pytest.fixture(scope="module")
def replay(crawled: SiteCrawl, tmp_path_factory) -> Iterator[Replay]:
    """`newsarchive replay` serving a copy of the crawl (replay writes its index under the data dir)."""
    data_dir = tmp_path_factory.mktemp("replay") / "data"
    copy_archive(crawled.result.data_dir, data_dir, ignore=shutil.ignore_patterns("locks"))
    with replay_server(data_dir, tmp_path_factory.getbasetemp() / "replay.log") as urls:
        yield urls


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200, url
        return response.read().decode("utf-8", "replace")


def test_front_page_lists_articles_newest_first_with_filters(site, crawled: SiteCrawl, replay: Replay) -> None:
    front = replay.front
    page = html.unescape(fetch(front))
    truths = reachable(site)
    assert f"{len(truths)} articles" in page
    titles = [html.unescape(t) for t in re.findall(r'<a class="replay" href="[^"]+">([^<]*)</a>', fetch(front))]
    newest_first = sorted(truths.values(), key=lambda t: t.published_at, reverse=True)
    assert titles == [t.title for t in newest_first]

    free = html.unescape(fetch(front + "?paywall=free"))
    assert f"{sum(not t.paywalled for t in truths.values())} articles" in free
    section = newest_first[0].section
    in_section = html.unescape(fetch(front + "?section=" + urllib.request.quote(section)))
    assert f"{sum(t.section == section for t in truths.values())} articles" in in_section

    target = newest_first[0]
    word = max(re.findall(r"[A-Za-z]{6,}", target.title), key=len)
    found = html.unescape(fetch(front + "?q=" + word))
    assert target.title in found


def test_replayed_article_shows_the_text_with_links_rewritten_into_the_archive(site, crawled, replay) -> None:
    front = html.unescape(fetch(replay.front))
    truth = pick(site, False)
    archive = re.escape(replay.archive.rstrip("/"))
    match = re.search(rf'<a class="replay" href="({archive}/newsarchive/(\d{{14}})/[^"]+)">{re.escape(truth.title)}</a>', front)
    assert match, truth.title
    href, stamp = match.groups()
    assert href == f"{replay.archive}newsarchive/{stamp}/{crawled.base_url}{truth.path}"
    page = fetch(href)
    text = html.unescape(page)
    assert truth.title in text
    assert truth.free_text.split("\n\n")[0][:60] in text
    similar = truth.similar[0]
    assert re.search(rf'href="(http://[^/"]+)?/newsarchive/{stamp}[a-z_]*/{re.escape(crawled.base_url + similar)}[?"]', page)
    anchors = re.findall(r'<a [^>]*href="(http[^"]*)"', page)
    assert not [a for a in anchors if a.startswith(crawled.base_url)], "links left pointing at the live site"


def test_a_link_with_tracking_parameters_finds_its_capture(site, crawled, replay) -> None:
    """Similar-stories links carry utm_* parameters; pywb's fuzzy matching finds the plain capture."""
    front = html.unescape(fetch(replay.front))
    truth = pick(site, False)
    stamp = re.search(rf'href="[^"]*/newsarchive/(\d{{14}})/[^"]+">{re.escape(truth.title)}</a>', front).group(1)
    page = html.unescape(fetch(f"{replay.archive}newsarchive/{stamp}/{crawled.base_url}{truth.path}?utm_source=related&utm_medium=web"))
    assert truth.title in page
    assert truth.free_text.split("\n\n")[0][:60] in page


def test_browser_clicks_from_the_front_page_to_the_replayed_article(site, replay) -> None:
    from playwright.sync_api import sync_playwright

    truth = pick(site, True)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(replay.front)
            page.get_by_role("link", name=truth.title, exact=True).click()
            page.wait_for_url(re.compile(r"/newsarchive/\d{14}/"))
            page.wait_for_load_state("load")
            headline = page.locator("h1").first
            headline.wait_for()
            assert headline.inner_text().strip() == truth.title
            page.screenshot(path=str(ARTIFACTS / "replay.png"), full_page=True)
        finally:
            browser.close()
    assert (ARTIFACTS / "replay.png").stat().st_size > 0


def test_replayed_article_looks_as_it_did_live_with_stylesheet_lead_image_and_paywall(site, crawled, replay) -> None:
    """Requisites archived with the page: pywb replays the site's stylesheet (and the CDN's), the
    lead image and the paywall overlay as a cookie-less reader saw them, with the live site gone."""
    from playwright.sync_api import sync_playwright

    from newsarchive_site.assets import HEADLINE_COLOUR

    truth = next(t for t in reachable(site).values() if t.paywall_kind == "overlay")
    front = html.unescape(fetch(replay.front))
    href = re.search(rf'<a class="replay" href="([^"]+)">{re.escape(truth.title)}</a>', front).group(1)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 1400})
            page.goto(href, wait_until="load")
            headline = page.locator("h1").first
            assert headline.inner_text().strip() == truth.title
            assert headline.evaluate("h => getComputedStyle(h).color") == HEADLINE_COLOUR
            lead = page.locator("article img").first
            lead.scroll_into_view_if_needed()
            page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=lead.element_handle(),
                                   timeout=10_000)
            overlay = page.locator("#paywall-overlay")
            assert overlay.is_visible()
            assert overlay.evaluate("o => getComputedStyle(o).backgroundColor") == "rgb(255, 244, 214)"
            assert "Subscribe to continue reading." in overlay.inner_text()
            page.screenshot(path=str(ARTIFACTS / "replay-article.png"), full_page=True)
        finally:
            browser.close()
