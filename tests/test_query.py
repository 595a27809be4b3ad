"""`newsarchive query` and `newsarchive search` on a real archive of the sample site.

Read-only refusal is checked by the bytes of the database file, and every output format is parsed
back with the standard library.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import sqlite3
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from archive.index import database as db
from archive.cli import main
from archive.errors import DatabaseNotMigrated, QueryError
from archive.readers.query import run_query
from archive.readers.search import search
from tests.helpers import ON_POSTGRESQL, SiteCrawl, copy_index, index_url, newsarchive_argv, rows, run_newsarchive


@pytest.fixture
def archive_copy(crawled: SiteCrawl, tmp_path: Path) -> Path:
    """A private copy of the crawled archive's database, safe to try writes against."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    copy_index(crawled.result.database, data_dir / "archive.sqlite3")
    return data_dir / "archive.sqlite3"


@pytest.fixture
def url(crawled: SiteCrawl) -> str:
    return index_url(crawled.result.database)


def digest(path: Path) -> str:
    """The database and its write-ahead log (readers may touch -shm, the shared-memory index)."""
    files = [path, path.with_name(path.name + "-wal")]  # opening a WAL database may create an empty -wal
    return "".join(hashlib.sha256(file.read_bytes()).hexdigest() for file in files if file.exists() and file.stat().st_size)


def reachable(site) -> dict:
    return {path: truth for path, truth in site.truth.items() if truth.reachable}


