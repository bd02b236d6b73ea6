"""The dashboard's arithmetic (callcenter/reports/dashboard.py), by hand: an empty month, ties,
the month and day boundaries of Asia/Shanghai (UTC+8, no DST), extended promises, surveys
counted apart, and the drill-down listing exactly what each figure counts."""

from __future__ import annotations

import statistics
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from callcenter.reports.dashboard import (
    CaseFact,
    ComplaintFact,
    Figure,
    Month,
    MonthFacts,
    Period,
    Pick,
    SurveyFact,
    behind,
    dashboard,
    day_series,
    delays,
    headline,
    week_ranges,
    weeks,
)
from callcenter.reports.stats import percentile

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOV = Month(2026, 11)


def local(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    """A Shanghai wall-clock time, as the aware UTC instant the database keeps."""
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def case(
    ident: int,
    received: datetime,
    *,
    response: float | None = None,
    arrive_after: float | None = None,
    promise_after: float | None = 60,
    extended_by: float | None = None,
    reason: str = "",
) -> CaseFact:
    """A case: dispatched ``response`` min after the call, on scene ``arrive_after`` min after,
    promised ``promise_after`` min after (``extended_by`` more since)."""
    promise = received + timedelta(minutes=promise_after) if promise_after is not None else None
    original = promise
    if promise is not None and extended_by:
        promise += timedelta(minutes=extended_by)
    return CaseFact.of(
        ident,
        f"N{ident:04d}",
        received,
        received + timedelta(minutes=response) if response is not None else None,
        received + timedelta(minutes=arrive_after) if arrive_after is not None else None,
        promise,
        original,
        delay_reason=reason,
    )


def test_percentile_is_the_inclusive_method() -> None:
    assert percentile([], 50) is None
    assert percentile([7.0], 90) == 7.0
    values = [1.0, 2.0, 3.0, 4.0, 10.0]
    assert percentile(values, 50) == 3.0
    assert percentile(values, 90) == pytest.approx(7.6)  # 4 + 0.6 × (10 − 4)
    assert percentile(values, 90) == statistics.quantiles(values, n=10, method="inclusive")[8]
    assert percentile([5.0, 5.0, 5.0, 5.0], 90) == 5.0  # ties


def test_months_across_years_and_parsed_as_typed() -> None:
    assert Month(2026, 1).previous() == Month(2025, 12)
    assert Month(2025, 12).next() == Month(2026, 1)
    assert Month(2026, 3).year_before() == Month(2025, 3)
    assert Month.parse("2026-11") == Month.parse("2026年11月") == Month.parse(" 2026/11 ") == NOV
    with pytest.raises(ValueError):
        Month.parse("2026-13")
    assert len(Month(2028, 2).days()) == 29
    # Shanghai's November starts at 16:00 UTC on 31 October
    assert NOV.start(SHANGHAI) == datetime(2026, 10, 31, 16, tzinfo=UTC)
    assert NOV.end(SHANGHAI) == datetime(2026, 11, 30, 16, tzinfo=UTC)
    assert Month.of(datetime(2026, 10, 31, 16, tzinfo=UTC), SHANGHAI) == NOV
    assert Month.of(datetime(2026, 10, 31, 15, 59, tzinfo=UTC), SHANGHAI) == Month(2026, 10)
    assert Period.YEAR_AGO.month(NOV) == Month(2025, 11)


def test_an_empty_month_has_every_day_and_no_figure() -> None:
    facts = MonthFacts(NOV)
    board = dashboard(facts, SHANGHAI)
    assert len(board.days) == 30 and all(d.calls == 0 and d.p50 is None for d in board.days)
    head = board.headlines[Period.THIS]
    assert head is not None and head.calls == 0 and head.on_time_percent is None
    assert head.p50 is None and head.rate.percent is None
    assert board.headlines[Period.LAST] is None and board.headlines[Period.YEAR_AGO] is None
    assert board.delays == [] and [w.rate.answered for w in board.weeks] == [0] * 5
    assert behind(facts, Pick(Figure.ON_TIME, NOV), SHANGHAI) == []


def test_days_follow_the_centres_midnight_not_utcs() -> None:
    facts = MonthFacts(
        NOV,
        cases=[
            # 00:10 on 1 November in Shanghai is still 31 October in UTC
            case(1, local(1, 0, 10), response=2, arrive_after=30),
            # 23:50 on 1 November in Shanghai is 15:50 UTC the same day
            case(2, local(1, 23, 50), response=4, arrive_after=70),  # late by 10 min
            # 08:00 on 2 November in Shanghai is 00:00 UTC
            case(3, local(2, 8), response=6, arrive_after=60),  # exactly at the promise
        ],
    )
    days = day_series(facts, SHANGHAI)
    first, second = days[0], days[1]
    assert (first.day, first.calls, first.arrived, first.on_time) == (date(2026, 11, 1), 2, 2, 1)
    assert (first.p50, first.p90) == (3.0, pytest.approx(3.8))  # 2 and 4 minutes
    assert (second.calls, second.on_time, second.p50) == (1, 1, 6.0)  # at the promise: on time
    head = headline(facts)
    assert (head.calls, head.arrived, head.on_time, head.responses) == (3, 3, 2, 3)
    assert head.p50 == 4.0 and head.p90 == pytest.approx(5.6)


def test_ties_and_cases_without_times() -> None:
    received = local(5, 10)
    facts = MonthFacts(
        NOV,
        cases=[
            case(1, received, response=5, arrive_after=40),
            case(2, received, response=5, arrive_after=40),
            case(3, received, response=5, arrive_after=40),
            case(4, received),  # cancelled before dispatch: a call, nothing else
            case(5, received, response=5, promise_after=None, arrive_after=40),  # no promise
        ],
    )
    head = headline(facts)
    assert head.calls == 5 and head.responses == 4 and head.p50 == head.p90 == 5.0
    assert (head.arrived, head.on_time) == (3, 3)
    listed = behind(facts, Pick(Figure.RESPONSE_P90, NOV), SHANGHAI)
    assert [b.case_id for b in listed] == [1, 2, 3, 5]  # ties keep the received order
    assert not any(b.bad for b in listed)  # none above the p90


def test_extended_promises_count_against_the_promise_in_force_and_the_first() -> None:
    facts = MonthFacts(
        NOV,
        cases=[
            # promised at 60, extended by 30 for a traffic jam, arrived at 80: on time now,
            # late against the first promise
            case(1, local(3, 9), response=3, arrive_after=80, extended_by=30, reason="traffic_jam"),
            # late, the reason given on the delay call
            case(2, local(3, 10), response=3, arrive_after=75, reason="weather"),
            # late, no reason given
            case(3, local(3, 11), response=3, arrive_after=65),
            case(4, local(3, 12), response=3, arrive_after=62, reason="traffic_jam"),
            case(5, local(3, 13), response=3, arrive_after=20),
        ],
    )
    head = headline(facts)
    assert (head.on_time, head.arrived) == (2, 5)
    assert (head.on_time_original, head.arrived_original) == (1, 5)
    by_reason = {d.reason: (d.late, d.extended, d.cases) for d in delays(facts)}
    assert by_reason == {"traffic_jam": (1, 1, 2), "weather": (1, 0, 1), "": (1, 0, 1)}
    assert [d.reason for d in delays(facts)] == ["traffic_jam", "weather", ""]
    listed = behind(facts, Pick(Figure.DELAYS, NOV, key="traffic_jam"), SHANGHAI)
    assert [(b.case_id, b.bad) for b in listed] == [(1, False), (4, True)]
    assert listed[0].detail == "promise extended" and listed[1].detail == "late 2.0 min"
    late_first = behind(facts, Pick(Figure.ON_TIME, NOV), SHANGHAI)
    assert [b.case_id for b in late_first] == [2, 3, 4, 1, 5]
    assert [b.case_id for b in late_first if b.bad] == [2, 3, 4]
    original = behind(facts, Pick(Figure.ON_TIME_ORIGINAL, NOV), SHANGHAI)
    assert [b.case_id for b in original if b.bad] == [1, 2, 3, 4]


def test_satisfaction_is_the_templates_rate_with_unreached_and_refused_apart() -> None:
    cases = [case(i, local(i, 12), response=3, arrive_after=30) for i in range(1, 9)]
    surveys = [
        SurveyFact(1, "answered", True),
        SurveyFact(2, "answered", False),
        SurveyFact(3, "answered", None),  # "not applicable": not in the rate
        SurveyFact(4, "refused", None),
        SurveyFact(5, "not_reached", None),
        SurveyFact(6, "wrong_number", None),
        SurveyFact(7, "not_reached", None),
        SurveyFact(7, "answered", True),  # reached on a later call: its last survey counts
    ]
    facts = MonthFacts(NOV, cases=cases, surveys=surveys)
    head = headline(facts)
    assert (head.rate.satisfied, head.rate.answered) == (2, 3)
    assert (head.not_reached, head.refused) == (2, 1)
    first_week, second_week = weeks(facts, SHANGHAI)[:2]
    assert (first_week.first, first_week.last) == (date(2026, 11, 1), date(2026, 11, 7))
    assert (first_week.rate.satisfied, first_week.rate.answered) == (2, 3)
    assert (first_week.not_reached, first_week.refused) == (2, 1)
    assert second_week.rate.answered == 0
    listed = behind(facts, Pick(Figure.SATISFACTION, NOV), SHANGHAI)
    assert [(b.case_id, b.detail) for b in listed] == [
        (2, "dissatisfied"),
        (1, "satisfied"),
        (7, "satisfied"),
    ]
    apart = behind(facts, Pick(Figure.NOT_SURVEYED, NOV), SHANGHAI)
    assert [b.case_id for b in apart] == [4, 5, 6]
    week = behind(
        facts, Pick(Figure.SATISFACTION, NOV, date(2026, 11, 8), date(2026, 11, 14)), SHANGHAI
    )
    assert week == []


def test_weeks_of_a_month() -> None:
    assert week_ranges(Month(2026, 2))[-1] == (date(2026, 2, 22), date(2026, 2, 28))
    assert len(week_ranges(Month(2026, 2))) == 4
    assert week_ranges(NOV)[-1] == (date(2026, 11, 29), date(2026, 11, 30))


def test_every_figure_lists_what_it_counts() -> None:
    cases = [
        case(1, local(1, 0, 5), response=2, arrive_after=30),
        case(2, local(15, 12), response=9, arrive_after=90),
        case(3, local(30, 23, 59), response=4),  # the month's last minute: en route
        case(4, local(20, 8)),  # cancelled
    ]
    complaints = [
        ComplaintFact(1, "TS1", local(2, 9), case_id=2, case_number="N0002"),
        ComplaintFact(2, "TS2", local(3, 9)),  # about no case
    ]
    surveys = [SurveyFact(1, "answered", True), SurveyFact(2, "refused", None)]
    facts = MonthFacts(NOV, cases=cases, surveys=surveys, complaints=complaints)
    head = headline(facts)
    counts = {
        Figure.CALLS: head.calls,
        Figure.ON_TIME: head.arrived,
        Figure.ON_TIME_ORIGINAL: head.arrived_original,
        Figure.RESPONSE_P50: head.responses,
        Figure.RESPONSE_P90: head.responses,
        Figure.SATISFACTION: head.rate.answered,
        Figure.NOT_SURVEYED: head.not_reached + head.refused,
        Figure.COMPLAINTS: head.complaints,
    }
    for figure, count in counts.items():
        assert len(behind(facts, Pick(figure, NOV), SHANGHAI)) == count, figure
    listed = behind(facts, Pick(Figure.COMPLAINTS, NOV), SHANGHAI)
    assert [(b.case_id, b.number) for b in listed] == [(2, "N0002"), (None, "TS2")]
    day = date(2026, 11, 30)
    assert [b.case_id for b in behind(facts, Pick(Figure.CALLS, NOV, day, day), SHANGHAI)] == [3]
    slowest = behind(facts, Pick(Figure.RESPONSE_P50, NOV), SHANGHAI)
    assert [b.case_id for b in slowest] == [2, 3, 1] and slowest[0].detail == "9.0 min"
    days = day_series(facts, SHANGHAI)
    for each in days:
        picked = behind(facts, Pick(Figure.ON_TIME, NOV, each.day, each.day), SHANGHAI)
        assert len(picked) == each.arrived
        picked = behind(facts, Pick(Figure.RESPONSE_P90, NOV, each.day, each.day), SHANGHAI)
        assert len(picked) == each.responses


def test_headlines_of_other_months_only_where_they_have_data() -> None:
    shown = MonthFacts(NOV, cases=[case(1, local(4, 9), response=3)])
    last = MonthFacts(NOV.previous(), cases=[case(2, local(4, 9, month=10), response=5)])
    year_ago = MonthFacts(NOV.year_before())
    board = dashboard(shown, SHANGHAI, last=last, year_ago=year_ago, target_percent=97)
    assert board.headlines[Period.THIS] is not None
    last_head = board.headlines[Period.LAST]
    assert last_head is not None and last_head.p50 == 5.0
    assert board.headlines[Period.YEAR_AGO] is None and board.target_percent == 97
