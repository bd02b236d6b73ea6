"""Repositories: the ports of ``callcenter.ports`` on a SQLAlchemy session."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    Integer,
    and_,
    bindparam,
    case,
    cast,
    func,
    insert,
    literal_column,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from callcenter.domain import (
    Alert,
    AlertKind,
    Assignment,
    Case,
    CaseEvent,
    Crew,
    Customer,
    Staff,
    Vehicle,
)
from callcenter.errors import ConcurrencyConflict
from callcenter.i18n import _
from callcenter.ports import AlertKey, AuditEntry, CaseClockView
from storage.convert import rows_to_domain, to_domain, to_row
from storage.tables import (
    WATCH_AT_ONCE,
    AlertRow,
    AssignmentRow,
    AuditRow,
    CaseEventRow,
    CaseRow,
    CrewRow,
    CustomerRow,
    StaffRow,
    VehicleRow,
    WatchStateRow,
)

Touch = Callable[[str, int], None]


def _check_version(row: Any, expected: int, who: str = "", when: Any = None) -> None:
    if row.version != expected:
        raise ConcurrencyConflict(
            _("This record was changed by someone else; reload it and try again."),
            changed_by=who,
            changed_at=when,
        )


def _save_versioned(
    session: Session,
    touch: Touch,
    row_cls: type[Any],
    obj: Any,
    entity: str,
    missing: str,
    who: Callable[[Any], tuple[str, Any]] = lambda row: ("", None),
    extra: Callable[[Any], None] = lambda row: None,
) -> Any:
    """Write ``obj`` back over its locked row if nobody changed it since it was read.

    ``who`` names the last writer for the conflict message; ``extra`` sets derived columns.
    """
    row = session.get(row_cls, obj.id, with_for_update=True, populate_existing=True)
    if row is None:
        raise ConcurrencyConflict(missing)
    _check_version(row, obj.version, *who(row))
    to_row(obj, row)
    extra(row)
    row.version = obj.version + 1
    session.flush()
    obj.version = row.version
    touch(entity, row.id)
    return obj


class SqlCaseRepository:
    def __init__(self, session: Session, touch: Touch, lock: bool = False) -> None:
        self.session = session
        self.touch = touch
        self.lock = lock  # a writing unit of work locks what it reads (PostgreSQL)

    def add(self, case: Case) -> Case:
        row = CaseRow()
        to_row(case, row)
        row.is_open = case.status.is_open
        row.version = 1
        self.session.add(row)
        self.session.flush()
        case.id, case.version = row.id, row.version
        self.touch("case", row.id)
        return case

    def get(self, case_id: int) -> Case | None:
        row = self.session.get(
            CaseRow, case_id, with_for_update=self.lock, populate_existing=self.lock
        )
        return to_domain(Case, row) if row else None

    def get_by_number(self, number: str) -> Case | None:
        row = self.session.scalar(select(CaseRow).where(CaseRow.number == number))
        return to_domain(Case, row) if row else None

    def save(self, case: Case) -> Case:
        def extra(row: CaseRow) -> None:
            row.is_open = case.status.is_open
            row.watch_at = WATCH_AT_ONCE  # changed: the SLA sweep judges it again

        return _save_versioned(
            self.session,
            self.touch,
            CaseRow,
            case,
            "case",
            _("This case no longer exists."),
            who=lambda row: (row.updated_by, row.updated_at),
            extra=extra,
        )

    def list_open(self) -> list[Case]:
        table = CaseRow.__table__
        result = self.session.execute(
            select(table).where(table.c.is_open.is_(True)).order_by(table.c.id)
        )
        return rows_to_domain(Case, result)

    def list_open_for_notice(self, until: datetime) -> list[Case]:
        c = CaseRow.__table__.c
        result = self.session.execute(
            select(CaseRow.__table__)
            .where(
                c.is_open.is_(True),
                c.arrived_at.is_(None),
                c.promised_arrival_at.is_not(None),
                or_(
                    c.promised_arrival_at <= until,
                    c.owner_notified_at.is_not(None),
                    c.original_promised_at != c.promised_arrival_at,
                ),
            )
            .order_by(c.id)
        )
        return rows_to_domain(Case, result)

    def list_by_ids(self, ids: Iterable[int]) -> list[Case]:
        ids = list(ids)
        if not ids:
            return []
        rows = self.session.scalars(select(CaseRow).where(CaseRow.id.in_(ids)))
        return [to_domain(Case, r) for r in rows]

    def recent_for(self, *, phone: str | None, plate: str | None, limit: int = 5) -> list[Case]:
        conditions = []
        if phone:
            conditions.append(CaseRow.phone == phone)
        if plate:
            conditions.append(CaseRow.plate == plate)
        if not conditions:
            return []
        rows = self.session.scalars(
            select(CaseRow)
            .where(or_(*conditions))
            .order_by(CaseRow.received_at.desc())
            .limit(limit)
        )
        return [to_domain(Case, r) for r in rows]

    def search(self, text: str, limit: int = 50) -> list[Case]:
        like = f"%{text.strip()}%"
        rows = self.session.scalars(
            select(CaseRow)
            .where(
                or_(
                    CaseRow.number.like(like),
                    CaseRow.plate.like(like),
                    CaseRow.phone.like(like),
                    CaseRow.caller_name.like(like),
                    CaseRow.address.like(like),
                )
            )
            .order_by(CaseRow.received_at.desc())
            .limit(limit)
        )
        return [to_domain(Case, r) for r in rows]

    def next_number(self, day: str) -> str:
        last = self.session.scalar(
            select(func.max(CaseRow.number)).where(CaseRow.number.like(f"{day}-%"))
        )
        seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
        return f"{day}-{seq:04d}"

    def count(self) -> int:
        return self.session.scalar(select(func.count()).select_from(CaseRow)) or 0

    def arrivals_between(self, start: datetime, end: datetime) -> tuple[int, int]:
        """(arrivals, of which on time) of the crews that arrived in [start, end)."""
        on_time = case((CaseRow.arrived_at <= CaseRow.promised_arrival_at, 1), else_=0)
        row = self.session.execute(
            select(func.count(), func.coalesce(func.sum(on_time), 0)).where(
                CaseRow.arrived_at >= start, CaseRow.arrived_at < end
            )
        ).one()
        return int(row[0]), int(row[1])

    def numbers(self, ids: Iterable[int]) -> dict[int, str]:
        found: dict[int, str] = {}
        for chunk in _chunks(ids):
            rows = self.session.execute(
                select(CaseRow.id, CaseRow.number).where(CaseRow.id.in_(chunk))
            )
            found.update({case_id: number for case_id, number in rows})
        return found


T = TypeVar("T")


def _as(cls: type[T], rows: Iterable[Sequence[Any]]) -> list[T]:
    """``rows`` as the named tuple ``cls`` (the columns in its order). ``tuple.__new__`` with
    no per-row ``_make`` call: half the cost over the 18,000 rows of a sweep that judges
    every open case (the first on a database)."""
    return list(map(partial(tuple.__new__, cls), rows))  # type: ignore[type-var]


def _chunks(ids: Iterable[int], size: int = 5000) -> Iterable[list[int]]:
    """The sorted ids in chunks small enough for ``IN``."""
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), size):
        yield wanted[start : start + size]


def _micros_of(session: Session) -> Callable[[Any], Any]:
    """A SQL expression for a datetime column as integer microseconds since the epoch, UTC.

    Computed by the database, so the sweep reads plain integers: no datetime objects are
    built for 10,000 rows. Exact: SQLite stores ``YYYY-MM-DD HH:MM:SS.ffffff`` (UTC);
    PostgreSQL's epoch is a double, exact to well under a microsecond for this century.
    """
    dialect = session.get_bind().dialect
    if dialect.name == "sqlite":
        version = getattr(dialect.dbapi, "sqlite_version_info", (0,))

        def seconds_of(text: Any) -> Any:
            if version >= (3, 38):  # unixepoch(): the same value, quicker
                return func.unixepoch(text)
            return cast(func.strftime(literal_column("'%s'"), text), Integer)

        def sqlite_micros(column: Any) -> Any:
            # SQLite reads a fraction of a second to the millisecond, rounded: the whole
            # seconds of "...:12.9996" would count as 13. Only a fraction that starts with 999
            # can round up, so only then (one value in a thousand) are the whole seconds read
            # from the first 19 characters: the substr() that takes, on every value, costs 2
            # of the 19 ms of reading 10,000 open cases.
            def part(start: int, length: int) -> Any:
                return func.substr(column, literal_column(str(start)), literal_column(str(length)))

            seconds = case(
                (part(21, 3) == literal_column("'999'"), seconds_of(part(1, 19))),
                else_=seconds_of(column),
            )
            fraction = cast(part(21, 6), Integer)
            return type_coerce(seconds * literal_column("1000000") + fraction, Integer)

        return sqlite_micros

    def pg_micros(column: Any) -> Any:
        # The cast rounds to the nearest integer (as round() would: the product is within a
        # quarter of a microsecond of it).
        epoch = func.date_part(literal_column("'epoch'"), column)
        return cast(epoch * literal_column("1000000"), BigInteger)

    return pg_micros


class SqlCrewRepository:
    def __init__(self, session: Session, touch: Touch, lock: bool = False) -> None:
        self.session = session
        self.touch = touch
        self.lock = lock  # a writing unit of work locks what it reads (PostgreSQL)

    def add(self, crew: Crew) -> Crew:
        row = CrewRow()
        to_row(crew, row)
        row.version = 1
        self.session.add(row)
        self.session.flush()
        crew.id, crew.version = row.id, row.version
        self.touch("crew", row.id)
        return crew

    def get(self, crew_id: int) -> Crew | None:
        row = self.session.get(
            CrewRow, crew_id, with_for_update=self.lock, populate_existing=self.lock
        )
        return to_domain(Crew, row) if row else None

    def save(self, crew: Crew) -> Crew:
        return _save_versioned(
            self.session, self.touch, CrewRow, crew, "crew", _("This crew no longer exists.")
        )

    def list(self) -> list[Crew]:
        rows = self.session.scalars(select(CrewRow).order_by(CrewRow.code))
        return [to_domain(Crew, r) for r in rows]


class SqlCustomerRepository:
    def __init__(self, session: Session, touch: Touch, lock: bool = False) -> None:
        self.session = session
        self.touch = touch
        self.lock = lock  # a writing unit of work locks what it reads (PostgreSQL)

    def _load(self, row: CustomerRow) -> Customer:
        customer = to_domain(Customer, row)
        vehicles = self.session.scalars(
            select(VehicleRow).where(VehicleRow.customer_id == row.id).order_by(VehicleRow.id)
        )
        customer.vehicles = [to_domain(Vehicle, v) for v in vehicles]
        return customer

    def add(self, customer: Customer) -> Customer:
        row = CustomerRow()
        to_row(customer, row)
        row.version = 1
        self.session.add(row)
        self.session.flush()
        customer.id, customer.version = row.id, row.version
        for vehicle in customer.vehicles:
            vehicle.customer_id = row.id
            self.add_vehicle(vehicle)
        self.touch("customer", row.id)
        return customer

    def get(self, customer_id: int) -> Customer | None:
        row = self.session.get(CustomerRow, customer_id)
        return self._load(row) if row else None

    def save(self, customer: Customer) -> Customer:
        return _save_versioned(
            self.session,
            self.touch,
            CustomerRow,
            customer,
            "customer",
            _("This customer no longer exists."),
        )

    def find_by_phone(self, phone: str) -> Customer | None:
        row = self.session.scalar(
            select(CustomerRow).where(CustomerRow.phone == phone).order_by(CustomerRow.id)
        )
        return self._load(row) if row else None

    def find_by_plate(self, plate: str) -> tuple[Customer, Vehicle] | None:
        vrow = self.session.scalar(select(VehicleRow).where(VehicleRow.plate == plate))
        if vrow is None:
            return None
        customer = self.get(vrow.customer_id)
        assert customer is not None
        return customer, to_domain(Vehicle, vrow)

    def add_vehicle(self, vehicle: Vehicle) -> Vehicle:
        row = VehicleRow()
        to_row(vehicle, row, skip=("id",))
        self.session.add(row)
        self.session.flush()
        vehicle.id = row.id
        return vehicle

    def count(self) -> int:
        return self.session.scalar(select(func.count()).select_from(CustomerRow)) or 0


class SqlAssignmentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, assignment: Assignment) -> Assignment:
        row = AssignmentRow()
        to_row(assignment, row, skip=("id",))
        self.session.add(row)
        self.session.flush()
        assignment.id = row.id
        return assignment

    def current_for_case(self, case_id: int) -> Assignment | None:
        row = self.session.scalar(
            select(AssignmentRow).where(
                and_(AssignmentRow.case_id == case_id, AssignmentRow.released_at.is_(None))
            )
        )
        return to_domain(Assignment, row) if row else None

    def release(self, case_id: int, at: datetime) -> None:
        for row in self.session.scalars(
            select(AssignmentRow).where(
                and_(AssignmentRow.case_id == case_id, AssignmentRow.released_at.is_(None))
            )
        ):
            row.released_at = at
        self.session.flush()


class SqlEventLog:
    def __init__(self, session: Session) -> None:
        self.session = session

    def append(self, event: CaseEvent) -> CaseEvent:
        row = CaseEventRow()
        to_row(event, row, skip=("id",))
        self.session.add(row)
        self.session.flush()
        event.id = row.id
        return event

    def for_case(self, case_id: int) -> list[CaseEvent]:
        rows = self.session.scalars(
            select(CaseEventRow)
            .where(CaseEventRow.case_id == case_id)
            .order_by(CaseEventRow.at, CaseEventRow.id)
        )
        return [to_domain(CaseEvent, r) for r in rows]

    def append_many(self, events: Sequence[CaseEvent]) -> None:
        if not events:
            return
        self.session.execute(
            insert(CaseEventRow),
            [
                {
                    "case_id": e.case_id,
                    "at": e.at,
                    "actor": e.actor,
                    "kind": e.kind,
                    "details": e.details,
                }
                for e in events
            ],
        )


class SqlAlertRepository:
    def __init__(self, session: Session, touch: Touch, lock: bool = False) -> None:
        self.session = session
        self.touch = touch
        self.lock = lock  # a writing unit of work locks what it reads (PostgreSQL)

    def add_if_absent(self, alert: Alert) -> Alert | None:
        if self.exists(alert.case_id, alert.kind, alert.deadline):
            return None
        row = AlertRow()
        to_row(alert, row)
        row.version = 1
        try:
            with self.session.begin_nested():
                self.session.add(row)
                self.session.flush()
        except IntegrityError:
            return None  # another session raised it first: the unique key decides
        alert.id, alert.version = row.id, row.version
        self.touch("alert", row.id)
        return alert

    def get(self, alert_id: int) -> Alert | None:
        row = self.session.get(
            AlertRow, alert_id, with_for_update=self.lock, populate_existing=self.lock
        )
        return to_domain(Alert, row) if row else None

    def save(self, alert: Alert) -> Alert:
        return _save_versioned(
            self.session,
            self.touch,
            AlertRow,
            alert,
            "alert",
            _("This alert no longer exists."),
            who=lambda row: (row.claimed_by or "", row.claimed_at),
        )

    def open_alerts(self) -> list[Alert]:
        rows = self.session.scalars(
            select(AlertRow).where(AlertRow.resolved_at.is_(None)).order_by(AlertRow.raised_at)
        )
        return [to_domain(Alert, r) for r in rows]

    def for_case(self, case_id: int) -> list[Alert]:
        rows = self.session.scalars(
            select(AlertRow).where(AlertRow.case_id == case_id).order_by(AlertRow.raised_at)
        )
        return [to_domain(Alert, r) for r in rows]

    def exists(self, case_id: int, kind: AlertKind, deadline: datetime) -> bool:
        return (
            self.session.scalar(
                select(AlertRow.id).where(
                    AlertRow.case_id == case_id,
                    AlertRow.kind == kind.value,
                    AlertRow.deadline == deadline,
                )
            )
            is not None
        )

    def insert_new(self, alerts: Sequence[Alert]) -> list[Alert]:
        if not alerts:
            return []
        table: Any = AlertRow.__table__
        dialect = self.session.get_bind().dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            base: Any = pg_insert(table)
        elif dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            base = sqlite_insert(table)
        else:  # pragma: no cover - only SQLite and PostgreSQL are supported
            raise NotImplementedError(dialect)
        stmt = base.on_conflict_do_nothing(
            index_elements=["case_id", "kind", "deadline"]
        ).returning(table.c.id, table.c.case_id, table.c.kind, table.c.deadline)
        by_key = {(a.case_id, a.kind.value, a.deadline): a for a in alerts}
        params = [
            {
                "case_id": a.case_id,
                "kind": a.kind.value,
                "deadline": a.deadline,
                "raised_at": a.raised_at,
                "claimed_by": a.claimed_by,
                "claimed_at": a.claimed_at,
                "resolved_at": a.resolved_at,
                "resolved_by": a.resolved_by,
                "snooze_until": a.snooze_until,
                "outcome": a.outcome,
                "version": 1,
            }
            for a in by_key.values()
        ]
        inserted: list[Alert] = []
        for row_id, case_id, kind, deadline in self.session.execute(stmt, params):
            alert = by_key[(case_id, kind, deadline)]
            alert.id, alert.version = row_id, 1
            self.touch("alert", row_id)
            inserted.append(alert)
        return inserted

    def keys_of_cases(self, case_ids: Iterable[int]) -> list[AlertKey]:
        keys: list[AlertKey] = []
        for chunk in _chunks(case_ids):
            rows = self.session.execute(self._keys().where(AlertRow.case_id.in_(chunk)))
            keys.extend(_as(AlertKey, rows))
        return keys

    def _keys(self) -> Any:
        return select(
            AlertRow.id,
            AlertRow.case_id,
            AlertRow.kind,
            _micros_of(self.session)(AlertRow.deadline),
            AlertRow.resolved_at.is_not(None),
            AlertRow.outcome,
        )

    def unresolved_of_open_cases(self, kinds: Iterable[AlertKind]) -> list[Alert]:
        rows = self.session.scalars(
            select(AlertRow)
            .join(CaseRow, CaseRow.id == AlertRow.case_id)
            .where(
                CaseRow.is_open.is_(True),
                AlertRow.resolved_at.is_(None),
                AlertRow.kind.in_([k.value for k in kinds]),
            )
            .order_by(AlertRow.raised_at, AlertRow.id)
        )
        return [to_domain(Alert, r) for r in rows]

    def resolve_unclaimed(
        self, alert_ids: Iterable[int], *, at: datetime, by: str, outcome: str
    ) -> list[int]:
        ids = sorted(set(alert_ids))
        if not ids:
            return []
        free = AlertRow.resolved_at.is_(None), AlertRow.claimed_by.is_(None)
        # PostgreSQL: skip rows an operator holds right now; the next sweep gets them.
        lockable = (
            select(AlertRow.id)
            .where(AlertRow.id.in_(ids), *free)
            .order_by(AlertRow.id)
            .with_for_update(skip_locked=True)
        )
        done = list(
            self.session.scalars(
                update(AlertRow)
                .where(AlertRow.id.in_(lockable), *free)
                .values(
                    resolved_at=at,
                    resolved_by=by,
                    outcome=outcome,
                    version=AlertRow.version + 1,
                )
                .returning(AlertRow.id)
                .execution_options(synchronize_session=False)
            )
        )
        for alert_id in done:
            self.touch("alert", alert_id)
        return done

    def for_cases(self, case_ids: Iterable[int], kinds: Iterable[AlertKind]) -> list[Alert]:
        ids = list(case_ids)
        if not ids:
            return []
        c = AlertRow.__table__.c
        result = self.session.execute(
            select(AlertRow.__table__)
            .where(c.case_id.in_(ids), c.kind.in_([k.value for k in kinds]))
            .order_by(c.raised_at, c.id)
        )
        return rows_to_domain(Alert, result)


class SqlWatchRepository:
    """The SLA sweep's schedule: ``cases.watch_at`` and the ``watch_state`` row."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def due(self, until: datetime) -> list[CaseClockView]:
        return _as(CaseClockView, self.session.execute(self._due_query(until)))

    def _due_query(self, until: datetime) -> Any:
        micros = _micros_of(self.session)
        return select(
            CaseRow.id,
            CaseRow.policy,
            CaseRow.priority,
            CaseRow.plan,
            micros(CaseRow.received_at),
            micros(CaseRow.dispatched_at),
            micros(CaseRow.arrived_at),
            micros(CaseRow.completed_at),
            micros(CaseRow.feedback_at),
            micros(CaseRow.promised_arrival_at),
            CaseRow.version,
            micros(CaseRow.watch_at),
        ).where(CaseRow.is_open.is_(True), CaseRow.watch_at <= until)

    def schedule(self, items: Iterable[tuple[int, int, datetime]]) -> None:
        # In the order of the ids: two sweepers locking the same cases never cross.
        params = [{"case_id": c, "seen": v, "watch_at": w} for c, v, w in sorted(items)]
        if not params:
            return
        table: Any = CaseRow.__table__
        stmt = (
            update(table)
            .where(table.c.id == bindparam("case_id"), table.c.version == bindparam("seen"))
            .values(watch_at=bindparam("watch_at"))
        )
        self.session.execute(stmt, params)

    def rules(self) -> str | None:
        return self.session.scalar(select(WatchStateRow.rules).where(WatchStateRow.id == 1))

    def adopt(self, rules: str, *, at: datetime, by: str) -> int | None:
        # The state row's lock first: sweepers adopting at once take turns (PostgreSQL
        # would otherwise find two of them updating the same cases in different orders).
        state = self.session.get(WatchStateRow, 1, with_for_update=True, populate_existing=True)
        if state is not None and state.rules == rules:
            return None
        table: Any = CaseRow.__table__
        if self.session.get_bind().dialect.name == "postgresql":  # lock in the schedule's order
            self.session.execute(
                select(table.c.id)
                .where(table.c.is_open.is_(True))
                .order_by(table.c.id)
                .with_for_update()
            ).all()
        result: Any = self.session.execute(
            update(table).where(table.c.is_open.is_(True)).values(watch_at=WATCH_AT_ONCE)
        )
        if state is None:
            self.session.add(WatchStateRow(id=1, rules=rules, changed_at=at, changed_by=by))
        else:
            state.rules, state.changed_at, state.changed_by = rules, at, by
        self.session.flush()
        return int(result.rowcount or 0)


