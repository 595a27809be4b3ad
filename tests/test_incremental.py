"""Nightly re-crawls: the sample site changes between two real crawls, and the archive keeps up.

Between the crawls one article is added, one edited, one has its paywall lifted; one unchanged
page is served with an ETag (the crawler asks If-None-Match and gets a 304), one without (the
crawler gets the same bytes again). The WARC files and the database are read back independently.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from newsarchive_site import build_site, serve
from tests.helpers import crawl, rows

ALWAYS_REFETCH = "ARCHIVE_RECRAWL_DAYS=100000"  # the sample articles are from early 2026


def records_by_type(warc_dir: Path, kind: str) -> list:
    found = []
    for path in sorted(warc_dir.glob("*.warc.gz")):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == kind:
                    found.append((path, record.rec_headers, record.http_headers))
    return found


def warc_bytes(data_dir: Path) -> int:
    return sum(path.stat().st_size for path in (data_dir / "warcs").glob("*.warc.gz"))


def plain_free_articles(site) -> list:
    return [
        truth
        for truth in site.truth.values()
        if truth.reachable and not truth.paywalled and truth.variants == ("metadata:jsonld",)
    ]


@pytest.fixture(scope="module")
def two_crawls(tmp_path_factory):
    site = build_site(60)
    data_dir = tmp_path_factory.mktemp("nightly")
    free = plain_free_articles(site)
    edited, no_etag, template = free[0], free[1], free[2]
    lifted = next(
        truth for truth in site.truth.values()
        if truth.reachable and truth.paywall_kind == "truncated" and truth.variants == ("metadata:jsonld",)
    )
    site.pages[no_etag.path] = replace(site.pages[no_etag.path], etag=False)
    with serve(site, host="127.0.0.1", port=0) as server:
        first = crawl(data_dir, server.base_url, ALWAYS_REFETCH)
        assert first.returncode == 0, first.stderr[-3000:]
        first_bytes = warc_bytes(data_dir)

        sentence = edited.free_text.split(". ")[0]
        page = site.pages[edited.path]
        assert page.body.count(sentence.encode()) == 1
        site.pages[edited.path] = replace(page, body=page.body.replace(sentence.encode(), b"UPDATED " + sentence.encode()))

        page = site.pages[template.path]  # the lifted article now shows a free article's full text
        site.pages[lifted.path] = replace(page, body=page.body.replace(template.path.encode(), lifted.path.encode()))

        added = "/article/a-brand-new-story"
        site.pages[added] = replace(
            page, body=page.body.replace(template.path.encode(), added.encode()).replace(
                template.title.encode(), b"A brand new story"
            )
        )
        home = site.pages["/"]
        site.pages["/"] = replace(home, body=home.body.replace(b"</body>", f'<a href="{added}">New</a></body>'.encode()))

        second = crawl(data_dir, server.base_url, ALWAYS_REFETCH)
        assert second.returncode == 0, second.stderr[-3000:]
        second_bytes = warc_bytes(data_dir) - first_bytes
        # nothing changed since the second crawl; the default policy re-fetches only young articles
        # (its two broken links are most of what it fetches: no failed-pages verdict wanted here)
        third = crawl(data_dir, server.base_url, "ARCHIVE_MAX_FAILED_RATIO=1")
        assert third.returncode == 0, third.stderr[-3000:]
        base = server.base_url
    third_bytes = warc_bytes(data_dir) - first_bytes - second_bytes
    return {
        "site": site, "data_dir": data_dir, "base": base, "edited": edited, "no_etag": no_etag,
        "lifted": lifted, "added": added, "first_bytes": first_bytes, "third_bytes": third_bytes,
    }


def test_second_run_counts_new_changed_and_unchanged_articles(two_crawls) -> None:
    database = two_crawls["data_dir"] / "archive.sqlite3"
    first, second, _ = rows(database, "SELECT status, stats FROM crawl_runs ORDER BY id")
    stats = json.loads(second["stats"])
    reachable = sum(1 for truth in two_crawls["site"].truth.values() if truth.reachable)
    assert second["status"] == "finished"
    assert stats["archive/articles/new"] == 1
    assert stats["archive/articles/changed"] == 2  # edited, paywall lifted
    assert stats["archive/articles/unchanged"] == reachable - 2
    assert stats["archive/revisits/server-not-modified"] == reachable - 3  # all but no-ETag, edited, lifted
    assert stats["archive/revisits/identical-payload-digest"] >= 2  # the no-ETag article, unchanged listings
    assert json.loads(first["stats"])["archive/articles/new"] == reachable


def test_a_crawl_of_an_unchanged_site_writes_under_a_tenth_of_the_first(two_crawls) -> None:
    assert two_crawls["third_bytes"] < 0.10 * two_crawls["first_bytes"]


def test_revisit_records_refer_to_their_original(two_crawls) -> None:
    warc_dir = two_crawls["data_dir"] / "warcs"
    originals = {
        headers.get_header("WARC-Record-ID"): headers for _, headers, _ in records_by_type(warc_dir, "response")
    }
    revisits = records_by_type(warc_dir, "revisit")
    assert revisits
    profiles = set()
    for _, headers, http in revisits:
        original = originals[headers.get_header("WARC-Refers-To")]
        assert headers.get_header("WARC-Refers-To-Target-URI") == original.get_header("WARC-Target-URI")
        assert headers.get_header("WARC-Refers-To-Date") == original.get_header("WARC-Date")
        assert headers.get_header("WARC-Payload-Digest") == original.get_header("WARC-Payload-Digest")
        profile = headers.get_header("WARC-Profile")
        profiles.add(profile.rsplit("/", 1)[1])
        expected_status = "304" if profile.endswith("server-not-modified") else "200"
        assert http.get_statuscode() == expected_status
    assert profiles == {"server-not-modified", "identical-payload-digest"}
    no_etag_url = two_crawls["base"] + two_crawls["no_etag"].path
    assert any(
        headers.get_header("WARC-Target-URI") == no_etag_url
        and headers.get_header("WARC-Profile").endswith("identical-payload-digest")
        for _, headers, _ in revisits
    )


def test_history_shows_what_changed_and_when(two_crawls) -> None:
    database = two_crawls["data_dir"] / "archive.sqlite3"
    base = two_crawls["base"]

    def history(path: str) -> list[sqlite3.Row]:
        return rows(
            database,
            "SELECT v.changed, v.paywalled, v.free_text FROM article_versions v "
            f"JOIN articles a ON a.id = v.article_id WHERE a.url = '{base + path}' ORDER BY v.captured_at",
        )

    edited = history(two_crawls["edited"].path)
    assert [json.loads(row["changed"]) for row in edited] == [[], ["free_text", "word_count"]]
    assert edited[1]["free_text"].startswith("UPDATED ")
    lifted = history(two_crawls["lifted"].path)
    assert len(lifted) == 2 and "paywalled" in json.loads(lifted[1]["changed"])
    assert [row["paywalled"] for row in lifted] == [1, 0]
    assert len(history(two_crawls["no_etag"].path)) == 1
    article = rows(database, f"SELECT paywalled, first_seen_at, last_seen_at FROM articles WHERE url = '{base + two_crawls['lifted'].path}'")[0]
    assert article["paywalled"] == 0 and article["last_seen_at"] > article["first_seen_at"]
    unchanged = rows(database, f"SELECT first_seen_at, last_seen_at FROM articles WHERE url = '{base + two_crawls['no_etag'].path}'")[0]
    assert unchanged["last_seen_at"] > unchanged["first_seen_at"]  # seen again through its revisit


def test_old_archived_articles_are_not_fetched_again(two_crawls, tmp_path: Path) -> None:
    site = two_crawls["site"]
    with serve(site, host="127.0.0.1", port=0) as server:
        first = crawl(tmp_path, server.base_url)
        assert first.returncode == 0
        before = len(server.requests)
        # default policy: only articles younger than 7 days
        second = crawl(tmp_path, server.base_url, "ARCHIVE_MAX_FAILED_RATIO=1")
        assert second.returncode == 0, second.stderr[-2000:]
        fetched = {path for _, path, _ in server.requests[before:]}
    archived = {path for path, truth in site.truth.items() if truth.reachable}
    assert fetched and not fetched & archived
    stats = json.loads(rows(tmp_path / "archive.sqlite3", "SELECT stats FROM crawl_runs ORDER BY id DESC")[0]["stats"])
    assert stats["archive/skipped/archived_article"] >= 1
