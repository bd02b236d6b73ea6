"""The use-cases against a real database, on every backend."""

from __future__ import annotations

from datetime import timedelta

import pytest

from callcenter.domain import CaseStatus, CrewStatus
from callcenter.errors import (
    ConcurrencyConflict,
    InvalidTransition,
    PermissionDenied,
    ValidationError,
    ValidationErrors,
)
from callcenter.services import Checklist, Services
from tests.factories import (
    add_crew,
    feedback_reached,
    intake,
    record_input,
    report_input,
)

SAFE = Checklist(hazard_lights=True, warning_sign=True, night_lights=True)


def test_take_call_numbers_the_case_and_fixes_the_promise(container) -> None:
    services: Services = container.services
    case = services.take_call(intake(distance_km="10"))
    assert case.id and case.number == "20261122-0001"
    assert case.phone == "+8613812345678" and case.plate == "粤B12345"
    assert case.promised_arrival_at == case.received_at + timedelta(minutes=40)
    assert case.original_promised_at == case.promised_arrival_at
    second = services.take_call(intake(distance_km="10.01", plate="粤B54321"))
    assert second.number == "20261122-0002"
    assert second.promised_arrival_at == second.received_at + timedelta(minutes=60)
    events = services.timeline(case.id)
    assert [e.kind for e in events] == ["received", "fee_agreed"]
    assert events[0].actor == "tester"


def test_take_call_opens_an_archive_and_recognises_the_caller_next_time(container) -> None:
    services: Services = container.services
    first = services.take_call(intake())
    returning = services.recognise(phone="13812345678")
    assert returning is not None
    assert returning.customer.name == "张伟"
    assert returning.vehicle is not None and returning.vehicle.plate == "粤B12345"
    assert [c.number for c in returning.recent] == [first.number]
    by_plate = services.recognise(plate="粤b 12345")
    assert by_plate is not None and by_plate.customer.id == returning.customer.id
    assert services.recognise(phone="13900000000") is None


def test_every_wrong_field_is_reported_at_once(container) -> None:
    with pytest.raises(ValidationErrors) as raised:
        container.services.take_call(
            intake(caller_name=" ", phone="110", plate="XX12345", distance_km="-3")
        )
    fields = raised.value.by_field
    assert {"caller_name", "phone", "plate", "distance_km"} <= set(fields)


def test_over_twenty_km_needs_an_agreed_time(container) -> None:
    with pytest.raises(ValidationErrors) as raised:
        container.services.take_call(intake(distance_km="25"))
    assert "agreed_arrival_at" in raised.value.by_field
    case = container.services.take_call(intake(distance_km="25", agreed_arrival="23:59"))
    assert case.promised_arrival_at == case.agreed_arrival_at


def test_whole_lifecycle_moves_case_and_crew(container) -> None:
    services: Services = container.services
    crew = add_crew(services)
    case = services.take_call(intake())
    case = services.dispatch(case.id, crew.id)
    assert case.status is CaseStatus.DISPATCHED and case.crew_id == crew.id
    assert services.crews()[0].status is CrewStatus.DISPATCHED
    case = services.en_route(case.id)
    container.clock.advance(timedelta(minutes=20))
    case = services.arrive(case.id, SAFE)
    assert case.arrived_at == container.clock.now()
    services.save_record(case.id, record_input(services))
    assert services.case(case.id).status is CaseStatus.COMPLETED
    assert services.crews()[0].status is CrewStatus.RETURNING
    case = services.save_report_back(case.id, report_input(services))
    crew_after = services.crews()[0]
    assert crew_after.status is CrewStatus.AVAILABLE and crew_after.current_case_id is None
    feedback_reached(services, case.id)
    case = services.close_case(case.id)
    assert case.status is CaseStatus.CLOSED
    assert case.id not in {c.id for c in services.open_cases()}
    kinds = [e.kind for e in services.timeline(case.id)]
    assert kinds == [
        "received",
        "fee_agreed",
        "dispatched",
        "en_route",
        "arrived",
        "completed",
        "service_recorded",
        "call_scheduled",
        "reported_back",
        "call_attempt",
        "feedback",
        "closed",
    ]


def test_actions_out_of_order_are_refused(container) -> None:
    services: Services = container.services
    crew = add_crew(services)
    case = services.take_call(intake(fee_agreed=False))
    with pytest.raises(InvalidTransition):
        services.arrive(case.id, SAFE)
    with pytest.raises(InvalidTransition, match="agreement"):
        services.dispatch(case.id, crew.id)
    services.agree_fee(case.id)
    services.dispatch(case.id, crew.id)
    other = services.take_call(intake(plate="粤B99999"))
    with pytest.raises(InvalidTransition, match="not available"):
        services.dispatch(other.id, crew.id)
    with pytest.raises(ValidationError):
        services.arrive(case.id, Checklist(hazard_lights=True))