class SqlStaffRepository:
    def __init__(self, session: Session, touch: Touch, lock: bool = False) -> None:
        self.session = session
        self.touch = touch
        self.lock = lock  # a writing unit of work locks what it reads (PostgreSQL)

    def add(self, staff: Staff) -> Staff:
        row = StaffRow()
        to_row(staff, row)
        self.session.add(row)
        self.session.flush()
        staff.id = row.id
        self.touch("staff", row.id)
        return staff

    def get(self, username: str) -> Staff | None:
        row = self.session.scalar(select(StaffRow).where(StaffRow.username == username))
        return to_domain(Staff, row) if row else None

    def save(self, staff: Staff) -> Staff:
        row = self.session.scalar(select(StaffRow).where(StaffRow.username == staff.username))
        if row is None:
            raise ConcurrencyConflict(_("This staff member no longer exists."))
        to_row(staff, row)
        self.session.flush()
        self.touch("staff", row.id)
        return staff

    def list(self) -> list[Staff]:
        rows = self.session.scalars(select(StaffRow).order_by(StaffRow.username))
        return [to_domain(Staff, r) for r in rows]


class SqlAuditLog:
    """The general audit log (append-only): every change and every refused action."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def append(self, entry: AuditEntry) -> AuditEntry:
        row = AuditRow(
            at=entry.at,
            actor=entry.actor[:64],
            action=entry.action[:48],
            entity=entry.entity[:16],
            entity_id=entry.entity_id,
            allowed=entry.allowed,
            details=entry.details,
        )
        self.session.add(row)
        self.session.flush()
        entry.id = row.id
        return entry

    def recent(
        self, *, limit: int = 100, actor: str | None = None, allowed: bool | None = None
    ) -> list[AuditEntry]:
        query = select(AuditRow).order_by(AuditRow.at.desc(), AuditRow.id.desc()).limit(limit)
        if actor is not None:
            query = query.where(AuditRow.actor == actor)
        if allowed is not None:
            query = query.where(AuditRow.allowed.is_(allowed))
        return [
            AuditEntry(
                at=r.at,
                actor=r.actor,
                action=r.action,
                entity=r.entity,
                entity_id=r.entity_id,
                allowed=r.allowed,
                details=dict(r.details or {}),
                id=r.id,
            )
            for r in self.session.scalars(query)
        ]
