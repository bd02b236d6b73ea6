"""The SLA sweep against a real database, on every backend (issue 4)."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from callcenter import bootstrap, scheduler, watch
from callcenter.clock import ManualClock
from callcenter.domain import AlertKind
from callcenter.search import SearchTerms
from callcenter.services import Services
from callcenter.settings import Settings
from tests.conftest import FIXED_NOW
from tests.factories import add_crew, intake
from tests.integration import sweep_helper as sim

SAFE = sim.SAFE


def _sweeper(container: bootstrap.Container) -> watch.Sweeper:
    """The application's sweeper."""
    return watch.sweeper_for(container)


def _alerts(services: Services) -> dict[tuple[int, str, datetime], object]:
    with services.uow(write=False) as uow:
        ids = [c.id for c in uow.cases.search(SearchTerms(""), limit=10_000)]
        alerts = [a for i in ids for a in uow.alerts.for_case(i)]
    return {(a.case_id, a.kind.value, a.deadline): a for a in alerts}


def _raised_events(services: Services, case_ids: list[int]) -> Counter[tuple[int, str, str]]:
    counts: Counter[tuple[int, str, str]] = Counter()
    for case_id in case_ids:
        for event in services.timeline(case_id):
            if event.kind == "alert_raised":
                counts[(case_id, event.details["kind"], event.details["deadline"])] += 1
    return counts


def _check_day(
    day: sim.Day, services: Services, raised: list[watch.RaisedAlert], *, every_kind: bool = True
) -> None:
    expected = sim.expected_alerts(day)
    keys = [(r.alert.case_id, r.alert.kind.value, r.alert.deadline) for r in raised]
    duplicates = [k for k, n in Counter(keys).items() if n > 1]
    assert duplicates == [], "raised more than once"
    assert set(keys) - set(expected) == set(), "unexpected alerts"
    assert set(expected) - set(keys) == set(), "missing alerts"
    stored = _alerts(services)
    assert set(stored) == set(expected)
    for key, missed in expected.items():
        alert = stored[key]
        assert (alert.outcome == watch.OUTCOME_MISSED) == missed, key  # type: ignore[attr-defined]
    case_ids = sorted({c.case_id for c in day.calls if c.case_id is not None})
    events = _raised_events(services, case_ids)
    assert set(events.values()) == {1}
    assert len(events) == len(expected)
    kinds = Counter(k[1] for k in expected)
    if every_kind:
        assert set(kinds) == {k.value for k in AlertKind}, f"the day lacks a kind: {kinds}"


def test_a_simulated_day_swept_every_15_s_raises_each_alert_exactly_once(
    container: bootstrap.Container, clock: ManualClock, settings: Settings
) -> None:
    """60 calls over 24 h, two sessions sweeping every 15 s of simulated time."""
    day = sim.plan_day(FIXED_NOW - timedelta(days=2))
    other = bootstrap.build(settings, clock=clock)  # a second session, its own engine
    first, second = _sweeper(container), _sweeper(other)
    raised: list[watch.RaisedAlert] = []
    steps = 0

    def sweep_both(t: datetime) -> None:
        nonlocal steps
        steps += 1
        order = (first, second) if steps % 2 else (second, first)
        for sweeper in order:
            if sweeper is second and steps % 20:
                continue  # the second session sweeps every 5 min, the first every 15 s
            result = sweeper()
            assert result.problems == ()
            raised.extend(result.raised)

    try:
        sim.play(container.services, clock, day, on_sweep=sweep_both)
    finally:
        other.close()
    assert steps == 26 * 240 + 1
    _check_day(day, container.services, raised)


def test_a_sweeper_stopped_for_hours_raises_the_missed_alerts_on_resume(
    container: bootstrap.Container, clock: ManualClock
) -> None:
    day = sim.plan_day(FIXED_NOW - timedelta(days=2), calls=24, hours=14, seed=9)
    pause_from = day.start + timedelta(hours=6)
    pause_to = day.start + timedelta(hours=11)  # 5 h: 1,200 sweeps missed
    day.pause = (pause_from, pause_to)
    sweeper = _sweeper(container)
    raised: list[watch.RaisedAlert] = []
    resumed: list[watch.SweepResult] = []

    def sweep(t: datetime) -> None:
        result = sweeper()
        raised.extend(result.raised)
        if not resumed and t >= pause_to:
            resumed.append(result)

    sim.play(container.services, clock, day, on_sweep=sweep)
    _check_day(day, container.services, raised, every_kind=False)
    catch_up = resumed[0]
    assert catch_up.raised, "the first sweep after the pause caught up"
    assert any(r.missed for r in catch_up.raised), "clocks that stopped late meanwhile"
    live = {(r.alert.case_id, r.kind) for r in catch_up.raised if not r.missed}
    late = {case for case, kind in live if kind is AlertKind.ARRIVAL_LATE}
    both = {case for case, kind in live if kind is AlertKind.ARRIVAL_AT_RISK} & late
    assert both == late, "a late arrival gets at-risk and late at once"


