"""A simulated day at the call centre, its expected alerts, and a sweeping process for tests.

Used two ways:

* imported by the watch tests: :func:`plan_day` draws a day of calls (a seeded random
  script of event times), :func:`play` applies the events through the services with a
  manual clock, and :func:`expected_alerts` works out, from the script alone and without the
  code under test, which alerts a sweep every ``step`` must raise;
* run as a script (``python tests/integration/sweep_helper.py URL STEPS STEP_SECONDS``) it is
  one sweeping process with a fake clock: it sweeps at ``CALLCENTER_FAKE_NOW`` and then every
  STEP_SECONDS of fake time, STEPS times, and prints one JSON line per alert it raised.
  ``CALLCENTER_FAKE_NOW`` (ISO 8601) is read here only, never by the application.
  ``CALLCENTER_GO_AT`` (a Unix time) makes the processes start together.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from callcenter.clock import ManualClock  # noqa: E402
from callcenter.domain import AlertKind, Crew, CrewStatus  # noqa: E402
from callcenter.services import Checklist, Intake, Services  # noqa: E402
from tests.factories import feedback_reached, record_input, report_input  # noqa: E402

SAFE = Checklist(hazard_lights=True, warning_sign=True, night_lights=True)
REPAIR_PLANS = ("onsite_repair", "battery", "tyre", "fuel", "lockout")
PLANS = ("towing", *REPAIR_PLANS)
RESPONSE = timedelta(minutes=5)
AT_RISK = timedelta(minutes=10)
REPAIR = timedelta(minutes=120)
FEEDBACK = timedelta(hours=24)


@dataclass
class Call:
    """The script of one call: when each thing happens (None: it does not)."""

    n: int
    received: datetime
    km: int
    plan: str
    dispatched: datetime | None = None
    arrived: datetime | None = None
    completed: datetime | None = None
    reported: datetime | None = None
    feedback: datetime | None = None
    closed: datetime | None = None
    cancelled: datetime | None = None
    case_id: int | None = None
    crew_id: int | None = None

    @property
    def promise(self) -> datetime:
        return self.received + timedelta(minutes=40 if self.km <= 10 else 60)

    @property
    def ended(self) -> datetime | None:
        return self.cancelled or self.closed

    def events(self) -> Iterator[tuple[datetime, str]]:
        for name in (
            "received",
            "dispatched",
            "arrived",
            "completed",
            "reported",
            "feedback",
            "closed",
            "cancelled",
        ):
            at = getattr(self, name)
            if at is not None:
                yield at, name


@dataclass
class Day:
    start: datetime
    end: datetime
    step: timedelta
    calls: list[Call] = field(default_factory=list)
    pause: tuple[datetime, datetime] | None = None  # no sweep in [from, to): a stopped sweeper

    def sweep_times(self) -> Iterator[datetime]:
        at = self.start
        while at <= self.end:
            if self.pause is None or not self.pause[0] <= at < self.pause[1]:
                yield at
            at += self.step


def _minutes(rng: random.Random, low: float, high: float) -> timedelta:
    # Whole seconds plus a fraction, so that events rarely fall on a sweep instant; some
    # instants end in .9999xx to catch rounding of stored fractions.
    return timedelta(seconds=round(rng.uniform(low, high) * 60) + rng.choice([0.25, 0.999987]))


def plan_day(start: datetime, *, calls: int = 60, hours: int = 24, seed: int = 4) -> Day:
    """A seeded day: calls over ``hours``, watched for two hours more."""
    rng = random.Random(seed)
    day = Day(start, start + timedelta(hours=hours + 2), timedelta(seconds=15))
    for n in range(calls):
        # The first calls come in the first hour, so that some feedback calls fall due
        # (24 h after completion) before the watch ends.
        spread = 3600 if n < calls // 10 else hours * 3600 - 3 * 3600
        received = start + timedelta(seconds=rng.randrange(spread))
        received = received.replace(microsecond=rng.choice([0, 999_999, 500_000]))
        call = Call(n, received, rng.choice([5, 8, 10, 12, 18]), rng.choice(PLANS))
        fate = rng.random()
        if fate < 0.05:
            call.cancelled = received + _minutes(rng, 1, 3)  # before the response deadline
        elif fate < 0.10:
            call.cancelled = received + _minutes(rng, 8, 14)  # after it, never dispatched
        else:
            slow = rng.random() < 0.2
            call.dispatched = received + (_minutes(rng, 6, 12) if slow else _minutes(rng, 1, 4))
            promise = call.promise - received
            pace = rng.random()
            if pace < 0.4:  # comfortably on time
                travel = _minutes(rng, 10, promise.total_seconds() / 60 - 12)
            elif pace < 0.6:  # on time, inside the at-risk window
                travel = _minutes(
                    rng, promise.total_seconds() / 60 - 9, promise.total_seconds() / 60 - 0.2
                )
            else:  # late
                travel = _minutes(
                    rng, promise.total_seconds() / 60 + 1, promise.total_seconds() / 60 + 40
                )
            call.arrived = max(received + travel, call.dispatched + timedelta(seconds=30))
            if rng.random() < 0.9:
                overdue = call.plan in REPAIR_PLANS and rng.random() < 0.3
                call.completed = call.arrived + (
                    _minutes(rng, 125, 200) if overdue else _minutes(rng, 10, 100)
                )
                call.reported = call.completed + _minutes(rng, 15, 40)
                fb = rng.random()
                if fb < 0.6:
                    call.feedback = call.completed + _minutes(rng, 60, 600)
                elif fb < 0.75:
                    call.feedback = call.completed + _minutes(rng, 24 * 60 + 5, 25 * 60)
                if call.feedback is not None and rng.random() < 0.7:
                    call.closed = max(call.feedback, call.reported) + _minutes(rng, 5, 30)
        for at, _name in call.events():  # keep the script inside the watched window
            if at > day.end:
                setattr(call, _name, None)
        if call.closed and (call.feedback is None or call.reported is None):
            call.closed = None
        day.calls.append(call)
    return day


# --------------------------------------------------------------------------------------------
# Expected alerts, from the script alone


def _first_sweep(day: Day, call: Call, condition: Callable[[datetime], bool]) -> datetime | None:
    """The first sweep instant at which the case is open and ``condition(t)`` holds."""
    for t in day.sweep_times():
        if t < call.received:
            continue
        if call.ended is not None and call.ended <= t:
            return None
        if condition(t):
            return t
    return None


def expected_alerts(day: Day) -> dict[tuple[int, str, datetime], bool]:
    """(case id, kind, deadline) -> raised already missed, for every alert due in ``day``."""
    expected: dict[tuple[int, str, datetime], bool] = {}

    def overdue(call: Call, kind: AlertKind, deadline: datetime, end: datetime | None) -> None:
        if end is not None and end <= deadline:
            return  # met
        first = _first_sweep(day, call, lambda t: t > deadline)
        if first is not None:
            assert call.case_id is not None
            expected[(call.case_id, kind.value, deadline)] = end is not None and end <= first

    for call in day.calls:
        overdue(call, AlertKind.RESPONSE_OVERDUE, call.received + RESPONSE, call.dispatched)
        promise, arrived = call.promise, call.arrived
        overdue(call, AlertKind.ARRIVAL_LATE, promise, arrived)
        first = _first_sweep(
            day,
            call,
            lambda t, p=promise, a=arrived: t >= p - AT_RISK and (a is None or a > t or a > p),
        )
        if first is not None:
            assert call.case_id is not None
            missed = arrived is not None and arrived <= first
            expected[(call.case_id, AlertKind.ARRIVAL_AT_RISK.value, promise)] = missed
        if call.plan in REPAIR_PLANS and arrived is not None:
            overdue(call, AlertKind.REPAIR_OVERDUE, arrived + REPAIR, call.completed)
        if call.completed is not None:
            overdue(call, AlertKind.FEEDBACK_OVERDUE, call.completed + FEEDBACK, call.feedback)
    return expected


# --------------------------------------------------------------------------------------------
# Playing the day through the services


def add_crews(services: Services, count: int) -> list[int]:
    ids = []
    with services.uow() as uow:
        for i in range(count):
            crew = uow.crews.add(
                Crew(
                    code=f"R{i + 1:02d}",
                    name="李强",
                    phone="+8613900001111",
                    vehicle_plate=f"粤B7T{i:03d}",
                    status=CrewStatus.AVAILABLE,
                )
            )
            assert crew.id is not None
            ids.append(crew.id)
        uow.commit()
    return ids


def intake_for(call: Call) -> Intake:
    from callcenter.domain import RescuePlan

    return Intake(
        caller_name="张伟",
        phone=f"138 1234 {5000 + call.n:04d}",
        plate=f"粤B{10000 + call.n:05d}",
        vehicle_model="丰田卡罗拉",
        address="深圳市福田区深南大道6008号",
        distance_km=str(call.km),
        fault_description="车辆无法启动",
        fee_quote="150",
        fee_agreed=True,
        plan=RescuePlan(call.plan),
    )


def timeline(day: Day) -> list[tuple[datetime, int, str]]:
    return sorted((at, call.n, name) for call in day.calls for at, name in call.events())


def apply(
    services: Services,
    clock: ManualClock,
    day: Day,
    event: tuple[datetime, int, str],
    free: list[int],
) -> None:
    """Apply one scripted event through the services, at its instant."""
    at, n, name = event
    call = day.calls[n]
    clock.set(at)
    if name == "received":
        call.case_id = services.take_call(intake_for(call)).id
        return
    assert call.case_id is not None
    if name == "dispatched":
        call.crew_id = free.pop(0)
        services.dispatch(call.case_id, call.crew_id)
        services.en_route(call.case_id)
    elif name == "arrived":
        services.arrive(call.case_id, SAFE)
    elif name == "completed":
        services.save_record(call.case_id, record_input(services))
    elif name == "reported":
        services.save_report_back(call.case_id, report_input(services))
        assert call.crew_id is not None
        free.append(call.crew_id)
    elif name == "feedback":
        feedback_reached(services, call.case_id)
    elif name == "closed":
        services.close_case(call.case_id)
    elif name == "cancelled":
        services.cancel(call.case_id, "车主自行修好")


def play(
    services: Services,
    clock: ManualClock,
    day: Day,
    until: datetime | None = None,
    on_sweep: Callable[[datetime], object] | None = None,
) -> None:
    """Apply the day's events in order; call ``on_sweep(t)`` at every sweep instant."""
    free = add_crews(services, 40)
    events = timeline(day)
    i = 0
    for t in day.sweep_times():
        if until is not None and t > until:
            break
        while i < len(events) and events[i][0] <= t:
            apply(services, clock, day, events[i], free)
            i += 1
        if on_sweep is not None:
            clock.set(t)
            on_sweep(t)
    if until is None:
        while i < len(events):
            apply(services, clock, day, events[i], free)
            i += 1


