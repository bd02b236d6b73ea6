"""The monthly report's tally counted by the database (``month_tally``) against the same
tally worked out case by case from the month's cases (``tally(month_cases(...))``), on SQLite
and PostgreSQL: the bench's months (bulk rows) plus hand-made cases at the edges of each
definition — several feedback surveys, an imported case (ledger only), delay reasons from the
timeline, whitespace in cancel reasons, voided records, no promise, fees in cents, the
month's first and last instants."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import insert

from bench import reports as bench
from callcenter import bootstrap
from callcenter.clock import ManualClock
from callcenter.reports.monthly import Month, monthly_report, tally
from callcenter.settings import Settings
from storage.engine import make_engine

# December 2025 in Asia/Shanghai: [2025-11-30 16:00Z, 2025-12-31 16:00Z).
DEC = Month(2025, 12)
DEC_START = datetime(2025, 11, 30, 16, 0, tzinfo=UTC)
DEC_END = datetime(2025, 12, 31, 16, 0, tzinfo=UTC)
T = datetime(2025, 12, 10, 2, 0, tzinfo=UTC)


def _edge_rows() -> dict[str, list[dict[str, Any]]]:
    """Cases 90001… of December, each at the edge of a definition."""
    template = next(bench._rows(1))
    rows: dict[str, list[dict[str, Any]]] = {k: [] for k in bench.TABLES}

    def add(
        i: int,
        received: datetime = T,
        *,
        ledger: dict[str, Any] | None = None,
        record: dict[str, Any] | None = None,
        **case: Any,
    ) -> int:
        case_id = 90000 + i
        number = f"E{case_id}"
        dispatched = received + timedelta(minutes=3, microseconds=7)
        values = {
            **template["cases"][0],
            "id": case_id,
            "number": number,
            "received_at": received,
            "dispatched_at": dispatched,
            "arrived_at": received + timedelta(minutes=30),
            "completed_at": received + timedelta(minutes=60),
            "promised_arrival_at": received + timedelta(minutes=40),
            "original_promised_at": received + timedelta(minutes=40),
            "service_state": "accepted",
            "is_open": False,
        }
        values.update(case)
        rows["cases"].append(values)
        if ledger is not None:
            rows["ledger"].append(
                {
                    **template["ledger"][0],
                    "case_id": case_id,
                    "number": number,
                    "received_at": received,
                    "feedback_result": "",
                    "satisfied": None,
                    "delay_reason": "",
                    **ledger,
                }
            )
        if record is not None:
            rows["records"].append({**template["records"][0], "case_id": case_id, **record})
        return case_id

    def survey(
        case_id: int, at: datetime, result: str, satisfied: bool | None, kind: str = "feedback"
    ) -> None:
        rows["surveys"].append(
            {
                **template["surveys"][0],
                "case_id": case_id,
                "at": at,
                "result": result,
                "satisfied": satisfied,
                "kind": kind,
            }
        )

    def event(case_id: int, at: datetime, kind: str, details: dict[str, Any]) -> None:
        rows["events"].append(
            {"case_id": case_id, "at": at, "actor": "op01", "kind": kind, "details": details}
        )

    # The last feedback survey counts (refused), not the revisit after it nor the ledger's.
    a = add(1, ledger={"feedback_result": "answered", "satisfied": True}, record={})
    survey(a, T + timedelta(hours=3), "answered", True)
    survey(a, T + timedelta(hours=5), "refused", None)
    survey(a, T + timedelta(hours=9), "answered", True, kind="revisit")
    # Two surveys at the same instant: the later row counts (answered, not rated).
    b = add(2, ledger={}, record={"fee_total": Decimal("123.45")})
    survey(b, T + timedelta(hours=3), "not_reached", None)
    survey(b, T + timedelta(hours=3), "answered", None)
    # Imported: a ledger entry and no record; its fee and feedback are the ledger's.
    add(
        3, ledger={"fee_total": Decimal("88.50"), "feedback_result": "answered", "satisfied": False}
    )
    # No ledger entry, late and extended: the last reason its delay events gave (weather).
    d = add(
        4,
        is_open=True,
        completed_at=None,
        service_state="none",
        arrived_at=T + timedelta(minutes=75),
        promised_arrival_at=T + timedelta(minutes=70),
    )
    event(d, T + timedelta(minutes=35), "delay_call", {"reason": "accident"})
    event(d, T + timedelta(minutes=38), "deadline_extended", {"reason": "weather"})
    event(d, T + timedelta(minutes=50), "delay_call", {})
    event(d, T + timedelta(minutes=51), "delay_call", {"reason": ""})
    # No ledger entry, extended, not arrived, no reason given.
    e = add(
        5,
        is_open=True,
        arrived_at=None,
        completed_at=None,
        service_state="none",
        promised_arrival_at=T + timedelta(minutes=70),
    )
    event(e, T + timedelta(minutes=35), "delay_call", {"note": "无"})
    # A ledger entry without a reason: the ledger's "" counts, not the timeline's.
    f = add(6, ledger={}, record={}, arrived_at=T + timedelta(minutes=50))
    event(f, T + timedelta(minutes=35), "delay_call", {"reason": "accident"})
    # Cancelled, the same reason spaced two ways; one after dispatch.
    gone = {"arrived_at": None, "completed_at": None, "service_state": "none"}
    cancel = {"cancelled_at": T + timedelta(minutes=2), "status": "cancelled"}
    add(7, **gone, **cancel, dispatched_at=None, cancel_reason="  车主  自行修好 ")
    add(8, **gone, **cancel, cancel_reason="车主 自行修好")
    add(9, **gone, **cancel, dispatched_at=None, cancel_reason="")
    # A voided record and an unaccepted one: no fee counted.
    add(10, ledger={}, record={"fee_total": Decimal("10")}, service_state="voided")
    add(11, ledger={}, record={"fee_total": Decimal("20")}, service_state="not_accepted")
    # No promise at all; no original promise (the promise in force stands for it).
    add(12, ledger={}, record={}, promised_arrival_at=None, original_promised_at=None)
    add(
        13,
        ledger={"delay_reason": "road_works"},
        record={},
        original_promised_at=None,
        arrived_at=T + timedelta(minutes=45),
    )
    add(22, ledger={}, record={}, promised_arrival_at=None, arrived_at=T + timedelta(minutes=50))
    # Flagged as a repeated repair twice: one case.
    k = add(14, ledger={}, record={"fee_total": Decimal("0.10")})
    event(k, T, "repeat_repair", {})
    event(k, T + timedelta(minutes=1), "repeat_repair", {})
    # Another priority and a policy that cannot be loaded (the session's clock stands in).
    add(15, ledger={}, record={}, priority="urgent", dispatched_at=T + timedelta(seconds=29))
    add(16, ledger={}, record={}, policy="no-such-policy")
    # The month's first instant is December's; its end is January's.
    add(17, DEC_START, ledger={}, record={"fee_total": Decimal("0.20")})
    add(18, DEC_END, ledger={}, record={})
    # A response of exactly 5 minutes (within), and one a microsecond longer (not).
    add(19, ledger={}, record={}, dispatched_at=T + timedelta(minutes=5))
    add(20, ledger={}, record={}, dispatched_at=T + timedelta(minutes=5, microseconds=1))
    # Completed with no feedback result anywhere.
    add(21, ledger={}, record={})
    return rows


@pytest.fixture
def filled(migrated_url: str) -> Iterator[bootstrap.Container]:
    bench.fill(migrated_url, 2400)  # 24 months, about 100 cases each
    engine = make_engine(migrated_url)
    with engine.begin() as conn:
        for key, rows in _edge_rows().items():
            if rows:
                conn.execute(insert(bench.TABLES[key]), rows)
    engine.dispose()
    settings = Settings(database_url=migrated_url, language="en", user="tester")
    container = bootstrap.build(settings, clock=ManualClock(bench.NOW))
    container.services.staff = None  # a trusted caller
    yield container
    container.close()


@pytest.mark.parametrize("month", ["2025-11", "2025-12", "2026-01", "2026-11", "2020-01"])
def test_the_database_tally_is_the_tally_of_the_cases(
    filled: bootstrap.Container, month: str
) -> None:
    s = filled.services
    wanted = Month(int(month[:4]), int(month[5:]))
    start, end = wanted.bounds(s.tz)
    with filled.uow(write=False) as uow:
        facts = uow.reports.month_cases(start, end, s._response_clock)
        counted = uow.reports.month_tally(start, end, s._response_clock)
    expected = tally(facts)
    assert counted == expected
    # … and so every figure of the report.
    made = {"target_percent": 97.0, "generated_at": bench.NOW}
    assert monthly_report(wanted, s.tz, counted, [], **made) == monthly_report(
        wanted, s.tz, facts, [], **made
    )
    assert s.monthly_report(month).calls == len(facts)
    if month == "2020-01":
        assert counted.counts["calls"] == 0 and counted.response_minutes == ()


def test_the_edges_are_in_december(filled: bootstrap.Container) -> None:
    """The hand-made cases reach the definitions they were made for (so the comparison
    above covers them)."""
    s = filled.services
    with filled.uow(write=False) as uow:
        t = uow.reports.month_tally(DEC_START, DEC_END, s._response_clock)
        numbers = {f.number for f in uow.reports.month_cases(DEC_START, DEC_END, s._response_clock)}
    assert "E90017" in numbers and "E90018" not in numbers
    assert t.cancellations["车主 自行修好"] >= 2
    assert t.counts["voided_records"] >= 1 and t.counts["not_rated"] >= 1
    assert t.counts["repeat_repairs"] >= 1
    assert t.extended_by_reason.get("weather", 0) >= 1
    assert t.late_by_reason.get("", 0) >= 1
    # 123.45 + 88.50 + 0.10 + 0.20 (and whole yuan from the bench's rows)
    assert sum(t.fees_by_plan.values()) % 1 == Decimal("0.25")
