"""Pilot tests of the intake form (来电登记) on a copy of the demo database at a fixed clock.

The clock is 2026-11-22 22:30 in Shanghai: 40 minutes out is 23:10, 60 minutes is 23:30.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static, TextArea

from callcenter import sla, validation
from callcenter.domain import FaultCategory, Priority, RescuePlan, VehicleType
from callcenter.drafts import DraftStore
from callcenter.errors import DatabaseUnavailable, ValidationError
from callcenter.services import Intake
from screens.board.board import BoardScreen
from screens.help.help import HelpScreen
from screens.intake.draft_offer import DraftOfferScreen
from screens.intake.intake import FORM_ORDER, IntakeScreen, is_blank, money
from screens.intake.leave import LeaveIntakeScreen
from tests.factories import intake as make_intake

HOSTILE = "[@click=app.quit][b]王[/b]"

GOOD: dict[str, str] = {
    "caller_name": "张伟",
    "phone": "139 2345 6780",
    "plate": "粤B8K7J6",
    "vehicle_model": "丰田卡罗拉",
    "address": "深南大道与华强北路口东行",
    "distance_km": "8.5",
    "fault_description": "车辆无法启动，仪表盘全黑",
}


GOOD_DRAFT: dict[str, object] = {**GOOD}


@pytest.fixture(autouse=True)
def _quick_timers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Debounce timers fire within a millisecond, so tests do not wait on the clock."""
    monkeypatch.setattr(IntakeScreen, "DRAFT_DELAY", 0.001)
    monkeypatch.setattr(IntakeScreen, "RECOGNISE_DELAY", 0.001)


async def settle(pilot: Pilot[Any]) -> None:
    """Let timers fire and thread workers (archive lookup, save) finish."""
    for _round in range(3):
        await pilot.pause(0.005)
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_form(pilot: Pilot[Any]) -> IntakeScreen:
    await pilot.press("n")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, IntakeScreen)
    return screen


def fill(screen: IntakeScreen, **values: str) -> None:
    """Set fields directly (fast); typing itself is tested in the whole-call test."""
    for name, value in values.items():
        widget = screen.widget(name)
        if isinstance(widget, TextArea):
            widget.load_text(value)
        else:
            assert isinstance(widget, Input)
            widget.value = value


async def type_into(pilot: Pilot[Any], screen: IntakeScreen, name: str, text: str) -> None:
    widget = screen.widget(name)
    widget.focus()
    await pilot.pause()
    if isinstance(widget, Input):
        widget.value = ""
    await pilot.press(*text)


def typed(text: str) -> list[str]:
    """The keys of ``text`` then Tab."""
    return [*text, "tab"]


def rendered(screen: IntakeScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def message_of(fn: Callable[[], object]) -> str:
    try:
        fn()
    except ValidationError as exc:
        return exc.message
    raise AssertionError("no error")


# -- the whole call ------------------------------------------------------------------


async def test_a_whole_call_typed_with_the_keyboard_creates_a_case(make_app) -> None:
    app, container = make_app()
    results: list[int | None] = []
    async with app.run_test(size=(120, 40)) as pilot:
        app.push_screen(IntakeScreen(), results.append)
        await pilot.pause()
        assert app.focused is app.screen.query_one("#in-caller_name")
        keys: list[str] = [
            *typed("张伟"),
            *typed("139 2345 6780"),
            *typed("粤b·8k7j6"),
            "tab",  # no plate: left unchecked
            *typed("丰田卡罗拉"),
            "tab",  # vehicle type: car
            *typed("深南大道与华强北路口东行"),
            *typed("22.54, 114.08"),
            *typed("8.5"),
            "tab",  # agreed arrival: not needed within 20 km
            *typed("打不着火 仪表盘全黑"),
            *["enter", "home", "down", "enter", "tab"],  # fault category: electrical
            *["enter", "up", "up", "enter", "tab"],  # priority: general → urgent
            *["enter", "down", "down", "enter", "tab"],  # plan: towing → battery
            "tab",  # the fee follows the tariff
            *["space", "tab"],  # the owner agrees
            *"车主在车内等候",
            "ctrl+s",
        ]
        await pilot.press(*keys)
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen)
        assert len(results) == 1 and results[0] is not None
        case = container.services.case(results[0])
        assert case.caller_name == "张伟"
        assert case.phone == "+8613923456780"
        assert case.plate == "粤B8K7J6"
        assert case.vehicle_model == "丰田卡罗拉"
        assert case.vehicle_type is VehicleType.CAR
        assert case.address == "深南大道与华强北路口东行"
        assert (case.lat, case.lon) == (22.54, 114.08)
        assert str(case.distance_km) == "8.50"
        assert case.fault_description == "打不着火 仪表盘全黑"
        assert case.fault_category is FaultCategory.ELECTRICAL
        assert case.priority is Priority.URGENT
        assert case.plan is RescuePlan.BATTERY
        assert case.fee_quote == sla.DEFAULT_TARIFF[RescuePlan.BATTERY]
        assert case.fee_agreed
        assert case.notes == "车主在车内等候"
        assert case.promised_arrival_at is not None
        assert container.services.local(case.promised_arrival_at) == "23:10"
        assert case.number.startswith("20261122-")
        assert f"Case {case.number} registered" in [n.message for n in app._notifications]
        assert app.drafts.load() is None


