"""The rescue ledger's row of a case (救援登记台帐), built from what the centre knows (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from callcenter.domain import Case, CaseEvent, Crew
from callcenter.records.model import (
    LedgerEntry,
    RecordState,
    ReportBack,
    ServiceRecord,
    SurveyRecord,
)

#: Timeline events that carry the reason a crew was late.
DELAY_EVENTS = ("delay_call", "deadline_extended")


def on_time(arrived: datetime | None, promise: datetime | None) -> bool | None:
    """Arrived at or before ``promise``; None when either is missing."""
    if arrived is None or promise is None:
        return None
    return arrived <= promise


def delay_reason(events: Sequence[CaseEvent]) -> str:
    """The last delay reason given for the case ("" when none)."""
    for event in reversed(events):
        if event.kind in DELAY_EVENTS and event.details.get("reason"):
            return str(event.details["reason"])
    return ""


def ledger_entry(
    case: Case,
    *,
    crew: Crew | None,
    record: ServiceRecord | None,
    report: ReportBack | None,
    survey: SurveyRecord | None,
    events: Sequence[CaseEvent],
    previous: LedgerEntry | None = None,
    now: datetime,
) -> LedgerEntry:
    """The ledger row of ``case``; what a later update does not know (the report-back) is
    kept from ``previous``."""
    assert case.id is not None
    keep = previous
    state = record.state if record is not None else RecordState.NONE
    return LedgerEntry(
        case_id=case.id,
        number=case.number,
        received_at=case.received_at,
        caller_name=case.caller_name,
        phone=case.phone,
        plate=case.plate,
        vehicle_model=case.vehicle_model,
        address=case.address,
        distance_km=case.distance_km,
        fault_category=case.fault_category.value,
        fault_description=case.fault_description,
        plan=case.plan.value,
        priority=case.priority.value,
        crew_code=crew.code if crew is not None else (keep.crew_code if keep else ""),
        crew_members=record.crew_members if record is not None else "",
        dispatched_at=case.dispatched_at,
        en_route_at=case.en_route_at,
        arrived_at=case.arrived_at,
        completed_at=case.completed_at,
        reported_back_at=case.reported_back_at,
        back_at=report.back_at if report else (keep.back_at if keep else None),
        feedback_at=case.feedback_at,
        closed_at=case.closed_at,
        promised_arrival_at=case.promised_arrival_at,
        original_promised_at=case.original_promised_at,
        on_time=on_time(case.arrived_at, case.promised_arrival_at),
        on_time_original=on_time(
            case.arrived_at, case.original_promised_at or case.promised_arrival_at
        ),
        delay_reason=delay_reason(events),
        fee_quote=case.fee_quote,
        fee_total=record.total if record is not None else Decimal("0"),
        km_driven=report.km_driven if report else (keep.km_driven if keep else Decimal("0")),
        expenses=report.expenses if report else (keep.expenses if keep else Decimal("0")),
        equipment_returned=report.equipment_returned
        if report
        else (keep.equipment_returned if keep else False),
        crew_notes=report.crew_notes if report else (keep.crew_notes if keep else ""),
        follow_up=report.follow_up if report else (keep.follow_up if keep else ""),
        record_state=state.value,
        accepted=state is RecordState.ACCEPTED,
        feedback_result=survey.result.value if survey is not None else "",
        satisfied=survey.satisfied if survey is not None else None,
        operator=case.created_by,
        updated_at=now,
    )
