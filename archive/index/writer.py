"""The crawl's database writer: one thread owns the write connection and commits in batches.

Scrapy's reactor must never wait for SQLite, and SQLite wants one writer, so the crawl only
`submit`s items (a non-blocking queue put) and this thread applies them, one transaction per batch.
A failed item is logged and counted, never swallowed: `close()` raises `IngestError` so the crawl
ends with an error, and since the WARC files hold everything, `reindex` repairs the index.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from types import TracebackType
from typing import Final

from sqlalchemy.orm import Session

from archive.index.database import Database
from archive.errors import ArchiveError, IngestError
from archive.index.ingest import ArticleRecord, CaptureRecord, IngestItem, Ingestor, RunFinished

logger = logging.getLogger(__name__)


class _Close:
    """Queued by `close()`: everything before it is written, then the thread ends."""


_CLOSE: Final = _Close()


def item_name(item: IngestItem) -> str:
    """A one-line name of an item for logs (its payload may be a whole article)."""
    if isinstance(item, ArticleRecord):
        return f"article record {item.record_id} ({item.payload.get('url')}) in {item.warc_file}"
    if isinstance(item, CaptureRecord):
        return f"capture {item.record_id} ({item.url}) in {item.warc_file}"
    if isinstance(item, RunFinished):
        return f"end of run {item.run_uuid}"
    return f"start of run {item.run_uuid}"


class DatabaseWriter:
    """Applies submitted items on its own thread, in batches of up to `batch_size` items.

    A batch is written once it is full or `flush_interval` seconds after its first item arrived.
    """

    def __init__(self, database: Database, batch_size: int = 200, flush_interval: float = 1.0) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        if flush_interval <= 0:
            raise ValueError(f"flush_interval must be positive, not {flush_interval}")
        self.database = database
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.errors = 0  # items that could not be written
        self.written = 0  # items written
        self._first_error: BaseException | None = None
        self._queue: queue.SimpleQueue[IngestItem | _Close] = queue.SimpleQueue()
        self._lock = threading.Lock()  # makes "closed?" and "enqueue" one step
        self._closed = False
        self._fatal: ArchiveError | None = None  # the database cannot be written at all
        # started here, so no caller can forget to; all database I/O happens on this thread
        self._thread = threading.Thread(target=self._run, name="newsarchive-db-writer", daemon=True)
        self._thread.start()

    def submit(self, item: IngestItem) -> None:
        """Queue an item for writing; never blocks. Items are written in submission order."""
        with self._lock:
            if self._closed:
                raise RuntimeError(f"{item_name(item)} submitted after the writer was closed")
            self._queue.put(item)

    def close(self, timeout: float | None = None) -> None:
        """Write everything submitted so far, stop the thread, and raise if anything failed."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._queue.put(_CLOSE)
        self._thread.join(timeout)
        database = str(self.database)
        if self._fatal is not None:
            raise self._fatal
        if self._thread.is_alive():
            raise IngestError(
                f"the database writer for {database} did not finish within {timeout} s "
                f"({self._queue.qsize()} items still queued): the WARC files hold them, "
                "run `newsarchive reindex` once the crawl has stopped"
            )
        if self.errors:
            raise IngestError(
                f"{self.errors} item(s) could not be written to {database} (see the log): "
                "the WARC files are complete, run `newsarchive reindex` to rebuild the index"
            ) from self._first_error

    def __enter__(self) -> DatabaseWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _run(self) -> None:
        try:
            self.database.require_current()
        except Exception as error:
            # nothing can be written: say so once, from close(), and drop what arrives meanwhile
            logger.error("Database writer not started: %s", error)
            self._fatal = (
                error
                if isinstance(error, ArchiveError)
                else IngestError(f"cannot open {self.database}: {error}")
            )
            while not isinstance(self._queue.get(), _Close):
                pass
            return
        while True:
            first = self._queue.get()
            if isinstance(first, _Close):
                return
            batch, closing = self._collect(first)
            self._write(batch)
            if closing:
                return

    def _collect(self, first: IngestItem) -> tuple[list[IngestItem], bool]:
        """The batch that starts with `first`, and whether `close()` was reached."""
        batch = [first]
        deadline = time.monotonic() + self.flush_interval
        while len(batch) < self.batch_size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                item = self._queue.get(timeout=remaining)
            except queue.Empty:
                break
            if isinstance(item, _Close):
                return batch, True
            batch.append(item)
        return batch, False

    def _write(self, batch: list[IngestItem]) -> None:
        """One transaction for the batch; if it fails, one per item to find the culprit."""
        engine = self.database.engine
        try:
            with Session(engine) as session, session.begin():
                Ingestor(session).apply(batch)
        except Exception as error:
            if len(batch) == 1:
                self._failed(batch[0], error)
                return
            logger.warning("A batch of %d items failed; writing them one by one", len(batch))
            for item in batch:
                try:
                    with Session(engine) as session, session.begin():
                        Ingestor(session).apply_one(item)
                except Exception as error:
                    self._failed(item, error)
                else:
                    self.written += 1
        else:
            self.written += len(batch)
            logger.debug("Wrote %d items to %s", len(batch), self.database)

    def _failed(self, item: IngestItem, error: Exception) -> None:
        from archive.machine_errors import explain

        if reason := explain(error):  # disk full, read-only: one line, the traceback says nothing more
            logger.error("Could not write %s to the database: %s", item_name(item), reason)
        else:
            logger.error("Could not write %s to the database", item_name(item), exc_info=error)
        self.errors += 1
        if self._first_error is None:
            self._first_error = error
