"""Use-cases. Each opens one unit of work, checks the rules, writes, records an event.

Services take plain values, return plain domain objects, and raise the errors of
``callcenter.errors`` with translated messages. The clock is injected.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from callcenter import permissions, sla, validation
from callcenter.clock import Clock
from callcenter.dispatching import CrewOption, rank_crews
from callcenter.domain import (
    Assignment,
    Case,
    CaseEvent,
    CaseStatus,
    Crew,
    CrewStatus,
    Customer,
    FaultCategory,
    Priority,
    RescuePlan,
    Role,
    Staff,
    Vehicle,
    VehicleType,
)
from callcenter.errors import (
    ConcurrencyConflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
    ValidationErrors,
)
from callcenter.i18n import _
from callcenter.permissions import Action
from callcenter.ports import AuditEntry, UnitOfWork, UnitOfWorkFactory

T = TypeVar("T")
log = logging.getLogger(__name__)


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


@dataclass
class Returning:
    """A caller the archive knows, found by phone or plate while the form is typed."""

    customer: Customer
    vehicle: Vehicle | None
    recent: list[Case] = field(default_factory=list)


@dataclass(frozen=True)
class Checklist:
    """The on-scene safety checklist (seed 000)."""

    hazard_lights: bool = False
    warning_sign: bool = False  # 50–100 m behind the vehicle
    night_lights: bool = False  # position and rear lights, at night

    def missing(self, night: bool) -> list[str]:
        items = []
        if not self.hazard_lights:
            items.append(_("hazard lights"))
        if not self.warning_sign:
            items.append(_("warning sign 50–100 m behind"))
        if night and not self.night_lights:
            items.append(_("position and rear lights"))
        return items


def is_night(instant: datetime, tz: ZoneInfo) -> bool:
    hour = instant.astimezone(tz).hour
    return hour >= 19 or hour < 6


class Services:
    """The use-cases of one session, bound to its database, clock and settings."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        *,
        tz: ZoneInfo,
        policy: sla.Policy,
        actor: str,
        speed_kmh: float = 40.0,
        depot: tuple[float, float] = (22.5431, 114.0579),
        read_only: bool = False,
        staff: Staff | None = None,
        audit_details: dict[str, Any] | None = None,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.tz = tz
        self.policy = policy
        self.actor = actor
        self.speed_kmh = speed_kmh
        self.depot = depot
        self.read_only = read_only
        # The member of staff this session acts for (bootstrap identifies them). None is a
        # trusted internal caller (the sweep, the demo generator): no role is checked.
        self.staff = staff
        # Added to every audit row of this session (e.g. the real OS login).
        self.audit_details = dict(audit_details or {})
        self._local = threading.local()  # the write in progress on this thread
        self._names: dict[str, str] = {}

    # -- who may do what -------------------------------------------------------------
    @property
    def role(self) -> Role | None:
        return self.staff.role if self.staff is not None else None

    def may(self, action: str) -> bool:
        """Whether this session may take ``action`` now (for hiding keys; not the check)."""
        if self.read_only:
            return False
        if self.staff is None:
            return True
        return self.staff.active and permissions.is_allowed(self.staff.role, action)

    def require(
        self, action: str, *, entity: str = "", entity_id: int | None = None, **details: Any
    ) -> None:
        """Refuse ``action`` unless this session's role allows it.

        A refusal raises :class:`PermissionDenied` with the translated reason, goes to the
        application log, and to the audit log (``allowed=False``) once the write transaction
        it happened in has been rolled back. Call it inside a write (``_write``'s ``work``)
        or before one, e.g. ``services.require(Action.EXTEND_WITHOUT_FORCE_MAJEURE)``.
        """
        if self.read_only:
            self._refuse(
                action, _("This board is read-only."), "read_only", entity, entity_id, details
            )
        if self.staff is None:
            return
        if not self.staff.active:
            self._refuse(
                action,
                _("{user} is no longer active staff: ask an administrator.").format(
                    user=self.staff.username
                ),
                "inactive",
                entity,
                entity_id,
                details,
            )
        if not permissions.is_allowed(self.staff.role, action):
            self._refuse(
                action,
                permissions.refusal(self.staff.display_name, self.staff.role, action),
                "role",
                entity,
                entity_id,
                details,
            )

    def _refuse(
        self,
        action: str,
        reason: str,
        code: str,
        entity: str,
        entity_id: int | None,
        details: dict[str, Any],
    ) -> None:
        log.warning("refused %s to %s (%s): %s", action, self.actor, code, reason)
        exc = PermissionDenied(reason)
        entry = AuditEntry(
            at=self.clock.now(),
            actor=self.actor,
            action=str(action),
            entity=entity,
            entity_id=entity_id,
            allowed=False,
            details=_jsonable(
                {
                    **self.audit_details,
                    **details,
                    "refused": code,
                    "role": self.role.value if self.role else None,
                }
            ),
        )
        if self.read_only:
            raise exc  # nothing can be written: the application log has it
        if getattr(self._local, "depth", 0):
            exc.audit_entry = entry  # type: ignore[attr-defined]  # _write records it
            raise exc
        self._record_refusal(entry)
        raise exc

    def _record_refusal(self, entry: AuditEntry) -> None:
        """Write a refusal to the audit log in its own transaction."""
        try:
            with self.uow(write=True) as uow:
                uow.audit.append(entry)
                uow.commit()
        except Exception:  # the refusal itself must still reach the user
            log.exception("could not write the refusal of %s to the audit log", entry.action)

    def _refresh_staff(self, uow: UnitOfWork) -> None:
        """Re-read this session's role in the write transaction: changes apply at once."""
        if self.staff is None:
            return
        current = uow.staff.get(self.actor)
        if current is None:
            current = Staff(
                self.staff.username,
                self.staff.display_name,
                self.staff.role,
                active=False,
                id=self.staff.id,
            )
        self.staff = current
        self._names[current.username] = current.display_name

    def _note(self, action: str | None = None, **details: Any) -> None:
        """Inside a write: name the action taken (when the state decided it) and add details
        to its audit row."""
        if action is not None:
            self._local.action = str(action)
        self._local.details.update(details)

    def _who(self, uow: UnitOfWork, username: str | None) -> str:
        """A member of staff's display name (their username when they have none)."""
        if not username:
            return "?"
        if username not in self._names:
            staff = uow.staff.get(username)
            self._names[username] = (
                staff.display_name if staff and staff.display_name else (username)
            )
        return self._names[username]

    def display_name(self, username: str) -> str:
        """The display name of ``username`` for messages ("changed by 王芳 at 22:31")."""
        if username in self._names:
            return self._names[username]
        return self._read(lambda uow: self._who(uow, username))

    # -- helpers ---------------------------------------------------------------------
    def _write(
        self,
        work: Callable[[UnitOfWork], T],
        *,
        action: str | None = None,
        entity: str = "",
        entity_id: int | None = None,
    ) -> T:
        """Run ``work`` in one write transaction, after the permission check, and add the
        audit row of the change to the same transaction."""
        action = str(action or _action_name(work))
        if self.read_only:
            self.require(action, entity=entity, entity_id=entity_id)
        outer = not getattr(self._local, "depth", 0)
        if outer:
            self._local.depth = 0
            self._local.action = action
            self._local.details = {}
        self._local.depth += 1
        try:
            with self.uow(write=True) as uow:
                self._refresh_staff(uow)
                self.require(action, entity=entity, entity_id=entity_id)
                result = work(uow)
                if outer:
                    kind, ident = _entity_of(result)
                    uow.audit.append(
                        AuditEntry(
                            at=self.clock.now(),
                            actor=self.actor,
                            action=self._local.action,
                            entity=entity or kind,
                            entity_id=entity_id if entity_id is not None else ident,
                            allowed=True,
                            details=_jsonable({**self.audit_details, **self._local.details}),
                        )
                    )
                uow.commit()
                return result
        except PermissionDenied as exc:
            entry = getattr(exc, "audit_entry", None)
            if outer and entry is not None:
                del exc.audit_entry  # type: ignore[attr-defined]
                self._record_refusal(entry)
            raise
        finally:
            self._local.depth -= 1

    def read(self, work: Callable[[UnitOfWork], T]) -> T:
        """A read use-case defined outside this class, in one read transaction."""
        return self._read(work)

    def note(self, action: str | None = None, **details: Any) -> None:
        """Inside :meth:`write`: see :meth:`_note`."""
        self._note(action, **details)

    def audit_refusal(self, entry: AuditEntry) -> None:
        """Record a refusal decided outside the services (e.g. a session not opened)."""
        self._record_refusal(entry)

    def write(
        self,
        work: Callable[[UnitOfWork], T],
        *,
        action: str,
        entity: str = "",
        entity_id: int | None = None,
    ) -> T:
        """A write use-case defined outside this class (e.g. ``callcenter.staff``): checked,
        audited and committed like every other."""
        return self._write(work, action=action, entity=entity, entity_id=entity_id)

    def _read(self, work: Callable[[UnitOfWork], T]) -> T:
        with self.uow(write=False) as uow:
            return work(uow)

    def _event(self, uow: UnitOfWork, case: Case, kind: str, **details: Any) -> None:
        assert case.id is not None
        uow.events.append(
            CaseEvent(case.id, self.clock.now(), self.actor, kind, _jsonable(details))
        )

    def _case(self, uow: UnitOfWork, case_id: int, version: int | None) -> Case:
        case = uow.cases.get(case_id)
        if case is None:
            raise NotFound(_("Case {id} not found.").format(id=case_id))
        if version is not None and case.version != version:
            who = self._who(uow, case.updated_by)
            raise ConcurrencyConflict(
                _("Case {number} was changed by {who} at {when}.").format(
                    number=case.number,
                    who=who,
                    when=self.local(case.updated_at) if case.updated_at else "?",
                ),
                changed_by=who,
                changed_at=case.updated_at,
            )
        return case

    def _touch(self, case: Case) -> None:
        case.updated_at = self.clock.now()
        case.updated_by = self.actor

    def local(self, instant: datetime, fmt: str = "%H:%M") -> str:
        return instant.astimezone(self.tz).strftime(fmt)

    # -- intake ----------------------------------------------------------------------
    def promise_for(
        self, distance_text: str, agreed_text: str = "", priority: Priority = Priority.GENERAL
    ) -> datetime | None:
        """The arrival that would be promised if the call were saved now (live on the form)."""
        now = self.clock.now()
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
        coords = attempt(lambda: _parse_coordinates(intake.coordinates))
        distance = attempt(lambda: validation.parse_distance(intake.distance_km))
        fault = attempt(
            lambda: validation.require_text("fault_description", intake.fault_description, 2000)
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
        if len(intake.notes) > 2000:
            errors.append(ValidationError("notes", _("At most 2000 characters.")))
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
        )

    def take_call(self, intake: Intake) -> Case:
        """Register a call: validate, number it, link the archive, record the event."""
        now = self.clock.now()
        checked = self.check_intake(intake, now)

        def work(uow: UnitOfWork) -> Case:
            customer, vehicle = self._archive(uow, intake, checked, now)
            case = Case(
                received_at=now,
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
                vehicle_model=intake.vehicle_model.strip(),
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
                notes=intake.notes.strip(),
                customer_id=customer.id,
                vehicle_id=vehicle.id if vehicle else None,
                created_by=self.actor,
                updated_at=now,
                updated_by=self.actor,
            )
            case.number = uow.cases.next_number(now.astimezone(self.tz).strftime("%Y%m%d"))
            uow.cases.add(case)
            self._event(uow, case, "received", promised=case.promised_arrival_at)
            if case.fee_agreed:
                self._event(uow, case, "fee_agreed", fee=case.fee_quote)
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
                    model=intake.vehicle_model.strip(),
                    vehicle_type=intake.vehicle_type,
                    customer_id=customer.id,
                )
            )
        return customer, vehicle

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
            if norm_plate:
                found = uow.customers.find_by_plate(norm_plate)
                if found:
                    customer = customer or found[0]
                    vehicle = found[1]
            if customer is None:
                return None
            if vehicle is None and customer.vehicles:
                vehicle = customer.vehicles[0]
            recent = uow.cases.recent_for(phone=customer.phone, plate=norm_plate, limit=5)
            return Returning(customer, vehicle, recent)

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

    # -- dispatch and lifecycle ------------------------------------------------------
    def crew_options(self, case: Case) -> list[CrewOption]:
        crews = self._read(lambda uow: uow.crews.list())
        return rank_crews(case, crews, self.clock.now(), speed_kmh=self.speed_kmh, depot=self.depot)

    def dispatch(
        self,
        case_id: int,
        crew_id: int,
        *,
        case_version: int | None = None,
        crew_version: int | None = None,
    ) -> Case:
        def work(uow: UnitOfWork) -> Case:
            case = self._case(uow, case_id, case_version)
            if case.status is not CaseStatus.RECEIVED:
                raise InvalidTransition(
                    _("Case {number} is {status}; only a received case can be dispatched.").format(
                        number=case.number, status=case.status.label
                    )
                    + self._dispatched_by(uow, case)
                )
            if not case.fee_agreed:
                raise InvalidTransition(
                    _("Record the owner's agreement to the fee before dispatching.")
                )
            crew = self._crew(uow, crew_id, crew_version)
            if crew.status is not CrewStatus.AVAILABLE or crew.current_case_id is not None:
                raise InvalidTransition(
                    _("Crew {code} is {status}, not available.").format(
                        code=crew.code, status=crew.status.label
                    )
                    + self._taken_by(uow, crew)
                )
            now = self.clock.now()
            case.status = CaseStatus.DISPATCHED
            case.dispatched_at = now
            case.crew_id = crew.id
            self._touch(case)
            crew.status = CrewStatus.DISPATCHED
            crew.current_case_id = case.id
            uow.cases.save(case)
            uow.crews.save(crew)
            assert case.id is not None and crew.id is not None
            uow.assignments.add(Assignment(case.id, crew.id, now, self.actor))
            self._event(uow, case, "dispatched", crew=crew.code, crew_id=crew.id)
            self._note(crew=crew.code, crew_id=crew.id)
            return case

        return self._write(work, action=Action.DISPATCH)

    def reassign(
        self,
        case_id: int,
        crew_id: int,
        *,
        case_version: int,
        crew_version: int | None = None,
        reason: str = "",
    ) -> Case:
        """Give a dispatched case another crew (supervisor): the old crew is released.

        The version of the case the supervisor saw is required: a reassignment never
        overwrites a change made meanwhile. The first promise to the owner stands.
        """

        def work(uow: UnitOfWork) -> Case:
            case = self._case(uow, case_id, case_version)
            self.require(Action.REASSIGN_CREW, entity="case", entity_id=case_id)
            if case.status not in (CaseStatus.DISPATCHED, CaseStatus.EN_ROUTE) or (
                case.crew_id is None
            ):
                raise InvalidTransition(
                    _(
                        "Case {number} is {status}: only a case a crew is on its way to can be "
                        "given another crew."
                    ).format(number=case.number, status=case.status.label)
                )
            if case.crew_id == crew_id:
                raise InvalidTransition(_("That crew is already on this case."))
            # Lock both crews in id order: two reassignments never wait on each other.
            crews: dict[int, Crew] = {}
            for cid in sorted((case.crew_id, crew_id)):
                crews[cid] = self._crew(uow, cid, crew_version if cid == crew_id else None)
            old, new = crews[case.crew_id], crews[crew_id]
            if new.status is not CrewStatus.AVAILABLE or new.current_case_id is not None:
                raise InvalidTransition(
                    _("Crew {code} is {status}, not available.").format(
                        code=new.code, status=new.status.label
                    )
                    + self._taken_by(uow, new)
                )
            now = self.clock.now()
            assert case.id is not None and new.id is not None
            if old.current_case_id == case.id:
                old.status = CrewStatus.AVAILABLE
                old.current_case_id = None
                uow.crews.save(old)
            uow.assignments.release(case.id, now)
            case.status = CaseStatus.DISPATCHED
            case.en_route_at = None
            case.crew_id = new.id
            self._touch(case)
            uow.cases.save(case)
            new.status = CrewStatus.DISPATCHED
            new.current_case_id = case.id
            uow.crews.save(new)
            uow.assignments.add(Assignment(case.id, new.id, now, self.actor))
            self._event(
                uow,
                case,
                "reassigned",
                crew=new.code,
                crew_id=new.id,
                previous=old.code,
                previous_id=old.id,
                reason=reason.strip(),
            )
            self._note(crew=new.code, previous=old.code)
            return case

        return self._write(work, action=Action.REASSIGN_CREW, entity="case", entity_id=case_id)

    def _crew(self, uow: UnitOfWork, crew_id: int, version: int | None) -> Crew:
        crew = uow.crews.get(crew_id)
        if crew is None:
            raise NotFound(_("Crew {id} not found.").format(id=crew_id))
        if version is not None and crew.version != version:
            # changed_by stays empty: it marks a conflict on the case itself (screens).
            raise ConcurrencyConflict(
                _("Crew {code} was changed by someone else.").format(code=crew.code)
                + self._taken_by(uow, crew)
            )
        return crew

    def _assignment_text(self, uow: UnitOfWork, case_id: int) -> tuple[str, str, str] | None:
        """(case number, who, when) of the crew assignment now on ``case_id``."""
        assignment = uow.assignments.current_for_case(case_id)
        if assignment is None:
            return None
        found = uow.cases.list_by_ids([case_id])  # unlocked: never wait on another case
        number = found[0].number if found else str(case_id)
        return number, self._who(uow, assignment.assigned_by), self.local(assignment.assigned_at)

    def _taken_by(self, uow: UnitOfWork, crew: Crew) -> str:
        """ " Dispatched to case N by WHO at HH:MM." for a crew on a case, else ""."""
        if crew.current_case_id is None:
            return ""
        found = self._assignment_text(uow, crew.current_case_id)
        if found is None:
            return ""
        number, who, when = found
        return " " + _("Dispatched to case {number} by {who} at {when}.").format(
            number=number, who=who, when=when
        )

    def _dispatched_by(self, uow: UnitOfWork, case: Case) -> str:
        """ " Crew C was dispatched by WHO at HH:MM." for a case with a crew, else ""."""
        if case.crew_id is None or case.id is None:
            return ""
        assignment = uow.assignments.current_for_case(case.id)
        if assignment is None:
            return ""
        crew = uow.crews.get(case.crew_id)
        return " " + _("Crew {crew} was dispatched by {who} at {when}.").format(
            crew=crew.code if crew else case.crew_id,
            who=self._who(uow, assignment.assigned_by),
            when=self.local(assignment.assigned_at),
        )

    def _advance(
        self,
        case_id: int,
        version: int | None,
        allowed: tuple[CaseStatus, ...],
        target: CaseStatus,
        stamp: str,
        crew_status: CrewStatus | None,
        event: str,
        release: bool = False,
        *,
        action: str,
        **details: Any,
    ) -> Case:
        def work(uow: UnitOfWork) -> Case:
            case = self._case(uow, case_id, version)
            if case.status not in allowed:
                raise InvalidTransition(
                    _("Case {number} is {status}: cannot mark it {target}.").format(
                        number=case.number, status=case.status.label, target=target.label
                    )
                )
            now = self.clock.now()
            case.status = target
            setattr(case, stamp, now)
            self._touch(case)
            uow.cases.save(case)
            if case.crew_id is not None and crew_status is not None:
                crew = self._crew(uow, case.crew_id, None)
                crew.status = crew_status
                if release:
                    crew.current_case_id = None
                uow.crews.save(crew)
                if release:
                    assert case.id is not None
                    uow.assignments.release(case.id, now)
            self._event(uow, case, event, **details)
            return case

        return self._write(work, action=action)

    def en_route(self, case_id: int, version: int | None = None) -> Case:
        return self._advance(
            case_id,
            version,
            (CaseStatus.DISPATCHED,),
            CaseStatus.EN_ROUTE,
            "en_route_at",
            CrewStatus.EN_ROUTE,
            "en_route",
            action=Action.EN_ROUTE,
        )

    def arrive(self, case_id: int, checklist: Checklist, version: int | None = None) -> Case:
        missing = checklist.missing(is_night(self.clock.now(), self.tz))
        if missing:
            raise ValidationError(
                "checklist",
                _("Safety checklist incomplete: {items}.").format(items=", ".join(missing)),
            )
        return self._advance(
            case_id,
            version,
            (CaseStatus.DISPATCHED, CaseStatus.EN_ROUTE),
            CaseStatus.ON_SCENE,
            "arrived_at",
            CrewStatus.ON_SCENE,
            "arrived",
            action=Action.ARRIVE,
            checklist={k: getattr(checklist, k) for k in checklist.__dataclass_fields__},
        )

    def complete(self, case_id: int, version: int | None = None) -> Case:
        return self._advance(
            case_id,
            version,
            (CaseStatus.ON_SCENE,),
            CaseStatus.COMPLETED,
            "completed_at",
            CrewStatus.RETURNING,
            "completed",
            action=Action.COMPLETE,
        )

    def report_back(self, case_id: int, version: int | None = None) -> Case:
        return self._advance(
            case_id,
            version,
            (CaseStatus.COMPLETED,),
            CaseStatus.REPORTED_BACK,
            "reported_back_at",
            CrewStatus.AVAILABLE,
            "reported_back",
            release=True,
            action=Action.REPORT_BACK,
        )

    def close(self, case_id: int, version: int | None = None) -> Case:
        return self._advance(
            case_id,
            version,
            (CaseStatus.REPORTED_BACK,),
            CaseStatus.CLOSED,
            "closed_at",
            None,
            "closed",
            action=Action.CLOSE,
        )

    def cancel(self, case_id: int, reason: str, version: int | None = None) -> Case:
        reason = reason.strip()
        if not reason:
            raise ValidationError("cancel_reason", _("Give the reason for cancelling."))

        def work(uow: UnitOfWork) -> Case:
            case = self._case(uow, case_id, version)
            if not case.is_open:
                raise InvalidTransition(
                    _("Case {number} is already {status}.").format(
                        number=case.number, status=case.status.label
                    )
                )
            if case.status is not CaseStatus.RECEIVED or case.crew_id is not None:
                # A crew is on it: only a supervisor calls it off.
                self.require(
                    Action.CANCEL_DISPATCHED,
                    entity="case",
                    entity_id=case_id,
                    status=case.status.value,
                )
                self._note(action=Action.CANCEL_DISPATCHED)
            now = self.clock.now()
            case.status = CaseStatus.CANCELLED
            case.cancelled_at = now
            case.cancel_reason = reason
            self._touch(case)
            uow.cases.save(case)
            if case.crew_id is not None:
                crew = self._crew(uow, case.crew_id, None)
                if crew.current_case_id == case.id:
                    crew.status = CrewStatus.AVAILABLE
                    crew.current_case_id = None
                    uow.crews.save(crew)
                assert case.id is not None
                uow.assignments.release(case.id, now)
            self._event(uow, case, "cancelled", reason=reason)
            self._note(reason=reason)
            return case

        return self._write(work, action=Action.CANCEL)

    # -- reading ---------------------------------------------------------------------
    def open_cases(self) -> list[Case]:
        return self._read(lambda uow: uow.cases.list_open())

    def cases_for_notice(self, now: datetime, at_risk: timedelta) -> list[Case]:
        """The open cases whose owner may need (or had) a delay call: crew not on scene and
        the promise within ``at_risk`` of ``now`` or past, extended, or told of a delay."""
        return self._read(lambda uow: uow.cases.list_open_for_notice(now + at_risk))

    def cases_by_ids(self, ids: list[int]) -> list[Case]:
        return self._read(lambda uow: uow.cases.list_by_ids(ids))

    def case(self, case_id: int) -> Case:
        return self._read(lambda uow: self._case(uow, case_id, None))

    def timeline(self, case_id: int) -> list[CaseEvent]:
        return self._read(lambda uow: uow.events.for_case(case_id))

    def crews(self) -> list[Crew]:
        return self._read(lambda uow: uow.crews.list())

    def arrivals_today(self) -> tuple[int, int]:
        """(arrivals, of which on time) of the crews that arrived today, in the centre's zone.

        On time: on scene no later than the promise in force (a force-majeure extension
        counts, as agreed with the owner).
        """
        local = self.clock.now().astimezone(self.tz)
        start = datetime.combine(local.date(), datetime.min.time(), self.tz)
        end = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), self.tz)
        return self._read(lambda uow: uow.cases.arrivals_between(start, end))

    def current_assignment(self, case_id: int) -> Assignment | None:
        """Who dispatched the crew now on ``case_id``, and when (None if no crew is on it)."""
        return self._read(lambda uow: uow.assignments.current_for_case(case_id))

    def search(self, text: str) -> list[Case]:
        return self._read(lambda uow: uow.cases.search(text))

    def ensure_staff(self, username: str, display_name: str, role: Role) -> Staff:
        def work(uow: UnitOfWork) -> Staff:
            existing = uow.staff.get(username)
            if existing:
                return existing
            return uow.staff.add(Staff(username, display_name, role))

        return self._write(work, action=Action.MANAGE_STAFF)


