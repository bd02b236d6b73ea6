"""The monthly report to management (每月上报, issue 14 §1): pure arithmetic.

What the month's cases and complaints were (:class:`CaseFacts`, :class:`ComplaintFacts`,
read by the storage layer) goes in; a :class:`MonthlyReport` of every figure comes out. Each
figure that counts cases has a key (:data:`CASE_FIGURES`) whose predicate is the one the
count used, so :func:`cases_behind` lists exactly the cases behind a figure (the dashboard's
drill-down).

Definitions (also in the README and in the report's footer, :func:`definitions`):

* A case belongs to the month of its received time in the centre's time zone; a complaint
  to the month it was received in.
* Response time = dispatched − received, in minutes, over the month's cases a crew was
  dispatched to (cancelled after dispatch included). Count, p50, p90, max, and the share
  within the response clock of the case's policy. Percentiles: linear interpolation between
  closest ranks (the "inclusive" method of :func:`statistics.quantiles`), computed here, the
  same on every database.
* On-time arrival = cases arrived at or before the promise in force ÷ cases arrived that had
  a promise; also against the original promise (before any force-majeure extension).
* Late = arrived after the promise in force; extended = the promise in force is later than
  the original one. Both grouped by the last delay reason given.
* Satisfaction rate = satisfied ÷ feedback surveys whose satisfaction question was answered
  (the survey template's question and threshold); refused, not reached and wrong number are
  shown apart, as are surveys whose satisfaction question was not answered.
* Complaints received in the month: resolved within the resolve deadline, resolved late,
  still open; by category and by the crew (member) complained about.
* Repeated repairs: the month's cases flagged at intake as a repeat of a completed one.
* Cancellations by the reason given. Fees charged: the totals of accepted service records
  (valid services), overall and per rescue plan. Invalid service records: records the owner
  did not accept (无顾客验收确认属无效服务); voided records apart.
"""

from __future__ import annotations

import calendar
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from callcenter.errors import ValidationError
from callcenter.i18n import _
from callcenter.reports.stats import percentile

_MONTH_RE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?\s*$")

#: The feedback results apart from "answered" (``callcenter.records.model.FeedbackResult``).
REFUSED = "refused"
NOT_REACHED = "not_reached"
WRONG_NUMBER = "wrong_number"
ANSWERED = "answered"
ACCEPTED = "accepted"
NOT_ACCEPTED = "not_accepted"
VOIDED = "voided"


# -- the month -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) of the month in ``tz``, as UTC instants."""
        start = datetime(self.year, self.month, 1, tzinfo=tz)
        nxt = self.next()
        end = datetime(nxt.year, nxt.month, 1, tzinfo=tz)
        return start.astimezone(UTC), end.astimezone(UTC)

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    @property
    def days(self) -> int:
        return calendar.monthrange(self.year, self.month)[1]


def parse_month(text: str) -> Month:
    """``YYYY-MM`` (also ``2026/3``, ``2026年3月``); ValidationError on the field ``month``."""
    found = _MONTH_RE.match(text or "")
    if found is None:
        raise ValidationError("month", _("Give the month as YYYY-MM, e.g. 2026-03."))
    year, month = int(found.group(1)), int(found.group(2))
    if not 1 <= month <= 12 or not 1970 <= year <= 9999:
        raise ValidationError("month", _("No such month: {month}.").format(month=text.strip()))
    return Month(year, month)


# -- what goes in ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What the report needs of one case received in the month."""

    case_id: int
    number: str
    received_at: datetime
    dispatched_at: datetime | None = None
    arrived_at: datetime | None = None
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str = ""
    promised_at: datetime | None = None  # the promise in force
    original_promised_at: datetime | None = None  # before any extension
    plan: str = "other"
    is_open: bool = False
    record_state: str = "none"  # RecordState value
    fee_total: Decimal = Decimal("0")  # the service record's total (any state)
    delay_reason: str = ""  # the last reason given ("" none)
    feedback_result: str = ""  # FeedbackResult value of the last feedback survey
    satisfied: bool | None = None  # the template's verdict; None: not answered
    repeat_repair: bool = False
    response_clock_minutes: int | None = 5  # the case's policy's response clock

    @property
    def response_minutes(self) -> float | None:
        if self.dispatched_at is None:
            return None
        return (self.dispatched_at - self.received_at).total_seconds() / 60

    @property
    def arrived_with_promise(self) -> bool:
        return self.arrived_at is not None and self.promised_at is not None

    @property
    def on_time(self) -> bool:
        return (
            self.arrived_at is not None
            and self.promised_at is not None
            and self.arrived_at <= self.promised_at
        )

    @property
    def original_promise(self) -> datetime | None:
        return self.original_promised_at or self.promised_at

    @property
    def on_time_original(self) -> bool:
        promise = self.original_promise
        return self.arrived_at is not None and promise is not None and self.arrived_at <= promise

    @property
    def late(self) -> bool:
        return self.arrived_with_promise and not self.on_time

    @property
    def extended(self) -> bool:
        return (
            self.original_promised_at is not None
            and self.promised_at is not None
            and self.promised_at > self.original_promised_at
        )

    @property
    def within_response_clock(self) -> bool:
        minutes = self.response_minutes
        clock = self.response_clock_minutes
        return minutes is not None and clock is not None and minutes <= clock

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None