async def test_tab_follows_the_paper_form(make_app) -> None:
    app, _container = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_form(pilot)
        seen = []
        for _name in FORM_ORDER:
            assert app.focused is not None
            seen.append((app.focused.id or "").removeprefix("in-"))
            await pilot.press("tab")
        assert seen == list(FORM_ORDER)
        await pilot.press("shift+tab")
        assert app.focused is screen.widget("notes")


async def test_the_fee_follows_the_tariff_unless_typed(make_app) -> None:
    app, _container = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_form(pilot)
        assert screen.text("fee_quote") == "0"  # towing within 24 h is free
        screen.query_one("#in-plan", Select).value = RescuePlan.ONSITE_REPAIR
        await pilot.pause()
        assert screen.text("fee_quote") == money(sla.DEFAULT_TARIFF[RescuePlan.ONSITE_REPAIR])
        assert rendered(screen, "#fee-disclosure") == (
            "Tell the owner the rescue fee standard: On-site repair — 200 yuan"
        )
        fill(screen, fee_quote="260")
        screen.query_one("#in-plan", Select).value = RescuePlan.TYRE
        await pilot.pause()
        assert screen.text("fee_quote") == "260"


async def test_the_fee_comes_from_the_site_policy_tariff(make_app, tmp_path: Path) -> None:
    preset = (sla.PRESETS_DIR / "roadside.toml").read_text(encoding="utf-8")
    assert "\nbattery = 150\n" in preset
    site = tmp_path / "policies" / "roadside.toml"
    site.parent.mkdir()
    site.write_text(preset.replace("\nbattery = 150\n", "\nbattery = 180.5\n"), encoding="utf-8")
    app, container = make_app(config_dir=tmp_path)
    assert container.services.policy.source == str(site)
    results: list[int | None] = []
    async with app.run_test(size=(120, 40)) as pilot:
        app.push_screen(IntakeScreen(), results.append)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, IntakeScreen)
        assert screen.text("fee_quote") == "0"  # towing: not in the change, still free
        screen.query_one("#in-plan", Select).value = RescuePlan.BATTERY
        await pilot.pause()
        assert screen.text("fee_quote") == "180.50"
        assert rendered(screen, "#fee-disclosure") == (
            "Tell the owner the rescue fee standard: Battery — 180.50 yuan"
        )
        assert is_blank(screen.intake(), screen.tariff)  # the pre-filled fee is not typing
        assert not is_blank(screen.intake(), sla.DEFAULT_TARIFF)
        fill(screen, **GOOD)
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert len(results) == 1 and results[0] is not None
    assert container.services.case(results[0]).fee_quote == Decimal("180.50")


# -- validation: the message on the right field, nothing typed lost --------------------

BAD = [
    ("phone", "110", lambda: validation.parse_phone("110")),
    ("phone", "12345", lambda: validation.parse_phone("12345")),
    ("phone", "abc", lambda: validation.parse_phone("abc")),
    ("plate", "XX12345", lambda: validation.normalize_plate("XX12345")),
    ("plate", "粤I12345", lambda: validation.normalize_plate("粤I12345")),
    ("distance_km", "-1", lambda: validation.parse_distance("-1")),
    ("distance_km", "1001", lambda: validation.parse_distance("1001")),
    ("distance_km", "abc", lambda: validation.parse_distance("abc")),
]


