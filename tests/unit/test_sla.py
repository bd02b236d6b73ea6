"""The SLA engine: policy files, deadlines, clock states and office-hours arithmetic."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from callcenter import i18n, sla
from callcenter.domain.enums import CaseStatus, Priority, RescuePlan
from callcenter.domain.model import Case
from callcenter.errors import CallCenterError, ValidationError
from callcenter.sla import (
    AgreedTimeRequired,
    BusinessHours,
    ClockKind,
    ClockState,
    PolicyError,
    add_business_time,
    arrival_deadline,
    clocks,
    deadline,
    load_policy,
    parse_policy,
    state,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
MIN = timedelta(minutes=1)
SEC = timedelta(seconds=1)


def local(tz: ZoneInfo, *args: int) -> datetime:
    """A wall-clock time in ``tz``, returned as aware UTC."""
    return datetime(*args, tzinfo=tz).astimezone(UTC)  # type: ignore[misc]


def sh(*args: int) -> datetime:
    return local(SHANGHAI, *args)


# 2025-06-02 is a Monday. 10:00 in Shanghai.
T0 = sh(2025, 6, 2, 10, 0)


def make_case(**changes: object) -> Case:
    base = Case(
        received_at=T0,
        caller_name="张三",
        phone="+8613800138000",
        plate="粤B12345",
        address="深圳市南山区科技园",
        distance_km=Decimal("5"),
        fault_description="无法启动",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _english_and_fresh_cache():
    previous = i18n.current_language()
    i18n.set_language("en")
    sla.clear_policy_cache()
    yield
    if previous in i18n.LANGUAGES:
        i18n.set_language(previous)
    sla.clear_policy_cache()


@pytest.fixture(scope="module")
def roadside() -> sla.Policy:
    return load_policy("roadside")


@pytest.fixture(scope="module")
def field_service() -> sla.Policy:
    return load_policy("field-service")


@pytest.fixture(scope="module")
def priority_policy() -> sla.Policy:
    return load_policy("priority")


def office(days: str = "mon tue wed thu fri", start: str = "09:00", end: str = "18:00", **kw):
    names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    return BusinessHours(
        frozenset(names.index(d) for d in days.split()),
        datetime.strptime(start, "%H:%M").time(),
        datetime.strptime(end, "%H:%M").time(),
        **kw,
    )


# ------------------------------------------------------------------------------------------
# Presets


@pytest.mark.parametrize("name", ["roadside", "field-service", "priority"])
def test_every_preset_loads_and_is_listed(name: str) -> None:
    policy = load_policy(name)
    assert policy.name == name
    assert policy.title
    assert name in sla.available_policies()
    assert policy.source.endswith(f"{name}.toml")


@pytest.mark.parametrize(
    ("name", "priority", "kinds"),
    [
        ("roadside", Priority.GENERAL, ["response", "arrival", "repair", "feedback"]),
        ("roadside", Priority.URGENT, ["response", "arrival", "repair", "feedback"]),
        ("field-service", Priority.GENERAL, ["arrival", "feedback"]),
        ("priority", Priority.URGENT, ["completion", "feedback"]),
        ("priority", Priority.SEVERE, ["response", "completion", "feedback"]),
        ("priority", Priority.GENERAL, ["response", "completion", "feedback"]),
    ],
)
def test_preset_clocks_per_priority(name: str, priority: Priority, kinds: list[str]) -> None:
    assert [r.kind for r in load_policy(name).rules(priority)] == kinds


def test_roadside_matches_the_mission_table(roadside: sla.Policy) -> None:
    response = roadside.rule(ClockKind.RESPONSE)
    repair = roadside.rule(ClockKind.REPAIR)
    feedback = roadside.rule(ClockKind.FEEDBACK)
    arrival = roadside.rule(ClockKind.ARRIVAL)
    assert response is not None and response.minutes == 5
    assert repair is not None and repair.minutes == 120 and repair.start == "arrived"
    assert repair.plans == {
        RescuePlan.ONSITE_REPAIR,
        RescuePlan.BATTERY,
        RescuePlan.TYRE,
        RescuePlan.FUEL,
        RescuePlan.LOCKOUT,
    }
    assert feedback is not None and feedback.minutes == 24 * 60
    assert arrival is not None
    assert [(b.max_km, b.minutes, b.agreed) for b in arrival.bands] == [
        (Decimal(10), 40, False),
        (Decimal(20), 60, False),
        (None, None, True),
    ]


# ------------------------------------------------------------------------------------------
# Arrival bands


@pytest.mark.parametrize(
    ("km", "minutes"),
    [
        (Decimal("0"), 40),
        (Decimal("0.5"), 40),
        (Decimal("10"), 40),
        (Decimal("10.0"), 40),
        (Decimal("10.00"), 40),
        (10.0, 40),
        (10, 40),
        (Decimal("10.01"), 60),
        (10.01, 60),
        (Decimal("15"), 60),
        (Decimal("20"), 60),
        (Decimal("20.00"), 60),
    ],
)
def test_roadside_arrival_bands(roadside: sla.Policy, km: Decimal, minutes: int) -> None:
    due = arrival_deadline(roadside, received_at=T0, distance_km=km)
    assert due == T0 + timedelta(minutes=minutes)
    assert due is not None and due.tzinfo is UTC


@pytest.mark.parametrize("km", [Decimal("20.01"), Decimal("21"), Decimal("500")])
def test_roadside_beyond_20_km_refuses_without_agreed_time(
    roadside: sla.Policy, km: Decimal
) -> None:
    with pytest.raises(AgreedTimeRequired) as excinfo:
        arrival_deadline(roadside, received_at=T0, distance_km=km)
    assert isinstance(excinfo.value, ValidationError)
    assert excinfo.value.field == "agreed_arrival_at"
    assert "20 km" in excinfo.value.message


@pytest.mark.parametrize("km", [Decimal("20.01"), Decimal("80")])
def test_roadside_beyond_20_km_uses_agreed_time(roadside: sla.Policy, km: Decimal) -> None:
    agreed = datetime(2025, 6, 2, 12, 30, tzinfo=SHANGHAI)  # given in local time
    due = arrival_deadline(roadside, received_at=T0, distance_km=km, agreed_arrival_at=agreed)
    assert due == agreed and due.tzinfo is UTC


def test_agreed_time_is_ignored_inside_the_bands(roadside: sla.Policy) -> None:
    agreed = T0 + timedelta(hours=3)
    due = arrival_deadline(roadside, received_at=T0, distance_km=15, agreed_arrival_at=agreed)
    assert due == T0 + 60 * MIN


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"distance_km": Decimal("-1")}, "distance_km"),
        ({"distance_km": Decimal("NaN")}, "distance_km"),
        ({"distance_km": 30, "agreed_arrival_at": T0}, "agreed_arrival_at"),
        ({"distance_km": 30, "agreed_arrival_at": T0 - MIN}, "agreed_arrival_at"),
    ],
)
def test_arrival_input_errors(roadside: sla.Policy, kwargs: dict, field: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        arrival_deadline(roadside, received_at=T0, **kwargs)
    assert excinfo.value.field == field


@pytest.mark.parametrize(
    ("km", "hours"),
    [
        (Decimal("0"), 2),
        (Decimal("50"), 2),
        (Decimal("50.01"), 6),
        (Decimal("200"), 6),
        (Decimal("200.5"), 8),
        (Decimal("300"), 8),
        (Decimal("301"), 10),
        (Decimal("400"), 10),
    ],
)
def test_field_service_arrival_bands(field_service: sla.Policy, km: Decimal, hours: int) -> None:
    due = arrival_deadline(field_service, received_at=T0, distance_km=km)
    assert due == T0 + timedelta(hours=hours)


def test_field_service_beyond_400_km_needs_agreed_time(field_service: sla.Policy) -> None:
    with pytest.raises(AgreedTimeRequired, match="400 km"):
        arrival_deadline(field_service, received_at=T0, distance_km=Decimal("400.01"))


def test_policy_without_arrival_clock_has_no_arrival_deadline(
    priority_policy: sla.Policy,
) -> None:
    assert arrival_deadline(priority_policy, received_at=T0, distance_km=900) is None


@pytest.mark.parametrize(
    ("name", "km", "needed"),
    [
        ("roadside", 20, False),
        ("roadside", Decimal("20.01"), True),
        ("field-service", 400, False),
        ("field-service", 401, True),
        ("priority", 1000, False),
    ],
)
def test_requires_agreed_time(name: str, km: Decimal, needed: bool) -> None:
    assert sla.requires_agreed_time(load_policy(name), km) is needed


# ------------------------------------------------------------------------------------------
# Deadlines of stored cases


@pytest.mark.parametrize(
    ("name", "changes", "kind", "expected"),
    [
        ("roadside", {}, ClockKind.RESPONSE, T0 + 5 * MIN),
        ("roadside", {}, ClockKind.ARRIVAL, T0 + 40 * MIN),
        ("roadside", {"distance_km": Decimal("12")}, ClockKind.ARRIVAL, T0 + 60 * MIN),
        (  # an extended promise wins over the bands
            "roadside",
            {"promised_arrival_at": T0 + 75 * MIN},
            ClockKind.ARRIVAL,
            T0 + 75 * MIN,
        ),
        (
            "roadside",
            {"distance_km": Decimal("35"), "agreed_arrival_at": T0 + 90 * MIN},
            ClockKind.ARRIVAL,
            T0 + 90 * MIN,
        ),
        ("roadside", {"plan": RescuePlan.ONSITE_REPAIR}, ClockKind.REPAIR, None),
        (
            "roadside",
            {"plan": RescuePlan.ONSITE_REPAIR, "arrived_at": T0 + 30 * MIN},
            ClockKind.REPAIR,
            T0 + 150 * MIN,
        ),
        (  # towing has no repair clock
            "roadside",
            {"plan": RescuePlan.TOWING, "arrived_at": T0 + 30 * MIN},
            ClockKind.REPAIR,
            None,
        ),
        ("roadside", {}, ClockKind.FEEDBACK, None),
        (
            "roadside",
            {"completed_at": T0 + 2 * 60 * MIN},
            ClockKind.FEEDBACK,
            T0 + 26 * 60 * MIN,
        ),
        ("roadside", {}, ClockKind.COMPLETION, None),
        ("field-service", {}, ClockKind.RESPONSE, None),
        ("field-service", {"distance_km": Decimal("250")}, ClockKind.ARRIVAL, T0 + 480 * MIN),
        (  # urgent: call → done in 1 h, even on a Saturday night
            "priority",
            {"priority": Priority.URGENT, "received_at": sh(2025, 6, 7, 3, 0)},
            ClockKind.COMPLETION,
            sh(2025, 6, 7, 4, 0),
        ),
        ("priority", {"priority": Priority.URGENT}, ClockKind.RESPONSE, None),
        (  # general: 2 office hours, Friday 17:30 → Monday 10:30
            "priority",
            {"received_at": sh(2025, 6, 6, 17, 30)},
            ClockKind.RESPONSE,
            sh(2025, 6, 9, 10, 30),
        ),
        (  # severe: a call on Saturday responds by Monday 11:00
            "priority",
            {"priority": Priority.SEVERE, "received_at": sh(2025, 6, 7, 14, 0)},
            ClockKind.RESPONSE,
            sh(2025, 6, 9, 11, 0),
        ),
        ("priority", {}, ClockKind.COMPLETION, None),
        (  # 8 office hours from the response: Monday 16:00 → Tuesday 15:00
            "priority",
            {"dispatched_at": sh(2025, 6, 2, 16, 0)},
            ClockKind.COMPLETION,
            sh(2025, 6, 3, 15, 0),
        ),
    ],
)
def test_deadline(name: str, changes: dict, kind: ClockKind, expected: datetime | None) -> None:
    assert deadline(load_policy(name), make_case(**changes), kind, SHANGHAI) == expected


def test_stored_case_beyond_bands_without_any_time_is_refused(roadside: sla.Policy) -> None:
    case = make_case(distance_km=Decimal("25"))
    with pytest.raises(AgreedTimeRequired):
        deadline(roadside, case, ClockKind.ARRIVAL, SHANGHAI)


# ------------------------------------------------------------------------------------------
# Clock states

ARRIVAL_DUE = T0 + 40 * MIN  # 5 km on the roadside policy
RESPONSE_DUE = T0 + 5 * MIN


@pytest.mark.parametrize(
    ("kind", "changes", "now", "expected"),
    [
        (ClockKind.ARRIVAL, {}, T0, ClockState.ON_TRACK),
        (ClockKind.ARRIVAL, {}, ARRIVAL_DUE - 10 * MIN - SEC, ClockState.ON_TRACK),
        (ClockKind.ARRIVAL, {}, ARRIVAL_DUE - 10 * MIN, ClockState.AT_RISK),
        (ClockKind.ARRIVAL, {}, ARRIVAL_DUE - MIN, ClockState.AT_RISK),
        (ClockKind.ARRIVAL, {}, ARRIVAL_DUE, ClockState.AT_RISK),
        (ClockKind.ARRIVAL, {}, ARRIVAL_DUE + SEC, ClockState.LATE),
        (ClockKind.ARRIVAL, {}, ARRIVAL_DUE + 3 * 60 * MIN, ClockState.LATE),
        (ClockKind.ARRIVAL, {"arrived_at": T0 + 20 * MIN}, ARRIVAL_DUE + MIN, ClockState.MET),
        (ClockKind.ARRIVAL, {"arrived_at": ARRIVAL_DUE}, ARRIVAL_DUE + MIN, ClockState.MET),
        (
            ClockKind.ARRIVAL,
            {"arrived_at": ARRIVAL_DUE + SEC},
            ARRIVAL_DUE + MIN,
            ClockState.MISSED,
        ),
        (  # extended promise: no longer late
            ClockKind.ARRIVAL,
            {"promised_arrival_at": ARRIVAL_DUE + 30 * MIN},
            ARRIVAL_DUE + MIN,
            ClockState.ON_TRACK,
        ),
        (ClockKind.RESPONSE, {}, T0 + 2 * MIN, ClockState.ON_TRACK),
        (ClockKind.RESPONSE, {}, T0 + 3 * MIN, ClockState.AT_RISK),
        (ClockKind.RESPONSE, {}, RESPONSE_DUE + SEC, ClockState.LATE),
        (ClockKind.RESPONSE, {"dispatched_at": RESPONSE_DUE}, T0 + 9 * MIN, ClockState.MET),
        (
            ClockKind.RESPONSE,
            {"dispatched_at": T0 + 6 * MIN},
            T0 + 9 * MIN,
            ClockState.MISSED,
        ),
        (ClockKind.REPAIR, {"plan": RescuePlan.TYRE}, T0 + 30 * MIN, ClockState.PENDING),
        (
            ClockKind.REPAIR,
            {"plan": RescuePlan.TYRE, "arrived_at": T0 + 30 * MIN},
            T0 + 60 * MIN,
            ClockState.ON_TRACK,
        ),
        (
            ClockKind.REPAIR,
            {"plan": RescuePlan.TYRE, "arrived_at": T0 + 30 * MIN},
            T0 + 140 * MIN,
            ClockState.AT_RISK,
        ),
        (
            ClockKind.REPAIR,
            {"plan": RescuePlan.BATTERY, "arrived_at": T0, "completed_at": T0 + 119 * MIN},
            T0 + 300 * MIN,
            ClockState.MET,
        ),
        (
            ClockKind.REPAIR,
            {"plan": RescuePlan.BATTERY, "arrived_at": T0, "completed_at": T0 + 121 * MIN},
            T0 + 300 * MIN,
            ClockState.MISSED,
        ),
        (ClockKind.FEEDBACK, {}, T0 + 30 * 60 * MIN, ClockState.PENDING),
        (
            ClockKind.FEEDBACK,
            {"completed_at": T0},
            T0 + 23 * 60 * MIN + 30 * MIN,
            ClockState.AT_RISK,
        ),
        (ClockKind.FEEDBACK, {"completed_at": T0}, T0 + 25 * 60 * MIN, ClockState.LATE),
        (
            ClockKind.FEEDBACK,
            {"completed_at": T0, "feedback_at": T0 + 25 * 60 * MIN},
            T0 + 26 * 60 * MIN,
            ClockState.MISSED,
        ),
        (
            ClockKind.FEEDBACK,
            {"completed_at": T0, "feedback_at": T0 + 60 * MIN},
            T0 + 26 * 60 * MIN,
            ClockState.MET,
        ),
        (  # cancelled before arrival: the clock is no longer running
            ClockKind.ARRIVAL,
            {"status": CaseStatus.CANCELLED, "cancelled_at": T0 + 10 * MIN},
            ARRIVAL_DUE + 60 * MIN,
            ClockState.PENDING,
        ),
    ],
)
def test_roadside_states(
    roadside: sla.Policy, kind: ClockKind, changes: dict, now: datetime, expected: ClockState
) -> None:
    assert state(roadside, make_case(**changes), kind, now, SHANGHAI) == expected


@pytest.mark.parametrize(
    ("changes", "now", "expected"),
    [
        ({"priority": Priority.URGENT}, T0 + 40 * MIN, ClockState.ON_TRACK),
        ({"priority": Priority.URGENT}, T0 + 45 * MIN, ClockState.AT_RISK),
        ({"priority": Priority.URGENT}, T0 + 61 * MIN, ClockState.LATE),
        (
            {"priority": Priority.URGENT, "completed_at": T0 + 59 * MIN},
            T0 + 90 * MIN,
            ClockState.MET,
        ),
        (
            {"priority": Priority.URGENT, "completed_at": T0 + 61 * MIN},
            T0 + 90 * MIN,
            ClockState.MISSED,
        ),
        ({"priority": Priority.GENERAL}, T0, ClockState.PENDING),  # not yet responded
        (  # dispatched Friday 17:00, 8 office hours → Monday 16:00; Sunday it is on track
            {"dispatched_at": sh(2025, 6, 6, 17, 0)},
            sh(2025, 6, 8, 23, 0),
            ClockState.ON_TRACK,
        ),
        ({"dispatched_at": sh(2025, 6, 6, 17, 0)}, sh(2025, 6, 9, 15, 45), ClockState.AT_RISK),
        ({"dispatched_at": sh(2025, 6, 6, 17, 0)}, sh(2025, 6, 9, 16, 1), ClockState.LATE),
    ],
)
def test_priority_completion_states(
    priority_policy: sla.Policy, changes: dict, now: datetime, expected: ClockState
) -> None:
    case = make_case(**changes)
    assert state(priority_policy, case, ClockKind.COMPLETION, now, SHANGHAI) == expected


@pytest.mark.parametrize(
    ("at_risk", "expected"),
    [
        (None, ClockState.AT_RISK),
        (timedelta(0), ClockState.ON_TRACK),
        (5 * MIN, ClockState.AT_RISK),
    ],
)
def test_at_risk_window_can_be_overridden(
    roadside: sla.Policy, at_risk: timedelta | None, expected: ClockState
) -> None:
    now = ARRIVAL_DUE - 5 * MIN
    got = state(roadside, make_case(), ClockKind.ARRIVAL, now, SHANGHAI, at_risk=at_risk)
    assert got == expected


@pytest.mark.parametrize(
    ("name", "changes", "kind"),
    [
        ("roadside", {"plan": RescuePlan.TOWING}, ClockKind.REPAIR),
        ("roadside", {}, ClockKind.COMPLETION),
        ("priority", {"priority": Priority.URGENT}, ClockKind.RESPONSE),
        ("field-service", {}, ClockKind.RESPONSE),
    ],
)
def test_state_of_a_clock_that_does_not_apply(name: str, changes: dict, kind: ClockKind) -> None:
    policy = load_policy(name)
    case = make_case(**changes)
    assert not sla.applies(policy, case, kind)
    with pytest.raises(ValueError):
        state(policy, case, kind, T0, SHANGHAI)


# ------------------------------------------------------------------------------------------
# All clocks of a case


@pytest.mark.parametrize(
    ("name", "changes", "now", "expected"),
    [
        (
            "roadside",
            {},
            T0 + MIN,
            [("response", "on_track"), ("arrival", "on_track"), ("feedback", "pending")],
        ),
        (
            "roadside",
            {"plan": RescuePlan.ONSITE_REPAIR, "dispatched_at": T0 + 4 * MIN},
            T0 + 35 * MIN,
            [
                ("response", "met"),
                ("arrival", "at_risk"),
                ("repair", "pending"),
                ("feedback", "pending"),
            ],
        ),
        (
            "roadside",
            {
                "plan": RescuePlan.FUEL,
                "dispatched_at": T0 + 6 * MIN,
                "arrived_at": T0 + 39 * MIN,
                "completed_at": T0 + 80 * MIN,
            },
            T0 + 60 * 60 * MIN,
            [
                ("response", "missed"),
                ("arrival", "met"),
                ("repair", "met"),
                ("feedback", "late"),
            ],
        ),
        (  # a cancelled case keeps its finished clocks only
            "roadside",
            {
                "dispatched_at": T0 + 3 * MIN,
                "status": CaseStatus.CANCELLED,
                "cancelled_at": T0 + 10 * MIN,
            },
            T0 + 50 * MIN,
            [("response", "met")],
        ),
        ("roadside", {"status": CaseStatus.CANCELLED}, T0 + 50 * MIN, []),
        ("field-service", {}, T0, [("arrival", "on_track"), ("feedback", "pending")]),
        (
            "priority",
            {"priority": Priority.URGENT},
            T0 + 50 * MIN,
            [("completion", "at_risk"), ("feedback", "pending")],
        ),
        (
            "priority",
            {"priority": Priority.SEVERE},
            T0 + 119 * MIN,
            [("response", "at_risk"), ("completion", "pending"), ("feedback", "pending")],
        ),
    ],
)
def test_clocks(name: str, changes: dict, now: datetime, expected: list) -> None:
    got = clocks(load_policy(name), make_case(**changes), now, SHANGHAI)
    assert [(c.kind.value, c.state.value) for c in got] == expected


def test_clock_status_remaining(roadside: sla.Policy) -> None:
    case = make_case(plan=RescuePlan.TYRE, dispatched_at=T0 + 7 * MIN)
    by_kind = {c.kind: c for c in clocks(roadside, case, T0 + 30 * MIN, SHANGHAI)}
    assert by_kind[ClockKind.ARRIVAL].remaining == 10 * MIN  # live: time left
    assert by_kind[ClockKind.ARRIVAL].deadline == ARRIVAL_DUE
    assert by_kind[ClockKind.RESPONSE].remaining == -2 * MIN  # finished: slack (late by 2)
    assert by_kind[ClockKind.REPAIR].remaining is None  # pending
    assert by_kind[ClockKind.REPAIR].deadline is None


# ------------------------------------------------------------------------------------------
# Office hours


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        (sh(2025, 6, 6, 17, 30), 120, sh(2025, 6, 9, 10, 30)),  # Friday evening → Monday
        (sh(2025, 6, 6, 16, 0), 120, sh(2025, 6, 6, 18, 0)),  # ends exactly at closing
        (sh(2025, 6, 2, 8, 0), 120, sh(2025, 6, 2, 11, 0)),  # before opening
        (sh(2025, 6, 2, 20, 0), 120, sh(2025, 6, 3, 11, 0)),  # at night
        (sh(2025, 6, 3, 2, 0), 30, sh(2025, 6, 3, 9, 30)),  # small hours
        (sh(2025, 6, 7, 12, 0), 120, sh(2025, 6, 9, 11, 0)),  # Saturday
        (sh(2025, 6, 8, 23, 59), 1, sh(2025, 6, 9, 9, 1)),  # Sunday midnight
        (sh(2025, 6, 3, 10, 0), 8 * 60, sh(2025, 6, 3, 18, 0)),
        (sh(2025, 6, 3, 10, 0), 9 * 60, sh(2025, 6, 4, 10, 0)),
        (sh(2025, 6, 4, 10, 0), 26 * 60, sh(2025, 6, 6, 18, 0)),  # Wed → Friday's closing
        (sh(2025, 6, 4, 10, 0), 27 * 60, sh(2025, 6, 9, 10, 0)),  # ... and into Monday
        (sh(2025, 6, 7, 12, 0), 0, sh(2025, 6, 9, 9, 0)),  # nothing to add: next opening
    ],
)
def test_add_business_time_shanghai(start: datetime, duration: int, expected: datetime) -> None:
    got = add_business_time(start, timedelta(minutes=duration), office(), SHANGHAI)
    assert got == expected
    assert got.tzinfo is UTC


@pytest.mark.parametrize(
    ("hours", "start", "duration", "expected"),
    [
        # Spring forward on Sunday 2025-03-30: Friday 17:30 CET → Monday 10:30 CEST.
        (office(), (2025, 3, 28, 17, 30), 120, datetime(2025, 3, 31, 8, 30, tzinfo=UTC)),
        # Fall back on Sunday 2025-10-26: Friday 17:30 CEST → Monday 10:30 CET.
        (office(), (2025, 10, 24, 17, 30), 120, datetime(2025, 10, 27, 9, 30, tzinfo=UTC)),
        # Seven-day office across the spring change: Sat 17:00 CET → Sun 10:00 CEST.
        (
            office("mon tue wed thu fri sat sun"),
            (2025, 3, 29, 17, 0),
            120,
            datetime(2025, 3, 30, 8, 0, tzinfo=UTC),
        ),
        # Across the autumn change: Sat 17:00 CEST → Sun 10:00 CET.
        (
            office("mon tue wed thu fri sat sun"),
            (2025, 10, 25, 17, 0),
            120,
            datetime(2025, 10, 26, 9, 0, tzinfo=UTC),
        ),
        # A window that contains the change counts real time: 01:00–04:00 is 2 h on
        # 30 March, so 2 h 30 carries 30 min to Monday 01:30 CEST.
        (
            office("mon tue wed thu fri sat sun", "01:00", "04:00"),
            (2025, 3, 30, 1, 0),
            150,
            local(BERLIN, 2025, 3, 31, 1, 30),
        ),
        # ... and 4 h on 26 October, so 3 h 30 ends inside it, at 03:30 CET.
        (
            office("mon tue wed thu fri sat sun", "01:00", "04:00"),
            (2025, 10, 26, 1, 0),
            210,
            local(BERLIN, 2025, 10, 26, 3, 30),
        ),
    ],
)
def test_add_business_time_across_dst(
    hours: BusinessHours, start: tuple, duration: int, expected: datetime
) -> None:
    got = add_business_time(local(BERLIN, *start), timedelta(minutes=duration), hours, BERLIN)
    assert got == expected


def test_business_time_skips_holidays() -> None:
    hours = office(holidays=frozenset({datetime(2025, 10, 1).date()}))  # a Wednesday
    got = add_business_time(sh(2025, 9, 30, 17, 0), 2 * 60 * MIN, hours, SHANGHAI)
    assert got == sh(2025, 10, 2, 10, 0)


@pytest.mark.parametrize(
    ("start", "duration"),
    [(datetime(2025, 6, 2, 10, 0), MIN), (T0, -MIN)],  # naive; negative
)
def test_add_business_time_rejects(start: datetime, duration: timedelta) -> None:
    with pytest.raises(ValueError):
        add_business_time(start, duration, office(), SHANGHAI)


def test_business_hours_clock_needs_a_time_zone() -> None:
    text = '[business_hours]\ndays=["mon"]\nstart="09:00"\nend="10:00"\n'
    text += "[clocks.arrival]\nminutes = 30\nbusiness_hours = true\n"
    policy = parse_policy(text, name="office-arrival")
    with pytest.raises(ValueError):
        arrival_deadline(policy, received_at=T0, distance_km=1)
    assert arrival_deadline(policy, received_at=T0, distance_km=1, tz=SHANGHAI) == sh(
        2025, 6, 9, 9, 30
    )


# ------------------------------------------------------------------------------------------
# Bad policy files

BANDS_OK = """
[[clocks.arrival.bands]]
max_km = 10
minutes = 40
[[clocks.arrival.bands]]
agreed = true
"""


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ('title = "x"', "clocks", "is required"),
        ("[clocks]", "clocks", "the policy defines no clocks"),
        ("clocks = 5", "clocks", "must be a table"),
        ("[clocks.response]\nat_risk_minutes = 2", "clocks.response.minutes", "is required"),
        (
            "[clocks.response]\nminutes = -5",
            "clocks.response.minutes",
            "must be a positive integer",
        ),
        ("[clocks.response]\nminutes = 0", "clocks.response.minutes", "must be a positive integer"),
        (
            "[clocks.response]\nminutes = 5.5",
            "clocks.response.minutes",
            "must be a positive integer",
        ),
        (
            '[clocks.response]\nminutes = "5"',
            "clocks.response.minutes",
            "must be a positive integer",
        ),
        (
            "[clocks.response]\nminutes = true",
            "clocks.response.minutes",
            "must be a positive integer",
        ),
        (
            "at_risk_minutes = -1\n[clocks.response]\nminutes = 5",
            "at_risk_minutes",
            "must be a whole number of minutes, 0 or more",
        ),
        (
            "[clocks.lunch]\nminutes = 30",
            "clocks.lunch",
            "unknown clock; expected one of: response, arrival, repair, completion, feedback",
        ),
        (
            "[clocks.response]\nminutes = 5\nminute = 5",
            "clocks.response.minute",
            "unknown key; expected one of: minutes, bands, from, business_hours, "
            "at_risk_minutes, plans, enabled",
        ),
        (
            'name = "x"\n[clocks.response]\nminutes = 5',
            "name",
            "unknown key; expected one of: title, description, at_risk_minutes, "
            "business_hours, clocks, priorities, tariff, complaints",
        ),
        (
            "[[clocks.arrival.bands]]\nmax_km = 20\nminutes = 60\n"
            "[[clocks.arrival.bands]]\nmax_km = 10\nminutes = 40\n"
            "[[clocks.arrival.bands]]\nagreed = true",
            "clocks.arrival.bands[1].max_km",
            "must be greater than the previous band's (20); sort bands by distance",
        ),
        (
            "[[clocks.arrival.bands]]\nmax_km = 10\nminutes = 40\n"
            "[[clocks.arrival.bands]]\nmax_km = 10\nminutes = 60\n"
            "[[clocks.arrival.bands]]\nagreed = true",
            "clocks.arrival.bands[1].max_km",
            "must be greater than the previous band's (10); sort bands by distance",
        ),
        (
            "[[clocks.arrival.bands]]\nmax_km = 10\nminutes = 40\n"
            "[[clocks.arrival.bands]]\nmax_km = 20\nminutes = 60\n"
            "[[clocks.arrival.bands]]\nminutes = -3",
            "clocks.arrival.bands[2].minutes",
            "must be a positive integer",
        ),
        (
            "[[clocks.arrival.bands]]\nmax_km = 10\n[[clocks.arrival.bands]]\nagreed = true",
            "clocks.arrival.bands[0].minutes",
            "is required (or agreed = true)",
        ),
        (
            "[[clocks.arrival.bands]]\nminutes = 40\n[[clocks.arrival.bands]]\nagreed = true",
            "clocks.arrival.bands[0].max_km",
            "is required (only the last band leaves it out)",
        ),
        (
            "[[clocks.arrival.bands]]\nmax_km = -1\nminutes = 40\n"
            "[[clocks.arrival.bands]]\nagreed = true",
            "clocks.arrival.bands[0].max_km",
            "must be a positive number of kilometres",
        ),
        (
            "[[clocks.arrival.bands]]\nmax_km = 10\nminutes = 40",
            "clocks.arrival.bands[0].max_km",
            "leave it out in the last band, so that every distance is covered",
        ),
        (
            "[[clocks.arrival.bands]]\nmax_km = 10\nminutes = 40\n"
            "[[clocks.arrival.bands]]\nagreed = true\nminutes = 90",
            "clocks.arrival.bands[1].minutes",
            "give either minutes or agreed = true, not both",
        ),
        (
            "[clocks.arrival]\nbands = []",
            "clocks.arrival.bands",
            "must be a non-empty list of tables ([[...bands]])",
        ),
        (
            "[clocks.arrival]\nminutes = 30\n" + BANDS_OK,
            "clocks.arrival.minutes",
            "give either minutes or bands, not both",
        ),
        (
            "[[clocks.response.bands]]\nagreed = true",
            "clocks.response.bands",
            "only the arrival clock has distance bands",
        ),
        (
            '[clocks.repair]\nminutes = 120\nfrom = "lunch"',
            "clocks.repair.from",
            "must be one of: received, dispatched, arrived, completed",
        ),
        (
            '[clocks.response]\nminutes = 5\nfrom = "arrived"',
            "clocks.response.from",
            "must come before the event that stops this clock (dispatched)",
        ),
        (
            '[clocks.arrival]\nfrom = "dispatched"\n' + BANDS_OK,
            "clocks.arrival.from",
            "the arrival clock always runs from the call (received)",
        ),
        (
            '[clocks.repair]\nminutes = 120\nplans = ["tyre", "teleport"]',
            "clocks.repair.plans[1]",
            "unknown rescue plan; expected one of: towing, onsite_repair, battery, tyre, fuel, "
            "lockout, other",
        ),
        (
            "[clocks.repair]\nminutes = 120\nplans = []",
            "clocks.repair.plans",
            "must be a non-empty list",
        ),
        (
            '[clocks.response]\nminutes = 5\nenabled = "no"',
            "clocks.response.enabled",
            "must be true or false",
        ),
        (
            "[clocks.response]\nminutes = 5\nbusiness_hours = true",
            "clocks.response.business_hours",
            "needs a [business_hours] table in the policy",
        ),
        (
            '[business_hours]\ndays = ["mon"]\nstart = "9am"\nend = "18:00"\n'
            "[clocks.response]\nminutes = 5",
            "business_hours.start",
            "must be a time as HH:MM",
        ),
        (
            '[business_hours]\ndays = ["mon"]\nstart = "9:00"\nend = "18:00"\n'
            "[clocks.response]\nminutes = 5",
            "business_hours.start",
            "must be a time as HH:MM",
        ),
        (
            '[business_hours]\ndays = ["mon"]\nstart = "09:00"\nend = "25:00"\n'
            "[clocks.response]\nminutes = 5",
            "business_hours.end",
            "must be a time as HH:MM",
        ),
        (
            '[business_hours]\ndays = ["mon"]\nstart = "18:00"\nend = "09:00"\n'
            "[clocks.response]\nminutes = 5",
            "business_hours.end",
            "must be later than start",
        ),
        (
            '[business_hours]\ndays = ["mon", "funday"]\nstart = "09:00"\nend = "18:00"\n'
            "[clocks.response]\nminutes = 5",
            "business_hours.days[1]",
            "unknown day; expected one of: mon, tue, wed, thu, fri, sat, sun",
        ),
        (
            '[business_hours]\nstart = "09:00"\nend = "18:00"\n[clocks.response]\nminutes = 5',
            "business_hours.days",
            "is required",
        ),
        (
            '[business_hours]\ndays = ["mon"]\nstart = "09:00"\nend = "18:00"\n'
            'holidays = ["2025-13-01"]\n[clocks.response]\nminutes = 5',
            "business_hours.holidays[0]",
            "must be a date as YYYY-MM-DD",
        ),
        (
            "[clocks.response]\nminutes = 5\n[priorities.vip.clocks.response]\nminutes = 1",
            "priorities.vip",
            "unknown priority; expected one of: urgent, severe, general",
        ),
        (
            "[clocks.response]\nminutes = 5\n[priorities.urgent.clocks.response]\nminutes = 0",
            "priorities.urgent.clocks.response.minutes",
            "must be a positive integer",
        ),
        (
            "[clocks.response]\nminutes = 5\n[priorities.urgent.clocks.lunch]\nminutes = 1",
            "priorities.urgent.clocks.lunch",
            "unknown clock; expected one of: response, arrival, repair, completion, feedback",
        ),
        (
            "[clocks.response]\nminutes = 5\n[priorities.urgent.clocks.completion]\n"
            "business_hours = false",
            "priorities.urgent.clocks.completion.minutes",
            "is required",
        ),
    ],
)
def test_bad_policy_names_file_key_and_problem(
    tmp_path: Path, text: str, key: str, problem: str
) -> None:
    path = tmp_path / "policies" / "bad.toml"
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as excinfo:
        load_policy("bad", config_dir=tmp_path)
    assert str(excinfo.value) == f"{path}: {key}: {problem}"
    assert (excinfo.value.key, excinfo.value.problem) == (key, problem)
    assert isinstance(excinfo.value, CallCenterError)


@pytest.mark.parametrize(
    "content",
    [b"clocks = [", b"[clocks.response\nminutes = 5", b"this is not toml", b"\xff\xfe\x00"],
)
def test_not_toml_at_all(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "policies" / "junk.toml"
    path.parent.mkdir()
    path.write_bytes(content)
    with pytest.raises(PolicyError) as excinfo:
        load_policy("junk", config_dir=tmp_path)
    message = str(excinfo.value)
    assert message.startswith(f"{path}: ")
    assert "not valid TOML" in message or "cannot be read" in message


def test_message_format_without_a_source() -> None:
    text = (
        "[[clocks.arrival.bands]]\nmax_km = 10\nminutes = 40\n"
        "[[clocks.arrival.bands]]\nmax_km = 20\nminutes = 60\n"
        '[[clocks.arrival.bands]]\nminutes = "soon"'
    )
    with pytest.raises(PolicyError) as excinfo:
        parse_policy(text, name="roadside")
    assert str(excinfo.value) == "roadside.toml: clocks.arrival.bands[2].minutes: " + (
        "must be a positive integer"
    )


@pytest.mark.parametrize("name", ["nosuch", "../roadside", "Road side", ""])
def test_unknown_or_invalid_policy_name(tmp_path: Path, name: str) -> None:
    with pytest.raises(PolicyError):
        load_policy(name, config_dir=tmp_path)


def test_unknown_policy_lists_the_available_ones() -> None:
    with pytest.raises(PolicyError, match="available: field-service, priority, roadside"):
        load_policy("nosuch")


# ------------------------------------------------------------------------------------------
# Site overrides, overrides per priority, cache


def write_site_policy(config_dir: Path, name: str, text: str) -> Path:
    path = config_dir / "policies" / f"{name}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_site_policy_overrides_the_preset(tmp_path: Path) -> None:
    write_site_policy(tmp_path, "roadside", 'title = "Ours"\n[clocks.response]\nminutes = 10\n')
    site = load_policy("roadside", config_dir=tmp_path)
    assert site.title == "Ours"
    assert [r.kind for r in site.rules()] == [ClockKind.RESPONSE]
    assert deadline(site, make_case(), ClockKind.RESPONSE, SHANGHAI) == T0 + 10 * MIN
    preset = load_policy("roadside")
    assert deadline(preset, make_case(), ClockKind.RESPONSE, SHANGHAI) == T0 + 5 * MIN
    assert load_policy("roadside", config_dir=tmp_path / "elsewhere").title == preset.title


def test_site_policy_adds_a_new_one(tmp_path: Path) -> None:
    write_site_policy(tmp_path, "night-depot", "[clocks.response]\nminutes = 3\n")
    (tmp_path / "policies" / "README.txt").write_text("not a policy")
    assert sla.available_policies(tmp_path) == [
        "field-service",
        "night-depot",
        "priority",
        "roadside",
    ]
    assert "night-depot" not in sla.available_policies()
    assert load_policy("night-depot", config_dir=tmp_path).title == "night-depot"


def test_edited_policy_is_reloaded(tmp_path: Path) -> None:
    path = write_site_policy(tmp_path, "roadside", "[clocks.response]\nminutes = 10\n")
    first = load_policy("roadside", config_dir=tmp_path)
    assert load_policy("roadside", config_dir=tmp_path) is first  # cached
    path.write_text("[clocks.response]\nminutes = 15\n", encoding="utf-8")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    second = load_policy("roadside", config_dir=tmp_path)
    assert second.rule(ClockKind.RESPONSE).minutes == 15  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("priority", "expected"),
    [
        (Priority.URGENT, {"response": 2, "arrival": 20}),
        (Priority.SEVERE, {"arrival": 30}),
        (Priority.GENERAL, {"response": 5, "arrival": 30}),
    ],
)
def test_overrides_per_priority(priority: Priority, expected: dict[str, int]) -> None:
    text = """
        [clocks.response]
        minutes = 5
        [clocks.arrival]
        minutes = 30
        [priorities.urgent.clocks.response]
        minutes = 2
        [priorities.urgent.clocks.arrival]
        minutes = 20
        [priorities.severe.clocks.response]
        enabled = false
    """
    policy = parse_policy(text, name="tiers")
    assert {r.kind.value: r.minutes for r in policy.rules(priority)} == expected


def test_clock_defined_only_for_one_priority() -> None:
    text = "[clocks.response]\nminutes = 5\n[priorities.urgent.clocks.completion]\nminutes = 60"
    policy = parse_policy(text, name="tiers")
    assert policy.rule(ClockKind.COMPLETION, Priority.URGENT) is not None
    assert policy.rule(ClockKind.COMPLETION, Priority.GENERAL) is None


def test_toml_native_times_and_dates_are_accepted() -> None:
    text = """
        [business_hours]
        days = ["sat"]
        start = 08:30:00
        end = 12:00:00
        holidays = [2025-06-07]
        [clocks.response]
        minutes = 60
        business_hours = true
    """
    policy = parse_policy(text, name="saturday")
    case = make_case(received_at=sh(2025, 6, 6, 20, 0))  # Friday night; next Saturday is off
    assert deadline(policy, case, ClockKind.RESPONSE, SHANGHAI) == sh(2025, 6, 14, 9, 30)


# ------------------------------------------------------------------------------------------
# The fee tariff ([tariff]: yuan per rescue plan)

RESPONSE_ONLY = "[clocks.response]\nminutes = 5\n"


def tariff_with(**changes: str) -> dict[RescuePlan, Decimal]:
    return {**sla.DEFAULT_TARIFF, **{RescuePlan(k): Decimal(v) for k, v in changes.items()}}


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ("", tariff_with()),
        ("[tariff]\n", tariff_with()),
        ("[tariff]\nbattery = 180\n", tariff_with(battery="180")),
        ("[tariff]\ntowing = 50\nfuel = 95.5\n", tariff_with(towing="50", fuel="95.5")),
        ('[tariff]\nlockout = "250.80"\n', tariff_with(lockout="250.80")),
        ('[tariff]\ntyre = " 120 "\n', tariff_with(tyre="120")),
        ("[tariff]\nother = 0\nonsite_repair = 0.0\n", tariff_with(other="0", onsite_repair="0")),
        ("[tariff]\nbattery = 100000\n", tariff_with(battery="100000")),
        ("[tariff]\nbattery = 1.500\n", tariff_with(battery="1.5")),
        ("[tariff]\ntowing = -0\n", tariff_with()),
    ],
    ids=[
        "no table",
        "empty table",
        "one plan",
        "int and float",
        "numeric string",
        "string with spaces",
        "zeros",
        "the maximum",
        "trailing zero",
        "minus zero",
    ],
)
def test_tariff_parsing(table: str, expected: dict[RescuePlan, Decimal]) -> None:
    tariff = parse_policy(RESPONSE_ONLY + table, name="site").tariff
    assert dict(tariff) == expected
    assert list(tariff) == list(RescuePlan)
    assert all(not amount.is_signed() for amount in tariff.values())


@pytest.mark.parametrize(
    ("table", "key", "problem"),
    [
        (
            "[tariff]\nbattery = 150\nteleport = 10\n",
            "tariff.teleport",
            "unknown rescue plan; expected one of: towing, onsite_repair, battery, tyre, fuel, "
            "lockout, other",
        ),
        ("[tariff]\nbattery = -1\n", "tariff.battery", "must not be negative"),
        ('[tariff]\nfuel = "-0.50"\n', "tariff.fuel", "must not be negative"),
        ("[tariff]\ntyre = 99.999\n", "tariff.tyre", "must have at most 2 decimals (fen)"),
        ('[tariff]\ntyre = "1.005"\n', "tariff.tyre", "must have at most 2 decimals (fen)"),
        ("[tariff]\nother = 100000.01\n", "tariff.other", "must be at most 100000 yuan"),
        ("[tariff]\nother = 1e9\n", "tariff.other", "must be at most 100000 yuan"),
        *[
            (
                f"[tariff]\nlockout = {value}\n",
                "tariff.lockout",
                "must be an amount in yuan, e.g. 150 or 7.50",
            )
            for value in [
                '"abc"',
                '"¥200"',
                '"200元"',
                '""',
                '"1e3"',
                "true",
                "[200]",
                "inf",
                "nan",
            ]
        ],
        ("tariff = 150\n", "tariff", "must be a table"),
    ],
    ids=[
        "unknown plan",
        "negative",
        "negative string",
        "3 decimals",
        "3 decimals string",
        "over the maximum",
        "far over",
        "not a number",
        "currency sign",
        "unit",
        "empty string",
        "exponent string",
        "boolean",
        "array",
        "infinity",
        "nan",
        "not a table",
    ],
)
def test_bad_tariff_names_file_key_and_problem(
    tmp_path: Path, table: str, key: str, problem: str
) -> None:
    path = write_site_policy(tmp_path, "roadside", table + RESPONSE_ONLY)
    with pytest.raises(PolicyError) as excinfo:
        load_policy("roadside", config_dir=tmp_path)
    assert str(excinfo.value) == f"{path}: {key}: {problem}"
    assert (excinfo.value.key, excinfo.value.problem) == (key, problem)


def test_bad_tariff_message_in_chinese() -> None:
    i18n.set_language("zh_CN")
    with pytest.raises(PolicyError) as excinfo:
        parse_policy(RESPONSE_ONLY + "[tariff]\nbattery = -1\n", name="roadside")
    assert excinfo.value.key == "tariff.battery"
    assert excinfo.value.problem == "不能为负数"


@pytest.mark.parametrize("name", ["roadside", "field-service", "priority"])
def test_every_preset_states_its_tariff(name: str) -> None:
    data = tomllib.loads((sla.PRESETS_DIR / f"{name}.toml").read_text(encoding="utf-8"))
    assert sorted(data["tariff"]) == sorted(RescuePlan)  # explicit, every plan
    assert dict(load_policy(name).tariff) == dict(sla.DEFAULT_TARIFF)


def test_a_site_policy_overrides_the_preset_tariff(tmp_path: Path) -> None:
    preset_text = (sla.PRESETS_DIR / "roadside.toml").read_text(encoding="utf-8")
    assert "\nbattery = 150\n" in preset_text
    write_site_policy(
        tmp_path, "roadside", preset_text.replace("\nbattery = 150\n", "\nbattery = 180\n")
    )
    site = load_policy("roadside", config_dir=tmp_path)
    assert dict(site.tariff) == tariff_with(battery="180")
    assert load_policy("roadside").tariff[RescuePlan.BATTERY] == Decimal("150")
    with pytest.raises(TypeError):
        site.tariff[RescuePlan.BATTERY] = Decimal("1")  # type: ignore[index]


def test_a_site_policy_without_a_tariff_gets_the_defaults(tmp_path: Path) -> None:
    """The site file wins whole: a [tariff] it leaves out is not taken from the preset."""
    write_site_policy(tmp_path, "field-service", RESPONSE_ONLY)
    assert dict(load_policy("field-service", config_dir=tmp_path).tariff) == tariff_with()


# ------------------------------------------------------------------------------------------
# Labels and translations


@pytest.mark.parametrize("member", [*ClockKind, *ClockState])
def test_every_kind_and_state_has_a_label(member: ClockKind | ClockState) -> None:
    assert member.label and member.label[0].isupper()


def test_every_sla_message_is_in_both_catalogs() -> None:
    source = Path(sla.__file__).read_text(encoding="utf-8")
    msgids = set(re.findall(r'\bN?_\(\s*"((?:[^"\\]|\\.)*)"', source))
    assert len(msgids) > 20
    root = Path(i18n.LOCALE_DIR)
    for language in i18n.LANGUAGES:
        catalog = (root / language / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
        missing = sorted(m for m in msgids if f'msgid "{m}"' not in catalog)
        assert not missing, f"{language}: {missing}"


def test_the_complaint_clocks_are_policy_data() -> None:
    """The ``[complaints]`` table: defaults when absent, every key checked."""
    from callcenter.sla import ComplaintPolicy, PolicyError, load_policy, parse_policy

    assert load_policy("roadside").complaints == ComplaintPolicy()
    text = 'title = "x"\n[clocks.response]\nminutes = 5\n'
    assert parse_policy(text, name="x").complaints.repeat_repair_days == 30
    custom = parse_policy(
        text + "[complaints]\nnotify_minutes = 30\nrepeat_repair_days = 14\n", name="x"
    )
    assert custom.complaints.notify_minutes == 30
    assert custom.complaints.repeat_repair_days == 14
    with pytest.raises(PolicyError, match=r"complaints\.notify_minutes"):
        parse_policy(text + "[complaints]\nnotify_minutes = 0\n", name="x")
    with pytest.raises(PolicyError, match="unknown key"):
        parse_policy(text + "[complaints]\nnotfy_minutes = 10\n", name="x")
