"""`newsarchive show` speed on a large archive: one capture read back (the issue's target: < 10 ms).

    .venv/bin/python benchmarks/show.py --articles 50000

Builds the 50,000-article index of benchmarks/query.py, then writes real WARC files for a sample of
its articles (--sample, 500 by default): for each, a response (an HTML page of the article's text),
its request and its article metadata record (the JSON the crawler writes), written by
`RollingWarcWriter` with `RecordFactory`; one in ten of them also gets a `server-not-modified`
revisit from a later run. The sampled captures' file, offset, length and metadata columns are
pointed at those records, so every call reads real gzip members. The unsampled articles keep
index rows only: `show` reads no record but the ones its index rows name, so their WARC files
would change nothing but disk use.

Each timing is one call of what the command runs, `CaptureReader.show(url)` and `show_text()`:
it takes a connection, looks the URL up, and reads the response, the metadata record and, for a
revisited article, the latest revisit. Timed twice: with one reader for the whole sample (--runs
passes; the engine and its compiled statements are reused), and with a new reader per capture,
as one `newsarchive show` process has (engine created, statements compiled, engine disposed).
Process start-up and click are not included. The WARC files are in the page cache, as on a server
that has read them before. The planner statistics are the ones benchmarks/query.py gathered before
the revisits were added: stale, as on an archive last analysed before its re-crawls began.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from archive.index import database as db  # noqa: E402
from archive.readers.captures import CaptureReader, show_text  # noqa: E402
from archive.warc.records import SERVER_NOT_MODIFIED, HttpExchange, Revisit, warc_date  # noqa: E402
from archive.warc.writer import RollingWarcWriter, WriterConfig  # noqa: E402
from query import build  # noqa: E402  (benchmarks/query.py: the same 50,000-article index)

TARGET_MS = 10.0
REVISIT_SHARE = 0.1
WARCINFO = {"software": "newsarchive benchmarks/show.py", "format": "WARC File Format 1.1"}
REQUEST_HEADERS = [
    (b"Host", b"morningstaronline.example"),
    (b"User-Agent", b"newsarchive/0.1 (+https://github.com/newsarchive/newsarchive)"),
    (b"Accept", b"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
    (b"Accept-Encoding", b"gzip, deflate"),
]
CHROME = "<nav>" + "".join(f'<a href="/section/{n}">Section {n}</a>' for n in range(40)) + "</nav>"


def page(article: sqlite3.Row) -> bytes:
    """An article page of realistic size: chrome, headline, standfirst and the article's paragraphs."""
    paragraphs = "".join(f"<p>{text}</p>\n" for text in article["free_text"].split("\n\n"))
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{article["title"]}</title>'
        f'<link rel="canonical" href="{article["url"]}"></head><body>{CHROME * 8}<article>'
        f'<h1>{article["title"]}</h1><p class="standfirst">{article["standfirst"]}</p>{paragraphs}'
        f"</article>{CHROME * 4}</body></html>"
    ).encode("utf-8")


def metadata_payload(article: sqlite3.Row, similar: list[sqlite3.Row]) -> dict:
    """The article metadata record's JSON, with the fields and size the crawler writes."""
    return {
        "url": article["url"], "fetched_url": article["url"], "site": article["site"],
        "title": article["title"], "free_text": article["free_text"],
        "paywall": json.loads(article["paywall_signals"]), "standfirst": article["standfirst"],
        "authors": json.loads(article["authors"]), "published_at": article["published_at"],
        "updated_at": article["updated_at"], "section": article["section"],
        "lead_image_url": article["lead_image_url"], "lead_image_caption": article["lead_image_caption"],
        "language": article["language"],
        "similar": [{"url": s["url"], "title": s["title"], "section": s["section"], "date": s["date_text"]}
                    for s in similar],
        "word_count": article["word_count"], "profile_version": "2026.02.1", "extractor_version": "2.0.0",
        "publisher": "Morning Star", "article_type": "NewsArticle", "schema": "newsarchive/article/1",
    }


