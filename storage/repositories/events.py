"""The case event log: :class:`callcenter.ports.EventLog`."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from callcenter.domain import CaseEvent
from storage.convert import to_domain, to_row
from storage.tables import CaseEventRow


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
