"""The composition root: the one place that knows the domain, storage and screens.

The CLI and the tests build everything through here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from callcenter import sla
from callcenter.clock import Clock, SystemClock
from callcenter.errors import DatabaseUnavailable, SchemaOutOfDate
from callcenter.i18n import _, set_language
from callcenter.ports import ChangeFeed
from callcenter.services import Services
from callcenter.settings import Settings, parse_shift_starts
from storage.engine import Engine, display_url, is_sqlite, make_engine, read_only_url
from storage.feed import make_change_feed
from storage.schema import (
    UnknownRevision,
    alembic_config,
    backup_sqlite,
    check_connection,
    current_revision,
    downgrade,
    downgrade_plan,
    has_cases_table,
    head_revision,
    pg_dump_command,
    reset_data,
    schema_is_current,
    upgrade,
)
from storage.uow import SqlUnitOfWorkFactory

# The composition root, and the names the CLI, the tests and the benchmarks reach storage by
# (the schema's administration lives in storage.schema, URLs and engines in storage.engine).
__all__ = [
    "Container",
    "UnknownRevision",
    "alembic_config",
    "backup_sqlite",
    "build",
    "check_connection",
    "current_revision",
    "display_url",
    "downgrade",
    "downgrade_plan",
    "head_revision",
    "make_app",
    "make_engine",
    "pg_dump_command",
    "read_only_url",
    "reset_data",
    "schema_is_current",
    "upgrade",
]

log = logging.getLogger(__name__)


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


def prepare_database(settings: Settings, engine: Engine) -> bool:
    """Bring the schema to head where allowed; True when the database was new.

    The embedded SQLite database upgrades itself. PostgreSQL is upgraded only by
    ``callcenter db upgrade``; an out-of-date schema refuses to start.
    """
    check_connection(engine)
    if schema_is_current(engine):
        return False
    new = not has_cases_table(engine)
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


def _owned(engine: Engine) -> bool:
    from storage.engine import owns_database
    from storage.schema import check_connection

    if not is_sqlite(str(engine.url)):
        check_connection(engine)  # an unreachable database: one clear error, not the driver's
    return owns_database(engine)


def _check_override(settings: Settings, engine: Engine) -> str:
    """The real OS login; a session acting for someone else (``CALLCENTER_USER``, for tests
    and demos) is refused unless this account owns the database."""
    from callcenter.services.staff import IdentityRefused
    from callcenter.settings import os_login

    login = settings.login or os_login()
    if settings.user and settings.user != login and not _owned(engine):
        raise IdentityRefused(
            _(
                "You are {login}: CALLCENTER_USER={user} is honoured only for the account that "
                "owns the database."
            ).format(login=login, user=settings.user)
        )
    return login


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
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseUnavailable(
                    _("The database cannot be reached: {error}").format(
                        error=f"{Path(path).parent}: {exc.strerror or exc}"
                    )
                ) from None
    clock = clock or SystemClock()
    if read_only:
        engine = make_engine(read_only_url(settings.database_url))
        try:
            login = _check_override(settings, engine)
            check_schema(settings, engine)
        except BaseException:
            engine.dispose()
            raise
        first = False
    else:
        engine = make_engine(settings.database_url)
        try:
            login = _check_override(settings, engine)
        except BaseException:
            engine.dispose()
            raise
        first = prepare_database(settings, engine) if prepare else False
    uow = SqlUnitOfWorkFactory(engine, clock)
    policy = sla.load_policy(
        settings.policy, settings.config_path.parent if settings.config_path else None
    )
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
    services.shift_starts = parse_shift_starts(settings.shift_starts)
    services.arrival_at_risk = timedelta(minutes=settings.at_risk_minutes)
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


def session(container: Container, **overrides: Any) -> Any:
    """What the application needs of ``container`` (a :class:`screens.app.Session`): the
    services, the change feed, the start notices, the call desk (its delay calls first) and the
    SLA sweeper, which
    share the session's database, clock and user. ``overrides`` replace any of them."""
    from functools import partial

    from callcenter import watch
    from callcenter.services.calls import CallDesk
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
    if "call_desk" not in overrides and parts["delay_calls"] is not None:
        parts["call_desk"] = CallDesk(container.services, parts["delay_calls"])
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
