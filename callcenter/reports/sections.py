"""The monthly report laid out for people: sections of labelled figures and small tables, in
the current language, with numbers formatted by hand the same way in every exporter.

Formatting (zh_CN and en alike, no Babel at run time): whole numbers with thousands
separators (``1,234``), percentages with one decimal (``93.4%``), minutes with one decimal,
money in yuan with two (``¥12,345.00``), a missing figure as ``—``. Chinese text takes
full-width brackets: ``93.4%（412/441）``; English ``93.4% (412/441)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from callcenter.i18n import _
from callcenter.reports.monthly import MonthlyReport, Ratio

NONE = "—"

#: How an exporter shows a figure's real number: a count, a percentage, minutes, yuan.
COUNT, PERCENT, MINUTES, MONEY = "count", "percent", "minutes", "money"


@dataclass(frozen=True)
class Line:
    """One figure: its label, its text as printed, and its real number for a spreadsheet."""

    label: str
    text: str
    value: int | float | Decimal | None
    kind: str = COUNT
    key: str | None = None  # the figure key behind it (drill-down), if it counts cases
    count: int | None = None  # for a ratio: the numerator …
    of: int | None = None  # … and the denominator


@dataclass(frozen=True)
class Row:
    label: str
    cells: tuple[int | float | Decimal | None, ...]
    key: str | None = None


@dataclass(frozen=True)
class Table:
    title: str
    headers: tuple[str, ...]  # the first names the label column
    kinds: tuple[str, ...]  # of each value column
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    lines: tuple[Line, ...] = ()
    tables: tuple[Table, ...] = field(default_factory=tuple)


# -- formatting ----------------------------------------------------------------------------


def fmt_count(n: int | None) -> str:
    return NONE if n is None else f"{n:,}"


def fmt_percent(p: float | None) -> str:
    return NONE if p is None else f"{p:.1f}%"


def fmt_minutes(m: float | None) -> str:
    return NONE if m is None else _("{value} min").format(value=f"{m:,.1f}")


def fmt_money(amount: Decimal | None) -> str:
    return NONE if amount is None else f"¥{amount:,.2f}"


def fmt_ratio(r: Ratio) -> str:
    return _("{percent} ({count}/{of})").format(
        percent=fmt_percent(r.percent), count=fmt_count(r.count), of=fmt_count(r.of)
    )


def fmt_cell(value: int | float | Decimal | None, kind: str) -> str:
    if value is None:
        return NONE
    if kind == PERCENT:
        return fmt_percent(float(value))
    if kind == MINUTES:
        return fmt_minutes(float(value))
    if kind == MONEY:
        return fmt_money(Decimal(value))
    return fmt_count(int(value))


def fmt_instant(report: MonthlyReport, which: str = "generated") -> str:
    from zoneinfo import ZoneInfo

    instant = report.generated_at if which == "generated" else report.start
    return instant.astimezone(ZoneInfo(report.timezone)).strftime("%Y-%m-%d %H:%M")


def _ratio_line(label: str, r: Ratio, key: str) -> Line:
    return Line(label, fmt_ratio(r), r.percent, PERCENT, key, r.count, r.of)


def _count_line(label: str, n: int, key: str | None = None) -> Line:
    return Line(label, fmt_count(n), n, COUNT, key)


# -- labels of stored codes ---------------------------------------------------------------


def delay_label(value: str) -> str:
    from callcenter.domain.enums import DelayReason

    if not value:
        return _("(no reason given)")
    try:
        return DelayReason(value).label
    except ValueError:
        return value


def plan_label(value: str) -> str:
    from callcenter.domain.enums import RescuePlan

    try:
        return RescuePlan(value).label
    except ValueError:
        return value


def category_label(value: str) -> str:
    from callcenter.complaints.model import Category

    try:
        return Category(value).label
    except ValueError:
        return value


# -- the sections ----------------------------------------------------------------------------


def title(report: MonthlyReport) -> str:
    return _("Monthly report {month}").format(month=report.month)


def sections(report: MonthlyReport) -> list[Section]:
    """The report's sections in the current language."""
    r = report
    resp = r.response
    clocks = "/".join(str(m) for m in resp.clock_minutes) or NONE
    sat = r.satisfaction
    com = r.complaints
    return [
        Section(
            "calls",
            _("Calls and rescues"),
            (
                _count_line(_("Calls received"), r.calls, "calls"),
                _count_line(_("Crews dispatched"), r.dispatched, "dispatched"),
                _count_line(_("Crews arrived"), r.arrived, "arrived"),
                _count_line(_("Rescues completed"), r.completed, "completed"),
                _count_line(_("Cancelled"), r.cancelled, "cancelled"),
                _count_line(_("Still open"), r.still_open, "open"),
            ),
        ),
        Section(
            "response",
            _("Response time"),
            (
                _count_line(_("Response: cases dispatched"), resp.count, "response"),
                Line(_("Response p50"), fmt_minutes(resp.p50), resp.p50, MINUTES, "response"),
                Line(_("Response p90"), fmt_minutes(resp.p90), resp.p90, MINUTES, "response"),
                Line(_("Response max"), fmt_minutes(resp.max), resp.max, MINUTES, "response"),
                _ratio_line(
                    _("Within the response clock ({minutes} min)").format(minutes=clocks),
                    resp.within,
                    "response_within",
                ),
            ),
        ),
        Section(
            "on_time",
            _("On-time arrival"),
            (
                _ratio_line(_("On-time arrival rate"), r.on_time, "on_time"),
                _ratio_line(
                    _("On-time against the original promise"),
                    r.on_time_original,
                    "on_time_original",
                ),
                _count_line(_("Arrived late"), r.late, "late"),
                _count_line(_("Promise extended"), r.extended, "extended"),
            ),
        ),
        Section(
            "delays",
            _("Delays by reason"),
            (),
            (
                Table(
                    _("Delays by reason"),
                    (_("Delay reason"), _("Arrived late"), _("Promise extended")),
                    (COUNT, COUNT),
                    tuple(
                        Row(delay_label(d.reason), (d.late, d.extended), f"delay:{d.reason}")
                        for d in r.delays
                    ),
                ),
            ),
        ),
        Section(
            "satisfaction",
            _("Satisfaction"),
            (
                _ratio_line(_("Satisfaction rate"), sat.rate, "satisfied"),
                Line(
                    _("Satisfaction target"),
                    fmt_percent(sat.target_percent),
                    sat.target_percent,
                    PERCENT,
                ),
                Line(
                    _("Target met"),
                    NONE
                    if sat.meets_target is None
                    else (_("Yes") if sat.meets_target else _("No")),
                    None if sat.meets_target is None else int(sat.meets_target),
                ),
                _count_line(_("Surveys answered"), sat.answered),
                _count_line(_("Satisfaction not rated"), sat.not_rated, "not_rated"),
                _count_line(_("Refused the survey"), sat.refused, "refused"),
                _count_line(_("Owner not reached"), sat.not_reached, "not_reached"),
                _count_line(_("Wrong number"), sat.wrong_number, "wrong_number"),
                _count_line(_("Completed, no feedback result yet"), sat.no_survey, "no_survey"),
            ),
        ),
        Section(
            "complaints",
            _("Complaints"),
            (
                _count_line(_("Complaints received"), com.received, "complaints"),
                _count_line(
                    _("Resolved within the deadline"), com.resolved_in_time, "complaints_in_time"
                ),
                _count_line(_("Resolved late"), com.resolved_late, "complaints_late"),
                _count_line(_("Complaints still open"), com.open, "complaints_open"),
            ),
            (
                Table(
                    _("Complaints by category"),
                    (_("Complaint category"), _("Complaints")),
                    (COUNT,),
                    tuple(
                        Row(category_label(k), (n,), f"category:{k}")
                        for k, n in com.by_category.items()
                    ),
                ),
                Table(
                    _("Complaints by crew member"),
                    (_("Crew member"), _("Complaints")),
                    (COUNT,),
                    tuple(Row(k, (n,), f"crew:{k}") for k, n in com.by_crew.items()),
                ),
            ),
        ),
        Section(
            "service",
            _("Repairs, cancellations and fees"),
            (
                _count_line(_("Repeated repairs"), r.repeat_repairs, "repeat_repairs"),
                _count_line(
                    _("Invalid service records (not accepted)"),
                    r.invalid_records,
                    "invalid_records",
                ),
                _count_line(_("Voided service records"), r.voided_records, "voided_records"),
                Line(_("Fees charged"), fmt_money(r.fees.total), r.fees.total, MONEY, "fees"),
            ),
            (
                Table(
                    _("Fees by plan"),
                    (_("Rescue plan"), _("Fees charged"), _("Records")),
                    (MONEY, COUNT),
                    tuple(
                        Row(
                            plan_label(p),
                            (amount, r.fees.records_by_plan.get(p, 0)),
                            f"plan:{p}",
                        )
                        for p, amount in r.fees.by_plan.items()
                    ),
                ),
                Table(
                    _("Cancellations by reason"),
                    (_("Cancel reason"), _("Cancelled")),
                    (COUNT,),
                    tuple(
                        Row(k or _("(no reason given)"), (n,), f"cancel:{k}")
                        for k, n in r.cancellations.items()
                    ),
                ),
            ),
        ),
    ]


