"""One crawl's work on the archive, with no Scrapy in sight: the crawl session.

It owns, for the length of one crawl: the site's lock, the database (schema checked before anything
is fetched), the recovery of files a killed crawl left open, the discarding of an interrupted crawl's
queue, the look-up of earlier captures, and the two writer threads (WARC file, database). The Scrapy
extension is a thin adapter that feeds it from signals; anything else could drive it the same way.
"""

from __future__ import annotations

import logging
import os
import platform
import shutil
import socket
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from archive.errors import ArchiveError
from archive.index.database import Database
from archive.index.failures import previous_failures
from archive.index.ingest import RUN_SCHEMA, RunStarted
from archive.index.previous import PreviousCapture, PreviousCaptures
from archive.index.writer import DatabaseWriter
from archive.layout import DataLayout
from archive.session.lock import CrawlLock
from archive.session.recovery import recover_open_files, recover_unfinished_runs
from archive.session.warc_thread import WarcWriterThread
from archive.warc.records import IDENTICAL_PAYLOAD_DIGEST, SERVER_NOT_MODIFIED, HttpExchange, Revisit, payload_digest
from archive.warc.writer import RollingWarcWriter, WriterConfig

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SessionConfig:
    """What one crawl session needs to know, decided before it starts."""

    layout: DataLayout
    site: str
    warc: WriterConfig
    index: bool = True  # write the database index too
    incremental: bool = True  # look up earlier captures for revisits and conditional requests
    db_batch_size: int = 200
    resume: bool = False  # keep an interrupted crawl's queue (Scrapy's JOBDIR) instead of discarding it


@dataclass(frozen=True, slots=True)
class SessionTotals:
    """What a closed session wrote, and the first failure, if any."""

    warc_files: int
    warc_bytes: int
    records: int
    failure: str | None


