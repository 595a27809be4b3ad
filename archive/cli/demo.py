"""What `newsarchive demo` prints after archiving the sample site: counts and SQL to try next."""

from __future__ import annotations

import click
from sqlalchemy import text

from archive.index.database import Database

EXAMPLE_QUERIES: tuple[tuple[str, str], ...] = (
    (
        "Paywalled share by section",
        "SELECT section, COUNT(*) AS articles, SUM(paywalled) AS paywalled "
        "FROM articles GROUP BY section ORDER BY articles DESC",
    ),
    (
        "Newest five articles",
        "SELECT published_at, title FROM articles ORDER BY published_at DESC LIMIT 5",
    ),
    (
        "Where each article's capture lives",
        "SELECT a.url, c.warc_file, c.offset, c.length FROM articles a "
        "JOIN captures c ON c.id = a.latest_capture_id LIMIT 3",
    ),
)


def print_demo_report(database: Database) -> None:
    """Summarise the archive and run each example query, so a newcomer sees the index work."""
    with database.engine.connect() as connection:
        total, paywalled = connection.execute(
            text("SELECT COUNT(*), COALESCE(SUM(paywalled), 0) FROM articles")
        ).one()
        captures = connection.execute(text("SELECT COUNT(*) FROM captures")).scalar_one()
        click.echo(f"\nIndex: {total} articles ({paywalled} paywalled), {captures} archived responses.")
        for title, sql in EXAMPLE_QUERIES:
            click.echo(f"\n-- {title}\n{sql};")
            for row in connection.execute(text(sql)):
                click.echo("   " + " | ".join("" if value is None else str(value) for value in row))
    database_path = database.url.removeprefix("sqlite:///")
    click.echo(f"\nTry them yourself: sqlite3 {database_path}")
