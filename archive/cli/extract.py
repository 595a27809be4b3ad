"""`newsarchive extract`: run the extraction on saved pages and print what would be archived.

How a user checks a profile against a page saved from the browser (benchmarks/real_pages.py calls
the same `extract_article` in-process, to time it). Thin: read each page (an HTML file, gzipped or not, or every HTML response of a
WARC file), call `crawler.extract.extract_article`, print the result.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from archive.cli.shared import Failed

_WARC_SUFFIXES = (".warc", ".warc.gz")
_GZIP_MAGIC = b"\x1f\x8b"
_SNIPPET = 400  # characters of free text in the readable summary


@dataclass(frozen=True, slots=True)
class SavedPage:
    """One page to extract: its bytes, the URL it was fetched from, its HTTP headers, where it was read."""

    source: str
    url: str
    body: bytes
    headers: dict[str, str]


def _html_file(path: Path, url: str | None) -> SavedPage:
    data = path.read_bytes()
    if data.startswith(_GZIP_MAGIC):
        data = gzip.decompress(data)
    return SavedPage(str(path), url or path.resolve().as_uri(), data, {"Content-Type": "text/html"})


def _is_html_response(record: Any) -> bool:
    if record.rec_type != "response" or record.http_headers is None:
        return False
    return "html" in (record.http_headers.get_header("Content-Type") or "").lower()


def _warc_pages(path: Path) -> Iterator[SavedPage]:
    """Every HTML response in a WARC file (read by the one WARC reader), with its target URI and
    HTTP headers; the content comes with chunking and gzip/deflate/br undone."""
    from archive.warc.reader import WarcFileReader

    for found in WarcFileReader(path, wants_content=_is_html_response):
        record = found.record
        if not _is_html_response(record):
            continue
        headers = {name: value for name, value in record.http_headers.headers
                   if name.lower() not in ("content-encoding", "transfer-encoding")}
        yield SavedPage(f"{path}@{record.rec_headers.get_header('WARC-Record-ID')}",
                        record.rec_headers.get_header("WARC-Target-URI") or "", found.content, headers)


def _pages(paths: tuple[Path, ...], url: str | None) -> Iterator[SavedPage | tuple[str, str]]:
    for path in paths:
        try:
            if path.name.endswith(_WARC_SUFFIXES):
                yield from _warc_pages(path)
            else:
                yield _html_file(path, url)
        except (OSError, ValueError, EOFError) as exc:  # unreadable file, bad gzip, broken WARC
            yield str(path), f"{type(exc).__name__}: {exc}"


def _summary(page: SavedPage, record: dict[str, Any] | None) -> str:
    if record is None:
        return f"{page.source}\n  not an article page ({page.url})\n"
    paywall = record["paywall"]
    sources = record["extra"].get("sources", {})
    marker = "unknown" if paywall["paywalled"] is None else "yes" if paywall["paywalled"] else "no"
    lines = [
        page.source,
        f"  url:        {record['url']}",
        f"  title:      {record['title']}  [{sources.get('title', '')}]",
        f"  authors:    {', '.join(record['authors']) or '-'}  [{sources.get('authors', '')}]",
        f"  published:  {record['published_at'] or '-'}  [{sources.get('published_at', '')}]",
        f"  section:    {record['section'] or '-'}  [{sources.get('section', '')}]",
        f"  paywalled:  {marker} (decided by {paywall['decided_by']}; kind {paywall['kind'] or '-'}"
        f"{'; signals disagree' if paywall['conflict'] else ''})",
        f"    signals:      {', '.join(paywall['signals']) or '-'}",
        f"    free signals: {', '.join(paywall['free_signals']) or '-'}",
        f"    free: {paywall['free_paragraphs']} paragraphs, {paywall['free_words']} words; "
        f"locked in page: {paywall['locked_paragraphs']} paragraphs, {paywall['locked_words']} words",
        f"  free text:  {record['word_count']} words  [{sources.get('free_text', '')}]",
    ]
    text = record["free_text"]
    if text:
        lines.append("    " + (text[:_SNIPPET] + "…" if len(text) > _SNIPPET else text).replace("\n\n", "\n    "))
    for note in record["extra"].get("notes", ()):
        lines.append(f"  note: {note}")
    return "\n".join(lines) + "\n"


@click.command()
@click.argument("pages", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", default=None, help="The URL the page was fetched from (HTML files; WARC records carry theirs).")
@click.option("--site", default=None, help="Read with this bundled profile (default: generic).")
@click.option("--profile", "profile_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Read with this profile file.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per page (the archived record), one per line.")
def extract(pages: tuple[Path, ...], url: str | None, site: str | None, profile_path: Path | None,
            as_json: bool) -> None:
    """Extract saved PAGES (HTML files, .html.gz, or WARC files: every HTML response) and print what
    would be archived: fields and where each came from, the paywall marker with its signals, the
    free text. Nothing is written. Exits 1 when a page could not be read or extracted.

    Example: newsarchive extract --site morningstar saved/story.html --url https://morningstaronline.co.uk/article/b/story
    """
    from crawler.extract import extract_article
    from crawler.extract.budget import ExtractionTimeout
    from crawler.sites import ProfileError, load_profile

    if site and profile_path:
        raise click.UsageError("give --site or --profile, not both")
    try:
        profile = load_profile(str(profile_path) if profile_path else site or "generic")
    except ProfileError as exc:
        raise click.UsageError(str(exc)) from exc
    failures = 0
    for page in _pages(pages, url):
        if isinstance(page, tuple):
            source, error = page
            failures += 1
            _report(source, "", None, error, as_json)
            continue
        try:
            article = extract_article(page.body, page.url, page.headers, profile)
        except Exception as exc:  # a page the extractor cannot read is reported, the others still run
            failures += 1
            reason = str(exc) if isinstance(exc, ExtractionTimeout) else f"{type(exc).__name__}: {exc}"
            _report(page.source, page.url, None, reason, as_json)
            continue
        record = article.to_record() if article is not None else None
        if as_json:
            _report(page.source, page.url, record, None, as_json)
        else:
            click.echo(_summary(page, record))
    if failures:
        raise Failed(f"{failures} page(s) could not be read or extracted")


def _report(source: str, url: str, record: dict[str, Any] | None, error: str | None, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"source": source, "fetched_url": url, "article": record, "error": error},
                              ensure_ascii=False))
    else:
        click.echo(f"{source}\n  error: {error}\n", err=True)
