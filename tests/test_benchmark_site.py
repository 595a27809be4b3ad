"""The benchmarks' nginx copy of the sample site serves what the site's own server serves.

The crawl benchmarks compare crawlers on `benchmarks/static_site.py`'s pre-rendered site; the
comparison only means something if its pages are the sample site's: same status, same body, same
Content-Type, the redirect to the same place, for every path a crawler can request. Skipped where
nginx is not installed (the benchmark installs it when it runs as root).
"""

from __future__ import annotations

import shutil
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from newsarchive_site import build_site

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from static_site import StaticSite  # noqa: E402  (benchmarks/ is not a package)

pytestmark = pytest.mark.skipif(
    not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()), reason="nginx is not installed"
)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _fetch(url: str) -> tuple[int, bytes, str | None, str | None]:
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, response.read(), response.headers["Content-Type"], None
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers["Content-Type"], error.headers.get("Location")


def test_every_page_of_the_static_copy_matches_the_sample_site() -> None:
    site = build_site(60, 1)
    with StaticSite.start(60) as static:
        paths = [*site.pages, "/no/such/page", "/britain?page=1", "/article/b/never-written?utm_source=x"]
        for path in paths:
            page = site.lookup(path)
            headers, body = page.render(static.base_url)
            status, served, content_type, location = _fetch(static.base_url + path)
            assert status == page.status, path
            if 300 <= status < 400:
                assert location == dict(headers)["Location"], path
            else:
                assert served == body, path
                assert content_type == page.header("Content-Type"), path
        robots = _fetch(static.base_url + "/robots.txt")
        assert b"Disallow: /subscribe/" in robots[1]