def test_catching_up_after_a_pause_raises_every_deadline_that_passed(
    container: bootstrap.Container, clock: ManualClock
) -> None:
    services: Services = container.services
    crew = add_crew(services)
    waiting = services.take_call(intake(plate="粤B10001"))  # never dispatched
    en_route = services.take_call(intake(plate="粤B10002", phone="13812345679"))
    services.dispatch(en_route.id, crew.id)
    services.en_route(en_route.id)
    clock.advance(timedelta(hours=3))  # nobody swept for 3 h; the crew never arrived
    result = watch.sweep(
        container.uow,
        clock,
        tz=container.settings.tz,
        at_risk=timedelta(minutes=10),
        policies=watch.policy_lookup(None),
    )
    got = {(r.alert.case_id, r.kind, r.missed) for r in result.raised}
    assert got == {
        (waiting.id, AlertKind.RESPONSE_OVERDUE, False),
        (waiting.id, AlertKind.ARRIVAL_AT_RISK, False),
        (waiting.id, AlertKind.ARRIVAL_LATE, False),
        (en_route.id, AlertKind.ARRIVAL_AT_RISK, False),
        (en_route.id, AlertKind.ARRIVAL_LATE, False),
    }
    deadlines = {(r.alert.case_id, r.kind): r.alert.deadline for r in result.raised}
    assert deadlines[(waiting.id, AlertKind.RESPONSE_OVERDUE)] == waiting.received_at + timedelta(
        minutes=5
    )
    assert deadlines[(en_route.id, AlertKind.ARRIVAL_LATE)] == en_route.promised_arrival_at
    numbers = {r.case_number for r in result.raised if r.alert.case_id == waiting.id}
    assert numbers == {waiting.number}
    again = watch.sweep(
        container.uow,
        clock,
        tz=container.settings.tz,
        at_risk=timedelta(minutes=10),
        policies=watch.policy_lookup(None),
    )
    assert again.raised == () and again.judged == 0, "nothing more can fall due: not looked at"


def test_an_extended_promise_is_a_new_deadline_and_the_old_alerts_close(
    container: bootstrap.Container, clock: ManualClock
) -> None:
    services: Services = container.services
    crew = add_crew(services)
    case = services.dispatch(services.take_call(intake()).id, crew.id)
    sweeper = _sweeper(container)
    clock.advance(timedelta(minutes=31))
    first = sweeper()
    assert [(r.kind, r.alert.deadline) for r in first.raised] == [
        (AlertKind.ARRIVAL_AT_RISK, case.promised_arrival_at)
    ]
    old_alert = first.raised[0].alert
    with services.uow() as uow:  # what a force-majeure delay call does to the promise
        stored = uow.cases.get(case.id)
        assert stored is not None and stored.promised_arrival_at is not None
        stored.promised_arrival_at = stored.promised_arrival_at + timedelta(minutes=30)
        uow.cases.save(stored)
        uow.commit()
    second = sweeper()
    assert second.raised == () and second.closed == 1
    with services.uow(write=False) as uow:
        closed = uow.alerts.get(old_alert.id)
    assert closed is not None and closed.outcome == watch.OUTCOME_SUPERSEDED
    clock.advance(timedelta(minutes=30))  # 9 min before the new promise
    third = sweeper()
    assert [(r.kind, r.alert.deadline) for r in third.raised] == [
        (AlertKind.ARRIVAL_AT_RISK, stored.promised_arrival_at)
    ]
    services.arrive(case.id, SAFE)  # on time for the new promise
    fourth = sweeper()
    assert fourth.raised == () and fourth.closed == 1


