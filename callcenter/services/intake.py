"""Intake (来电登记): the form as typed, its checks, the archive link, the fee agreement."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from callcenter import sla, validation
from callcenter.domain import (
    Case,
    Crew,
    Customer,
    FaultCategory,
    Priority,
    RescuePlan,
    Vehicle,
    VehicleType,
)
from callcenter.errors import (
    InvalidTransition,
    ValidationError,
    ValidationErrors,
)
from callcenter.i18n import _
from callcenter.permissions import Action
from callcenter.ports import UnitOfWork
from callcenter.services.base import ServiceBase

T = TypeVar("T")
MAX_VEHICLE_MODEL = 100  # cases.vehicle_model, vehicles.model


@dataclass
class Intake:
    """What the operator typed on the intake form, as text. Validated by :meth:`take_call`."""

    caller_name: str = ""
    phone: str = ""
    plate: str = ""
    no_plate: bool = False
    vehicle_model: str = ""
    vehicle_type: VehicleType = VehicleType.CAR
    address: str = ""
    coordinates: str = ""  # "lat,lon", optional
    distance_km: str = ""
    fault_description: str = ""
    fault_category: FaultCategory = FaultCategory.OTHER
    priority: Priority = Priority.GENERAL
    plan: RescuePlan = RescuePlan.TOWING
    fee_quote: str = ""
    fee_agreed: bool = False
    agreed_arrival: str = ""
    notes: str = ""
    customer_id: int | None = None
    # When the phone was answered (ISO 8601, UTC), stamped by the form as it opens and kept
    # in its draft: the received time (来电时间) and the start of the response clock.
    call_started: str = ""
    #: The plate is in the archive under another customer's phone: add this caller's phone
    #: (and name) to that entry (the operator chose it on the form: Ctrl+K).
    add_to_archive: bool = False
    #: Why a second open case is opened for a plate that has one (a new fault, another
    #: trailer...): required then (seed: one rescue per call), recorded on the timeline.
    duplicate_reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {k: (v.value if hasattr(v, "value") else v) for k, v in self.__dict__.items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Intake:
        intake = cls()
        for key, value in data.items():
            if not hasattr(intake, key):
                continue
            current = getattr(intake, key)
            if hasattr(current, "value") and value is not None:
                value = type(current)(value)
            setattr(intake, key, value)
        return intake


@dataclass(frozen=True)
class CheckedIntake:
    caller_name: str
    phone: str
    phone_ext: str
    plate: str
    address: str
    lat: float | None
    lon: float | None
    distance_km: Decimal
    fault_description: str
    fee_quote: Decimal
    agreed_arrival_at: datetime | None
    promised_arrival_at: datetime | None
    vehicle_model: str = ""
    notes: str = ""


@dataclass
class Returning:
    """A caller the archive knows, found by phone or plate while the form is typed."""

    customer: Customer
    vehicle: Vehicle | None
    recent: list[Case] = field(default_factory=list)
    #: The plate is known under ``customer``, but the phone typed is not theirs (a new
    #: driver, a new number): the form offers to add it to the archive.
    new_contact: bool = False


class DuplicateCall(ValidationError):
    """The plate has an open case: the caller is told where it stands, and a second open
    case needs a reason (``Intake.duplicate_reason``)."""

    def __init__(
        self, case: Case, tz: Any, crew: Crew | None = None, now: datetime | None = None
    ) -> None:
        self.case = case
        self.crew = crew
        super().__init__("duplicate_reason", duplicate_text(case, tz, crew, now))


@dataclass(frozen=True)
class OpenCall:
    """A case still open for the plate or phone typed at intake, with its crew if one was
    sent: what the operator tells a caller who calls again."""

    case: Case
    crew: Crew | None = None
    by_plate: bool = True  # False: only the phone matches


def duplicate_text(
    case: Case, tz: Any, crew: Crew | None = None, now: datetime | None = None
) -> str:
    """What the operator tells a caller whose vehicle already has an open case: its number,
    status, crew and promised arrival (in the centre's zone) — and, at ``now``, how late the
    crew is when that promise has passed."""
    said = _said_of(case, tz, crew)
    promised = case.promised_arrival_at
    if now is not None and case.arrived_at is None and promised is not None and now > promised:
        minutes = int((now - promised).total_seconds() // 60)
        said += " " + _("Already {minutes} min past the promise.").format(minutes=minutes)
    return said


def _said_of(case: Case, tz: Any, crew: Crew | None) -> str:
    promise = "—"
    if case.promised_arrival_at is not None:
        local = case.promised_arrival_at.astimezone(tz)
        same_day = local.date() == case.received_at.astimezone(tz).date()
        promise = local.strftime("%H:%M" if same_day else "%m-%d %H:%M")
    if crew is None:
        return _("Case {number} ({status}): no crew sent yet, arrival promised at {time}.").format(
            number=case.number, status=case.status.label, time=promise
        )
    who = " ".join(p for p in (crew.code, crew.name) if p)
    if case.arrived_at is not None:
        arrived = case.arrived_at.astimezone(tz).strftime("%H:%M")
        return _("Case {number} ({status}): crew {crew} arrived at {time}.").format(
            number=case.number, status=case.status.label, crew=who, time=arrived
        )
    return _("Case {number} ({status}): crew {crew}, arrival promised at {time}.").format(
        number=case.number, status=case.status.label, crew=who, time=promise
    )


class IntakeUseCases(ServiceBase):
    """Taking a call."""

    def promise_for(
        self,
        distance_text: str,
        agreed_text: str = "",
        priority: Priority = Priority.GENERAL,
        call_started: str = "",
    ) -> datetime | None:
        """The arrival that would be promised if the call were saved now (live on the form),
        counted from when the call started."""
        now = self.received_at(call_started)
        distance = validation.parse_distance(distance_text)
        agreed = (
            validation.parse_local_datetime(agreed_text, self.tz, now)
            if agreed_text.strip()
            else None
        )
        return sla.arrival_deadline(
            self.policy,
            received_at=now,
            distance_km=distance,
            agreed_arrival_at=agreed,
            priority=priority,
            tz=self.tz,
        )

    def check_intake(self, intake: Intake, received_at: datetime) -> CheckedIntake:
        """Validate every field at once; raises ValidationErrors listing each wrong field."""
        errors: list[ValidationError] = []

        def attempt(fn: Callable[[], T]) -> T | None:
            try:
                return fn()
            except ValidationErrors as exc:
                errors.extend(exc.errors)
            except ValidationError as exc:
                errors.append(exc)
            return None

        name = attempt(lambda: validation.require_text("caller_name", intake.caller_name, 100))
        phone = attempt(lambda: validation.parse_phone(intake.phone))
        plate = attempt(
            lambda: validation.normalize_plate(
                validation.NO_PLATE if intake.no_plate else intake.plate,
                allow_none=intake.no_plate,
            )
        )
        address = attempt(lambda: validation.require_text("address", intake.address, 300))
        coords = attempt(lambda: validation.parse_coordinates(intake.coordinates))
        distance = attempt(lambda: validation.parse_distance(intake.distance_km))
        fault = attempt(
            lambda: validation.require_text(
                "fault_description", intake.fault_description, 2000, multiline=True
            )
        )
        model = attempt(
            lambda: validation.check_text(
                "vehicle_model", intake.vehicle_model, MAX_VEHICLE_MODEL, required=False
            )
        )
        notes = attempt(
            lambda: validation.check_text(
                "notes", intake.notes, 2000, required=False, multiline=True
            )
        )
        fee = attempt(lambda: validation.parse_fee(intake.fee_quote or "0"))
        agreed = None
        if intake.agreed_arrival.strip():
            agreed = attempt(
                lambda: validation.parse_local_datetime(intake.agreed_arrival, self.tz, received_at)
            )
            if agreed is not None and agreed <= received_at:
                errors.append(
                    ValidationError(
                        "agreed_arrival_at", _("The agreed arrival must be in the future.")
                    )
                )
        promised = None
        if distance is not None:
            promised = attempt(
                lambda: sla.arrival_deadline(
                    self.policy,
                    received_at=received_at,
                    distance_km=distance,
                    agreed_arrival_at=agreed,
                    priority=intake.priority,
                    tz=self.tz,
                )
            )
        if errors:
            raise ValidationErrors(errors)
        assert name is not None and phone is not None and plate is not None
        assert address is not None and distance is not None and fault is not None
        assert fee is not None
        lat, lon = coords if coords else (None, None)
        return CheckedIntake(
            name,
            phone.e164,
            phone.extension,
            plate,
            address,
            lat,
            lon,
            distance,
            fault,
            fee,
            agreed,
            promised,
            model or "",
            notes or "",
        )

    #: How long before its save a call may have started (a restored draft of a long night).
    MAX_CALL_AGE = timedelta(hours=12)

    def received_at(self, call_started: str) -> datetime:
        """The received time of a call whose form opened at ``call_started`` (ISO text): that
        instant when it is sane (not in the future, at most :attr:`MAX_CALL_AGE` old),
        else now."""
        now = self.clock.now()
        try:
            started = datetime.fromisoformat(call_started) if call_started else None
        except ValueError:
            return now
        if started is None or started.tzinfo is None:
            return now
        if started > now or now - started > self.MAX_CALL_AGE:
            return now
        return started.astimezone(UTC).replace(microsecond=0)

    def take_call(self, intake: Intake) -> Case:
        """Register a call: validate, number it, link the archive, record the event. The
        case is received when the call started (the form opened), not when it is saved."""
        received = self.received_at(intake.call_started)
        now = self.clock.now()
        checked = self.check_intake(intake, received)

        reason = validation.check_text(
            "duplicate_reason", intake.duplicate_reason, 300, required=False
        )

        def work(uow: UnitOfWork) -> Case:
            already = (
                self._open_case_of(uow, checked.plate)
                if checked.plate != validation.NO_PLATE
                else None
            )
            if already is not None and not reason:
                crew = uow.crews.get(already.crew_id) if already.crew_id is not None else None
                raise DuplicateCall(already, self.tz, crew, self.clock.now())
            customer, vehicle = self._archive(uow, intake, checked, now)
            case = Case(
                received_at=received,
                caller_name=checked.caller_name,
                phone=checked.phone,
                phone_ext=checked.phone_ext,
                plate=checked.plate,
                address=checked.address,
                lat=checked.lat,
                lon=checked.lon,
                distance_km=checked.distance_km,
                fault_description=checked.fault_description,
                policy=self.policy.name,
                vehicle_model=checked.vehicle_model,
                vehicle_type=intake.vehicle_type,
                fault_category=intake.fault_category,
                priority=intake.priority,
                plan=intake.plan,
                fee_quote=checked.fee_quote,
                fee_agreed=intake.fee_agreed,
                fee_agreed_at=now if intake.fee_agreed else None,
                agreed_arrival_at=checked.agreed_arrival_at,
                promised_arrival_at=checked.promised_arrival_at,
                original_promised_at=checked.promised_arrival_at,
                notes=checked.notes,
                customer_id=customer.id,
                vehicle_id=vehicle.id if vehicle else None,
                created_by=self.actor,
                updated_at=now,
                updated_by=self.actor,
            )
            case.number = uow.cases.next_number(received.astimezone(self.tz).strftime("%Y%m%d"))
            uow.cases.add(case)
            if already is not None:  # a second open case for the plate, and why
                self._event(
                    uow,
                    case,
                    "received",
                    promised=case.promised_arrival_at,
                    also_open=already.number,
                    reason=reason,
                )
            else:
                self._event(uow, case, "received", promised=case.promised_arrival_at)
            if case.fee_agreed:
                self._event(uow, case, "fee_agreed", fee=case.fee_quote)
            self.after_take_call(uow, case)
            return case

        return self._write(work, action=Action.TAKE_CALL)

    def _archive(
        self, uow: UnitOfWork, intake: Intake, checked: CheckedIntake, now: datetime
    ) -> tuple[Customer, Vehicle | None]:
        """Find the caller in the customer archive, or open an archive for them."""
        customer = uow.customers.find_by_phone(checked.phone)
        vehicle: Vehicle | None = None
        found = (
            uow.customers.find_by_plate(checked.plate)
            if checked.plate != validation.NO_PLATE
            else None
        )
        if found is not None:
            owner, vehicle = found
            if intake.add_to_archive and (customer is None or customer.id == owner.id):
                self._add_contact(uow, owner, checked)
            customer = customer or owner
        if customer is None:
            customer = uow.customers.add(
                Customer(
                    name=checked.caller_name,
                    phone=checked.phone,
                    phone_ext=checked.phone_ext,
                    address=checked.address,
                    created_at=now,
                )
            )
        if vehicle is None and checked.plate != validation.NO_PLATE:
            assert customer.id is not None
            vehicle = uow.customers.add_vehicle(
                Vehicle(
                    plate=checked.plate,
                    model=checked.vehicle_model,
                    vehicle_type=intake.vehicle_type,
                    customer_id=customer.id,
                )
            )
        return customer, vehicle

    def _add_contact(self, uow: UnitOfWork, owner: Customer, checked: CheckedIntake) -> None:
        """The caller's phone (and name, when it differs) goes into ``owner``'s entry."""
        phones = [p for p in owner.other_phones.split(",") if p]
        new_phone = checked.phone != owner.phone and checked.phone not in phones
        if not new_phone and checked.caller_name == owner.name:
            return  # nothing new
        if new_phone:
            phones.append(checked.phone)
        owner.other_phones = ",".join(phones)[:200]
        if checked.caller_name != owner.name and checked.caller_name not in owner.notes:
            line = _("Also calls: {name} {phone}").format(
                name=checked.caller_name, phone=validation.format_phone(checked.phone)
            )
            owner.notes = "\n".join(p for p in (owner.notes.strip(), line) if p)[:2000]
        owner.updated_at = self.clock.now()
        owner.updated_by = self.actor
        uow.customers.save(owner)
        self._note(archive_contact=checked.phone, customer=owner.id)

    @staticmethod
    def _open_case_of(uow: UnitOfWork, plate: str) -> Case | None:
        """The open case of ``plate``, if it has one (the newest)."""
        found = [c for c in uow.cases.recent_for(phone=None, plate=plate, limit=5) if c.is_open]
        return found[0] if found else None

    def open_call_for(self, *, phone: str = "", plate: str = "") -> OpenCall | None:
        """The case still open for the plate or the phone typed (quietly validated; the plate
        first), with its crew: the intake form tells the operator while the call is typed."""
        e164 = None
        norm_plate = None
        with contextlib.suppress(ValidationError):
            e164 = validation.parse_phone(phone).e164 if phone.strip() else None
        with contextlib.suppress(ValidationError):
            norm_plate = validation.normalize_plate(plate) if plate.strip() else None
        if norm_plate == validation.NO_PLATE:
            norm_plate = None
        if not e164 and not norm_plate:
            return None

        def work(uow: UnitOfWork) -> OpenCall | None:
            found = [
                c for c in uow.cases.recent_for(phone=e164, plate=norm_plate, limit=10) if c.is_open
            ]
            if not found:
                return None
            by_plate = [c for c in found if norm_plate and c.plate == norm_plate]
            case = (by_plate or found)[0]
            crew = uow.crews.get(case.crew_id) if case.crew_id is not None else None
            return OpenCall(case, crew, by_plate=bool(by_plate))

        return self._read(work)

    def recognise(self, *, phone: str = "", plate: str = "") -> Returning | None:
        """A returning caller by phone or plate (typed text, validated quietly)."""
        e164 = None
        norm_plate = None
        with contextlib.suppress(ValidationError):
            e164 = validation.parse_phone(phone).e164 if phone.strip() else None
        with contextlib.suppress(ValidationError):
            norm_plate = validation.normalize_plate(plate) if plate.strip() else None
        if not e164 and not norm_plate:
            return None

        def work(uow: UnitOfWork) -> Returning | None:
            vehicle = None
            customer = uow.customers.find_by_phone(e164) if e164 else None
            new_contact = False
            if norm_plate:
                found = uow.customers.find_by_plate(norm_plate)
                if found:
                    new_contact = customer is None and e164 is not None
                    customer = customer or found[0]
                    vehicle = found[1]
            if customer is None:
                return None
            if vehicle is None and customer.vehicles:
                vehicle = customer.vehicles[0]
            recent = uow.cases.recent_for(phone=customer.phone, plate=norm_plate, limit=5)
            return Returning(customer, vehicle, recent, new_contact)

        return self._read(work)

    def agree_fee(self, case_id: int, version: int | None = None) -> Case:
        def work(uow: UnitOfWork) -> Case:
            case = self._case(uow, case_id, version)
            if not case.is_open:
                raise InvalidTransition(_("The case is closed."))
            case.fee_agreed = True
            case.fee_agreed_at = self.clock.now()
            self._touch(case)
            uow.cases.save(case)
            self._event(uow, case, "fee_agreed", fee=case.fee_quote)
            return case

        return self._write(work, action=Action.AGREE_FEE)
