"""The dashboard's reads on both databases, with cases made by hand through the services at
chosen instants: the month boundaries of Asia/Shanghai, a cancelled case, a late arrival with
its delay reason, a survey, a complaint; the figures compared with hand-computed ones, the
drill-down with what they count, and new writes seen by the next reading."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from callcenter import bootstrap
from callcenter.clock import ManualClock
from callcenter.complaints.model import ComplaintInput
from callcenter.domain import Role
from callcenter.permissions import Action
from callcenter.ports import UnitOfWork
from callcenter.reports.dashboard import Figure, Month, Period, Pick
from callcenter.services import Checklist, Services
from callcenter.settings import Settings
from tests.factories import add_crew, feedback_reached, finish_job, intake

SHANGHAI = ZoneInfo("Asia/Shanghai")
SAFE = Checklist(hazard_lights=True, warning_sign=True, night_lights=True)
NOV = Month(2026, 11)


def local(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def _complaint() -> ComplaintInput:
    return ComplaintInput(
        channel="phone",
        customer_name="张伟",
        phone="138 1234 5678",
        crew_code="救援1组",
        crew_member="李强",
        category="quarrel",
        description="救援人员与我发生口角",
        department="售后服务部",
        responsible="刘经理",
    )


def _delay_reason(services: Services, case_id: int, reason: str) -> None:
    """The reason the owner was given on a delay call, in the case's timeline."""

    def work(uow: UnitOfWork) -> None:
        services.case_event(uow, case_id, "delay_call", reason=reason, reached=True)

    services.write(work, action=Action.NOTIFY_DELAY, entity="case", entity_id=case_id)


@pytest.fixture
def month_of_cases(container: bootstrap.Container, clock: ManualClock) -> dict[str, int]:
    services = container.services
    crews = [add_crew(services, code=f"救援{i}组") for i in range(1, 5)]
    ids: dict[str, int] = {}
    # 23:50 on 31 October in Shanghai: October's
    clock.set(local(10, 31, 23, 50))
    october = services.take_call(intake(plate="粤B10001"))
    clock.advance(timedelta(minutes=5))
    services.dispatch(october.id, crews[0].id)
    ids["october"] = october.id
    # 00:10 on 1 November in Shanghai (16:10 UTC on 31 October): November's; dispatched in 3
    # minutes, on scene in 20, the service done, the owner satisfied, then a complaint
    clock.set(local(11, 1, 0, 10))
    first = services.take_call(intake(plate="粤B10002"))
    clock.advance(timedelta(minutes=3))
    services.dispatch(first.id, crews[1].id)
    clock.advance(timedelta(minutes=17))
    services.arrive(first.id, SAFE)
    finish_job(services, first.id)
    feedback_reached(services, first.id, satisfied=True)
    services.record_complaint(_complaint(), case_id=first.id)
    ids["first"] = first.id
    # 15 November: cancelled before a crew was sent
    clock.set(local(11, 15, 12))
    cancelled = services.take_call(intake(plate="粤B10003"))
    services.cancel(cancelled.id, "车主已自行解决")
    ids["cancelled"] = cancelled.id
    # 23:59 on 30 November: November's, though dispatched in December, 7 minutes later; on
    # scene 10 minutes after the promise, the owner told of a traffic jam
    clock.set(local(11, 30, 23, 59))
    last = services.take_call(intake(plate="粤B10004"))
    clock.advance(timedelta(minutes=7))
    services.dispatch(last.id, crews[2].id)
    _delay_reason(services, last.id, "traffic_jam")
    promised = services.case(last.id).promised_arrival_at
    assert promised is not None
    clock.set(promised + timedelta(minutes=10))
    services.arrive(last.id, SAFE)
    ids["last"] = last.id
    # 00:01 on 1 December: December's
    clock.set(local(12, 1, 0, 1))
    ids["december"] = services.take_call(intake(plate="粤B10005")).id
    clock.set(local(12, 5, 10))
    return ids