# --------------------------------------------------------------------------------------------
# One sweeping process


def main(argv: list[str]) -> int:
    from datetime import timedelta as td
    from zoneinfo import ZoneInfo

    from callcenter import watch
    from storage.engine import make_engine
    from storage.uow import SqlUnitOfWorkFactory

    url, steps, step_seconds = argv[0], int(argv[1]), float(argv[2])
    clock = ManualClock(datetime.fromisoformat(os.environ["CALLCENTER_FAKE_NOW"]))
    engine = make_engine(url)
    uow = SqlUnitOfWorkFactory(engine, clock)
    lookup = watch.policy_lookup(None)
    tz = ZoneInfo("Asia/Shanghai")
    sweeper = watch.Sweeper(
        uow, clock, tz=tz, at_risk=AT_RISK, policies=lookup, actor=f"p{os.getpid()}"
    )
    go_at = float(os.environ.get("CALLCENTER_GO_AT", "0"))
    while time.time() < go_at:
        time.sleep(0.005)
    for _ in range(steps):
        result = sweeper()
        for raised in result.raised:
            alert = raised.alert
            print(
                json.dumps(
                    {
                        "case_id": alert.case_id,
                        "kind": alert.kind.value,
                        "deadline": alert.deadline.isoformat(),
                        "missed": raised.missed,
                    }
                ),
                flush=True,
            )
        clock.advance(td(seconds=step_seconds))
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
