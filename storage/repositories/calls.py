"""The call desk's tasks and attempts (``callcenter.ports.CallTaskRepository``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from callcenter.calls.model import CallAttempt, CallTask
from callcenter.i18n import _
from storage.convert import to_domain, to_row
from storage.repositories._common import Touch, _save_versioned
from storage.tables import CallAttemptRow, CallTaskRow


def _derived(row: CallTaskRow) -> None:
    row.is_open = row.state == "open"
    if row.next_try_at is None:
        row.next_try_at = row.due_at


class SqlCallTaskRepository:
    def __init__(self, session: Session, touch: Touch, lock: bool = False) -> None:
        self.session = session
        self.touch = touch
        self.lock = lock  # a writing unit of work locks what it reads (PostgreSQL)

    def add(self, task: CallTask) -> CallTask:
        row = CallTaskRow()
        to_row(task, row)
        _derived(row)
        row.version = 1
        self.session.add(row)
        self.session.flush()
        task.id, task.version, task.next_try_at = row.id, row.version, row.next_try_at
        self.touch("call_task", row.id)
        return task

    def add_unless_keyed(self, task: CallTask) -> CallTask | None:
        """Add ``task`` unless one with its ``dedupe_key`` exists (any writer, any time):
        the task added, or None. A savepoint keeps the transaction usable on a clash."""
        assert task.dedupe_key
        exists = self.session.scalar(
            select(CallTaskRow.id).where(CallTaskRow.dedupe_key == task.dedupe_key)
        )
        if exists is not None:
            return None
        try:
            with self.session.begin_nested():
                return self.add(task)
        except IntegrityError:
            return None

    def get(self, task_id: int) -> CallTask | None:
        row = self.session.get(
            CallTaskRow, task_id, with_for_update=self.lock, populate_existing=self.lock
        )
        return to_domain(CallTask, row) if row else None

    def save(self, task: CallTask) -> CallTask:
        return _save_versioned(
            self.session,
            self.touch,
            CallTaskRow,
            task,
            "call_task",
            _("This call no longer exists."),
            who=lambda row: (row.claimed_by or row.closed_by or "", row.claimed_at),
            extra=_derived,
        )

    def open_due(self, until: datetime, kinds: Iterable[str]) -> list[CallTask]:
        names = list(kinds)
        if not names:
            return []
        rows = self.session.scalars(
            select(CallTaskRow)
            .where(
                CallTaskRow.is_open.is_(True),
                CallTaskRow.next_try_at <= until,
                CallTaskRow.kind.in_(names),
            )
            .order_by(CallTaskRow.next_try_at, CallTaskRow.id)
        )
        return [to_domain(CallTask, r) for r in rows]

    def open_for(
        self, *, case_id: int | None = None, customer_id: int | None = None
    ) -> list[CallTask]:
        query = select(CallTaskRow).where(CallTaskRow.is_open.is_(True))
        if case_id is not None:
            query = query.where(CallTaskRow.case_id == case_id)
        if customer_id is not None:
            query = query.where(CallTaskRow.customer_id == customer_id)
        rows = self.session.scalars(query.order_by(CallTaskRow.next_try_at, CallTaskRow.id))
        return [to_domain(CallTask, r) for r in rows]

    def for_case(self, case_id: int, kind: str | None = None) -> list[CallTask]:
        query = select(CallTaskRow).where(CallTaskRow.case_id == case_id)
        if kind is not None:
            query = query.where(CallTaskRow.kind == kind)
        if self.lock:
            query = query.with_for_update()
        rows = self.session.scalars(
            query.order_by(CallTaskRow.created_at, CallTaskRow.id).execution_options(
                populate_existing=self.lock
            )
        )
        return [to_domain(CallTask, r) for r in rows]

    def add_attempt(self, attempt: CallAttempt) -> CallAttempt:
        row = CallAttemptRow()
        to_row(attempt, row)
        self.session.add(row)
        self.session.flush()
        attempt.id = row.id
        return attempt

    def attempts(self, task_id: int) -> list[CallAttempt]:
        rows = self.session.scalars(
            select(CallAttemptRow)
            .where(CallAttemptRow.task_id == task_id)
            .order_by(CallAttemptRow.at, CallAttemptRow.id)
        )
        return [to_domain(CallAttempt, r) for r in rows]
