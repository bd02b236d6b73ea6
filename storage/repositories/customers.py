"""Customers and their vehicles: :class:`callcenter.ports.CustomerRepository`."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callcenter.domain import Customer, Vehicle
from storage.convert import to_domain, to_row
from storage.repositories._common import Touch
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
        return self._load(row) if row else None

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
