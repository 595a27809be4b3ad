"""Shared fixtures: the sample news site on a real HTTP server, and real crawls of it (helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from newsarchive_site import build_site, serve
from tests.helpers import (
    CREATED_DATABASES, ON_POSTGRESQL, REQUISITES_ON, SiteCrawl, crawl, drop_postgresql_databases, new_postgresql_database,
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


# Modules that never touch the index (extraction, URLs, profiles, layers, docs, packaging, WARC
# writing): the PostgreSQL pass leaves them out. A new module runs in both passes until listed here.
NO_INDEX_MODULES = {
    "test_benchmark_site.py", "test_cli_extract.py", "test_docs.py", "test_example_profile.py", "test_extract.py",
    "test_extract_publishers.py", "test_extract_real_kinds.py", "test_hostile_units.py", "test_layers.py",
    "test_packaging.py", "test_paywall.py", "test_profiles.py", "test_site.py", "test_spider_follow.py",
    "test_urls.py", "test_warc_writer.py",
}
# Modules that use PostgreSQL (databases of their own) in either pass: run once, in the SQLite pass.
POSTGRESQL_ALWAYS_MODULES = {"test_frontier.py", "test_postgresql.py"}


def pytest_collection_modifyitems(config, items) -> None:
    """The PostgreSQL pass runs every test that touches the index, against PostgreSQL.

    Tests about SQLite itself (`sqlite_only(reason)`) are skipped there, each with its reason; modules
    that never touch the index and modules that use PostgreSQL in either pass (the two lists above)
    ran in the SQLite pass and are deselected (counted in the summary's "deselected").
    """
    reasons = {}
    for item in items:
        if marker := item.get_closest_marker("sqlite_only"):
            reasons[item] = marker.args[0] if marker.args else marker.kwargs.get("reason", "")
            if not reasons[item]:
                raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.sqlite_only needs its reason")
    if not ON_POSTGRESQL:
        return
    kept, deselected = [], []
    for item in items:
        module = item.path.name
        if module in NO_INDEX_MODULES or module in POSTGRESQL_ALWAYS_MODULES:
            deselected.append(item)
            continue
        kept.append(item)
        if item in reasons:
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {reasons[item]}"))
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


@pytest.fixture(scope="session", autouse=True)
def _drop_test_databases() -> Iterator[None]:
    """Databases made by session and module fixtures live until the session ends."""
    yield
    drop_postgresql_databases(list(CREATED_DATABASES))


@pytest.fixture(autouse=True)
def _drop_this_tests_databases() -> Iterator[None]:
    """The PostgreSQL databases a test (and its function fixtures) created are dropped when it ends:
    a pass leaves nothing behind and holds only the databases in use. (Session and module fixtures
    are set up before this one, so theirs are kept.)"""
    before = len(CREATED_DATABASES)
    yield
    drop_postgresql_databases(CREATED_DATABASES[before:])


@pytest.fixture(scope="session")
def postgresql_database():
    """Factory of empty PostgreSQL databases (their URLs), all dropped when the session ends.

    A server that cannot be reached fails the tests that need it: nothing is skipped silently.
    """
    return new_postgresql_database