@dataclass(frozen=True, slots=True)
class ComplaintFacts:
    """What the report needs of one complaint received in the month."""

    complaint_id: int
    number: str
    received_at: datetime
    category: str
    is_open: bool
    resolved_at: datetime | None
    resolve_due_at: datetime
    crew: str = ""  # the crew's code and the member named, "" when against nobody

    @property
    def resolved_in_time(self) -> bool:
        return self.resolved_at is not None and self.resolved_at <= self.resolve_due_at

    @property
    def resolved_late(self) -> bool:
        return self.resolved_at is not None and self.resolved_at > self.resolve_due_at


# -- what comes out -------------------------------------------------------------------------


@dataclass(frozen=True)
class Ratio:
    """``count`` of ``of``; ``percent`` None when ``of`` is 0."""

    count: int
    of: int

    @property
    def percent(self) -> float | None:
        return None if self.of == 0 else 100 * self.count / self.of


@dataclass(frozen=True)
class Response:
    count: int
    p50: float | None
    p90: float | None
    max: float | None
    within: Ratio  # within the response clock, of the dispatched cases
    clock_minutes: tuple[int, ...]  # the response clocks in force (usually one: 5)


@dataclass(frozen=True)
class DelayLine:
    reason: str  # DelayReason value; "" none given
    late: int
    extended: int


@dataclass(frozen=True)
class Satisfaction:
    rate: Ratio  # satisfied of surveys whose satisfaction question was answered
    target_percent: float
    answered: int  # surveys done (whatever the satisfaction answer)
    not_rated: int  # surveys done, the satisfaction question answered 0
    refused: int
    not_reached: int
    wrong_number: int
    no_survey: int  # completed cases with no feedback result yet

    @property
    def meets_target(self) -> bool | None:
        if self.rate.of == 0:
            return None
        return 100 * self.rate.count >= self.target_percent * self.rate.of


@dataclass(frozen=True)
class Complaints:
    received: int
    resolved_in_time: int
    resolved_late: int
    open: int
    by_category: dict[str, int]
    by_crew: dict[str, int]  # "" (against nobody) left out


@dataclass(frozen=True)
class Fees:
    total: Decimal
    records: int  # accepted records counted
    by_plan: dict[str, Decimal]
    records_by_plan: dict[str, int]


@dataclass(frozen=True)
class MonthlyReport:
    """Every figure of the monthly report (issue 14 §1)."""

    month: str  # YYYY-MM
    timezone: str
    start: datetime  # UTC
    end: datetime  # UTC, exclusive
    generated_at: datetime
    calls: int
    dispatched: int
    arrived: int
    completed: int
    cancelled: int
    still_open: int
    response: Response
    on_time: Ratio
    on_time_original: Ratio
    late: int
    extended: int
    delays: tuple[DelayLine, ...]
    satisfaction: Satisfaction
    complaints: Complaints
    repeat_repairs: int
    cancellations: dict[str, int]  # reason as given → count
    fees: Fees
    invalid_records: int
    voided_records: int


# -- the figures behind each key --------------------------------------------------------------

CasePredicate = Callable[[CaseFacts], bool]

#: Figure key → which of the month's cases it counts (drill-down lists the same cases).
CASE_FIGURES: dict[str, CasePredicate] = {
    "calls": lambda c: True,
    "dispatched": lambda c: c.dispatched_at is not None,
    "arrived": lambda c: c.arrived_at is not None,
    "completed": lambda c: c.completed_at is not None,
    "cancelled": lambda c: c.cancelled,
    "open": lambda c: c.is_open,
    "response": lambda c: c.dispatched_at is not None,
    "response_within": lambda c: c.within_response_clock,
    "response_over": lambda c: c.dispatched_at is not None and not c.within_response_clock,
    "on_time": lambda c: c.on_time,
    "arrived_with_promise": lambda c: c.arrived_with_promise,
    "late": lambda c: c.late,
    "on_time_original": lambda c: c.on_time_original,
    "late_original": lambda c: c.arrived_with_promise and not c.on_time_original,
    "extended": lambda c: c.extended,
    "satisfied": lambda c: c.feedback_result == ANSWERED and c.satisfied is True,
    "dissatisfied": lambda c: c.feedback_result == ANSWERED and c.satisfied is False,
    "not_rated": lambda c: c.feedback_result == ANSWERED and c.satisfied is None,
    "refused": lambda c: c.feedback_result == REFUSED,
    "not_reached": lambda c: c.feedback_result == NOT_REACHED,
    "wrong_number": lambda c: c.feedback_result == WRONG_NUMBER,
    "no_survey": lambda c: c.completed_at is not None and not c.feedback_result,
    "repeat_repairs": lambda c: c.repeat_repair,
    "fees": lambda c: c.record_state == ACCEPTED,
    "invalid_records": lambda c: c.record_state == NOT_ACCEPTED,
    "voided_records": lambda c: c.record_state == VOIDED,
}

