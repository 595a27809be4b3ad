"""Reading revisits back: two real crawls of the sample site, replayed by pywb and shown.

The second crawl archives an article served with an ETag as a `server-not-modified` revisit (the
server answered 304), one served without an ETag as an `identical-payload-digest` revisit (same
bytes again), and one the site changed in between as a new response. The replay index points both
kinds of revisit at their original (`archive.replay.index`), so every capture opens in pywb at its
own timestamp with the text it had, checked in a real browser. `newsarchive show` reads the
original for both revisits and says when the article was seen again.
"""

from __future__ import annotations

import html
import io
import json
import subprocess
import urllib.error
import urllib.request
from dataclasses import replace
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from newsarchive_site import build_site, serve
from tests.helpers import REQUISITES_ON, connect_index, crawl, newsarchive_argv, replay_server, run_newsarchive

ALWAYS_REFETCH = "ARCHIVE_RECRAWL_DAYS=100000"  # the sample articles are from early 2026
CORRECTION = "Correction appended overnight: "


def stamp(warc_date: str) -> str:
    return "".join(ch for ch in warc_date if ch.isdigit())[:14]


def revisit_headers(warc_dir: Path, url: str) -> object:
    for path in sorted(warc_dir.glob("*.warc.gz")):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "revisit" and record.rec_headers.get_header("WARC-Target-URI") == url:
                    return record.rec_headers
    raise AssertionError(f"no revisit record of {url}")


@pytest.fixture(scope="module")
def recrawled(tmp_path_factory):
    site = build_site(60)
    free = [
        truth for truth in site.truth.values()
        if truth.reachable and not truth.paywalled and truth.variants == ("metadata:jsonld",)
    ]
    with_etag, without_etag, changed = free[0], free[1], free[2]
    site.pages[without_etag.path] = replace(site.pages[without_etag.path], etag=False)
    data_dir = tmp_path_factory.mktemp("revisits")
    with serve(site, host="127.0.0.1", port=0) as server:
        done = crawl(data_dir, server.base_url, ALWAYS_REFETCH, REQUISITES_ON)
        assert done.returncode == 0, done.stderr[-3000:]
        first_words = changed.free_text.split("\n\n")[0][:60]
        page = site.pages[changed.path]
        assert first_words.encode() in page.body
        site.pages[changed.path] = replace(page, body=page.body.replace(
            first_words.encode(), (CORRECTION + first_words).encode(), 1))
        done = crawl(data_dir, server.base_url, ALWAYS_REFETCH, REQUISITES_ON)
        assert done.returncode == 0, done.stderr[-3000:]
        base, cdn = server.base_url, server.cdn_url
    articles = {}
    for kind, truth in [("server-not-modified", with_etag), ("identical-payload-digest", without_etag)]:
        url = base + truth.path
        headers = revisit_headers(data_dir / "warcs", url)
        assert headers.get_header("WARC-Profile").endswith(kind)
        articles[kind] = (truth, url, headers)
    articles["changed"] = (changed, base + changed.path, None)
    return data_dir, base, articles, site, cdn


@pytest.fixture(scope="module")
def replay(recrawled, tmp_path_factory):
    data_dir = recrawled[0]
    with replay_server(data_dir, tmp_path_factory.getbasetemp() / "replay-revisits.log") as url:
        yield url


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as answer:  # urllib raises on a 304
        return answer.code, dict(answer.headers), answer.read()


def cdxj_line(data_dir: Path, url: str, timestamp: str) -> dict:
    for index in (data_dir / "replay/collections/newsarchive/indexes").glob("*.cdxj"):
        for line in index.read_text().splitlines():
            _, line_stamp, fields = line.split(" ", 2)
            entry = json.loads(fields)
            if entry["url"] == url and line_stamp == timestamp:
                return entry
    raise AssertionError(f"no CDXJ line for {url} at {timestamp}")


def test_pywb_resolves_an_identical_payload_digest_revisit_to_the_original_body(recrawled, replay) -> None:
    data_dir, _, articles, _, _ = recrawled
    truth, url, headers = articles["identical-payload-digest"]
    revisit_stamp = stamp(headers.get_header("WARC-Date"))
    assert revisit_stamp != stamp(headers.get_header("WARC-Refers-To-Date"))
    entry = cdxj_line(data_dir, url, revisit_stamp)
    assert (entry["mime"], entry["status"]) == ("text/html", "200")
    assert entry["revisit"] == {"status": "200", "original": stamp(headers.get_header("WARC-Refers-To-Date"))}

    status, response_headers, body = get(f"{replay.archive}newsarchive/{revisit_stamp}id_/{url}")
    assert status == 200
    assert parsedate_to_datetime(response_headers["Memento-Datetime"]).strftime("%Y%m%d%H%M%S") == revisit_stamp
    text = html.unescape(body.decode("utf-8"))
    assert truth.title in text
    assert truth.free_text.split("\n\n")[0][:60] in text


