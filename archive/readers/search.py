"""Full-text search over the archived articles: what `newsarchive search` runs.

The index is the FTS5 table `articles_fts` over title, standfirst and free text (migration
b2f0c1a9e7d4; triggers on `articles` keep it in step). Words use FTS5's query syntax: plain words
must all occur, `"a phrase"`, `OR`, `NOT`, `NEAR(a b, 5)`, `prefix*`, `title: word`. Hits are
ranked by bm25 with the title weighing most, and each carries a snippet with the matches marked.
Like `run_query`, search opens the database read-only. On PostgreSQL the same function runs
PostgreSQL's text search instead (`archive.readers.search_postgresql`), with its own word syntax.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from archive.index.database import FULLTEXT_TABLE, display_url, head_revision
from archive.errors import DatabaseNotMigrated, QueryError
from archive.index.ingest import utc_iso
from archive.readers.query import DEFAULT_LIMITS, QueryLimits, explain, readonly_sqlite, sqlite_path

# bm25 weights of title, standfirst, free_text: a word in the headline says most about the article
WEIGHTS = (10.0, 4.0, 1.0)
SNIPPET_TOKENS = 24
# FTS5's cost grows with the square of a repeated term's count (a word 200 times: minutes), so a
# plain list of words is deduplicated and any query is held to this many terms.
MAX_TERMS = 32
_TOKEN = re.compile(r'"(?:[^"]|"")*"|[^\s"]+')
_BAREWORD = re.compile(r"\w+\*?")
OPERATORS = frozenset({"AND", "OR", "NOT"})
SYNTAX_HELP = (
    "words are FTS5 query syntax: put words with punctuation in double quotes "
    '("cost-of-living"), or use AND, OR, NOT, NEAR(a b), "a phrase", prefix*, title: word'
)


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One matching article, best first; `snippet` marks the matched words."""

    article_id: int
    url: str
    title: str
    section: str
    published_at: str | None
    paywalled: bool | None
    word_count: int
    snippet: str
    rank: float  # bm25: lower is better


SEARCH_SQL = f"""
SELECT a.id, a.url, a.title, a.section, a.published_at, a.paywalled, a.word_count,
       snippet(articles_fts, -1, :mark_start, :mark_end, '…', {SNIPPET_TOKENS}) AS snippet,
       bm25(articles_fts, {", ".join(map(str, WEIGHTS))}) AS rank
FROM articles_fts
JOIN articles a ON a.id = articles_fts.rowid
WHERE articles_fts MATCH :words {{filters}}
ORDER BY rank
LIMIT :limit
"""


def search(
    database_url: str,
    words: str,
    section: str | None = None,
    since: date | datetime | None = None,
    until: date | datetime | None = None,
    paywalled: bool | None = None,
    limit: int = 20,
    mark: tuple[str, str] = ("[", "]"),
    limits: QueryLimits = DEFAULT_LIMITS,
) -> list[SearchHit]:
    """Articles matching `words`, best first, at most `limit`.

    `section` matches case-insensitively; `since`/`until` bound `published_at` (a date covers its
    whole day, a naive datetime is UTC); `paywalled` True or False keeps only paywalled or free
    articles. `mark` wraps each matched word in the snippet.
    """
    if not words.strip():
        raise QueryError("nothing to search for: give one or more words")
    words = bounded_terms(words)
    if limit < 1:
        raise QueryError(f"limit must be at least 1, not {limit}")
    path = sqlite_path(database_url)
    postgresql = path is None

    filters = []
    params: dict[str, Any] = {"limit": limit}
    if section is not None:
        filters.append("lower(a.section) = lower(:section)" if postgresql else "a.section = :section COLLATE NOCASE")
        params["section"] = section
    if since is not None:
        filters.append("a.published_at >= :since")
        params["since"] = _bound(since)
    if until is not None:
        if isinstance(until, datetime):
            filters.append("a.published_at <= :until")
            params["until"] = _bound(until)
        else:  # the whole day
            filters.append("a.published_at < :until")
            params["until"] = _bound(until + timedelta(days=1))
    if paywalled is not None:
        filters.append("a.paywalled = :paywalled")
        params["paywalled"] = paywalled if postgresql else int(paywalled)
    if path is None:
        from archive.readers.search_postgresql import search_rows

        return [_hit(row) for row in search_rows(database_url, words, filters, params, mark, limits)]
    params.update(words=words, mark_start=mark[0], mark_end=mark[1])
    sql = SEARCH_SQL.format(filters="".join(f"\n  AND {condition}" for condition in filters))

    with readonly_sqlite(path, limits) as (connection, guard, stopwatch):
        _require_fulltext(connection, database_url)
        try:
            with stopwatch.running():
                rows = connection.execute(sql, params).fetchall()
        except (sqlite3.Error, MemoryError) as error:
            message = str(error)
            if message.startswith("fts5:") or "no such column" in message or "unterminated string" in message:
                raise QueryError(f"cannot search for {words!r}: {message}; {SYNTAX_HELP}") from error
            problem = str(explain(error, sql, guard.refused, stopwatch, limits)).split("\n", 1)[0]
            raise QueryError(f"search for {words!r} failed: {problem}", sql) from error
    return [_hit(row) for row in rows]


def _hit(row: Any) -> SearchHit:
    return SearchHit(
        article_id=row[0],
        url=row[1],
        title=row[2],
        section=row[3],
        published_at=row[4],
        paywalled=None if row[5] is None else bool(row[5]),
        word_count=row[6],
        snippet=row[7],
        rank=float(row[8]),
    )


def bounded_terms(words: str) -> str:
    """`words` with repeats of a plain word or phrase dropped; refused past `MAX_TERMS` terms.

    Only a plain list (words and "phrases", all of which must occur) is rewritten, where a repeat
    changes nothing but the cost; a query with operators is left as written and only counted.
    """
    tokens = _TOKEN.findall(words)
    terms = [token for token in tokens if token not in OPERATORS and (token.startswith('"') or _BAREWORD.fullmatch(token))]
    if len(terms) == len(tokens):  # a plain list
        unique = list(dict.fromkeys(term.lower() if not term.startswith('"') else term for term in terms))
        if len(unique) < len(terms):
            words = " ".join(unique)
        terms = unique
    if len(terms) > MAX_TERMS:
        raise QueryError(f"too many search terms ({len(terms)}): at most {MAX_TERMS}; {SYNTAX_HELP}")
    return words


def _bound(moment: date | datetime) -> str:
    """A date or time as the text `published_at` holds, so they compare as text."""
    if isinstance(moment, datetime):
        return utc_iso(moment)  # the normalisation every stored timestamp went through
    return moment.isoformat()


def _require_fulltext(connection: sqlite3.Connection, database_url: str) -> None:
    """Refuse a database migrated before the full-text index existed, saying how to fix it."""
    found = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (FULLTEXT_TABLE,)
    ).fetchone()
    if found:
        return
    try:
        current = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        current = None
    raise DatabaseNotMigrated(display_url(database_url), current[0] if current else None, head_revision())
