"""The one record → index rows translator, for the live crawl and for `reindex` alike.

The crawl's WARC writer thread hands it each record it has just written, `reindex` and crash recovery
each record they read back; both get the same items, so a database rebuilt from the WARC files equals
the one written during the crawl.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from archive.errors import InvalidRecord
from archive.index.ingest import (
    ARTICLE_SCHEMA_PREFIX,
    RUN_SCHEMA,
    ArticleRecord,
    CaptureRecord,
    IngestItem,
    RunFinished,
    RunStarted,
)
from archive.warc.records import RecordLocation
from archive.warc.scan import ScannedRecord

if TYPE_CHECKING:
    from warcio.recordloader import ArcWarcRecord

    Record = ArcWarcRecord | ScannedRecord  # the live crawl's records, or those a scan read back

INDEXED_TYPES = frozenset({"warcinfo", "response", "revisit", "metadata"})


class RecordTranslator:
    """Turns the records of one crawl's files into ingest items, remembering which run wrote them.

    `current_run` is the run of the records that follow; a live crawl sets it, reading sets it from
    each file's warcinfo records.
    """

    def __init__(self, current_run: str | None = None) -> None:
        self.current_run = current_run
        self._runs: dict[str, str] = {}  # warcinfo record id -> run uuid

    def items(
        self, record: Record, location: RecordLocation, content: bytes = b"", payload: Any = None
    ) -> list[IngestItem]:
        """The items one record stands for (none for requests and the like).

        A metadata record's JSON is read from `content`, unless the caller has it already (`payload`).
        """
        kind = record.rec_type
        if kind in ("response", "revisit"):
            return [self._capture(record, location)]
        if kind == "metadata":
            return self._metadata(record, location, content, payload)
        if kind == "warcinfo":
            started = RunStarted.from_warcinfo(parse_warc_fields(content))
            self._runs[record.rec_headers.get_header("WARC-Record-ID")] = started.run_uuid
            self.current_run = started.run_uuid
            return [started]
        return []

    def _capture(self, record: Record, location: RecordLocation) -> CaptureRecord:
        headers = record.rec_headers
        http = record.http_headers
        status = http.get_statuscode() if http is not None else None
        warcinfo_id = headers.get_header("WARC-Warcinfo-ID")
        return CaptureRecord(
            record_type=record.rec_type,
            refers_to=headers.get_header("WARC-Refers-To"),
            etag=http.get_header("ETag") if http is not None else None,
            last_modified=http.get_header("Last-Modified") if http is not None else None,
            record_id=headers.get_header("WARC-Record-ID"),
            url=headers.get_header("WARC-Target-URI"),
            captured_at=headers.get_header("WARC-Date"),
            status=int(status) if status and status.isdigit() else None,
            content_type=http.get_header("Content-Type") if http is not None else None,
            payload_digest=headers.get_header("WARC-Payload-Digest"),
            warc_file=location.warc_file,
            offset=location.offset,
            length=location.length,
            run_uuid=self._runs.get(warcinfo_id, self.current_run),
        )

    def _metadata(
        self, record: Record, location: RecordLocation, content: bytes, payload: Any
    ) -> list[IngestItem]:
        headers = record.rec_headers
        record_id = headers.get_header("WARC-Record-ID")
        content_type = (headers.get_header("Content-Type") or "").split(";")[0].strip()
        if content_type != "application/json":
            return []
        if payload is None:
            try:
                payload = json.loads(content)
            except ValueError as error:
                raise InvalidRecord(
                    f"metadata record {record_id} in {location.warc_file} is not valid JSON: {error}"
                ) from error
        schema = str(payload.get("schema", "")) if isinstance(payload, dict) else ""
        if schema.startswith(ARTICLE_SCHEMA_PREFIX):
            return [
                ArticleRecord(
                    record_id=record_id,
                    concurrent_to=headers.get_header("WARC-Concurrent-To"),
                    captured_at=headers.get_header("WARC-Date"),
                    payload=payload,
                    warc_file=location.warc_file,
                    offset=location.offset,
                    length=location.length,
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


def read_items(records: Iterable[ScannedRecord]) -> Iterator[list[IngestItem] | InvalidRecord]:
    """Each whole record of a file as its items, or as the `InvalidRecord` error it raised."""
    translator = RecordTranslator()
    for record in records:
        try:
            yield translator.items(record, record.location, record.content)
        except InvalidRecord as error:
            yield error
