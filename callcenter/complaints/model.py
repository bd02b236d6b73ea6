"""Complaints (客户投诉, seeds 001, 002, 003) and escalations to the supervisors (pure).

A complaint comes by phone, letter or visit (seed 002: 来电、来函、来人); it names the customer,
optionally the case and the crew it is against, a category (seed 002's offences among them),
what the customer says, the responsible department and person, and three deadlines from the
policy's ``[complaints]`` clocks. Its status goes 受理 → 处理中 → 已解决 → 已回访确认 (the
customer, called back, is satisfied) or 已关闭 (a supervisor closed it). It is handled "until
the customer is satisfied": only a supervisor closes a complaint, and closing one whose
customer is not satisfied takes a reason.

An *escalation* goes to the supervisors at once (seed 004: 第一时间上报): a very dissatisfied
survey answer, an open fault, a complaint past a deadline, a second complaint against one crew
within the policy's window. One line each on every supervisor's board until acknowledged
(who and when are kept).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from callcenter.i18n import N_, _

if TYPE_CHECKING:  # the board's first frame imports this module (callcenter.ports)
    from callcenter.sla import ComplaintPolicy


class _Labelled(StrEnum):
    @property
    def label(self) -> str:
        return _(_LABELS[type(self), self.value])


class Channel(_Labelled):
    PHONE = "phone"  # 来电
    LETTER = "letter"  # 来函
    VISIT = "visit"  # 来人


class Category(_Labelled):
    ATTITUDE = "attitude"  # 服务态度
    QUARREL = "quarrel"  # 和用户发生口角,顶撞用户 (seed 002)
    SOLICITING = "soliciting"  # 对用户索要财物,提出无理要求 (seed 002)
    LATENESS = "lateness"  # 迟到
    NOT_SERVED = "not_served"  # 因个人原因未及时为用户服务 (seed 002)
    REPEAT_REPAIR = "repeat_repair"  # 同一问题重复修理 (seed 002)
    FEES = "fees"  # 收费
    QUALITY = "quality"  # 质量
    OTHER = "other"

    @property
    def against_staff(self) -> bool:
        """Seed 002's offences and the MISSION's: recorded against the crew member."""
        return self in _AGAINST_STAFF


_AGAINST_STAFF = frozenset(
    {
        Category.ATTITUDE,
        Category.QUARREL,
        Category.SOLICITING,
        Category.LATENESS,
        Category.NOT_SERVED,
        Category.REPEAT_REPAIR,
    }
)


class Status(_Labelled):
    RECEIVED = "received"  # 受理
    HANDLING = "handling"  # 处理中
    RESOLVED = "resolved"  # 已解决
    CONFIRMED = "confirmed"  # 已回访确认
    CLOSED = "closed"  # 已关闭

    @property
    def is_open(self) -> bool:
        return self not in (Status.CONFIRMED, Status.CLOSED)


OPEN_STATUSES = tuple(s for s in Status if s.is_open)


class Clock(_Labelled):
    """The complaint's three clocks, each from its receipt."""

    NOTIFY = "notify"  # the responsible person told
    PLAN = "plan"  # a plan made
    RESOLVE = "resolve"  # resolved and the customer called back


class AlertKind(_Labelled):
    NOTIFY_AT_RISK = "notify_at_risk"
    NOTIFY_OVERDUE = "notify_overdue"
    PLAN_AT_RISK = "plan_at_risk"
    PLAN_OVERDUE = "plan_overdue"
    RESOLVE_AT_RISK = "resolve_at_risk"
    RESOLVE_OVERDUE = "resolve_overdue"

    @property
    def clock(self) -> Clock:
        return Clock(self.value.split("_", 1)[0])

    @property
    def overdue(self) -> bool:
        return self.value.endswith("_overdue")


class EscalationKind(_Labelled):
    VERY_DISSATISFIED = "very_dissatisfied"  # a survey answer of 1
    OPEN_FAULT = "open_fault"  # the survey reports a fault still there
    COMPLAINT_OVERDUE = "complaint_overdue"  # a complaint past a deadline
    CREW_REPEAT = "crew_repeat"  # a second complaint against one crew within the window


