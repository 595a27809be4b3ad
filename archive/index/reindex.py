"""Rebuild the database index from the WARC files alone.

The WARC files are the truth and the database only their index, so a lost or damaged database is
never a loss: `reindex` reads every closed file in name order and applies what it finds through the
same `Ingestor` the crawl uses. It all happens in one transaction: readers see the old index until
the new one is complete, and a failure leaves the old one in place.
"""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy import delete, update
from sqlalchemy.orm import Session
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeadersParserException

from archive.index.database import FULLTEXT_TABLE, display_url, make_engine, require_current
from archive.errors import InvalidRecord, WarcDirectoryNotFound
from archive.index.ingest import (
    ARTICLE_SCHEMA_PREFIX,
    RUN_SCHEMA,
    ArticleRecord,
    CaptureRecord,
    IngestItem,
    Ingestor,
    RunFinished,
    RunStarted,
)
from archive.index.models import Article, ArticleLink, ArticleVersion, Capture, CrawlRun

logger = logging.getLogger(__name__)

# what a cut-off or damaged file makes warcio raise
READ_ERRORS = (ArchiveLoadFailed, StatusAndHeadersParserException, EOFError, zlib.error, ValueError)


@dataclass
class ReindexStats:
    """What a reindex read and wrote; files are listed by name."""

    files: int = 0
    records: int = 0
    runs: int = 0
    captures: int = 0
    articles: int = 0  # article metadata records applied
    runs_finished: int = 0
    ignored: int = 0  # requests, and metadata records of other kinds
    invalid: int = 0  # records that could not be indexed (see the log)
    skipped_open: list[str] = field(default_factory=list)  # still being written
    truncated: list[str] = field(default_factory=list)  # read only up to a damaged end


ProgressCallback = Callable[[Path, ReindexStats], None]


def reindex(warc_dir: Path, url: str, progress: ProgressCallback | None = None) -> ReindexStats:
    """Replace the index in database `url` with one built from the WARC files in `warc_dir`.

    `progress(path, stats)` is called after each file.
    """
    warc_dir = Path(warc_dir)
    if not warc_dir.is_dir():
        raise WarcDirectoryNotFound(str(warc_dir))
    require_current(url)
    stats = ReindexStats()
    for path in sorted(warc_dir.glob("*.open")):
        logger.warning("Skipping %s: it is still being written (or its crawl was killed)", path.name)
        stats.skipped_open.append(path.name)
    paths = sorted(path for path in warc_dir.glob("*.warc.gz") if path.is_file())
    logger.info("Reindexing %d WARC files from %s into %s", len(paths), warc_dir, display_url(url))

    engine = make_engine(url)
    try:
        with Session(engine) as session, session.begin(), _fulltext_rebuilt_at_end(session):
            clear_index(session)
            ingestor = Ingestor(session)
            for path in paths:
                for item in read_warc(path, stats):
                    try:
                        ingestor.apply_one(item)
                    except InvalidRecord as error:  # raised before anything is written
                        logger.warning("%s", error)
                        stats.invalid += 1
                stats.files += 1
                _copy_counts(ingestor, stats)
                if progress is not None:
                    progress(path, stats)
            mark_unfinished_runs_interrupted(session, live_runs(warc_dir))
    finally:
        engine.dispose()
    logger.info(
        "Reindexed %d files: %d captures, %d article records, %d runs",
        stats.files,
        stats.captures,
        stats.articles,
        stats.runs,
    )
    return stats


def live_runs(warc_dir: Path) -> set[str]:
    """Run ids of the `.open` files in `warc_dir`: crawls that may still be writing."""
    runs = set()
    for path in warc_dir.glob("*.open"):
        if run_id := warcinfo_run_id(path):
            runs.add(run_id)
    return runs


def warcinfo_run_id(path: Path) -> str | None:
    """The crawl-run-id in the warcinfo record that opens a WARC file (one small read)."""
    try:
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type != "warcinfo":
                    return None
                for line in record.content_stream().read().decode("utf-8", "replace").splitlines():
                    name, _, value = line.partition(":")
                    if name.strip() == "crawl-run-id":
                        return value.strip()
                return None
    except READ_ERRORS:
        return None
    return None