def _parse_coordinates(text: str) -> tuple[float, float] | None:
    text = text.strip().replace("，", ",")
    if not text:
        return None
    try:
        lat_s, lon_s = (p.strip() for p in text.split(","))
        lat, lon = float(lat_s), float(lon_s)
    except ValueError:
        raise ValidationError(
            "coordinates", _("Coordinates are 'latitude, longitude', e.g. 22.54, 114.06.")
        ) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValidationError("coordinates", _("Coordinates out of range."))
    return lat, lon


def _action_name(work: Callable[..., object]) -> str:
    """The use-case a ``work`` closure belongs to: ``Services.notify_delay.<locals>.work`` →
    ``notify_delay`` (the audit log's action when none is given)."""
    qualname = getattr(work, "__qualname__", "") or "write"
    return qualname.split(".<locals>", 1)[0].rsplit(".", 1)[-1]


def _entity_of(result: object) -> tuple[str, int | None]:
    """The audit log's (entity, id) of what a write returned."""
    kinds: tuple[tuple[type, str], ...] = (
        (Case, "case"),
        (Crew, "crew"),
        (Customer, "customer"),
        (Staff, "staff"),
    )
    for cls, name in kinds:
        if isinstance(result, cls):
            return name, getattr(result, "id", None)
    if result is not None and type(result).__name__ == "Alert":
        return "alert", getattr(result, "id", None)
    return "", None


def _jsonable(details: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in details.items():
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, timedelta):
            value = value.total_seconds()
        out[key] = value
    return out
