"""The unit of work: one session, one transaction, rolled back unless committed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from types import TracebackType
from typing import Self

from sqlalchemy import Engine, delete, func, insert, literal, select
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from callcenter import ports
from callcenter.clock import Clock
from callcenter.errors import ConcurrencyConflict, DatabaseUnavailable
from callcenter.i18n import _
from storage import guard
from storage.engine import writer
from storage.repositories import (
    SqlAlertRepository,
    SqlAssignmentRepository,
    SqlAuditLog,
    SqlCallTaskRepository,
    SqlCaseRepository,
    SqlComplaintAlertRepository,
    SqlComplaintRepository,
    SqlCrewRepository,
    SqlCustomerRepository,
    SqlEscalationRepository,
    SqlEventLog,
    SqlHandoverRepository,
    SqlLedgerRepository,
    SqlReportRepository,
    SqlServiceRecordRepository,
    SqlStaffRepository,
    SqlSurveyRepository,
    SqlWatchRepository,
)
from storage.tables import ChangeRow

#: PostgreSQL: the channel every commit with changes notifies (``storage.feed.PgChangeFeed``).
#: The payload is ``"<lowest change id>;<id>:<entity>:<entity_id>,...;<schema>"``: the
#: changes themselves when they fit (the listeners then read nothing), else nothing between
#: the semicolons and the listeners read the table from the lowest id (a transaction that
#: took its ids early but committed late says where to read from). One database may hold
#: several schemas (the tests do): the listeners keep only their own.
CHANGES_CHANNEL = "callcenter_changes"
#: PostgreSQL refuses payloads of 8000 bytes or more; past this the listeners read the table.
NOTIFY_ITEMS_MAX = 7000
#: Rows of the ``changes`` table are kept this long, then pruned by a writer.
KEEP_CHANGES = timedelta(days=1)
#: Each process prunes at most this often (seconds), inside one of its write transactions.
PRUNE_EVERY_S = 600.0


def translate_db_error(exc: BaseException) -> BaseException:
    """Map driver errors to the domain's errors; others pass through unchanged."""
    if isinstance(exc, StaleDataError):
        return ConcurrencyConflict(
            _("This record was changed by someone else; reload it and try again.")
        )
    if isinstance(exc, OperationalError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    ):
        return DatabaseUnavailable(
            _("The database cannot be reached: {error}").format(
                error=str(exc.orig).strip().splitlines()[0] if getattr(exc, "orig", None) else exc
            )
        )
    return exc


def prune_changes(session: Session, before: datetime) -> None:
    """Delete change rows older than ``before``, always keeping the newest row.

    Keeping the newest row matters on SQLite: without AUTOINCREMENT an empty table would hand
    out ids again from 1, below every feed's last seen id.
    """
    newest = select(func.max(ChangeRow.id)).scalar_subquery()
    session.execute(
        delete(ChangeRow)
        .where(ChangeRow.at < before, ChangeRow.id < newest)
        .execution_options(synchronize_session=False)
    )


class _PruneSchedule:
    """True once every ``every`` seconds (per process, shared by all units of work)."""

    def __init__(self, every: float) -> None:
        self._every = every
        self._next = time.monotonic() + every
        self._lock = threading.Lock()

    def __call__(self) -> bool:
        with self._lock:
            now = time.monotonic()
            if now < self._next:
                return False
            self._next = now + self._every
            return True


