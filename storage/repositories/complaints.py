"""Complaints, their clocks' alerts and the escalations (``callcenter.ports``:
:class:`ComplaintRepository`, :class:`ComplaintAlertRepository`, :class:`EscalationRepository`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from callcenter.complaints.model import (
    Complaint,
    ComplaintAlert,
    CrewComplaints,
    Escalation,
)
from callcenter.i18n import _
from storage.convert import to_domain, to_row
from storage.repositories._common import Touch, _chunks, _save_versioned
from storage.tables import CaseEventRow, CaseRow, ComplaintAlertRow, ComplaintRow, EscalationRow


def _derived(row: ComplaintRow) -> None:
    row.is_open = row.status not in ("confirmed", "closed")


class SqlComplaintRepository:
    def __init__(self, session: Session, touch: Touch, lock: bool = False) -> None:
        self.session = session
        self.touch = touch
        self.lock = lock

    def add(self, complaint: Complaint) -> Complaint:
        row = ComplaintRow()
        to_row(complaint, row, skip=("id",))
        _derived(row)
        row.version = 1
        self.session.add(row)
        self.session.flush()
        complaint.id, complaint.version = row.id, row.version
        self.touch("complaint", row.id)
        return complaint

    def get(self, complaint_id: int) -> Complaint | None:
        row = self.session.get(
            ComplaintRow, complaint_id, with_for_update=self.lock, populate_existing=self.lock
        )
        return to_domain(Complaint, row) if row else None

    def by_task(self, task_id: int) -> Complaint | None:
        row = self.session.scalar(
            select(ComplaintRow).where(ComplaintRow.callback_task_id == task_id)
        )
        return to_domain(Complaint, row) if row else None

    def save(self, complaint: Complaint) -> Complaint:
        return _save_versioned(
            self.session,
            self.touch,
            ComplaintRow,
            complaint,
            "complaint",
            _("This complaint no longer exists."),
            who=lambda row: (row.updated_by or "", row.updated_at),
            extra=_derived,
        )

    def count_received_between(self, start: datetime, end: datetime) -> int:
        return (
            self.session.scalar(
                select(func.count())
                .select_from(ComplaintRow)
                .where(ComplaintRow.received_at >= start, ComplaintRow.received_at < end)
            )
            or 0
        )

    def find(
        self, *, open_only: bool = False, crew_id: int | None = None, limit: int = 500
    ) -> list[Complaint]:
        query = select(ComplaintRow)
        if open_only:
            query = query.where(ComplaintRow.is_open.is_(True))
        if crew_id is not None:
            query = query.where(ComplaintRow.crew_id == crew_id)
        rows = self.session.scalars(
            query.order_by(ComplaintRow.received_at.desc(), ComplaintRow.id.desc()).limit(limit)
        )
        return [to_domain(Complaint, r) for r in rows]

    def against_crew_since(self, crew_id: int, since: datetime) -> list[Complaint]:
        rows = self.session.scalars(
            select(ComplaintRow)
            .where(ComplaintRow.crew_id == crew_id, ComplaintRow.received_at >= since)
            .order_by(ComplaintRow.received_at, ComplaintRow.id)
        )
        return [to_domain(Complaint, r) for r in rows]

    def crew_counts(self, now: datetime, short: datetime, long: datetime) -> list[CrewComplaints]:
        """Complaints against each crew received since ``short`` and since ``long``."""
        recent = func.sum(case((ComplaintRow.received_at >= short, 1), else_=0))
        rows = self.session.execute(
            select(ComplaintRow.crew_id, recent, func.count())
            .where(
                ComplaintRow.crew_id.is_not(None),
                ComplaintRow.received_at >= long,
                ComplaintRow.received_at <= now,
            )
            .group_by(ComplaintRow.crew_id)
            .order_by(ComplaintRow.crew_id)
        ).all()
        return [CrewComplaints(int(c), int(s or 0), int(n)) for c, s, n in rows]

    def repeat_of(
        self, plate: str, fault_category: str, since: datetime, before: datetime
    ) -> tuple[int, str] | None:
        """The latest case for ``plate`` and ``fault_category`` completed in [since, before):
        (id, number)."""
        row = self.session.execute(
            select(CaseRow.id, CaseRow.number)
            .where(
                CaseRow.plate == plate,
                CaseRow.fault_category == fault_category,
                CaseRow.completed_at.is_not(None),
                CaseRow.completed_at >= since,
                CaseRow.completed_at < before,
            )
            .order_by(CaseRow.completed_at.desc(), CaseRow.id.desc())
            .limit(1)
        ).first()
        return (int(row[0]), str(row[1])) if row else None

    def count_events(self, kind: str, start: datetime, end: datetime) -> int:
        return (
            self.session.scalar(
                select(func.count())
                .select_from(CaseEventRow)
                .where(CaseEventRow.kind == kind, CaseEventRow.at >= start, CaseEventRow.at < end)
            )
            or 0
        )


class SqlComplaintAlertRepository:
    def __init__(self, session: Session, touch: Touch) -> None:
        self.session = session
        self.touch = touch

    def for_complaints(self, ids: Iterable[int]) -> list[ComplaintAlert]:
        out: list[ComplaintAlert] = []
        for chunk in _chunks(ids):
            rows = self.session.scalars(
                select(ComplaintAlertRow)
                .where(ComplaintAlertRow.complaint_id.in_(chunk))
                .order_by(ComplaintAlertRow.raised_at, ComplaintAlertRow.id)
            )
            out.extend(to_domain(ComplaintAlert, r) for r in rows)
        return out

    def by_ids(self, ids: Iterable[int]) -> list[tuple[ComplaintAlert, str]]:
        """The alerts ``ids`` with their complaint's number."""
        out: list[tuple[ComplaintAlert, str]] = []
        for chunk in _chunks(ids):
            rows = self.session.execute(
                select(ComplaintAlertRow, ComplaintRow.number)
                .join(ComplaintRow, ComplaintRow.id == ComplaintAlertRow.complaint_id)
                .where(ComplaintAlertRow.id.in_(chunk))
                .order_by(ComplaintAlertRow.id)
            ).all()
            out.extend((to_domain(ComplaintAlert, row), str(number)) for row, number in rows)
        return out

    def add_if_absent(self, alert: ComplaintAlert) -> ComplaintAlert | None:
        """Insert ``alert`` unless one with its (complaint, kind, deadline) exists: the
        database's unique key decides between sessions sweeping at once."""
        exists = self.session.scalar(
            select(ComplaintAlertRow.id).where(
                ComplaintAlertRow.complaint_id == alert.complaint_id,
                ComplaintAlertRow.kind == alert.kind.value,
                ComplaintAlertRow.deadline == alert.deadline,
            )
        )
        if exists is not None:
            return None
        row = ComplaintAlertRow()
        to_row(alert, row, skip=("id",))
        try:
            with self.session.begin_nested():
                self.session.add(row)
                self.session.flush()
        except IntegrityError:
            return None
        alert.id = row.id
        self.touch("complaint_alert", row.id)
        self.touch("complaint", alert.complaint_id)
        return alert

    def resolve(self, ids: Sequence[int], *, at: datetime, outcome: str) -> None:
        if not ids:
            return
        self.session.execute(
            update(ComplaintAlertRow)
            .where(ComplaintAlertRow.id.in_(list(ids)), ComplaintAlertRow.resolved_at.is_(None))
            .values(resolved_at=at, outcome=outcome)
        )
        for i in ids:
            self.touch("complaint_alert", i)


