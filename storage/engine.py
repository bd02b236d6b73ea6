"""Engines for SQLite (embedded default) and PostgreSQL (psycopg 3).

SQLite gets WAL, ``foreign_keys=ON``, a ``busy_timeout``, ``synchronous=FULL`` and write
transactions that begin ``IMMEDIATE``: a deferred transaction that reads and then writes fails
with "database is locked" at once whatever the timeout, an immediate one waits its turn.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

__all__ = [
    "BUSY_TIMEOUT_MS",
    "WRITE_OPTION",
    "Engine",
    "display_url",
    "is_sqlite",
    "make_engine",
    "owns_database",
    "read_only_url",
    "writer",
]

WRITE_OPTION = "callcenter_write"
BUSY_TIMEOUT_MS = 10_000


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def display_url(url: str) -> str:
    """``url`` without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def read_only_url(url: str) -> str:
    """``url`` opened read-only at the database level, not only in the services.

    SQLite: the file is opened with ``mode=ro`` (a URI filename), so any write fails in
    SQLite itself; the change feed (``PRAGMA data_version``) still works. PostgreSQL: every
    transaction of the session is ``READ ONLY`` (``default_transaction_read_only``).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database or ""
        if not path or path == ":memory:" or path.startswith("file:"):
            return url
        return f"sqlite:///file:{quote(str(Path(path).resolve()))}?mode=ro&uri=true"
    query = dict(parsed.query)
    options = query.get("options", "")
    options = options if isinstance(options, str) else " ".join(options)
    query["options"] = (options + " -c default_transaction_read_only=on").strip()
    return parsed.set(query=query).render_as_string(hide_password=False)


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """The engine for ``url``; writers use ``engine.execution_options(callcenter_write=True)``."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            parsed,
            echo=echo,
            connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        )
        _tune_sqlite(engine)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "postgresql":
        connect_args = {"connect_timeout": 3, "application_name": "callcenter"}
    return create_engine(
        parsed, echo=echo, pool_pre_ping=True, connect_args=connect_args, pool_size=3
    )


def writer(engine: Engine) -> Engine:
    """The same engine (same pool) whose transactions begin IMMEDIATE on SQLite."""
    return engine.execution_options(**{WRITE_OPTION: True})


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below decide how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(WRITE_OPTION):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def owns_database(engine: Engine) -> bool:
    """Whether this process's account owns the database ``engine`` opens: on SQLite the OS
    account owning the file (a new file will be ours), on PostgreSQL the connection's role
    being the database's owner (or a member of it) or a superuser."""
    import os

    from sqlalchemy import text

    url = engine.url
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database.startswith("file:"):  # a read-only URI filename (read_only_url)
            from urllib.parse import unquote

            database = unquote(database[5:].split("?", 1)[0])
        if not database or database == ":memory:":
            return True
        path = Path(database)
        try:
            return path.stat().st_uid == os.getuid()
        except FileNotFoundError:
            return True
    with engine.connect() as conn:
        owned = conn.execute(
            text(
                "SELECT pg_has_role(current_user, d.datdba, 'MEMBER') "
                "OR (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = current_user) "
                "FROM pg_database d WHERE d.datname = current_database()"
            )
        ).scalar()
    return bool(owned)
