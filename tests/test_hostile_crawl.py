"""A whole crawl of a site that misbehaves on purpose (tests/hostile/server.py): what a user would see.

Every good article is archived although the home page's navigation holds malformed links; traps end
at their limits; nothing is fetched from another host or port; bodies that cannot be read are
archived raw and counted as failures; Retry-After is waited out; noarchive is recorded; archived
terminal escapes never reach the terminal.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.helpers import LOCAL_SETTINGS, REPO, crawl, newsarchive_argv, rows, run_newsarchive
from tests.hostile.server import GOOD_ARTICLES, LIMITS, PROFILE, serve_hostile



@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    with serve_hostile() as site:
        started = time.monotonic()
        result = crawl(tmp_path_factory.mktemp("hostile"), site.base_url, *LIMITS, site=str(PROFILE))
        elapsed = time.monotonic() - started
        stats = json.loads(rows(result.database, "SELECT stats FROM crawl_runs")[0]["stats"])
        yield result, site, stats, elapsed


def test_every_good_article_is_archived_despite_malformed_links(hostile) -> None:
    result, site, stats, _ = hostile
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    archived = {row["url"] for row in rows(result.database, "SELECT url FROM articles")}
    assert {site.base_url + path for path in GOOD_ARTICLES} <= archived
    assert stats["archive/failed_pages/malformed_link"] == 2  # each counted once, not once per page


def test_traps_end_at_their_limits(hostile) -> None:
    _, site, stats, elapsed = hostile
    paths = site.paths()
    news_pages = [int(p.rsplit("=", 1)[1]) for p in paths if p.startswith("/news?page=")]
    more_pages = [int(p.rsplit("/", 1)[1]) for p in paths if p.startswith("/more/")]
    calendar = [p for p in paths if p.startswith("/calendar/")]
    chain = [p for p in paths if p.startswith("/chain/")]
    assert max(news_pages) == 10 and max(more_pages) == 10
    assert len(calendar) == 15
    assert 25 <= len(chain) <= 30  # depth 1 to 30
    assert stats["archive/skipped/trap/listing_pages"] == 2
    assert stats["archive/skipped/trap/url_pattern"] >= 1
    assert stats["archive/skipped/trap/depth"] == 1
    assert len(paths) < 120 and elapsed < 120


def test_the_crawl_stays_on_the_site_host_and_port(hostile) -> None:
    result, site, stats, _ = hostile
    assert site.other_port_hits == []
    assert all(hit.host == site.base_url.removeprefix("http://") for hit in site.hits)
    assert "/article/elsewhere" not in site.paths()
    assert stats["archive/skipped/offsite_redirect"] == 2
    # the redirects themselves are archived, their targets are not
    captured = {row["url"] for row in rows(result.database, "SELECT url FROM captures")}
    assert site.base_url + "/redirect-away" in captured
    assert not [url for url in captured if "elsewhere" in url or "other-" in url]


def test_unreadable_bodies_are_archived_raw_and_counted(hostile) -> None:
    result, site, stats, _ = hostile
    assert stats["archive/failed_pages/cannot_decode"] == 1  # br, sent unasked
    assert stats["archive/failed_pages/decompression_bomb"] == 1
    assert stats["archive/failed_pages/truncated_body"] == 1
    captured = {row["url"]: row["status"] for row in rows(result.database, "SELECT url, status FROM captures")}
    articles = {row["url"] for row in rows(result.database, "SELECT url FROM articles")}
    for name in ("brotli", "bomb", "truncated"):
        assert captured[f"{site.base_url}/article/{name}"] == 200
        assert f"{site.base_url}/article/{name}" not in articles
    assert "AttributeError" not in result.stderr and "Traceback" not in result.stderr
    bodies = _warc_bodies(result.warc_dir)
    assert bodies[f"{site.base_url}/article/bomb"] == len(_bomb())  # raw, still compressed
    assert "noarchive" in _article_records(result.warc_dir)[f"{site.base_url}/article/noarchive"]["extra"]["robots"]


def test_retry_after_is_waited_out(hostile) -> None:
    _, site, stats, _ = hostile
    times = [hit.at for hit in site.hits if hit.path == "/article/limited"]
    assert len(times) == 2 and times[1] - times[0] >= 1.9
    assert stats["archive/retry_after/waits"] == 1


def test_noarchive_is_recorded_and_archived_by_default(hostile) -> None:
    result, site, stats, _ = hostile
    records = _article_records(result.warc_dir)
    assert records[f"{site.base_url}/article/noarchive"]["extra"]["robots"] == ["noarchive", "nofollow-x"]
    assert records[f"{site.base_url}/article/xrobots"]["extra"]["robots"] == ["noarchive"]
    assert stats["archive/articles/noarchive"] == 2


def test_summary_and_runs_report_honestly(hostile) -> None:
    result, _, stats, _ = hostile
    assert re.search(r"\d+ articles new or changed \(0 paywalled, \d+ free, 0 unknown\), 0 unchanged", result.stdout)
    assert stats["archive/warc_bytes"] > 0
    runs = run_newsarchive("runs", "--data-dir", str(result.data_dir))
    header, row = runs.stdout.splitlines()[:2]
    assert header.split()[-1] == "bytes" and int(row.split()[-1]) == stats["archive/warc_bytes"]


def test_terminal_escapes_never_reach_the_terminal(hostile) -> None:
    result, site, _, _ = hostile
    shown = run_newsarchive("show", "--data-dir", str(result.data_dir), f"{site.base_url}/article/escape")
    assert shown.returncode == 0, shown.stderr
    assert "\x1b" not in shown.stdout and "\x07" not in shown.stdout
    assert "Harmless \\x1b]0;pwned\\x07\\x1b[2J title" in shown.stdout
    queried = run_newsarchive("query", "--data-dir", str(result.data_dir),
                              "SELECT title FROM articles WHERE url LIKE '%/escape'")
    assert queried.returncode == 0, queried.stderr
    assert "\x1b" not in queried.stdout and "\\x1b]0;pwned" in queried.stdout


def test_show_raw_of_a_gzip_bomb_is_refused_while_inflating(hostile) -> None:
    result, site, _, _ = hostile
    shown = subprocess.run(newsarchive_argv("show", "--raw", "--data-dir", str(result.data_dir),
                            f"{site.base_url}/article/bomb"), capture_output=True, timeout=60, cwd=REPO)
    assert shown.returncode == 1 and shown.stdout == b""
    assert b"decompression bomb" in shown.stderr and b"Traceback" not in shown.stderr


def test_sigterm_stops_a_crawl_waiting_on_a_page_that_never_ends(tmp_path) -> None:
    with serve_hostile(slow_page=True) as site:
        settings = [arg for value in (*LOCAL_SETTINGS, *LIMITS) for arg in ("-s", value)]
        process = subprocess.Popen(
            newsarchive_argv("crawl", str(PROFILE), "--data-dir", str(tmp_path), "--base-url", site.base_url, *settings),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
        )
        deadline = time.monotonic() + 60
        while "/article/slow" not in site.paths() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "/article/slow" in site.paths()
        process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        out, err = process.communicate(timeout=40)
        assert time.monotonic() - started < 35
    status = rows(tmp_path / "archive.sqlite3", "SELECT status FROM crawl_runs")[0]["status"]
    assert status == "interrupted"
    assert process.returncode == 1, err[-2000:]


def _bomb() -> bytes:
    from tests.hostile.server import _BOMB

    return _BOMB


def _warc_bodies(warc_dir: Path) -> dict[str, int]:
    """Raw (still encoded) response body length per URL, read with warcio."""
    sizes = {}
    for path in sorted(warc_dir.glob("*.warc.gz")):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "response":
                    sizes[record.rec_headers.get_header("WARC-Target-URI")] = len(record.raw_stream.read())
    return sizes


def _article_records(warc_dir: Path) -> dict[str, dict]:
    """Article metadata records by URL, read with warcio."""
    found = {}
    for path in sorted(warc_dir.glob("*.warc.gz")):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "metadata":
                    payload = json.loads(record.content_stream().read())
                    if "free_text" in payload:
                        found[payload["fetched_url"]] = payload
    return found


def test_a_page_failing_as_in_the_previous_run_is_reported_not_counted_again(tmp_path) -> None:
    with serve_hostile() as site:
        first = crawl(tmp_path, site.base_url, *LIMITS, site=str(PROFILE))
        second = crawl(tmp_path, site.base_url, *LIMITS, "ARCHIVE_MAX_FAILED_RATIO=0", site=str(PROFILE))
    assert first.returncode == 0 and "5 failed pages;" in first.stdout
    # the same five failures: reported, not new, so even a zero failure ratio passes
    assert second.returncode == 0, second.stdout + second.stderr[-2000:]
    assert "0 failed pages (5 failing as in the previous run);" in second.stdout
    assert "Still failing as in the previous run: http://[::1/article/bad-ipv6: malformed_link" in second.stderr
