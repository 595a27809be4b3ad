"""The WARC writer thread: the only owner of the WARC file handle.

Callers on Scrapy's reactor thread only enqueue; serialising, gzipping and file I/O happen here. After
each record group lands on disk, the records written go through the record translator that reindex
uses, and its items to the index sink (the database writer), in the order written.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from warcio.recordloader import ArcWarcRecord

from archive.errors import ArchiveWriteError
from archive.index.ingest import RUN_SCHEMA
from archive.index.translate import RecordTranslator
from archive.warc.records import HttpExchange, RecordLocation
from archive.warc.writer import RollingWarcWriter

logger = logging.getLogger(__name__)

Sink = Callable[[object], None]


@dataclass(frozen=True, slots=True)
class _Metadata:
    """A queued metadata record (an article, or the end of the run)."""

    target_uri: str
    payload: dict[str, Any]
    concurrent_to: str | None
    date: datetime


_CLOSE = object()


class WarcWriterThread:
    """Queue-fed WARC writing in a background thread, feeding the index sink in write order."""

    def __init__(self, writer: RollingWarcWriter, sink: Sink, run_uuid: str) -> None:
        self.writer = writer
        self.sink = sink
        self.run_uuid = run_uuid
        self.translator = RecordTranslator(current_run=run_uuid)
        self.records_written = 0
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="warc-writer", daemon=True)
        self._thread.start()

    def archive_exchange(self, exchange: HttpExchange) -> None:
        """Queue a response/request record pair; never blocks the caller."""
        self._queue.put(exchange)

    def archive_metadata(
        self, target_uri: str, payload: dict[str, Any], concurrent_to: str | None, date: datetime
    ) -> None:
        """Queue a JSON metadata record; never blocks the caller."""
        self._queue.put(_Metadata(target_uri, payload, concurrent_to, date))

    def close(self, timeout: float | None = None) -> None:
        """Write everything queued, close the WARC file (rename from `.open`), re-raise a failure."""
        self._queue.put(_CLOSE)
        self._thread.join(timeout)
        if self._error is not None:
            raise ArchiveWriteError(
                f"writing the WARC file failed ({self._error}); the records before the failure are kept: "
                "fix the cause (free disk space, permissions), then crawl again"
            ) from self._error

    @property
    def failed(self) -> bool:
        """Whether a write failed, after which nothing more is written."""
        return self._error is not None

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is _CLOSE:
                break
            if self._error is not None:
                continue  # after a write failure nothing more is written: the file stays consistent
            try:
                self._write(job)
            except Exception as exc:  # disk full, permissions: stop writing, report at close
                # a machine failure (disk full, permissions) is one line; anything else keeps its traceback
                logger.error("WARC writing failed; no further records will be written: %s", exc,
                             exc_info=not isinstance(exc, OSError))
                self._error = exc
        try:
            self.writer.close()
        except Exception as exc:
            logger.error("Closing the WARC file failed: %s", exc, exc_info=not isinstance(exc, OSError))
            self._error = self._error or exc

    def _write(self, job: object) -> None:
        factory = self.writer.factory
        if isinstance(job, HttpExchange):
            records = factory.exchange(job)
            locations = self.writer.write_group(records)
            self.records_written += 2
            self._index(records[0], locations[0])  # the response (or revisit); requests are not indexed
        elif isinstance(job, _Metadata):
            if job.payload.get("schema") == RUN_SCHEMA:
                # the run's own record states what the run wrote: every record before it
                job.payload["stats"]["archive/warc_bytes"] = self.writer.bytes_written
                job.payload["stats"]["archive/records"] = self.records_written
            record = factory.metadata(job.target_uri, job.payload, concurrent_to=job.concurrent_to, date=job.date)
            (location,) = self.writer.write_group([record])
            self.records_written += 1
            self._index(record, location, job.payload)

    def _index(self, record: ArcWarcRecord, location: RecordLocation, payload: Any = None) -> None:
        """Index what was written exactly as reindex will read it back: the same translator."""
        for item in self.translator.items(record, location, payload=payload):
            self.sink(item)
