"""Runaway queries and searches stop with a clear error; big results stream in bounded memory.

Each case is one a user (or an attacker with a query box) could type: an endless recursive CTE, a
900 MB value, millions of rows written out, a word repeated hundreds of times in a search.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archive.cli import main
from archive.errors import QueryError
from archive.readers.query import QueryLimits, run_query, stream_query
from archive.readers.search import MAX_TERMS, search
from tests.helpers import ON_POSTGRESQL, SiteCrawl, index_url, newsarchive_argv

ENDLESS = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT max(i) FROM n"


@pytest.fixture
def url(crawled: SiteCrawl) -> str:
    return index_url(crawled.result.database)


def test_an_endless_query_is_stopped_at_the_time_limit(url: str) -> None:
    started = time.monotonic()
    with pytest.raises(QueryError, match=r"ran longer than the 1 s limit .*--timeout"):
        run_query(url, ENDLESS, limits=QueryLimits(timeout=1))
    assert time.monotonic() - started < 20  # stopped, not run to exhaustion


def test_the_time_limit_counts_database_time_not_time_spent_reading_rows(url: str) -> None:
    with stream_query(url, "SELECT id FROM articles", limits=QueryLimits(timeout=0.5)) as result:
        first = next(result.rows)
        time.sleep(1)  # a slow reader (a pipe to a slow disk) is not the query's fault
        rest = list(result.rows)
    assert first and rest


@pytest.mark.sqlite_only("SQLite's randomblob() and its value-size limit")
def test_a_huge_value_is_refused_by_the_memory_limit(url: str) -> None:
    with pytest.raises(QueryError, match=r"larger than 16 MB .*--max-memory"):
        run_query(url, "SELECT length(randomblob(900000000))", limits=QueryLimits(max_memory=64 * 2**20))


@pytest.mark.sqlite_only("SQLite's fts3_tokenizer()")
def test_fts3_tokenizer_cannot_be_called(url: str) -> None:
    with pytest.raises(QueryError, match=r"fts3_tokenizer\(\) is not allowed"):
        run_query(url, "SELECT hex(fts3_tokenizer('simple'))")


def test_the_query_command_names_the_limit_and_exits_1(crawled: SiteCrawl, capsys) -> None:
    data_dir = str(crawled.result.data_dir)
    assert main(newsarchive_argv("query", "--data-dir", data_dir, "--timeout", "0.5", ENDLESS)[1:]) == 1
    assert "ran longer than the 0.5 s limit" in capsys.readouterr().err
    # the setting is the default the option overrides
    assert main(newsarchive_argv("query", "--data-dir", data_dir, "-s", "ARCHIVE_QUERY_TIMEOUT=0.5", ENDLESS)[1:]) == 1
    assert "0.5 s limit" in capsys.readouterr().err
    assert main(newsarchive_argv("query", "--data-dir", data_dir, "-s", "ARCHIVE_QUERY_MAX_MEMORY=1", "SELECT 1")[1:]) == 2


def test_a_large_result_streams_in_bounded_memory(crawled: SiteCrawl, tmp_path: Path) -> None:
    """300,000 rows of 1 kB as NDJSON: held at once they would take over 300 MB."""
    rows = 300_000
    sql = (
        f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows}) "
        + ("SELECT i, lpad(i::text, 1000, '0') AS padding FROM n" if ON_POSTGRESQL else
           "SELECT i, printf('%01000d', i) AS padding FROM n")
    )
    program = (
        "import resource, sys\n"
        "from archive.cli import main\n"
        "try:\n"
        "    code = main(sys.argv[1:])\n"
        "finally:\n"
        "    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
        "sys.exit(code)\n"
    )

    def peak_rss_mb(query: str, out_path: Path) -> float:
        with out_path.open("w") as out:
            done = subprocess.run(
                [sys.executable, "-c", program,
                 *newsarchive_argv("query", "--data-dir", str(crawled.result.data_dir), "--nl", query)[1:]],
                stdout=out, stderr=subprocess.PIPE, text=True, timeout=300,
            )
        assert done.returncode == 0, done.stderr
        return int(done.stderr.strip().splitlines()[-1]) / 1024

    baseline_mb = peak_rss_mb("SELECT 1", tmp_path / "one.ndjson")
    output = tmp_path / "rows.ndjson"
    peak_mb = peak_rss_mb(sql, output)
    with output.open() as lines:
        count = sum(1 for _ in lines)
    assert count == rows
    assert json.loads(output.read_text()[-2000:].splitlines()[-1]) == {"i": rows, "padding": f"{rows:01000d}"}
    growth_mb = peak_mb - baseline_mb
    print(f"peak RSS {peak_mb:.0f} MB, {growth_mb:.0f} MB over a one-row query")
    assert growth_mb < 100, f"{growth_mb:.0f} MB more than a one-row query: rows are being held, not streamed"


def test_json_output_streams_a_valid_array_even_when_empty(crawled: SiteCrawl, capsys) -> None:
    data_dir = str(crawled.result.data_dir)
    assert main(newsarchive_argv("query", "--data-dir", data_dir, "--json", "SELECT id FROM articles WHERE 1 = 0")[1:]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(newsarchive_argv("query", "--data-dir", data_dir, "--json", "SELECT id FROM articles ORDER BY id LIMIT 3")[1:]) == 0
    assert [row["id"] for row in json.loads(capsys.readouterr().out)] == sorted(
        row[0] for row in run_query(index_url(crawled.result.database), "SELECT id FROM articles ORDER BY id LIMIT 3").rows
    )


def test_a_word_repeated_400_times_searches_like_the_word_once(url: str) -> None:
    """FTS5's cost grows with the square of a repeated term: 200 repeats took minutes."""
    once = search(url, "said", limit=100)  # in nearly every article ("the" is a stop word on PostgreSQL)
    repeated = search(url, " ".join(["said"] * 400), limit=100, limits=QueryLimits(timeout=10))
    assert [hit.article_id for hit in repeated] == [hit.article_id for hit in once]
    assert once


def test_a_query_with_too_many_terms_is_refused(url: str) -> None:
    words = " OR ".join(f"word{n}" for n in range(MAX_TERMS + 1))
    with pytest.raises(QueryError, match=rf"too many search terms \({MAX_TERMS + 1}\)"):
        search(url, words)


def test_an_expensive_search_is_stopped_at_the_time_limit(url: str) -> None:
    repeated_or = " OR ".join(["said"] * MAX_TERMS)  # operators: left as written, so still costly
    with pytest.raises(QueryError, match=r"ran longer than the 0.05 s limit"):
        search(url, repeated_or, limits=QueryLimits(timeout=0.05))
