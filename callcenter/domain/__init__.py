"""The domain: plain dataclasses and enums, and the life of a case (``lifecycle``)."""

from callcenter.domain import lifecycle
from callcenter.domain.enums import (
    FORCE_MAJEURE,
    OPEN_STATUSES,
    AlertKind,
    CaseStatus,
    CrewStatus,
    CustomerCategory,
    DelayReason,
    FaultCategory,
    Priority,
    RescuePlan,
    Role,
    VehicleType,
)
from callcenter.domain.model import (
    Alert,
    Assignment,
    Case,
    CaseEvent,
    Change,
    Crew,
    Customer,
    Staff,
    Vehicle,
)

__all__ = [
    "FORCE_MAJEURE",
    "OPEN_STATUSES",
    "Alert",
    "AlertKind",
    "Assignment",
    "Case",
    "CaseEvent",
    "CaseStatus",
    "Change",
    "Crew",
    "CrewStatus",
    "Customer",
    "CustomerCategory",
    "DelayReason",
    "FaultCategory",
    "Priority",
    "RescuePlan",
    "Role",
    "Staff",
    "Vehicle",
    "VehicleType",
    "lifecycle",
]
