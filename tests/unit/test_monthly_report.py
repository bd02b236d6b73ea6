"""The monthly report's arithmetic (callcenter/reports): percentiles, ratios, months, the
figures of hand-made cases, and the text they print in both languages."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from callcenter.errors import ValidationError
from callcenter.reports.export import to_text
from callcenter.reports.monthly import (
    CaseFacts,
    ComplaintFacts,
    Month,
    cases_behind,
    monthly_report,
    parse_month,
)
from callcenter.reports.stats import percentile

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
NOW = datetime(2026, 4, 1, 0, 0, tzinfo=UTC)


def case(i: int, **kw: object) -> CaseFacts:
    values: dict[str, object] = {"case_id": i, "number": f"C{i:03d}", "received_at": T0}
    values.update(kw)
    return CaseFacts(**values)  # type: ignore[arg-type]


def served(i: int, response: float, arrive: float, promise: float = 40, **kw: object) -> CaseFacts:
    """Dispatched ``response`` min and arrived ``arrive`` min after the call; a promise
    ``promise`` min after it."""
    at = T0 + timedelta(hours=i)
    return case(
        i,
        received_at=at,
        dispatched_at=at + timedelta(minutes=response),
        arrived_at=at + timedelta(minutes=arrive),
        promised_at=at + timedelta(minutes=promise),
        original_promised_at=at + timedelta(minutes=promise),
        **kw,
    )


def report(cases: list[CaseFacts], complaints: list[ComplaintFacts] | None = None):  # type: ignore[no-untyped-def]
    return monthly_report(
        Month(2026, 3), TZ, cases, complaints or [], target_percent=97, generated_at=NOW
    )


# -- percentiles ------------------------------------------------------------------------------


def test_percentile_of_nothing_and_of_one_value() -> None:
    assert percentile([], 50) is None
    assert percentile([4.5], 50) == 4.5
    assert percentile([4.5], 90) == 4.5


def test_percentile_interpolates_between_closest_ranks() -> None:
    assert percentile([1, 2], 50) == pytest.approx(1.5)
    assert percentile([1, 3, 3, 8], 50) == pytest.approx(3.0)
    assert percentile([1, 3, 3, 8], 90) == pytest.approx(6.5)
    assert percentile([8, 1, 3, 3], 90) == pytest.approx(6.5)  # order does not matter
    values = [0.5 * i for i in range(1, 100)]
    assert percentile(values, 90) == statistics.quantiles(values, n=100, method="inclusive")[89]


def test_percentile_of_ties() -> None:
    assert percentile([3, 3, 3, 3], 50) == 3
    assert percentile([3, 3, 3, 3], 90) == 3


# -- months ---------------------------------------------------------------------------------


def test_month_bounds_in_the_centres_zone() -> None:
    start, end = Month(2026, 3).bounds(TZ)
    assert start == datetime(2026, 2, 28, 16, 0, tzinfo=UTC)
    assert end == datetime(2026, 3, 31, 16, 0, tzinfo=UTC)
    assert Month(2026, 12).next() == Month(2027, 1)
    assert Month(2026, 1).previous() == Month(2025, 12)
    assert Month(2028, 2).days == 29


@pytest.mark.parametrize("text", ["2026-03", "2026/3", "2026年3月", " 2026-3 "])
def test_parse_month(text: str) -> None:
    assert parse_month(text) == Month(2026, 3)


@pytest.mark.parametrize("text", ["", "2026", "2026-13", "2026-00", "March", "26-03"])
def test_parse_month_refuses(text: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_month(text)
    assert err.value.field == "month"


# -- figures -------------------------------------------------------------------------------


def test_an_empty_month() -> None:
    r = report([])
    assert r.calls == 0
    assert r.response.count == 0 and r.response.p50 is None and r.response.max is None
    assert r.on_time.percent is None and r.satisfaction.rate.percent is None
    assert r.satisfaction.meets_target is None
    assert r.fees.total == 0 and r.delays == () and r.cancellations == {}
    text = to_text(r, lang="en").splitlines()
    assert "Response p50 —" in text
    assert "On-time arrival rate — (0/0)" in text


def test_a_single_case() -> None:
    r = report([served(1, 4.25, 30)])
    assert (r.response.p50, r.response.p90, r.response.max) == (4.25, 4.25, 4.25)
    assert (r.response.within.count, r.response.within.of) == (1, 1)
    assert (r.on_time.count, r.on_time.of) == (1, 1)


def test_the_response_clock_is_inclusive() -> None:
    r = report([served(1, 5, 30), served(2, 5.01, 30)])
    assert (r.response.within.count, r.response.within.of) == (1, 2)


def test_cancelled_cases() -> None:
    cases = [
        case(1, cancelled_at=T0, cancel_reason="车主自行修好"),
        case(2, cancelled_at=T0, cancel_reason="  车主自行修好 "),
        # cancelled after dispatch: its response counts, it never arrived
        case(3, dispatched_at=T0 + timedelta(minutes=2), cancelled_at=T0, cancel_reason="重复来电"),
        served(4, 3, 30),
    ]
    r = report(cases)
    assert r.calls == 4 and r.cancelled == 3
    assert r.cancellations == {"车主自行修好": 2, "重复来电": 1}
    assert r.response.count == 2
    assert (r.on_time.count, r.on_time.of) == (1, 1)
    assert cases_behind("cancel:车主自行修好", cases) == ["C001", "C002"]


def test_extended_promises_and_delay_reasons() -> None:
    at = T0 + timedelta(hours=5)
    extended = case(
        5,
        received_at=at,
        dispatched_at=at + timedelta(minutes=2),
        arrived_at=at + timedelta(minutes=55),
        promised_at=at + timedelta(minutes=65),
        original_promised_at=at + timedelta(minutes=40),
        delay_reason="traffic_jam",
    )
    cases = [
        served(1, 3, 30),
        served(2, 3, 45, delay_reason="weather"),  # late
        served(3, 3, 41),  # late, no reason
        served(4, 3, 40),  # exactly at the promise: on time
        extended,
        case(6, dispatched_at=T0, promised_at=T0),  # not arrived: not counted
    ]
    r = report(cases)
    assert (r.on_time.count, r.on_time.of) == (3, 5)
    assert (r.on_time_original.count, r.on_time_original.of) == (2, 5)
    assert r.late == 2 and r.extended == 1
    assert [(d.reason, d.late, d.extended) for d in r.delays] == [
        ("traffic_jam", 0, 1),
        ("weather", 1, 0),
        ("", 1, 0),
    ]
    assert cases_behind("late", cases) == ["C002", "C003"]
    assert cases_behind("late_original", cases) == ["C002", "C003", "C005"]
    assert cases_behind("delay:", cases) == ["C003"]


def test_satisfaction_as_the_template_defines_it() -> None:
    cases = [
        served(1, 3, 30, completed_at=T0, feedback_result="answered", satisfied=True),
        served(2, 3, 30, completed_at=T0, feedback_result="answered", satisfied=True),
        served(3, 3, 30, completed_at=T0, feedback_result="answered", satisfied=False),
        served(4, 3, 30, completed_at=T0, feedback_result="answered", satisfied=None),
        served(5, 3, 30, completed_at=T0, feedback_result="refused"),
        served(6, 3, 30, completed_at=T0, feedback_result="not_reached"),
        served(7, 3, 30, completed_at=T0, feedback_result="wrong_number"),
        served(8, 3, 30, completed_at=T0),
    ]
    s = report(cases).satisfaction
    assert (s.rate.count, s.rate.of) == (2, 3)
    assert (s.answered, s.not_rated, s.refused, s.not_reached, s.wrong_number) == (4, 1, 1, 1, 1)
    assert s.no_survey == 1 and s.meets_target is False


def test_fees_and_invalid_records() -> None:
    cases = [
        served(1, 3, 30, plan="battery", record_state="accepted", fee_total=Decimal("180")),
        served(2, 3, 30, plan="battery", record_state="accepted", fee_total=Decimal("20.5")),
        served(3, 3, 30, plan="towing", record_state="accepted", fee_total=Decimal("300")),
        served(4, 3, 30, plan="towing", record_state="not_accepted", fee_total=Decimal("99")),
        served(5, 3, 30, plan="towing", record_state="voided", fee_total=Decimal("77")),
    ]
    r = report(cases)
    assert r.fees.total == Decimal("500.5")
    assert r.fees.by_plan == {"battery": Decimal("200.5"), "towing": Decimal("300")}
    assert r.fees.records_by_plan == {"battery": 2, "towing": 1}
    assert (r.invalid_records, r.voided_records) == (1, 1)
    assert cases_behind("invalid_records", cases) == ["C004"]


def test_complaints() -> None:
    due = T0 + timedelta(days=3)
    complaints = [
        ComplaintFacts(1, "T1", T0, "quarrel", False, T0 + timedelta(days=1), due, "救援1组 李强"),
        ComplaintFacts(2, "T2", T0, "quarrel", False, T0 + timedelta(days=4), due, "救援1组 李强"),
        ComplaintFacts(3, "T3", T0, "fees", True, None, due, ""),
        ComplaintFacts(4, "T4", T0, "attitude", False, due, due, "救援2组"),
    ]
    c = report([], complaints).complaints
    assert (c.received, c.resolved_in_time, c.resolved_late, c.open) == (4, 2, 1, 1)
    assert c.by_category == {"quarrel": 2, "attitude": 1, "fees": 1}
    assert c.by_crew == {"救援1组 李强": 2, "救援2组": 1}
    assert cases_behind("complaints_late", [], complaints) == ["T2"]
    assert cases_behind("crew:救援2组", [], complaints) == ["T4"]


def test_text_in_both_languages() -> None:
    cases = [served(i, 3 + i / 10, 30 if i % 10 else 50) for i in range(1, 22)]
    r = report(cases)
    zh = to_text(r, lang="zh_CN").splitlines()
    assert "准时到达率 90.5%（19/21）" in zh
    assert "响应时长 p50 4.1 分钟" in zh
    assert "来电 21" in zh
    en = to_text(r, lang="en").splitlines()
    assert "On-time arrival rate 90.5% (19/21)" in en
    assert "Response p50 4.1 min" in en
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in "".join(en))
    assert "[口径说明]" in zh and "[Definitions]" in en
