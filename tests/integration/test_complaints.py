"""Complaints (客户投诉), their clocks in the SLA sweep, repeated repairs and escalations, on
SQLite and PostgreSQL, with a manual clock; every session its own container (as separate
processes)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest

from callcenter import bootstrap, watch
from callcenter.calls.model import Outcome
from callcenter.clock import ManualClock
from callcenter.complaints.model import (
    AlertKind,
    ComplaintInput,
    EscalationKind,
    Status,
    describe,
)
from callcenter.domain import Role
from callcenter.errors import (
    ConcurrencyConflict,
    InvalidTransition,
    PermissionDenied,
    ValidationError,
    ValidationErrors,
)
from callcenter.services import Checklist
from callcenter.services.calls import CallDesk
from callcenter.services.delays import DelayCalls
from callcenter.services.staff import StaffDirectory
from callcenter.settings import Settings
from tests.factories import add_crew, feedback_reached, finish_job, intake

Session = Callable[..., bootstrap.Container]
SAFE = Checklist(hazard_lights=True, warning_sign=True, night_lights=True)


@pytest.fixture
def session(migrated_url: str, clock: ManualClock) -> Iterator[Session]:
    made: list[bootstrap.Container] = []

    def factory(user: str, **kwargs: object) -> bootstrap.Container:
        settings = Settings(database_url=migrated_url, language="en", user=user)
        container = bootstrap.build(settings, clock=clock, **kwargs)
        made.append(container)
        return container

    yield factory
    for container in made:
        container.close()


@pytest.fixture
def centre(session: Session) -> dict[str, bootstrap.Container]:
    admin = session("boss")
    staff = StaffDirectory(admin.services)
    staff.add("wangfang", "王芳", Role.OPERATOR)
    staff.add("chenjun", "陈军", Role.SUPERVISOR)
    return {"admin": admin, "operator": session("wangfang"), "supervisor": session("chenjun")}


def phone_complaint(**overrides: str) -> ComplaintInput:
    values = {
        "channel": "phone",
        "customer_name": "张伟",
        "phone": "138 1234 5678",
        "crew_code": "救援1组",
        "crew_member": "李强",
        "category": "quarrel",
        "description": "救援人员与我发生口角",
        "department": "售后服务部",
        "responsible": "刘经理",
    }
    values.update(overrides)
    return ComplaintInput(**values)


def sweeper(container: bootstrap.Container) -> watch.Sweeper:
    return watch.sweeper_for(container)


def test_phone_complaint_against_a_crew_deadlines_sweep_once_and_close(
    centre: dict[str, bootstrap.Container], clock: ManualClock
) -> None:
    operator, supervisor = centre["operator"].services, centre["supervisor"].services
    crew = add_crew(operator)
    complaint = operator.record_complaint(phone_complaint())
    assert complaint.number.startswith("TS20261122-")
    assert complaint.status is Status.RECEIVED
    assert complaint.crew_id == crew.id
    assert complaint.phone == "+8613812345678"
    assert complaint.notify_due_at == clock.now() + timedelta(hours=1)
    assert complaint.plan_due_at == clock.now() + timedelta(hours=3)
    assert complaint.resolve_due_at == clock.now() + timedelta(hours=72)

    # within the at-risk window of the first clock
    clock.advance(timedelta(minutes=50))
    result = sweeper(centre["operator"])()
    assert [a.kind for a in result.complaint_alerts] == [AlertKind.NOTIFY_AT_RISK]
    # past the first deadline: overdue once, and once only
    clock.advance(timedelta(minutes=11))
    first = sweeper(centre["operator"])()
    assert [a.kind for a in first.complaint_alerts] == [AlertKind.NOTIFY_OVERDUE]
    again = sweeper(centre["supervisor"])()  # another session sweeps too
    assert again.complaint_alerts == ()
    assert sweeper(centre["operator"])().complaint_alerts == ()
    # the other session sees the alert and the escalation
    alerts = supervisor.complaint_alerts([complaint.id])
    assert sorted(a.kind for a in alerts) == [AlertKind.NOTIFY_AT_RISK, AlertKind.NOTIFY_OVERDUE]
    escalations = supervisor.escalations()
    assert [e.kind for e in escalations] == [EscalationKind.COMPLAINT_OVERDUE]
    assert complaint.number in escalations[0].summary
    assert describe(escalations[0]) == (
        f"Complaint {complaint.number} (张伟): Responsible person told overdue."
    )

    # handled: a plan, then resolved; a call-back is owed on the desk at once
    handled = operator.start_handling(complaint.id, "向客户道歉，批评教育当事人", version=1)
    assert handled.status is Status.HANDLING and handled.planned_at == clock.now()
    swept = sweeper(centre["operator"])()
    assert swept.complaint_alerts == ()
    assert all(a.resolved_at is not None for a in supervisor.complaint_alerts([complaint.id]))
    resolved = operator.resolve_complaint(
        complaint.id, "当事人已道歉，扣奖金", version=handled.version
    )
    assert resolved.status is Status.RESOLVED and resolved.callback_task_id is not None

    # the operator may not close it; the supervisor may not close it unsatisfied without reason
    with pytest.raises(PermissionDenied):
        operator.close_complaint(complaint.id, "客户已接受")
    with pytest.raises(ValidationError) as err:
        supervisor.close_complaint(complaint.id, "")
    assert err.value.field == "close_reason"

    # the call-back reaches the customer, who is not satisfied: back to handling
    desk = CallDesk(operator, DelayCalls.from_services(operator))
    items = [i for i in desk.task_items() if i.kind == "complaint_callback"]
    assert len(items) == 1 and complaint.number in items[0].message
    desk.claim("complaint_callback", items[0].ref)
    desk.record(
        "complaint_callback", items[0].ref, outcome=Outcome.REACHED, fields={"satisfied": "no"}
    )
    again_open = operator.complaint(complaint.id)
    assert again_open.status is Status.HANDLING and again_open.satisfied is False
    # resolved again, and this time satisfied
    resolved = operator.resolve_complaint(complaint.id, "更换救援人员重新上门服务")
    task = resolved.callback_task_id
    assert task is not None and task != items[0].ref
    desk.claim("complaint_callback", task)
    desk.record("complaint_callback", task, outcome=Outcome.REACHED, fields={"satisfied": "是"})
    confirmed = operator.complaint(complaint.id)
    assert confirmed.status is Status.CONFIRMED and confirmed.satisfied is True
    closed = supervisor.close_complaint(complaint.id, "")
    assert closed.status is Status.CLOSED and closed.closed_by == "chenjun"
    with pytest.raises(InvalidTransition):
        supervisor.close_complaint(complaint.id, "again")

    # counts on the crew
    counts = supervisor.crew_complaint_counts()
    assert counts[crew.id].last_30 == 1 and counts[crew.id].last_90 == 1
    clock.advance(timedelta(days=40))
    counts = supervisor.crew_complaint_counts()
    assert counts[crew.id].last_30 == 0 and counts[crew.id].last_90 == 1

    # audited: who recorded, who was refused, who closed
    with centre["admin"].uow(write=False) as uow:
        rows = uow.audit.recent(limit=200)
    actions = {(r.actor, r.action, r.allowed) for r in rows if r.entity == "complaint"}
    assert ("wangfang", "record_complaint", True) in actions
    assert ("wangfang", "close_complaint", False) in actions
    assert ("chenjun", "close_complaint", True) in actions


def test_closing_unsatisfied_with_a_reason_and_version_checks(
    centre: dict[str, bootstrap.Container],
) -> None:
    operator, supervisor = centre["operator"].services, centre["supervisor"].services
    complaint = operator.record_complaint(
        phone_complaint(crew_code="", crew_member="", category="fees", channel="letter", phone="")
    )
    assert complaint.crew_id is None and complaint.phone == ""
    operator.mark_notified(complaint.id, version=complaint.version)
    with pytest.raises(ConcurrencyConflict):
        operator.start_handling(complaint.id, "核实收费", version=complaint.version)
    closed = supervisor.close_complaint(complaint.id, "客户拒绝继续沟通，主管决定关闭")
    assert closed.status is Status.CLOSED and closed.close_reason.startswith("客户拒绝")


def test_bad_input_names_every_field(centre: dict[str, bootstrap.Container]) -> None:
    operator = centre["operator"].services
    with pytest.raises(ValidationErrors) as err:
        operator.record_complaint(
            ComplaintInput(channel="phone", category="?", crew_code="X9", case_number="C404")
        )
    fields = {e.field for e in err.value.errors}
    assert fields == {
        "category",
        "customer_name",
        "phone",
        "description",
        "case_number",
        "crew_code",
    }


def test_second_complaint_against_a_crew_escalates_and_is_acknowledged(
    centre: dict[str, bootstrap.Container], clock: ManualClock
) -> None:
    operator, supervisor = centre["operator"].services, centre["supervisor"].services
    add_crew(operator)
    operator.record_complaint(phone_complaint())
    assert supervisor.escalations() == []
    clock.advance(timedelta(days=10))
    second = operator.record_complaint(phone_complaint(category="soliciting"))
    found = supervisor.escalations()
    assert [e.kind for e in found] == [EscalationKind.CREW_REPEAT]
    assert found[0].complaint_id == second.id
    with pytest.raises(PermissionDenied):
        operator.acknowledge_escalation(found[0].id)
    acked = supervisor.acknowledge_escalation(found[0].id, version=found[0].version)
    assert acked.acknowledged_by == "chenjun" and acked.acknowledged_at == clock.now()
    with pytest.raises(ConcurrencyConflict):
        supervisor.acknowledge_escalation(found[0].id)
    assert supervisor.escalations(unacknowledged_only=True) == []


def test_complaint_from_a_case_and_repeated_repair(
    centre: dict[str, bootstrap.Container], clock: ManualClock
) -> None:
    operator = centre["operator"].services
    crew = add_crew(operator)
    case = operator.take_call(intake(fault_category="electrical"))
    operator.dispatch(case.id, crew.id)
    operator.arrive(case.id, SAFE)
    finish_job(operator, case.id)
    form = operator.complaint_form(case.id)
    assert form.case_number == case.number and form.crew_code == crew.code
    complaint = operator.record_complaint(
        phone_complaint(case_number="", category="repeat_repair"), case_id=case.id
    )
    assert complaint.case_id == case.id and complaint.customer_id == case.customer_id
    kinds = [e.kind for e in operator.timeline(case.id)] if hasattr(operator, "timeline") else []
    if kinds:
        assert "complaint" in kinds

    clock.advance(timedelta(days=12))
    assert operator.repeat_repair_of("粤B12345", "electrical") == (case.id, case.number)
    assert operator.repeat_repair_of("粤B12345", "tyre") is None
    again = operator.take_call(intake(fault_category="electrical"))
    with centre["admin"].uow(write=False) as uow:
        events = [e for e in uow.events.for_case(again.id) if e.kind == "repeat_repair"]
    assert len(events) == 1 and events[0].details["previous"] == case.number
    start = clock.now() - timedelta(days=1)
    assert operator.repeat_repairs(start, clock.now() + timedelta(minutes=1)) == 1
    # past the window: no flag
    clock.advance(timedelta(days=31))
    third = operator.take_call(intake(fault_category="electrical", plate="粤B54321"))
    with centre["admin"].uow(write=False) as uow:
        assert not [e for e in uow.events.for_case(third.id) if e.kind == "repeat_repair"]
    summary = operator.complaint_summary(start - timedelta(days=30), clock.now())
    assert summary.received == 1 and summary.against_crews == 1


def test_an_unhappy_survey_goes_to_the_supervisors(
    centre: dict[str, bootstrap.Container],
) -> None:
    operator, supervisor = centre["operator"].services, centre["supervisor"].services
    crew = add_crew(operator)
    case = operator.take_call(intake())
    operator.dispatch(case.id, crew.id)
    operator.arrive(case.id, SAFE)
    finish_job(operator, case.id)
    feedback_reached(operator, case.id, satisfied=False)
    found = supervisor.escalations()
    assert [e.kind for e in found] == [EscalationKind.VERY_DISSATISFIED]
    assert found[0].case_id == case.id and case.number in found[0].summary


def test_the_demo_has_complaints_in_each_status(container: bootstrap.Container) -> None:
    summary = bootstrap.load_demo(container)
    assert set(summary.complaints) == {s.value for s in Status}
    services = container.services
    found = services.complaints()
    assert any(c.is_open and c.notify_due_at < container.clock.now() for c in found)
    assert [e.kind for e in services.escalations()] == [EscalationKind.CREW_REPEAT]
    counts = services.crew_complaint_counts()
    assert max(c.last_30 for c in counts.values()) == 2
    result = watch.sweeper_for(container)()
    kinds = {a.kind for a in result.complaint_alerts}
    assert AlertKind.NOTIFY_OVERDUE in kinds
    assert watch.sweeper_for(container)().complaint_alerts == ()


def test_the_cli_lists_complaints_and_escalations(
    centre: dict[str, bootstrap.Container],
    migrated_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from callcenter import cli

    monkeypatch.setenv("CALLCENTER_USER", "wangfang")
    operator = centre["operator"].services
    add_crew(operator)
    first = operator.record_complaint(phone_complaint())
    second = operator.record_complaint(phone_complaint(category="lateness"))
    supervisor = centre["supervisor"].services
    supervisor.close_complaint(first.id, "客户撤回投诉")
    assert cli.main(["--database-url", migrated_url, "--lang", "en", "complaints"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("ESCALATION ") and "2 complaints against crew 救援1组" in out[0]
    assert [line.split()[0] for line in out[1:]] == [second.number, first.number]
    assert "Complaint closed" in out[2]
    assert cli.main(["--database-url", migrated_url, "complaints", "--open"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out[1:]] == [second.number]
