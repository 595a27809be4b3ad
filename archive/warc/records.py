"""Build WARC records from plain HTTP exchange data, with warcio doing the serialising.

The crawler hands over an `HttpExchange` made of bytes exactly as they crossed the wire (after
transfer-decoding); nothing here decodes a body to text.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from io import BytesIO
from typing import Any
from urllib.parse import urlsplit

from warcio.recordbuilder import RecordBuilder
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

WARC_VERSION = "WARC/1.1"

# Headers that describe how bytes crossed the wire rather than the stored entity: the body is kept
# de-chunked, so a replay tool that saw "Transfer-Encoding: chunked" would try to de-chunk it again.
# The header is kept under this name, as wget and warcprox do, so nothing the server said is lost.
_TRANSFER_ENCODING = "transfer-encoding"
_KEPT_AS = "X-Archive-Orig-Transfer-Encoding"

Headers = list[tuple[bytes, bytes]]


def new_record_id() -> str:
    """A WARC-Record-ID; made by the caller so later records can point at it before it is written."""
    return f"<urn:uuid:{uuid.uuid4()}>"


def payload_digest(body: bytes, like: str = "sha1:") -> str:
    """The WARC payload digest of a body, with the algorithm of `like` (e.g. an earlier digest)."""
    algorithm = like.split(":", 1)[0] or "sha1"
    return str(_digester_with(algorithm, body))


def _digester_with(algorithm: str, body: bytes) -> Digester:
    digester = Digester(algorithm)
    digester.update(body)
    return digester


def warc_date(moment: datetime) -> str:
    """WARC 1.1 date with microseconds, always UTC."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True, slots=True)
class RecordLocation:
    """Where one record lives, to be read back in one seek: a file in the WARC directory, and its
    gzip member (every record is a member of its own)."""

    warc_file: str  # final file name (without `.open`), relative to the WARC directory
    offset: int
    length: int  # of the gzip member


SERVER_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
IDENTICAL_PAYLOAD_DIGEST = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"


@dataclass(frozen=True, slots=True)
class Revisit:
    """The earlier response an unchanged re-capture refers to, instead of repeating its body."""

    profile: str  # SERVER_NOT_MODIFIED or IDENTICAL_PAYLOAD_DIGEST
    refers_to: str  # WARC-Record-ID of the original response
    refers_to_uri: str
    refers_to_date: str  # WARC date of the original
    payload_digest: str  # the original's payload digest


@dataclass(frozen=True, slots=True)
class HttpExchange:
    """One request and the raw response the downloader handed back for it."""

    url: str
    method: str
    request_headers: Headers
    request_body: bytes
    protocol: str  # "HTTP/1.1"
    status: int
    reason: str
    response_headers: Headers
    body: bytes
    started_at: datetime
    response_record_id: str = field(default_factory=new_record_id)
    ip_address: str | None = None
    revisit: Revisit | None = None  # set when the response repeats an earlier capture


class RecordFactory(RecordBuilder):
    """warcio's record builder with the digest algorithm as a choice (sha1 base32 by default)."""

    def __init__(self, digest: str = "sha1") -> None:
        super().__init__(warc_version=WARC_VERSION)
        self.digest = digest

    def _create_digester(self) -> Digester:  # warcio calls this for block and payload digests
        return Digester(self.digest)

    def exchange(self, exchange: HttpExchange) -> list[ArcWarcRecord]:
        """The response record and its request record, linked by WARC-Concurrent-To."""
        date = warc_date(exchange.started_at)
        response_fields = {
            "WARC-Record-ID": exchange.response_record_id,
            "WARC-Date": date,
        }
        if exchange.ip_address:
            response_fields["WARC-IP-Address"] = exchange.ip_address
        response_headers = StatusAndHeaders(
            f"{exchange.status} {exchange.reason}".strip(),
            _stored_response_headers(exchange.response_headers),
            protocol=exchange.protocol,
        )
        if exchange.revisit is None:
            response = self.create_warc_record(
                exchange.url,
                "response",
                payload=BytesIO(exchange.body),
                length=len(exchange.body),
                warc_headers_dict=response_fields,
                http_headers=response_headers,
            )
        else:
            response = self._revisit(exchange.url, exchange.revisit, response_fields, response_headers)
        request_fields = {
            "WARC-Date": date,
            "WARC-Concurrent-To": exchange.response_record_id,
        }
        request_headers = StatusAndHeaders(
            f"{exchange.method} {_request_target(exchange.url)} {exchange.protocol}",
            _decoded(exchange.request_headers),
            is_http_request=True,
        )
        request = self.create_warc_record(
            exchange.url,
            "request",
            payload=BytesIO(exchange.request_body),
            length=len(exchange.request_body),
            warc_headers_dict=request_fields,
            http_headers=request_headers,
        )
        return [response, request]

    def _revisit(
        self, url: str, revisit: Revisit, fields: dict[str, str], http_headers: StatusAndHeaders
    ) -> ArcWarcRecord:
        """HTTP headers kept, body not repeated; pywb and warcio resolve it through WARC-Refers-To-*."""
        record = self.create_revisit_record(
            url,
            revisit.payload_digest,
            revisit.refers_to_uri,
            revisit.refers_to_date,
            http_headers=http_headers,
            warc_headers_dict=fields,
        )
        record.rec_headers.replace_header("WARC-Profile", revisit.profile)
        record.rec_headers.add_header("WARC-Refers-To", revisit.refers_to)
        return record

    def metadata(
        self,
        target_uri: str,
        payload: dict[str, Any],
        *,
        concurrent_to: str | None,
        date: datetime,
        record_id: str | None = None,
    ) -> ArcWarcRecord:
        """A JSON metadata record; never edits the response it describes."""
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        fields = {
            "WARC-Record-ID": record_id or new_record_id(),
            "WARC-Date": warc_date(date),
        }
        if concurrent_to:
            fields["WARC-Concurrent-To"] = concurrent_to
        return self.create_warc_record(
            target_uri,
            "metadata",
            payload=BytesIO(body),
            length=len(body),
            warc_content_type="application/json",
            warc_headers_dict=fields,
        )

    def warcinfo(self, filename: str, fields: dict[str, str]) -> ArcWarcRecord:
        """The record that opens every file: who wrote it, how, and for which crawl run."""
        return self.create_warcinfo_record(filename, fields)


class RecordSerialiser(WARCWriter):
    """warcio's writer, uncompressed, computing block digests with the same algorithm."""

    def __init__(self, digest: str = "sha1") -> None:
        super().__init__(None, gzip=False, warc_version=WARC_VERSION)
        self.digest = digest

    def _create_digester(self) -> Digester:
        return Digester(self.digest)

    def to_bytes(self, record: ArcWarcRecord) -> bytes:
        self.out = BytesIO()
        self.write_record(record)
        return self.out.getvalue()


def _decoded(headers: Headers) -> list[tuple[str, str]]:
    # latin-1 maps every byte to one code point, so header bytes survive the round trip
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, value in headers]


def _stored_response_headers(headers: Headers) -> list[tuple[str, str]]:
    stored = []
    for name, value in _decoded(headers):
        if name.lower() == _TRANSFER_ENCODING:
            name = _KEPT_AS
        stored.append((name, value))
    return stored


def _request_target(url: str) -> str:
    parts = urlsplit(url)
    target = parts.path or "/"
    return f"{target}?{parts.query}" if parts.query else target
