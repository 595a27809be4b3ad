"""The exported WACZ in ReplayWeb.page, the viewer archivists use, in a real headless Chromium.

The `replaywebpage` package is fetched from the npm registry with `npm pack` (installing it can fail
on a dependency the registry lacks; the package is prebuilt, and its `ui.js` and `sw.js` are all a
local embed needs). A small server with HTTP range support serves them beside the WACZ: a page
with `<replay-web-page source=… url=… replayBase="/replay/">`, and the service worker under
`/replay/`. The embed must show an archived article's free text and its paywall as a non-subscriber
saw it. Without npm the test fails, naming what to install: it is never skipped.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import tarfile
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from newsarchive_site.assets import HEADLINE_COLOUR
from tests.helpers import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, REPO, SiteCrawl, reachable, run_newsarchive

REPLAYWEBPAGE = "replaywebpage@2.5.3"  # pinned: the embed's API (attributes, sw.js path) is this version's


@pytest.fixture(scope="session")
def replaywebpage(tmp_path_factory) -> Path:
    """`ui.js` and `sw.js` of the pinned package, from `npm pack` (cached under .cache/ between runs)."""
    cache = REPO / ".cache" / REPLAYWEBPAGE.replace("@", "-")
    if not (cache / "ui.js").is_file() or not (cache / "sw.js").is_file():
        npm = shutil.which("npm")
        assert npm, "npm is needed to fetch ReplayWeb.page: apt-get install npm (make test does)"
        scratch = tmp_path_factory.mktemp("npm")
        done = subprocess.run([npm, "pack", REPLAYWEBPAGE, "--silent"], cwd=scratch, capture_output=True,
                              text=True, timeout=300, env={**os.environ, "npm_config_update_notifier": "false"})
        assert done.returncode == 0, f"npm pack {REPLAYWEBPAGE} failed: {done.stderr[-2000:]}"
        (tarball,) = scratch.glob("*.tgz")
        cache.mkdir(parents=True, exist_ok=True)
        with tarfile.open(tarball) as package:
            for name in ("ui.js", "sw.js"):
                member = package.extractfile(f"package/{name}")
                assert member is not None, f"{name} missing from {tarball.name}"
                (cache / name).write_bytes(member.read())
    return cache


class RangeHandler(SimpleHTTPRequestHandler):
    """Static files with single `Range: bytes=a-b` support, as ReplayWeb.page reads a WACZ."""

    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".js": "application/javascript",
                      ".wacz": "application/wacz"}

    def send_head(self):  # type: ignore[override]
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        path = Path(self.translate_path(self.path))
        if not match or not path.is_file():
            return super().send_head()
        size = path.stat().st_size
        start, end = int(match.group(1)), int(match.group(2) or size - 1)
        end = min(end, size - 1)
        stream = path.open("rb")
        stream.seek(start)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        self.range_left = end - start + 1
        return stream

    def copyfile(self, source, outputfile):  # type: ignore[override]
        left = getattr(self, "range_left", None)
        if left is None:
            return super().copyfile(source, outputfile)
        while left > 0:
            chunk = source.read(min(65536, left))
            if not chunk:
                break
            outputfile.write(chunk)
            left -= len(chunk)

    def end_headers(self) -> None:
        if not self.headers.get("Range"):
            self.send_header("Accept-Ranges", "bytes")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass


@pytest.fixture(scope="module")
def embed_site(crawled: SiteCrawl, replaywebpage: Path, tmp_path_factory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("rwp")
    done = run_newsarchive("export", "wacz", "--data-dir", str(crawled.result.data_dir), "-o", str(root / "archive.wacz"))
    assert done.returncode == 0, done.stderr
    (root / "replay").mkdir()
    shutil.copy(replaywebpage / "sw.js", root / "replay" / "sw.js")
    shutil.copy(replaywebpage / "ui.js", root / "ui.js")
    shutil.copy(replaywebpage / "ui.js", root / "replay" / "ui.js")  # the service worker's page loads it there
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(RangeHandler, directory=str(root)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", root
    finally:
        server.shutdown()
        server.server_close()


def test_the_wacz_opens_in_replaywebpage_with_the_free_text_and_the_paywall(site, crawled, embed_site) -> None:
    from playwright.sync_api import sync_playwright

    base, root = embed_site
    truth = next(t for t in reachable(site).values() if t.paywall_kind == "overlay" and t.encoding == "utf-8")
    url = crawled.base_url + truth.path
    (root / "index.html").write_text(
        '<!doctype html><html><head><meta charset="utf-8"><script src="/ui.js"></script></head><body>'
        f'<replay-web-page style="display:block;height:90vh" source="{base}archive.wacz" url="{html.escape(url)}" '
        'replayBase="/replay/" embed="replayonly"></replay-web-page></body></html>', encoding="utf-8")
    opening = " ".join(truth.free_text.split("\n\n")[0].split())[:60]
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1400})
            page.goto(base + "index.html")
            replayed = None
            for attempt in range(240):  # up to two minutes: the service worker loads the WACZ index first
                if attempt == 40 and not replayed:
                    page.reload()  # a first visit can load the frame before the service worker controls it
                for frame in page.frames:
                    try:
                        text = " ".join(frame.locator("body").inner_text(timeout=500).split())
                    except Exception:  # a frame being navigated or detached
                        continue
                    if truth.title in text and opening in text:
                        replayed, article_frame = text, frame
                if replayed:
                    break
                page.wait_for_timeout(500)
            if replayed:  # as it looked: the site's stylesheet and the lead image, from the WACZ
                headline = article_frame.locator("h1").first
                try:  # the text can show before the stylesheet has come out of the WACZ
                    article_frame.wait_for_function(f"h => getComputedStyle(h).color === '{HEADLINE_COLOUR}'",
                                                    arg=headline.element_handle(), timeout=20_000)
                except Exception:  # noqa: BLE001 - the assertion below names the colour it got
                    pass
                colour = headline.evaluate("h => getComputedStyle(h).color")
                lead = article_frame.locator("article img").first
                article_frame.wait_for_function("img => img.complete && img.naturalWidth > 0",
                                                arg=lead.element_handle(), timeout=20_000)
            page.screenshot(path=str(ARTIFACTS / "replaywebpage.png"))
        finally:
            browser.close()
    assert replayed, "ReplayWeb.page did not show the article"
    assert "Subscribe to continue reading." in replayed
    assert colour == HEADLINE_COLOUR