class SqlEscalationRepository:
    def __init__(self, session: Session, touch: Touch, lock: bool = False) -> None:
        self.session = session
        self.touch = touch
        self.lock = lock

    def add_if_absent(self, escalation: Escalation) -> Escalation | None:
        if self.session.scalar(select(EscalationRow.id).where(EscalationRow.key == escalation.key)):
            return None
        row = EscalationRow()
        to_row(escalation, row, skip=("id",))
        row.version = 1
        try:
            with self.session.begin_nested():
                self.session.add(row)
                self.session.flush()
        except IntegrityError:
            return None
        escalation.id, escalation.version = row.id, row.version
        self.touch("escalation", row.id)
        return escalation

    def get(self, escalation_id: int) -> Escalation | None:
        row = self.session.get(
            EscalationRow, escalation_id, with_for_update=self.lock, populate_existing=self.lock
        )
        return to_domain(Escalation, row) if row else None

    def save(self, escalation: Escalation) -> Escalation:
        return _save_versioned(
            self.session,
            self.touch,
            EscalationRow,
            escalation,
            "escalation",
            _("This escalation no longer exists."),
            who=lambda row: (row.acknowledged_by or "", row.acknowledged_at),
        )

    def recent(self, since: datetime, *, unacknowledged_only: bool = False) -> list[Escalation]:
        """Escalations raised since ``since`` (and every one not yet acknowledged), newest
        first."""
        query = select(EscalationRow)
        if unacknowledged_only:
            query = query.where(EscalationRow.acknowledged_at.is_(None))
        else:
            query = query.where(
                (EscalationRow.raised_at >= since) | EscalationRow.acknowledged_at.is_(None)
            )
        rows = self.session.scalars(
            query.order_by(EscalationRow.raised_at.desc(), EscalationRow.id.desc()).limit(200)
        )
        return [to_domain(Escalation, r) for r in rows]