class CrawlSession:
    """`start()` before fetching, `open()` when the crawl opens, `archive_*` while it runs, `close()`.

    Calls between `open()` and `close()` only enqueue work for the writer threads; `start()` and
    `close()` do I/O and wait, so an event loop runs them in a thread.
    """

    def __init__(self, config: SessionConfig) -> None:
        self.config = config
        self.run_uuid = str(uuid.uuid4())
        self.started_at = datetime.now(timezone.utc)
        self.database = Database(config.layout.database_url) if config.index else None
        self.lock = CrawlLock(config.layout.lock_file(config.site))
        self.previous: PreviousCaptures | None = None  # set by start() when earlier captures may matter
        self.previous_failures: dict[str, str] = {}  # URL -> how it failed in the site's last run
        self.warc: WarcWriterThread | None = None
        self.index: DatabaseWriter | None = None

    def start(self) -> None:
        """Take the lock, check the schema, recover what a killed crawl left: nothing is fetched
        when this raises (`LockHeld`, `DatabaseNotMigrated`, …), and the lock is released again."""
        self.lock.acquire()  # an overlapping cron run stops here
        try:
            if self.database is not None:
                self.database.prepare()  # raises if the schema is behind
            recover_open_files(self.config.warc.directory, self.database)
            if self.database is not None:
                recover_unfinished_runs(self.config.warc.directory, self.database, self.config.site)
                self.previous_failures = previous_failures(self.database, self.config.site)  # runs recovered first
            self._discard_stale_job()
            if self.database is not None and self.config.incremental:
                previous = PreviousCaptures(self.database)
                self.previous = previous if previous.any() else None  # a first crawl looks nothing up
        except BaseException:
            self._release()
            raise

    def open(self, warcinfo: Mapping[str, str]) -> None:
        """Start the writer threads; `warcinfo` describes the crawler (software, user agent, robots)."""
        fields = self.warcinfo_fields(warcinfo)
        sink = _discard
        if self.database is not None:
            self.index = DatabaseWriter(self.database, batch_size=self.config.db_batch_size)
            self.index.submit(RunStarted.from_warcinfo(fields))  # as reindex will read it back
            sink = self.index.submit
        self.warc = WarcWriterThread(RollingWarcWriter(self.config.warc, fields), sink, self.run_uuid)

    @property
    def opened(self) -> bool:
        return self.warc is not None

    def lookup_previous(self, urls: Collection[str]) -> dict[str, PreviousCapture]:
        """Earlier captures of `urls` (blocking: a database query)."""
        return self.previous.lookup(urls) if self.previous is not None else {}

    @staticmethod
    def revisit_of(
        url: str, status: int, body: bytes, previous: PreviousCapture | None, may_be_article: bool = False
    ) -> Revisit | None:
        """A revisit when an earlier crawl archived exactly this: a 304 to our conditional request,
        or a 200 whose body has the digest of the URL's last full capture."""
        if previous is None or not previous.payload_digest:
            return None
        if may_be_article and not previous.is_article:
            # an article page captured without its article record (the crawl was killed between
            # the two): not a revisit base, so the page is archived in full and extracted again
            return None
        if status == 304:
            profile = SERVER_NOT_MODIFIED
        elif status == 200 and payload_digest(body, previous.payload_digest) == previous.payload_digest:
            profile = IDENTICAL_PAYLOAD_DIGEST
        else:
            return None
        return Revisit(
            profile=profile,
            refers_to=previous.record_id,
            refers_to_uri=url,
            refers_to_date=previous.warc_date,
            payload_digest=previous.payload_digest,
        )

    def archive_exchange(self, exchange: HttpExchange) -> None:
        """Queue a response (or revisit) and its request; never blocks."""
        assert self.warc is not None, "archive_exchange before open()"
        self.warc.archive_exchange(exchange)

    def archive_article(self, target_uri: str, payload: dict[str, Any], concurrent_to: str, date: datetime) -> None:
        """Queue an article's metadata record beside its response; never blocks."""
        assert self.warc is not None, "archive_article before open()"
        self.warc.archive_metadata(target_uri, payload, concurrent_to=concurrent_to, date=date)

    def close(self, status: str, stats: dict[str, Any]) -> SessionTotals:
        """Write the run's end record, drain and close both writers, release the lock (blocking)."""
        failure = None
        totals = SessionTotals(0, 0, 0, None)
        try:
            if self.warc is not None:
                now = datetime.now(timezone.utc)
                self.warc.archive_metadata(
                    target_uri=f"urn:newsarchive:crawl-run:{self.run_uuid}",
                    payload={
                        "schema": RUN_SCHEMA,
                        "run_uuid": self.run_uuid,
                        "finished_at": now.isoformat(),
                        "status": status,
                        "stats": stats,
                    },
                    concurrent_to=None,
                    date=now,
                )
                try:
                    self.warc.close()
                except ArchiveError as exc:
                    logger.error("%s", exc)
                    failure = str(exc)
                writer = self.warc.writer
                totals = SessionTotals(len(writer.files_written), writer.bytes_written, self.warc.records_written, None)
            if self.index is not None:
                try:
                    self.index.close()
                except ArchiveError as exc:
                    logger.error("%s", exc)
                    # a failed WARC write is the cause (a full disk fails the index next): it is named first
                    failure = failure or str(exc)
        finally:
            self._release()
        return SessionTotals(totals.warc_files, totals.warc_bytes, totals.records, failure)

    def warcinfo_fields(self, crawler: Mapping[str, str]) -> dict[str, str]:
        """The warcinfo record of every file: the crawler's own fields, then this run's."""
        return {
            "software": crawler.get("software", "newsarchive"),
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "operator": crawler.get("operator", ""),
            "hostname": socket.gethostname(),
            "python": platform.python_version(),
            "pid": str(os.getpid()),
            "robots": crawler.get("robots", ""),
            "http-header-user-agent": crawler.get("http-header-user-agent", ""),
            "crawl-run-id": self.run_uuid,
            "warc-prefix": self.config.warc.prefix,
            "site": self.config.site,
            "started-at": self.started_at.isoformat(),
        }

    def _discard_stale_job(self) -> None:
        """Without --resume a crawl starts afresh: an interrupted crawl's queue would replay old work.
        Done under the lock, so a running crawl's job directory is never touched."""
        job_dir = self.config.layout.job_dir(self.config.site)
        if not self.config.resume and job_dir.exists():
            logger.info("Starting afresh: discarding the state of an interrupted crawl in %s", job_dir)
            shutil.rmtree(job_dir)

    def _release(self) -> None:
        self.lock.release()
        if self.database is not None:
            self.database.dispose()


def _discard(_: object) -> None:
    """Index sink when database writing is switched off."""
