"""Cases: the ``cases`` table behind :class:`callcenter.ports.CaseRepository`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from callcenter.domain import Case
from callcenter.i18n import _
from callcenter.search import SearchTerms
from storage.convert import rows_to_domain, to_domain, to_row
from storage.repositories._common import Touch, _chunks, _save_versioned, like
from storage.tables import WATCH_AT_ONCE, CaseRow


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

    def add_many(self, cases: Sequence[Case]) -> None:
        rows = []
        for item in cases:
            row = CaseRow()
            to_row(item, row)
            row.is_open = item.status.is_open
            row.version = 1
            rows.append(row)
        self.session.add_all(rows)
        self.session.flush()  # one INSERT … RETURNING id for them all
        for item, row in zip(cases, rows, strict=True):
            item.id, item.version = row.id, row.version
            self.touch("case", row.id)

    def get(self, case_id: int) -> Case | None:
        row = self.session.get(
            CaseRow, case_id, with_for_update=self.lock, populate_existing=self.lock
        )
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

    def search(self, terms: SearchTerms, limit: int = 50) -> list[Case]:
        """Cases whose number, plate, phone, caller or address matches what was typed,
        normalised (``callcenter.search``): the newest first (every case when empty)."""
        conditions = _search_conditions(terms)
        query = select(CaseRow)
        if conditions:
            query = query.where(or_(*conditions))
        rows = self.session.scalars(
            query.order_by(CaseRow.received_at.desc(), CaseRow.id.desc()).limit(limit)
        )
        return [to_domain(Case, r) for r in rows]

    def for_customer(self, customer_id: int, limit: int = 200) -> list[Case]:
        """The cases of an archive entry, the newest first."""
        rows = self.session.scalars(
            select(CaseRow)
            .where(CaseRow.customer_id == customer_id)
            .order_by(CaseRow.received_at.desc(), CaseRow.id.desc())
            .limit(limit)
        )
        return [to_domain(Case, r) for r in rows]

    def by_number(self, number: str) -> Case | None:
        row = self.session.scalars(select(CaseRow).where(CaseRow.number == number)).first()
        return to_domain(Case, row) if row is not None else None

    def ids_by_number(self, numbers: Iterable[str]) -> dict[str, int]:
        wanted = sorted(set(numbers))
        found: dict[str, int] = {}
        for start in range(0, len(wanted), 1000):
            chunk = wanted[start : start + 1000]
            rows = self.session.execute(
                select(CaseRow.number, CaseRow.id).where(CaseRow.number.in_(chunk))
            )
            found.update({number: case_id for number, case_id in rows})
        return found

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


def _search_conditions(terms: SearchTerms) -> list[Any]:
    conditions: list[Any] = []
    if terms.text and not terms.whole_plate:
        pattern = like(terms.text)
        conditions.append(CaseRow.number.like(pattern, escape="\\"))
        if not terms.phone_only:
            conditions += [
                CaseRow.caller_name.ilike(pattern, escape="\\"),
                CaseRow.address.ilike(pattern, escape="\\"),
            ]
    if terms.number:
        conditions.append(CaseRow.number.like(like(terms.number), escape="\\"))
    if terms.plate:
        conditions.append(
            CaseRow.plate == terms.plate
            if terms.whole_plate
            else CaseRow.plate.like(like(terms.plate), escape="\\")
        )
    if terms.phone:
        conditions.append(CaseRow.phone.like(like(terms.phone), escape="\\"))
    return conditions
