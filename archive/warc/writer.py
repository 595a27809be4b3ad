"""A WARC file writer with size rollover, `.open` names until closed, and unique file names.

One instance owns one file handle and is used from one thread only (the archive writer thread).
Records are written a group at a time so a request/response pair never spans two files.
"""

from __future__ import annotations

import logging
import os
import socket
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO

from warcio.recordloader import ArcWarcRecord

from archive.warc.records import RecordFactory, RecordLocation, RecordSerialiser

logger = logging.getLogger(__name__)

OPEN_SUFFIX = ".open"


@dataclass(frozen=True, slots=True)
class WriterConfig:
    directory: Path
    prefix: str = "newsarchive"
    max_size: int = 1_000_000_000  # bytes; a new file is started before a group that would pass it
    digest: str = "sha1"
    compress_level: int = 6


def warc_file_name(prefix: str, moment: datetime, serial: int, host: str, pid: int) -> str:
    """`{prefix}-{UTC timestamp}-{serial:05d}-{host}-{pid}.warc.gz`: unique across processes and hosts."""
    stamp = moment.astimezone(timezone.utc).strftime("%Y%m%d%H%M%S%f")
    return f"{prefix}-{stamp}-{serial:05d}-{file_safe_host(host)}-{pid}.warc.gz"


def file_safe_host(host: str) -> str:
    """The host name as it appears in WARC file names."""
    return "".join(ch if ch.isalnum() or ch in ".-" else "_" for ch in host) or "host"


class RollingWarcWriter:
    """Writes record groups into `*.warc.gz.open` files, each opened by a warcinfo record."""

    def __init__(self, config: WriterConfig, warcinfo_fields: dict[str, str]) -> None:
        self.config = config
        self.warcinfo_fields = warcinfo_fields
        self.factory = RecordFactory(config.digest)
        self.files_written: list[str] = []
        self.bytes_written = 0
        self._serial = 0
        self._handle: BinaryIO | None = None
        self._name = ""
        self._size = 0
        self.warcinfo_id = ""
        self._warcinfo_size = 0
        self._serialiser = RecordSerialiser(config.digest)
        config.directory.mkdir(parents=True, exist_ok=True)

    @property
    def current_file(self) -> str:
        return self._name

    def write_group(self, records: Sequence[ArcWarcRecord]) -> list[RecordLocation]:
        """Write records back to back in one file, flushed; rolls over first if the group would not fit.

        Each record is stamped with the WARC-Warcinfo-ID of the file it actually lands in; its
        headers (record id, date, digests) are final once written.
        """
        if self._handle is None:
            self._roll_over()
        members = self._serialise(records)
        group_size = sum(len(member) for member in members)
        if self._size + group_size > self.config.max_size and self._size > self._warcinfo_size:
            self._roll_over()
            members = self._serialise(records)
        locations = [self._append(member) for member in members]
        # in the file (the OS's page cache) before the caller indexes it: a killed crawl never
        # leaves index rows pointing past the end of the file
        self._handle.flush()
        return locations

    def _serialise(self, records: Sequence[ArcWarcRecord]) -> list[bytes]:
        members = []
        for record in records:
            record.rec_headers.replace_header("WARC-Warcinfo-ID", self.warcinfo_id)
            record.raw_stream.seek(0)  # bodies are in-memory BytesIO; a re-serialise starts over
            members.append(self._gzip_member(record))
        return members

    def close(self) -> None:
        """Flush, fsync and rename the `.open` file to its final name."""
        if self._handle is None:
            return
        handle, self._handle = self._handle, None
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        final = self.config.directory / self._name
        os.replace(final.with_name(final.name + OPEN_SUFFIX), final)
        self.files_written.append(self._name)
        logger.info("Closed WARC file %s (%d bytes)", final, self._size)

    def _roll_over(self) -> None:
        self.close()
        while self._handle is None:
            self._serial += 1
            self._name = warc_file_name(
                self.config.prefix, datetime.now(timezone.utc), self._serial, socket.gethostname(), os.getpid()
            )
            path = self.config.directory / (self._name + OPEN_SUFFIX)
            try:
                self._handle = open(path, "xb")  # "x": never clobber another writer's file
            except FileExistsError:
                continue  # same microsecond, same process: the next serial makes it unique
        self._size = 0
        warcinfo = self.factory.warcinfo(self._name, self.warcinfo_fields)
        self.warcinfo_id = warcinfo.rec_headers.get_header("WARC-Record-ID")
        self._append(self._gzip_member(warcinfo))
        self._warcinfo_size = self._size
        logger.info("Opened WARC file %s", path)

    def _append(self, member: bytes) -> RecordLocation:
        assert self._handle is not None
        offset = self._size
        self._handle.write(member)
        self._size += len(member)
        self.bytes_written += len(member)
        return RecordLocation(self._name, offset, len(member))

    def _gzip_member(self, record: ArcWarcRecord) -> bytes:
        """Serialise with warcio (digests, lengths), then gzip as one member at our level."""
        compressor = zlib.compressobj(self.config.compress_level, zlib.DEFLATED, zlib.MAX_WBITS + 16)
        return compressor.compress(self._serialiser.to_bytes(record)) + compressor.flush()
