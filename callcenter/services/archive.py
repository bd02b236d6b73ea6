"""The customer archive (客户档案): find, read, edit (checked, audited), and the entries
still incomplete two days after the first contact (seed 000: "二日内建立档案")."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import TypeVar

from callcenter import validation
from callcenter.archive import maintenance
from callcenter.archive.model import (
    COMPLETE_WITHIN,
    ArchiveRow,
    CustomerEdit,
    CustomerFile,
    VehicleEdit,
    missing_details,
)
from callcenter.calls import maintenance as maintenance_kind
from callcenter.calls.model import CallTask
from callcenter.domain import Case, Customer, Vehicle
from callcenter.errors import (
    ConcurrencyConflict,
    NotFound,
    ValidationError,
    ValidationErrors,
)
from callcenter.i18n import _
from callcenter.permissions import Action
from callcenter.ports import UnitOfWork
from callcenter.records.model import SurveyRecord
from callcenter.search import search_terms
from callcenter.services.base import ServiceBase

T = TypeVar("T")
_DATE_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_MAX_READING = 1_000_000


class ArchiveUseCases(ServiceBase):
    """The customer archive."""

    _cycle: maintenance.Cycle | None = None

    @property
    def maintenance_cycle(self) -> maintenance.Cycle:
        if self._cycle is None:
            self._cycle = maintenance.site_cycle()
        return self._cycle

    def today(self) -> date:
        return self.clock.now().astimezone(self.tz).date()

    # -- reads ---------------------------------------------------------------------------
    def find_customers(self, text: str, limit: int = 50) -> list[ArchiveRow]:
        """Entries matching ``text`` as typed (phone, plate, name, address), newest first;
        every entry (the newest) when ``text`` is empty."""
        terms = search_terms(text)
        customers = self._read(lambda uow: uow.customers.find(terms, limit))
        return [self._row(c) for c in customers]

    def incomplete_customers(self, limit: int = 200) -> list[ArchiveRow]:
        """Entries first seen more than two days ago that still miss a required detail,
        the oldest first."""
        before = self.clock.now() - COMPLETE_WITHIN
        customers = self._read(lambda uow: uow.customers.incomplete(before, limit))
        return [self._row(c) for c in customers]

    def customer_file(self, customer_id: int) -> CustomerFile:
        def work(uow: UnitOfWork) -> CustomerFile:
            customer = uow.customers.get(customer_id)
            if customer is None:
                raise NotFound(_("Archive entry {id} not found.").format(id=customer_id))
            cases = uow.cases.for_customer(customer_id)
            surveys = [s for case in cases if case.id for s in uow.surveys.for_case(case.id)]
            return self._file(customer, cases, surveys)

        return self._read(work)

    def _row(self, customer: Customer) -> ArchiveRow:
        dues = [d for d in self._dues(customer).values()]
        return ArchiveRow(
            customer, missing_details(customer), min(dues, key=lambda d: d.on) if dues else None
        )

    def _dues(self, customer: Customer) -> dict[int, maintenance.Due]:
        today = self.today()
        dues = {}
        for vehicle in customer.vehicles:
            due = maintenance.next_due(
                self.maintenance_cycle,
                purchase_date=vehicle.purchase_date,
                running_hours=vehicle.running_hours,
                reading_on=vehicle.reading_on,
                maintained_hours=vehicle.maintained_hours,
                today=today,
            )
            if due is not None and vehicle.id is not None:
                dues[vehicle.id] = due
        return dues

    def _file(
        self, customer: Customer, cases: list[Case], surveys: list[SurveyRecord]
    ) -> CustomerFile:
        missing = missing_details(customer)
        first = customer.created_at
        late = bool(missing) and first is not None and first < self.clock.now() - COMPLETE_WITHIN
        cycle = self.maintenance_cycle
        return CustomerFile(
            customer,
            cases,
            surveys,
            self._dues(customer),
            missing,
            late,
            cycle.label,
            cycle.describe(),
            self.today(),
        )

    # -- the maintenance calls -----------------------------------------------------------
    def maintenance_due(self) -> list[tuple[Customer, Vehicle, maintenance.Due]]:
        """Every vehicle whose next maintenance falls within the cycle's reminder days (or
        is overdue), the soonest first."""
        cycle = self.maintenance_cycle
        until = self.today() + timedelta(days=cycle.remind_days)
        found: list[tuple[Customer, Vehicle, maintenance.Due]] = []
        after = 0
        while True:
            page = self._read(self._in_use_after(after))
            if not page:
                break
            for customer in page:
                dues = self._dues(customer)
                for vehicle in customer.vehicles:
                    due = dues.get(vehicle.id or 0)
                    if due is not None and due.on <= until:
                        found.append((customer, vehicle, due))
            after = page[-1].id or 0
        return sorted(found, key=lambda item: (item[2].on, item[1].plate))

    @staticmethod
    def _in_use_after(after: int) -> Callable[[UnitOfWork], list[Customer]]:
        return lambda uow: uow.customers.with_vehicles_in_use(after, 1000)

    def schedule_maintenance_calls(self) -> int:
        """Owe a ``maintenance`` call for every vehicle due (see :meth:`maintenance_due`),
        once per vehicle and due point whoever sweeps; how many were added. Due on the
        reminder day at 09:00 in the centre's zone (now when that has passed)."""
        due = self.maintenance_due()
        if not due:
            return 0
        cycle = self.maintenance_cycle
        now = self.clock.now()

        def work(uow: UnitOfWork) -> int:
            added = 0
            for customer, vehicle, point in due:
                assert vehicle.id is not None
                remind = point.on - timedelta(days=cycle.remind_days)
                due_at = max(now, datetime.combine(remind, time(9, 0), self.tz))
                task = uow.calls.add_unless_keyed(
                    CallTask(
                        kind=maintenance_kind.NAME,
                        due_at=due_at,
                        created_at=now,
                        created_by=self.actor,
                        customer_id=customer.id,
                        note=" · ".join(
                            p for p in (vehicle.plate, point.point, point.on.isoformat()) if p
                        ),
                        dedupe_key=maintenance_kind.dedupe_key(vehicle.id, point.hours),
                    )
                )
                added += task is not None
            self._note(added=added)
            return added

        return self._write(work, action=Action.SCHEDULE_CALL, entity="call_task")

    # -- writes --------------------------------------------------------------------------
    def save_customer(self, customer_id: int, version: int, edit: CustomerEdit) -> Customer:
        """Edit an entry's own details (not its vehicles); refused if someone changed it."""
        name, phone, others, address, wanted, notes = self._check_customer(edit)

        def work(uow: UnitOfWork) -> Customer:
            customer = self._customer(uow, customer_id, version)
            changed = {}
            new = {
                "name": name,
                "phone": phone.e164,
                "phone_ext": phone.extension,
                "other_phones": others,
                "address": address,
                "category": edit.category,
                "wanted_service": wanted,
                "notes": notes,
            }
            for key, value in new.items():
                if getattr(customer, key) != value:
                    changed[key] = str(getattr(value, "value", value))
                    setattr(customer, key, value)
            customer.updated_at = self.clock.now()
            customer.updated_by = self.actor
            uow.customers.save(customer)
            self._note(changed=sorted(changed))
            return customer

        return self._write(
            work, action=Action.EDIT_CUSTOMER, entity="customer", entity_id=customer_id
        )

    def save_vehicle(
        self, customer_id: int, version: int, vehicle_id: int | None, edit: VehicleEdit
    ) -> Customer:
        """Add (``vehicle_id`` None) or edit a vehicle of an entry; the entry's version
        guards both."""
        checked = self._check_vehicle(edit)

        def work(uow: UnitOfWork) -> Customer:
            customer = self._customer(uow, customer_id, version)
            plate = str(checked["plate"])
            found = uow.customers.find_by_plate(plate) if plate != validation.NO_PLATE else None
            if found is not None and found[1].id != vehicle_id:
                raise ValidationErrors(
                    [
                        ValidationError(
                            "plate",
                            _("{plate} is already in the archive under {name}.").format(
                                plate=plate, name=found[0].name
                            ),
                        )
                    ]
                )
            if vehicle_id is None:
                vehicle = Vehicle(plate=plate, customer_id=customer_id)
            else:
                matches = [v for v in customer.vehicles if v.id == vehicle_id]
                if not matches:
                    raise NotFound(_("This vehicle is no longer in the archive."))
                vehicle = matches[0]
            before = {k: getattr(vehicle, k) for k in checked}
            for key, value in checked.items():
                setattr(vehicle, key, value)
            read = (vehicle.running_hours, vehicle.mileage_km)
            if read != (None, None) and (
                read != (before["running_hours"], before["mileage_km"])
                or vehicle.reading_on is None
            ):
                vehicle.reading_on = self.today()
            if vehicle.maintained_hours != before["maintained_hours"]:
                vehicle.maintained_on = self.today() if vehicle.maintained_hours else None
            if vehicle_id is None:
                uow.customers.add_vehicle(vehicle)
                customer.vehicles.append(vehicle)
                self._note(vehicle="added", plate=plate)
            else:
                uow.customers.save_vehicle(vehicle)
                changed = sorted(k for k in checked if before[k] != getattr(vehicle, k))
                self._note(vehicle="edited", plate=plate, changed=changed)
            customer.updated_at = self.clock.now()
            customer.updated_by = self.actor
            uow.customers.save(customer)
            return customer

        return self._write(
            work, action=Action.EDIT_CUSTOMER, entity="customer", entity_id=customer_id
        )

    def _customer(self, uow: UnitOfWork, customer_id: int, version: int | None) -> Customer:
        customer = uow.customers.get(customer_id)
        if customer is None:
            raise NotFound(_("Archive entry {id} not found.").format(id=customer_id))
        if version is not None and customer.version != version:
            who = self._who(uow, customer.updated_by)
            raise ConcurrencyConflict(
                _("The archive entry of {name} was changed by {who} at {when}.").format(
                    name=customer.name,
                    who=who,
                    when=self.local(customer.updated_at) if customer.updated_at else "?",
                ),
                changed_by=who,
                changed_at=customer.updated_at,
            )
        return customer

    # -- checks --------------------------------------------------------------------------
    def _check_customer(
        self, edit: CustomerEdit
    ) -> tuple[str, validation.Phone, str, str, str, str]:
        errors: list[ValidationError] = []

        def attempt(fn: Callable[[], T]) -> T | None:
            try:
                return fn()
            except ValidationErrors as exc:
                errors.extend(exc.errors)
            except ValidationError as exc:
                errors.append(exc)
            return None

        name = attempt(lambda: validation.check_text("name", edit.name, 100))
        phone = attempt(lambda: validation.parse_phone(edit.phone))
        others = attempt(lambda: _other_phones(edit.other_phones))
        address = attempt(
            lambda: validation.check_text("address", edit.address, 300, required=False)
        )
        wanted = attempt(
            lambda: validation.check_text(
                "wanted_service", edit.wanted_service, 500, required=False, multiline=True
            )
        )
        notes = attempt(
            lambda: validation.check_text("notes", edit.notes, 2000, required=False, multiline=True)
        )
        if errors:
            raise ValidationErrors(errors)
        assert name is not None and phone is not None and others is not None
        assert address is not None and wanted is not None and notes is not None
        return name, phone, others, address, wanted, notes

    def _check_vehicle(self, edit: VehicleEdit) -> dict[str, object]:
        errors: list[ValidationError] = []
        out: dict[str, object] = {}

        def attempt(key: str, fn: Callable[[], object]) -> None:
            try:
                out[key] = fn()
            except ValidationError as exc:
                errors.append(exc)

        attempt("plate", lambda: validation.normalize_plate(edit.plate))
        attempt("model", lambda: validation.check_text("model", edit.model, 100, required=False))
        out["vehicle_type"] = edit.vehicle_type
        attempt("purchase_date", lambda: _date("purchase_date", edit.purchase_date, self.today()))
        for key in ("running_hours", "mileage_km", "maintained_hours"):
            attempt(key, lambda key=key: _reading(key, getattr(edit, key)))  # type: ignore[misc]
        if errors:
            raise ValidationErrors(errors)
        return out