def write_warcs(database: Path, warc_dir: Path, sample: int, seed: int = 2) -> list[str]:
    """Real records for `sample` articles, and the index pointed at them; returns their URLs."""
    connection = sqlite3.connect(database)
    connection.row_factory = sqlite3.Row
    ids = [row[0] for row in connection.execute("SELECT id FROM articles ORDER BY id")]
    rng = random.Random(seed)
    chosen = sorted(rng.sample(ids, min(sample, len(ids))))
    last_run = connection.execute("SELECT MAX(id) FROM crawl_runs").fetchone()[0]
    first = RollingWarcWriter(WriterConfig(warc_dir), WARCINFO)
    later = RollingWarcWriter(WriterConfig(warc_dir, prefix="newsarchive-later"), WARCINFO)
    urls = []
    with connection:
        for article_id in chosen:
            article = connection.execute(
                "SELECT a.*, c.id AS capture_id, c.captured_at FROM articles a "
                "JOIN captures c ON c.id = a.latest_capture_id WHERE a.id = ?",
                (article_id,),
            ).fetchone()
            similar = connection.execute(
                "SELECT * FROM article_links WHERE article_id = ? ORDER BY position", (article_id,)
            ).fetchall()
            captured_at = datetime.fromisoformat(article["captured_at"])
            exchange = HttpExchange(
                url=article["url"], method="GET", request_headers=REQUEST_HEADERS, request_body=b"",
                protocol="HTTP/1.1", status=200, reason="OK",
                response_headers=[(b"Content-Type", b"text/html; charset=utf-8"), (b"ETag", b'"abc"')],
                body=page(article), started_at=captured_at,
            )
            response, request = first.factory.exchange(exchange)
            meta = first.factory.metadata(
                article["url"], metadata_payload(article, similar),
                concurrent_to=exchange.response_record_id, date=captured_at,
            )
            located, _, meta_at = first.write_group([response, request, meta])
            response_id, digest = (response.rec_headers.get_header(name) for name in ("WARC-Record-ID", "WARC-Payload-Digest"))
            connection.execute(
                "UPDATE captures SET record_id = ?, warc_file = ?, \"offset\" = ?, length = ?, payload_digest = ?, "
                "meta_record_id = ?, meta_warc_file = ?, meta_offset = ?, meta_length = ? WHERE id = ?",
                (response_id, located.warc_file, located.offset, located.length, digest,
                 meta.rec_headers.get_header("WARC-Record-ID"), meta_at.warc_file, meta_at.offset, meta_at.length,
                 article["capture_id"]),
            )
            urls.append(article["url"])
            if rng.random() < REVISIT_SHARE:  # a later night found it unchanged: the server said 304
                seen_again = captured_at + timedelta(days=1)
                revisit = HttpExchange(
                    url=article["url"], method="GET", request_headers=REQUEST_HEADERS, request_body=b"",
                    protocol="HTTP/1.1", status=304, reason="Not Modified",
                    response_headers=[(b"ETag", b'"abc"')], body=b"", started_at=seen_again,
                    revisit=Revisit(SERVER_NOT_MODIFIED, response_id, article["url"],
                                    warc_date(captured_at), digest or ""),
                )
                revisit_records = later.factory.exchange(revisit)
                again, _ = later.write_group(revisit_records)
                connection.execute(
                    "INSERT INTO captures (run_id, record_id, url, captured_at, status, payload_digest, warc_file, "
                    "\"offset\", length, article_id, record_type, refers_to) "
                    "VALUES (?, ?, ?, ?, 304, ?, ?, ?, ?, ?, 'revisit', ?)",
                    (last_run, revisit.response_record_id, article["url"], seen_again.isoformat(),
                     revisit_records[0].rec_headers.get_header("WARC-Payload-Digest"),
                     again.warc_file, again.offset, again.length, article_id, response_id),
                )
    first.close()
    later.close()
    connection.close()
    return urls


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=50_000)
    parser.add_argument("--sample", type=int, default=500, help="articles given real WARC records and timed")
    parser.add_argument("--runs", type=int, default=3, help="timed passes over the sample")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as workdir:
        database, warc_dir = Path(workdir) / "archive.sqlite3", Path(workdir) / "warcs"
        started = time.perf_counter()
        build(database, options.articles)
        urls = write_warcs(database, warc_dir, options.sample)
        warc_bytes = sum(path.stat().st_size for path in warc_dir.glob("*.warc.gz"))
        print(f"built {options.articles:,} articles ({database.stat().st_size / 2**20:.0f} MiB) and WARC records "
              f"for {len(urls)} of them ({warc_bytes / 2**20:.1f} MiB) in {time.perf_counter() - started:.1f} s")

        url_of_db = db.sqlite_url(database)
        with db.Database(url_of_db) as database:
            reader = CaptureReader(database, warc_dir)
            show_text(reader.show(urls[0]))  # imports
            wall, cpu, revisited = [], [], 0
            for _ in range(options.runs):
                for url in urls:
                    started, started_cpu = time.perf_counter(), time.process_time()
                    capture = reader.show(url)
                    text = show_text(capture)
                    wall.append((time.perf_counter() - started) * 1000)
                    cpu.append((time.process_time() - started_cpu) * 1000)
                    assert capture.url == url and f"Title:        {capture.article['title']}\n" in text
                    revisited += "Seen again:" in text
        fresh = []  # what one `newsarchive show` pays besides start-up: a new engine, statements compiled
        for url in urls:
            started = time.perf_counter()
            with db.Database(url_of_db) as database:
                show_text(CaptureReader(database, warc_dir).show(url))
            fresh.append((time.perf_counter() - started) * 1000)
    median = statistics.median(wall)
    print(f"{len(wall)} calls of CaptureReader.show + show_text ({revisited // options.runs} articles with a revisit)")
    print(f"one reader, many captures: wall ms median {median:.2f}, p95 {percentile(wall, 0.95):.2f}, "
          f"max {max(wall):.2f}; CPU ms median {statistics.median(cpu):.2f}, p95 {percentile(cpu, 0.95):.2f}")
    print(f"a new reader per capture:  wall ms median {statistics.median(fresh):.2f}, "
          f"p95 {percentile(fresh, 0.95):.2f}, max {max(fresh):.2f}")
    if median > TARGET_MS:
        print(f"median slower than {TARGET_MS:.0f} ms")
        return 1
    print(f"median under {TARGET_MS:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
