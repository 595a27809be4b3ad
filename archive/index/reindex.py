"""Rebuild the database index from the WARC files alone.

The WARC files are the truth and the database only their index, so a lost or damaged database is
never a loss: `reindex` reads every closed file in name order and applies what it finds through the
same `Ingestor` the crawl uses. It all happens in one transaction: readers see the old index until
the new one is complete, and a failure leaves the old one in place.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, text, update
from sqlalchemy.orm import Session

from archive.index.database import FULLTEXT_TABLE, Database
from archive.errors import InvalidRecord, WarcDirectoryNotFound
from archive.index.ingest import IngestItem, Ingestor
from archive.index.models import Article, ArticleLink, ArticleVersion, Capture, CrawlRun
from archive.index.translate import parse_warc_fields, read_items
from archive.warc.reader import WarcFileReader
from archive.warc.scan import WarcScan

logger = logging.getLogger(__name__)


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


def reindex(
    warc_dirs: Path | Sequence[Path], database: Database, progress: ProgressCallback | None = None
) -> ReindexStats:
    """Replace the index in `database` with one built from the WARC files in `warc_dirs` (one
    directory, or several: each worker of a cluster writes its own).

    Files are read in name order across the directories (names start with the time a file was
    opened), each capture keeping its file's name as `warc_file`: with the run's `hostname` it says
    where the capture lives. `progress(path, stats)` is called after each file.
    """
    dirs = [Path(warc_dirs)] if isinstance(warc_dirs, str | Path) else [Path(d) for d in warc_dirs]
    for warc_dir in dirs:
        if not warc_dir.is_dir():
            raise WarcDirectoryNotFound(str(warc_dir))
    database.require_current()
    stats = ReindexStats()
    for warc_dir in dirs:
        for path in sorted(warc_dir.glob("*.open")):
            logger.warning("Skipping %s: it is still being written (or its crawl was killed)", path.name)
            stats.skipped_open.append(path.name)
    paths = [path for _, _, path in sorted(
        (path.name, number, path) for number, warc_dir in enumerate(dirs)
        for path in warc_dir.glob("*.warc.gz") if path.is_file()
    )]
    logger.info("Reindexing %d WARC files from %s into %s", len(paths), ", ".join(map(str, dirs)), database)

    def invalid(error: InvalidRecord) -> None:  # raised before anything of it is written
        logger.warning("%s", error)
        stats.invalid += 1

    with Session(database.engine) as session, session.begin(), _fulltext_rebuilt_at_end(session):
        clear_index(session)
        ingestor = Ingestor(session)
        for path in paths:
            ingestor.apply(read_warc(path, stats), invalid=invalid)
            stats.files += 1
            _copy_counts(ingestor, stats)
            if progress is not None:
                progress(path, stats)
        mark_unfinished_runs_interrupted(session, set().union(*(live_runs(warc_dir) for warc_dir in dirs)))
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
    """The crawl-run-id in the warcinfo record that opens a WARC file (its first records only)."""
    for read in WarcFileReader(path, wants_content=lambda record: record.rec_type == "warcinfo"):
        if read.record.rec_type != "warcinfo":
            return None
        return parse_warc_fields(read.content).get("crawl-run-id")
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
    if session.get_bind().dialect.name == "postgresql":
        _restart_ids(session)


def _restart_ids(session: Session) -> None:
    """Number the rebuilt rows from 1 again, as SQLite does once a table is empty, so a reindex gives
    the same ids on either database. ALTER SEQUENCE … RESTART is transactional (PostgreSQL 10 and
    later), unlike setval: a failed reindex leaves the old rows and their numbering together."""
    for model in (ArticleLink, ArticleVersion, Article, Capture, CrawlRun):
        sequence = session.execute(
            text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": model.__tablename__}
        ).scalar()
        if sequence:
            session.execute(text(f"ALTER SEQUENCE {sequence} RESTART"))


def read_warc(path: Path, stats: ReindexStats) -> Iterator[IngestItem]:
    """The items of one WARC file, in file order; a cut-off last record is left out."""
    reader = WarcScan(path)
    for items in read_items(reader):
        stats.records += 1
        if isinstance(items, InvalidRecord):
            logger.warning("%s", items)
            stats.invalid += 1
            continue
        if not items:
            stats.ignored += 1  # requests, and metadata records of other kinds
        yield from items
    if reader.truncated:
        stats.truncated.append(path.name)