_LABELS: dict[tuple[type, str], str] = {
    (Channel, "phone"): N_("Phone call"),
    (Channel, "letter"): N_("Letter"),
    (Channel, "visit"): N_("Visit"),
    (Category, "attitude"): N_("Staff attitude"),
    (Category, "quarrel"): N_("Quarrel with the customer"),
    (Category, "soliciting"): N_("Asked the customer for money or gifts"),
    (Category, "lateness"): N_("Late arrival"),
    (Category, "not_served"): N_("Not served in time (personal reasons)"),
    (Category, "repeat_repair"): N_("Same fault repaired again"),
    (Category, "fees"): N_("Fees"),
    (Category, "quality"): N_("Quality"),
    (Category, "other"): N_("Other"),
    (Status, "received"): N_("Taken in"),
    (Status, "handling"): N_("Being handled"),
    (Status, "resolved"): N_("Resolved"),
    (Status, "confirmed"): N_("Confirmed by call-back"),
    (Status, "closed"): N_("Complaint closed"),
    (Clock, "notify"): N_("Responsible person told"),
    (Clock, "plan"): N_("Plan made"),
    (Clock, "resolve"): N_("Resolved and called back"),
    (AlertKind, "notify_at_risk"): N_("Telling the responsible person: at risk"),
    (AlertKind, "notify_overdue"): N_("Telling the responsible person: overdue"),
    (AlertKind, "plan_at_risk"): N_("Plan: at risk"),
    (AlertKind, "plan_overdue"): N_("Plan: overdue"),
    (AlertKind, "resolve_at_risk"): N_("Resolution: at risk"),
    (AlertKind, "resolve_overdue"): N_("Resolution: overdue"),
    (EscalationKind, "very_dissatisfied"): N_("Very dissatisfied customer"),
    (EscalationKind, "open_fault"): N_("Fault still open"),
    (EscalationKind, "complaint_overdue"): N_("Complaint past its deadline"),
    (EscalationKind, "crew_repeat"): N_("Second complaint against a crew"),
}


@dataclass
class Complaint:
    received_at: datetime
    channel: Channel
    customer_name: str
    phone: str  # E.164, or "" for a letter without one
    category: Category
    description: str  # what the customer says
    notify_due_at: datetime
    plan_due_at: datetime
    resolve_due_at: datetime
    created_by: str
    number: str = ""
    customer_id: int | None = None
    case_id: int | None = None
    crew_id: int | None = None
    crew_member: str = ""  # the person, when the crew has several
    department: str = ""
    responsible: str = ""
    status: Status = Status.RECEIVED
    policy: str = "roadside"
    notified_at: datetime | None = None
    plan: str = ""
    planned_at: datetime | None = None
    resolution: str = ""
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    satisfied: bool | None = None  # None: not asked yet
    callback_task_id: int | None = None
    confirmed_at: datetime | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    close_reason: str = ""
    updated_at: datetime | None = None
    updated_by: str | None = None
    version: int = 0
    id: int | None = None

    @property
    def is_open(self) -> bool:
        return self.status.is_open

    def deadline(self, clock: Clock) -> datetime:
        return {
            Clock.NOTIFY: self.notify_due_at,
            Clock.PLAN: self.plan_due_at,
            Clock.RESOLVE: self.resolve_due_at,
        }[clock]

    def stopped_at(self, clock: Clock) -> datetime | None:
        """When ``clock`` stopped (None: it still runs)."""
        if clock is Clock.NOTIFY:
            return self.notified_at or self.planned_at or self.resolved_at or self._ended
        if clock is Clock.PLAN:
            return self.planned_at or self.resolved_at or self._ended
        return self._ended

    @property
    def _ended(self) -> datetime | None:
        return self.confirmed_at or self.closed_at

    def next_deadline(self) -> tuple[Clock, datetime] | None:
        """The earliest clock still running, and its deadline."""
        running = [(c, self.deadline(c)) for c in Clock if self.stopped_at(c) is None]
        return min(running, key=lambda x: x[1]) if running else None


