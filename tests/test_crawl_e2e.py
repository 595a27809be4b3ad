"""Whole crawls of the sample site, checked against its ground truth with independent readers.

The database is read with the standard library's sqlite3 and the WARC files with warcio, never
through the project's own code, so these tests check what a user of those tools would see.
"""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.helpers import REPO, SiteCrawl, connect_index, crawl, database_settings, rows, run_newsarchive, setting_args, warc_records


def reachable_truth(site) -> dict:
    return {path: truth for path, truth in site.truth.items() if truth.reachable}


def test_every_reachable_article_is_archived_once_with_the_true_fields(site, crawled: SiteCrawl) -> None:
    articles = {row["url"]: row for row in rows(crawled.result.database, "SELECT * FROM articles")}
    expected = {crawled.base_url + path: truth for path, truth in reachable_truth(site).items()}
    assert sorted(articles) == sorted(expected)
    for url, truth in expected.items():
        row = articles[url]
        assert row["title"] == truth.title, url
        assert row["section"] == truth.section, url
        assert row["published_at"] == truth.published_at, url
        assert json.loads(row["authors"]) == list(truth.authors), url
        assert row["standfirst"] == truth.standfirst, url
        assert bool(row["paywalled"]) == truth.paywalled, url
        assert row["free_text"] == truth.free_text, url
        assert row["word_count"] == len(truth.free_text.split()), url
        links = rows(
            crawled.result.database,
            f"SELECT url FROM article_links WHERE article_id = {row['id']} ORDER BY position",
        )
        assert [link["url"] for link in links] == [crawled.base_url + path for path in truth.similar], url


def test_articles_reachable_only_through_similar_stories_are_archived(site, crawled: SiteCrawl) -> None:
    only_similar = [path for path, truth in reachable_truth(site).items() if truth.only_via_similar]
    assert only_similar, "the sample site must have articles linked only from Similar stories"
    urls = {row["url"] for row in rows(crawled.result.database, "SELECT url FROM articles")}
    assert {crawled.base_url + path for path in only_similar} <= urls


def test_each_article_page_is_fetched_once_despite_tracking_links(site, crawled: SiteCrawl) -> None:
    fetched = Counter(path.partition("?")[0] for method, path, headers in crawled.requests)
    for path in reachable_truth(site):
        assert fetched[path] == 1, path
    assert not [path for _, path, _ in crawled.requests if "utm_" in path or "fbclid" in path]


def test_robots_txt_is_obeyed_and_the_crawler_is_honest_and_cookieless(site, crawled: SiteCrawl) -> None:
    paths = [path for _, path, _ in crawled.requests]
    assert "/robots.txt" in paths
    assert site.robots_disallowed
    for prefix in site.robots_disallowed:
        assert not [path for path in paths if path.startswith(prefix)], prefix
    for _, path, headers in crawled.requests:
        lowered = {name.lower(): value for name, value in headers.items()}
        assert "cookie" not in lowered, f"a cookie was sent with {path}"
        assert lowered["user-agent"].startswith("newsarchive/") and "+http" in lowered["user-agent"]


def test_warc_files_pass_warcio_check_and_nothing_is_left_open(crawled: SiteCrawl) -> None:
    warc_dir = crawled.result.warc_dir
    assert not list(warc_dir.glob("*.open"))
    files = sorted(warc_dir.glob("*.warc.gz"))
    assert files
    checked = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", *map(str, files)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout[-3000:]


def test_responses_in_the_warc_reproduce_what_the_server_sent(site, crawled: SiteCrawl) -> None:
    records = warc_records(crawled.result.warc_dir)
    responses = {
        headers.get_header("WARC-Target-URI"): (http, body)
        for _, headers, http, body in records
        if headers.get_header("WARC-Type") == "response"
    }
    checked = 0
    for path, truth in reachable_truth(site).items():
        url = crawled.base_url + path
        _, sent = site.lookup(path).render(crawled.base_url, crawled.cdn_url)  # exactly the bytes the server wrote
        http, body = responses[url]
        if (http.get_header("Content-Encoding") or "").lower() == "gzip":
            body = gzip.decompress(body)
        assert body == sent, url
        checked += 1
    assert checked == len(reachable_truth(site))


def test_each_article_has_a_metadata_record_beside_its_response(site, crawled: SiteCrawl) -> None:
    records = warc_records(crawled.result.warc_dir)
    response_ids = {
        headers.get_header("WARC-Record-ID"): name
        for name, headers, _, _ in records
        if headers.get_header("WARC-Type") == "response"
    }
    metadata = {}
    for name, headers, _, body in records:
        if headers.get_header("WARC-Type") != "metadata" or headers.get_header("Content-Type") != "application/json":
            continue
        payload = json.loads(body)
        if payload.get("schema") != "newsarchive/article/1":
            continue
        concurrent = headers.get_header("WARC-Concurrent-To")
        assert response_ids.get(concurrent) == name, "metadata must sit in the same file as its response"
        metadata[payload["url"]] = payload
    expected = {crawled.base_url + path: truth for path, truth in reachable_truth(site).items()}
    assert sorted(metadata) == sorted(expected)
    for url, truth in expected.items():
        marker = metadata[url]["paywall"]
        assert metadata[url]["free_text"] == truth.free_text, url
        assert marker["paywalled"] == truth.paywalled, url
        assert marker["kind"] == truth.paywall_kind, url
        assert marker["free_paragraphs"] == truth.free_paragraphs, url
        assert (len(marker["signals"]) > 0) == truth.paywalled, url


