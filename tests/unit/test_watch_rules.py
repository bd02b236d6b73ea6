"""The alert rules of the SLA sweep, pure (issue 4): no database."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from callcenter import sla, watch
from callcenter.domain import (
    Alert,
    AlertKind,
    Case,
    CaseStatus,
    OwnerNotice,
    Priority,
    RescuePlan,
)
from callcenter.services.delays import DelayPrompt, owner_notice

TZ = ZoneInfo("Asia/Shanghai")
CALL = datetime(2026, 11, 22, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai
TEN = timedelta(minutes=10)
ROADSIDE = sla.load_policy("roadside")

RESPONSE = AlertKind.RESPONSE_OVERDUE
AT_RISK = AlertKind.ARRIVAL_AT_RISK
LATE = AlertKind.ARRIVAL_LATE
REPAIR = AlertKind.REPAIR_OVERDUE
FEEDBACK = AlertKind.FEEDBACK_OVERDUE


def _case(**events: object) -> Case:
    """A roadside call 8 km away at CALL (promise +40 min), with the given event times."""
    case = Case(
        received_at=CALL,
        caller_name="张伟",
        phone="+8613812345678",
        plate="粤B12345",
        address="深圳市福田区",
        distance_km=Decimal("8"),
        fault_description="无法启动",
        plan=RescuePlan.BATTERY,
        promised_arrival_at=CALL + timedelta(minutes=40),
        id=7,
    )
    for name, value in events.items():
        setattr(case, name, value)
    return case


def _at(minutes: float) -> datetime:
    return CALL + timedelta(minutes=minutes)


def _due(case: Case, minutes: float, at_risk: timedelta = TEN) -> set[tuple[AlertKind, int, bool]]:
    """(kind, deadline in minutes after the call, missed) of each alert due."""
    found = watch.due_alerts(ROADSIDE, watch.clock_view(case), _at(minutes), TZ, at_risk=at_risk)
    return {(d.kind, round((d.deadline - CALL) / timedelta(minutes=1)), d.missed) for d in found}


@pytest.mark.parametrize(
    ("events", "minutes", "expected"),
    [
        # Response: 5 min to dispatch; "late" means strictly after the deadline.
        ({}, 4.9, set()),
        ({}, 5, set()),
        ({}, 5.01, {(RESPONSE, 5, False)}),
        ({"dispatched_at": _at(5)}, 20, set()),
        ({"dispatched_at": _at(6)}, 20, {(RESPONSE, 5, True)}),
        # Arrival: at risk from 10 min before the promise (inclusive), late after it.
        ({"dispatched_at": _at(2)}, 29.9, set()),
        ({"dispatched_at": _at(2)}, 30, {(AT_RISK, 40, False)}),
        ({"dispatched_at": _at(2)}, 40, {(AT_RISK, 40, False)}),
        ({"dispatched_at": _at(2)}, 41, {(AT_RISK, 40, False), (LATE, 40, False)}),
        # On scene in time: nothing, even inside the window (the crew is there).
        ({"dispatched_at": _at(2), "arrived_at": _at(35)}, 36, set()),
        ({"dispatched_at": _at(2), "arrived_at": _at(40)}, 90, set()),
        # On scene late, never seen late by a sweep: both, on record (missed).
        (
            {"dispatched_at": _at(2), "arrived_at": _at(45)},
            46,
            {(AT_RISK, 40, True), (LATE, 40, True)},
        ),
        # Minor repair: 2 h from arrival (battery is a repair plan).
        ({"dispatched_at": _at(2), "arrived_at": _at(30)}, 150, set()),
        ({"dispatched_at": _at(2), "arrived_at": _at(30)}, 151, {(REPAIR, 150, False)}),
        (
            {"dispatched_at": _at(2), "arrived_at": _at(30), "completed_at": _at(160)},
            170,
            {(REPAIR, 150, True)},
        ),
        # Feedback call: 24 h from completion.
        (
            {"dispatched_at": _at(2), "arrived_at": _at(30), "completed_at": _at(60)},
            60 + 1440.5,
            {(FEEDBACK, 1500, False)},
        ),
        (
            {
                "dispatched_at": _at(2),
                "arrived_at": _at(30),
                "completed_at": _at(60),
                "feedback_at": _at(1000),
            },
            60 + 1441,
            set(),
        ),
        # A call nobody dispatched for 3 h: every deadline that passed, at once.
        ({}, 180, {(RESPONSE, 5, False), (AT_RISK, 40, False), (LATE, 40, False)}),
    ],
)
def test_rules(events: dict[str, datetime], minutes: float, expected: set[object]) -> None:
    assert _due(_case(**events), minutes) == expected


def test_towing_has_no_repair_clock() -> None:
    case = _case(plan=RescuePlan.TOWING, dispatched_at=_at(2), arrived_at=_at(30))
    assert _due(case, 600) == set()


def test_an_extended_promise_is_a_new_deadline() -> None:
    case = _case(dispatched_at=_at(2), promised_arrival_at=_at(70), original_promised_at=_at(40))
    assert _due(case, 41) == set()
    assert _due(case, 60) == {(AT_RISK, 70, False)}


def test_the_at_risk_window_is_the_configured_one_unless_the_policy_sets_its_own() -> None:
    case = _case(dispatched_at=_at(2))
    assert _due(case, 25, at_risk=timedelta(minutes=15)) == {(AT_RISK, 40, False)}
    assert _due(case, 25, at_risk=TEN) == set()
    assert _due(case, 35, at_risk=timedelta(0)) == set()  # no warning at all
    field = sla.load_policy("field-service")  # at_risk_minutes = 30 in the policy file
    book = watch.RuleBook(field, TZ, at_risk=TEN)
    rule = field.rule(sla.ClockKind.ARRIVAL)
    assert rule is not None and book.arrival_window(rule) == timedelta(minutes=30)


def test_micros_are_exact() -> None:
    for micro in (0, 1, 499_999, 999_500, 999_999):
        instant = CALL.replace(microsecond=micro)
        assert watch.from_micros(watch.to_micros(instant)) == instant
    assert watch.to_micros(datetime(1970, 1, 1, tzinfo=UTC)) == 0
    shanghai = datetime(2026, 11, 22, 22, 30, tzinfo=TZ)
    assert watch.to_micros(shanghai) == watch.to_micros(CALL)


# --------------------------------------------------------------------------------------------
# The rules agree with the SLA engine, clock by clock, on random cases of every preset


def _random_case(rng: random.Random, policy: sla.Policy) -> tuple[Case, datetime]:
    received = CALL + timedelta(
        minutes=rng.randrange(0, 7 * 24 * 60), microseconds=rng.randrange(10**6)
    )
    priority = rng.choice(list(Priority))
    km = Decimal(rng.choice(["3", "10", "10.01", "20", "35", "180", "450"]))
    agreed = received + timedelta(minutes=rng.randrange(30, 600))
    promised = sla.arrival_deadline(
        policy,
        received_at=received,
        distance_km=km,
        agreed_arrival_at=agreed,
        priority=priority,
        tz=TZ,
    )
    case = Case(
        received_at=received,
        caller_name="x",
        phone="+8613812345678",
        plate="粤B12345",
        address="x",
        distance_km=km,
        fault_description="x",
        policy=policy.name,
        priority=priority,
        plan=rng.choice(list(RescuePlan)),
        agreed_arrival_at=agreed,
        promised_arrival_at=promised,
        status=CaseStatus.RECEIVED,
        id=rng.randrange(1, 10**6),
    )
    at = received
    for name in ("dispatched_at", "arrived_at", "completed_at", "feedback_at"):
        if rng.random() < 0.75:
            at = at + timedelta(minutes=rng.choice([1, 4, 6, 30, 45, 130, 600, 1500, 3000]))
            setattr(case, name, at)
        else:
            break
    now = at + timedelta(minutes=rng.choice([0, 1, 9, 30, 200, 2000, 5000]))
    return case, now


_OVERDUE = {
    sla.ClockKind.RESPONSE: RESPONSE,
    sla.ClockKind.ARRIVAL: LATE,
    sla.ClockKind.REPAIR: REPAIR,
    sla.ClockKind.COMPLETION: REPAIR,
    sla.ClockKind.FEEDBACK: FEEDBACK,
}


def _reference(
    policy: sla.Policy, case: Case, now: datetime
) -> set[tuple[AlertKind, datetime, bool]]:
    """What the SLA engine's clock states say should be raised."""
    expected = set()
    for status in sla.clocks(policy, case, now, TZ):
        arrival = status.kind is sla.ClockKind.ARRIVAL
        due = status.deadline
        if status.state is sla.ClockState.LATE:
            expected.add((_OVERDUE[status.kind], due, False))
            if arrival:
                expected.add((AT_RISK, due, False))
        elif status.state is sla.ClockState.AT_RISK and arrival:
            expected.add((AT_RISK, due, False))
        elif status.state is sla.ClockState.MISSED:
            expected.add((_OVERDUE[status.kind], due, True))
            if arrival:
                expected.add((AT_RISK, due, True))
    return expected


