"""Pilot tests and snapshots of the customer archive (F5) and the audit log viewer (F7)."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static, TextArea

from callcenter.archive import CustomerEdit
from callcenter.domain import Role
from callcenter.errors import ConcurrencyConflict
from callcenter.services.staff import StaffDirectory
from screens.archive.customer import CustomerScreen
from screens.archive.forms import CustomerForm
from screens.archive.listing import ArchiveScreen
from screens.audit.audit_log import AuditLogScreen
from tests.ui.test_delay_prompt import settle


def _steady(pilot: Pilot[Any]) -> None:
    for widget in pilot.app.screen.query("Input, TextArea"):
        widget.cursor_blink = False  # type: ignore[attr-defined]


def _text(widget: Static) -> str:
    return str(widget.render())


def _listed(screen: Any, selector: str) -> list[str]:
    return [str(o.prompt) for o in screen.query_one(selector, OptionList).options]


def _a_customer_with_a_plate(container: Any) -> tuple[Any, str]:
    row = next(r for r in container.services.find_customers("", limit=100) if r.customer.vehicles)
    return row.customer, row.customer.vehicles[0].plate


def _as_typed(plate: str) -> str:
    """A plate as a caller spells it: lower case, a dot after the province, spaces."""
    return f"{plate[0]}{plate[1].lower()}·{plate[2:4]} {plate[4:]}"


async def test_f5_finds_a_customer_as_typed_and_edits_the_entry(make_app: Any) -> None:
    app, container = make_app(watch=False, feed_interval=3600)
    customer, plate = _a_customer_with_a_plate(container)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, ArchiveScreen)
        await pilot.press(*_as_typed(plate))
        await settle(pilot)
        rows = _listed(app.screen, "#ar-results")
        assert len(rows) == 1 and customer.name in rows[0] and plate in rows[0]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CustomerScreen)
        assert customer.name in _text(app.screen.query_one("#cu-head", Static))
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, CustomerForm)
        app.screen.query_one("#af-wanted_service", TextArea).text = "每季度保养提醒"
        app.screen.query_one("#af-phone", Input).value = "12"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CustomerForm)  # the wrong phone is said on its field
        assert "-invalid" in app.screen.query_one("#af-row-phone").classes
        app.screen.query_one("#af-phone", Input).value = "138 0000 1111"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CustomerScreen), [n.message for n in app._notifications]
    saved = container.services.customer_file(customer.id).customer
    assert saved.wanted_service == "每季度保养提醒" and saved.phone == "+8613800001111"


async def test_f7_is_refused_to_an_operator_and_opens_for_a_supervisor(make_app: Any) -> None:
    _app, admin = make_app(watch=False, feed_interval=3600)
    StaffDirectory(admin.services).add("arch_op", "欧阳芳", Role.OPERATOR)
    StaffDirectory(admin.services).add("arch_sup", "司马军", Role.SUPERVISOR)
    app, _container = make_app(user="arch_op", watch=False, feed_interval=3600)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        await pilot.press("f7")
        await settle(pilot)
        assert not isinstance(app.screen, AuditLogScreen)
        said = [n.message for n in app._notifications]
        assert any("read the audit log" in m and "Supervisor" in m for m in said), said
    app, _container = make_app(user="arch_sup", watch=False, feed_interval=3600)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        await pilot.press("f7")
        await settle(pilot)
        assert isinstance(app.screen, AuditLogScreen)
        rows = _listed(app.screen, "#au-log")
        assert "read_audit_log" in rows[0] and "REFUSED" in rows[0]  # wangfang's try
        await pilot.press(*"arch_op", "enter")
        await settle(pilot)
        rows = _listed(app.screen, "#au-log")
        assert rows and all("欧阳芳" in r or "arch_op" in r for r in rows)


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("size", [(80, 24), (160, 45)], ids=["80x24", "160x45"])
def test_snapshot_archive_incomplete(
    snap_compare: Any, make_app: Any, language: str, size: tuple[int, int]
) -> None:
    app, _container = make_app(language=language, watch=False, feed_interval=3600)

    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        app.open_archive()
        await settle(pilot)
        await pilot.press("ctrl+l")
        await settle(pilot)
        _steady(pilot)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run)


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("size", [(80, 24), (160, 45)], ids=["80x24", "160x45"])
def test_snapshot_customer_file(
    snap_compare: Any, make_app: Any, language: str, size: tuple[int, int]
) -> None:
    app, container = make_app(language=language, watch=False, feed_interval=3600)
    rows = container.services.find_customers("", limit=100)
    due = next(r for r in rows if r.due is not None and r.due.by_hours)

    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        app.push_screen(CustomerScreen(due.customer.id or 0))
        await settle(pilot)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run)


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("size", [(80, 24), (160, 45)], ids=["80x24", "160x45"])
def test_snapshot_audit_log(
    snap_compare: Any,
    make_app: Any,
    language: str,
    size: tuple[int, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from callcenter import settings as settings_mod

    monkeypatch.setattr(settings_mod, "os_login", lambda: "tester")  # no OS login in the rows
    app, container = make_app(language=language, watch=False, feed_interval=3600)
    services = container.services
    customer, _plate = _a_customer_with_a_plate(container)
    for wanted in ("保养提醒", "年检提醒 <b>[red]x[/red]</b>"):
        customer = services.customer_file(customer.id).customer
        edit = CustomerEdit.of(customer, customer.phone, "")
        edit.wanted_service = wanted
        services.save_customer(customer.id, customer.version, edit)
    with pytest.raises(ConcurrencyConflict):
        services.save_customer(customer.id, customer.version, edit)

    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        app.open_audit_log()
        await settle(pilot)
        await pilot.press("tab", *"edit_customer", "enter")
        await settle(pilot)
        _steady(pilot)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run)
