"""Alembic environment: batch mode for SQLite, URL from the application's settings."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection, Engine, text

from storage.engine import make_engine
from storage.tables import Base

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from callcenter import settings

    return settings.load().database_url


def _pragma(connection: Connection, sql: str) -> None:
    """A PRAGMA outside any transaction (inside one, ``foreign_keys`` is silently ignored).
    Through the driver's connection: a statement through SQLAlchemy's would first BEGIN."""
    if connection.in_transaction():
        connection.commit()
    connection.connection.dbapi_connection.execute(sql)  # type: ignore[union-attr]


def _include_object(
    obj: object, name: str | None, kind: str, reflected: bool, other: object
) -> bool:
    """Autogenerate compares the models, not the ledger's text indexes (raw DDL: FTS5 on
    SQLite, a trigram expression index on PostgreSQL)."""
    from storage.ledger_text import PG_INDEX, is_fts_name

    if kind == "table" and is_fts_name(name):
        return False
    return not (kind == "index" and name == PG_INDEX)


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch migrations copy tables; foreign keys must be off meanwhile.
        _pragma(connection, "PRAGMA foreign_keys=OFF")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        # SQLite's DDL is transactional too (the engine BEGINs itself): a downgrade refused
        # part-way (0006's guard below a later revision) leaves every revision as it was.
        transactional_ddl=True,
        include_object=_include_object,
    )
    with context.begin_transaction():
        context.run_migrations()
    if sqlite:
        _pragma(connection, "PRAGMA foreign_keys=ON")
        problems = connection.execute(text("PRAGMA foreign_key_check")).all()
        if problems:
            raise RuntimeError(f"foreign key check failed after migration: {problems[:5]}")


def run_migrations_offline() -> None:
    context.configure(
        url=_url(), target_metadata=target_metadata, render_as_batch=True, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if isinstance(connection, Engine):  # pytest-alembic hands over an engine
        with connection.connect() as conn:
            _run(conn)
            conn.commit()
        return
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    try:
        with engine.connect() as conn:
            _run(conn)
            conn.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