@pytest.mark.parametrize("name", ["roadside", "field-service", "priority"])
def test_the_rules_agree_with_the_sla_engine(name: str) -> None:
    policy = sla.load_policy(name)
    rng = random.Random(name)
    book = watch.RuleBook(policy, TZ, at_risk=TEN)
    kinds: set[AlertKind] = set()
    for _ in range(1500):
        case, now = _random_case(rng, policy)
        got = {(d.kind, d.deadline, d.missed) for d in book.due(watch.clock_view(case), now)}
        assert got == _reference(policy, case, now), (case, now)
        kinds |= {k for k, _d, _m in got}
    assert RESPONSE in kinds or name == "field-service"
    assert REPAIR in kinds or name == "field-service"
    assert FEEDBACK in kinds


# --------------------------------------------------------------------------------------------
# What the board and the prompt show


def _alert(kind: AlertKind, deadline: datetime, **fields: object) -> Alert:
    alert = Alert(case_id=7, kind=kind, deadline=deadline, raised_at=deadline, id=1)
    for name, value in fields.items():
        setattr(alert, name, value)
    return alert


def test_owner_notice_for_the_board() -> None:
    promise = _at(40)
    case = _case(dispatched_at=_at(2))
    late = _at(45)
    assert owner_notice(case, [], _at(20)) is OwnerNotice.NOT_NEEDED
    assert owner_notice(case, [], late) is OwnerNotice.DUE  # late, the sweep not yet there
    live = _alert(LATE, promise)
    assert owner_notice(case, [live], late) is OwnerNotice.DUE
    claimed = _alert(LATE, promise, claimed_by="nina", claimed_at=late)
    assert owner_notice(case, [claimed], late) is OwnerNotice.CALLING
    snoozed = _alert(LATE, promise, snooze_until=late + timedelta(minutes=5))
    assert owner_notice(case, [snoozed], late) is OwnerNotice.NOT_REACHED
    assert owner_notice(case, [snoozed], late + timedelta(minutes=5)) is OwnerNotice.DUE
    told = _alert(AT_RISK, promise, resolved_at=late, outcome=watch.OUTCOME_OWNER_TOLD)
    assert owner_notice(case, [told, live], late) is OwnerNotice.TOLD
    old = _alert(AT_RISK, _at(20), resolved_at=late, outcome=watch.OUTCOME_OWNER_TOLD)
    assert owner_notice(case, [old], late) is OwnerNotice.DUE, "told about another promise"
    arrived = _case(dispatched_at=_at(2), arrived_at=_at(44))
    assert owner_notice(arrived, [live], late) is OwnerNotice.NOT_NEEDED


