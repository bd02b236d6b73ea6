"""The SLA sweep's schedule: :class:`callcenter.ports.WatchRepository`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from callcenter.ports import CaseClockView
from storage.repositories._common import _as, _micros_of
from storage.tables import WATCH_AT_ONCE, CaseRow, WatchStateRow


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