def words_of(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


# --- run_query -------------------------------------------------------------------------------


def test_query_returns_columns_and_rows(url: str, site) -> None:
    result = run_query(url, "SELECT section, COUNT(*) AS n FROM articles GROUP BY section ORDER BY section")
    assert result.columns == ("section", "n")
    expected = Counter(truth.section for truth in reachable(site).values())
    assert dict(result.rows) == dict(expected)
    assert result.dicts()[0] == {"section": result.rows[0][0], "n": result.rows[0][1]}


def test_named_parameters(url: str, site) -> None:
    result = run_query(
        url,
        "SELECT COUNT(*) FROM articles WHERE section = :section AND paywalled = :paywalled LIMIT :n",
        {"section": "World", "paywalled": "1", "n": "5"},  # text, as --param gives them
    )
    expected = sum(1 for truth in reachable(site).values() if truth.section == "World" and truth.paywalled)
    assert result.rows == [(expected,)]


def test_a_missing_parameter_is_named(url: str) -> None:
    with pytest.raises(QueryError, match=r":section .*--param section=VALUE"):
        run_query(url, "SELECT * FROM articles WHERE section = :section")


REFUSED = [
    "INSERT INTO crawl_runs (run_uuid, site, started_at, status, stats) VALUES ('x', 'x', 'x', 'running', '{}')",
    "UPDATE articles SET title = 'defaced'",
    "DELETE FROM articles",
    "DROP TABLE article_links",
    "DROP VIEW latest_captures",
    "CREATE TABLE notes (id INTEGER)",
    "CREATE TEMP TABLE notes (id INTEGER)",
    "ALTER TABLE articles ADD COLUMN notes TEXT",
    "INSERT INTO articles_fts (articles_fts) VALUES ('delete-all')",
    "ATTACH DATABASE '{tmp}/other.db' AS other",
    "VACUUM INTO '{tmp}/copy.db'",
    "PRAGMA writable_schema=1",
    "PRAGMA query_only=0",
    "PRAGMA journal_mode=DELETE",
    "PRAGMA user_version=7",
    "PRAGMA wal_checkpoint(TRUNCATE)",
    "REINDEX",
    "ANALYZE",
]


@pytest.mark.sqlite_only("SQLite's statements (PRAGMA, ATTACH, VACUUM INTO, FTS5) against the file's bytes; "
                         "PostgreSQL's read-only transaction is tested in test_postgresql.py")
@pytest.mark.parametrize("sql", REFUSED)
def test_anything_that_would_change_state_is_refused_and_nothing_changes(
    archive_copy: Path, tmp_path: Path, sql: str
) -> None:
    sql = sql.replace("{tmp}", str(tmp_path))
    before = digest(archive_copy)
    with pytest.raises(QueryError) as raised:
        run_query(db.sqlite_url(archive_copy), sql)
    message = str(raised.value)
    assert "read-only" in message or "not authorized" in message, message
    assert sql in message  # the failing SQL is shown
    assert digest(archive_copy) == before
    assert not (tmp_path / "other.db").exists() and not (tmp_path / "copy.db").exists()
    with sqlite3.connect(archive_copy) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert connection.execute("SELECT COUNT(*) FROM articles WHERE title = 'defaced'").fetchone() == (0,)


@pytest.mark.sqlite_only("SQLite's pragmas")
def test_reading_pragmas_and_table_valued_pragmas_are_allowed(url: str) -> None:
    columns = [row[1] for row in run_query(url, "PRAGMA table_info(articles)").rows]
    assert "free_text" in columns
    assert run_query(url, "SELECT name FROM pragma_table_info('captures') WHERE name = 'offset'").rows == [("offset",)]
    assert run_query(url, "PRAGMA journal_mode").rows == [("wal",)]


@pytest.mark.sqlite_only("SQLite's own syntax error message and its position")
def test_a_syntax_error_names_the_problem_and_points_at_the_sql(url: str) -> None:
    sql = "SELECT title,\n  FROM articles\nWHERE paywalled"
    with pytest.raises(QueryError) as raised:
        run_query(url, sql)
    assert str(raised.value).splitlines() == [
        'near "FROM": syntax error',
        "in:",
        "  SELECT title,",
        "    FROM articles",
        "    ^^^^",
        "  WHERE paywalled",
    ]
    assert raised.value.sql == sql


@pytest.mark.parametrize(
    ("sql", "problem"),
    [
        ("SELECT nope FROM articles", 'no such column: nope|column "nope" does not exist'),  # SQLite|PostgreSQL
        ("SELECT * FROM nowhere", 'no such table: nowhere|relation "nowhere" does not exist'),
        ("SELECT * FROM", "incomplete input|syntax error at end of input"),
        ("SELECT 1; SELECT 2", "only one statement"),
    ],
)
def test_other_errors_name_the_problem_and_show_the_sql(url: str, sql: str, problem: str) -> None:
    with pytest.raises(QueryError, match=problem) as raised:
        run_query(url, sql)
    assert sql in str(raised.value)


@pytest.mark.sqlite_only("a SQLite file that does not exist is not created")
def test_a_missing_database_is_named(tmp_path: Path) -> None:
    with pytest.raises(QueryError, match=re.escape(str(tmp_path / "absent.sqlite3"))):
        run_query(db.sqlite_url(tmp_path / "absent.sqlite3"), "SELECT 1")
    assert not (tmp_path / "absent.sqlite3").exists()


# --- search ----------------------------------------------------------------------------------


def unique_word(site, text_of) -> tuple[str, str]:
    """A token found in exactly one reachable article, and that article's path.

    The sample site's prose is drawn from templates, so its only unique tokens are figures
    ("437", "120m"); they are also immune to stemming.
    """
    tokens = {path: set(re.findall(r"[a-z0-9]+", all_text(truth).lower())) for path, truth in reachable(site).items()}
    counts = Counter(token for found in tokens.values() for token in found)
    for path, truth in sorted(reachable(site).items()):
        for token in sorted(set(re.findall(r"[a-z0-9]+", text_of(truth).lower()))):
            if counts[token] == 1 and len(token) >= 3 and any(char.isdigit() for char in token):
                return token, path
    raise AssertionError("the sample site has no token unique to one article")


def all_text(truth) -> str:
    return f"{truth.title} {truth.standfirst} {truth.free_text}"


def test_search_finds_the_one_article_with_a_word_and_marks_it(url: str, site, crawled: SiteCrawl) -> None:
    word, path = unique_word(site, lambda truth: truth.free_text)
    hits = search(url, word)
    assert [hit.url for hit in hits] == [crawled.base_url + path]
    hit = hits[0]
    truth = site.truth[path]
    assert (hit.title, hit.section, hit.published_at, hit.paywalled) == (
        truth.title, truth.section, truth.published_at, truth.paywalled,
    )
    assert re.search(rf"\[{word}\]", hit.snippet, re.IGNORECASE), hit.snippet
    assert hit.snippet.replace("[", "").replace("]", "").strip("…") in truth.free_text


def test_a_word_in_the_title_ranks_above_the_same_word_in_free_text(url: str, site) -> None:
    counts = Counter(word for truth in reachable(site).values() for word in set(words_of(truth.title)))
    in_text = Counter(word for truth in reachable(site).values() for word in set(words_of(truth.free_text)))
    word = next(w for w, n in sorted(counts.items()) if n == 1 and len(w) >= 6 and in_text[w] >= 3)
    hits = search(url, word, limit=100)
    assert len(hits) >= 3
    assert word in hits[0].title.lower()
    assert hits[0].snippet.count("[") >= 1
    assert [hit.rank for hit in hits] == sorted(hit.rank for hit in hits)


# in nearly every sample article, and no stop word: PostgreSQL's 'english' search drops "the"
COMMON = "said"


def test_search_filters_by_section_date_and_paywall(url: str, site) -> None:
    truths = list(reachable(site).values())
    every = search(url, COMMON, limit=1000)
    assert len(every) == sum(1 for truth in truths if COMMON in words_of(all_text(truth)))

    britain = search(url, COMMON, section="britain", limit=1000)
    assert britain and {hit.section for hit in britain} == {"Britain"}
    assert len(britain) == sum(1 for hit in every if hit.section == "Britain")

    paywalled = search(url, COMMON, paywalled=True, limit=1000)
    free = search(url, COMMON, paywalled=False, limit=1000)
    assert paywalled and free and all(hit.paywalled for hit in paywalled) and not any(hit.paywalled for hit in free)
    assert len(paywalled) + len(free) == len(every)

    days = sorted({hit.published_at[:10] for hit in every})
    middle = date.fromisoformat(days[len(days) // 2])
    since = search(url, COMMON, since=middle, limit=1000)
    until = search(url, COMMON, until=middle, limit=1000)
    assert all(hit.published_at >= middle.isoformat() for hit in since)
    assert all(hit.published_at[:10] <= middle.isoformat() for hit in until)
    on_the_day = sum(1 for hit in every if hit.published_at.startswith(middle.isoformat()))
    assert on_the_day and len(since) + len(until) == len(every) + on_the_day
    assert len(search(url, COMMON, limit=3)) == 3


@pytest.mark.sqlite_only("FTS5's query syntax")
@pytest.mark.parametrize("words", ["cost-of-living", '"unterminated', "strike AND", "nosuchcolumn: word"])
def test_bad_search_syntax_is_explained(url: str, words: str) -> None:
    with pytest.raises(QueryError) as raised:
        search(url, words)
    assert repr(words) in str(raised.value) and "FTS5 query syntax" in str(raised.value)


def test_search_on_a_database_without_the_index_asks_for_an_upgrade(tmp_path: Path) -> None:
    url = index_url(tmp_path / "old.sqlite3")
    db.upgrade(url, "9c1e4b7a2d30")
    with pytest.raises(DatabaseNotMigrated, match="newsarchive db upgrade"):
        search(url, "strike")


# --- the command line ------------------------------------------------------------------------


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(newsarchive_argv(*args)[1:])  # the run's database, as the command would be given it
    captured = capsys.readouterr()
    return code, captured.out, captured.err


SQL = "SELECT id, title, paywalled, published_at FROM articles WHERE section = :s ORDER BY id"


def test_query_prints_csv_json_and_ndjson_that_parse_back(crawled: SiteCrawl, capsys, url: str) -> None:
    data_dir = str(crawled.result.data_dir)
    expected = run_query(url, SQL, {"s": "Britain"})
    as_dicts = [dict(zip(expected.columns, row)) for row in expected.rows]
    assert as_dicts

    code, out, _ = cli(capsys, "query", SQL, "--data-dir", data_dir, "--param", "s=Britain", "--csv")
    assert code == 0
    parsed = list(csv.DictReader(io.StringIO(out)))
    assert parsed == [{key: str(value) for key, value in row.items()} for row in as_dicts]

    code, out, _ = cli(capsys, "query", SQL, "--data-dir", data_dir, "-p", "s=Britain", "--json")
    assert code == 0 and json.loads(out) == as_dicts

    code, out, _ = cli(capsys, "query", SQL, "--data-dir", data_dir, "-p", ":s=Britain", "--nl")
    assert code == 0 and [json.loads(line) for line in out.splitlines()] == as_dicts

    code, out, _ = cli(capsys, "query", SQL, "--data-dir", data_dir, "-p", "s=Britain")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["id", "title", "paywalled", "published_at"]
    assert len(lines) == 2 + len(as_dicts) and as_dicts[0]["title"] in lines[2]

    code, out, _ = cli(capsys, "query", "SELECT 1 WHERE 1 = 0", "--data-dir", data_dir, "--json")
    assert code == 0 and json.loads(out) == []


def test_query_errors_exit_1_and_usage_errors_exit_2(crawled: SiteCrawl, archive_copy: Path) -> None:
    before = digest(archive_copy), rows(archive_copy, "SELECT count(*) FROM articles")
    done = run_newsarchive("query", "DELETE FROM articles", "--data-dir", str(archive_copy.parent))
    assert done.returncode == 1
    assert done.stderr.startswith("Error: queries are read-only") and "DELETE FROM articles" in done.stderr
    assert (digest(archive_copy), rows(archive_copy, "SELECT count(*) FROM articles")) == before

    done = run_newsarchive("query", "SELEC 1", "--data-dir", str(archive_copy.parent))
    assert done.returncode == 1 and "  SELEC 1" in done.stderr
    assert 'near "SELEC": syntax error' in done.stderr or 'syntax error at or near "SELEC"' in done.stderr  # PostgreSQL

    for args in (["--csv", "--json"], ["--param", "no-equals-sign"]):
        done = run_newsarchive("query", "SELECT 1", "--data-dir", str(archive_copy.parent), *args)
        assert done.returncode == 2, args


def test_search_command_prints_hits_as_json(crawled: SiteCrawl, capsys, site) -> None:
    word, path = unique_word(site, all_text)
    code, out, _ = cli(capsys, "search", word, "--data-dir", str(crawled.result.data_dir), "--json")
    assert code == 0
    [hit] = json.loads(out)
    assert hit["url"] == crawled.base_url + path and hit["paywalled"] is site.truth[path].paywalled
    assert re.search(rf"\[{word}\]", hit["snippet"], re.IGNORECASE), hit["snippet"]

    code, out, _ = cli(
        capsys, "search", COMMON, "--data-dir", str(crawled.result.data_dir), "--free", "--section", "World",
        "--since", "2026-01-01", "--limit", "500", "--csv",
    )
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and rows and {(row["section"], row["paywalled"]) for row in rows} == {("World", "False")}


def test_search_command_errors(crawled: SiteCrawl, tmp_path: Path) -> None:
    if not ON_POSTGRESQL:  # FTS5's syntax; PostgreSQL's websearch_to_tsquery takes any words
        done = run_newsarchive("search", "cost-of-living", "--data-dir", str(crawled.result.data_dir))
        assert done.returncode == 1 and done.stderr.startswith("Error: cannot search for 'cost-of-living'")
    done = run_newsarchive("search", "strike", "--data-dir", str(crawled.result.data_dir), "--since", "last week")
    assert done.returncode == 2 and "is not a date" in done.stderr
    assert run_newsarchive("db", "upgrade", "--data-dir", str(tmp_path), "--revision", "9c1e4b7a2d30").returncode == 0
    done = run_newsarchive("search", "strike", "--data-dir", str(tmp_path))
    assert done.returncode == 3 and "newsarchive db upgrade" in done.stderr


@pytest.mark.parametrize("command", ["query", "search"])
def test_help_has_an_example(command: str) -> None:
    done = run_newsarchive(command, "--help")
    assert done.returncode == 0 and "Example:" in done.stdout and "--nl" in done.stdout
