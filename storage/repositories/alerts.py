"""SLA alerts: :class:`callcenter.ports.AlertRepository`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from callcenter.domain import Alert, AlertKind
from callcenter.i18n import _
from callcenter.ports import AlertKey
from storage.convert import rows_to_domain, to_domain, to_row
from storage.repositories._common import Touch, _as, _chunks, _micros_of, _save_versioned
from storage.tables import AlertRow, CaseRow


class SqlAlertRepository:
    def __init__(self, session: Session, touch: Touch, lock: bool = False) -> None:
        self.session = session
        self.touch = touch
        self.lock = lock  # a writing unit of work locks what it reads (PostgreSQL)

    def add_if_absent(self, alert: Alert) -> Alert | None:
        if self._exists(alert.case_id, alert.kind, alert.deadline):
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

    def for_case(self, case_id: int) -> list[Alert]:
        rows = self.session.scalars(
            select(AlertRow).where(AlertRow.case_id == case_id).order_by(AlertRow.raised_at)
        )
        return [to_domain(Alert, r) for r in rows]

    def _exists(self, case_id: int, kind: AlertKind, deadline: datetime) -> bool:
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
