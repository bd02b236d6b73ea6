"""Crews: :class:`callcenter.ports.CrewRepository`."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.domain import Crew
from callcenter.i18n import _
from storage.convert import to_domain, to_row
from storage.repositories._common import Touch, _save_versioned
from storage.tables import CrewRow


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
