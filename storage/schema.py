"""Schema administration: Alembic's config, the head and current revisions, upgrade and
downgrade, whether a database answers and is current, and wiping the data for a demo.

Alembic is imported only by the functions that need it: a start on a current schema reads
one row of ``alembic_version`` (:func:`schema_is_current`) and loads no migration.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, inspect, update

from callcenter.errors import DatabaseUnavailable
from callcenter.i18n import _
from storage.tables import Base, CrewRow
from storage.uow import translate_db_error

#: Tables :func:`reset_data` keeps.
KEEP_ON_RESET = frozenset({"staff", "alembic_version", "watch_state"})


def alembic_config(url: str) -> Any:
    """An Alembic config for ``url`` that works installed or from a checkout."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logging"] = False
    return cfg


def head_revision(url: str) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    from alembic.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def schema_is_current(engine: Engine) -> bool:
    """Whether the schema is at :data:`storage.migrations.HEAD`, by one plain ``SELECT``
    (no Alembic: the usual start, on a current schema, stays quick)."""
    from storage.migrations import HEAD

    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return False
        rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    return [r[0] for r in rows] == [HEAD]


def has_cases_table(engine: Engine) -> bool:
    """Whether the schema has been made at all (a new database has no ``cases`` table)."""
    return inspect(engine).has_table("cases")


def upgrade(url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(url), revision)


def check_connection(engine: Engine) -> None:
    """Raise :class:`callcenter.errors.DatabaseUnavailable` unless the database answers."""
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except Exception as exc:  # the driver's own errors, whatever they are
        translated = translate_db_error(exc)
        if isinstance(translated, DatabaseUnavailable):
            raise translated from exc
        raise DatabaseUnavailable(
            _("The database cannot be reached: {error}").format(error=exc)
        ) from exc


def reset_data(engine: Engine) -> None:
    """Delete every row (keeping staff and the schema); for ``callcenter demo --reset``."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
        conn.execute(update(CrewRow).values(current_case_id=None))
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in KEEP_ON_RESET:
                conn.execute(delete(table))
