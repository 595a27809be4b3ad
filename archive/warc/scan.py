"""A fast, read-once scan of a gzipped WARC file, for `reindex` and crash recovery.

`WarcFileReader` hands out warcio records, which parse every header line through several layers of
Python buffering: over half of a reindex went there. An index needs much less: the WARC headers of
every record, the HTTP status line and headers of responses, and the whole content only of the small
`warcinfo` and `metadata` records (of requests, only their type). So each gzip member is inflated
once with zlib, straight from large reads of the file; the headers are split by hand with warcio's
rules (first value of a name wins, names match case-insensitively, continuation lines are joined,
utf-8 else ISO-8859-1); bodies are inflated (gzip has no other way to find where a member ends) but
never kept.

Anything the hand parser is not sure of (an unknown WARC version, a header block it cannot find, an
HTTP status line that is not HTTP/1.x) is handed to warcio for that one record, so unusual files
read exactly as `WarcFileReader` reads them. A torn or damaged tail ends the scan and is reported in
`truncated`, never raised; only whole gzip members are yielded.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from archive.warc.records import RecordLocation

logger = logging.getLogger(__name__)

_CHUNK = 1 << 20  # bytes read from the file at a time
_SLICE = 1 << 14  # compressed bytes given to zlib at a time: what follows a member is copied, so keep it small
_HEAD = 1 << 16  # decompressed bytes kept of records whose content is not needed
_GZIP_MAGIC = b"\x1f\x8b"
_WARC_VERSIONS = ("WARC/1.1", "WARC/1.0", "WARC/0.17", "WARC/0.18")
_HTTP_VERSIONS = ("HTTP/1.0", "HTTP/1.1")
_HTTP_RECORDS = ("response", "request", "revisit")
_CONTENT_RECORDS = ("warcinfo", "metadata")  # the records whose content an index reads


class Headers:
    """A header block looked up as warcio's `StatusAndHeaders` is: case-insensitively, first value wins."""

    __slots__ = ("statusline", "protocol", "headers", "_first")

    def __init__(self, statusline: str, protocol: str, headers: list[tuple[str, str]]) -> None:
        self.statusline = statusline
        self.protocol = protocol
        self.headers = headers
        self._first: dict[str, str] = {}
        for name, value in headers:
            self._first.setdefault(name.lower(), value)

    def get_header(self, name: str, default: str | None = None) -> str | None:
        return self._first.get(name.lower(), default)

    def get_statuscode(self) -> str:
        return self.statusline.split(" ", 1)[0]


_NO_HEADERS = Headers("", "", [])


@dataclass(frozen=True, slots=True)
class ScannedRecord:
    """What an index reads of one record: its type, WARC headers, HTTP headers (responses) and location."""

    rec_type: str
    rec_headers: Headers
    http_headers: Headers | None
    content: bytes  # the whole content of warcinfo and metadata records, else b""
    location: RecordLocation


class _Unsure(Exception):
    """The hand parser declines a record: warcio reads it instead."""


