"""What an archive entry holds, what it must hold, and the forms that edit it (as typed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from callcenter.archive.maintenance import Due
from callcenter.domain import Case, Customer, CustomerCategory, Vehicle, VehicleType
from callcenter.i18n import N_, _
from callcenter.records.model import SurveyRecord

#: Seed 000: "业务部应于二日内将客户有关情况整理制表并建立档案" — an entry still missing a
#: required detail this long after the first contact is listed for completion.
COMPLETE_WITHIN = timedelta(days=2)

#: The required details (seed 000's 客户档案基本资料) and how each is named on the screen.
REQUIRED = {
    "address": N_("address"),
    "wanted_service": N_("service wanted"),
    "vehicle": N_("a vehicle"),
    "model": N_("vehicle model"),
    "usage": N_("purchase date or running hours"),
}


def missing_details(customer: Customer) -> list[str]:
    """The keys of :data:`REQUIRED` that ``customer``'s entry lacks."""
    missing = []
    if not customer.address.strip():
        missing.append("address")
    if not customer.wanted_service.strip():
        missing.append("wanted_service")
    if not customer.vehicles:
        missing.append("vehicle")
    if any(not v.model.strip() for v in customer.vehicles):
        missing.append("model")
    if any(
        v.purchase_date is None and v.running_hours is None and v.mileage_km is None
        for v in customer.vehicles
    ):
        missing.append("usage")
    return missing


def describe_missing(keys: list[str]) -> str:
    return _(", ").join(_(REQUIRED[k]) for k in keys)


@dataclass
class CustomerEdit:
    """The archive entry's form as typed (validated by ``Services.save_customer``)."""

    name: str = ""
    phone: str = ""
    other_phones: str = ""
    address: str = ""
    category: CustomerCategory = CustomerCategory.GENERAL
    wanted_service: str = ""
    notes: str = ""

    @classmethod
    def of(cls, customer: Customer, phone: str, others: str) -> CustomerEdit:
        return cls(
            customer.name,
            phone,
            others,
            customer.address,
            customer.category,
            customer.wanted_service,
            customer.notes,
        )


@dataclass
class VehicleEdit:
    """A vehicle's form as typed."""

    plate: str = ""
    model: str = ""
    vehicle_type: VehicleType = VehicleType.CAR
    purchase_date: str = ""
    running_hours: str = ""
    mileage_km: str = ""
    maintained_hours: str = ""

    @classmethod
    def of(cls, vehicle: Vehicle) -> VehicleEdit:
        def text(value: object) -> str:
            return "" if value is None else str(value)

        return cls(
            vehicle.plate,
            vehicle.model,
            vehicle.vehicle_type,
            text(vehicle.purchase_date),
            text(vehicle.running_hours),
            text(vehicle.mileage_km),
            text(vehicle.maintained_hours),
        )


@dataclass
class ArchiveRow:
    """One line of the archive's list."""

    customer: Customer
    missing: list[str]
    due: Due | None  # the soonest next maintenance of its vehicles

    @property
    def overdue_for_completion(self) -> bool:
        return bool(self.missing)


@dataclass
class CustomerFile:
    """Everything the archive screen shows of one customer."""

    customer: Customer
    cases: list[Case]
    surveys: list[SurveyRecord]
    dues: dict[int, Due] = field(default_factory=dict)  # by vehicle id
    missing: list[str] = field(default_factory=list)
    #: The first contact was more than two days ago and details are still missing.
    late: bool = False
    cycle_title: str = ""
    cycle_points: str = ""
    today: date | None = None