def test_new_alerts_reach_other_sessions_through_the_change_feed(
    container: bootstrap.Container, clock: ManualClock, settings: Settings
) -> None:
    other = bootstrap.build(settings, clock=clock)
    feed = other.change_feed()
    try:
        case = container.services.take_call(intake())
        feed.poll()
        clock.advance(timedelta(minutes=6))
        result = _sweeper(container)()
        assert [r.kind for r in result.raised] == [AlertKind.RESPONSE_OVERDUE]
        changes = feed.poll()
        assert ("alert", result.raised[0].alert.id) in {(c.entity, c.entity_id) for c in changes}
        events = [e for e in other.services.timeline(case.id) if e.kind == "alert_raised"]
        assert len(events) == 1 and events[0].actor == watch.SYSTEM_ACTOR
        assert events[0].details["kind"] == "response_overdue"
        assert events[0].at == clock.now()
    finally:
        feed.close()
        other.close()


@pytest.mark.parametrize("micro", [0, 1, 499_999, 999_499, 999_500, 999_999])
def test_deadlines_are_exact_to_the_microsecond(
    container: bootstrap.Container, clock: ManualClock, micro: int
) -> None:
    clock.set(FIXED_NOW.replace(microsecond=micro))
    case = container.services.take_call(intake())
    clock.advance(timedelta(minutes=50))
    sweeper = _sweeper(container)
    first = sweeper()
    deadlines = {r.kind: r.alert.deadline for r in first.raised}
    assert deadlines[AlertKind.RESPONSE_OVERDUE] == case.received_at + timedelta(minutes=5)
    assert deadlines[AlertKind.ARRIVAL_LATE] == case.promised_arrival_at
    assert sweeper().raised == (), "the stored keys match the computed ones exactly"


def test_a_policy_that_cannot_be_loaded_is_reported_and_the_rest_is_watched(
    container: bootstrap.Container, clock: ManualClock
) -> None:
    services: Services = container.services
    lost = services.take_call(intake(plate="粤B10001"))
    kept = services.take_call(intake(plate="粤B10002", phone="13812345679"))
    with services.uow() as uow:
        case = uow.cases.get(lost.id)
        assert case is not None
        case.policy = "gone"
        uow.cases.save(case)
        uow.commit()
    clock.advance(timedelta(minutes=6))
    result = watch.sweep(
        container.uow,
        clock,
        tz=container.settings.tz,
        at_risk=timedelta(minutes=10),
        policies=watch.policy_lookup(None),
    )
    assert {r.alert.case_id for r in result.raised} == {kept.id}
    assert len(result.problems) == 1 and "gone" in result.problems[0]


def test_a_case_without_a_promise_is_measured_from_its_policy(
    container: bootstrap.Container, clock: ManualClock
) -> None:
    services: Services = container.services
    case = services.take_call(intake(distance_km="15"))
    with services.uow() as uow:
        stored = uow.cases.get(case.id)
        assert stored is not None
        stored.promised_arrival_at = None
        stored.distance_km = Decimal("15")
        uow.cases.save(stored)
        uow.commit()
    clock.advance(timedelta(minutes=61))
    result = _sweeper(container)()
    deadlines = {r.kind: r.alert.deadline for r in result.raised}
    assert deadlines[AlertKind.ARRIVAL_LATE] == case.received_at + timedelta(minutes=60)


# --------------------------------------------------------------------------------------------
# The scheduler


async def test_the_scheduler_sweeps_at_once_then_on_its_interval() -> None:
    calls: list[float] = []
    results: list[int] = []
    errors: list[BaseException] = []
    loop = asyncio.get_running_loop()

    def sweep() -> int:
        calls.append(loop.time())
        return len(calls)

    sched = scheduler.make_scheduler(
        sweep, interval_seconds=0.2, on_result=results.append, on_error=errors.append
    )
    job = sched.get_job(scheduler.JOB_ID)
    assert job is not None and job.max_instances == 1 and job.coalesce
    sched.start()
    try:
        await asyncio.sleep(0.05)
        assert results == [1], "the first sweep runs at start: the catch-up"
        await asyncio.sleep(0.5)
    finally:
        scheduler.shutdown(sched)
        scheduler.shutdown(sched)  # twice is harmless
        await asyncio.sleep(0.05)
    assert not sched.running
    assert 3 <= len(results) <= 5 and results == sorted(results)
    assert errors == []


async def test_sweep_errors_are_logged_and_reported_never_swallowed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    errors: list[BaseException] = []
    results: list[object] = []

    def sweep() -> None:
        raise RuntimeError("database on fire")

    sched = scheduler.make_scheduler(
        sweep, interval_seconds=0.1, on_result=results.append, on_error=errors.append
    )
    with caplog.at_level(logging.ERROR, logger="callcenter.scheduler"):
        sched.start()
        await asyncio.sleep(0.25)
        scheduler.shutdown(sched)
        await asyncio.sleep(0.05)
    assert results == []
    assert len(errors) >= 2 and all(str(e) == "database on fire" for e in errors)
    assert "SLA sweep failed" in caplog.text and "database on fire" in caplog.text