def test_pywb_replays_a_server_not_modified_revisit_as_its_original_at_the_revisit_date(recrawled, replay) -> None:
    """pywb alone would replay the 304 itself (an empty page); the index points it at the original."""
    data_dir, _, articles, _, _ = recrawled
    truth, url, headers = articles["server-not-modified"]
    revisit_stamp = stamp(headers.get_header("WARC-Date"))
    original_stamp = stamp(headers.get_header("WARC-Refers-To-Date"))
    entry = cdxj_line(data_dir, url, revisit_stamp)
    assert (entry["mime"], entry["status"]) == ("text/html", "200")
    assert entry["revisit"] == {"status": "304", "original": original_stamp}

    status, response_headers, body = get(f"{replay.archive}newsarchive/{revisit_stamp}id_/{url}")
    assert status == 200
    assert parsedate_to_datetime(response_headers["Memento-Datetime"]).strftime("%Y%m%d%H%M%S") == revisit_stamp
    text = html.unescape(body.decode("utf-8"))
    assert truth.title in text
    assert truth.free_text.split("\n\n")[0][:60] in text
    # the WARC file keeps the standard revisit record: nothing was rewritten to suit a reader
    assert headers.get_header("WARC-Type") == "revisit"


def captures_of(warc_dir: Path, url: str) -> list[str]:
    """The timestamps of every response or revisit record of `url`, oldest first."""
    stamps = []
    for path in sorted(warc_dir.glob("*.warc.gz")):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if (record.rec_type in ("response", "revisit")
                        and record.rec_headers.get_header("WARC-Target-URI") == url):
                    stamps.append(stamp(record.rec_headers.get_header("WARC-Date")))
    return stamps


def test_browser_opens_every_capture_of_unchanged_identical_and_changed_articles(recrawled, replay) -> None:
    from playwright.sync_api import sync_playwright

    from tests.helpers import CHROMIUM, CHROMIUM_ARGS

    data_dir, _, articles, _, _ = recrawled
    expected = []  # (url, timestamp, title, text that must show, text that must not)
    for kind, (truth, url, _) in articles.items():
        first, second = captures_of(data_dir / "warcs", url)
        opening = truth.free_text.split("\n\n")[0][:60]
        if kind == "changed":
            expected += [(url, first, truth.title, opening, CORRECTION), (url, second, truth.title, CORRECTION + opening, "")]
        else:
            expected += [(url, stamp_, truth.title, opening, CORRECTION) for stamp_ in (first, second)]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            for url, timestamp, title, shown, absent in expected:
                page.goto(f"{replay.archive}newsarchive/{timestamp}/{url}")
                assert f"/newsarchive/{timestamp}/" in page.url, (url, timestamp, page.url)
                assert page.locator("h1").first.inner_text().strip() == title, (url, timestamp)
                body = " ".join(page.locator("body").inner_text().split())
                assert shown in body, (url, timestamp)
                if absent:
                    assert absent not in body, (url, timestamp)
        finally:
            browser.close()


@pytest.mark.parametrize("kind", ["server-not-modified", "identical-payload-digest"])
def test_show_prints_the_full_capture_and_when_it_was_seen_again(recrawled, kind) -> None:
    data_dir, _, articles, _, _ = recrawled
    truth, url, headers = articles[kind]
    done = run_newsarchive("show", "--data-dir", str(data_dir), url, timeout=60)
    assert done.returncode == 0, done.stderr
    assert f"Captured:     {headers.get_header('WARC-Refers-To-Date')}\n" in done.stdout
    assert f"Record:       {headers.get_header('WARC-Refers-To')}\n" in done.stdout
    assert f"Seen again:   {headers.get_header('WARC-Date')} (unchanged: {kind}, " in done.stdout
    assert f"Title:        {truth.title}\n" in done.stdout
    assert done.stdout.endswith(truth.free_text + "\n")


def test_show_raw_of_a_revisited_page_writes_the_original_bytes(recrawled) -> None:
    data_dir, base, _, site, cdn = recrawled
    headers = revisit_headers(data_dir / "warcs", base + "/")  # listings are fetched unconditionally
    assert headers.get_header("WARC-Profile").endswith("identical-payload-digest")
    done = run_newsarchive("show", "--data-dir", str(data_dir), base + "/", timeout=60)
    assert done.returncode == 0, done.stderr
    assert f"Seen again:   {headers.get_header('WARC-Date')} (unchanged: identical-payload-digest, " in done.stdout
    raw = subprocess.run(
        newsarchive_argv("show", "--raw", "--data-dir", str(data_dir), base + "/"), capture_output=True, timeout=60
    )
    assert raw.returncode == 0, raw.stderr
    assert raw.stdout == site.lookup("/").render(base, cdn)[1]


