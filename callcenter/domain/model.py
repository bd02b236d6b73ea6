"""Plain dataclasses of the domain. They know nothing of the database or the screen.

Every datetime is timezone-aware UTC. Money is ``Decimal`` yuan. Distances are km.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from callcenter.domain.enums import (
    AlertKind,
    CaseStatus,
    CrewStatus,
    CustomerCategory,
    FaultCategory,
    Priority,
    RescuePlan,
    Role,
    VehicleType,
)


@dataclass
class Staff:
    username: str
    display_name: str
    role: Role = Role.OPERATOR
    active: bool = True
    id: int | None = None


@dataclass
class Vehicle:
    plate: str
    model: str = ""
    vehicle_type: VehicleType = VehicleType.CAR
    customer_id: int | None = None
    id: int | None = None
    # The archive's (客户档案): when it was bought, how far it has run (engine hours for a
    # machine, kilometres for a car) as read on ``reading_on``, and its last maintenance.
    purchase_date: date | None = None
    running_hours: int | None = None
    mileage_km: int | None = None
    reading_on: date | None = None
    #: The running hours of the last maintenance point done (seed 004: 100, 600, ... h).
    maintained_hours: int | None = None
    maintained_on: date | None = None


@dataclass
class Customer:
    name: str
    phone: str  # E.164
    phone_ext: str = ""
    address: str = ""
    category: CustomerCategory = CustomerCategory.GENERAL
    notes: str = ""
    created_at: datetime | None = None
    vehicles: list[Vehicle] = field(default_factory=list)
    version: int = 0
    id: int | None = None
    #: What service the customer wants (客户希望得到的服务).
    wanted_service: str = ""
    #: Other numbers the customer calls from (E.164, comma-separated).
    other_phones: str = ""
    updated_at: datetime | None = None
    updated_by: str = ""


@dataclass
class Crew:
    code: str  # e.g. "救援3组" / "R3"
    name: str  # leader's name
    phone: str
    vehicle_plate: str
    vehicle_kind: str = ""  # tow truck, service van
    status: CrewStatus = CrewStatus.AVAILABLE
    lat: float | None = None
    lon: float | None = None
    position_at: datetime | None = None
    current_case_id: int | None = None
    #: Why the crew is off duty or out of service (the supervisor's reason, "" otherwise).
    status_reason: str = ""
    #: Who last changed the crew and when (the conflict message names them).
    updated_at: datetime | None = None
    updated_by: str = ""
    version: int = 0
    id: int | None = None


@dataclass
class Case:
    """One call for help and everything that happened to it."""

    received_at: datetime
    caller_name: str
    phone: str  # E.164
    plate: str
    address: str
    distance_km: Decimal
    fault_description: str
    policy: str = "roadside"
    number: str = ""
    phone_ext: str = ""
    vehicle_model: str = ""
    vehicle_type: VehicleType = VehicleType.CAR
    lat: float | None = None
    lon: float | None = None
    fault_category: FaultCategory = FaultCategory.OTHER
    priority: Priority = Priority.GENERAL
    plan: RescuePlan = RescuePlan.TOWING
    fee_quote: Decimal = Decimal("0")
    fee_agreed: bool = False
    fee_agreed_at: datetime | None = None
    agreed_arrival_at: datetime | None = None  # agreed with the owner (> 20 km)
    promised_arrival_at: datetime | None = None  # current promise (may be extended)
    original_promised_at: datetime | None = None  # the first promise, kept for reports
    notes: str = ""
    status: CaseStatus = CaseStatus.RECEIVED
    dispatched_at: datetime | None = None
    en_route_at: datetime | None = None
    arrived_at: datetime | None = None
    completed_at: datetime | None = None
    reported_back_at: datetime | None = None
    feedback_at: datetime | None = None
    closed_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str = ""
    owner_notified_at: datetime | None = None  # last delay call that reached the owner
    service_state: str = "none"  # callcenter.records.model.RecordState value
    crew_id: int | None = None
    customer_id: int | None = None
    vehicle_id: int | None = None
    created_by: str = ""
    updated_at: datetime | None = None
    updated_by: str = ""
    version: int = 0
    id: int | None = None

    @property
    def is_open(self) -> bool:
        return self.status.is_open


@dataclass
class Assignment:
    case_id: int
    crew_id: int
    assigned_at: datetime
    assigned_by: str
    released_at: datetime | None = None
    id: int | None = None


@dataclass
class CaseEvent:
    """One line of a case's append-only timeline."""

    case_id: int
    at: datetime
    actor: str
    kind: str
    details: dict[str, Any] = field(default_factory=dict)
    id: int | None = None


@dataclass
class Alert:
    case_id: int
    kind: AlertKind
    deadline: datetime
    raised_at: datetime
    claimed_by: str | None = None
    claimed_at: datetime | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    snooze_until: datetime | None = None
    outcome: str = ""
    version: int = 0
    id: int | None = None


@dataclass(frozen=True)
class Change:
    """One entry of the change feed: something in ``entity`` with ``entity_id`` changed."""

    seq: int
    entity: str
    entity_id: int
