"""The composition root: the one place that knows the domain, storage and screens.

The CLI and the tests build everything through here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, inspect

from callcenter import sla
from callcenter.clock import Clock, SystemClock
from callcenter.errors import DatabaseUnavailable, SchemaOutOfDate
from callcenter.i18n import _, set_language
from callcenter.services import Services
from callcenter.settings import Settings
from storage.engine import is_sqlite, make_engine

__all__ = ["Container", "build", "make_app", "make_engine"]
from callcenter.ports import ChangeFeed
from storage.feed import make_change_feed
from storage.uow import SqlUnitOfWorkFactory, translate_db_error

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent.parent / "storage" / "migrations"


def display_url(url: str) -> str:
    """``url`` without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def alembic_config(url: str) -> Any:
    """An Alembic config for ``url`` that works installed or from a checkout."""
    from alembic.config import Config

    import storage

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(storage.__file__).parent / "migrations"))
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


def upgrade(url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(url), revision)


@dataclass
class Container:
    settings: Settings
    engine: Engine
    clock: Clock
    uow: SqlUnitOfWorkFactory
    policy: sla.Policy
    services: Services
    first_start: bool = False
    notices: list[str] = field(default_factory=list)

    def change_feed(self) -> ChangeFeed:
        """LISTEN/NOTIFY on PostgreSQL, ``PRAGMA data_version`` polling on SQLite."""
        return make_change_feed(self.engine)

    def close(self) -> None:
        self.engine.dispose()


def check_connection(engine: Engine) -> None:
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


def prepare_database(settings: Settings, engine: Engine) -> bool:
    """Bring the schema to head where allowed; True when the database was new.

    The embedded SQLite database upgrades itself. PostgreSQL is upgraded only by
    ``callcenter db upgrade``; an out-of-date schema refuses to start.
    """
    check_connection(engine)
    if schema_is_current(engine):
        return False
    new = not inspect(engine).has_table("cases")
    head = head_revision(settings.database_url)
    current = current_revision(engine)
    if current == head:
        return False
    if is_sqlite(settings.database_url):
        log.info("upgrading %s from %s to %s", settings.database_url, current, head)
        upgrade(settings.database_url)
        return new
    raise SchemaOutOfDate(
        _(
            "The database schema is at {current}, the application needs {head}: "
            "run 'callcenter db upgrade'."
        ).format(current=current or "empty", head=head)
    )


def read_only_url(url: str) -> str:
    """``url`` opened read-only at the database level, not only in the services.

    SQLite: the file is opened with ``mode=ro`` (a URI filename), so any write fails in
    SQLite itself; the change feed (``PRAGMA data_version``) still works. PostgreSQL: every
    transaction of the session is ``READ ONLY`` (``default_transaction_read_only``).
    """
    from urllib.parse import quote

    from sqlalchemy.engine import make_url

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


def _os_login() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no login name in a bare container
        return ""


def build(
    settings: Settings,
    *,
    clock: Clock | None = None,
    prepare: bool = True,
    read_only: bool = False,
    identify: bool = True,
) -> Container:
    """Everything a session needs, built from ``settings``.

    ``identify``: the session acts for ``settings.user``, who must be active staff (else
    :class:`callcenter.services.staff.NotStaff`); the first user of a database without staff becomes
    its administrator. ``identify=False`` builds a trusted internal session (no role).
    ``read_only``: the supervisor board; the database itself is opened read-only.
    """
    from callcenter.services import staff as staff_mod

    set_language(settings.language)
    if is_sqlite(settings.database_url) and not read_only:
        path = settings.database_url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    clock = clock or SystemClock()
    if read_only:
        engine = make_engine(read_only_url(settings.database_url))
        try:
            check_schema(settings, engine)
        except BaseException:
            engine.dispose()
            raise
        first = False
    else:
        engine = make_engine(settings.database_url)
        first = prepare_database(settings, engine) if prepare else False
    uow = SqlUnitOfWorkFactory(engine, clock)
    policy = sla.load_policy(
        settings.policy, settings.config_path.parent if settings.config_path else None
    )
    login = _os_login()
    services = Services(
        uow,
        clock,
        tz=settings.tz,
        policy=policy,
        actor=settings.user,
        speed_kmh=settings.average_speed_kmh,
        depot=(settings.depot_lat, settings.depot_lon),
        read_only=read_only,
        audit_details={"os_user": login} if login and login != settings.user else None,
    )
    container = Container(settings, engine, clock, uow, policy, services, first_start=first)
    try:
        if identify:
            identity = staff_mod.identify(services, settings.user, read_only=read_only)
            services.staff = identity.staff
            if identity.first_admin:
                container.notices.append(first_admin_notice(settings.user))
        elif first and not read_only:
            staff_mod.claim_first_admin(services, settings.user)
    except BaseException:
        engine.dispose()
        raise
    if first and not read_only and settings.is_default_database:
        load_demo(container)
        container.notices.append(_("A new database was filled with demo data."))
    return container