def mark_unfinished_runs_interrupted(session: Session, live: set[str]) -> None:
    """A run whose WARC files hold no end record and none of which is still `.open` was killed:
    it is indexed as interrupted, as crash recovery indexes it, never as running forever."""
    session.execute(
        update(CrawlRun)
        .where(CrawlRun.status == "running", CrawlRun.run_uuid.not_in(live))
        .values(status="interrupted")
    )


def _copy_counts(ingestor: Ingestor, stats: ReindexStats) -> None:
    stats.runs = ingestor.counts.runs
    stats.captures = ingestor.counts.captures
    stats.articles = ingestor.counts.articles
    stats.runs_finished = ingestor.counts.runs_finished


@contextmanager
def _fulltext_rebuilt_at_end(session: Session) -> Iterator[None]:
    """SQLite: the full-text index is rebuilt in one pass after the rows are in, not kept in step row by row.

    The FTS5 triggers on `articles` (migration b2f0c1a9e7d4) are dropped for the rebuild and put back
    from the SQL SQLite stored for them, all inside the reindex transaction: readers see the old
    index and its triggers until the commit, and a failed reindex rolls all of it back.
    """
    connection = session.connection()
    triggers = []
    if connection.dialect.name == "sqlite":
        triggers = connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'articles' "
            "AND name LIKE ?",
            (f"{FULLTEXT_TABLE}_%",),
        ).all()
    for name, _ in triggers:
        connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
    yield
    if triggers:
        connection.exec_driver_sql(f"INSERT INTO {FULLTEXT_TABLE} ({FULLTEXT_TABLE}) VALUES ('rebuild')")
    for _, sql in triggers:
        connection.exec_driver_sql(sql)


def clear_index(session: Session) -> None:
    """Delete every indexed row. Articles go before captures: deleting a capture makes SQLite
    look for articles pointing at it, and with no articles left that look is free."""
    session.execute(delete(ArticleLink))
    session.execute(delete(ArticleVersion))
    session.execute(delete(Article))
    session.execute(delete(Capture))
    session.execute(delete(CrawlRun))


@dataclass
class _FileContext:
    """What earlier records of a file say about later ones."""

    name: str
    runs: dict[str, str] = field(default_factory=dict)  # warcinfo record id -> run uuid
    current_run: str | None = None


def read_warc(path: Path, stats: ReindexStats) -> Iterator[IngestItem]:
    """The items of one WARC file, in file order; a cut-off last record is left out.

    A record's items are only yielded once the record is known to be whole: when the next one
    begins, or, for the last one, once its gzip member is checked to end properly.
    """
    context = _FileContext(name=path.name)
    pending: list[IngestItem] | InvalidRecord | None = None
    last: tuple[int, int] | None = None  # offset and length of the last record read
    with path.open("rb") as stream:
        iterator = ArchiveIterator(stream)
        try:
            for record in iterator:
                yield from _release(pending, stats)
                pending = None
                content = record.content_stream().read() if _needs_content(record) else b""
                last = (iterator.get_record_offset(), iterator.get_record_length())
                stats.records += 1
                try:
                    pending = _record_items(record, content, last, context)
                except InvalidRecord as error:
                    pending = error
        except READ_ERRORS as error:  # what was read before stays; the check below counts it
            logger.warning("%s: stopped reading at a damaged record: %r", path.name, error)
        finally:
            iterator.close()
        size = path.stat().st_size
        if last is not None and not _member_complete(stream, *last):
            logger.warning(
                "%s: the last record (at offset %d) is cut off; it was left out", path.name, last[0]
            )
            stats.records -= 1
            stats.truncated.append(path.name)
            return
        yield from _release(pending, stats)
    end = 0 if last is None else sum(last)
    if end < size:
        logger.warning("%s: %d bytes after offset %d could not be read", path.name, size - end, end)
        stats.truncated.append(path.name)


