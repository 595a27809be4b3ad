"""Shared fixtures: the sample news site on a real HTTP server, and real crawls of it (helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from newsarchive_site import build_site, serve
from tests.helpers import REQUISITES_ON, SiteCrawl, crawl


@pytest.fixture(scope="session")
def site():
    return build_site(60)


@pytest.fixture(scope="session")
def server(site) -> Iterator:
    with serve(site, host="127.0.0.1", port=0) as running:
        yield running


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