def test_cancel_needs_a_reason_and_frees_the_crew(container) -> None:
    services: Services = container.services
    crew = add_crew(services)
    case = services.dispatch(services.take_call(intake()).id, crew.id)
    with pytest.raises(ValidationError):
        services.cancel(case.id, "  ")
    services.cancel(case.id, "车主自行修好")
    assert services.crews()[0].status is CrewStatus.AVAILABLE
    with pytest.raises(InvalidTransition):
        services.cancel(case.id, "again")


def test_stale_version_is_refused_with_who_changed_it(container) -> None:
    services: Services = container.services
    case = services.take_call(intake(fee_agreed=False))
    stale = case.version
    services.agree_fee(case.id, version=stale)
    with pytest.raises(ConcurrencyConflict) as raised:
        services.agree_fee(case.id, version=stale)
    assert raised.value.changed_by == "tester"


def test_read_only_services_refuse_every_write(container) -> None:
    from callcenter.services import Services as S

    ro = S(
        container.uow,
        container.clock,
        tz=container.settings.tz,
        policy=container.policy,
        actor="viewer",
        read_only=True,
    )
    with pytest.raises(PermissionDenied):
        ro.take_call(intake())


def test_crew_options_put_in_time_available_crews_first(container) -> None:
    services: Services = container.services
    near = add_crew(services, "救援1组", lat=22.541, lon=114.06)
    far = add_crew(services, "救援2组", lat=22.80, lon=114.40, vehicle_plate="粤B7T002")
    busy = add_crew(
        services,
        "救援3组",
        lat=22.541,
        lon=114.06,
        vehicle_plate="粤B7T003",
        status=CrewStatus.EN_ROUTE,
    )
    case = services.take_call(intake(coordinates="22.55, 114.07", distance_km="3"))
    options = services.crew_options(case)
    assert [o.crew.id for o in options] == [near.id, far.id, busy.id]
    assert options[0].in_time and not options[1].in_time


def test_the_received_time_is_when_the_call_started_not_the_save(container) -> None:
    """The response clock starts when the phone was answered: the form stamps that instant
    and the case keeps it; a nonsense stamp (future, older than a night) gives the save."""
    from datetime import timedelta

    services = container.services
    clock = services.clock
    started = clock.now()
    clock.advance(timedelta(minutes=3, seconds=20))
    case = services.take_call(intake(call_started=started.isoformat()))
    assert case.received_at == started.replace(microsecond=0)
    assert services.timeline(case.id)[0].at == clock.now()  # registered at the save
    later = clock.now() + timedelta(minutes=5)
    assert services.take_call(intake(call_started=later.isoformat())).received_at == clock.now()
    old = clock.now() - timedelta(hours=13)
    assert services.take_call(intake(call_started=old.isoformat())).received_at == clock.now()
    assert services.take_call(intake(call_started="yesterday")).received_at == clock.now()


def test_a_second_open_case_for_a_plate_needs_a_reason(container, clock) -> None:
    """The duplicate call guard: the operator is told of the plate's open case; a second one
    is saved only with the reason, which its timeline keeps."""
    from callcenter.services.intake import DuplicateCall

    services = container.services
    first = services.take_call(intake(duplicate_reason=""))
    with pytest.raises(DuplicateCall) as refused:
        services.take_call(intake(duplicate_reason="", phone="13900001111"))
    assert refused.value.case.id == first.id and refused.value.field == "duplicate_reason"
    assert first.number in refused.value.message and "arrival promised at" in refused.value.message
    assert len(services.open_cases()) == 1
    assert "past the promise" not in refused.value.message
    # Past the promise, the caller is told how late the crew is, not a time gone by.
    promised = services.case(first.id).promised_arrival_at
    assert promised is not None
    clock.set(promised + timedelta(minutes=15, seconds=30))
    with pytest.raises(DuplicateCall) as late:
        services.take_call(intake(duplicate_reason="", phone="13900001111"))
    assert "Already 15 min past the promise." in late.value.message
    second = services.take_call(intake(duplicate_reason="拖车上的第二辆车"))
    received = services.timeline(second.id)[0]
    assert received.details["also_open"] == first.number
    assert received.details["reason"] == "拖车上的第二辆车"
    # Once the first is over, the plate is free again.
    services.cancel(first.id, "误报", services.case(first.id).version)
    services.cancel(second.id, "误报", services.case(second.id).version)
    third = services.take_call(intake(duplicate_reason=""))
    assert "also_open" not in services.timeline(third.id)[0].details