def test_the_prompt_reads_as_a_sentence() -> None:
    prompt = DelayPrompt(
        alert_id=1,
        alert_version=1,
        kind=LATE,
        deadline=_at(40),
        raised_at=_at(40),
        case_id=7,
        case_number="20261122-0001",
        plate="粤B12345",
        owner_name="张伟",
        owner_phone="138 1234 5678",
        crew_code="3",
        expected_arrival=_at(55),
        late_minutes=15,
    )
    assert (
        prompt.message
        == "Call the owner of 粤B12345 (138 1234 5678): crew 3 will be about 15 min late"
    )
    no_crew = DelayPrompt(**{**prompt.__dict__, "crew_code": "", "late_minutes": 0})
    assert no_crew.message == "Call the owner of 粤B12345 (138 1234 5678): no crew dispatched yet"


def test_a_raised_alert_is_one_line_in_the_centres_time() -> None:
    alert = Alert(case_id=7, kind=LATE, deadline=_at(40), raised_at=_at(41), id=3)
    line = watch.describe(watch.RaisedAlert(alert, "20261122-0001"), TZ)
    assert line == "20261122-0001  Arrival late  2026-11-22 23:10"
    alert.outcome, alert.resolved_at = watch.OUTCOME_MISSED, _at(41)
    assert watch.describe(watch.RaisedAlert(alert, "20261122-0001"), TZ).endswith(
        "(over before it was seen)"
    )