def first_admin_notice(user: str) -> str:
    return _(
        "This database had no staff: you ({user}) are now its administrator. "
        "Add the others with: callcenter staff add LOGIN --name NAME --role operator"
    ).format(user=user)


def check_schema(settings: Settings, engine: Engine) -> None:
    """A read-only session cannot upgrade: the schema must be current already."""
    check_connection(engine)
    if schema_is_current(engine):
        return
    head = head_revision(settings.database_url)
    current = current_revision(engine)
    if current != head:
        raise SchemaOutOfDate(
            _(
                "The database schema is at {current}, the application needs {head}: "
                "run 'callcenter db upgrade'."
            ).format(current=current or "empty", head=head)
        )


def claim_first_admin(settings: Settings) -> str | None:
    """After ``callcenter db upgrade``: a database without staff gets ``settings.user`` as
    its administrator. Returns the notice to print, or None."""
    from callcenter.services import staff as staff_mod

    container = build(settings, prepare=False, identify=False)
    try:
        if staff_mod.claim_first_admin(container.services, settings.user) is None:
            return None
        return first_admin_notice(settings.user)
    finally:
        container.close()


def load_demo(container: Container, seed: int = 7, reset: bool = False) -> Any:
    from callcenter import demo

    if reset:
        reset_data(container.engine)
    return demo.generate(
        container.uow,
        now=container.clock.now(),
        tz=container.settings.tz,
        seed=seed,
        policy_name=container.policy.name,
        depot=(container.settings.depot_lat, container.settings.depot_lon),
    )


def reset_data(engine: Engine) -> None:
    """Delete every row (keeping staff and the schema); for ``callcenter demo --reset``."""
    from sqlalchemy import delete, update

    from storage.tables import Base

    keep = {"staff", "alembic_version", "watch_state"}
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
        from storage.tables import CrewRow

        conn.execute(update(CrewRow).values(current_case_id=None))
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in keep:
                conn.execute(delete(table))


def session(container: Container, **overrides: Any) -> Any:
    """What the application needs of ``container`` (a :class:`screens.app.Session`): the
    services, the change feed, the start notices, the delay calls and the SLA sweeper, which
    share the session's database, clock and user. ``overrides`` replace any of them."""
    from functools import partial

    from callcenter import watch
    from callcenter.services.delays import DelayCalls
    from screens.app import Session

    parts: dict[str, Any] = {
        "services": container.services,
        "feed_factory": container.change_feed,
        "notices": list(container.notices),
        "delay_calls": DelayCalls.from_services(
            container.services, renotify_minutes=container.settings.renotify_minutes
        ),
        "sweeper": partial(watch.sweeper_for, container),
    }
    parts.update(overrides)
    return Session(**parts)


def make_app(container: Container, **kwargs: Any) -> Any:
    """The application of a built session (the tests). ``watch`` (True/False; default:
    unless headless) runs the SLA watch loop; ``delay_calls`` and ``sweeper`` replace the
    session's own. The command line starts with :func:`callcenter.cli` ``connect`` instead,
    which paints before the database layer is loaded."""
    from screens.app import CallCenterApp

    overrides = {k: kwargs.pop(k) for k in ("delay_calls", "sweeper") if k in kwargs}
    kwargs.setdefault("read_only", container.services.read_only)
    return CallCenterApp(container.settings, session=session(container, **overrides), **kwargs)