def definitions() -> list[str]:
    """The definitions the figures follow (the report's footer, the README)."""
    return [
        _(
            "A case belongs to the month of its received time in the centre's time zone; a "
            "complaint to the month it was received in."
        ),
        _(
            "Response time = dispatched − received, in minutes, over the cases a crew was "
            "dispatched to; the share within the response clock of the case's policy. "
            "Percentiles: linear interpolation between closest ranks (the inclusive method)."
        ),
        _(
            "On-time arrival rate = cases arrived at or before the promise in force ÷ cases "
            "arrived that had a promise; also against the original promise, before any "
            "force-majeure extension."
        ),
        _(
            "Delays: cases arrived after the promise in force, and cases whose promise was "
            "extended, by the last delay reason given."
        ),
        _(
            "Satisfaction rate = satisfied ÷ feedback surveys whose satisfaction question was "
            "answered, as the survey template defines it; refused, not reached and wrong "
            "numbers are shown apart."
        ),
        _(
            "Complaints received in the month: resolved within the resolve deadline, resolved "
            "late, still open; by category and by the crew member complained about."
        ),
        _(
            "Repeated repairs: cases flagged at intake as a repeat of a completed one. Fees "
            "charged: totals of accepted service records. Invalid service records: records "
            "the owner did not accept."
        ),
    ]


def footer(report: MonthlyReport) -> list[str]:
    """The footer's lines: the zone, when it was made, then the definitions."""
    head = _("Time zone {zone}; generated {at}.").format(
        zone=report.timezone, at=fmt_instant(report)
    )
    return [head, *definitions()]