def test_redirects_and_failures_are_recorded(site, crawled: SiteCrawl) -> None:
    captures = rows(crawled.result.database, "SELECT url, status FROM captures")
    statuses = Counter(row["status"] for row in captures)
    assert statuses[301] >= 1 and statuses[404] >= 1
    assert statuses[500] == 3, "a 500 is retried twice, and each attempt is archived"
    redirects = [row["url"] for row in captures if row["status"] == 301]
    assert all(url.startswith(crawled.base_url) for url in redirects)


def test_captures_point_at_their_record_in_one_seek(crawled: SiteCrawl) -> None:
    captures = rows(crawled.result.database, 'SELECT record_id, url, warc_file, "offset", length FROM captures')
    assert captures
    for capture in captures:
        with (crawled.result.warc_dir / capture["warc_file"]).open("rb") as stream:
            stream.seek(capture["offset"])
            member = gzip.decompress(stream.read(capture["length"]))
        assert f"WARC-Record-ID: {capture['record_id']}".encode() in member
        assert f"WARC-Target-URI: {capture['url']}".encode() in member


def test_reindex_rebuilds_the_same_database_from_the_warc_files(crawled: SiteCrawl, tmp_path: Path) -> None:
    rebuilt = tmp_path / "rebuilt"
    shutil.copytree(crawled.result.warc_dir, rebuilt / "warcs")
    done = run_newsarchive("reindex", "--data-dir", str(rebuilt), *setting_args(database_settings(rebuilt)))
    assert done.returncode == 0, done.stderr[-3000:]
    for table in ("articles", "captures", "article_links", "article_versions"):
        original = rows(crawled.result.database, f"SELECT * FROM {table} ORDER BY id")
        again = rows(rebuilt / "archive.sqlite3", f"SELECT * FROM {table} ORDER BY id")
        assert original, table
        for before, after in zip(original, again):
            assert dict(after) == dict(before), table
        assert len(again) == len(original), table


def test_scrapy_crawl_works_the_scrapy_native_way(server, tmp_path: Path) -> None:
    scrapy = str(Path(sys.executable).parent / "scrapy")
    settings = {
        **dict(pair.split("=", 1) for pair in database_settings(tmp_path)),
        "ARCHIVE_DATA_DIR": str(tmp_path),
        "ARCHIVE_BASE_URL": server.base_url,
        "AUTOTHROTTLE_ENABLED": "False",
        "DOWNLOAD_DELAY": "0",
        "CLOSESPIDER_ITEMCOUNT": "3",
    }
    args = [arg for name, value in settings.items() for arg in ("-s", f"{name}={value}")]
    done = subprocess.run([scrapy, "crawl", "morningstar", *args], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert rows(tmp_path / "archive.sqlite3", "SELECT COUNT(*) AS n FROM articles")[0]["n"] >= 3


def test_an_unreachable_site_fails_with_exit_code_1(tmp_path: Path) -> None:
    result = crawl(tmp_path, "http://127.0.0.1:9", "RETRY_TIMES=0")
    assert result.returncode == 1
    assert "no page could be fetched" in result.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    done = run_newsarchive("crawl", "no-such-publisher", "--data-dir", str(tmp_path))
    assert done.returncode == 2
    assert "no-such-publisher" in done.stderr
    done = run_newsarchive("crawl", "morningstar", "--data-dir", str(tmp_path), "-s", "ARCHIVE_WARC_DIGEST=md5")
    assert done.returncode == 2 and "ARCHIVE_WARC_DIGEST" in done.stderr


def test_a_database_behind_the_schema_is_refused_with_exit_code_3(tmp_path: Path) -> None:
    assert run_newsarchive("db", "upgrade", "--data-dir", str(tmp_path), "--revision", "base").returncode == 0
    with connect_index(tmp_path / "archive.sqlite3") as index:
        index.execute("CREATE TABLE unrelated (x INTEGER)")
    result = crawl(tmp_path, "http://127.0.0.1:9")
    assert result.returncode == 3
    assert "newsarchive db upgrade" in result.stderr


@pytest.mark.parametrize("command", [["crawl"], ["reindex"], ["db", "upgrade"], ["demo"], ["sites"]])
def test_every_command_has_help_with_an_example(command: list[str]) -> None:
    done = run_newsarchive(*command, "--help")
    assert done.returncode == 0
    if command != ["sites"]:
        assert "Example:" in done.stdout