async def test_a_slow_sweep_is_never_run_twice_at_once() -> None:
    running = 0
    overlap = False
    done: list[int] = []

    def sweep() -> None:
        nonlocal running, overlap
        running += 1
        overlap = overlap or running > 1
        import time

        time.sleep(0.3)  # longer than the interval
        running -= 1

    sched = scheduler.make_scheduler(
        sweep, interval_seconds=0.05, on_result=lambda _r: done.append(1), on_error=print
    )
    sched.start()
    await asyncio.sleep(0.7)
    scheduler.shutdown(sched)
    await asyncio.sleep(0.35)
    assert not overlap and 1 <= len(done) <= 3


async def test_shutting_down_in_the_middle_of_a_sweep_is_not_an_error() -> None:
    import time

    errors: list[BaseException] = []
    results: list[object] = []

    def sweep() -> str:
        time.sleep(0.3)
        return "swept"

    sched = scheduler.make_scheduler(
        sweep, interval_seconds=10, on_result=results.append, on_error=errors.append
    )
    sched.start()
    await asyncio.sleep(0.1)  # the sweep at start is running in its thread
    scheduler.shutdown(sched)
    await asyncio.sleep(0.4)
    assert errors == [] and results == [] and not sched.running


async def test_run_until_stopped_stops_on_request() -> None:
    stop = asyncio.Event()
    seen: list[object] = []

    def on_result(result: object) -> None:
        seen.append(result)
        stop.set()

    await asyncio.wait_for(
        scheduler.run_until_stopped(
            lambda: "swept", interval_seconds=10, on_result=on_result, on_error=print, stop=stop
        ),
        timeout=5,
    )
    assert seen == ["swept"]


def test_make_scheduler_refuses_a_silly_interval() -> None:
    with pytest.raises(ValueError):
        scheduler.make_scheduler(lambda: None, interval_seconds=0, on_result=print, on_error=print)


def test_sweep_results_count_by_kind() -> None:
    from callcenter.domain import Alert

    now = datetime(2026, 1, 1, tzinfo=UTC)
    raised = tuple(
        watch.RaisedAlert(Alert(1, kind, now, now), "N1")
        for kind in (AlertKind.ARRIVAL_LATE, AlertKind.ARRIVAL_LATE, AlertKind.RESPONSE_OVERDUE)
    )
    result = watch.SweepResult(at=now, raised=raised)
    assert result.counts == {AlertKind.ARRIVAL_LATE: 2, AlertKind.RESPONSE_OVERDUE: 1}
    assert len(result.prompts) == 2


# --------------------------------------------------------------------------------------------
# The schedule the database keeps


def _sweeper_with(
    container: bootstrap.Container, at_risk: int = 10, policies: watch.PolicyLookup | None = None
) -> watch.Sweeper:
    """A sweeper of ``container`` with these rules (a session configured otherwise)."""
    return watch.Sweeper(
        container.uow,
        container.clock,
        tz=container.settings.tz,
        at_risk=timedelta(minutes=at_risk),
        policies=policies or watch.policy_lookup(None),
    )


def test_a_sweep_judges_only_the_cases_whose_time_has_come(
    container: bootstrap.Container, clock: ManualClock
) -> None:
    services: Services = container.services
    crew = add_crew(services)
    waiting = services.take_call(intake(plate="粤B10001"))
    en_route = services.dispatch(
        services.take_call(intake(plate="粤B10002", phone="13812345679")).id, crew.id
    )
    first = _sweeper_with(container)()
    assert first.judged == 2 and first.raised == ()
    # A new process (watch --once, an application starting) finds nothing to look at.
    assert _sweeper_with(container)().judged == 0
    clock.advance(timedelta(minutes=5, microseconds=1))  # the response deadline passed
    result = _sweeper_with(container)()
    assert result.judged == 1
    assert [(r.alert.case_id, r.kind) for r in result.raised] == [
        (waiting.id, AlertKind.RESPONSE_OVERDUE)
    ]
    assert _sweeper_with(container)().judged == 0
    services.en_route(en_route.id)  # a save: judged at the next sweep
    again = _sweeper_with(container)()
    assert again.judged == 1 and again.raised == ()
    assert en_route.promised_arrival_at is not None
    clock.set(en_route.promised_arrival_at - timedelta(minutes=10))  # at risk: both cases
    at_risk = _sweeper_with(container)()
    assert at_risk.judged == 2
    assert {(r.alert.case_id, r.kind) for r in at_risk.raised} == {
        (waiting.id, AlertKind.ARRIVAL_AT_RISK),
        (en_route.id, AlertKind.ARRIVAL_AT_RISK),
    }


