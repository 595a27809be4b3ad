"""The index database: the `Database` object, its engine and its schema migrations.

The schema is created by Alembic migrations only (never `create_all`), so every database in the
wild is at a known revision and `require_current` can refuse to write into a stale one.
"""

from __future__ import annotations

import ast
import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import URL, Engine, create_engine, event, inspect, make_url

import migrations
from archive.errors import DatabaseNotMigrated

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported only to migrate: importing it (with Mako and Pygments) costs more than a
# small reindex. Checking a database's revision reads the version table and the migration files.
VERSION_TABLE = "alembic_version"
_MIGRATION_LINE = re.compile(r"^(revision|down_revision|branch_labels|depends_on)\b[^=\n]*=\s*(.+?)\s*$", re.M)

logger = logging.getLogger(__name__)

SQLITE_PRAGMAS = (
    "PRAGMA busy_timeout=30000",  # wait for another process's write instead of failing at once
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",  # safe with WAL, and much faster than FULL
)
# WAL (readers never block the writer) is a property of the file: set once, when `upgrade` creates
# or migrates it, not on every connection, where switching modes races other processes' connections.
SQLITE_JOURNAL_MODE = "PRAGMA journal_mode=WAL"


FULLTEXT_TABLE = "articles_fts"
"""The FTS5 index over articles (migration b2f0c1a9e7d4); it and its shadow tables have no model."""
POSTGRESQL_FULLTEXT_INDEX = "ix_articles_fulltext"
"""PostgreSQL's GIN expression index over the articles' weighted tsvector (same migration); no model."""


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic autogenerate filter: leave out the full-text indexes, which no model describes.

    Only the FTS5 table and its shadow tables (`articles_fts_data`, `_idx`, `_docsize`, `_config`)
    are left out, so any other table without a model still shows up as drift. Views are never
    reflected as tables, so they need no filter.
    """
    if type_ == "table" and name is not None:
        return not (name == FULLTEXT_TABLE or name.startswith(FULLTEXT_TABLE + "_"))
    if type_ == "index":
        return name != POSTGRESQL_FULLTEXT_INDEX
    return True


def sqlite_url(path: str | Path) -> str:
    """The SQLAlchemy URL of a SQLite file, with the path quoted as the URL syntax needs."""
    return URL.create("sqlite", database=str(Path(path).expanduser())).render_as_string()


def display_url(url: str) -> str:
    """The URL as it may appear in logs and error messages: without its password."""
    return make_url(url).render_as_string(hide_password=True)


def driver_url(url: str) -> str:
    """`url` with the driver named: a plain `postgresql://` URL means psycopg 3, which we install.

    SQLAlchemy's own default for `postgresql://` is psycopg2, which newsarchive does not depend on.
    """
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


def make_engine(url: str) -> Engine:
    """An engine with the SQLite settings every connection needs (no-op for other databases)."""
    url = driver_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url)
    database = parsed.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    event.listen(engine, "connect", _set_sqlite_pragmas)
    return engine


def _set_sqlite_pragmas(dbapi_connection: Any, _connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def alembic_config(url: str) -> Config:
    """An Alembic config for `url` that finds the migrations in the installed package, not the CWD."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    # Config values go through ConfigParser interpolation, where "%" is special
    config.set_main_option("sqlalchemy.url", driver_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database up to `revision`, creating it (and its directory) if needed."""
    engine = make_engine(url)  # creates the parent directory of a SQLite file
    try:
        if engine.dialect.name == "sqlite":
            with engine.connect() as connection:
                connection.exec_driver_sql(SQLITE_JOURNAL_MODE)
    finally:
        engine.dispose()
    from alembic import command

    logger.info("Upgrading %s to %s", display_url(url), revision)
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Migrate the database down to `revision` ("base" drops every table)."""
    from alembic import command

    logger.info("Downgrading %s to %s", display_url(url), revision)
    command.downgrade(alembic_config(url), revision)


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    """The newest revision the installed code knows.

    Read from the migration files' `revision` and `down_revision` lines when they form one plain
    chain (tests/test_db_ingest.py checks this agrees with Alembic); Alembic decides otherwise.
    """
    revisions: dict[str, str | None] = {}
    for path in (Path(migrations.__file__).parent / "versions").glob("*.py"):
        if path.name == "__init__.py":
            continue
        try:
            found = {name: ast.literal_eval(value) for name, value in _MIGRATION_LINE.findall(path.read_text())}
        except (ValueError, SyntaxError):
            return _alembic_head()
        revision, down = found.get("revision"), found.get("down_revision")
        if (not isinstance(revision, str) or not isinstance(down, str | None) or revision in revisions
                or found.get("branch_labels") is not None or found.get("depends_on") is not None):
            return _alembic_head()
        revisions[revision] = down
    heads = set(revisions) - set(revisions.values())
    return heads.pop() if len(heads) == 1 else _alembic_head()


def _alembic_head() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


# pg_advisory_lock key shared by every newsarchive process migrating one PostgreSQL database
MIGRATION_LOCK_KEY = 0x6E657773  # "news"


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """On PostgreSQL, hold an advisory lock while the schema is checked and created, so crawlers
    starting together on several machines create it once; SQLite needs none (its writes lock the file)."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as connection:
        connection.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})")
        connection.commit()
        try:
            yield
        finally:
            connection.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")
            connection.commit()


class Database:
    """One index database, handed to everything that reads or writes it instead of a URL string.

    It makes one engine, on first use, shared by every thread that works on the database (SQLAlchemy
    engines are thread-safe), and disposed of by whoever made the `Database`.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: Engine | None = None
        self._engine_lock = threading.Lock()

    @classmethod
    def sqlite(cls, path: str | Path) -> Database:
        return cls(sqlite_url(path))

    def __str__(self) -> str:
        return display_url(self.url)

    def __repr__(self) -> str:
        return f"Database({display_url(self.url)!r})"

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.dispose()

    @property
    def engine(self) -> Engine:
        """The engine, with the SQLite settings every connection needs; made once."""
        with self._engine_lock:
            if self._engine is None:
                self._engine = make_engine(self.url)
            return self._engine

    def dispose(self) -> None:
        """Close the engine's connections; the next use opens new ones."""
        with self._engine_lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None

    def current_revision(self) -> str | None:
        """The revision the database is at, or None when it has never been migrated.

        Read from Alembic's version table; Alembic itself is asked only when that holds several rows.
        """
        with self.engine.connect() as connection:
            if not inspect(connection).has_table(VERSION_TABLE):
                return None
            rows = connection.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}").scalars().all()
            if len(rows) <= 1:
                return rows[0] if rows else None
            from alembic.runtime.migration import MigrationContext

            return MigrationContext.configure(connection).get_current_revision()

    def upgrade(self, revision: str = "head") -> None:
        """Migrate up to `revision`, creating the database (and its directory) if needed."""
        upgrade(self.url, revision)

    def prepare(self) -> None:
        """Create the schema in a new, empty database; refuse an existing one that is not at head.

        A first crawl just works, while an existing index is only ever migrated on purpose
        (`newsarchive db upgrade`), never as a side effect of a crawl.
        """
        with migration_lock(self.engine):  # crawls on other machines may create the same PostgreSQL schema at once
            if self.current_revision() is None and not inspect(self.engine).get_table_names():
                self.upgrade()
        self.require_current()

    def require_current(self) -> None:
        """Refuse to work on a database whose schema is not the one this code was written for."""
        current = self.current_revision()
        head = head_revision()
        if current != head:
            raise DatabaseNotMigrated(str(self), current, head)