#: Keys with a value after the colon: ``delay:<reason>`` (late or extended for that reason),
#: ``cancel:<reason>``, ``plan:<plan>`` (fees of that plan).
_PREFIXED: dict[str, Callable[[str], CasePredicate]] = {
    "delay": lambda v: lambda c: (c.late or c.extended) and c.delay_reason == v,
    "cancel": lambda v: lambda c: c.cancelled and _reason(c.cancel_reason) == v,
    "plan": lambda v: lambda c: c.record_state == ACCEPTED and c.plan == v,
}

#: Figure keys over complaints (drill-down lists complaint numbers).
ComplaintPredicate = Callable[[ComplaintFacts], bool]
COMPLAINT_FIGURES: dict[str, ComplaintPredicate] = {
    "complaints": lambda c: True,
    "complaints_in_time": lambda c: c.resolved_in_time,
    "complaints_late": lambda c: c.resolved_late,
    "complaints_open": lambda c: c.is_open,
}
_COMPLAINT_PREFIXED: dict[str, Callable[[str], ComplaintPredicate]] = {
    "category": lambda v: lambda c: c.category == v,
    "crew": lambda v: lambda c: c.crew == v,
}


def _reason(text: str) -> str:
    return " ".join(text.split())


def is_figure_key(key: str) -> bool:
    head, _sep, _value = key.partition(":")
    if _sep:
        return head in _PREFIXED or head in _COMPLAINT_PREFIXED
    return key in CASE_FIGURES or key in COMPLAINT_FIGURES


def cases_behind(
    key: str, cases: Iterable[CaseFacts], complaints: Iterable[ComplaintFacts] = ()
) -> list[str]:
    """The numbers behind the figure ``key`` — case numbers, or complaint numbers for the
    complaint figures — in the order received; KeyError for an unknown key."""
    head, sep, value = key.partition(":")
    if sep and head in _COMPLAINT_PREFIXED:
        pick_c = _COMPLAINT_PREFIXED[head](value)
        return [c.number for c in _by_time(complaints) if pick_c(c)]
    if not sep and key in COMPLAINT_FIGURES:
        pick_c = COMPLAINT_FIGURES[key]
        return [c.number for c in _by_time(complaints) if pick_c(c)]
    pick = _PREFIXED[head](value) if sep else CASE_FIGURES[key]
    return [c.number for c in sorted(cases, key=lambda c: (c.received_at, c.case_id)) if pick(c)]


def _by_time(complaints: Iterable[ComplaintFacts]) -> list[ComplaintFacts]:
    return sorted(complaints, key=lambda c: (c.received_at, c.complaint_id))


# -- what the month's cases add up to ------------------------------------------------------

#: The case figures a tally counts: every key of :data:`CASE_FIGURES` but the two that need
#: each case's response clock (the tally works them out with its response times).
COUNTED: tuple[str, ...] = tuple(
    key for key in CASE_FIGURES if key not in ("response_within", "response_over")
)


@dataclass(frozen=True)
class CaseTally:
    """All the report needs of the month's cases: the figures counted, the response times,
    and the counts by reason and by plan. Counted by the database
    (``ReportRepository.month_tally``: the month's cases are not read one by one) or here
    from the cases (:func:`tally`); the two agree (tests compare them on both databases)."""

    counts: dict[str, int]  # each key of COUNTED → how many of the month's cases
    response_minutes: tuple[float, ...]  # of the dispatched cases, in ascending order
    response_within: int  # dispatched within the case's response clock
    response_clocks: tuple[int, ...]  # the response clocks of the dispatched cases, ascending
    late_by_reason: dict[str, int]  # the last delay reason given ("" none) → late cases
    extended_by_reason: dict[str, int]  # … → cases whose promise was extended
    cancellations: dict[str, int]  # the cancel reason (whitespace collapsed) → cases
    fees_by_plan: dict[str, Decimal]  # the fee totals of accepted records, per plan
    records_by_plan: dict[str, int]  # accepted records, per plan