@pytest.mark.parametrize(("field", "text", "expected"), BAD, ids=[f"{f}={t}" for f, t, _ in BAD])
async def test_a_bad_field_says_why_beside_it_and_keeps_everything(
    make_app, field: str, text: str, expected: Callable[[], object]
) -> None:
    app, container = make_app()
    message = message_of(expected)
    open_before = len(container.services.open_cases())
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_form(pilot)
        fill(screen, **GOOD)
        await type_into(pilot, screen, field, text)
        before = screen.intake()
        assert before.to_dict()[field] == text
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        error = screen.query_one(f"#err-{field}")
        assert error.has_class("-error")
        assert str(error.render()) == message
        assert screen.widget(field).has_class("-invalid")
        assert screen.errors == {field: message}
        assert app.focused is screen.widget(field)
        assert screen.intake() == before
        for other in GOOD:
            if other != field:
                assert not screen.query_one(f"#err-{other}").has_class("-error")
        assert len(container.services.open_cases()) == open_before


@pytest.mark.parametrize(("field", "text", "expected"), BAD, ids=[f"{f}={t}" for f, t, _ in BAD])
async def test_a_bad_field_is_reported_on_leaving_it(
    make_app, field: str, text: str, expected: Callable[[], object]
) -> None:
    app, _container = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_form(pilot)
        await type_into(pilot, screen, field, text)
        assert screen.errors == {}
        await pilot.press("tab")
        await pilot.pause()
        assert screen.errors == {field: message_of(expected)}
        assert screen.widget(field).has_class("-invalid")
        assert screen.text(field) == text
        # Typing it right clears the message at once.
        good = {"phone": "13923456780", "plate": "粤B8K7J6", "distance_km": "12"}[field]
        await type_into(pilot, screen, field, good)
        await pilot.pause()
        assert screen.errors == {}
        assert not screen.widget(field).has_class("-invalid")


async def test_every_missing_field_is_marked_and_focus_goes_to_the_first(make_app) -> None:
    app, _container = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_form(pilot)
        fill(screen, notes="只填了备注")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert set(screen.errors) == {
            "caller_name",
            "phone",
            "plate",
            "address",
            "distance_km",
            "fault_description",
        }
        assert app.focused is screen.widget("caller_name")
        assert screen.text("notes") == "只填了备注"


async def test_no_plate_is_an_explicit_choice(make_app) -> None:
    app, container = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_form(pilot)
        fill(screen, **{**GOOD, "plate": ""})
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "plate" in screen.errors
        screen.widget("no_plate").focus()
        await pilot.press("space")
        await pilot.pause()
        assert screen.widget("plate").disabled
        assert "plate" not in screen.errors
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen)
        [case] = container.services.search("13923456780")
        assert case.plate == validation.NO_PLATE


# -- the promised arrival, live -------------------------------------------------------


async def test_the_promise_follows_the_distance_as_it_is_typed(make_app) -> None:
    app, _container = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_form(pilot)
        assert rendered(screen, "#promise") == "Promised arrival: type the distance"
        await type_into(pilot, screen, "distance_km", "5")
        assert rendered(screen, "#promise") == "Promised arrival 23:10 (40 min)"
        await pilot.press("5")
        assert "Over 20 km, enter the arrival time agreed with the owner" in rendered(
            screen, "#promise"
        )
        await pilot.press("backspace", "backspace", *"15")
        assert rendered(screen, "#promise") == "Promised arrival 23:30 (60 min)"
        await pilot.press("backspace", "backspace")
        assert rendered(screen, "#promise") == "Promised arrival: type the distance"


async def test_over_20_km_the_agreed_time_is_required(make_app) -> None:
    app, container = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_form(pilot)
        row = screen.query_one("#row-agreed_arrival")
        fill(screen, **{**GOOD, "distance_km": "20"})
        await pilot.pause()
        assert not row.has_class("-required")
        fill(screen, distance_km="25")
        await pilot.pause()
        assert row.has_class("-required")
        assert screen.query_one("#agreed-hint").display
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.errors == {
            "agreed_arrival": "Over 20 km, enter the arrival time agreed with the owner"
        }
        assert app.focused is screen.widget("agreed_arrival")
        await pilot.press(*"23:50")
        await pilot.pause()
        assert screen.errors == {}
        assert rendered(screen, "#promise") == (
            "Promised arrival 23:50 (80 min, agreed with the owner)"
        )
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen)
        [case] = container.services.search("13923456780")
        assert container.services.local(case.agreed_arrival_at) == "23:50"
        assert case.promised_arrival_at == case.agreed_arrival_at


