"""Shared fixtures: the sample news site on a real HTTP server, and real crawls of it (helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from newsarchive_site import build_site, serve
from tests.helpers import (
    CREATED_DATABASES, REQUISITES_ON, TEST_DATABASE, SiteCrawl, crawl, new_postgresql_database, postgresql_admin,
)


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


def pytest_collection_modifyitems(config, items) -> None:
    """In the PostgreSQL pass, tests about the SQLite file itself are skipped, each with its reason."""
    if TEST_DATABASE != "postgresql":
        return
    for item in items:
        if item.get_closest_marker("sqlite_only"):
            item.add_marker(pytest.mark.skip(reason="about the SQLite file itself (NEWSARCHIVE_TEST_DATABASE=postgresql)"))


@pytest.fixture(scope="session", autouse=True)
def _drop_test_databases() -> Iterator[None]:
    yield
    if CREATED_DATABASES:
        with postgresql_admin() as connection:
            for name in CREATED_DATABASES:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgresql_database():
    """Factory of empty PostgreSQL databases (their URLs), all dropped when the session ends.

    A server that cannot be reached fails the tests that need it: nothing is skipped silently.
    """
    return new_postgresql_database
