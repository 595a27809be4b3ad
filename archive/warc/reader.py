"""The one WARC reader: whole files in order, or one record by its location in one seek.

Every record is its own gzip member (the writer sees to it), so a record's location is the member's
offset and length. Reading a whole file yields a record only once it is known to be whole: when the
next one begins or, for the last one, once its gzip member is checked to end where warcio says (in
an uncompressed file, once its content is as long as its Content-Length says; the blank lines that
close the file are not taken for an unreadable tail). A
torn or damaged tail is reported, never raised, so `reindex` and crash recovery keep what is intact.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import IO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeadersParserException

from archive.errors import ArchiveError
from archive.warc.records import RecordLocation

logger = logging.getLogger(__name__)

# what a cut-off or damaged file makes warcio raise
READ_ERRORS = (ArchiveLoadFailed, StatusAndHeadersParserException, EOFError, zlib.error, ValueError)
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class ReadRecord:
    """A whole record read from a file, with its content when the caller asked for it."""

    record: ArcWarcRecord
    content: bytes  # b"" unless `wants_content(record)`
    location: RecordLocation


class RecordUnreadable(ArchiveError):
    """The WARC record a location points at cannot be read back."""

    def __init__(self, path: Path, offset: int, reason: str) -> None:
        self.path = path
        self.offset = offset
        super().__init__(
            f"cannot read the WARC record at offset {offset} of {path}: {reason} "
            "(run `newsarchive reindex` if the WARC files were moved or rewritten)"
        )


def read_record(warc_dir: Path, location: RecordLocation) -> tuple[ArcWarcRecord, bytes]:
    """The record whose gzip member starts at `location`, and its raw content: one seek, one read."""
    path = Path(warc_dir) / location.warc_file
    try:
        with path.open("rb") as stream:
            stream.seek(location.offset)
            member = stream.read(location.length)
    except OSError as exc:
        raise RecordUnreadable(path, location.offset, exc.strerror or str(exc)) from exc
    if len(member) != location.length:
        raise RecordUnreadable(path, location.offset, f"file ends after {len(member)} of {location.length} bytes")
    try:
        for record in ArchiveIterator(BytesIO(member), check_digests=False):
            return record, record.raw_stream.read()
    except Exception as exc:  # warcio raises bare Exceptions for malformed members
        raise RecordUnreadable(path, location.offset, str(exc)) from exc
    raise RecordUnreadable(path, location.offset, "no WARC record there")


class WarcFileReader:
    """The whole records of one WARC file, in file order; `truncated` says whether a tail was lost.

    `wants_content(record)` says which records' content to read (the rest are skipped unread).
    """

    def __init__(self, path: Path, wants_content: Callable[[ArcWarcRecord], bool] = lambda record: True) -> None:
        self.path = Path(path)
        self.wants_content = wants_content
        self.truncated = False  # set once iteration ends: the file ended in a cut-off or damaged record

    def __iter__(self) -> Iterator[ReadRecord]:
        name = self.path.name
        pending: ReadRecord | None = None
        with self.path.open("rb") as stream:
            iterator = ArchiveIterator(stream)
            try:
                for record in iterator:
                    if pending is not None:
                        yield pending
                    content = record.content_stream().read() if self.wants_content(record) else b""
                    location = RecordLocation(name, iterator.get_record_offset(), iterator.get_record_length())
                    pending = ReadRecord(record, content, location)
            except READ_ERRORS as error:  # what was read before stays; the check below counts it
                logger.warning("%s: stopped reading at a damaged record: %r", name, error)
            finally:
                iterator.close()
            size = self.path.stat().st_size
            if pending is not None and not member_complete(stream, pending.location.offset, pending.location.length):
                logger.warning(
                    "%s: the last record (at offset %d) is cut off; it was left out", name, pending.location.offset
                )
                self.truncated = True
                return
            if pending is not None:
                yield pending
        end = 0 if pending is None else pending.location.offset + pending.location.length
        if end < size and not _only_separator(self.path, end):
            logger.warning("%s: %d bytes after offset %d could not be read", name, size - end, end)
            self.truncated = True


def member_complete(stream: IO[bytes], offset: int, length: int) -> bool:
    """Whether the gzip member at `offset` ends where warcio says it does."""
    stream.seek(offset)
    data = stream.read(length)
    if not data.startswith(b"\x1f\x8b"):
        return len(data) == length and _plain_record_complete(data)
    decompressor = zlib.decompressobj(wbits=31)
    try:
        decompressor.decompress(data)
    except zlib.error:
        return False
    return decompressor.eof


def _plain_record_complete(data: bytes) -> bool:
    """Whether an uncompressed record holds all the content its Content-Length announces (warcio
    hands out a cut-off one as if it were whole)."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return False
    for line in data[:end].split(b"\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            try:
                return len(data) >= end + 4 + int(value.strip())
            except ValueError:
                return False
    return False


def _only_separator(path: Path, offset: int) -> bool:
    """Whether `path` holds nothing after `offset` but the blank lines that end an uncompressed
    record (warcio leaves them out of its length), so an intact file is not taken for a cut one."""
    with path.open("rb") as stream:
        stream.seek(offset)
        rest = stream.read(_CHUNK)
        return len(rest) < _CHUNK and not rest.strip(b"\r\n")


def complete_length(path: Path) -> int:
    """Bytes from the start of `path` up to the end of its last complete gzip member."""
    complete = position = 0
    decompressor = zlib.decompressobj(wbits=31)
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            data = chunk
            while data:
                try:
                    decompressor.decompress(data, _CHUNK)  # output is not needed, only the framing
                    # a member can end inside an output-limited call: what follows it is then in
                    # unused_data, and a stale copy stays in unconsumed_tail; feeding that back loops forever
                    while decompressor.unconsumed_tail and not decompressor.eof:
                        decompressor.decompress(decompressor.unconsumed_tail, _CHUNK)
                except zlib.error:
                    return complete
                if decompressor.eof:
                    rest = decompressor.unused_data
                    position += len(data) - len(rest)
                    complete = position
                    data = rest
                    decompressor = zlib.decompressobj(wbits=31)
                else:
                    position += len(data)
                    data = b""
    return complete
