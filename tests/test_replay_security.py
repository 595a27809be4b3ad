"""Replay against hostile archived pages: no script of theirs may run on the front page's origin.

A real crawl archives a sample-site article whose canonical link and `og:url` are `javascript:`
URLs and which carries an inline script; the index is then made to hold a `javascript:` URL and a
scripted headline whatever the extractor decided (it may refuse such URLs on its own). The front
page must turn neither into a link or markup, send a Content-Security-Policy, and link replays to
the archive's own origin, where the archived script runs without reaching the front page's storage.
A front page request stuck in a slow search must not hold up other requests.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import replace
from urllib.parse import urlsplit

import pytest

from newsarchive_site import build_site, serve
from tests.helpers import CHROMIUM, CHROMIUM_ARGS, REPO, REQUISITES_ON, connect_index, crawl, index_url, replay_server

HOSTILE_URL = "javascript:alert(document.domain)//"
HOSTILE_TITLE = '<script>alert("front page")</script>Hostile headline'
ARCHIVED_SCRIPT = (
    '<script>document.body.setAttribute("data-archived-script", "ran");'
    ' try { localStorage.setItem("pwned", "1"); } catch (e) {}</script>'
)


@pytest.fixture(scope="module")
def hostile_archive(tmp_path_factory):
    site = build_site(30)
    truth = next(t for t in site.truth.values()
                 if t.reachable and not t.paywalled and t.variants == ("metadata:jsonld",))
    page = site.pages[truth.path]
    body = page.body.replace(f'"{{base}}{truth.path}"'.encode(), f'"{HOSTILE_URL}"'.encode())
    assert body.count(HOSTILE_URL.encode()) >= 2  # canonical and og:url
    site.pages[truth.path] = replace(page, body=body.replace(b"</body>", ARCHIVED_SCRIPT.encode() + b"</body>"))
    data_dir = tmp_path_factory.mktemp("hostile")
    with serve(site, host="127.0.0.1", port=0) as server:
        done = crawl(data_dir, server.base_url, "ARCHIVE_MAX_FAILED_RATIO=0.2", REQUISITES_ON)  # the small site's 2 broken links
        assert done.returncode == 0, done.stderr[-3000:]
    with connect_index(data_dir / "archive.sqlite3") as db:
        (article_id,) = db.execute(
            "SELECT a.id FROM articles a JOIN captures c ON c.id = a.latest_capture_id WHERE c.url = ?",
            (server.base_url + truth.path,),
        ).fetchone()
        db.execute("UPDATE articles SET url = ?, title = ? WHERE id = ?", (HOSTILE_URL, HOSTILE_TITLE, article_id))
    return data_dir, article_id


@pytest.fixture(scope="module")
def replay(hostile_archive, tmp_path_factory):
    with replay_server(hostile_archive[0], tmp_path_factory.getbasetemp() / "replay-hostile.log") as urls:
        yield urls


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def test_front_page_links_only_http_urls_and_forbids_scripts(hostile_archive, replay) -> None:
    with urllib.request.urlopen(replay.front, timeout=30) as response:
        policy = response.headers["Content-Security-Policy"]
        page = response.read().decode()
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert "javascript:" not in page.lower()
    assert "<script>" not in page.lower()
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert hrefs and all(href.startswith(("http://", "https://", "/", "?")) for href in hrefs), hrefs


def test_archived_script_runs_on_the_archive_origin_only(hostile_archive, replay) -> None:
    from playwright.sync_api import sync_playwright

    _, article_id = hostile_archive
    assert origin(replay.front) != origin(replay.archive)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            dialogs: list[str] = []
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(replay.front)
            protocols = page.evaluate("[...document.links].map(link => link.protocol)")
            assert protocols and set(protocols) <= {"http:", "https:"}, protocols
            row = page.locator(f'li[data-article-id="{article_id}"]')
            assert row.locator("a.live").count() == 0
            assert HOSTILE_TITLE in row.inner_text()  # shown as text, never run
            row.locator("a.replay").click()
            page.wait_for_load_state("load")
            assert origin(page.url) == origin(replay.archive)
            page.locator('body[data-archived-script="ran"]').wait_for(timeout=10_000)  # it does run, there
            page.goto(replay.front)
            assert page.evaluate('localStorage.getItem("pwned")') is None
            assert dialogs == []
        finally:
            browser.close()


SLOW_FRONT_PAGE = """
import sqlite3, sys
from gevent import monkey
monkey.patch_all()
from pathlib import Path
from archive.index.database import Database
from archive.layout import DataLayout
from archive.replay.frontpage import FrontPage
from archive.replay.server import ReplayLayout, start_servers

data_dir = Path(sys.argv[1])


def slow_search(database_url, words, section, paywalled, limit):
    # seconds of work inside SQLite, as a pathological full-text query takes (on any index database)
    with sqlite3.connect(":memory:") as db:
        db.execute("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n LIMIT 20000000) "
                   "SELECT count(*) FROM n").fetchone()
    return []


layout = ReplayLayout.of(DataLayout.of(data_dir))
servers = start_servers(
    layout, lambda archive_url, run: FrontPage(Database(sys.argv[2]), slow_search,
                                               archive_url=archive_url, run_blocking=run),
    "127.0.0.1", 0, 0)
print("front", servers.front.url, "archive", servers.archive.url, flush=True)
servers.serve_forever()
"""


def test_a_slow_search_does_not_hold_up_other_requests(hostile_archive, replay) -> None:
    """The servers `newsarchive replay` starts, with a search that keeps SQLite busy for seconds."""
    data_dir, _ = hostile_archive  # its replay index was written by the `replay` fixture
    process = subprocess.Popen([sys.executable, "-c", SLOW_FRONT_PAGE, str(data_dir), index_url(data_dir / "archive.sqlite3")], cwd=REPO,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        _, front, _, archive = process.stdout.readline().split()
        slow_done = threading.Event()

        def slow() -> None:
            urllib.request.urlopen(front + "?q=anything", timeout=120).read()
            slow_done.set()

        started = time.monotonic()
        threading.Thread(target=slow, daemon=True).start()
        time.sleep(0.3)
        with urllib.request.urlopen(front, timeout=120) as response:
            assert response.status == 200
        with urllib.request.urlopen(archive, timeout=120) as response:
            assert response.status == 200
        assert not slow_done.is_set(), "the slow search finished first: make it slower"
        assert slow_done.wait(120), "the slow search never finished"
        assert time.monotonic() - started > 0.3
    finally:
        process.terminate()
        process.wait(timeout=10)
