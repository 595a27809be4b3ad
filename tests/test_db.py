"""Schema and migrations: the migrations build exactly the models, and stale databases are refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from archive.index import database as db
from archive.errors import DatabaseNotMigrated
from archive.index.models import Base
from tests.helpers import COMPARE_OPTIONS, connect_index, index_url


# as migrations/env.py compares: the full-text index (no model) is left out, nothing else


@pytest.fixture
def url(tmp_path: Path) -> str:
    return index_url(tmp_path / "index.db")


def test_migrations_match_models_and_downgrade_to_nothing(url: str) -> None:
    engine = db.make_engine(url)
    config = db.alembic_config(url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts=COMPARE_OPTIONS)
        assert compare_metadata(context, Base.metadata) == []
        assert context.get_current_revision() == db.head_revision()

    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    engine.dispose()


@pytest.mark.sqlite_only("a SQLite file's directory is created for it; a PostgreSQL database is named, not made")
def test_upgrade_by_url_creates_the_directory_from_any_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the migrations are found through the package, not the CWD
    path = tmp_path / "data" / "nested" / "index.db"
    url = db.sqlite_url(path)

    db.upgrade(url)

    assert path.is_file()
    assert db.Database(url).current_revision() == db.head_revision()
    db.Database(url).require_current()
    db.downgrade(url, "base")
    assert db.Database(url).current_revision() is None


@pytest.mark.sqlite_only("SQLite's pragmas (WAL, foreign keys, busy timeout)")
def test_engine_sets_sqlite_pragmas(url: str) -> None:
    db.upgrade(url)  # WAL belongs to the file, set when it is created or migrated
    engine = db.make_engine(url)
    with engine.connect() as connection:
        pragmas = {
            name: connection.execute(text(f"PRAGMA {name}")).scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
        }
    engine.dispose()
    assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 30000, "synchronous": 1}


def test_require_current_refuses_an_unmigrated_database(tmp_path: Path, url: str) -> None:
    with pytest.raises(DatabaseNotMigrated) as raised:
        db.Database(url).require_current()
    message = str(raised.value)
    assert db.display_url(url).removeprefix("sqlite:///") in message
    assert str(db.head_revision()) in message
    assert "run `newsarchive db upgrade`" in message


def test_require_current_names_the_revision_the_database_is_at(tmp_path: Path, url: str) -> None:
    db.upgrade(url)
    with connect_index(tmp_path / "index.db") as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'feedfacecafe'")

    with pytest.raises(DatabaseNotMigrated) as raised:
        db.Database(url).require_current()

    assert raised.value.current == "feedfacecafe"
    assert f"at revision feedfacecafe, head is {db.head_revision()}" in str(raised.value)


@pytest.mark.sqlite_only("SQLite file paths in URLs")
def test_sqlite_url_round_trips_paths_with_odd_characters(tmp_path: Path) -> None:
    path = tmp_path / "my archive" / "index 100%.db"
    db.upgrade(db.sqlite_url(path))
    assert path.is_file()


def test_prepare_database_creates_a_new_database_but_never_migrates_an_old_one(
    tmp_path: Path, url: str
) -> None:
    db.Database(url).prepare()
    assert db.Database(url).current_revision() == db.head_revision()
    db.Database(url).prepare()  # at head: nothing to do

    other = tmp_path / "other.db"
    with connect_index(other) as connection:
        connection.execute("CREATE TABLE articles (id INTEGER PRIMARY KEY)")
    with pytest.raises(DatabaseNotMigrated):
        db.Database(index_url(other)).prepare()