def test_wacz_index_points_a_304_revisit_at_its_original_record(recrawled, tmp_path) -> None:
    """ReplayWeb.page loads what the WACZ index names: the revisit's time, the original's bytes."""
    import gzip
    import zipfile

    data_dir, _, articles, _, _ = recrawled
    truth, url, headers = articles["server-not-modified"]
    output = tmp_path / "archive.wacz"
    done = run_newsarchive("export", "wacz", "--data-dir", str(data_dir), "-o", str(output))
    assert done.returncode == 0, done.stderr
    revisit_stamp = stamp(headers.get_header("WARC-Date"))
    with zipfile.ZipFile(output) as wacz:
        lines = gzip.decompress(wacz.read("indexes/index.cdx.gz")).decode().splitlines()
        (entry,) = [json.loads(line.split(" ", 2)[2]) for line in lines
                    if line.split(" ", 2)[1] == revisit_stamp and json.loads(line.split(" ", 2)[2])["url"] == url]
        assert (entry["status"], entry["revisit"]["status"]) == ("200", "304")
        data = wacz.read("archive/" + entry["filename"])
    offset, length = int(entry["offset"]), int(entry["length"])
    record = next(ArchiveIterator(io.BytesIO(data[offset:offset + length])))
    assert record.rec_type == "response"
    assert record.rec_headers.get_header("WARC-Record-ID") == headers.get_header("WARC-Refers-To")
    assert truth.title in html.unescape(record.content_stream().read().decode())


def test_an_unchanged_requisite_is_a_revisit_on_the_recrawl(recrawled) -> None:
    from newsarchive_site.assets import MAIN_STYLESHEET

    data_dir, base, _, _, _ = recrawled
    headers = revisit_headers(data_dir / "warcs", base + MAIN_STYLESHEET)
    assert headers.get_header("WARC-Profile").endswith("identical-payload-digest")
    assert len(captures_of(data_dir / "warcs", base + MAIN_STYLESHEET)) == 2


def test_dashboard_shows_the_archive_at_a_glance_without_javascript(recrawled, replay) -> None:
    """The front page's SVG dashboard, in a browser with JavaScript off, against the index and truth."""
    from datetime import datetime

    from playwright.sync_api import sync_playwright

    from tests.helpers import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

    data_dir, _, articles, site, _ = recrawled
    with connect_index(data_dir / "archive.sqlite3") as db:
        article_count = db.execute("SELECT count(*) FROM articles").fetchone()[0]
        runs = db.execute("SELECT id, status, stats FROM crawl_runs ORDER BY id").fetchall()
    expected_shares: dict[tuple[str, str], list[int]] = {}
    for truth in site.truth.values():
        if truth.reachable:
            year, week, _ = datetime.fromisoformat(truth.published_at).isocalendar()
            cell = expected_shares.setdefault((truth.section, f"{year}-W{week:02d}"), [0, 0])
            cell[0] += bool(truth.paywalled)
            cell[1] += 1
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(java_script_enabled=False, viewport={"width": 1200, "height": 1000}).new_page()
            page.goto(replay.front)
            dashboard = page.locator("#dashboard")
            assert dashboard.bounding_box()["y"] < page.locator("ol").bounding_box()["y"]  # above the list
            counts = page.locator("#archived-per-day rect.bar").evaluate_all("bars => bars.map(b => +b.dataset.count)")
            assert sum(counts) == article_count
            shares = page.locator("#paywalled-share rect.share").evaluate_all(
                "cells => cells.map(c => [c.dataset.section, c.dataset.week, +c.dataset.share])")
            assert {(section, week) for section, week, _ in shares} <= set(expected_shares)
            for section, week, share in shares:
                paywalled, total = expected_shares[(section, week)]
                assert abs(share - paywalled / total) < 0.001, (section, week)
            rows = page.locator("#crawl-runs tr.run")
            assert rows.count() == len(runs) == 2
            for run_id, status, stats in runs:
                row = page.locator(f'#crawl-runs tr.run[data-run="{run_id}"]')
                assert status in row.inner_text()
                assert row.locator("td.failed").inner_text() == str(json.loads(stats).get("archive/failed_pages", 0))
            changed_truth = articles["changed"][0]
            assert changed_truth.title in page.locator("#article-changes").inner_text()
            assert page.locator("#article-changes rect.bar").count() >= 1
            page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
        finally:
            browser.close()
