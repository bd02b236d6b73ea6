"""Crew assignments: :class:`callcenter.ports.AssignmentRepository`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from callcenter.domain import Assignment
from storage.convert import to_domain, to_row
from storage.tables import AssignmentRow


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