def test_other_rules_judge_every_open_case_again(
    container: bootstrap.Container, clock: ManualClock, tmp_path
) -> None:
    services: Services = container.services
    case = services.take_call(intake())
    assert case.promised_arrival_at is not None
    assert _sweeper_with(container)().judged == 1
    assert _sweeper_with(container)().judged == 0
    clock.set(case.promised_arrival_at - timedelta(minutes=14))
    before = _sweeper_with(container)()  # 14 min left, window 10 min
    assert [r.kind for r in before.raised] == [AlertKind.RESPONSE_OVERDUE]
    wider = _sweeper_with(container, at_risk=15)()  # another at-risk window
    assert wider.judged == 1
    assert [r.kind for r in wider.raised] == [AlertKind.ARRIVAL_AT_RISK]
    # An edited policy file: a site copy of the preset with a shorter response clock.
    site = tmp_path / "policies"
    site.mkdir()
    preset = (watch.sla.PRESETS_DIR / "roadside.toml").read_text(encoding="utf-8")
    assert "minutes = 5\n" in preset
    (site / "roadside.toml").write_text(preset.replace("minutes = 5\n", "minutes = 4\n", 1))
    edited = _sweeper_with(container, at_risk=15, policies=watch.policy_lookup(tmp_path))
    assert edited.fingerprint() != _sweeper_with(container, at_risk=15).fingerprint()
    assert edited().judged == 1
    assert edited().judged == 0
    # Edited again while this sweeper runs: it notices at its next sweep.
    before = edited.fingerprint()
    (site / "roadside.toml").write_text(preset.replace("minutes = 5\n", "minutes = 6\n", 1))
    assert edited.fingerprint() != before
    assert edited().judged == 1


def test_sessions_sweeping_with_different_rules_are_told(
    container: bootstrap.Container, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    container.services.take_call(intake())
    ours, theirs = _sweeper_with(container), _sweeper_with(container, at_risk=20)
    assert ours().problems == () and theirs().problems == ()  # each adopts its rules once
    clash = ours()  # ours were replaced by someone else's: say so
    assert len(clash.problems) == 1 and "different SLA rules" in clash.problems[0]
    assert "different SLA rules" in caplog.text


def test_the_fingerprint_of_the_rules_is_the_same_in_every_process() -> None:
    code = (
        "from datetime import timedelta; from zoneinfo import ZoneInfo; "
        "from callcenter import watch; "
        "print(watch.Sweeper(None, None, tz=ZoneInfo('Asia/Shanghai'), "
        "at_risk=timedelta(minutes=10), policies=watch.policy_lookup(None)).fingerprint())"
    )
    import os
    import subprocess
    import sys

    prints = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(prints) == 1  # sets of plans and holidays ordered, whatever the string hashes


def test_a_stale_alert_an_operator_holds_is_closed_once_let_go(
    container: bootstrap.Container, clock: ManualClock
) -> None:
    from callcenter.services.delays import DelayCalls

    services: Services = container.services
    crew = add_crew(services)
    case = services.dispatch(services.take_call(intake()).id, crew.id)
    clock.advance(timedelta(minutes=31))
    (raised,) = _sweeper_with(container)().raised
    desk = DelayCalls.from_services(services)
    desk.claim(raised.alert.id)
    services.en_route(case.id)
    services.arrive(case.id, SAFE)  # the clock stopped: the alert is stale, but held
    held = _sweeper_with(container)()
    assert held.judged == 1 and held.closed == 0
    assert _sweeper_with(container)().judged == 1, "looked at again at every sweep"
    with services.uow(write=False) as uow:
        alert = uow.alerts.get(raised.alert.id)
    assert alert is not None
    desk.release_claim(alert.id)
    released = _sweeper_with(container)()
    assert released.judged == 1 and released.closed == 1
    assert _sweeper_with(container)().judged == 1  # the look after closing sets the horizon
    assert _sweeper_with(container)().judged == 0
