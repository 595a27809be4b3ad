"""Full-text search on PostgreSQL: the same `search` as on SQLite, through PostgreSQL's text search.

The index is `ix_articles_fulltext`, a GIN index over `DOCUMENT` (migration b2f0c1a9e7d4 creates it
from the same expression; a test checks that searches use it). Words go through
`websearch_to_tsquery`: plain words must all occur, `"a phrase"`, `OR`, `-word` to exclude; the
'english' configuration stems words and drops stop words (so "the" alone finds nothing, where
SQLite's FTS5 finds every article). Hits are ranked by `ts_rank` with the title weighing most, and
`ts_headline` marks the matched words in the snippet. Runs in a READ ONLY transaction under the
query time limit (`statement_timeout`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from archive.index.database import POSTGRESQL_FULLTEXT_INDEX, display_url, head_revision, make_engine
from archive.errors import DatabaseNotMigrated, QueryError
from archive.readers.query import QueryLimits

# keep equal to POSTGRESQL_DOCUMENT in migration b2f0c1a9e7d4, or the index is not used
DOCUMENT = (
    "setweight(to_tsvector('english'::regconfig, coalesce(a.title, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(a.standfirst, '')), 'B') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(a.free_text, '')), 'C')"
)
# ts_rank weights of D, C, B, A: free text 0.1, standfirst 0.4, title 1.0 (as bm25's 1 : 4 : 10)
WEIGHTS = "{0, 0.1, 0.4, 1.0}"
SNIPPET_WORDS = 24

SEARCH_SQL = f"""
SELECT a.id, a.url, a.title, a.section, a.published_at, a.paywalled, a.word_count,
       ts_headline('english', concat_ws(' ', a.title, a.standfirst, a.free_text), hit.query,
                   :headline_options) AS snippet,
       -hit.rank AS rank
FROM (
    SELECT a.id, q.query, ts_rank('{WEIGHTS}', {DOCUMENT}, q.query) AS rank
    FROM articles a, websearch_to_tsquery('english', :words) AS q(query)
    WHERE {DOCUMENT} @@ q.query FILTERS
    ORDER BY rank DESC, a.id
    LIMIT :limit
) AS hit
JOIN articles a ON a.id = hit.id
ORDER BY hit.rank DESC, a.id
"""


def search_rows(
    database_url: str, words: str, filters: list[str], params: dict[str, Any], mark: tuple[str, str],
    limits: QueryLimits,
) -> list[Any]:
    """The rows of one search: id, url, title, section, published_at, paywalled, word_count, snippet, rank.

    `filters` are SQL conditions on `a` (articles) with their `params`; rank is negated so that, as
    with bm25 on SQLite, lower is better.
    """
    sql = SEARCH_SQL.replace(" FILTERS", "".join(f"\n      AND {condition}" for condition in filters))
    params = {
        **params,
        "words": words,
        "headline_options": (
            f'StartSel="{mark[0]}", StopSel="{mark[1]}", MaxWords={SNIPPET_WORDS}, MinWords=12, '
            'MaxFragments=2, FragmentDelimiter=" … "'
        ),
    }
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")
            connection.exec_driver_sql(f"SET LOCAL statement_timeout = {int(limits.timeout * 1000)}")
            try:
                _require_fulltext(connection, database_url)
                rows = connection.execute(text(sql), params).fetchall()
            except DBAPIError as error:
                code = getattr(error.orig, "sqlstate", None)
                if code == "57014":
                    raise QueryError(
                        f"search for {words!r} failed: the query ran longer than the {limits.timeout:g} s limit "
                        "and was stopped: narrow it, or allow more time with --timeout SECONDS (0: no limit)"
                    ) from error
                if code == "42P01":  # undefined table: no schema
                    raise QueryError(f"search failed: {error.orig}; run `newsarchive db upgrade`") from error
                raise QueryError(f"search for {words!r} failed: {error.orig}", sql) from error
            finally:
                connection.rollback()
    finally:
        engine.dispose()
    return rows


def _require_fulltext(connection: Any, database_url: str) -> None:
    """Refuse a database migrated before the full-text index existed, as on SQLite: without it every
    search would read every article."""
    if connection.exec_driver_sql(f"SELECT 1 FROM pg_indexes WHERE indexname = '{POSTGRESQL_FULLTEXT_INDEX}'").first():
        return
    current = None
    if connection.exec_driver_sql("SELECT to_regclass('alembic_version')").scalar():
        current = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    raise DatabaseNotMigrated(display_url(database_url), current, head_revision())