def deadlines(received_at: datetime, policy: ComplaintPolicy) -> dict[Clock, datetime]:
    return {
        Clock.NOTIFY: received_at + timedelta(minutes=policy.notify_minutes),
        Clock.PLAN: received_at + timedelta(minutes=policy.plan_minutes),
        Clock.RESOLVE: received_at + timedelta(minutes=policy.resolve_minutes),
    }


def at_risk_window(clock: Clock, policy: ComplaintPolicy) -> timedelta:
    minutes = {
        Clock.NOTIFY: policy.notify_at_risk_minutes,
        Clock.PLAN: policy.plan_at_risk_minutes,
        Clock.RESOLVE: policy.resolve_at_risk_minutes,
    }[clock]
    return timedelta(minutes=minutes)


def due_alerts(
    complaint: Complaint, policy: ComplaintPolicy, now: datetime
) -> list[tuple[AlertKind, datetime]]:
    """The alerts due now for ``complaint``'s running clocks: (kind, deadline)."""
    out: list[tuple[AlertKind, datetime]] = []
    if not complaint.is_open:
        return out
    for clock in Clock:
        if complaint.stopped_at(clock) is not None:
            continue
        deadline = complaint.deadline(clock)
        window = at_risk_window(clock, policy)
        if now >= deadline:
            out.append((AlertKind(f"{clock.value}_overdue"), deadline))
        elif window and now >= deadline - window:
            out.append((AlertKind(f"{clock.value}_at_risk"), deadline))
    return out


@dataclass
class ComplaintAlert:
    complaint_id: int
    kind: AlertKind
    deadline: datetime
    raised_at: datetime
    resolved_at: datetime | None = None
    outcome: str = ""
    id: int | None = None


@dataclass
class Escalation:
    kind: EscalationKind
    key: str  # one escalation per key (the database decides)
    raised_at: datetime
    raised_by: str
    summary: str  # plain text: show it as data
    case_id: int | None = None
    complaint_id: int | None = None
    crew_id: int | None = None
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    version: int = 0
    id: int | None = None

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_at is not None


def describe(escalation: Escalation) -> str:
    """An escalation in words of the interface language. Its ``summary`` keeps the data
    (``|``-separated, see the raisers) and its ``key`` the reason's code: the words are made
    here, on display, so that each session reads them in its own language."""
    parts = escalation.summary.split("|")
    code = escalation.key.rsplit(":", 1)[-1]
    kind = escalation.kind
    if kind is EscalationKind.CREW_REPEAT and len(parts) == 4:
        crew, n, days, number = parts
        return _("{n} complaints against crew {crew} in {days} days (latest {number}).").format(
            n=n, crew=crew, days=days, number=number
        )
    if kind is EscalationKind.COMPLAINT_OVERDUE and len(parts) == 2:
        try:
            what = Clock(code).label
        except ValueError:
            what = code
        return _("Complaint {number} ({name}): {what} overdue.").format(
            number=parts[0], name=parts[1], what=what
        )
    if kind in (EscalationKind.VERY_DISSATISFIED, EscalationKind.OPEN_FAULT) and len(parts) == 2:
        from callcenter.survey import escalation_text

        return f"{parts[0]} {parts[1]}: {escalation_text(code)}"
    return escalation.summary


@dataclass(frozen=True)
class CrewComplaints:
    """Complaints against one crew: in the last 30 and 90 days."""

    crew_id: int
    last_30: int
    last_90: int


@dataclass(frozen=True)
class ComplaintInput:
    """A complaint as typed (raw text; the service checks it)."""

    channel: str = "phone"
    customer_name: str = ""
    phone: str = ""
    case_number: str = ""
    crew_code: str = ""
    crew_member: str = ""
    category: str = ""
    description: str = ""
    department: str = ""
    responsible: str = ""
