"""Customers and their vehicles: :class:`callcenter.ports.CustomerRepository`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from callcenter.domain import Customer, Vehicle
from callcenter.errors import ConcurrencyConflict
from callcenter.i18n import _
from callcenter.search import SearchTerms
from storage.convert import to_domain, to_row
from storage.repositories._common import Touch, _chunks, _save_versioned, like
from storage.tables import CustomerRow, VehicleRow


class SqlCustomerRepository:
    def __init__(self, session: Session, touch: Touch, lock: bool = False) -> None:
        self.session = session
        self.touch = touch
        self.lock = lock  # a writing unit of work locks what it reads (PostgreSQL)

    def _load(self, row: CustomerRow) -> Customer:
        customer = to_domain(Customer, row)
        vehicles = self.session.scalars(
            select(VehicleRow).where(VehicleRow.customer_id == row.id).order_by(VehicleRow.id)
        )
        customer.vehicles = [to_domain(Vehicle, v) for v in vehicles]
        return customer

    def add(self, customer: Customer) -> Customer:
        row = CustomerRow()
        to_row(customer, row)
        row.version = 1
        self.session.add(row)
        self.session.flush()
        customer.id, customer.version = row.id, row.version
        for vehicle in customer.vehicles:
            vehicle.customer_id = row.id
            self.add_vehicle(vehicle)
        self.touch("customer", row.id)
        return customer

    def get(self, customer_id: int) -> Customer | None:
        row = self.session.get(CustomerRow, customer_id)
        return self._load(row) if row else None

    def find_by_phone(self, phone: str) -> Customer | None:
        row = self.session.scalar(
            select(CustomerRow).where(CustomerRow.phone == phone).order_by(CustomerRow.id)
        )
        if row is None and phone:
            row = self.session.scalar(
                select(CustomerRow)
                .where(CustomerRow.other_phones.like(like(phone), escape="\\"))
                .order_by(CustomerRow.id)
            )
        return self._load(row) if row else None

    def save(self, customer: Customer) -> Customer:
        """Write the entry back (not its vehicles); raises ConcurrencyConflict if stale."""
        return _save_versioned(
            self.session,
            self.touch,
            CustomerRow,
            customer,
            "customer",
            _("This archive entry no longer exists."),
            who=lambda row: (row.updated_by, row.updated_at),
        )

    def save_vehicle(self, vehicle: Vehicle) -> Vehicle:
        row = self.session.get(VehicleRow, vehicle.id)
        if row is None:
            raise ConcurrencyConflict(_("This vehicle is no longer in the archive."))
        to_row(vehicle, row, skip=("id",))
        self.session.flush()
        return vehicle

    def find(self, terms: SearchTerms, limit: int = 50) -> list[Customer]:
        """Customers whose name, phone, plate or address matches ``terms``, newest first."""
        c = CustomerRow
        conditions: list[Any] = []
        if terms.text and not (terms.phone_only or terms.whole_plate):
            conditions += [
                c.name.ilike(like(terms.text), escape="\\"),
                c.address.ilike(like(terms.text), escape="\\"),
            ]
        if terms.phone:
            conditions += [
                c.phone.like(like(terms.phone), escape="\\"),
                c.other_phones.like(like(terms.phone), escape="\\"),
            ]
        if terms.plate:
            plate = (
                VehicleRow.plate == terms.plate
                if terms.whole_plate
                else VehicleRow.plate.like(like(terms.plate), escape="\\")
            )
            conditions.append(c.id.in_(select(VehicleRow.customer_id).where(plate)))
        query = select(c)
        if conditions:
            query = query.where(or_(*conditions))
        rows = list(self.session.scalars(query.order_by(c.id.desc()).limit(limit)))
        return self._load_many(rows)

    def _load_many(self, rows: list[CustomerRow]) -> list[Customer]:
        customers = [to_domain(Customer, r) for r in rows]
        by_id = {c.id: c for c in customers}
        for chunk in _chunks(by_id):  # type: ignore[arg-type]
            for v in self.session.scalars(
                select(VehicleRow).where(VehicleRow.customer_id.in_(chunk)).order_by(VehicleRow.id)
            ):
                by_id[v.customer_id].vehicles.append(to_domain(Vehicle, v))
        return customers

    def incomplete(self, first_seen_before: datetime, limit: int = 200) -> list[Customer]:
        """Entries first seen before ``first_seen_before`` that miss a required detail
        (address, what service the customer wants, a vehicle with its model and its
        purchase date or reading): the oldest first."""
        c, v = CustomerRow, VehicleRow
        gap = or_(
            c.address == "",
            c.wanted_service == "",
            ~exists().where(v.customer_id == c.id),
            exists().where(
                v.customer_id == c.id,
                or_(
                    v.model == "",
                    (v.purchase_date.is_(None))
                    & (v.running_hours.is_(None))
                    & (v.mileage_km.is_(None)),
                ),
            ),
        )
        rows = list(
            self.session.scalars(
                select(c)
                .where(c.created_at < first_seen_before, gap)
                .order_by(c.created_at, c.id)
                .limit(limit)
            )
        )
        return self._load_many(rows)

    def with_vehicles_in_use(self, after_id: int = 0, limit: int = 1000) -> list[Customer]:
        """Customers with a vehicle whose purchase date or running hours are known (the
        maintenance cycle's), by id from ``after_id`` (keyset)."""
        v = VehicleRow
        rows = list(
            self.session.scalars(
                select(CustomerRow)
                .where(
                    CustomerRow.id > after_id,
                    exists().where(
                        v.customer_id == CustomerRow.id,
                        or_(v.purchase_date.is_not(None), v.running_hours.is_not(None)),
                    ),
                )
                .order_by(CustomerRow.id)
                .limit(limit)
            )
        )
        return self._load_many(rows)

    def by_ids(self, ids: Iterable[int]) -> list[Customer]:
        rows: list[CustomerRow] = []
        for chunk in _chunks(ids):
            rows += self.session.scalars(select(CustomerRow).where(CustomerRow.id.in_(chunk)))
        return self._load_many(rows)

    def find_by_plate(self, plate: str) -> tuple[Customer, Vehicle] | None:
        vrow = self.session.scalar(select(VehicleRow).where(VehicleRow.plate == plate))
        if vrow is None:
            return None
        customer = self.get(vrow.customer_id)
        assert customer is not None
        return customer, to_domain(Vehicle, vrow)

    def add_vehicle(self, vehicle: Vehicle) -> Vehicle:
        row = VehicleRow()
        to_row(vehicle, row, skip=("id",))
        self.session.add(row)
        self.session.flush()
        vehicle.id = row.id
        return vehicle

    def count(self) -> int:
        return self.session.scalar(select(func.count()).select_from(CustomerRow)) or 0
