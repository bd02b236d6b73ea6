"""The ledger's free-text filter (caller, phone, plate, case number, address) with an index on
each backend, so that a rare text does not scan a year of rows.

* PostgreSQL: a trigram GIN index (``pg_trgm``) on :data:`PG_TEXT_SQL`, the five columns
  joined by ``chr(1)`` (a character no filter text holds, so no match spans two columns); the
  query filters on the very same expression, and the planner takes the index when the text
  is rare, the received-time order when it is common. Without ``pg_trgm`` (an extension the
  database may not allow) the index is left out and the filter scans.
* SQLite: an FTS5 table with the trigram tokenizer (:data:`FTS_TABLE`), its content read
  from ``ledger_entries`` and kept up to date by triggers. A text of 3 characters or more
  gives the matching ids first; when they are few (at most :data:`FEW`) the page is read
  among them, otherwise the text is common and the ordered scan finds a page at once.

Used by migration 0007 (the DDL) and ``storage.repositories.records`` (the queries).
"""

from __future__ import annotations

from sqlalchemy import Connection, text

FTS_TABLE = "ledger_fts"
TEXT_COLUMNS = ("number", "phone", "plate", "caller_name", "address")
PG_TEXT_SQL = "(" + " || chr(1) || ".join(TEXT_COLUMNS) + ")"
PG_INDEX = "ix_ledger_entries_text_trgm"
#: Up to this many matching ids, the page is read among them.
FEW = 2000

_COLS = ", ".join(TEXT_COLUMNS)
_NEW = ", ".join(f"new.{c}" for c in TEXT_COLUMNS)
_OLD = ", ".join(f"old.{c}" for c in TEXT_COLUMNS)

SQLITE_CREATE = [
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5({_COLS}, content='ledger_entries', "
    "content_rowid='case_id', tokenize='trigram')",
    f"CREATE TRIGGER {FTS_TABLE}_ai AFTER INSERT ON ledger_entries BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, {_COLS}) VALUES (new.case_id, {_NEW}); END",
    f"CREATE TRIGGER {FTS_TABLE}_ad AFTER DELETE ON ledger_entries BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {_COLS}) "
    f"VALUES ('delete', old.case_id, {_OLD}); END",
    f"CREATE TRIGGER {FTS_TABLE}_au AFTER UPDATE OF {_COLS} ON ledger_entries BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {_COLS}) "
    f"VALUES ('delete', old.case_id, {_OLD}); "
    f"INSERT INTO {FTS_TABLE}(rowid, {_COLS}) VALUES (new.case_id, {_NEW}); END",
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_au",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_ad",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_ai",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
]


def is_fts_name(name: str | None) -> bool:
    """The FTS table and its shadow tables (not in the models: autogenerate skips them)."""
    return bool(name) and (name == FTS_TABLE or str(name).startswith(FTS_TABLE + "_"))


def create(connection: Connection) -> None:
    """The text index of the backend (migration 0007's upgrade)."""
    if connection.dialect.name == "sqlite":
        for statement in SQLITE_CREATE:
            connection.exec_driver_sql(statement)
        return
    if connection.dialect.name != "postgresql":
        return
    schema = _trgm_schema(connection)
    if schema is None:
        return  # the extension is not allowed here: the text filter scans
    opclass = f'"{schema}".gin_trgm_ops'
    connection.exec_driver_sql(
        f"CREATE INDEX {PG_INDEX} ON ledger_entries USING gin ({PG_TEXT_SQL} {opclass})"
    )


def drop(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        for statement in SQLITE_DROP:
            connection.exec_driver_sql(statement)
    elif connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"DROP INDEX IF EXISTS {PG_INDEX}")


def _trgm_schema(connection: Connection) -> str | None:
    """The schema of ``pg_trgm``, installed in ``public`` if it is not yet (None: cannot)."""
    query = text(
        "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'"
    )
    found = connection.execute(query).scalar()
    if found:
        return str(found)
    try:
        with connection.begin_nested():
            connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
    except Exception:  # not allowed (no privilege) or not installed: do without
        return None
    found = connection.execute(query).scalar()
    return str(found) if found else None
