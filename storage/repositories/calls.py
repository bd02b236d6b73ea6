"""The call desk's tasks and attempts (``callcenter.ports.CallTaskRepository``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from callcenter.calls.model import CallAttempt, CallTask
from callcenter.i18n import _
from storage.convert import to_domain, to_row
from storage.repositories._common import Touch, _save_versioned
from storage.tables import CallAttemptRow, CallTaskRow, CaseRow, ServiceRecordRow


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

    def add_unique(self, task: CallTask) -> CallTask | None:
        if task.unique_key is None:
            return self.add(task)
        if self.keys_taken([task.unique_key]):
            return None
        row = CallTaskRow()
        to_row(task, row)
        _derived(row)
        row.version = 1
        try:
            with self.session.begin_nested():
                self.session.add(row)
                self.session.flush()
        except IntegrityError:
            return None  # another session added it first: the unique key decides
        task.id, task.version, task.next_try_at = row.id, row.version, row.next_try_at
        self.touch("call_task", row.id)
        return task

    def keys_taken(self, keys: Iterable[str]) -> set[str]:
        wanted = list(keys)
        if not wanted:
            return set()
        return set(
            self.session.scalars(
                select(CallTaskRow.unique_key).where(CallTaskRow.unique_key.in_(wanted))
            )
        )

    def revisit_candidates(
        self, completed_after: datetime, completed_before: datetime, kind: str, limit: int
    ) -> list[tuple[int, int | None, datetime]]:
        owed = exists().where(CallTaskRow.case_id == CaseRow.id, CallTaskRow.kind == kind)
        rows = self.session.execute(
            select(CaseRow.id, CaseRow.customer_id, CaseRow.completed_at)
            .join(ServiceRecordRow, ServiceRecordRow.case_id == CaseRow.id)
            .where(
                CaseRow.status == "closed",
                CaseRow.completed_at.is_not(None),
                CaseRow.completed_at >= completed_after,
                CaseRow.completed_at < completed_before,
                ServiceRecordRow.voided_at.is_(None),
                ~owed,
            )
            .order_by(CaseRow.completed_at, CaseRow.id)
            .limit(limit)
        )
        return [(case_id, customer_id, at) for case_id, customer_id, at in rows if at is not None]

    def for_customer(
        self, customer_id: int, phone: str, limit: int
    ) -> list[tuple[CallTask, list[CallAttempt], str]]:
        their_cases = select(CaseRow.id).where(CaseRow.customer_id == customer_id)
        about = [
            CallTaskRow.customer_id == customer_id,
            CallTaskRow.case_id.in_(their_cases),
        ]
        if phone:
            about.append(CallTaskRow.contact_phone == phone)
        rows = list(
            self.session.scalars(
                select(CallTaskRow)
                .where(or_(*about))
                .order_by(CallTaskRow.created_at.desc(), CallTaskRow.id.desc())
                .limit(limit)
            )
        )
        if not rows:
            return []
        ids = [r.id for r in rows]
        attempts: dict[int, list[CallAttempt]] = {i: [] for i in ids}
        for row in self.session.scalars(
            select(CallAttemptRow)
            .where(CallAttemptRow.task_id.in_(ids))
            .order_by(CallAttemptRow.at, CallAttemptRow.id)
        ):
            attempts[row.task_id].append(to_domain(CallAttempt, row))
        case_ids = {r.case_id for r in rows if r.case_id is not None}
        numbers: dict[int, str] = {}
        if case_ids:
            query = select(CaseRow.id, CaseRow.number).where(CaseRow.id.in_(case_ids))
            numbers = {case_id: number for case_id, number in self.session.execute(query)}
        return [
            (
                to_domain(CallTask, r),
                attempts[r.id],
                numbers.get(r.case_id, "") if r.case_id is not None else "",
            )
            for r in rows
        ]
