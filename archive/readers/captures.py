"""Read one archived capture back from the WARC files: what `newsarchive show` prints.

The database only says where a capture lives (file, offset, gzip length); everything shown comes
from the WARC records themselves, each read with one seek and one read. A URL may be the article's
canonical URL, a variant with tracking parameters, or any URL that was fetched on the way to the
article (an old address that redirects to it).

A re-crawl that found a page unchanged wrote a `revisit` record, which holds no body: `show` reads
the full capture the revisit refers to, and reports the latest revisit as the date it was seen again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from sqlalchemy import Boolean, ColumnElement, Connection, Row, bindparam, select
from sqlalchemy.ext.compiler import compiles
from warcio.recordloader import ArcWarcRecord

from archive.content_encoding import CannotDecode, DecodedTooLarge, content_codings
from archive.content_encoding import decode_content as decode_capped
from archive.errors import ArchiveError
from archive.index.database import Database
from archive.index.models import Article, Capture
from archive.terminal import printable
from archive.urls import canonical_url
from archive.warc.reader import RecordUnreadable, read_record
from archive.warc.records import RecordLocation

MAX_REDIRECTS = 10
MAX_DECODED_BODY = 64 * 1024 * 1024  # bytes `show --raw` decompresses; DOWNLOAD_MAXSIZE is 20 MiB


class CaptureNotFound(ArchiveError):
    """No capture of the URL, or of any article it redirects to, is in the archive."""

    def __init__(self, url: str) -> None:
        self.url = url
        super().__init__(
            f"{url} is not in the archive: give the article's URL as crawled "
            "(`newsarchive search` or `newsarchive query` find it)"
        )


class OriginalNotFound(ArchiveError):
    """A revisit refers to a response record the index does not hold."""

    def __init__(self, revisit_id: str, refers_to: str | None) -> None:
        super().__init__(
            f"revisit record {revisit_id} refers to {refers_to or 'no record'}, which is not in the index "
            "(run `newsarchive reindex` if WARC files were added or moved)"
        )


@dataclass(frozen=True, slots=True)
class ArchivedCapture:
    """One capture read back from the WARC: the response and, for articles, its metadata record."""

    requested_url: str
    redirects: tuple[str, ...]  # the fetched URLs followed to reach the capture, first to last
    response: RecordLocation
    response_record: ArcWarcRecord
    body: bytes  # the entity as archived, Content-Encoding still applied
    article: dict[str, Any] | None  # the metadata record's JSON payload
    metadata: RecordLocation | None
    revisit: RecordLocation | None = None  # the latest revisit of this capture: seen again, unchanged
    revisit_record: ArcWarcRecord | None = None

    @property
    def url(self) -> str:
        return self.response_record.rec_headers.get_header("WARC-Target-URI")

    @property
    def captured_at(self) -> str:
        return self.response_record.rec_headers.get_header("WARC-Date")

    @property
    def status_line(self) -> str:
        return _status_line(self.response_record)

    @property
    def seen_again_at(self) -> str | None:
        """WARC-Date of the latest revisit record of this capture, if a later crawl found it unchanged."""
        return self.revisit_record.rec_headers.get_header("WARC-Date") if self.revisit_record else None

    def decoded_body(self) -> bytes:
        """The body with its Content-Encoding (gzip, deflate, br) undone: what a browser renders."""
        headers = self.response_record.http_headers
        encoding = (headers.get_header("Content-Encoding") or "") if headers else ""
        return decode_content(self.body, encoding)


def decode_content(body: bytes, content_encoding: str, max_size: int = MAX_DECODED_BODY) -> bytes:
    """Undo a Content-Encoding chain ("gzip", "deflate", "br", or several, last applied first),
    refusing, while it inflates, a body that grows past `max_size` bytes (a decompression bomb)."""
    try:
        return decode_capped(body, content_codings([content_encoding]), max_size=max_size).body
    except CannotDecode as exc:
        raise ArchiveError(f"{exc}: the record is intact in the WARC file (read it with warcio)") from exc
    except DecodedTooLarge as exc:
        raise ArchiveError(f"the archived body {exc}; the record is intact in the WARC file") from exc


# Only the columns `show` needs, as Core statements: compiled once per engine, and no ORM objects.
_CAPTURE = select(
    Capture.id,
    Capture.record_id,
    Capture.url,
    Capture.status,
    Capture.article_id,
    Capture.warc_file,
    Capture.offset,
    Capture.length,
    Capture.meta_warc_file,
    Capture.meta_offset,
    Capture.meta_length,
    Capture.record_type,
    Capture.refers_to,
)
_CAPTURE_BY_ID = _CAPTURE.where(Capture.id == bindparam("id"))
_CAPTURE_BY_RECORD_ID = _CAPTURE.where(Capture.record_id == bindparam("record_id"))
_LATEST_CAPTURE_OF_URL = (
    _CAPTURE.where(Capture.url == bindparam("url")).order_by(Capture.captured_at.desc()).limit(1)
)


class rare(ColumnElement[bool]):  # noqa: N801 - reads as a SQL function
    """A condition the planner should take to match few rows: SQLite's likelihood(x, 0.0001).

    Statistics gathered (ANALYZE, `PRAGMA optimize`) while few captures were revisits describe
    refers_to as nearly all NULL, and SQLite would then scan every capture; likelihood() keeps it
    to ix_captures_refers_to. Other databases get the plain condition.
    """

    inherit_cache = True
    type = Boolean()

    def __init__(self, condition: ColumnElement[bool]) -> None:
        self.condition = condition


@compiles(rare)
def _rare_plain(element: rare, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.condition, **kw)


@compiles(rare, "sqlite")
def _rare_sqlite(element: rare, compiler: Any, **kw: Any) -> str:
    return f"likelihood({compiler.process(element.condition, **kw)}, 0.0001)"


_LATEST_REVISIT_OF = (
    _CAPTURE.where(
        rare(Capture.refers_to == bindparam("record_id")),
        Capture.record_type == "revisit",
    )
    .order_by(Capture.captured_at.desc())
    .limit(1)
)
_ARTICLE_CAPTURE_BY_URL = select(Article.latest_capture_id).where(Article.url == bindparam("url"))
_ARTICLE_CAPTURE_BY_ID = select(Article.latest_capture_id).where(Article.id == bindparam("id"))


class CaptureReader:
    """Finds captures by URL in the index and reads them from the WARC files.

    It works on the database's one engine, so a reader that shows many captures compiles its
    statements once.
    """

    def __init__(self, database: Database, warc_dir: Path) -> None:
        self.database = database
        self.warc_dir = Path(warc_dir)

    def show(self, url: str) -> ArchivedCapture:
        """The latest full capture of the article at `url` (or of the page, if it is not an article),
        with the latest revisit that found it unchanged."""
        with self.database.engine.connect() as connection:
            capture, redirects = self._resolve(connection, url)
            if capture.article_id is not None:
                latest_id = connection.execute(_ARTICLE_CAPTURE_BY_ID, {"id": capture.article_id}).scalar()
                if latest_id:
                    capture = connection.execute(_CAPTURE_BY_ID, {"id": latest_id}).first() or capture
            capture = self._original(connection, capture)
            latest_revisit = connection.execute(_LATEST_REVISIT_OF, {"record_id": capture.record_id}).first()
        response = RecordLocation(capture.warc_file, capture.offset, capture.length)
        metadata = None
        if capture.meta_warc_file and capture.meta_offset is not None and capture.meta_length:
            metadata = RecordLocation(capture.meta_warc_file, capture.meta_offset, capture.meta_length)
        revisit = None
        if latest_revisit is not None:
            revisit = RecordLocation(latest_revisit.warc_file, latest_revisit.offset, latest_revisit.length)
        record, body = read_record(self.warc_dir, response)
        revisit_record = read_record(self.warc_dir, revisit)[0] if revisit is not None else None
        payload = None
        if metadata is not None:
            _, meta_body = read_record(self.warc_dir, metadata)
            try:
                payload = json.loads(meta_body)
            except ValueError as exc:
                raise RecordUnreadable(self.warc_dir / metadata.warc_file, metadata.offset, f"not JSON: {exc}") from exc
        return ArchivedCapture(
            url, tuple(redirects), response, record, body, payload, metadata, revisit, revisit_record
        )

    @staticmethod
    def _original(connection: Connection, capture: Row) -> Row:
        """The full capture a revisit stands for (revisits always refer to a `response` record)."""
        if capture.record_type != "revisit":
            return capture
        original = None
        if capture.refers_to:
            original = connection.execute(_CAPTURE_BY_RECORD_ID, {"record_id": capture.refers_to}).first()
        if original is None or original.record_type == "revisit":
            raise OriginalNotFound(capture.record_id, capture.refers_to)
        return original

    def _resolve(self, connection: Connection, url: str) -> tuple[Row, list[str]]:
        redirects: list[str] = []
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            capture = self._lookup(connection, current)
            if capture is None:
                break
            if capture.article_id is not None or not _is_redirect(capture.status):
                return capture, redirects
            record, _ = read_record(self.warc_dir, RecordLocation(capture.warc_file, capture.offset, capture.length))
            location = record.http_headers.get_header("Location") if record.http_headers else None
            if not location:
                return capture, redirects
            redirects.append(capture.url)
            current = urljoin(capture.url, location)
        raise CaptureNotFound(url)

    @staticmethod
    def _lookup(connection: Connection, url: str) -> Row | None:
        for candidate in _candidates(url):
            latest_id = connection.execute(_ARTICLE_CAPTURE_BY_URL, {"url": candidate}).scalar()
            if latest_id:
                capture = connection.execute(_CAPTURE_BY_ID, {"id": latest_id}).first()
                if capture is not None:
                    return capture
            capture = connection.execute(_LATEST_CAPTURE_OF_URL, {"url": candidate}).first()
            if capture is not None:
                return capture
        return None


def _candidates(url: str) -> Iterator[str]:
    yield url
    canonical = canonical_url(url)
    if canonical != url:
        yield canonical


def _status_line(record: ArcWarcRecord) -> str:
    headers = record.http_headers
    return f"{headers.protocol} {headers.statusline}" if headers else ""


def _is_redirect(status: int | None) -> bool:
    return status is not None and 300 <= status < 400


def show_text(capture: ArchivedCapture) -> str:
    """The capture as `newsarchive show` prints it: metadata, paywall marker, then the free text."""
    lines = []
    if capture.redirects:
        lines.append(f"Redirected from: {' -> '.join(capture.redirects)}")
    lines += [
        f"URL:          {capture.url}",
        f"Captured:     {capture.captured_at}",
        f"Status:       {capture.status_line}",
        f"Record:       {capture.response_record.rec_headers.get_header('WARC-Record-ID')}",
        f"WARC:         {capture.response.warc_file} @ {capture.response.offset} (+{capture.response.length})",
    ]
    if capture.revisit_record is not None and capture.revisit is not None:
        profile = (capture.revisit_record.rec_headers.get_header("WARC-Profile") or "").rsplit("/", 1)[-1]
        lines += [
            f"Seen again:   {capture.seen_again_at} (unchanged: {profile or 'revisit'}, "
            f"{_status_line(capture.revisit_record)})",
            f"Revisit:      {capture.revisit.warc_file} @ {capture.revisit.offset} (+{capture.revisit.length})",
        ]
    article = capture.article
    if article is None:
        lines.append("Article:      none (no article metadata record for this capture)")
        return printable("\n".join(lines), keep="\n\t") + "\n"
    paywall = article.get("paywall") or {}
    lines += [
        f"Title:        {article.get('title', '')}",
        f"Section:      {article.get('section', '')}",
        f"Published:    {article.get('published_at') or ''}",
        f"Updated:      {article.get('updated_at') or ''}",
        f"Authors:      {', '.join(article.get('authors') or [])}",
        f"Standfirst:   {article.get('standfirst', '')}",
        f"Canonical:    {article.get('url', '')}",
        f"Paywall:      {_paywall_summary(paywall)}",
        f"Signals:      {'; '.join(paywall.get('signals') or []) or 'none'}",
        f"Free words:   {paywall.get('free_words', article.get('word_count', 0))}"
        f" in {paywall.get('free_paragraphs', 0)} paragraphs",
        f"Metadata:     {capture.metadata.warc_file} @ {capture.metadata.offset}" if capture.metadata else "",
        "",
        article.get("free_text", ""),
    ]
    return printable("\n".join(lines), keep="\n\t") + "\n"


def _paywall_summary(paywall: dict[str, Any]) -> str:
    paywalled = paywall.get("paywalled")
    if paywalled is None:
        return "unknown (no signal either way)"
    if not paywalled:
        return "free"
    kind = paywall.get("kind")
    in_page = " (locked text in page)" if paywall.get("locked_text_in_page") else ""
    return f"paywalled ({kind}){in_page}" if kind else f"paywalled{in_page}"