def test_a_hand_made_month_on_both_databases(
    container: bootstrap.Container, month_of_cases: dict[str, int]
) -> None:
    services = container.services
    assert services.current_month() == Month(2026, 12)
    board = services.dashboard(NOV)
    head = board.headlines[Period.THIS]
    assert head is not None
    assert head.calls == 3  # the first, the cancelled, the last
    assert (head.on_time, head.arrived) == (1, 2)
    assert head.responses == 2 and head.p50 == pytest.approx(5.0)
    assert head.p90 == pytest.approx(6.6)  # 3 + 0.9 × (7 − 3)
    assert (head.rate.satisfied, head.rate.answered) == (1, 1)
    assert (head.not_reached, head.refused) == (0, 0)
    assert head.complaints == 1
    last_month = board.headlines[Period.LAST]
    assert last_month is not None and last_month.calls == 1 and last_month.responses == 1
    assert board.headlines[Period.YEAR_AGO] is None
    assert [(d.reason, d.late, d.extended) for d in board.delays] == [("traffic_jam", 1, 0)]
    first_day, last_day = board.days[0], board.days[-1]
    assert (first_day.calls, first_day.on_time, first_day.p50) == (1, 1, pytest.approx(3.0))
    assert (last_day.calls, last_day.arrived, last_day.on_time) == (1, 1, 0)
    assert sum(d.calls for d in board.days) == 3
    assert board.weeks[0].rate.answered == 1 and board.target_percent == 97

    ids = month_of_cases
    on_time = services.dashboard_cases(Pick(Figure.ON_TIME, NOV))
    assert [(b.case_id, b.bad) for b in on_time] == [(ids["last"], True), (ids["first"], False)]
    assert on_time[0].detail == "late 10.0 min"
    calls = services.dashboard_cases(Pick(Figure.CALLS, NOV))
    assert [b.case_id for b in calls] == [ids["first"], ids["cancelled"], ids["last"]]
    reason = services.dashboard_cases(Pick(Figure.DELAYS, NOV, key="traffic_jam"))
    assert [b.case_id for b in reason] == [ids["last"]]
    complained = services.dashboard_cases(Pick(Figure.COMPLAINTS, NOV))
    assert [b.case_id for b in complained] == [ids["first"]]
    day = board.days[-1].day
    assert [b.case_id for b in services.dashboard_cases(Pick(Figure.CALLS, NOV, day, day))] == [
        ids["last"]
    ]
    december = services.dashboard(Month(2026, 12)).headlines[Period.THIS]
    assert december is not None and december.calls == 1 and december.responses == 0


def test_new_writes_are_in_the_next_reading(
    container: bootstrap.Container, clock: ManualClock, month_of_cases: dict[str, int]
) -> None:
    services = container.services
    before = services.dashboard(Month(2026, 12)).headlines[Period.THIS]
    assert before is not None and before.calls == 1
    crew = add_crew(services, code="救援9组")
    case = services.take_call(intake(plate="粤B10009"))
    clock.advance(timedelta(minutes=2))
    services.dispatch(case.id, crew.id)
    after = services.dashboard(Month(2026, 12))
    head = after.headlines[Period.THIS]
    assert head is not None and head.calls == 2 and head.responses == 1
    assert head.p50 == pytest.approx(2.0)
    assert after.days[4].calls == 1  # 5 December


def test_an_operator_and_the_read_only_board_read_it(
    container: bootstrap.Container,
    settings: Settings,
    clock: ManualClock,
    month_of_cases: dict[str, int],
) -> None:
    container.services.ensure_staff("wangfang", "王芳", Role.OPERATOR)
    operator = bootstrap.build(replace(settings, user="wangfang"), clock=clock)
    board = bootstrap.build(replace(settings, user="wangfang"), clock=clock, read_only=True)
    try:
        for services in (operator.services, board.services):
            head = services.dashboard(NOV).headlines[Period.THIS]
            assert head is not None and head.calls == 3
            assert len(services.dashboard_cases(Pick(Figure.CALLS, NOV))) == 3
    finally:
        operator.close()
        board.close()
