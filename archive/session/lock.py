"""One crawl per site and data directory at a time, so overlapping cron runs never trample each other.

The lock is an `flock` on `DATA_DIR/locks/<site>.lock` (`DataLayout.lock_file`): the kernel drops it when the holder dies,
however it dies, so a lock left by a killed crawl is simply taken over. The holder's pid and start
time are written into the file so the refusal can say who holds it.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType

from archive.errors import LockHeld

logger = logging.getLogger(__name__)


class CrawlLock:
    """An exclusive, non-blocking lock for one site's crawls in one data directory."""

    def __init__(self, path: Path) -> None:
        self.path = path  # `DataLayout.lock_file(site)`
        self._handle: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(handle, 4096, 0).decode("utf-8", "replace").strip() or "another process"
            os.close(handle)
            raise LockHeld(str(self.path), holder) from None
        previous = os.pread(handle, 4096, 0).decode("utf-8", "replace").strip()
        if previous:
            logger.warning("Taking over the lock %s left by a crawl that is gone (%s)", self.path, previous)
        os.ftruncate(handle, 0)
        stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
        os.pwrite(handle, f"pid {os.getpid()} on {socket.gethostname()} since {stamp}\n".encode(), 0)
        self._handle = handle

    def release(self) -> None:
        if self._handle is None:
            return
        os.ftruncate(self._handle, 0)  # an empty file says the last holder finished cleanly
        fcntl.flock(self._handle, fcntl.LOCK_UN)
        os.close(self._handle)
        self._handle = None

    def __enter__(self) -> CrawlLock:
        self.acquire()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.release()
