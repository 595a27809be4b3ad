"""Full-text index over articles, views that answer common questions, and an index they use.

`articles_fts` is an SQLite FTS5 external-content table: it stores only the index and reads the text
from `articles`, so the text is kept once. Triggers on `articles` keep it in step with every insert,
update and delete, so the ingest (and anyone writing with plain sqlite3) needs to do nothing.
PostgreSQL has no FTS5: there the index is a GIN expression index over the weighted tsvector of the
same three columns (`archive.readers.search_postgresql.DOCUMENT` repeats the expression, and a
test checks that searches use the index), kept in step by PostgreSQL itself.

Neither the full-text index nor the views are models: `archive.index.database.include_name` keeps
them out of autogenerate's comparison.

Revision ID: b2f0c1a9e7d4
Revises: 9c1e4b7a2d30
Create Date: 2026-11-26 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "b2f0c1a9e7d4"
down_revision: str | Sequence[str] | None = "9c1e4b7a2d30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FTS_COLUMNS = "title, standfirst, free_text"
OLD_ROW = "old.id, old.title, old.standfirst, old.free_text"
NEW_ROW = "new.id, new.title, new.standfirst, new.free_text"

FULLTEXT = (
    # porter: "strikes" finds "strike"; remove_diacritics 2: "Chloe" finds "Chloé"
    f"""CREATE VIRTUAL TABLE articles_fts USING fts5(
        {FTS_COLUMNS},
        content='articles', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
    )""",
    f"""CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts (rowid, {FTS_COLUMNS}) VALUES ({NEW_ROW});
    END""",
    # an external-content index forgets a row by being told the text it indexed
    f"""CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts (articles_fts, rowid, {FTS_COLUMNS}) VALUES ('delete', {OLD_ROW});
    END""",
    # only when indexed text changes: the ingest's seen-at updates cost nothing here
    f"""CREATE TRIGGER articles_fts_update AFTER UPDATE OF id, {FTS_COLUMNS} ON articles BEGIN
        INSERT INTO articles_fts (articles_fts, rowid, {FTS_COLUMNS}) VALUES ('delete', {OLD_ROW});
        INSERT INTO articles_fts (rowid, {FTS_COLUMNS}) VALUES ({NEW_ROW});
    END""",
    "INSERT INTO articles_fts (articles_fts) VALUES ('rebuild')",  # index the rows already there
)
# title weighs most (A), then standfirst (B), then free text (C); 'english' stems as porter does
POSTGRESQL_DOCUMENT = (
    "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(standfirst, '')), 'B') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(free_text, '')), 'C')"
)
POSTGRESQL_FULLTEXT = f"CREATE INDEX ix_articles_fulltext ON articles USING gin (({POSTGRESQL_DOCUMENT}))"
POSTGRESQL_FULLTEXT_DROP = "DROP INDEX IF EXISTS ix_articles_fulltext"
FULLTEXT_DROP = (
    "DROP TRIGGER IF EXISTS articles_fts_update",
    "DROP TRIGGER IF EXISTS articles_fts_delete",
    "DROP TRIGGER IF EXISTS articles_fts_insert",
    "DROP TABLE IF EXISTS articles_fts",
)

# Portable SQL (SQLite and PostgreSQL): `paywalled` is 0/1 in SQLite and boolean in PostgreSQL, so it
# is only ever tested, never summed; "offset" is quoted because PostgreSQL reserves the word.
VIEWS = {
    "latest_captures": """
        SELECT a.id AS article_id, a.url, a.title, a.section, a.published_at, a.paywalled,
               c.id AS capture_id, c.captured_at, c.status, c.url AS fetched_url, c.record_id,
               c.warc_file, c."offset", c.length,
               c.meta_record_id, c.meta_warc_file, c.meta_offset, c.meta_length
        FROM articles a
        JOIN captures c ON c.id = a.latest_capture_id
    """,
    "paywall_by_section_month": """
        SELECT section,
               substr(published_at, 1, 7) AS month,
               COUNT(*) AS articles,
               SUM(CASE WHEN paywalled THEN 1 ELSE 0 END) AS paywalled,
               SUM(CASE WHEN NOT paywalled THEN 1 ELSE 0 END) AS free,
               SUM(CASE WHEN paywalled IS NULL THEN 1 ELSE 0 END) AS unknown,
               ROUND(100.0 * SUM(CASE WHEN paywalled THEN 1 ELSE 0 END) / COUNT(*), 1)
                   AS paywalled_pct
        FROM articles
        WHERE published_at IS NOT NULL
        GROUP BY section, substr(published_at, 1, 7)
    """,
    "article_similar_links": """
        SELECT l.article_id, a.url AS article_url, a.title AS article_title,
               l.kind, l.position, l.url AS target_url, l.title AS link_title,
               l.section AS link_section, l.date_text,
               t.id AS target_article_id, t.title AS target_title,
               t.published_at AS target_published_at, t.paywalled AS target_paywalled
        FROM article_links l
        JOIN articles a ON a.id = l.article_id
        LEFT JOIN articles t ON t.url = l.url
    """,
    "crawl_run_summary": """
        SELECT r.id AS run_id, r.run_uuid, r.site, r.status, r.started_at, r.finished_at,
               COUNT(c.id) AS captures,
               COUNT(c.article_id) AS article_captures,
               COUNT(DISTINCT c.article_id) AS articles,
               SUM(CASE WHEN c.status >= 400 THEN 1 ELSE 0 END) AS error_responses,
               COUNT(DISTINCT c.warc_file) AS warc_files
        FROM crawl_runs r
        LEFT JOIN captures c ON c.run_id = r.id
        GROUP BY r.id, r.run_uuid, r.site, r.status, r.started_at, r.finished_at
    """,
}


def upgrade() -> None:
    # covering index for the views and aggregate queries: section, month, paywall, free words
    with op.batch_alter_table("articles") as batch_op:
        batch_op.create_index(
            "ix_articles_section_published_at",
            ["section", "published_at", "paywalled", "word_count"],
            unique=False,
        )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in FULLTEXT:
            op.execute(statement)
    elif dialect == "postgresql":
        op.execute(POSTGRESQL_FULLTEXT)
    for name, select in VIEWS.items():
        op.execute(f"CREATE VIEW {name} AS {select.strip()}")


def downgrade() -> None:
    for name in reversed(VIEWS):
        op.execute(f"DROP VIEW IF EXISTS {name}")
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in FULLTEXT_DROP:
            op.execute(statement)
    elif dialect == "postgresql":
        op.execute(POSTGRESQL_FULLTEXT_DROP)
    with op.batch_alter_table("articles") as batch_op:
        batch_op.drop_index("ix_articles_section_published_at")
