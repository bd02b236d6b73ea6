"""Follow-up calls on a real database, every backend (issue 13 §2): the revisit three months
after a service, promised call-backs, retries by each kind's schedule, the overdue flag, the
desk's order across kinds and the calls of a customer. The clock is a ManualClock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from callcenter import bootstrap, watch
from callcenter.calls import revisit
from callcenter.calls.model import Outcome, TaskState
from callcenter.clock import ManualClock
from callcenter.errors import ValidationError, ValidationErrors
from callcenter.records.model import FeedbackResult
from callcenter.services import Checklist, Services
from callcenter.services.calls import CallDesk
from callcenter.services.delays import DelayCalls
from storage.tables import CallTaskRow
from tests.factories import add_crew, feedback_reached, finish_job, intake

SURVEY = {f"q{i}": "5" for i in range(1, 10)} | {"q6": "2"}


@pytest.fixture
def desk(container: bootstrap.Container) -> CallDesk:
    return CallDesk(container.services, DelayCalls.from_services(container.services))


def closed_case(services: Services, phone: str = "13812345678", plate: str = "粤B12345") -> int:
    """A case done, accepted, reported back, its feedback answered and closed: now."""
    crew = add_crew(services, code=f"救援{plate[-2:]}组")
    case = services.take_call(intake(phone=phone, plate=plate))
    assert case.id is not None
    services.dispatch(case.id, crew.id)
    services.arrive(case.id, Checklist(True, True, True))
    finish_job(services, case.id)
    feedback_reached(services, case.id)
    services.close_case(case.id)
    return case.id


def revisits(desk: CallDesk) -> list:
    return [i for i in desk.task_items() if i.kind == revisit.NAME]


def test_the_revisit_falls_due_three_months_after_the_service_once(
    container: bootstrap.Container, clock: ManualClock, desk: CallDesk
) -> None:
    services = container.services
    case_id = closed_case(services)
    completed = services.case(case_id).completed_at
    assert completed is not None
    due = revisit.due_at(completed, revisit.site_rules(), services.tz)
    # 2026-11-22 22:30 in Shanghai: the revisit is 2027-02-23 09:00 (the 22nd at 09:00 is
    # before the three months have passed).
    assert due == datetime(2027, 2, 23, 1, 0, tzinfo=UTC)

    clock.set(due - timedelta(minutes=1))
    assert desk.sweep_followups(force=True) == 0  # not before
    assert revisits(desk) == []

    clock.set(due)
    assert desk.sweep_followups(force=True) == 1
    assert desk.sweep_followups(force=True) == 0  # once
    second = CallDesk(services, desk.delays)
    assert second.sweep_followups(force=True) == 0  # another session: still once
    [item] = revisits(desk)
    assert item.case_id == case_id and item.due_at == due and not item.overdue
    with container.uow() as uow:
        count = uow.session.scalar(  # type: ignore[attr-defined]
            select(func.count()).select_from(CallTaskRow).where(CallTaskRow.kind == "revisit")
        )
    assert count == 1
    timeline = [e.kind for e in services.timeline(case_id)]
    assert timeline.count("call_scheduled") == 2  # the feedback call, then the revisit

    clock.advance(timedelta(days=7, minutes=1))
    [item] = revisits(desk)
    assert item.overdue  # a week past its day, not tried


def test_the_watch_sweep_owes_the_revisits_and_open_cases_owe_none(
    container: bootstrap.Container, clock: ManualClock, desk: CallDesk
) -> None:
    services = container.services
    case_id = closed_case(services)
    open_case = services.take_call(intake(phone="13900001111", plate="粤B77777"))
    clock.advance(timedelta(days=100))
    sweeper = watch.sweeper_for(container)
    sweeper()
    assert [i.case_id for i in revisits(desk)] == [case_id]
    assert open_case.id not in {i.case_id for i in desk.task_items()}
    sweeper()  # again: nothing more
    assert len(revisits(desk)) == 1


def test_a_service_long_past_its_revisit_is_not_called(
    container: bootstrap.Container, clock: ManualClock, desk: CallDesk
) -> None:
    closed_case(container.services)
    clock.advance(timedelta(days=92 + 61))  # past skip_after_days (60) of its revisit day
    assert desk.sweep_followups(force=True) == 0


def test_the_revisit_survey_is_stored_as_a_revisit_and_leaves_the_feedback_alone(
    container: bootstrap.Container, clock: ManualClock, desk: CallDesk
) -> None:
    services = container.services
    case_id = closed_case(services)
    before = services.satisfaction(clock.now())
    clock.advance(timedelta(days=95))
    desk.sweep_followups(force=True)
    [item] = revisits(desk)
    desk.claim(item.kind, item.ref)
    answers = SURVEY | {"q9": "1", "reason_q9": "配件又坏了"}
    task = desk.record(item.kind, item.ref, outcome=Outcome.REACHED, fields=answers)
    assert task.state is TaskState.DONE
    [feedback] = services.surveys(case_id)
    assert feedback.kind == "feedback" and feedback.satisfied is True
    [again] = services.surveys(case_id, "revisit")
    assert again.result is FeedbackResult.ANSWERED
    assert again.template == "revisit" and again.satisfied is False
    assert again.reasons == {"q9": "配件又坏了"}
    assert services.case(case_id).feedback_at is not None
    # The month's satisfaction rate counts feedback calls only.
    assert services.satisfaction(clock.now())["answered"] == 0
    assert before["answered"] == 1
    # A very dissatisfied answer is escalated at once (seed 004).
    kinds_now = [i.kind for i in desk.task_items()]
    assert kinds_now[0] == "escalation"
    assert "revisit" in [e.kind for e in services.timeline(case_id)]


def test_a_revisit_not_reached_is_retried_next_day_then_given_up(
    container: bootstrap.Container, clock: ManualClock, desk: CallDesk
) -> None:
    services = container.services
    case_id = closed_case(services)
    clock.advance(timedelta(days=95))
    desk.sweep_followups(force=True)
    [item] = revisits(desk)
    first = desk.record(item.kind, item.ref, outcome=Outcome.NOT_REACHED)
    assert first.try_at == clock.now() + timedelta(days=1)
    assert revisits(desk) == []  # not before its next try
    clock.advance(timedelta(days=1))
    [item] = revisits(desk)
    desk.record(item.kind, item.ref, outcome=Outcome.BUSY)
    clock.advance(timedelta(days=2))
    [item] = revisits(desk)
    last = desk.record(item.kind, item.ref, outcome=Outcome.NOT_REACHED)
    assert last.state is TaskState.GIVEN_UP
    [survey] = services.surveys(case_id, "revisit")
    assert survey.result is FeedbackResult.NOT_REACHED


def test_a_promise_from_a_case_appears_at_its_time_then_is_flagged_overdue(
    container: bootstrap.Container, clock: ManualClock, desk: CallDesk
) -> None:
    services = container.services
    case = services.take_call(intake())
    assert case.id is not None
    # FIXED_NOW is 22:30 in Shanghai: "明天 10:00" is 2026-11-23 02:00 UTC.
    task = desk.promise(case_id=case.id, when="明天 10:00", what="回电告知配件到货时间")
    assert task.due_at == datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    assert task.created_by == services.actor and task.note == "回电告知配件到货时间"
    assert task.customer_id == case.customer_id
    assert not [i for i in desk.task_items() if i.kind == "callback"]
    clock.set(task.due_at)
    [item] = [i for i in desk.task_items() if i.kind == "callback"]
    assert item.about == case.number and not item.overdue
    assert "回电告知配件到货时间" in item.message
    clock.advance(timedelta(minutes=16))
    [item] = [i for i in desk.task_items() if i.kind == "callback"]
    assert item.overdue
    events = [e for e in services.timeline(case.id) if e.kind == "call_scheduled"]
    assert events[-1].details["kind"] == "callback"


def test_a_promise_to_a_phone_number_with_no_case_and_its_retries(
    container: bootstrap.Container, clock: ManualClock, desk: CallDesk
) -> None:
    task = desk.promise(when="+2h", what="查理赔进度后回电", name="陈先生", phone="139 0000 2222")
    assert task.case_id is None and task.customer_id is None
    assert task.contact_phone == "+8613900002222" and task.contact_name == "陈先生"
    assert task.due_at == clock.now() + timedelta(hours=2)
    clock.advance(timedelta(hours=2))
    [item] = [i for i in desk.task_items() if i.kind == "callback"]
    assert item.name == "陈先生" and "139" in item.phone
    desk.claim(item.kind, item.ref)
    again = desk.record(item.kind, item.ref, outcome=Outcome.NOT_REACHED)
    assert again.try_at == clock.now() + timedelta(minutes=15)
    clock.advance(timedelta(minutes=15))
    desk.record(item.kind, item.ref, outcome=Outcome.BUSY)
    clock.advance(timedelta(minutes=59))
    assert not [i for i in desk.task_items() if i.kind == "callback"]
    clock.advance(timedelta(minutes=1))
    with pytest.raises(ValidationError):
        desk.record(item.kind, item.ref, outcome=Outcome.REACHED, fields={"answer": " "})
    done = desk.record(item.kind, item.ref, outcome=Outcome.REACHED, fields={"answer": "已告知"})
    assert done.state is TaskState.DONE and done.result == {"answer": "已告知"}


def test_a_promise_names_every_wrong_field(desk: CallDesk) -> None:
    with pytest.raises(ValidationErrors) as caught:
        desk.promise(when="昨天", what="", phone="")
    fields = {e.field for e in caught.value.errors}
    assert fields == {"when", "what", "phone"}
    with pytest.raises(ValidationErrors) as caught:
        desk.promise(when="+200d", what="x", phone="13900002222")
    assert {e.field for e in caught.value.errors} == {"when"}


def test_the_desk_lists_every_kind_by_due_time(
    container: bootstrap.Container, clock: ManualClock, desk: CallDesk
) -> None:
    services = container.services
    case_id = closed_case(services)
    clock.advance(timedelta(days=95))
    desk.sweep_followups(force=True)  # a revisit, due days ago
    late = desk.promise(when="+1h", what="A", phone="13900003333")
    soon = desk.promise(when="+30m", what="B", phone="13900004444")
    other = services.take_call(intake(phone="13900005555", plate="粤B55555"))
    crew = add_crew(services, code="救援9组")
    services.dispatch(other.id, crew.id)
    services.arrive(other.id, Checklist(True, True, True))
    finish_job(services, other.id)  # a feedback call, due now
    clock.advance(timedelta(hours=2))
    items = desk.task_items()
    assert [i.kind for i in items] == ["revisit", "feedback", "callback", "callback"]
    assert [i.ref for i in items[2:]] == [soon.id, late.id]
    assert [i.due_at for i in items] == sorted(i.due_at for i in items)
    assert [i.overdue for i in items] == [False, False, True, True]
    assert items[0].case_id == case_id


def test_the_calls_of_a_customer(
    container: bootstrap.Container, clock: ManualClock, desk: CallDesk
) -> None:
    services = container.services
    case_id = closed_case(services)
    customer_id = services.case(case_id).customer_id
    assert customer_id is not None
    desk.promise(when="+1h", what="电话回访", phone="13812345678")  # their number, no case
    desk.promise(when="+1h", what="别人的", phone="13900009999")
    calls = desk.customer_calls(customer_id)
    assert [c.task.kind for c in calls] == ["callback", "feedback"]
    feedback = calls[1]
    assert feedback.case_number == services.case(case_id).number
    assert [a.outcome for a in feedback.attempts] == [Outcome.REACHED]
    assert calls[0].task.customer_id == customer_id  # known by the number


def test_the_demo_has_follow_up_calls_of_each_kind_due_and_overdue(
    container: bootstrap.Container, clock: ManualClock, desk: CallDesk
) -> None:
    from callcenter import demo

    summary = demo.generate(container.uow, now=clock.now(), tz=container.settings.tz)
    assert summary.open_revisits >= 3 and summary.open_callbacks >= 3
    items = desk.task_items()
    for kind in ("revisit", "callback"):
        mine = [i for i in items if i.kind == kind]
        assert any(i.overdue for i in mine) and any(not i.overdue for i in mine), kind
    assert any(i.kind == "callback" and i.case_id is None and i.name for i in items)
    answered = [
        s
        for case_id in {i.case_id for i in items if i.kind == "revisit"}
        for s in container.services.surveys(case_id, None)
    ]
    assert all(s.kind in ("feedback", "revisit") for s in answered)
    with container.uow() as uow:
        kept = uow.session.scalar(  # type: ignore[attr-defined]
            select(func.count()).select_from(CallTaskRow).where(CallTaskRow.kind == "revisit")
        )
    assert 3 <= kept <= 6  # one per old service (one may have been cancelled)
    # The sweep owes no second revisit for the demo's cases.
    assert desk.sweep_followups(force=True) == 0


def test_an_overdue_promise_is_on_the_next_shifts_desk(
    container: bootstrap.Container, settings: Any, clock: ManualClock, desk: CallDesk
) -> None:
    """The night operator promises, goes home; the morning's session (another user, another
    process) finds the call on its desk, flagged overdue, with who promised it."""
    from dataclasses import replace

    from callcenter.domain import Role

    task = desk.promise(when="+30m", what="回电告知维修进度", phone="13900006666")
    container.services.ensure_staff("morning", "早班", Role.OPERATOR)
    clock.advance(timedelta(hours=8))
    morning = bootstrap.build(replace(settings, user="morning"), clock=clock)
    try:
        theirs = CallDesk(morning.services, DelayCalls.from_services(morning.services))
        [item] = [i for i in theirs.task_items() if i.kind == "callback"]
        assert item.ref == task.id and item.overdue and item.created_by == "tester"
        theirs.claim(item.kind, item.ref)
        done = theirs.record(
            item.kind, item.ref, outcome=Outcome.REACHED, fields={"answer": "已告知"}
        )
        assert done.closed_by == "morning"
    finally:
        morning.close()