def _release(
    pending: list[IngestItem] | InvalidRecord | None, stats: ReindexStats
) -> list[IngestItem]:
    if isinstance(pending, InvalidRecord):
        logger.warning("%s", pending)
        stats.invalid += 1
        return []
    if pending == []:
        stats.ignored += 1
    return pending or []


def _member_complete(stream: IO[bytes], offset: int, length: int) -> bool:
    """Whether the gzip member at `offset` ends where warcio says it does."""
    stream.seek(offset)
    data = stream.read(length)
    if not data.startswith(b"\x1f\x8b"):
        return len(data) == length  # not gzipped: nothing more to check
    decompressor = zlib.decompressobj(wbits=31)
    try:
        decompressor.decompress(data)
    except zlib.error:
        return False
    return decompressor.eof


def _needs_content(record: ArcWarcRecord) -> bool:
    return record.rec_type in ("warcinfo", "metadata")


def _record_items(
    record: ArcWarcRecord, content: bytes, location: tuple[int, int], context: _FileContext
) -> list[IngestItem]:
    """The items one WARC record stands for (none for requests and the like)."""
    headers = record.rec_headers
    record_id = headers.get_header("WARC-Record-ID")
    offset, length = location
    if record.rec_type == "warcinfo":
        fields = parse_warc_fields(content)
        started = RunStarted.from_warcinfo(fields)
        context.runs[record_id] = started.run_uuid
        context.current_run = started.run_uuid
        return [started]
    if record.rec_type in ("response", "revisit"):
        http = record.http_headers
        status = http.get_statuscode() if http is not None else None
        warcinfo_id = headers.get_header("WARC-Warcinfo-ID")
        return [
            CaptureRecord(
                record_type=record.rec_type,
                refers_to=headers.get_header("WARC-Refers-To"),
                etag=http.get_header("ETag") if http is not None else None,
                last_modified=http.get_header("Last-Modified") if http is not None else None,
                record_id=record_id,
                url=headers.get_header("WARC-Target-URI"),
                captured_at=headers.get_header("WARC-Date"),
                status=int(status) if status and status.isdigit() else None,
                content_type=http.get_header("Content-Type") if http is not None else None,
                payload_digest=headers.get_header("WARC-Payload-Digest"),
                warc_file=context.name,
                offset=offset,
                length=length,
                run_uuid=context.runs.get(warcinfo_id, context.current_run),
            )
        ]
    if record.rec_type == "metadata":
        return _metadata_items(record, content, location, context)
    return []


def _metadata_items(
    record: ArcWarcRecord, content: bytes, location: tuple[int, int], context: _FileContext
) -> list[IngestItem]:
    headers = record.rec_headers
    record_id = headers.get_header("WARC-Record-ID")
    content_type = (headers.get_header("Content-Type") or "").split(";")[0].strip()
    if content_type != "application/json":
        return []
    try:
        payload: Any = json.loads(content)
    except ValueError as error:
        raise InvalidRecord(
            f"metadata record {record_id} in {context.name} is not valid JSON: {error}"
        ) from error
    schema = str(payload.get("schema", "")) if isinstance(payload, dict) else ""
    if schema.startswith(ARTICLE_SCHEMA_PREFIX):
        return [
            ArticleRecord(
                record_id=record_id,
                concurrent_to=headers.get_header("WARC-Concurrent-To"),
                captured_at=headers.get_header("WARC-Date"),
                payload=payload,
                warc_file=context.name,
                offset=location[0],
                length=location[1],
            )
        ]
    if schema == RUN_SCHEMA:
        return [RunFinished.from_record(payload)]
    return []


def parse_warc_fields(content: bytes) -> dict[str, str]:
    """`application/warc-fields` ("name: value" lines) as a dict with lower-case names."""
    fields: dict[str, str] = {}
    for line in content.decode("utf-8", errors="replace").splitlines():
        name, separator, value = line.partition(":")
        if separator:
            fields[name.strip().lower()] = value.strip()
    return fields
