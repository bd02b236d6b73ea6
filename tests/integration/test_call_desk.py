"""The generic call desk on a real database, every backend (issue 10).

The delay call is its first kind; ``callback_kind`` is a kind of the tests' own, added with
data and one module, and worked through the same desk: claim, attempts, retries, result.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from callcenter import bootstrap, watch
from callcenter.calls import kinds
from callcenter.calls.model import Outcome, TaskState
from callcenter.clock import ManualClock
from callcenter.domain import AlertKind, DelayReason, Role
from callcenter.errors import (
    ConcurrencyConflict,
    InvalidTransition,
    PermissionDenied,
    ValidationError,
    ValidationErrors,
)
from callcenter.services import Services
from callcenter.services.calls import CallDesk
from callcenter.services.delays import DelayCalls
from callcenter.settings import Settings
from storage.tables import AuditRow
from tests.factories import add_crew, intake
from tests.integration import callback_kind


def desk_of(container: bootstrap.Container) -> CallDesk:
    return CallDesk(container.services, DelayCalls.from_services(container.services))


@pytest.fixture
def callback() -> Iterator[None]:
    with kinds.registered(callback_kind.KIND):
        yield


@pytest.fixture
def desk(container: bootstrap.Container) -> CallDesk:
    return desk_of(container)


@pytest.fixture
def nina(
    container: bootstrap.Container, settings: Settings, clock: ManualClock
) -> Iterator[bootstrap.Container]:
    """A second operator's session on the same database."""
    container.services.ensure_staff("nina", "王娜", Role.OPERATOR)
    second = bootstrap.build(replace(settings, user="nina"), clock=clock)
    yield second
    second.close()


def _case_id(services: Services) -> int:
    case = services.take_call(intake())
    assert case.id is not None
    return case.id


def test_a_late_arrival_is_a_delay_call_on_the_desk(
    container: bootstrap.Container, clock: ManualClock, desk: CallDesk
) -> None:
    services = container.services
    crew = add_crew(services, code="救援3组")
    case = services.dispatch(_case_id(services), crew.id)
    clock.advance(timedelta(minutes=31))
    watch.sweep(
        container.uow,
        clock,
        tz=container.settings.tz,
        at_risk=timedelta(minutes=10),
        policies=watch.policy_lookup(None),
    )
    [item] = desk.open_items()
    prompt = desk.delays.open_prompts()[0]
    assert (item.kind, item.ref, item.about) == ("delay", prompt.alert_id, case.number)
    assert item.message == prompt.message and item.phone == "138 1234 5678"
    desk.claim("delay", item.ref, item.version)
    assert desk.open_items()[0].claimed_by == "tester"
    with pytest.raises(ValidationError) as bad:
        desk.record("delay", item.ref, outcome=Outcome.REACHED, fields={"new_eta": "明年"})
    assert bad.value.field == "new_eta"
    with pytest.raises(ValidationError, match="12"):
        desk.record("delay", item.ref, outcome=Outcome.REACHED, fields={"new_eta": "明天 22:00"})
    result = desk.record(
        "delay",
        item.ref,
        outcome=Outcome.REACHED,
        fields={"reason": DelayReason.TRAFFIC_JAM.value, "new_eta": "23:20"},
    )
    assert result.extended  # type: ignore[union-attr]
    assert services.case(case.id).owner_notified_at == clock.now()
    assert desk.open_items() == []
    assert prompt.kind == AlertKind.ARRIVAL_AT_RISK


