"""Schema administration: Alembic's config, the head and current revisions, upgrade and
downgrade, whether a database answers and is current, and wiping the data for a demo.

Alembic is imported only by the functions that need it: a start on a current schema reads
one row of ``alembic_version`` (:func:`schema_is_current`) and loads no migration.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
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


@dataclass(frozen=True)
class DowngradePlan:
    """What ``callcenter db downgrade TARGET`` would undo and drop."""

    current: str | None
    target: str  # a revision id or "base"
    undone: tuple[str, ...]  # the revisions to undo, newest first
    drops: tuple[tuple[str, int], ...]  # (table or table.column, rows that hold data)

    @property
    def rows(self) -> int:
        return sum(count for _name, count in self.drops)


class UnknownRevision(ValueError):
    pass


def revisions(url: str) -> list[str]:
    """Every revision id, oldest first."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(url))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def downgrade_plan(url: str, engine: Engine, target: str) -> DowngradePlan:
    """The revisions a downgrade to ``target`` undoes and, from each one's ``DROPS``, the
    tables and columns it drops with the rows they hold. Raises :class:`UnknownRevision`
    for a revision that does not exist or is not below the current one."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(url))
    known = [r.revision for r in reversed(list(script.walk_revisions()))]
    if target != "base" and target not in known:
        raise UnknownRevision(
            _("Unknown revision {target}: the revisions are base, {known}.").format(
                target=target, known=", ".join(known)
            )
        )
    current = current_revision(engine)
    if current is None or (target != "base" and known.index(target) >= known.index(current)):
        raise UnknownRevision(
            _("The schema is at {current}: {target} is not below it, nothing to undo.").format(
                current=current or _("empty"), target=target
            )
        )
    stop = -1 if target == "base" else known.index(target)
    undone = tuple(reversed(known[stop + 1 : known.index(current) + 1]))
    drops: list[tuple[str, int]] = []
    inspector = inspect(engine)
    tables = set(inspector.get_table_names())
    with engine.connect() as conn:
        for revision in undone:
            module = script.get_revision(revision).module
            for name in getattr(module, "DROPS", ()):
                table, _dot, column = name.partition(".")
                if table not in tables:
                    continue
                where = f" WHERE {column} IS NOT NULL" if column else ""
                count = conn.exec_driver_sql(f"SELECT count(*) FROM {table}{where}").scalar()
                drops.append((name, int(count or 0)))
    return DowngradePlan(current, target, undone, tuple(drops))


def backup_sqlite(url: str, now: datetime | None = None) -> Path:
    """Copy the SQLite database of ``url`` (WAL included, consistently: SQLite's backup API)
    to ``<file>.<UTC time>.bak`` beside it; returns the copy's path."""
    import sqlite3

    from sqlalchemy.engine import make_url

    source = Path(make_url(url).database or "")
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    target = source.with_name(f"{source.name}.{stamp}.bak")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    return target


def pg_dump_command(url: str, now: datetime | None = None) -> str:
    """The ``pg_dump`` command that saves the PostgreSQL database of ``url`` first."""
    import shlex

    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    libpq = parsed.set(drivername="postgresql", password=None, query={}).render_as_string(
        hide_password=False
    )
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    dump = f"{parsed.database or 'callcenter'}-{stamp}.dump"
    return f"pg_dump --format=custom --file={shlex.quote(dump)} {shlex.quote(libpq)}"


def downgrade(url: str, revision: str, *, drop_data: bool = False) -> None:
    """Downgrade to ``revision``. A revision that guards its tables refuses while they hold
    rows unless ``drop_data`` (the user was told what goes and agreed: ``db downgrade``)."""
    from alembic import command

    config = alembic_config(url)
    config.attributes["drop_data"] = drop_data
    command.downgrade(config, revision)


def check_connection(engine: Engine) -> None:
    """Raise :class:`callcenter.errors.DatabaseUnavailable` unless the database answers."""
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except Exception as exc:  # the driver's own errors, whatever they are
        translated = translate_db_error(exc)
        if isinstance(translated, DatabaseUnavailable):
            raise translated from exc
        reason = getattr(exc, "orig", None) or exc
        first = (str(reason).strip().splitlines() or [type(reason).__name__])[0]
        raise DatabaseUnavailable(
            _("The database cannot be reached: {error}").format(error=first)
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
