"""docs/database.md stays true: every example query runs on a real archive, and every table, column
and view of a migrated database is documented.

The examples run through the standard library's sqlite3, as a user of plain `sqlite3` would run them.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from archive.index import database as db
from archive.readers.browse import example_queries
from tests.helpers import SiteCrawl

pytestmark = pytest.mark.sqlite_only(
    "docs/database.md's examples are SQLite SQL run with plain sqlite3, and its schema is read from sqlite_master"
)

DOC_PATH = Path(__file__).resolve().parent.parent / "docs" / "database.md"
DOC = DOC_PATH.read_text(encoding="utf-8")




def doc_sections(doc: str) -> dict[str, str]:
    """The text under each "### `name`" heading, by name."""
    parts = re.split(r"^### `(\w+)`\n", doc, flags=re.MULTILINE)
    return {name: body.split("\n## ")[0] for name, body in zip(parts[1::2], parts[2::2])}


EXAMPLES = example_queries(DOC)


def test_the_doc_has_a_dozen_examples() -> None:
    assert len(EXAMPLES) >= 12
    assert len({title for title, _ in EXAMPLES}) == len(EXAMPLES)


@pytest.mark.parametrize(("title", "sql"), EXAMPLES, ids=[title for title, _ in EXAMPLES])
def test_example_query_returns_rows_with_plain_sqlite3(crawled: SiteCrawl, title: str, sql: str) -> None:
    connection = sqlite3.connect(f"file:{crawled.result.database}?mode=ro", uri=True)
    try:
        rows = connection.execute(sql).fetchall()
    finally:
        connection.close()
    assert rows, f"{title!r} returned no rows"


def test_every_table_view_and_column_is_documented(tmp_path: Path) -> None:
    url = db.sqlite_url(tmp_path / "index.db")
    db.upgrade(url)
    connection = sqlite3.connect(tmp_path / "index.db")
    try:
        objects = connection.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
        schema = {
            name: [column[1] for column in connection.execute(f"PRAGMA table_info({name})")]
            for (name,) in objects
            if not re.fullmatch(r"articles_fts_(data|idx|docsize|config)", name)  # FTS5 storage
        }
    finally:
        connection.close()
    sections = doc_sections(DOC)
    assert {"articles", "captures", "article_links", "crawl_runs", "articles_fts"} <= set(schema)
    for name, columns in schema.items():
        assert name in sections, f"docs/database.md has no '### `{name}`' section"
        for column in columns:
            assert f"| `{column}` |" in sections[name], f"{name}.{column} is not documented"
