"""The WARC writer, read back with warcio's own reader and checker."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.warc.records import HttpExchange
from archive.warc.writer import OPEN_SUFFIX, RollingWarcWriter, WriterConfig

NAME = re.compile(r"^test-\d{20}-\d{5}-[A-Za-z0-9.\-_]+-\d+\.warc\.gz$")
WHEN = datetime(2026, 11, 26, 10, 0, 0, 123456, tzinfo=timezone.utc)


def exchange(number: int, body: bytes = b"<html><p>hello</p></html>") -> HttpExchange:
    return HttpExchange(
        url=f"http://news.example/article/story-{number}?page=2&x=%20y",
        method="GET",
        request_headers=[(b"Host", b"news.example"), (b"User-Agent", b"newsarchive-test")],
        request_body=b"",
        protocol="HTTP/1.1",
        status=200,
        reason="OK",
        response_headers=[
            (b"Content-Type", b"text/html; charset=utf-8"),
            (b"Set-Cookie", b"first=1"),
            (b"Set-Cookie", b"second=2"),
            (b"Transfer-Encoding", b"chunked"),
        ],
        body=body,
        started_at=WHEN,
        ip_address="127.0.0.1",
    )


def write(tmp_path: Path, count: int, **config: object) -> RollingWarcWriter:
    writer = RollingWarcWriter(
        WriterConfig(directory=tmp_path, prefix="test", **config), {"crawl-run-id": "run-1", "software": "test"}
    )
    for number in range(count):
        writer.write_group(writer.factory.exchange(exchange(number, b"x" * 2000 + str(number).encode())))
    return writer


def records(path: Path) -> list:
    with path.open("rb") as stream:
        return [
            (record.rec_type, record.rec_headers, record.http_headers, record.content_stream().read())
            for record in ArchiveIterator(stream)
        ]


def test_files_are_open_until_closed_then_renamed(tmp_path: Path) -> None:
    writer = write(tmp_path, 1)
    assert [path.name.endswith(OPEN_SUFFIX) for path in tmp_path.iterdir()] == [True]
    writer.close()
    names = [path.name for path in tmp_path.iterdir()]
    assert len(names) == 1 and NAME.match(names[0]), names


def test_rollover_keeps_pairs_together_and_starts_each_file_with_warcinfo(tmp_path: Path) -> None:
    writer = write(tmp_path, 12, max_size=1500)
    writer.close()
    files = sorted(tmp_path.iterdir())
    assert len(files) > 3
    serials = [int(path.name.split("-")[2]) for path in files]
    assert serials == sorted(set(serials))
    for path in files:
        read = records(path)
        assert read[0][0] == "warcinfo"
        warcinfo_id = read[0][1].get_header("WARC-Record-ID")
        types = [rec_type for rec_type, *_ in read[1:]]
        assert types == ["response", "request"] * (len(types) // 2), f"a pair spans files in {path.name}"
        assert all(headers.get_header("WARC-Warcinfo-ID") == warcinfo_id for _, headers, *_ in read[1:])
    checked = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", *map(str, files)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_response_keeps_status_line_repeated_headers_and_exact_body(tmp_path: Path) -> None:
    writer = RollingWarcWriter(WriterConfig(directory=tmp_path, prefix="test"), {"software": "test"})
    body = bytes(range(256)) * 10  # binary: never decoded
    written = writer.factory.exchange(exchange(1, body))
    response_location, _ = writer.write_group(written)
    writer.close()
    (path,) = tmp_path.iterdir()
    _, (_, resp_headers, resp_http, resp_body), (_, req_headers, req_http, _) = records(path)
    assert resp_body == body
    assert resp_http.protocol == "HTTP/1.1" and resp_http.get_statuscode() == "200"
    assert [value for name, value in resp_http.headers if name == "Set-Cookie"] == ["first=1", "second=2"]
    assert resp_http.get_header("Transfer-Encoding") is None
    assert resp_http.get_header("X-Archive-Orig-Transfer-Encoding") == "chunked"
    assert resp_headers.get_header("WARC-IP-Address") == "127.0.0.1"
    assert resp_headers.get_header("WARC-Date") == "2026-11-26T10:00:00.123456Z"
    assert req_http.protocol == "GET" and req_http.statusline == "/article/story-1?page=2&x=%20y HTTP/1.1"
    assert req_headers.get_header("WARC-Concurrent-To") == resp_headers.get_header("WARC-Record-ID")
    assert req_headers.get_header("WARC-Date") == resp_headers.get_header("WARC-Date")
    assert written[0].rec_headers.get_header("WARC-Record-ID") == resp_headers.get_header("WARC-Record-ID")
    assert response_location.warc_file == path.name


def test_locations_allow_reading_one_record_in_one_seek(tmp_path: Path) -> None:
    writer = RollingWarcWriter(WriterConfig(directory=tmp_path, prefix="test"), {"software": "test"})
    groups = [writer.factory.exchange(exchange(n)) for n in range(5)]
    locations = [(writer.write_group(group)[0], group[0].rec_headers.get_header("WARC-Record-ID")) for group in groups]
    writer.close()
    for location, record_id in locations:
        with (tmp_path / location.warc_file).open("rb") as stream:
            stream.seek(location.offset)
            member = stream.read(location.length)
        (record,) = list(ArchiveIterator(BytesIO(member)))
        assert record.rec_headers.get_header("WARC-Record-ID") == record_id


@pytest.mark.parametrize("digest", ["sha1", "sha256"])
def test_digest_algorithm_is_a_choice(tmp_path: Path, digest: str) -> None:
    writer = write(tmp_path, 1, digest=digest)
    writer.close()
    (path,) = tmp_path.iterdir()
    for _, headers, _, _ in records(path)[1:]:
        assert headers.get_header("WARC-Block-Digest").startswith(f"{digest}:")
    with path.open("rb") as stream:
        for record in ArchiveIterator(stream, check_digests=True):
            record.content_stream().read()
            assert record.digest_checker.passed is not False


def test_two_writers_in_one_directory_never_share_a_file(tmp_path: Path) -> None:
    first, second = write(tmp_path, 2), write(tmp_path, 2)
    first.close()
    second.close()
    assert len(set(first.files_written) | set(second.files_written)) == 2


def read_back(path: Path) -> tuple[list[tuple[str, str, bytes]], bool]:
    """Each record the shared reader yields (type, id, content) and whether it found the file cut."""
    from archive.warc.reader import WarcFileReader

    reader = WarcFileReader(path)
    found = [(read.record.rec_type, read.record.rec_headers.get_header("WARC-Record-ID"), read.content)
             for read in reader]
    return found, reader.truncated


def test_an_uncompressed_warc_is_read_to_its_last_record_and_a_cut_one_loses_only_that(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import gzip

    writer = write(tmp_path, 3)
    writer.close()
    (gzipped,) = tmp_path.glob("*.warc.gz")
    plain = tmp_path / "plain.warc"  # what `gzip -dc file.warc.gz > plain.warc` gives a user
    plain.write_bytes(gzip.decompress(gzipped.read_bytes()))
    expected, _ = read_back(gzipped)
    assert [kind for kind, _, _ in expected] == ["warcinfo"] + ["response", "request"] * 3

    with caplog.at_level("WARNING"):
        assert read_back(plain) == (expected, False)
    assert not caplog.records  # intact: no "bytes could not be read" about the blank lines that end it

    cut = tmp_path / "cut.warc"
    cut.write_bytes(plain.read_bytes()[:-100])  # inside the last response's body
    assert read_back(cut) == (expected[:-1], True)


def test_the_index_scan_reads_what_the_shared_reader_reads(tmp_path: Path) -> None:
    """`reindex`'s own gzip scan against warcio, on the crawler's files: whole, and cut mid-record."""
    from archive.index.translate import RecordTranslator, read_items
    from archive.warc.reader import WarcFileReader
    from archive.warc.scan import WarcScan

    fields = {"crawl-run-id": "run-1", "site": "test", "started-at": "2026-11-26T10:00:00Z", "software": "test"}
    writer = RollingWarcWriter(WriterConfig(directory=tmp_path, prefix="test", max_size=6000), fields)
    for number in range(5):  # several files
        writer.write_group(writer.factory.exchange(exchange(number, b"x" * 2000 + str(number).encode())))
    writer.close()
    paths = sorted(tmp_path.glob("*.warc.gz"))
    last = paths[-1]
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(last.read_bytes()[:-50])
    for path in [*paths, cut]:
        translator = RecordTranslator()
        reader = WarcFileReader(path)
        expected = [translator.items(read.record, read.location, read.content) for read in reader]
        scan = WarcScan(path)
        assert list(read_items(scan)) == expected, path.name
        assert scan.truncated == reader.truncated == (path == cut)
        assert expected