def _decode(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("iso-8859-1")


def parse_block(data: bytes, start: int, versions: tuple[str, ...]) -> tuple[Headers, int]:
    """The status line and headers from `start`, and where the block's blank line ends.

    warcio's rules: lines end at LF and are right-stripped; the first blank one ends the block; a
    line starting with a space or tab continues the value before it; a line without ":" is dropped.
    """
    end = data.find(b"\r\n\r\n", start)
    if end < 0:
        raise _Unsure("no blank line after the headers")
    block = data[start:end]
    try:  # utf-8 never splits a character at a LF byte: decoding the block at once decodes each line
        lines = [line.rstrip() for line in block.decode("utf-8").split("\n")]
    except UnicodeDecodeError:
        lines = [_decode(line).rstrip() for line in block.split(b"\n")]
    if not all(lines):
        raise _Unsure("a blank-looking line inside the headers")  # warcio would end the block there
    statusline = lines[0]
    upper = statusline.upper()
    protocol = next((version for version in versions if upper.startswith(version)), None)
    if protocol is None:
        raise _Unsure(f"status line {statusline[:40]!r}")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t"):
            if headers and headers[-1][1] is not None:
                name, value = headers[-1]
                headers[-1] = (name, value + line)
            continue
        name, separator, value = line.partition(":")
        if separator:
            headers.append((name.rstrip(" \t"), value.lstrip()))
        else:
            headers.append((name, None))  # type: ignore[arg-type]  # continuation lines of it are dropped too
    return Headers(statusline[len(protocol):].strip(), protocol, [h for h in headers if h[1] is not None]), end + 4


def parse_record(data: bytes, location: RecordLocation) -> ScannedRecord:
    """One record from its decompressed bytes (the whole member, or at least its headers)."""
    warc, body_start = parse_block(data, 0, _WARC_VERSIONS)
    kind = warc.get_header("WARC-Type") or ""
    uri = warc.get_header("WARC-Target-URI")
    if uri is not None and (uri.startswith("<") or " " in uri):
        raise _Unsure("a target URI warcio rewrites")
    try:
        length = int(warc.get_header("Content-Length") or "")
    except ValueError:
        raise _Unsure("no valid Content-Length") from None
    http = None
    if kind in ("response", "revisit") and length > 0 and uri is not None and uri.startswith(("http:", "https:")):
        if kind == "revisit" and length < 4:
            raise _Unsure("a revisit too short for HTTP headers")
        http, _ = parse_block(data, body_start, _HTTP_VERSIONS)
    content = b""
    if kind in _CONTENT_RECORDS:
        content = data[body_start : body_start + length]
        if len(content) != length:
            raise _Unsure("content shorter than its Content-Length")
    return ScannedRecord(kind, warc, http, content, location)


def _warcio_record(path: Path, location: RecordLocation) -> ScannedRecord:
    """The record read by warcio, for what the hand parser declined (its errors end the scan)."""
    from archive.warc.reader import read_record

    record, raw = read_record(path.parent, location)
    http = record.http_headers
    return ScannedRecord(
        record.rec_type,
        Headers("", "", list(record.rec_headers.headers)),
        Headers(http.statusline, http.protocol, list(http.headers)) if http is not None else None,
        raw if record.rec_type in _CONTENT_RECORDS else b"",
        location,
    )


class WarcScan:
    """The records of one gzipped WARC file, in order; `truncated` says whether a torn tail was left out."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.truncated = False

    def __iter__(self) -> Iterator[ScannedRecord]:
        name = self.path.name
        with self.path.open("rb") as stream:
            for offset, length, data in self._members(stream):
                if not data:
                    continue  # an empty member: warcio skips it too
                location = RecordLocation(name, offset, length)
                if data.startswith(b"WARC/1.") and _sniffed_type(data) == b"request":
                    yield ScannedRecord("request", _NO_HEADERS, None, b"", location)  # an index reads nothing of it
                    continue
                try:
                    record = parse_record(data, location)
                except _Unsure:
                    try:
                        record = _warcio_record(self.path, location)
                    except Exception as error:  # warcio's own errors: the file is damaged from here on
                        logger.warning("%s: stopped reading at a damaged record: %r", name, error)
                        self.truncated = True
                        return
                yield record

    def _members(self, stream: IO[bytes]) -> Iterator[tuple[int, int, bytes]]:
        """Each whole gzip member: its offset, compressed length and decompressed bytes (only the
        head of records whose content is not needed)."""
        buffer = stream.read(_CHUNK)
        base = position = 0  # file offset of buffer[0]; read position in buffer
        at_end = len(buffer) < _CHUNK
        while True:
            if len(buffer) - position < _SLICE and not at_end:
                more = stream.read(_CHUNK)
                at_end = len(more) < _CHUNK
                buffer, base, position = buffer[position:] + more, base + position, 0
            if position >= len(buffer):
                return
            start = base + position
            if buffer[position : position + 2] != _GZIP_MAGIC:
                self._damaged(start, "not a gzip member")
                return
            inflater = zlib.decompressobj(wbits=31)
            pieces: list[bytes] = []
            kept = 0
            keep_all: bool | None = None
            view = memoryview(buffer)
            while True:
                if len(buffer) - position < _SLICE and not at_end:
                    view.release()
                    more = stream.read(_CHUNK)
                    at_end = len(more) < _CHUNK
                    buffer, base, position = buffer[position:] + more, base + position, 0
                    view = memoryview(buffer)
                piece = view[position : position + _SLICE]
                if not piece:
                    view.release()
                    self._damaged(start, "the last record is cut off")
                    return
                try:
                    output = inflater.decompress(piece)
                except zlib.error as error:
                    view.release()
                    self._damaged(start, f"damaged gzip data ({error})")
                    return
                if keep_all is None and output:
                    keep_all = _wants_content(output)
                if keep_all or kept < _HEAD:
                    pieces.append(output)
                    kept += len(output)
                if inflater.eof:
                    position += len(piece) - len(inflater.unused_data)
                    break
                position += len(piece)
            view.release()
            yield start, base + position - start, b"".join(pieces)

    def _damaged(self, offset: int, reason: str) -> None:
        size = self.path.stat().st_size
        logger.warning("%s: %s at offset %d; the %d bytes from there were left out", self.path.name, reason,
                       offset, size - offset)
        self.truncated = True


def _sniffed_type(head: bytes) -> bytes | None:
    """A record's WARC-Type read from its first bytes, or None when that is not plain to see."""
    end = head.find(b"\r\n\r\n")
    block = (head if end < 0 else head[:end]).lower()
    at = block.find(b"\nwarc-type:")
    if at < 0 or block.find(b"\nwarc-type:", at + 1) >= 0:
        return None
    line_end = block.find(b"\n", at + 1)
    return block[at + 11 : line_end if line_end > 0 else None].strip()


def _wants_content(head: bytes) -> bool:
    """Whether a record's whole content is kept (when unsure, it is)."""
    return _sniffed_type(head) not in (b"response", b"request", b"revisit", b"resource")
