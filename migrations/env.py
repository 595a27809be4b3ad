"""Alembic environment: runs the migrations in `versions/` against one database.

The database comes, in order, from a connection the caller passed in `config.attributes`
(tests, `archive.index.database`), the `sqlalchemy.url` option, or `alembic -x url=...` on the command line.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection, Engine, create_engine, event, pool

from archive.index.database import include_name
from archive.errors import ArchiveError
from archive.index.models import Base

config = context.config
target_metadata = Base.metadata

if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def database_url() -> str:
    """The URL to migrate when no connection was handed over."""
    url = config.get_main_option("sqlalchemy.url") or context.get_x_argument(
        as_dictionary=True
    ).get("url")
    if not url:
        raise ArchiveError(
            "no database URL: pass `-x url=sqlite:///path/to/index.db` or set sqlalchemy.url"
        )
    return url


def configure(**kwargs: object) -> None:
    """Options shared by offline and online runs; batch mode lets SQLite alter tables."""
    context.configure(
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        include_name=include_name,  # the full-text index has no model
        **kwargs,  # type: ignore[arg-type]
    )


def run_migrations_offline() -> None:
    """Emit the SQL script instead of running it (`alembic upgrade --sql`)."""
    configure(url=database_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_on(connection: Connection) -> None:
    # SQLite runs DDL in transactions too: the whole upgrade, version stamp included, commits at
    # once, so a `db upgrade` killed (or out of disk) half-way leaves the previous revision intact.
    configure(connection=connection, transactional_ddl=True, transaction_per_migration=False)
    with context.begin_transaction():
        context.run_migrations()


def _sqlite_transactions_for_ddl(engine: Engine) -> None:
    """pysqlite begins transactions only before DML, so DDL would autocommit statement by statement;
    SQLAlchemy's documented recipe: let SQLAlchemy emit BEGIN itself."""

    @event.listens_for(engine, "connect")
    def _no_implicit_transactions(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def run_migrations_online() -> None:
    """Migrate over the caller's connection, or over a fresh one that is not pooled."""
    connection = config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return
    engine = create_engine(database_url(), poolclass=pool.NullPool)
    if engine.dialect.name == "sqlite":
        _sqlite_transactions_for_ddl(engine)
    try:
        with engine.connect() as fresh:
            run_on(fresh)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
