"""The unit of work: one session, one transaction, rolled back unless committed."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Engine, insert
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from callcenter.clock import Clock
from callcenter.errors import ConcurrencyConflict, DatabaseUnavailable
from callcenter.i18n import _
from storage.engine import writer
from storage.repository import (
    SqlAlertRepository,
    SqlAssignmentRepository,
    SqlCaseRepository,
    SqlCrewRepository,
    SqlCustomerRepository,
    SqlEventLog,
    SqlStaffRepository,
)
from storage.tables import ChangeRow


def translate_db_error(exc: BaseException) -> BaseException:
    """Map driver errors to the domain's errors; others pass through unchanged."""
    if isinstance(exc, StaleDataError):
        return ConcurrencyConflict(
            _("This record was changed by someone else; reload it and try again.")
        )
    if isinstance(exc, OperationalError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    ):
        return DatabaseUnavailable(_("The database cannot be reached: {error}").format(
            error=str(exc.orig).strip().splitlines()[0] if getattr(exc, "orig", None) else exc
        ))
    return exc


class SqlUnitOfWork:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock, lock: bool = False) -> None:
        self._sessions = sessions
        self._lock = lock
        self._clock = clock
        self._changes: list[tuple[str, int]] = []

    def _touch(self, entity: str, entity_id: int) -> None:
        self._changes.append((entity, entity_id))

    def __enter__(self) -> Self:
        self.session = self._sessions()
        self._changes = []
        self.cases = SqlCaseRepository(self.session, self._touch, self._lock)
        self.crews = SqlCrewRepository(self.session, self._touch, self._lock)
        self.customers = SqlCustomerRepository(self.session, self._touch)
        self.assignments = SqlAssignmentRepository(self.session)
        self.events = SqlEventLog(self.session)
        self.alerts = SqlAlertRepository(self.session, self._touch, self._lock)
        self.staff = SqlStaffRepository(self.session, self._touch)
        return self

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
            self.session.execute(
                insert(ChangeRow),
                [{"entity": e, "entity_id": i, "at": now} for e, i in unique],
            )
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

    def __call__(self, *, write: bool = True) -> SqlUnitOfWork:
        # SQLite serialises writers with BEGIN IMMEDIATE; PostgreSQL locks the rows read.
        lock = write and self.engine.dialect.name != "sqlite"
        return SqlUnitOfWork(self._write if write else self._read, self._clock, lock)