class SqlUnitOfWork:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        lock: bool = False,
        *,
        notify: bool = False,
        prune_due: Callable[[], bool] | None = None,
    ) -> None:
        self._sessions = sessions
        self._lock = lock
        self._clock = clock
        self._changes: list[tuple[str, int]] = []
        self._notify = notify
        self._prune_due = prune_due

    def _touch(self, entity: str, entity_id: int) -> None:
        self._changes.append((entity, entity_id))

    def __enter__(self) -> Self:
        self.session = self._sessions()
        self._changes = []
        self.cases: ports.CaseRepository = SqlCaseRepository(self.session, self._touch, self._lock)
        self.crews: ports.CrewRepository = SqlCrewRepository(self.session, self._touch, self._lock)
        self.customers: ports.CustomerRepository = SqlCustomerRepository(self.session, self._touch)
        self.assignments: ports.AssignmentRepository = SqlAssignmentRepository(self.session)
        self.events: ports.EventLog = SqlEventLog(self.session)
        self.alerts: ports.AlertRepository = SqlAlertRepository(
            self.session, self._touch, self._lock
        )
        self.staff: ports.StaffRepository = SqlStaffRepository(self.session, self._touch)
        self.audit: ports.AuditLog = SqlAuditLog(self.session)
        self.watch: ports.WatchRepository = SqlWatchRepository(self.session)
        self.calls: ports.CallTaskRepository = SqlCallTaskRepository(
            self.session, self._touch, self._lock
        )
        self.records: ports.ServiceRecordRepository = SqlServiceRecordRepository(
            self.session, self._touch, self._lock
        )
        self.ledger: ports.LedgerRepository = SqlLedgerRepository(self.session, self._touch)
        self.surveys: ports.SurveyRepository = SqlSurveyRepository(self.session, self._touch)
        self.complaints: ports.ComplaintRepository = SqlComplaintRepository(
            self.session, self._touch, self._lock
        )
        self.complaint_alerts: ports.ComplaintAlertRepository = SqlComplaintAlertRepository(
            self.session, self._touch
        )
        self.escalations: ports.EscalationRepository = SqlEscalationRepository(
            self.session, self._touch, self._lock
        )
        self.reports: ports.ReportRepository = SqlReportRepository(self.session)
        self.handover: ports.HandoverRepository = SqlHandoverRepository(self.session, self._touch)
        return self

    @property
    def dashboard(self) -> ports.DashboardRepository:
        from storage.repositories.dashboard import SqlDashboardRepository

        return SqlDashboardRepository(self.session)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.session.rollback()
        except DBAPIError:
            pass
        finally:
            self.session.close()
        if exc is not None:
            translated = translate_db_error(exc)
            if translated is not exc:
                raise translated from exc

    def commit(self) -> None:
        if self._changes:
            now = self._clock.now()
            unique = list(dict.fromkeys(self._changes))
            rows = [{"entity": e, "entity_id": i, "at": now} for e, i in unique]
            if self._notify:
                # Delivered to the listeners only if (and when) this transaction commits.
                returning = ChangeRow.id, ChangeRow.entity, ChangeRow.entity_id
                inserted = self.session.execute(insert(ChangeRow).returning(*returning), rows).all()
                items = ",".join(f"{i}:{e}:{e_id}" for i, e, e_id in inserted)
                if len(items) > NOTIFY_ITEMS_MAX:
                    items = ""
                prefix = f"{min(r[0] for r in inserted)};{items};"
                payload = func.concat(literal(prefix), func.current_schema())
                self.session.execute(select(func.pg_notify(literal(CHANGES_CHANNEL), payload)))
            else:
                self.session.execute(insert(ChangeRow), rows)
            if self._prune_due is not None and self._prune_due():
                prune_changes(self.session, now - KEEP_CHANGES)
            self._changes = []
        self.session.commit()

    def rollback(self) -> None:
        self._changes = []
        self.session.rollback()


class SqlUnitOfWorkFactory:
    """Makes units of work; writers begin IMMEDIATE on SQLite, readers do not."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self._clock = clock
        self._write = sessionmaker(bind=writer(engine), expire_on_commit=False)
        self._read = sessionmaker(bind=engine, expire_on_commit=False)
        guard.install(self._write)
        self._notify = engine.dialect.name == "postgresql"
        self._prune_due = _PruneSchedule(PRUNE_EVERY_S)

    def __call__(self, *, write: bool = True) -> SqlUnitOfWork:
        # SQLite serialises writers with BEGIN IMMEDIATE; PostgreSQL locks the rows read.
        lock = write and self.engine.dialect.name != "sqlite"
        return SqlUnitOfWork(
            self._write if write else self._read,
            self._clock,
            lock,
            notify=self._notify,
            prune_due=self._prune_due if write else None,
        )
