"""The KPI dashboard's figures (issue 14 §2), pure: what the reads gave → series and headlines.

Definitions (issue 14 §1):

* a case belongs to the month — and the day — of its received time in the centre's zone; a
  complaint to those of its own received time;
* response = dispatched − received, in minutes; p50 and p90 by :func:`stats.percentile`;
* on time = arrived at or before the promise in force, of the cases arrived that had a promise;
  also against the first promise (before a force-majeure extension);
* delays by reason: the cases arrived late and the cases whose promise was extended, by the
  last delay reason given ("" when none was);
* satisfaction: the survey template's rate (:func:`callcenter.survey.satisfaction_rate` —
  satisfied of those whose satisfaction question was answered); not reached (or a wrong
  number) and refused are counted apart, never in the rate.

Every figure has the cases behind it (:func:`behind`), found with the very predicate that
counted them: the drill-down lists exactly what the figure counts.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from callcenter.domain import DelayReason
from callcenter.i18n import N_, _
from callcenter.reports.stats import percentile
from callcenter.survey import Rate

_MONTH_RE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?\s*$")

#: Survey results counted apart from the rate.
NOT_REACHED = frozenset({"not_reached", "wrong_number"})
REFUSED = "refused"
ANSWERED = "answered"


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month of the centre's zone."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1 <= self.year <= 9999:
            raise ValueError(f"not a month: {self.year}-{self.month}")

    @classmethod
    def of(cls, instant: datetime, tz: tzinfo) -> Month:
        local = instant.astimezone(tz)
        return cls(local.year, local.month)

    @classmethod
    def parse(cls, text: str) -> Month:
        """``2026-11`` (also ``2026/11``, ``2026年11月``); ValueError otherwise."""
        match = _MONTH_RE.match(text)
        if match is None:
            raise ValueError(f"not a month: {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return self.next().first_day - timedelta(days=1)

    def start(self, tz: tzinfo) -> datetime:
        """Midnight of its first day in ``tz`` (aware)."""
        return datetime.combine(self.first_day, time.min, tz)

    def end(self, tz: tzinfo) -> datetime:
        """Midnight after its last day in ``tz`` (exclusive)."""
        return self.next().start(tz)

    def next(self) -> Month:
        return Month(self.year + 1, 1) if self.month == 12 else Month(self.year, self.month + 1)

    def previous(self) -> Month:
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    def year_before(self) -> Month:
        return Month(self.year - 1, self.month)

    def days(self) -> list[date]:
        first = self.first_day
        return [first + timedelta(days=i) for i in range(self.last_day.day)]

    @property
    def label(self) -> str:
        """``2026年11月`` / ``2026-11`` (translated)."""
        return _("{year}-{month:02d}").format(year=self.year, month=self.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


class Period(StrEnum):
    """The columns of the headline."""

    THIS = "this"
    LAST = "last"
    YEAR_AGO = "year_ago"

    @property
    def label(self) -> str:
        return _(_PERIOD_LABELS[self])

    def month(self, shown: Month) -> Month:
        if self is Period.LAST:
            return shown.previous()
        if self is Period.YEAR_AGO:
            return shown.year_before()
        return shown


_PERIOD_LABELS = {
    Period.THIS: N_("This month"),
    Period.LAST: N_("Last month"),
    Period.YEAR_AGO: N_("Last year"),
}


class Figure(StrEnum):
    """What a figure counts (the headline's rows, the charts)."""

    CALLS = "calls"
    ON_TIME = "on_time"
    ON_TIME_ORIGINAL = "on_time_original"
    RESPONSE_P50 = "response_p50"
    RESPONSE_P90 = "response_p90"
    SATISFACTION = "satisfaction"
    NOT_SURVEYED = "not_surveyed"  # not reached / refused, apart from the rate
    COMPLAINTS = "complaints"
    DELAYS = "delays"  # by reason (``Pick.key``)

    @property
    def label(self) -> str:
        return _(_FIGURE_LABELS[self])


_FIGURE_LABELS = {
    Figure.CALLS: N_("Calls"),
    Figure.ON_TIME: N_("On-time arrival"),
    Figure.ON_TIME_ORIGINAL: N_("On time (original promise)"),
    Figure.RESPONSE_P50: N_("Response p50"),
    Figure.RESPONSE_P90: N_("Response p90"),
    Figure.SATISFACTION: N_("Satisfaction"),
    Figure.NOT_SURVEYED: N_("Not reached / refused"),
    Figure.COMPLAINTS: N_("Complaints"),
    Figure.DELAYS: N_("Delays by reason"),
}

#: The headline's rows, in order.
HEADLINE: tuple[Figure, ...] = (
    Figure.CALLS,
    Figure.ON_TIME,
    Figure.ON_TIME_ORIGINAL,
    Figure.RESPONSE_P50,
    Figure.RESPONSE_P90,
    Figure.SATISFACTION,
    Figure.NOT_SURVEYED,
    Figure.COMPLAINTS,
)


# --------------------------------------------------------------------------------------------
# What the reads give


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US_PER_MINUTE = 60_000_000


def micros(instant: datetime | None) -> int | None:
    """``instant`` as integer microseconds since 1970 UTC (exact)."""
    if instant is None:
        return None
    return (instant - EPOCH) // timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class CaseFact:
    """One case received in the month, as the dashboard counts it: the verdicts worked out
    once, when it is read (:meth:`of`, :meth:`from_micros`)."""

    id: int
    number: str
    received_at: datetime
    response_minutes: float | None = None  # dispatched − received; None: never dispatched
    on_time: bool | None = None  # against the promise in force; None: not arrived / no promise
    on_time_original: bool | None = None  # against the first promise
    extended: bool = False  # the promise in force is later than the first
    late_minutes: float | None = None  # arrived − the promise in force (negative: early)
    delay_reason: str = ""  # the last delay reason given ("" none)

    @property
    def delayed(self) -> bool:
        """Arrived late, or its promise was extended: counted in the delays by reason."""
        return self.on_time is False or self.extended

    @classmethod
    def from_micros(
        cls,
        id: int,
        number: str,
        received: int,
        dispatched: int | None = None,
        arrived: int | None = None,
        promised: int | None = None,
        original: int | None = None,
        *,
        delay_reason: str = "",
        ledger_on_time: bool | None = None,
        ledger_on_time_original: bool | None = None,
    ) -> CaseFact:
        """The case from its instants in integer microseconds since 1970 UTC (as the reads
        give them: no datetime is built but the received one). ``ledger_on_time*``: the
        ledger's verdicts, for a case without the times (a row of an imported old ledger)."""
        on_time = ledger_on_time
        on_time_original = ledger_on_time_original
        late = None
        if arrived is not None and promised is not None:
            on_time = arrived <= promised
            late = (arrived - promised) / _US_PER_MINUTE
        first = original if original is not None else promised
        if arrived is not None and first is not None:
            on_time_original = arrived <= first
        return cls(
            id=id,
            number=number,
            received_at=EPOCH + timedelta(microseconds=received),
            response_minutes=None
            if dispatched is None
            else (dispatched - received) / _US_PER_MINUTE,
            on_time=on_time,
            on_time_original=on_time_original,
            extended=original is not None and promised is not None and promised > original,
            late_minutes=late,
            delay_reason=delay_reason,
        )

    @classmethod
    def of(
        cls,
        id: int,
        number: str,
        received_at: datetime,
        dispatched_at: datetime | None = None,
        arrived_at: datetime | None = None,
        promised_at: datetime | None = None,
        original_promised_at: datetime | None = None,
        *,
        delay_reason: str = "",
        ledger_on_time: bool | None = None,
        ledger_on_time_original: bool | None = None,
    ) -> CaseFact:
        """The case from its aware datetimes (see :meth:`from_micros`)."""
        received = micros(received_at)
        assert received is not None
        return cls.from_micros(
            id,
            number,
            received,
            micros(dispatched_at),
            micros(arrived_at),
            micros(promised_at),
            micros(original_promised_at),
            delay_reason=delay_reason,
            ledger_on_time=ledger_on_time,
            ledger_on_time_original=ledger_on_time_original,
        )


@dataclass(frozen=True, slots=True)
class SurveyFact:
    """The feedback survey of a case of the month (its last)."""

    case_id: int
    result: str  # FeedbackResult value
    satisfied: bool | None


@dataclass(frozen=True, slots=True)
class ComplaintFact:
    """A complaint received in the month."""

    id: int
    number: str
    received_at: datetime
    case_id: int | None = None
    case_number: str = ""


@dataclass(frozen=True)
class MonthFacts:
    """Everything the dashboard reads of one month."""

    month: Month
    cases: Sequence[CaseFact] = ()
    surveys: Sequence[SurveyFact] = ()
    complaints: Sequence[ComplaintFact] = ()

    @property
    def empty(self) -> bool:
        return not self.cases and not self.complaints


# --------------------------------------------------------------------------------------------
# The figures


@dataclass(frozen=True)
class Headline:
    """A month's figures."""

    calls: int = 0
    arrived: int = 0  # arrived with a promise: the on-time denominators
    on_time: int = 0
    arrived_original: int = 0
    on_time_original: int = 0
    responses: int = 0
    p50: float | None = None
    p90: float | None = None
    rate: Rate = field(default_factory=lambda: Rate(0, 0))
    not_reached: int = 0
    refused: int = 0
    complaints: int = 0

    @property
    def on_time_percent(self) -> float | None:
        return 100 * self.on_time / self.arrived if self.arrived else None

    @property
    def on_time_original_percent(self) -> float | None:
        if not self.arrived_original:
            return None
        return 100 * self.on_time_original / self.arrived_original


@dataclass(frozen=True)
class DayFigures:
    """One day of the month's series."""

    day: date
    calls: int = 0
    arrived: int = 0
    on_time: int = 0
    responses: int = 0
    p50: float | None = None
    p90: float | None = None

    @property
    def on_time_percent(self) -> float | None:
        return 100 * self.on_time / self.arrived if self.arrived else None


@dataclass(frozen=True)
class DelayFigures:
    """The delayed cases of one reason."""

    reason: str  # DelayReason value, "" none given
    late: int
    extended: int
    cases: int  # late or extended (a case both is counted once)

    @property
    def label(self) -> str:
        return reason_label(self.reason)


@dataclass(frozen=True)
class WeekFigures:
    """The satisfaction of the cases received in days ``first``..``last`` of the month."""

    first: date
    last: date
    rate: Rate = field(default_factory=lambda: Rate(0, 0))
    not_reached: int = 0
    refused: int = 0


@dataclass(frozen=True)
class Dashboard:
    """The month shown, its series, and the headline of each period (None: no data)."""

    month: Month
    days: list[DayFigures]
    delays: list[DelayFigures]
    weeks: list[WeekFigures]
    headlines: dict[Period, Headline | None] = field(default_factory=dict)
    target_percent: float | None = None  # the survey template's target


def reason_label(reason: str) -> str:
    if not reason:
        return _("No reason given")
    try:
        return DelayReason(reason).label
    except ValueError:
        return reason


def _local_day(instant: datetime, tz: tzinfo) -> date:
    return instant.astimezone(tz).date()


def _last_surveys(surveys: Iterable[SurveyFact]) -> dict[int, SurveyFact]:
    """Each case's survey (the last one given wins)."""
    return {s.case_id: s for s in surveys}


def headline(facts: MonthFacts) -> Headline:
    cases = facts.cases
    arrived = [c.on_time for c in cases if c.on_time is not None]
    arrived_first = [c.on_time_original for c in cases if c.on_time_original is not None]
    responses = [m for c in cases if (m := c.response_minutes) is not None]
    surveys = _last_surveys(facts.surveys).values()
    return Headline(
        calls=len(cases),
        arrived=len(arrived),
        on_time=sum(arrived),
        arrived_original=len(arrived_first),
        on_time_original=sum(arrived_first),
        responses=len(responses),
        p50=percentile(responses, 50),
        p90=percentile(responses, 90),
        rate=_rate(surveys),
        not_reached=sum(s.result in NOT_REACHED for s in surveys),
        refused=sum(s.result == REFUSED for s in surveys),
        complaints=len(facts.complaints),
    )


def _rate(surveys: Iterable[SurveyFact]) -> Rate:
    """The template's rate: satisfied of the surveys whose satisfaction question was
    answered (``callcenter.survey.satisfaction_rate``)."""
    satisfied = answered = 0
    for survey in surveys:
        if survey.result != ANSWERED or survey.satisfied is None:
            continue
        answered += 1
        satisfied += bool(survey.satisfied)
    return Rate(satisfied, answered)


def day_series(facts: MonthFacts, tz: tzinfo) -> list[DayFigures]:
    """One :class:`DayFigures` per day of the month (days without a case included)."""
    by_day: dict[date, list[CaseFact]] = {}
    for case in facts.cases:
        by_day.setdefault(_local_day(case.received_at, tz), []).append(case)
    out = []
    for day in facts.month.days():
        cases = by_day.get(day, [])
        arrived = [c.on_time for c in cases if c.on_time is not None]
        responses = [m for c in cases if (m := c.response_minutes) is not None]
        out.append(
            DayFigures(
                day=day,
                calls=len(cases),
                arrived=len(arrived),
                on_time=sum(arrived),
                responses=len(responses),
                p50=percentile(responses, 50),
                p90=percentile(responses, 90),
            )
        )
    return out


def delays(facts: MonthFacts) -> list[DelayFigures]:
    """The delayed cases by reason, most first (ties by reason, "no reason" last)."""
    late: Counter[str] = Counter()
    extended: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for case in facts.cases:
        if not case.delayed:
            continue
        total[case.delay_reason] += 1
        late[case.delay_reason] += case.on_time is False
        extended[case.delay_reason] += case.extended
    order = sorted(total, key=lambda r: (-total[r], r == "", r))
    return [DelayFigures(r, late[r], extended[r], total[r]) for r in order]


def week_ranges(month: Month) -> list[tuple[date, date]]:
    """Days 1–7, 8–14, 15–21, 22–28 and 29 to the end (if the month has them)."""
    days = month.days()
    return [(days[i], days[min(i + 6, len(days) - 1)]) for i in range(0, len(days), 7)]


def weeks(facts: MonthFacts, tz: tzinfo) -> list[WeekFigures]:
    """The satisfaction of each week of the month (by the cases' received day)."""
    day_of = {c.id: _local_day(c.received_at, tz) for c in facts.cases}
    surveys = list(_last_surveys(facts.surveys).values())
    out = []
    for first, last in week_ranges(facts.month):
        within = [s for s in surveys if s.case_id in day_of and first <= day_of[s.case_id] <= last]
        out.append(
            WeekFigures(
                first=first,
                last=last,
                rate=_rate(within),
                not_reached=sum(s.result in NOT_REACHED for s in within),
                refused=sum(s.result == REFUSED for s in within),
            )
        )
    return out


def dashboard(
    shown: MonthFacts,
    tz: tzinfo,
    *,
    last: MonthFacts | None = None,
    year_ago: MonthFacts | None = None,
    target_percent: float | None = None,
) -> Dashboard:
    """The dashboard of ``shown``, with the headlines of the month before and of the same
    month a year before where they have data (None where they have none)."""
    headlines: dict[Period, Headline | None] = {Period.THIS: headline(shown)}
    for period, facts in ((Period.LAST, last), (Period.YEAR_AGO, year_ago)):
        headlines[period] = headline(facts) if facts is not None and not facts.empty else None
    return Dashboard(
        month=shown.month,
        days=day_series(shown, tz),
        delays=delays(shown),
        weeks=weeks(shown, tz),
        headlines=headlines,
        target_percent=target_percent,
    )


# --------------------------------------------------------------------------------------------
# Drill-down: the cases behind a figure


@dataclass(frozen=True)
class Pick:
    """A figure to drill into: of the whole month, or of days ``first``..``last`` of it, or
    of one delay reason (``key``)."""

    figure: Figure
    month: Month
    first: date | None = None
    last: date | None = None
    key: str = ""


@dataclass(frozen=True, slots=True)
class Behind:
    """One line of a drill-down: a case (or a complaint without one) and its part in the
    figure, e.g. "late 12 min", "3.5 min", "satisfied"."""

    case_id: int | None
    number: str
    received_at: datetime
    detail: str
    bad: bool = False  # late, slow, dissatisfied, …: shown marked


def _minutes(value: float) -> str:
    return _("{minutes} min").format(minutes=f"{value:.1f}")


def behind(facts: MonthFacts, pick: Pick, tz: tzinfo) -> list[Behind]:
    """The cases behind ``pick``'s figure, the ones that pull it down first."""
    cases = list(facts.cases)
    if pick.first is not None or pick.last is not None:
        first = pick.first or date.min
        last = pick.last or date.max
        cases = [c for c in cases if first <= _local_day(c.received_at, tz) <= last]
    figure = pick.figure
    if figure is Figure.COMPLAINTS:
        complaints = [
            c
            for c in facts.complaints
            if (pick.first or date.min) <= _local_day(c.received_at, tz) <= (pick.last or date.max)
        ]
        return [
            Behind(
                c.case_id,
                c.case_number or c.number,
                c.received_at,
                _("complaint {number}").format(number=c.number),
            )
            for c in sorted(complaints, key=lambda c: (c.received_at, c.id))
        ]
    if figure is Figure.CALLS:
        return [_line(c, "", False) for c in _by_received(cases)]
    if figure in (Figure.ON_TIME, Figure.ON_TIME_ORIGINAL):
        return _on_time_lines(cases, original=figure is Figure.ON_TIME_ORIGINAL)
    if figure in (Figure.RESPONSE_P50, Figure.RESPONSE_P90):
        return _response_lines(cases, pick)
    if figure is Figure.DELAYS:
        delayed = [c for c in _by_received(cases) if c.delayed and c.delay_reason == pick.key]
        return [_line(c, _delay_detail(c), c.on_time is False) for c in delayed]
    return _survey_lines(cases, facts, figure)


def _by_received(cases: Iterable[CaseFact]) -> list[CaseFact]:
    return sorted(cases, key=lambda c: (c.received_at, c.id))


def _line(case: CaseFact, detail: str, bad: bool) -> Behind:
    return Behind(case.id, case.number, case.received_at, detail, bad)


def _on_time_lines(cases: list[CaseFact], *, original: bool) -> list[Behind]:
    def verdict(c: CaseFact) -> bool | None:
        return c.on_time_original if original else c.on_time

    counted = [c for c in _by_received(cases) if verdict(c) is not None]
    counted.sort(key=lambda c: bool(verdict(c)))  # the late ones first, stable
    lines = []
    for case in counted:
        if verdict(case):
            lines.append(_line(case, _("on time"), False))
            continue
        late = case.late_minutes if not original else None
        detail = _("late") if late is None else _("late {minutes}").format(minutes=_minutes(late))
        lines.append(_line(case, detail, True))
    return lines


def _response_lines(cases: list[CaseFact], pick: Pick) -> list[Behind]:
    timed = [(m, c) for c in _by_received(cases) if (m := c.response_minutes) is not None]
    timed.sort(key=lambda pair: -pair[0])  # the slowest first, stable
    values = [m for m, _c in timed]
    mark = percentile(values, 90 if pick.figure is Figure.RESPONSE_P90 else 50)
    return [_line(c, _minutes(m), mark is not None and m > mark) for m, c in timed]


def _delay_detail(case: CaseFact) -> str:
    parts = []
    if case.on_time is False:
        late = case.late_minutes
        parts.append(
            _("late") if late is None else _("late {minutes}").format(minutes=_minutes(late))
        )
    if case.extended:
        parts.append(_("promise extended"))
    return " · ".join(parts)


_SURVEY_DETAIL: dict[str, str] = {
    "answered": N_("Survey answered"),
    "refused": N_("Refused the survey"),
    "not_reached": N_("Owner not reached"),
    "wrong_number": N_("Wrong number"),
}


def _survey_lines(cases: list[CaseFact], facts: MonthFacts, figure: Figure) -> list[Behind]:
    surveys = _last_surveys(facts.surveys)
    keep: Callable[[SurveyFact], bool]
    if figure is Figure.SATISFACTION:

        def keep(s: SurveyFact) -> bool:
            return s.result == ANSWERED and s.satisfied is not None
    else:  # NOT_SURVEYED

        def keep(s: SurveyFact) -> bool:
            return s.result in NOT_REACHED or s.result == REFUSED

    lines = []
    for case in _by_received(cases):
        survey = surveys.get(case.id)
        if survey is None or not keep(survey):
            continue
        if figure is Figure.SATISFACTION:
            good = bool(survey.satisfied)
            lines.append(_line(case, _("satisfied") if good else _("dissatisfied"), not good))
        else:
            lines.append(_line(case, _(_SURVEY_DETAIL.get(survey.result, survey.result)), True))
    lines.sort(key=lambda b: not b.bad)  # the dissatisfied first, stable
    return lines