# -- a returning caller ----------------------------------------------------------------


def archive(container: Any, **overrides: object) -> Intake:
    """A caller the archive knows: one earlier case, registered through the services."""
    values: dict[str, object] = {
        "caller_name": "王建国",
        "phone": "139 0000 1111",
        "plate": "粤B6M2Q8",
        "vehicle_model": "本田雅阁",
        "vehicle_type": VehicleType.SUV,
    }
    earlier = make_intake(**{**values, **overrides})
    container.services.take_call(earlier)
    return earlier


async def test_a_returning_caller_is_offered_and_ctrl_r_fills_name_and_vehicle(make_app) -> None:
    app, container = make_app()
    archive(container)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_form(pilot)
        await type_into(pilot, screen, "caller_name", "王先生")
        await type_into(pilot, screen, "phone", "13900001111")
        await settle(pilot)
        offer = rendered(screen, "#returning")
        assert "Returning caller: 王建国, 粤B6M2Q8 本田雅阁" in offer
        assert "Ctrl+R fills name and vehicle" in offer
        assert "Last cases: 20261122-" in offer
        # Nothing is overwritten until the operator asks.
        assert screen.text("caller_name") == "王先生"
        assert screen.text("plate") == ""
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert screen.text("caller_name") == "王建国"
        assert screen.text("plate") == "粤B6M2Q8"
        assert screen.text("vehicle_model") == "本田雅阁"
        assert screen.choice("vehicle_type") is VehicleType.SUV
        assert screen.intake().customer_id is not None
        assert app.focused is screen.widget("phone")


async def test_the_plate_finds_the_caller_too(make_app) -> None:
    app, container = make_app()
    archive(container)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_form(pilot)
        await type_into(pilot, screen, "plate", "粤b6m2q8")
        await settle(pilot)
        assert "王建国" in rendered(screen, "#returning")
        await type_into(pilot, screen, "plate", "粤B00001")
        await settle(pilot)
        assert screen.returning is None
        assert not screen.query_one("#returning").display


async def test_ctrl_r_keeps_a_different_plate_the_operator_typed(make_app) -> None:
    app, container = make_app()
    archive(container)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_form(pilot)
        await type_into(pilot, screen, "plate", "粤B3C4D5")
        await type_into(pilot, screen, "phone", "13900001111")
        await settle(pilot)
        assert screen.returning is not None
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert screen.text("caller_name") == "王建国"
        assert screen.text("plate") == "粤B3C4D5"
        assert screen.text("vehicle_model") == ""


async def test_archive_text_is_shown_verbatim_never_as_markup(make_app) -> None:
    app, container = make_app()
    archive(container, caller_name=HOSTILE)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_form(pilot)
        await type_into(pilot, screen, "phone", "13900001111")
        await settle(pilot)
        assert HOSTILE in rendered(screen, "#returning")
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert screen.text("caller_name") == HOSTILE
        assert app.is_running


# -- drafts: never lose a half-typed call ------------------------------------------


async def test_every_change_is_kept_as_a_draft(make_app) -> None:
    app, _container = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_form(pilot)
        await type_into(pilot, screen, "caller_name", "张伟")
        await pilot.pause()
        draft = app.drafts.load()
        assert draft is not None and draft["caller_name"] == "张伟"
        await type_into(pilot, screen, "fault_description", "爆胎")
        await pilot.press("tab")  # leaving a field writes at once
        assert app.drafts.load()["fault_description"] == "爆胎"


async def test_switching_screens_keeps_the_form(make_app) -> None:
    app, _container = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_form(pilot)
        fill(screen, **GOOD)
        typed = screen.intake()
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert app.drafts.load() == typed.to_dict()  # written when the form was covered
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        assert screen.intake() == typed


async def test_leaving_keeps_the_draft_and_the_next_call_restores_it(make_app) -> None:
    app, _container = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_form(pilot)
        fill(screen, **GOOD)
        typed = screen.intake()
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LeaveIntakeScreen)
        await pilot.press("escape")  # back to the form
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("escape", "k")
        await pilot.pause()
        assert isinstance(app.screen, BoardScreen)
        assert app.drafts.load() == typed.to_dict()
        again = await open_form(pilot)
        assert again.intake() == typed
        assert "The unfinished call was restored." in [n.message for n in app._notifications]


