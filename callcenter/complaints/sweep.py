"""The complaints' part of the SLA sweep: their clocks watched like a case's.

For each open complaint, each clock still running (the responsible person told, a plan, the
resolution and call-back) raises an *at risk* alert within its window and an *overdue* alert
once its deadline passed — each exactly once: the database's unique key (complaint, kind,
deadline) decides, whatever the number of sessions sweeping. An overdue clock also goes to
the supervisors at once (an escalation, once per complaint and clock). Alerts whose clock has
stopped, or whose complaint is no longer open, are closed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo

from callcenter import sla
from callcenter.complaints.model import (
    AlertKind,
    ComplaintAlert,
    Escalation,
    EscalationKind,
    due_alerts,
)
from callcenter.errors import CallCenterError
from callcenter.ports import UnitOfWorkFactory

log = logging.getLogger(__name__)

OUTCOME_CLOCK_STOPPED = "clock_stopped"


@dataclass(frozen=True)
class RaisedComplaintAlert:
    complaint_id: int
    number: str
    kind: AlertKind
    deadline: datetime


def sweep_complaints(
    uow_factory: UnitOfWorkFactory,
    now: datetime,
    policies: Callable[[str], sla.Policy],
    *,
    actor: str,
    tz: tzinfo,
) -> list[RaisedComplaintAlert]:
    """One look at every open complaint: the new alerts (inserted), the stale ones closed,
    an escalation for each clock overdue (in the same transaction)."""
    with uow_factory(write=False) as uow:
        open_ = uow.complaints.find(open_only=True, limit=100_000)
        if not open_:
            return []
        existing = uow.complaint_alerts.for_complaints(c.id for c in open_ if c.id is not None)
    known = {(a.complaint_id, a.kind, a.deadline) for a in existing}
    unresolved = {a.id: a for a in existing if a.resolved_at is None and a.id is not None}
    new: list[tuple[int, str, AlertKind, datetime]] = []
    keep: set[int] = set()
    by_id = {c.id: c for c in open_}
    for complaint in open_:
        assert complaint.id is not None
        try:
            policy = policies(complaint.policy).complaints
        except CallCenterError as exc:
            log.error("complaint %s: policy %r: %s", complaint.number, complaint.policy, exc)
            policy = sla.ComplaintPolicy()
        for kind, deadline in due_alerts(complaint, policy, now):
            key = (complaint.id, kind, deadline)
            if key not in known:
                new.append((complaint.id, complaint.number, kind, deadline))
        running = {c for c in (k.clock for k, _d in due_alerts(complaint, policy, now))}
        keep.update(
            a.id
            for a in unresolved.values()
            if a.complaint_id == complaint.id and a.kind.clock in running and a.id is not None
        )
    stale = [i for i in unresolved if i not in keep]
    if not new and not stale:
        return []
    raised: list[RaisedComplaintAlert] = []
    with uow_factory(write=True) as uow:
        uow.complaint_alerts.resolve(stale, at=now, outcome=OUTCOME_CLOCK_STOPPED)
        for complaint_id, number, kind, deadline in new:
            alert = uow.complaint_alerts.add_if_absent(
                ComplaintAlert(complaint_id, kind, deadline, raised_at=now)
            )
            if alert is None:
                continue  # another session raised it first
            raised.append(RaisedComplaintAlert(complaint_id, number, kind, deadline))
            if kind.overdue:
                complaint = by_id[complaint_id]
                summary = f"{number}|{complaint.customer_name}"
                uow.escalations.add_if_absent(
                    Escalation(
                        EscalationKind.COMPLAINT_OVERDUE,
                        f"complaint_overdue:{complaint_id}:{kind.clock.value}",
                        now,
                        actor,
                        summary,
                        case_id=complaint.case_id,
                        complaint_id=complaint_id,
                        crew_id=complaint.crew_id,
                    )
                )
        uow.commit()
    return raised
