"""Small builders shared by tests."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from callcenter.domain import Crew, CrewStatus
from callcenter.records.model import LedgerEntry
from callcenter.records.parse import AcceptanceInput, RecordInput, ReportBackInput
from callcenter.services import Intake, Services


def intake(**overrides: object) -> Intake:
    values: dict[str, object] = {
        "caller_name": "张伟",
        "phone": "138 1234 5678",
        "plate": "粤B12345",
        "vehicle_model": "丰田卡罗拉",
        "address": "深圳市福田区深南大道6008号",
        "distance_km": "8",
        "fault_description": "车辆无法启动",
        "fee_quote": "150",
        "fee_agreed": True,
        # Tests take many calls for one plate: each says why (only used when one is open).
        "duplicate_reason": "测试：同一车牌再次来电",
    }
    values.update(overrides)
    return Intake(**values)  # type: ignore[arg-type]


def add_crew(services: Services, code: str = "救援1组", **overrides: object) -> Crew:
    crew = Crew(
        code=code,
        name="李强",
        phone="+8613900001111",
        vehicle_plate="粤B7T001",
        vehicle_kind="拖车",
        status=CrewStatus.AVAILABLE,
        lat=22.55,
        lon=114.06,
    )
    for key, value in overrides.items():
        setattr(crew, key, value)
    with services.uow() as uow:
        uow.crews.add(crew)
        uow.commit()
    return crew


def record_input(services: Services, **overrides: object) -> RecordInput:
    """A complete service record the owner accepted, typed as an operator would, at the
    services' clock (the work from its minute to its minute)."""
    now = services.local(services.clock.now(), "%Y-%m-%d %H:%M")
    acceptance = AcceptanceInput("yes", "张伟", "signed", now)
    values: dict[str, object] = {
        "crew_members": "李强、王磊",
        "work_started": now,
        "work_finished": now,
        "cause": "蓄电池亏电，夜间车灯未关",
        "solution": "搭电启动，检查发电机充电正常",
        "no_parts": True,
        "parts": "",
        "fee_labour": "150",
        "fee_parts": "0",
        "fee_towing": "0",
        "towing_km": "0",
        "fee_other": "0",
        "warranty": "out",
        "acceptance": acceptance,
    }
    values.update(overrides)
    return RecordInput(**values)  # type: ignore[arg-type]


def report_input(services: Services, **overrides: object) -> ReportBackInput:
    values: dict[str, object] = {
        "back_at": services.local(services.clock.now(), "%Y-%m-%d %H:%M"),
        "km_driven": "16",
        "expenses": "10",
        "equipment_returned": True,
    }
    values.update(overrides)
    return ReportBackInput(**values)  # type: ignore[arg-type]


def finish_job(services: Services, case_id: int, **record: object) -> None:
    """Record the service (completes the case) and the crew's report-back."""
    services.save_record(case_id, record_input(services, **record))
    services.save_report_back(case_id, report_input(services))


def feedback_reached(services: Services, case_id: int, satisfied: bool = True) -> None:
    """The feedback call reached the owner, who answered the survey."""
    from callcenter.calls.model import Outcome
    from callcenter.services.calls import CallDesk
    from callcenter.services.delays import DelayCalls

    desk = CallDesk(services, DelayCalls.from_services(services))
    task = next(t for t in services.feedback_tasks(case_id) if t.is_open)
    assert task.id is not None
    answer = "5" if satisfied else "1"
    fields = {f"q{i}": "5" for i in range(1, 10)}
    fields["q6"] = "2"  # no open fault
    fields["q9"] = answer
    if not satisfied:
        fields["reason_q9"] = "等太久"
    desk.claim("feedback", task.id)
    desk.record("feedback", task.id, outcome=Outcome.REACHED, fields=fields)


def ledger_entry(**overrides: object) -> LedgerEntry:
    """A whole rescue-ledger entry (every column filled as a real one is), ``overrides`` set."""
    values: dict[str, object] = dict(
        case_id=1,
        number="20261203-0001",
        received_at=datetime(2026, 12, 3, 1, 2, 3, 456, tzinfo=UTC),
        caller_name="张伟",
        phone="+8613812345678",
        plate="粤B12345",
        vehicle_model="",
        address="深圳",
        distance_km=Decimal("8.50"),
        fault_category="electrical",
        fault_description="打不着火",
        plan="towing",
        priority="general",
        crew_code="救援1组",
        crew_members="",
        dispatched_at=None,
        en_route_at=None,
        arrived_at=None,
        completed_at=None,
        reported_back_at=None,
        back_at=None,
        feedback_at=None,
        closed_at=None,
        promised_arrival_at=None,
        original_promised_at=None,
        on_time=False,
        on_time_original=None,
        delay_reason="",
        fee_quote=Decimal("150.00"),
        fee_total=Decimal("235.50"),
        km_driven=Decimal("0"),
        expenses=Decimal("10"),
        equipment_returned=True,
        crew_notes="",
        follow_up="",
        record_state="accepted",
        accepted=True,
        feedback_result="",
        satisfied=None,
        operator="alice",
    )
    values.update(overrides)
    return LedgerEntry(**values)  # type: ignore[arg-type]