async def test_discarding_forgets_the_draft(make_app) -> None:
    app, _container = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_form(pilot)
        fill(screen, **GOOD)
        await pilot.press("escape", "d")
        await pilot.pause()
        assert isinstance(app.screen, BoardScreen)
        assert app.drafts.load() is None
        assert (await open_form(pilot)).intake().caller_name == ""


async def test_a_blank_form_leaves_without_asking(make_app) -> None:
    app, _container = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_form(pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, BoardScreen)
        assert app.drafts.load() is None


async def test_a_draft_left_behind_is_offered_at_the_next_start(
    make_app, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(IntakeScreen, "DRAFT_DELAY", 60.0)  # only the ending writes it
    app, _container = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_form(pilot)
        fill(screen, **GOOD)
        await pilot.pause()
        typed = screen.intake()
        assert app.drafts.load() is None
    # The application ended with the form open (quit, or the terminal closed): kept.
    assert app.drafts.load() == typed.to_dict()

    again, _container = make_app()
    async with again.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        offer = again.screen
        assert isinstance(offer, DraftOfferScreen)
        text = " ".join(str(s.render()) for s in offer.query(Static))
        assert "An unfinished call was kept" in text
        assert "张伟 · 139 2345 6780 · 粤B8K7J6" in text
        await pilot.press("r")
        await pilot.pause()
        restored = again.screen
        assert isinstance(restored, IntakeScreen)
        assert restored.intake() == typed

    third, _container = make_app()
    async with third.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(third.screen, DraftOfferScreen)
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(third.screen, BoardScreen)
        assert third.drafts.load() is None


async def test_the_hang_up_handler_saves_every_open_form(make_app) -> None:
    app, _container = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_form(pilot)
        screen.widget("caller_name").value = "张伟"  # no pause: the debounce has not run
        app.drafts.clear()
        app.save_drafts()
        assert app.drafts.load()["caller_name"] == "张伟"


async def test_a_database_error_keeps_the_form_and_the_draft(
    make_app, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, container = make_app()

    def down(intake: Intake) -> None:
        raise DatabaseUnavailable("The database cannot be reached: connection refused")

    monkeypatch.setattr(container.services, "take_call", down)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_form(pilot)
        fill(screen, **GOOD)
        typed = screen.intake()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert screen.intake() == typed
        assert app.drafts.load() == typed.to_dict()
        messages = [n.message for n in app._notifications]
        assert (
            "The call was not saved: The database cannot be reached: connection refused" in messages
        )
        monkeypatch.undo()
        await pilot.press("ctrl+s")  # the database is back: the same form saves
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen)
        assert app.drafts.load() is None


async def test_the_form_is_in_chinese(make_app) -> None:
    app, _container = make_app(language="zh_CN")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_form(pilot)
        labels = " ".join(str(label.render()) for label in screen.query(".field-label"))
        for term in ("车主姓名/来电人", "联系电话", "车牌号", "故障现象", "救援方案"):
            assert term in labels
        assert "主动告知救援收费标准" in rendered(screen, "#fee-disclosure")
        fill(screen, distance_km="8")
        await pilot.pause()
        assert rendered(screen, "#promise") == "承诺到达 23:10（40 分钟）"


# -- snapshots -------------------------------------------------------------------------


def _steady(pilot: Pilot[Any]) -> None:
    for widget in pilot.app.screen.query("Input, TextArea"):
        widget.cursor_blink = False  # type: ignore[attr-defined]


async def _empty(pilot: Pilot[Any]) -> None:
    await open_form(pilot)
    _steady(pilot)
    await pilot.pause()


async def _errors(pilot: Pilot[Any]) -> None:
    screen = await open_form(pilot)
    _steady(pilot)
    fill(screen, caller_name="张伟", phone="110", plate="XX12345", distance_km="25")
    await pilot.press("ctrl+s")
    await settle(pilot)


async def _filled(pilot: Pilot[Any]) -> None:
    screen = await open_form(pilot)
    _steady(pilot)
    fill(screen, **{**GOOD, "coordinates": "22.54, 114.08", "notes": "车主在车内等候"})
    screen.query_one("#in-priority", Select).value = Priority.URGENT
    screen.query_one("#in-plan", Select).value = RescuePlan.BATTERY
    screen.query_one("#in-fee_agreed").value = True  # type: ignore[attr-defined]
    await settle(pilot)
    screen.widget("notes").focus()
    await pilot.pause()


STATES = {"empty": _empty, "errors": _errors, "filled": _filled}


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
@pytest.mark.parametrize("state", list(STATES))
def test_intake_snapshot(
    make_app, snap_compare, language: str, size: tuple[int, int], state: str
) -> None:
    app, _container = make_app(language=language)
    assert snap_compare(app, run_before=STATES[state], terminal_size=size)


async def test_two_terminals_of_one_operator_keep_both_calls(make_app) -> None:
    """One operator, two terminals, a half-typed call in each, both lost to a dropped link:
    each session kept its own draft, and the next start offers both, one after the other."""
    first, _container = make_app()
    second, _container = make_app()
    assert first.drafts.path != second.drafts.path
    assert first.drafts.in_use() and second.drafts.in_use()
    first.drafts.save({**GOOD_DRAFT, "caller_name": "张伟"})
    second.drafts.save({**GOOD_DRAFT, "caller_name": "李娜"})
    # Both sessions still run: a third start offers neither (someone is typing into them).
    third, _container = make_app()
    assert DraftStore.orphans(third.drafts.directory, "tester", besides=third.drafts.path) == []
    third.drafts.let_go()
    first.drafts.let_go()  # both ended (their processes died: the kernel let go)
    second.drafts.let_go()

    again, _container = make_app()
    async with again.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        offer = again.screen
        assert isinstance(offer, DraftOfferScreen)
        assert "张伟" in " ".join(str(s.render()) for s in offer.query(Static))
        await pilot.press("d")  # the first is discarded: the second is offered
        await pilot.pause()
        offer = again.screen
        assert isinstance(offer, DraftOfferScreen)
        assert "李娜" in " ".join(str(s.render()) for s in offer.query(Static))
        await pilot.press("r")
        await pilot.pause()
        restored = again.screen
        assert isinstance(restored, IntakeScreen)
        assert restored.intake().caller_name == "李娜"
        # It is this session's draft now; the other sessions' files are gone.
        assert again.drafts.load()["caller_name"] == "李娜"
        assert not first.drafts.exists() and not second.drafts.exists()


async def test_the_case_is_received_when_the_form_opened(make_app) -> None:
    """来电时间 is when the phone was answered: the form shows it and the case keeps it, however
    long the call takes to type; the head names the operator, not the login."""
    from datetime import timedelta

    from callcenter.clock import ManualClock
    from tests.conftest import FIXED_NOW

    clock = ManualClock(FIXED_NOW)
    app, container = make_app(clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_form(pilot)
        head = str(screen.query_one("#intake-head").render())
        assert "Call started 22:30" in head
        clock.advance(timedelta(minutes=4, seconds=10))
        fill(screen, **GOOD)
        await pilot.press("ctrl+s")
        await settle(pilot)
        [case] = [c for c in container.services.open_cases() if c.plate == "粤B8K7J6"]
        assert case.received_at == FIXED_NOW
        staff = container.services.staff
        assert staff is not None and f"Operator {staff.display_name}" in head


async def test_a_known_plate_with_a_new_phone_offers_ctrl_k_to_add_it_to_the_archive(
    make_app,
) -> None:
    app, container = make_app()
    archive(container)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_form(pilot)
        await type_into(pilot, screen, "phone", "13700002222")
        await type_into(pilot, screen, "plate", "粤b6m2q8")
        await settle(pilot)
        offer = rendered(screen, "#returning")
        assert "under 王建国 (139 0000 1111), not this phone" in offer
        assert "Ctrl+K: add this caller to the archive" in offer
        assert not screen.intake().add_to_archive
        await pilot.press("ctrl+k")
        await pilot.pause()
        assert "this caller will be added to the archive" in rendered(screen, "#returning")
        assert screen.intake().add_to_archive
        await type_into(pilot, screen, "phone", "13900001111")  # the owner's own phone
        await settle(pilot)
        assert "not this phone" not in rendered(screen, "#returning")
        assert not screen.intake().add_to_archive


async def test_a_known_plate_with_another_name_offers_ctrl_k_too(make_app) -> None:
    app, container = make_app()
    archive(container)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_form(pilot)
        await type_into(pilot, screen, "phone", "13900001111")
        await type_into(pilot, screen, "plate", "粤B6M2Q8")
        await settle(pilot)
        assert "not this name" not in rendered(screen, "#returning")
        await type_into(pilot, screen, "caller_name", "王太太")
        await pilot.pause()
        assert "under 王建国 (139 0000 1111), not this name" in rendered(screen, "#returning")
        await pilot.press("ctrl+k")
        await pilot.pause()
        assert screen.intake().add_to_archive


async def test_a_call_for_a_plate_with_an_open_case_offers_that_case(make_app) -> None:
    """Saving a call for a vehicle that has an open case says where it stands: O opens that
    case (what was typed is kept), S asks why a second one is opened and saves it."""
    from screens.case.detail import CaseDetailScreen
    from screens.widgets.choice import ChoiceModal
    from screens.widgets.modals import ReasonModal

    app, container = make_app()
    services = container.services
    existing = next(c for c in services.open_cases() if c.plate.startswith("粤B"))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_form(pilot)
        fill(screen, **{**GOOD, "plate": existing.plate})
        await pilot.press("ctrl+s")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, ChoiceModal)
        assert any(existing.number in line for line in map(str, modal.lines))
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, ReasonModal)
        app.screen.query_one(Input).value = "第二辆车"
        await pilot.press("enter")
        await settle(pilot)
        opened = [c for c in services.open_cases() if c.plate == existing.plate]
        assert len(opened) == 2

        screen = await open_form(pilot)
        fill(screen, **{**GOOD, "plate": existing.plate})
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceModal)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, CaseDetailScreen)
        assert len([c for c in services.open_cases() if c.plate == existing.plate]) == 2
        assert app.drafts.load() is not None  # nothing typed is lost


