"""The shift-handover digest (交接班, issue 14 §3): what the next shift must know (pure).

Everything here takes plain values — the domain's dataclasses, instants, the zone — and
returns plain values: the services read the facts (:mod:`callcenter.services.handover`), this
module decides what goes in which section, in which order, with what words. The command line
prints :func:`text_lines`; the screen shows the same sections.

* Shifts begin at the centre's ``shift_starts`` (default 08:00 and 20:00, in its zone): the
  current shift began at the latest of those not in the future, the next one ends at the
  second boundary after it. ``--since HH:MM`` names another start: the latest such time of
  day (in the centre's zone) not in the future.
* Sections, each with its count and its lines (case number, who, what, when, time left):
  open cases with time left, late cases and why (the last delay call's reason), delay calls
  not made, calls due by the end of the next shift (feedback calls, promised call-backs, …),
  unanswered surveys, new or overdue complaints, escalations not acknowledged, crews off duty,
  service records without the owner's acceptance.
* Who has read the current shift's handover, and when (``HandoverRead``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta, tzinfo

from callcenter.calls.model import CallTask
from callcenter.complaints.model import Complaint, Escalation, describe
from callcenter.domain import Alert, AlertKind, Case, CaseEvent, Crew, CrewStatus, DelayReason
from callcenter.errors import ValidationError
from callcenter.i18n import N_, _, ngettext
from callcenter.records.model import FeedbackResult, SurveyRecord

#: The default shift boundaries (setting ``shift_starts``).
DEFAULT_SHIFT_STARTS: tuple[time, ...] = (time(8, 0), time(20, 0))
#: The case event a delay call leaves (``callcenter.services.delays``): its reason.
DELAY_EVENT = "delay_call"
ARRIVAL_KINDS = frozenset({AlertKind.ARRIVAL_AT_RISK, AlertKind.ARRIVAL_LATE})
#: Calls of the desk the handover leaves out: the revisits months after a service and the
#: maintenance reminders are work of the week, not of the night (the desk, F3, lists them).
LEFT_OUT_CALLS = frozenset({"revisit", "maintenance"})

#: The sections, in the order shown, with their titles (msgids).
SECTIONS: tuple[tuple[str, str], ...] = (
    ("late", N_("Late cases")),
    ("delay_calls", N_("Delay calls not made")),
    ("open", N_("Open cases")),
    ("calls", N_("Calls due by the end of the next shift")),
    ("surveys", N_("Unanswered surveys")),
    ("complaints", N_("New or overdue complaints")),
    ("escalations", N_("Escalations not acknowledged")),
    ("crews", N_("Crews off duty or out of service")),
    ("records", N_("Service records without the owner's acceptance")),
)


@dataclass
class HandoverRead:
    """Someone read the handover of the shift that began at ``shift_start``."""

    shift_start: datetime
    username: str
    read_at: datetime
    id: int | None = None


@dataclass(frozen=True)
class Line:
    """One line of a section. ``case_id``: the case Enter opens (None: none)."""

    ref: str  # the case's (or complaint's, crew's) number
    who: str
    what: str
    at: datetime | None = None  # the deadline, due time or time it happened
    left: timedelta | None = None  # time left to ``at`` (negative: late by)
    case_id: int | None = None
    urgent: bool = False


@dataclass(frozen=True)
class Section:
    key: str
    lines: tuple[Line, ...]

    @property
    def title(self) -> str:
        return _(dict(SECTIONS)[self.key])

    @property
    def count(self) -> int:
        return len(self.lines)


@dataclass
class Facts:
    """What the services read for the digest (plain values)."""

    open_cases: list[Case] = field(default_factory=list)
    #: case id → (clock kind, its label, deadline) of the case's next running clock
    #: (``sla.next_due``).
    due: dict[int, tuple[str, str, datetime]] = field(default_factory=dict)
    #: case id → the case's last delay call (a ``delay_call`` event).
    delay_calls: dict[int, CaseEvent] = field(default_factory=dict)
    #: Unresolved arrival alerts of open cases.
    arrival_alerts: list[Alert] = field(default_factory=list)
    #: Open tasks of the call desk (every kind but the delay call) due by the next shift's end.
    tasks: list[CallTask] = field(default_factory=list)
    #: task kind → its title (translated by the reader).
    task_titles: dict[str, str] = field(default_factory=dict)
    #: Feedback surveys left unanswered (refused, not reached, wrong number) since the start.
    surveys: list[SurveyRecord] = field(default_factory=list)
    #: Complaints received since the start, and every open one.
    complaints: list[Complaint] = field(default_factory=list)
    escalations: list[Escalation] = field(default_factory=list)
    crews: list[Crew] = field(default_factory=list)
    #: Cases whose service record the owner has not accepted (open, or completed since).
    unaccepted: list[Case] = field(default_factory=list)
    #: Cases named by the above that are not open (tasks, surveys, complaints).
    other_cases: dict[int, Case] = field(default_factory=dict)
    #: customer id → name (tasks about a customer and no case).
    customers: dict[int, str] = field(default_factory=dict)
    reads: list[HandoverRead] = field(default_factory=list)
    #: username → display name.
    names: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Digest:
    shift_start: datetime  # the current shift's start (what "read" is about)
    since: datetime  # what the digest covers: from here to ``now``
    now: datetime
    next_end: datetime  # the end of the next shift
    sections: tuple[Section, ...]
    reads: tuple[HandoverRead, ...]
    names: Mapping[str, str] = field(default_factory=dict)

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    def read_by(self, username: str) -> HandoverRead | None:
        return next((r for r in self.reads if r.username == username), None)


# -- shifts --------------------------------------------------------------------------------
def _boundaries(
    local_day: datetime, tz: tzinfo, starts: Sequence[time], days: Iterable[int]
) -> Iterator[datetime]:
    for offset in days:
        day = local_day.date() + timedelta(days=offset)
        for at in starts:
            yield datetime.combine(day, at, tzinfo=tz)


def shift_start(
    now: datetime, tz: tzinfo, starts: Sequence[time] = DEFAULT_SHIFT_STARTS
) -> datetime:
    """The start (UTC) of the shift ``now`` falls in: the latest boundary not after ``now``."""
    local = now.astimezone(tz)
    found = max(
        b for b in _boundaries(local, tz, starts or DEFAULT_SHIFT_STARTS, (-1, 0)) if b <= local
    )
    return found.astimezone(UTC)


def shift_after(
    start: datetime, tz: tzinfo, starts: Sequence[time] = DEFAULT_SHIFT_STARTS
) -> datetime:
    """The first boundary (UTC) after ``start``."""
    local = start.astimezone(tz)
    found = min(
        b for b in _boundaries(local, tz, starts or DEFAULT_SHIFT_STARTS, (0, 1, 2)) if b > local
    )
    return found.astimezone(UTC)


def since_from_text(text: str, now: datetime, tz: tzinfo) -> datetime:
    """``HH:MM`` in the centre's zone → the latest such instant not after ``now`` (UTC).
    Raises :class:`ValidationError` on the field ``since`` otherwise."""
    item = (text or "").strip().replace("：", ":")
    hours, sep, minutes = item.partition(":")
    if not (
        sep
        and hours.isascii()
        and hours.isdigit()
        and minutes.isascii()
        and minutes.isdigit()
        and len(minutes) == 2
        and len(hours) <= 2
        and int(hours) < 24
        and int(minutes) < 60
    ):
        raise ValidationError(
            "since", _("{text} is not a time of day HH:MM (e.g. 20:00).").format(text=item or '""')
        )
    local = now.astimezone(tz)
    at = datetime.combine(local.date(), time(int(hours), int(minutes)), tzinfo=tz)
    if at > local:
        at = datetime.combine(local.date() - timedelta(days=1), at.time(), tzinfo=tz)
    return at.astimezone(UTC)


# -- words ---------------------------------------------------------------------------------
def left_text(left: timedelta | None) -> str:
    """``25 min left`` / ``1 h 05 min left`` / ``late 12 min``; "" when there is no time."""
    if left is None:
        return ""
    minutes = math.floor(abs(left.total_seconds()) / 60)
    if minutes >= 48 * 60:
        span = _("{d} d {h} h").format(d=minutes // 1440, h=minutes % 1440 // 60)
    elif minutes >= 60:
        span = _("{h} h {m:02d} min").format(h=minutes // 60, m=minutes % 60)
    else:
        span = _("{m} min").format(m=minutes)
    if left < timedelta(0):
        return _("late {span}").format(span=span)
    return _("{span} left").format(span=span)


def when_text(at: datetime | None, now: datetime, tz: tzinfo) -> str:
    """The local time of day when it is today, else the date too."""
    if at is None:
        return "—"
    local = at.astimezone(tz)
    same_day = local.date() == now.astimezone(tz).date()
    return local.strftime("%H:%M" if same_day else "%m-%d %H:%M")


def _reason(event: CaseEvent | None) -> str:
    if event is None:
        return _("no delay call recorded")
    details = event.details or {}
    try:
        label = DelayReason(str(details.get("reason") or "other")).label
    except ValueError:
        label = str(details.get("reason"))
    text = str(details.get("reason_text") or "").strip()
    why = f"{label}: {text}" if text else label
    if not details.get("reached", True):
        return _("{why} (owner not reached)").format(why=why)
    return why


def _who(case: Case) -> str:
    return f"{case.caller_name} {case.plate}".strip()


# -- the digest ----------------------------------------------------------------------------
def build(
    facts: Facts,
    *,
    now: datetime,
    since: datetime,
    shift_start: datetime,
    next_end: datetime,
    crew_codes: Mapping[int, str] | None = None,
) -> Digest:
    """The digest of ``facts`` at ``now`` (pure: what the services read, in sections)."""
    from callcenter.validation import format_phone  # phonenumbers: not at start-up

    crews = {c.id: c for c in facts.crews if c.id is not None}
    codes = dict(crew_codes or {}) or {i: c.code for i, c in crews.items()}
    cases: dict[int, Case] = dict(facts.other_cases)
    cases.update({c.id: c for c in facts.open_cases if c.id is not None})

    open_lines: list[Line] = []
    late_lines: list[Line] = []
    case: Case | None
    for case in facts.open_cases:
        assert case.id is not None
        due = facts.due.get(case.id)
        crew = codes.get(case.crew_id, "") if case.crew_id is not None else ""
        status = case.status.label + (f" · {crew}" if crew else "")
        if due is None:
            open_lines.append(Line(case.number, _who(case), status, None, None, case.id))
            continue
        kind, label, deadline = due
        left = deadline - now
        if left < timedelta(0):
            what = _("{clock} overdue · {status}").format(clock=label, status=status)
            event = facts.delay_calls.get(case.id)
            if event is not None or kind == "arrival":  # why the crew is late
                what += " · " + _reason(event)
            late_lines.append(Line(case.number, _who(case), what, deadline, left, case.id, True))
        else:
            what = f"{label} · {status}"
            open_lines.append(Line(case.number, _who(case), what, deadline, left, case.id))
    far = datetime.max.replace(tzinfo=UTC)
    open_lines.sort(key=lambda x: (x.at or far, x.ref))
    late_lines.sort(key=lambda x: (x.at or far, x.ref))

    delay_lines: list[Line] = []
    seen: set[int] = set()
    alerts = sorted(
        facts.arrival_alerts, key=lambda a: (a.kind is not AlertKind.ARRIVAL_LATE, a.deadline)
    )
    for alert in alerts:
        case = cases.get(alert.case_id)
        if (
            case is None
            or alert.case_id in seen
            or alert.kind not in ARRIVAL_KINDS
            or alert.resolved_at is not None
            or not case.is_open
            or case.arrived_at is not None
            or alert.deadline != case.promised_arrival_at
        ):
            continue
        seen.add(alert.case_id)
        crew = codes.get(case.crew_id, "") if case.crew_id is not None else ""
        what = f"☎ {format_phone(case.phone, case.phone_ext)} · {alert.kind.label}"
        what += " · " + (crew or _("no crew yet"))
        if alert.claimed_by:
            what += " · " + _("{who} is calling").format(
                who=facts.names.get(alert.claimed_by, alert.claimed_by)
            )
        delay_lines.append(
            Line(
                case.number,
                _who(case),
                what,
                alert.deadline,
                alert.deadline - now,
                case.id,
                alert.kind is AlertKind.ARRIVAL_LATE,
            )
        )

    call_lines: list[Line] = []
    for task in sorted(facts.tasks, key=lambda t: (t.try_at, t.id or 0)):
        if not task.is_open or task.try_at > next_end:
            continue
        case = cases.get(task.case_id) if task.case_id is not None else None
        if case is not None:
            ref, who = case.number, _who(case)
        elif task.customer_id is not None and task.customer_id in facts.customers:
            ref, who = "", facts.customers[task.customer_id]
        else:
            phone = format_phone(task.contact_phone) if task.contact_phone else ""
            ref, who = "", f"{task.contact_name} {phone}".strip()
        what = facts.task_titles.get(task.kind, task.kind)
        if task.attempts:
            what += " · " + ngettext("{n} try", "{n} tries", task.attempts).format(n=task.attempts)
        if task.note:
            what += " · " + task.shown_note
        call_lines.append(
            Line(ref, who, what, task.try_at, task.try_at - now, task.case_id, task.try_at < now)
        )

    survey_lines: list[Line] = []
    for survey in sorted(facts.surveys, key=lambda s: (s.at, s.id or 0)):
        if survey.result is FeedbackResult.ANSWERED or survey.at < since:
            continue
        case = cases.get(survey.case_id)
        survey_lines.append(
            Line(
                case.number if case else "",
                _who(case) if case else "",
                survey.result.label,
                survey.at,
                None,
                survey.case_id,
            )
        )

    complaint_lines: list[Line] = []
    for complaint in sorted(facts.complaints, key=lambda c: (c.received_at, c.id or 0)):
        nxt = complaint.next_deadline() if complaint.is_open else None
        overdue = nxt is not None and nxt[1] <= now
        new = complaint.received_at >= since
        if not (new or overdue):
            continue
        parts = [complaint.category.label, complaint.status.label]
        if overdue and nxt is not None:
            parts.insert(0, _("{clock} overdue").format(clock=nxt[0].label))
        elif new:
            parts.insert(0, _("new"))
        case = cases.get(complaint.case_id) if complaint.case_id is not None else None
        if case is not None:
            parts.append(case.number)
        complaint_lines.append(
            Line(
                complaint.number,
                complaint.customer_name,
                " · ".join(parts),
                nxt[1] if nxt is not None else complaint.received_at,
                (nxt[1] - now) if nxt is not None else None,
                complaint.case_id,
                overdue,
            )
        )

    escalation_lines = [
        Line(
            cases[e.case_id].number if e.case_id in cases else "",
            e.kind.label,
            describe(e),
            e.raised_at,
            None,
            e.case_id,
            True,
        )
        for e in sorted(facts.escalations, key=lambda e: (e.raised_at, e.id or 0))
        if not e.acknowledged
    ]

    crew_lines = [
        Line(
            c.code,
            f"{c.name} {c.vehicle_plate}".strip(),
            " · ".join(part for part in (c.status.label, c.status_reason) if part),
            c.position_at,
        )
        for c in sorted(facts.crews, key=lambda c: c.code)
        if c.status in (CrewStatus.OFF_DUTY, CrewStatus.OUT_OF_SERVICE)
    ]

    record_lines = [
        Line(
            c.number,
            _who(c),
            _("No acceptance: invalid service") + " · " + c.status.label,
            c.completed_at,
            None,
            c.id,
        )
        for c in sorted(facts.unaccepted, key=lambda c: (c.completed_at or far, c.number))
    ]

    by_key = {
        "late": late_lines,
        "delay_calls": delay_lines,
        "open": open_lines,
        "calls": call_lines,
        "surveys": survey_lines,
        "complaints": complaint_lines,
        "escalations": escalation_lines,
        "crews": crew_lines,
        "records": record_lines,
    }
    sections = tuple(Section(key, tuple(by_key[key])) for key, _title in SECTIONS)
    reads = tuple(
        sorted(
            (r for r in facts.reads if r.shift_start == shift_start),
            key=lambda r: (r.read_at, r.username),
        )
    )
    return Digest(shift_start, since, now, next_end, sections, reads, dict(facts.names))


def reads_text(digest: Digest, tz: tzinfo) -> str:
    """``Read by 王芳 22:31, 李明 22:40`` / ``Not read yet``."""
    if not digest.reads:
        return _("Not read yet by anyone.")
    who = _(", ").join(
        f"{digest.names.get(r.username, r.username)} {when_text(r.read_at, digest.now, tz)}"
        for r in digest.reads
    )
    return _("Read by {who}").format(who=who)


def heading(digest: Digest, tz: tzinfo) -> str:
    """``Shift handover: since 20:00 (the shift began 20:00), now 23:15``."""
    return _("Shift handover since {since} (shift began {start}), at {now}").format(
        since=when_text(digest.since, digest.now, tz),
        start=when_text(digest.shift_start, digest.now, tz),
        now=when_text(digest.now, digest.now, tz),
    )


def text_lines(digest: Digest, tz: tzinfo) -> list[str]:
    """The digest as plain text lines (the command line's output)."""
    out = [heading(digest, tz), reads_text(digest, tz)]
    for section in digest.sections:
        out.append("")
        out.append(f"{section.title} ({section.count})")
        for line in section.lines:
            cells = [
                line.ref or "—",
                line.who or "—",
                line.what,
                when_text(line.at, digest.now, tz) if line.at is not None else "",
                left_text(line.left),
            ]
            out.append("  " + "  ".join(c for c in cells if c))
    return out
