"""canonical_url: one identity per article whatever tracking the link carried."""

from __future__ import annotations

import pytest

from archive.urls import canonical_url, is_tracking_param


@pytest.mark.parametrize(("raw", "expected"), [
    ("https://morningstaronline.co.uk/article/b/x?utm_source=twitter&utm_medium=social",
     "https://morningstaronline.co.uk/article/b/x"),
    ("https://morningstaronline.co.uk/article/b/x?fbclid=IwAR2xQ#comments", "https://morningstaronline.co.uk/article/b/x"),
    ("HTTPS://MorningStarOnline.co.uk:443/Article/B/Mixed-Case", "https://morningstaronline.co.uk/Article/B/Mixed-Case"),
    ("http://127.0.0.1:8000/britain?page=2&gclid=1&mc_cid=2&mc_eid=3", "http://127.0.0.1:8000/britain?page=2"),
    ("http://example.com:80", "http://example.com/"),
    ("https://example.com/search?q=b&a=1&UTM_Campaign=x", "https://example.com/search?a=1&q=b"),
    ("https://example.com/caf\u00e9 story", "https://example.com/caf%C3%A9%20story"),
    ("http://[::1]:8080/a?_ga=1", "http://[::1]:8080/a"),
])
def test_canonical_url(raw: str, expected: str) -> None:
    assert canonical_url(raw) == expected


def test_canonical_url_is_idempotent() -> None:
    once = canonical_url("https://Example.com/a/b?z=1&y=2&utm_term=q#x")
    assert canonical_url(once) == once


@pytest.mark.parametrize("name", ["utm_source", "UTM_MEDIUM", "fbclid", "gclid", "mc_eid", "_ga"])
def test_tracking_params(name: str) -> None:
    assert is_tracking_param(name)
    assert not is_tracking_param("page")