def test_a_kind_of_the_tests_is_scheduled_claimed_retried_and_finished(
    container: bootstrap.Container,
    nina: bootstrap.Container,
    clock: ManualClock,
    desk: CallDesk,
    callback: None,
) -> None:
    case_id = _case_id(container.services)
    due = clock.now() + timedelta(hours=1)
    task = desk.schedule("t_callback", due_at=due, case_id=case_id, note="约好晚上回电")
    assert task.id is not None and task.state is TaskState.OPEN
    assert desk.open_items() == []  # not due yet
    clock.advance(timedelta(hours=1))
    [item] = desk.open_items()
    assert (item.kind, item.ref, item.plate, item.attempts) == (
        "t_callback",
        task.id,
        "粤B12345",
        0,
    )
    assert "约好晚上回电" in item.message

    # One operator at a time: the second is told who has it and since when.
    theirs = desk_of(nina)
    desk.claim("t_callback", item.ref, item.version)
    with pytest.raises(ConcurrencyConflict) as held:
        theirs.claim("t_callback", item.ref, item.version)
    assert held.value.changed_by == "tester" and "23:30" in str(held.value)
    with pytest.raises(ConcurrencyConflict):
        theirs.record("t_callback", item.ref, outcome=Outcome.REACHED, fields={"agreed": "x"})

    # No answer: back on the desk after 10 minutes, then after an hour.
    desk.record("t_callback", item.ref, outcome=Outcome.NOT_REACHED, note="无人接听")
    assert desk.open_items() == []
    clock.advance(timedelta(minutes=10))
    [again] = desk.open_items()
    assert again.attempts == 1 and again.claimed_by is None
    theirs.claim("t_callback", again.ref)
    theirs.record("t_callback", again.ref, outcome=Outcome.BUSY)
    clock.advance(timedelta(minutes=59))
    assert desk.open_items() == []
    clock.advance(timedelta(minutes=1))
    [third] = desk.open_items()

    # Reached: the kind checks its result, each wrong field named; nothing is half-saved.
    with pytest.raises(ValidationErrors) as wrong:
        desk.record("t_callback", third.ref, outcome=Outcome.REACHED, fields={"score": "9"})
    assert set(wrong.value.by_field) == {"agreed", "score"}
    assert desk.task(third.ref).attempts == 2
    done = desk.record(
        "t_callback",
        third.ref,
        outcome=Outcome.REACHED,
        fields={"agreed": "周五上午到店检查", "score": "5"},
    )
    assert done.state is TaskState.DONE  # type: ignore[union-attr]
    assert done.result == {"agreed": "周五上午到店检查", "score": 5}  # type: ignore[union-attr]
    assert [(a.actor, a.outcome) for a in desk.attempts(third.ref)] == [
        ("tester", Outcome.NOT_REACHED),
        ("nina", Outcome.BUSY),
        ("tester", Outcome.REACHED),
    ]
    with pytest.raises(ConcurrencyConflict, match="tester"):
        theirs.claim("t_callback", third.ref)

    # The timeline and the audit log know every step.
    kinds_seen = [e.kind for e in container.services.timeline(case_id)]
    assert kinds_seen.count("call_attempt") == 3 and "call_scheduled" in kinds_seen
    with container.engine.connect() as conn:
        actions = conn.scalars(
            select(AuditRow.action).where(AuditRow.entity == "call_task").order_by(AuditRow.id)
        ).all()
    assert actions == [
        "schedule_call",
        "claim_call",
        "record_call",
        "claim_call",
        "record_call",
        "record_call",
    ]


def test_a_wrong_number_gives_up_and_too_many_tries_too(
    container: bootstrap.Container, clock: ManualClock, desk: CallDesk, callback: None
) -> None:
    case_id = _case_id(container.services)
    first = desk.schedule("t_callback", due_at=clock.now(), case_id=case_id)
    assert first.id is not None
    gone = desk.record("t_callback", first.id, outcome=Outcome.WRONG_NUMBER)
    assert gone.state is TaskState.GIVEN_UP  # type: ignore[union-attr]
    second = desk.schedule("t_callback", due_at=clock.now(), case_id=case_id)
    assert second.id is not None
    for _ in range(3):
        clock.advance(timedelta(hours=2))
        last = desk.record("t_callback", second.id, outcome=Outcome.NOT_REACHED)
    assert last.state is TaskState.GIVEN_UP and last.attempts == 3  # type: ignore[union-attr]
    assert desk.open_items() == []
    with pytest.raises(ConcurrencyConflict, match="already handled"):
        desk.record("t_callback", second.id, outcome=Outcome.REACHED, fields={"agreed": "x"})


def test_only_a_supervisor_frees_a_call_another_operator_holds(
    container: bootstrap.Container,
    nina: bootstrap.Container,
    settings: Settings,
    clock: ManualClock,
    desk: CallDesk,
    callback: None,
) -> None:
    task = desk.schedule("t_callback", due_at=clock.now(), case_id=_case_id(container.services))
    assert task.id is not None
    desk.claim("t_callback", task.id)
    theirs = desk_of(nina)
    with pytest.raises(ConcurrencyConflict):
        theirs.release("t_callback", task.id)
    with pytest.raises(PermissionDenied):
        theirs.release("t_callback", task.id, force=True)
    container.services.ensure_staff("zhou", "周主管", Role.SUPERVISOR)
    boss = bootstrap.build(replace(settings, user="zhou"), clock=clock)
    try:
        freed = desk_of(boss).release("t_callback", task.id, force=True)
        assert freed.claimed_by is None
    finally:
        boss.close()


def test_what_the_desk_refuses(
    container: bootstrap.Container, clock: ManualClock, desk: CallDesk, callback: None
) -> None:
    case_id = _case_id(container.services)
    with pytest.raises(ValidationErrors):
        desk.schedule("no_such_kind", due_at=clock.now(), case_id=case_id)
    with pytest.raises(InvalidTransition):
        desk.schedule("delay", due_at=clock.now(), case_id=case_id)
    with pytest.raises(ValidationError) as nobody:
        desk.schedule("t_callback", due_at=clock.now())
    assert nobody.value.field == "case"
    with pytest.raises(ValidationError) as control:
        desk.schedule("t_callback", due_at=clock.now(), case_id=case_id, note="\x1b]0;x\x07")
    assert control.value.field == "note"
    task = desk.schedule("t_callback", due_at=clock.now(), case_id=case_id)
    assert task.id is not None
    with pytest.raises(ValidationError) as outcome:
        desk.record("t_callback", task.id, outcome=Outcome.REFUSED)
    assert outcome.value.field == "outcome"
    cancelled = desk.cancel("t_callback", task.id, "客户已到店")
    assert cancelled.state is TaskState.CANCELLED
    assert desk.open_items() == []