def tally(cases: Iterable[CaseFacts]) -> CaseTally:
    """The tally of ``cases``: the predicates of :data:`CASE_FIGURES`, case by case."""
    cases = list(cases)
    minutes = sorted(m for c in cases if (m := c.response_minutes) is not None)
    fees_by_plan: dict[str, Decimal] = {}
    records_by_plan: Counter[str] = Counter()
    for c in cases:
        if c.record_state == ACCEPTED:
            records_by_plan[c.plan] += 1
            fees_by_plan[c.plan] = fees_by_plan.get(c.plan, Decimal("0")) + c.fee_total
    return CaseTally(
        counts={key: sum(1 for c in cases if CASE_FIGURES[key](c)) for key in COUNTED},
        response_minutes=tuple(minutes),
        response_within=sum(1 for c in cases if c.within_response_clock),
        response_clocks=tuple(
            sorted(
                {
                    c.response_clock_minutes
                    for c in cases
                    if c.dispatched_at is not None and c.response_clock_minutes is not None
                }
            )
        ),
        late_by_reason=dict(Counter(c.delay_reason for c in cases if c.late)),
        extended_by_reason=dict(Counter(c.delay_reason for c in cases if c.extended)),
        cancellations=dict(Counter(_reason(c.cancel_reason) for c in cases if c.cancelled)),
        fees_by_plan=fees_by_plan,
        records_by_plan=dict(records_by_plan),
    )


# -- the arithmetic ---------------------------------------------------------------------------


def monthly_report(
    month: Month,
    tz: ZoneInfo,
    cases: Sequence[CaseFacts] | CaseTally,
    complaints: Sequence[ComplaintFacts],
    *,
    target_percent: float,
    generated_at: datetime,
) -> MonthlyReport:
    """Every figure of ``month`` from its cases (or their :class:`CaseTally`) and complaints."""
    start, end = month.bounds(tz)
    t = cases if isinstance(cases, CaseTally) else tally(cases)
    count = t.counts.__getitem__

    minutes = t.response_minutes
    response = Response(
        count=len(minutes),
        p50=percentile(minutes, 50),
        p90=percentile(minutes, 90),
        max=max(minutes) if minutes else None,
        within=Ratio(t.response_within, len(minutes)),
        clock_minutes=t.response_clocks,
    )

    late, extended = t.late_by_reason, t.extended_by_reason
    delays = tuple(
        DelayLine(reason, late.get(reason, 0), extended.get(reason, 0))
        for reason in sorted(set(late) | set(extended), key=lambda r: (r == "", r))
    )

    satisfaction = Satisfaction(
        rate=Ratio(count("satisfied"), count("satisfied") + count("dissatisfied")),
        target_percent=target_percent,
        answered=count("satisfied") + count("dissatisfied") + count("not_rated"),
        not_rated=count("not_rated"),
        refused=count("refused"),
        not_reached=count("not_reached"),
        wrong_number=count("wrong_number"),
        no_survey=count("no_survey"),
    )

    crews: Counter[str] = Counter(c.crew for c in complaints if c.crew)
    complaint_figures = Complaints(
        received=len(complaints),
        resolved_in_time=sum(1 for c in complaints if c.resolved_in_time),
        resolved_late=sum(1 for c in complaints if c.resolved_late),
        open=sum(1 for c in complaints if c.is_open),
        by_category=_sorted_counts(Counter(c.category for c in complaints)),
        by_crew=_sorted_counts(crews),
    )

    fee_total = sum(t.fees_by_plan.values(), Decimal("0"))
    return MonthlyReport(
        month=str(month),
        timezone=str(tz.key),
        start=start,
        end=end,
        generated_at=generated_at,
        calls=count("calls"),
        dispatched=count("dispatched"),
        arrived=count("arrived"),
        completed=count("completed"),
        cancelled=count("cancelled"),
        still_open=count("open"),
        response=response,
        on_time=Ratio(count("on_time"), count("arrived_with_promise")),
        on_time_original=Ratio(count("on_time_original"), count("arrived_with_promise")),
        late=count("late"),
        extended=count("extended"),
        delays=delays,
        satisfaction=satisfaction,
        complaints=complaint_figures,
        repeat_repairs=count("repeat_repairs"),
        cancellations=_sorted_counts(Counter(t.cancellations)),
        fees=Fees(
            fee_total,
            sum(t.records_by_plan.values()),
            dict(sorted(t.fees_by_plan.items())),
            dict(sorted(t.records_by_plan.items())),
        ),
        invalid_records=count("invalid_records"),
        voided_records=count("voided_records"),
    )


def _sorted_counts(counts: Counter[str]) -> dict[str, int]:
    """Most first, then by name."""
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
