"""The supervisor's decisions (issue 15, point 6): a crew's duty and position, a promise
extended without force majeure, a reassignment — each through the one write path (permission,
version check, event, audit row, change feed); on SQLite and on PostgreSQL.

Every session is its own container on one database, as separate processes share it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest

from callcenter import bootstrap
from callcenter.clock import ManualClock
from callcenter.domain import CrewStatus, Role
from callcenter.errors import (
    ConcurrencyConflict,
    InvalidTransition,
    PermissionDenied,
    ValidationError,
    ValidationErrors,
)
from callcenter.ports import AuditEntry
from callcenter.services import Checklist, Services
from callcenter.services.staff import StaffDirectory
from callcenter.settings import Settings
from tests.factories import add_crew, intake

Session = Callable[..., bootstrap.Container]
SAFE = Checklist(hazard_lights=True, warning_sign=True, night_lights=True)


@pytest.fixture
def session(migrated_url: str, clock: ManualClock) -> Iterator[Session]:
    made: list[bootstrap.Container] = []

    def factory(user: str) -> bootstrap.Container:
        settings = Settings(database_url=migrated_url, language="en", user=user)
        container = bootstrap.build(settings, clock=clock)
        made.append(container)
        return container

    yield factory
    for container in made:
        container.close()


@pytest.fixture
def centre(session: Session) -> dict[str, Services]:
    """An administrator, an operator (王芳), two supervisors (陈军, 李娜)."""
    admin = session("boss")
    staff = StaffDirectory(admin.services)
    staff.add("wangfang", "王芳", Role.OPERATOR)
    staff.add("chenjun", "陈军", Role.SUPERVISOR)
    staff.add("lina", "李娜", Role.SUPERVISOR)
    return {
        "admin": admin.services,
        "operator": session("wangfang").services,
        "supervisor": session("chenjun").services,
        "second": session("lina").services,
    }


def audit(services: Services, action: str) -> list[AuditEntry]:
    """The audit rows of ``action``, oldest first."""
    with services.uow(write=False) as uow:
        rows = uow.audit.recent(limit=1000)
    return [row for row in reversed(rows) if row.action == action]


@pytest.fixture
def feed(session: Session) -> Iterator[Callable[[str, int], bool]]:
    """``feed(entity, id)``: whether another session's change feed reported it."""
    watcher = session("boss")
    opened = watcher.change_feed()
    seen: set[tuple[str, int]] = set()

    def reported(entity: str, ident: int) -> bool:
        deadline = time.monotonic() + 5
        while (entity, ident) not in seen and time.monotonic() < deadline:
            seen.update((c.entity, c.entity_id) for c in opened.wait(0.2))
        return (entity, ident) in seen

    yield reported
    opened.close()


# -- a crew's duty ------------------------------------------------------------------------------


def test_a_supervisor_takes_a_crew_off_duty_and_back_with_a_reason(
    centre: dict[str, Services], feed: Callable[[str, int], bool]
) -> None:
    supervisor = centre["supervisor"]
    crew = add_crew(supervisor)
    off = supervisor.set_crew_duty(crew.id, CrewStatus.OFF_DUTY, "夜班结束", version=crew.version)
    assert (off.status, off.status_reason, off.updated_by) == (
        CrewStatus.OFF_DUTY,
        "夜班结束",
        "chenjun",
    )
    assert off.version == crew.version + 1
    [row] = audit(supervisor, action="set_crew_duty")
    assert (row.actor, row.entity, row.entity_id, row.allowed) == ("chenjun", "crew", crew.id, True)
    assert row.details["status"] == "off_duty" and row.details["reason"] == "夜班结束"
    assert row.details["previous"] == "available"
    assert feed("crew", crew.id)
    # An off-duty crew is not offered for a case.
    case = supervisor.take_call(intake())
    assert [o.crew.id for o in supervisor.crew_options(case)] == []
    back = supervisor.set_crew_duty(crew.id, CrewStatus.AVAILABLE, version=off.version)
    assert back.status is CrewStatus.AVAILABLE and back.status_reason == ""
    assert [o.crew.id for o in supervisor.crew_options(case)] == [crew.id]


