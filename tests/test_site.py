"""The local news site: determinism, link graph versus ground truth, and a real HTTP server."""

from __future__ import annotations

import http.client
import json
import time
import urllib.request
from collections import deque
from urllib.error import HTTPError
from urllib.parse import urljoin, urlsplit

from lxml import html as lxml_html
from newsarchive_site import Site, build_site
from newsarchive_site.__main__ import main as site_main

ORIGIN = "http://127.0.0.1:8000"


def _links(site: Site, path: str) -> list[str]:
    """Same-site link targets (path+query) of one page, as a crawler would resolve them."""
    page = site.lookup(path)
    headers, body = page.render(ORIGIN)
    if page.status in (301, 302):
        location = next(value for name, value in headers if name == "Location")
        return [location.removeprefix(ORIGIN)]
    if page.status != 200 or not dict(headers)["Content-Type"].startswith("text/html"):
        return []
    tree = lxml_html.fromstring(body)
    targets = []
    for href in tree.xpath("//a/@href"):
        absolute = urljoin(ORIGIN + path, href)
        parts = urlsplit(absolute)
        if absolute.startswith(ORIGIN):
            targets.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return targets


def _crawl(site: Site, start: list[str], obey_robots: bool) -> set[str]:
    seen, queue = set(start), deque(start)
    while queue:
        for target in _links(site, queue.popleft()):
            if obey_robots and any(target.startswith(prefix) for prefix in site.robots_disallowed):
                continue
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


def test_build_is_deterministic_and_fast() -> None:
    started = time.perf_counter()
    first = build_site(60, seed=7)
    assert time.perf_counter() - started < 1.0
    second = build_site(60, seed=7)
    assert first.truth == second.truth
    assert {k: v.body for k, v in first.pages.items()} == {k: v.body for k, v in second.pages.items()}
    assert build_site(60, seed=8).truth != first.truth


def test_reachability_in_truth_matches_the_link_graph(site: Site) -> None:
    start = ["/", "/britain", "/world", "/features", "/editorial", "/culture", "/sport", "/rss.xml"]
    found = {p.split("?")[0] for p in _crawl(site, start, obey_robots=True)}
    reachable = {path for path, truth in site.truth.items() if truth.reachable}
    assert found & set(site.truth) == reachable
    assert {p for p, t in site.truth.items() if not t.reachable} <= {p.split("?")[0] for p in site.pages}


def test_only_via_similar_articles_are_absent_from_listings(site: Site) -> None:
    listings = [p for p in site.pages if p == "/" or p.split("?")[0] in
                ("/britain", "/world", "/features", "/editorial", "/culture", "/sport")]
    listed = {t.split("?")[0] for p in listings for t in _links(site, p)}
    rss = site.pages["/rss.xml"].render(ORIGIN)[1].decode()
    hidden = [t for t in site.truth.values() if t.only_via_similar]
    assert hidden
    for truth in hidden:
        assert truth.reachable and truth.path not in listed and truth.path not in rss
        assert any(truth.path in other.similar for other in site.truth.values())


def test_listings_are_paginated_drupal_style(site: Site) -> None:
    assert "/britain?page=1" in site.pages
    page = site.pages["/britain"].render(ORIGIN)[1].decode()
    assert '<ul class="pager__items' in page and 'href="?page=1" rel="next"' in page
    assert page.count('class="views-row"') == 10


def test_truth_cli_dumps_json(capsys) -> None:  # type: ignore[no-untyped-def]
    assert site_main(["truth", "--articles", "30", "--seed", "3"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 30 and {"path", "free_text", "similar", "reachable"} <= rows[0].keys()


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers.items()), response.read()
    except HTTPError as error:
        return error.code, dict(error.headers.items()), error.read()


def test_server_speaks_real_http(server, site: Site) -> None:  # type: ignore[no-untyped-def]
    status, headers, body = _get(server.base_url + "/robots.txt")
    assert status == 200 and b"Disallow: /subscribe/" in body and b"Disallow: /print/" in body
    assert _get(server.base_url + "/no/such/page")[0] == 404
    assert _get(server.base_url + site.links["server_error"][0])[0] == 500
    assert _get(server.base_url + site.links["not_found"][0])[0] == 404

    cp1252 = next(t for t in site.truth.values() if t.encoding == "windows-1252")
    status, headers, body = _get(server.base_url + cp1252.path)
    assert status == 200 and headers["Content-Type"] == "text/html; charset=windows-1252"
    assert cp1252.title.encode("cp1252") in body.replace(b"&amp;", b"&")

    article = next(iter(site.truth.values()))
    status, headers, body = _get(server.base_url + article.path + "?utm_source=x&fbclid=y")
    assert status == 200
    assert f'<link rel="canonical" href="{server.base_url}{article.path}"'.encode() in body
    assert int(headers["Content-Length"]) == len(body)
    assert any(path.startswith(article.path + "?utm_source=x") for _m, path, _h in server.requests)


def test_server_redirects_and_keeps_alive(server, site: Site) -> None:  # type: ignore[no-untyped-def]
    host, port = urlsplit(server.base_url).netloc.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    connection.request("GET", site.links["redirect"][0])
    response = connection.getresponse()
    response.read()
    assert response.status == 301 and response.version == 11
    target = response.getheader("Location")
    assert target.startswith(server.base_url + "/article/") and urlsplit(target).path in site.truth
    connection.request("GET", urlsplit(target).path)  # same connection: keep-alive
    response = connection.getresponse()
    body = response.read()
    assert response.status == 200 and len(body) == int(response.getheader("Content-Length"))
    assert len(response.headers.get_all("Set-Cookie")) == 2
    etag = response.getheader("ETag")
    connection.request("GET", urlsplit(target).path, headers={"If-None-Match": etag})
    response = connection.getresponse()
    response.read()
    assert response.status == 304
    connection.close()
