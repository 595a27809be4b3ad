"""Whole crawls beyond the Morning Star: the second publisher with its own profile file
(`newsarchive crawl --profile PATH`, no code change), and the generic profile on the variant site
(`newsarchive crawl generic --base-url URL`), read back with sqlite3 and warcio."""

from __future__ import annotations

import json

import pytest
from newsarchive_site import CLARION_PROFILE, build_clarion, build_variants, serve

from tests.helpers import LOCAL_SETTINGS, rows, run_newsarchive, warc_records


def _settings() -> list[str]:
    return [arg for name_value in LOCAL_SETTINGS for arg in ("-s", name_value)]


@pytest.fixture(scope="module")
def clarion_crawl(tmp_path_factory):
    site = build_clarion()
    data_dir = tmp_path_factory.mktemp("clarion")
    with serve(site) as server:
        done = run_newsarchive("crawl", "--profile", CLARION_PROFILE, "--data-dir", str(data_dir),
                               "--base-url", server.base_url, *_settings())
        requests = [path for _, path, _ in server.requests]
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    return site, data_dir, server.base_url, requests


@pytest.fixture(scope="module")
def generic_crawl(tmp_path_factory):
    site = build_variants()
    data_dir = tmp_path_factory.mktemp("generic")
    with serve(site) as server:
        done = run_newsarchive("crawl", "generic", "--data-dir", str(data_dir), "--base-url", server.base_url,
                               *_settings())
        requests = [path for _, path, _ in server.requests]
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    return site, data_dir, server.base_url, requests


def test_second_publisher_is_archived_from_its_profile_file(clarion_crawl) -> None:
    site, data_dir, base, requests = clarion_crawl
    articles = {row["url"]: row for row in rows(data_dir / "archive.sqlite3", "SELECT * FROM articles")}
    assert sorted(articles) == sorted(base + path for path in site.truth)
    for path, truth in site.truth.items():
        row = articles[base + path]
        assert row["site"] == "clarion"
        assert (row["title"], row["section"], row["published_at"]) == (truth.title, truth.section, truth.published_at)
        assert json.loads(row["authors"]) == list(truth.authors)
        assert row["free_text"] == truth.free_text and row["paywall_kind"] == truth.paywall_kind
        assert bool(row["paywalled"]) == truth.paywalled
        marker = json.loads(row["paywall_signals"])
        assert marker["locked_text_in_page"] == truth.locked_text_in_page and marker["decided_by"] == truth.decided_by
        links = rows(data_dir / "archive.sqlite3",
                     f"SELECT url FROM article_links WHERE article_id = {row['id']} ORDER BY position")
        assert [link["url"] for link in links] == [base + target for target in truth.similar]
    # "More stories" pages were followed, each page fetched once
    assert {"/news/more/2", "/politics/more/2"} <= set(requests)
    assert len(requests) == len(set(requests))


def test_second_publisher_metadata_records_carry_the_new_fields(clarion_crawl) -> None:
    site, data_dir, base, _ = clarion_crawl
    payloads = {}
    for _, headers, _, body in warc_records(data_dir / "warcs"):
        if headers.get_header("WARC-Type") == "metadata" and headers.get_header("Content-Type") == "application/json":
            payload = json.loads(body)
            if str(payload.get("schema", "")).startswith("newsarchive/article/"):
                payloads[payload["url"]] = payload
    for path, truth in site.truth.items():
        payload = payloads[base + path]
        assert tuple(payload["tags"]) == truth.tags
        assert [a["kind"] for a in payload["author_details"]] == list(truth.author_kinds or ())
        assert payload["publisher"] == truth.publisher and payload["language"] == truth.language
        assert payload["updated_at"] == truth.updated_at


def test_generic_profile_finds_every_article_by_its_markup(generic_crawl) -> None:
    site, data_dir, base, requests = generic_crawl
    urls = {row["url"] for row in rows(data_dir / "archive.sqlite3", "SELECT url FROM articles")}
    assert urls == {base + (truth.canonical or truth.path) for truth in site.truth.values()}
    for purpose in ("sitemap_only", "feed_only", "rel_next_only"):  # discovery beyond <a> links
        assert set(site.links[purpose]) <= set(requests), purpose
    assert "/wp-login.php" not in requests and "/login" not in requests  # deny rules
    assert not [path for path in requests if "elsewhere" in path]
    paywalled = dict(rows(data_dir / "archive.sqlite3", "SELECT url, paywalled FROM articles"))
    for truth in site.truth.values():
        if truth.canonical is None:  # an AMP page shares its row with its canonical pair
            assert paywalled[base + truth.path] == truth.paywalled, truth.path