def test_out_of_service_needs_a_reason_and_a_crew_without_a_case(
    centre: dict[str, Services],
) -> None:
    supervisor = centre["supervisor"]
    crew = add_crew(supervisor)
    with pytest.raises(ValidationError) as empty:
        supervisor.set_crew_duty(crew.id, CrewStatus.OUT_OF_SERVICE, "  ", version=crew.version)
    assert empty.value.field == "reason"
    case = supervisor.take_call(intake())
    supervisor.dispatch(case.id, crew.id)
    with pytest.raises(InvalidTransition, match=r"is on case .*another crew first"):
        supervisor.set_crew_duty(crew.id, CrewStatus.OUT_OF_SERVICE, "拖车故障", version=None)
    with pytest.raises(InvalidTransition, match="on duty already"):
        supervisor.set_crew_duty(crew.id, CrewStatus.AVAILABLE, version=None)
    assert supervisor.crew(crew.id).status is CrewStatus.DISPATCHED


def test_an_operator_is_refused_a_crews_duty_with_the_reason_and_an_audit_row(
    centre: dict[str, Services],
) -> None:
    operator = centre["operator"]
    crew = add_crew(operator)
    with pytest.raises(PermissionDenied) as refused:
        operator.set_crew_duty(crew.id, CrewStatus.OFF_DUTY, "下班", version=crew.version)
    assert str(refused.value) == (
        "王芳 (Operator) may not take a crew off duty or out of service, or put it back on "
        "duty: that takes the role Supervisor."
    )
    assert operator.crew(crew.id).status is CrewStatus.AVAILABLE
    [row] = audit(operator, action="set_crew_duty")
    assert (row.actor, row.allowed, row.entity, row.entity_id) == (
        "wangfang",
        False,
        "crew",
        crew.id,
    )
    assert not operator.may("set_crew_duty") and centre["supervisor"].may("set_crew_duty")


def test_two_supervisors_the_second_is_refused_naming_the_first(
    centre: dict[str, Services], clock: ManualClock
) -> None:
    first, second = centre["supervisor"], centre["second"]
    crew = add_crew(first)
    seen = second.crew(crew.id)
    first.set_crew_duty(crew.id, CrewStatus.OUT_OF_SERVICE, "拖车故障", version=crew.version)
    with pytest.raises(ConcurrencyConflict) as conflict:
        second.set_crew_duty(crew.id, CrewStatus.OFF_DUTY, "下班", version=seen.version)
    message = str(conflict.value)
    assert "陈军" in message and "Out of service" in message
    assert conflict.value.changed_by == "陈军"
    assert first.crew(crew.id).status is CrewStatus.OUT_OF_SERVICE


# -- a crew's position --------------------------------------------------------------------------


def test_a_crews_position_coordinates_or_the_depot(centre: dict[str, Services]) -> None:
    operator = centre["operator"]  # radioed in: everyday work
    crew = add_crew(operator)
    moved = operator.set_crew_position(crew.id, "22.6，114.1", version=crew.version)
    assert (moved.lat, moved.lon) == (22.6, 114.1) and moved.position_at is not None
    home = operator.set_crew_position(crew.id, "基地", version=moved.version)
    assert (home.lat, home.lon) == operator.depot
    [*_, row] = audit(operator, action="update_crew")
    assert row.details["crew"] == crew.code
    for text, problem in (
        ("", "Enter the position"),
        ("深南大道", "latitude, longitude"),
        ("95, 114", "out of range"),
    ):
        with pytest.raises(ValidationError, match=problem) as bad:
            operator.set_crew_position(crew.id, text, version=home.version)
        assert bad.value.field == "position"
    with pytest.raises(ConcurrencyConflict, match="王芳"):
        operator.set_crew_position(crew.id, "22.5, 114", version=crew.version)


# -- the promise without force majeure ----------------------------------------------------------


