"""Shared fixtures: the sample news site on a real HTTP server, and real crawls of it.

A crawl runs the installed `newsarchive` command in a subprocess (Twisted's reactor runs once per
process), against the site served from this process on 127.0.0.1.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from newsarchive_site import build_site, serve

REPO = Path(__file__).resolve().parent.parent
NEWSARCHIVE = str(Path(sys.executable).parent / "newsarchive")

# Loopback only: no politeness delay needed against our own server.
LOCAL_SETTINGS = ("AUTOTHROTTLE_ENABLED=False", "DOWNLOAD_DELAY=0", "LOG_LEVEL=INFO")
# Page requisites (on by default) triple a crawl's requests; most tests are about pages, so they crawl
# without them, and the tests of requisites and replay (and the shared `crawled` archive) add
# REQUISITES_ON. Nothing from the internet: the sample pages name an analytics script on a real host.
LOCAL_SETTINGS += ("ARCHIVE_REQUISITES=False", "ARCHIVE_REQUISITE_HOSTS=127.0.0.1,localhost")
REQUISITES_ON = "ARCHIVE_REQUISITES=True"


@dataclass(frozen=True)
class CrawlResult:
    data_dir: Path
    returncode: int
    stdout: str
    stderr: str

    @property
    def database(self) -> Path:
        return self.data_dir / "archive.sqlite3"

    @property
    def warc_dir(self) -> Path:
        return self.data_dir / "warcs"


def run_newsarchive(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the real console command, as a user (or cron) would."""
    return subprocess.run(
        [NEWSARCHIVE, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd or REPO
    )


def crawl(data_dir: Path, base_url: str, *extra_settings: str, site: str = "morningstar") -> CrawlResult:
    settings = [arg for name_value in (*LOCAL_SETTINGS, *extra_settings) for arg in ("-s", name_value)]
    done = run_newsarchive("crawl", site, "--data-dir", str(data_dir), "--base-url", base_url, *settings)
    return CrawlResult(data_dir, done.returncode, done.stdout, done.stderr)


@dataclass(frozen=True)
class Replay:
    """A running `newsarchive replay`: the front page's URL and the archive's (another origin)."""

    front: str  # "http://127.0.0.1:PORT/"
    archive: str  # "http://127.0.0.1:OTHER_PORT/"


@contextmanager
def replay_server(data_dir: Path, log_path: Path, *options: str) -> Iterator[Replay]:
    """`newsarchive replay` on free ports, as a real server process."""
    log = log_path.open("w")
    process = subprocess.Popen(
        [NEWSARCHIVE, "replay", "--data-dir", str(data_dir), "--port", "0", *options],
        stdout=subprocess.PIPE, stderr=log, text=True,
    )
    try:
        deadline = time.monotonic() + 30
        urls = None
        while urls is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            if match := re.search(r"Serving the archive at (http://\S+/) \(archived pages at (http://\S+/)newsarchive/\)", line):
                urls = Replay(*match.groups())
        assert urls, f"replay did not start (exit {process.poll()}); see {log_path}"
        yield urls
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def site():
    return build_site(60)


@pytest.fixture(scope="session")
def server(site) -> Iterator:
    with serve(site, host="127.0.0.1", port=0) as running:
        yield running


@dataclass(frozen=True)
class SiteCrawl:
    result: CrawlResult
    base_url: str
    requests: list  # (method, path_with_query, headers) the server received during this crawl
    cdn_url: str = ""  # the site's CDN (another port)
    cdn_requests: tuple = ()  # what the CDN received


@pytest.fixture(scope="session")
def crawled(site, tmp_path_factory) -> SiteCrawl:
    """One full crawl of the sample site on a server of its own, shared by read-only tests."""
    with serve(site, host="127.0.0.1", port=0) as running:
        result = crawl(tmp_path_factory.mktemp("crawl"), running.base_url, REQUISITES_ON)
        requests = list(running.requests)
    assert result.returncode == 0, result.stdout + result.stderr[-4000:]
    return SiteCrawl(result, running.base_url, requests, running.cdn_url, tuple(running.cdn_requests))


@pytest.fixture(scope="session")
def profile():
    """The bundled Morning Star site profile."""
    from crawler.sites import load_profile

    return load_profile("morningstar")
