"""`newsarchive extract`: saved pages (HTML, .html.gz, WARC) to what would be archived."""

from __future__ import annotations

import gzip
import json
from io import BytesIO
from pathlib import Path

import pytest
from newsarchive_site import build_variants
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.cli import main

BASE = "http://127.0.0.1:8000"
SITE = build_variants()
PATH = next(path for path in SITE.truth if path.endswith("paywall-only-in-jsonld"))  # paywalled by JSON-LD alone


@pytest.fixture(scope="module")
def saved() -> tuple[bytes, dict[str, str]]:
    headers, body = SITE.lookup(PATH).render(BASE)
    return body, dict(headers)


def _lines(capsys: pytest.CaptureFixture[str]) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def test_html_and_gzipped_html(tmp_path: Path, saved: tuple[bytes, dict[str, str]],
                               capsys: pytest.CaptureFixture[str]) -> None:
    body, _ = saved
    page = tmp_path / "story.html"
    page.write_bytes(body)
    zipped = tmp_path / "story.html.gz"
    zipped.write_bytes(gzip.compress(body))
    assert main(["extract", "--json", "--url", BASE + PATH, str(page), str(zipped)]) == 0
    first, second = _lines(capsys)
    assert first["article"] == second["article"]
    article = first["article"]
    assert article["fetched_url"] == BASE + PATH and article["title"]
    assert article["paywall"]["paywalled"] is True and article["paywall"]["decided_by"] == "declared"
    assert "jsonld:isAccessibleForFree=false" in article["paywall"]["signals"]
    assert article["extra"]["sources"]["title"]

    assert main(["extract", "--url", BASE + PATH, str(page)]) == 0
    text = capsys.readouterr().out
    assert f"title:      {article['title']}" in text and "decided by declared" in text


def test_every_html_response_of_a_warc(tmp_path: Path, saved: tuple[bytes, dict[str, str]],
                                       capsys: pytest.CaptureFixture[str]) -> None:
    body, headers = saved
    path = tmp_path / "capture.warc.gz"
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        for url, content_type, payload in ((BASE + PATH, "text/html; charset=utf-8", body),
                                           (BASE + "/logo.png", "image/png", b"\x89PNG\r\n")):
            http = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=BytesIO(payload),
                                                          http_headers=http))
    assert main(["extract", "--json", str(path)]) == 0
    (only,) = _lines(capsys)
    assert only["fetched_url"] == BASE + PATH and only["source"].startswith(str(path) + "@<urn:uuid:")
    assert only["article"]["paywall"]["paywalled"] is True


def test_not_an_article_and_unreadable_pages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    listing = tmp_path / "listing.html"
    listing.write_text("<html><head><title>Home</title></head><body><ul><li><a href='/a'>A</a></li></ul></body></html>")
    broken = tmp_path / "broken.html.gz"
    broken.write_bytes(b"\x1f\x8b not gzip at all")
    assert main(["extract", "--json", str(listing), str(broken)]) == 1
    out = capsys.readouterr()
    first, second = [json.loads(line) for line in out.out.splitlines()]
    assert first["article"] is None and first["error"] is None
    assert second["article"] is None and "broken.html.gz" in second["source"] and second["error"]
    assert "1 page(s) could not be read" in out.err


def test_site_and_profile_are_exclusive(tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    page.write_text("<html></html>")
    profile = Path(__file__).parent / "site" / "clarion.toml"
    assert main(["extract", "--site", "morningstar", "--profile", str(profile), str(page)]) == 2
    assert main(["extract", "--site", "no-such-site", str(page)]) == 2