def test_a_supervisor_extends_a_promise_the_original_kept(
    centre: dict[str, Services], feed: Callable[[str, int], bool]
) -> None:
    supervisor = centre["supervisor"]
    case = supervisor.take_call(intake(distance_km="8"))  # promised in 40 min
    original = case.promised_arrival_at
    new_local = (original + timedelta(minutes=30)).astimezone(supervisor.tz).strftime("%H:%M")
    extended = supervisor.extend_promise(
        case.id, new_local, "救援车辆调配困难，已征得车主同意", version=case.version
    )
    assert extended.promised_arrival_at == original + timedelta(minutes=30)
    assert extended.original_promised_at == original
    event = supervisor.timeline(case.id)[-1]
    assert (event.kind, event.actor) == ("promise_extended", "chenjun")
    assert event.details["reason"] == "救援车辆调配困难，已征得车主同意"
    assert event.details["original"] == original.isoformat()
    [row] = audit(supervisor, action="extend_without_force_majeure")
    assert (row.entity, row.entity_id, row.allowed) == ("case", case.id, True)
    assert feed("case", case.id)
    # Once more: the first promise stays the original.
    later = (original + timedelta(minutes=45)).astimezone(supervisor.tz).strftime("%H:%M")
    again = supervisor.extend_promise(case.id, later, "再延", version=extended.version)
    assert again.original_promised_at == original


def test_extending_a_promise_refuses_bad_input_operators_and_stale_versions(
    centre: dict[str, Services],
) -> None:
    operator, supervisor, second = centre["operator"], centre["supervisor"], centre["second"]
    case = operator.take_call(intake())
    promise = case.promised_arrival_at
    later = (promise + timedelta(minutes=20)).astimezone(supervisor.tz).strftime("%H:%M")
    with pytest.raises(PermissionDenied, match="extend a deadline without a force-majeure"):
        operator.extend_promise(case.id, later, "车主同意", version=case.version)
    [row] = audit(operator, action="extend_without_force_majeure")
    assert (row.actor, row.allowed) == ("wangfang", False)
    with pytest.raises(ValidationErrors) as both:
        supervisor.extend_promise(case.id, "soon", "", version=case.version)
    assert {e.field for e in both.value.errors} == {"promise", "reason"}
    earlier = (promise - timedelta(minutes=5)).astimezone(supervisor.tz).strftime("%H:%M")
    with pytest.raises(ValidationError, match="later than the promise in force") as early:
        supervisor.extend_promise(case.id, earlier, "车主同意", version=case.version)
    assert early.value.field == "promise"
    supervisor.extend_promise(case.id, later, "车主同意", version=case.version)
    with pytest.raises(ConcurrencyConflict, match="陈军"):
        second.extend_promise(case.id, later, "车主同意", version=case.version)


def test_an_arrived_crews_promise_is_not_extended(centre: dict[str, Services]) -> None:
    supervisor = centre["supervisor"]
    crew = add_crew(supervisor)
    case = supervisor.take_call(intake())
    supervisor.dispatch(case.id, crew.id)
    arrived = supervisor.arrive(case.id, SAFE)
    later = (case.promised_arrival_at + timedelta(minutes=20)).astimezone(supervisor.tz)
    with pytest.raises(InvalidTransition, match="not yet on scene"):
        supervisor.extend_promise(
            case.id, later.strftime("%H:%M"), "车主同意", version=arrived.version
        )


# -- reassigning, stamped on the crews ----------------------------------------------------------


def test_a_reassignment_stamps_both_crews_and_the_timeline(centre: dict[str, Services]) -> None:
    operator, supervisor = centre["operator"], centre["supervisor"]
    first = add_crew(operator)
    second = add_crew(operator, "救援2组", vehicle_plate="粤B7T002")
    case = operator.dispatch(operator.take_call(intake()).id, first.id)
    moved = supervisor.reassign(case.id, second.id, case_version=case.version, reason="拖车故障")
    assert moved.crew_id == second.id
    crews = {c.id: c for c in supervisor.crews()}
    assert crews[first.id].updated_by == crews[second.id].updated_by == "chenjun"
    event = supervisor.timeline(case.id)[-1]
    assert (event.kind, event.details["reason"]) == ("reassigned", "拖车故障")
    # The first crew, free again, goes out of service.
    out = supervisor.set_crew_duty(
        first.id, CrewStatus.OUT_OF_SERVICE, "拖车故障", version=crews[first.id].version
    )
    assert out.status is CrewStatus.OUT_OF_SERVICE
