"""The customer archive, search as typed and the audit log, on every backend."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from callcenter.archive import CustomerEdit, VehicleEdit
from callcenter.domain import CustomerCategory, Role, VehicleType
from callcenter.errors import ConcurrencyConflict, PermissionDenied, ValidationErrors
from callcenter.services import Services
from tests.factories import intake


@pytest.mark.parametrize(
    "typed",
    [
        "0755-8888 6666",
        "(0755) 88886666",
        "０７５５８８８８６６６６",
        "+86 755 8888 6666",
        "8888 6666",
        "粤b·12345",
        "粤B 12 345",
        "ｂ１２３４５",
        "20261122-0001",
        "２０２６１１２２-０００１",
        "20261122",
        "张伟",
        "科技园",
    ],
)
def test_case_search_finds_what_was_typed(container, typed: str) -> None:
    services: Services = container.services
    case = services.take_call(intake(phone="0755-8888 6666", address="深圳市南山区科技园"))
    services.take_call(intake(phone="13912345678", plate="粤A55555", caller_name="李娜"))
    found = [c.number for c in services.search(typed)]
    assert case.number in found, typed


def test_case_search_keeps_unrelated_cases_out(container) -> None:
    services: Services = container.services
    services.take_call(intake(phone="0755-8888 6666"))
    other = services.take_call(intake(phone="13912345678", plate="粤A55555", caller_name="李娜"))
    assert [c.number for c in services.search("粤a 55555")] == [other.number]
    assert [c.number for c in services.search("139-1234-5678")] == [other.number]
    assert services.search("100%") == []
    assert services.search("  ") == []


# -- the customer archive -----------------------------------------------------------------


def test_a_caller_first_seen_at_intake_has_an_archive_entry_at_once(container) -> None:
    services: Services = container.services
    services.take_call(intake(phone="0755-8888 6666", plate="粤B12345"))
    for typed in ("0755 8888 6666", "+86 755-88886666", "粤b·12345", "张伟", "８８８８６６６６"):
        rows = services.find_customers(typed)
        assert [r.customer.name for r in rows] == ["张伟"], typed
    entry = services.customer_file(rows[0].customer.id)
    assert [v.plate for v in entry.customer.vehicles] == ["粤B12345"]
    assert len(entry.cases) == 1 and entry.cases[0].number == "20261122-0001"
    assert "wanted_service" in entry.missing and not entry.late


def test_archive_edits_are_checked_versioned_and_audited(container) -> None:
    services: Services = container.services
    services.take_call(intake())
    customer = services.find_customers("张伟")[0].customer
    edit = CustomerEdit.of(customer, "138 1234 5678", "0755-8888 6666")
    edit.category = CustomerCategory.GROUP
    edit.wanted_service = "定期保养提醒"
    saved = services.save_customer(customer.id, customer.version, edit)
    assert saved.version == customer.version + 1
    assert saved.other_phones == "+8675588886666" and saved.category is CustomerCategory.GROUP
    # found by the other number too, as intake would recognise it
    assert services.find_customers("0755 88886666")[0].customer.id == customer.id
    assert services.recognise(phone="075588886666").customer.id == customer.id
    with pytest.raises(ConcurrencyConflict, match="tester"):
        services.save_customer(customer.id, customer.version, edit)
    bad = CustomerEdit.of(saved, "12", "")
    bad.name = " "
    with pytest.raises(ValidationErrors) as raised:
        services.save_customer(customer.id, saved.version, bad)
    assert {e.field for e in raised.value.errors} == {"name", "phone"}
    with container.uow(write=False) as uow:
        rows = uow.audit.recent(actor="tester")
    assert rows[0].action == "edit_customer" and rows[0].entity == "customer"
    assert "wanted_service" in rows[0].details["changed"]


def test_vehicles_of_the_archive_and_their_next_maintenance(container, clock) -> None:
    services: Services = container.services
    services.take_call(intake())
    customer = services.find_customers("张伟")[0].customer
    vehicle = customer.vehicles[0]
    edit = VehicleEdit.of(vehicle)
    edit.model = "龙工 LG855"
    edit.vehicle_type = VehicleType.MACHINERY
    edit.purchase_date = "2026年9月1日"
    edit.running_hours = "５５０ h"
    saved = services.save_vehicle(customer.id, customer.version, vehicle.id, edit)
    assert saved.version == customer.version + 1
    entry = services.customer_file(customer.id)
    due = entry.dues[vehicle.id]
    # 550 h in 82 days: 600 h falls in 7 days, before the 3 months' date (2026-12-01)
    assert due.hours == 600 and due.by_hours and due.on.isoformat() == "2026-11-29"
    assert entry.missing == ["wanted_service"]
    other = VehicleEdit(plate="粤b 12345", model="X")
    with pytest.raises(ValidationErrors, match="already in the archive"):
        services.save_vehicle(customer.id, saved.version, None, other)
    wrong = VehicleEdit(plate="粤A00001", purchase_date="2027-01-01", running_hours="abc")
    with pytest.raises(ValidationErrors) as raised:
        services.save_vehicle(customer.id, saved.version, None, wrong)
    assert {e.field for e in raised.value.errors} == {"purchase_date", "running_hours"}
    added = services.save_vehicle(
        customer.id, saved.version, None, VehicleEdit(plate="粤A00001", model="卡罗拉")
    )
    assert [v.plate for v in added.vehicles] == ["粤B12345", "粤A00001"]


def test_entries_still_incomplete_two_days_after_the_first_contact_are_listed(
    container, clock
) -> None:
    services: Services = container.services
    services.take_call(intake())
    assert services.incomplete_customers() == []
    clock.advance(timedelta(days=2, minutes=1))
    services.take_call(intake(caller_name="李娜", phone="13912345678", plate="粤A55555"))
    rows = services.incomplete_customers()
    assert [r.customer.name for r in rows] == ["张伟"]
    assert set(rows[0].missing) == {"wanted_service", "usage"}
    assert services.customer_file(rows[0].customer.id).late


# -- the audit log viewer -----------------------------------------------------------------


def test_the_audit_log_is_for_supervisors_with_keyset_pages(migrated_url, clock) -> None:
    from callcenter import bootstrap
    from callcenter.services.staff import StaffDirectory
    from callcenter.settings import Settings

    def session(user: str) -> bootstrap.Container:
        return bootstrap.build(
            Settings(database_url=migrated_url, language="en", user=user), clock=clock
        )

    admin = session("boss")
    StaffDirectory(admin.services).add("wangfang", "王芳", Role.OPERATOR)
    StaffDirectory(admin.services).add("chenjun", "陈军", Role.SUPERVISOR)
    operator, supervisor = session("wangfang"), session("chenjun")
    try:
        for n in range(5):
            clock.advance(timedelta(minutes=1))
            operator.services.take_call(intake(plate=f"粤B1000{n}"))
        with pytest.raises(PermissionDenied, match="read the audit log"):
            operator.services.open_audit_log()
        supervisor.services.open_audit_log()
        s = supervisor.services
        everything = s.audit_page(s.audit_query())
        assert everything[0].action == "read_audit_log" and not everything[0].allowed
        query = s.audit_query(person="王芳", action="take call")
        first = s.audit_page(query, limit=3)
        assert [e.action for e in first] == ["take_call"] * 3
        rest = s.audit_page(replace(query, before=(first[-1].at, first[-1].id)), limit=3)
        assert len(rest) == 2 and rest[0].at < first[-1].at
        assert s.audit_page(s.audit_query(since="2026-11-23")) == []
        assert len(s.audit_page(s.audit_query(person="wangfang", until="2026-11-22"))) == 6
        with pytest.raises(ValidationErrors):
            s.audit_query(since="yesterday")
    finally:
        for c in (admin, operator, supervisor):
            c.close()


def test_downgrade_below_0008_refuses_while_archive_details_exist(container) -> None:
    from callcenter import bootstrap

    services: Services = container.services
    services.take_call(intake())
    customer = services.find_customers("张伟")[0].customer
    edit = VehicleEdit.of(customer.vehicles[0])
    edit.running_hours = "120"
    services.save_vehicle(customer.id, customer.version, customer.vehicles[0].id, edit)
    url = container.settings.database_url
    bootstrap.downgrade(url, "0008")  # the newer revisions hold nothing that is refused here
    with pytest.raises(RuntimeError, match="vehicles holds archive details in 1 row"):
        bootstrap.downgrade(url, "0006")
    assert bootstrap.current_revision(container.engine) == "0008"


def test_a_known_plate_with_a_new_phone_is_offered_to_the_archive(container) -> None:
    services: Services = container.services
    services.take_call(intake())  # 张伟, 138 1234 5678, 粤B12345
    found = services.recognise(phone="139 1234 5678", plate="粤b12345")
    assert found is not None and found.new_contact and found.customer.name == "张伟"
    assert not services.recognise(phone="13812345678", plate="粤B12345").new_contact
    case = services.take_call(
        intake(caller_name="张小伟", phone="139 1234 5678", plate="粤B12345", add_to_archive=True)
    )
    entry = services.customer_file(case.customer_id)
    assert entry.customer.name == "张伟" and entry.customer.other_phones == "+8613912345678"
    assert "张小伟" in entry.customer.notes
    assert not services.recognise(phone="13912345678", plate="粤B12345").new_contact
    assert [c.number for c in entry.cases] == [case.number, "20261122-0001"]


def test_the_cli_lists_the_entries_to_complete(container) -> None:
    from tests.integration.test_staff_cli import cli

    services: Services = container.services
    services.take_call(intake())  # first seen on 2026-11-22: more than two days ago now
    done = services.take_call(intake(caller_name="李娜", phone="13912345678", plate="粤A55555"))
    customer = services.customer_file(done.customer_id).customer
    edit = CustomerEdit.of(customer, "13912345678", "")
    edit.wanted_service = "保养提醒"
    customer = services.save_customer(customer.id, customer.version, edit)
    vehicle = VehicleEdit.of(customer.vehicles[0])
    vehicle.model, vehicle.mileage_km = "卡罗拉", "35000"
    services.save_vehicle(customer.id, customer.version, customer.vehicles[0].id, vehicle)
    result = cli(container.settings.database_url, "tester", "archive", "incomplete")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1 and "张伟" in lines[0] and "粤B12345" in lines[0]
    assert "missing: service wanted" in lines[0]
    assert "1 archive entry to complete." in result.stderr


# -- the maintenance calls ----------------------------------------------------------------


def test_maintenance_calls_are_owed_once_per_vehicle_and_due_point(container, clock) -> None:
    from callcenter import watch
    from callcenter.calls import maintenance as maintenance_kind

    services: Services = container.services
    services.take_call(intake())
    customer = services.find_customers("张伟")[0].customer
    edit = VehicleEdit.of(customer.vehicles[0])
    edit.purchase_date, edit.running_hours, edit.maintained_hours = "2026-09-01", "300", "100"
    services.save_vehicle(customer.id, customer.version, customer.vehicles[0].id, edit)
    # 300 h in 82 days: 600 h in ~82 days; by the calendar 2026-12-01, 9 days away > 7
    assert services.schedule_maintenance_calls() == 0
    clock.advance(timedelta(days=2))  # 7 days before 2026-12-01
    sweeper = watch.sweeper_for(container)
    sweeper()  # the sweep schedules them
    assert services.schedule_maintenance_calls() == 0  # already owed: not twice
    desk_tasks = services.read(lambda uow: uow.calls.open_for(customer_id=customer.id))
    assert [(t.kind, t.note) for t in desk_tasks] == [
        (maintenance_kind.NAME, "粤B12345 · 600 h · 2026-12-01")
    ]
    assert desk_tasks[0].due_at == clock.now()  # 09:00 of the reminder day has passed
    with container.uow(write=False) as uow:
        assert uow.audit.recent(actor="watch")[0].action == "schedule_call"
    # the 600 h service done: the next point (1200 h, 2027-03-01) is not due yet
    customer = services.customer_file(customer.id).customer
    edit = VehicleEdit.of(customer.vehicles[0])
    edit.maintained_hours = "600"
    services.save_vehicle(customer.id, customer.version, customer.vehicles[0].id, edit)
    assert services.schedule_maintenance_calls() == 0


def test_the_supervisors_read_only_board_may_read_the_audit_log(migrated_url, clock) -> None:
    from callcenter import bootstrap
    from callcenter.services.staff import StaffDirectory
    from callcenter.settings import Settings

    def session(user: str, read_only: bool = False) -> bootstrap.Container:
        settings = Settings(database_url=migrated_url, language="en", user=user)
        return bootstrap.build(settings, clock=clock, read_only=read_only)

    admin = session("boss")
    StaffDirectory(admin.services).add("chenjun", "陈军", Role.SUPERVISOR)
    StaffDirectory(admin.services).add("wangfang", "王芳", Role.OPERATOR)
    board, operator_board = session("chenjun", True), session("wangfang", True)
    try:
        board.services.open_audit_log()
        assert board.services.audit_page(board.services.audit_query(person="boss"))
        with pytest.raises(PermissionDenied, match="read the audit log"):
            operator_board.services.open_audit_log()
    finally:
        for c in (admin, board, operator_board):
            c.close()


def test_a_known_plate_with_a_new_name_is_added_to_the_archive_when_asked(container) -> None:
    services: Services = container.services
    services.take_call(intake())  # 张伟, 138 1234 5678, 粤B12345
    case = services.take_call(intake(caller_name="王丽", add_to_archive=True))
    entry = services.customer_file(case.customer_id).customer
    assert entry.name == "张伟" and entry.other_phones == ""
    assert "王丽" in entry.notes
    again = services.take_call(intake(caller_name="王丽", add_to_archive=True))
    assert services.customer_file(again.customer_id).customer.notes.count("王丽") == 1
