"""`newsarchive browse`: the index in Datasette, read-only, documented, with article URLs linked to replay.

Datasette (the optional extra `newsarchive[browse]`) serves the SQLite index: every table and view,
with the column descriptions of `docs/database.md` as its metadata and the document's example
queries as canned queries. Datasette opens a database that may change (a crawl may be writing)
with read-only connections (`mode=ro`) and runs only read queries; no write is configured. A `url`
column of the article tables links to the article in `newsarchive replay` (its latest capture).

The document is read from the source tree (`docs/database.md` beside the packages), which is where
an editable install (`make setup`) keeps it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from archive.errors import ArchiveError

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "database.md"
DATABASE_NAME = "archive"  # Datasette names a database after its file: archive.sqlite3
PLUGIN_NAME = "newsarchive"
# tables and views whose `url` (or `target_url`) column is an article's URL
ARTICLE_URL_COLUMNS = {
    ("articles", "url"), ("latest_captures", "url"), ("article_similar_links", "target_url"),
    ("article_similar_links", "article_url"), ("captures", "url"), ("article_links", "url"),
}


class BrowseError(ArchiveError):
    """Datasette is not installed, or the documentation it reads is missing."""


@dataclass(frozen=True, slots=True)
class DatabaseDocs:
    """What `docs/database.md` says: column descriptions by table, and the example queries."""

    tables: dict[str, dict[str, str]]  # table or view -> column -> description
    table_texts: dict[str, str]  # table or view -> its first paragraph
    examples: list[tuple[str, str]]  # (title, sql)

    @classmethod
    def read(cls, path: Path = DOCUMENT) -> DatabaseDocs:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise BrowseError(f"cannot read {path} ({exc.strerror}): `newsarchive browse` runs from a "
                              "source checkout (pip install -e '.[browse]')") from exc
        return cls.parse(text)

    @classmethod
    def parse(cls, text: str) -> DatabaseDocs:
        tables: dict[str, dict[str, str]] = {}
        table_texts: dict[str, str] = {}
        parts = re.split(r"^### `(\w+)`\n", text, flags=re.MULTILINE)
        for name, body in zip(parts[1::2], parts[2::2]):
            body = body.split("\n## ")[0]
            tables[name] = {
                column: _plain(meaning)
                for column, meaning in re.findall(r"^\| `(\w+)` \| (.*?) \|\s*$", body, re.MULTILINE)
            }
            paragraph = body.strip().split("\n\n")[0]
            table_texts[name] = _plain(" ".join(paragraph.split())) if not paragraph.startswith("|") else ""
        return cls(tables, table_texts, example_queries(text))

    def metadata(self, replay_url: str, database_name: str = DATABASE_NAME) -> dict[str, Any]:
        """Datasette metadata: descriptions, canned queries, and where replay links point."""
        tables = {
            name: {"description": self.table_texts.get(name, ""), "columns": columns}
            for name, columns in self.tables.items()
        }
        queries = {_slug(title): {"title": title, "sql": sql.strip()} for title, sql in self.examples}
        return {
            "title": "newsarchive index",
            "description": f"Read-only. Article URLs open in the replay at {replay_url}",
            "databases": {database_name: {"tables": tables, "queries": queries}},
            "plugins": {PLUGIN_NAME: {"replay_url": replay_url}},
        }


def example_queries(text: str) -> list[tuple[str, str]]:
    """(title, sql) of each ```sql block under "## Example queries", titled by its ### heading."""
    examples = text.partition("\n## Example queries\n")[2].split("\n## ")[0]
    found = []
    for section in re.split(r"^### ", examples, flags=re.MULTILINE)[1:]:
        title, _, body = section.partition("\n")
        found += [(title.strip(), sql) for sql in re.findall(r"```sql\n(.*?)```", body, re.DOTALL)]
    return found


def _plain(markdown: str) -> str:
    return markdown.replace("`", "").strip()


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")[:60]


def replay_link(url: Any, replay_url: str) -> str | None:
    """The replay address of an article URL (pywb shows its latest capture), or None for a value
    that is not an http(s) URL."""
    if not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{replay_url.rstrip('/')}/newsarchive/{url}"


def serve(database: Path, host: str, port: int, replay_url: str) -> None:
    """Run Datasette on the index until interrupted."""
    try:
        import uvicorn
        from datasette.app import Datasette
        from datasette.plugins import pm
    except ImportError as exc:
        raise BrowseError("Datasette is not installed: pip install 'newsarchive[browse]'") from exc
    if not database.is_file():
        raise BrowseError(f"no index at {database}: crawl first, or check --data-dir")
    docs = DatabaseDocs.read()
    from archive.readers import browse_plugin

    if not pm.is_registered(browse_plugin):
        pm.register(browse_plugin, name=PLUGIN_NAME)
    datasette = Datasette(files=[str(database)], metadata=docs.metadata(replay_url, database.stem),
                          settings={"default_page_size": 50, "sql_time_limit_ms": 5000, "max_returned_rows": 5000})
    uvicorn.run(datasette.app(), host=host, port=port, log_level="warning")