async def test_typing_the_plate_or_phone_of_an_open_case_tells_where_it_stands(
    make_app,
) -> None:
    """The duplicate call guard while typing: the plate (or the phone) of a case still open
    shows its number, status, crew and promised arrival at once; Ctrl+O opens that case
    instead of a new one, and what was typed is kept as a draft."""
    from callcenter.domain import CaseStatus
    from screens.case.detail import CaseDetailScreen

    app, container = make_app()
    services = container.services
    existing = next(
        c
        for c in services.open_cases()
        if c.status is CaseStatus.DISPATCHED and c.crew_id is not None
    )
    crew = next(c for c in services.crews() if c.id == existing.crew_id)
    promise = existing.promised_arrival_at
    assert promise is not None
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_form(pilot)
        assert not screen.query_one("#open-call").display
        await type_into(pilot, screen, "plate", existing.plate.lower())
        await settle(pilot)
        warning = rendered(screen, "#open-call")
        assert screen.query_one("#open-call").display
        assert existing.number in warning and crew.code in warning
        assert promise.astimezone(container.services.tz).strftime("%H:%M") in warning
        assert "(Dispatched)" in warning and f"Ctrl+O opens case {existing.number}" in warning
        # Another plate: the warning goes; the phone of the open case brings it back.
        await type_into(pilot, screen, "plate", "粤B00001")
        await settle(pilot)
        assert not screen.query_one("#open-call").display
        await type_into(pilot, screen, "phone", existing.phone)
        await settle(pilot)
        assert "This phone has an open case" in rendered(screen, "#open-call")
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, CaseDetailScreen)
        assert app.screen.case_id == existing.id
        assert app.drafts.load() is not None  # nothing typed is lost


async def _open_call(pilot: Pilot[Any]) -> None:
    """The plate of a dispatched case typed: the warning line under the form."""
    from callcenter.domain import CaseStatus

    app: Any = pilot.app
    existing = next(
        c
        for c in app.services.open_cases()
        if c.status is CaseStatus.DISPATCHED and c.crew_id is not None
    )
    screen = await open_form(pilot)
    _steady(pilot)
    fill(screen, caller_name="张伟", plate=existing.plate)
    await settle(pilot)
    screen.widget("phone").focus()
    await pilot.pause()


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("size", [(160, 45), (80, 24)], ids=["160x45", "80x24"])
def test_intake_snapshot_open_call(
    make_app, snap_compare, language: str, size: tuple[int, int]
) -> None:
    app, _container = make_app(language=language)
    assert snap_compare(app, run_before=_open_call, terminal_size=size)
