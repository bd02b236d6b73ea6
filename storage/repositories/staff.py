"""Staff: :class:`callcenter.ports.StaffRepository`."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.domain import Staff
from callcenter.errors import ConcurrencyConflict
from callcenter.i18n import _
from storage.convert import to_domain, to_row
from storage.repositories._common import Touch
from storage.tables import StaffRow


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