def _other_phones(text: str) -> str:
    """Other numbers typed one per line or separated by commas/semicolons → E.164 list."""
    found: list[str] = []
    for part in re.split(r"[,，;；、\n]+", validation._nfkc(text)):
        if not part.strip():
            continue
        try:
            found.append(validation.parse_phone(part).e164)
        except ValidationError as exc:
            raise ValidationError("other_phones", f"{part.strip()}: {exc.message}") from None
    joined = ",".join(dict.fromkeys(found))
    if len(joined) > 200:
        raise ValidationError("other_phones", _("Too many numbers."))
    return joined


def _date(field: str, text: str, today: date) -> date | None:
    raw = validation._nfkc(text).strip()
    if not raw:
        return None
    match = _DATE_RE.fullmatch(raw)
    try:
        if match is None:
            raise ValueError
        day = date(*(int(g) for g in match.groups()))
    except ValueError:
        raise ValidationError(field, _("A date is YYYY-MM-DD, e.g. 2026-03-15.")) from None
    if day > today:
        raise ValidationError(field, _("This date is in the future."))
    return day


def _reading(field: str, text: str) -> int | None:
    raw = re.sub(r"(?i)\s*(h|小时|km|公里|千米)$", "", validation._nfkc(text).strip())
    raw = raw.replace(",", "")
    if not raw:
        return None
    if not raw.isdigit():
        raise ValidationError(field, _("A whole number, e.g. 650."))
    value = int(raw)
    if value > _MAX_READING:
        raise ValidationError(field, _("At most {max}.").format(max=_MAX_READING))
    return value
