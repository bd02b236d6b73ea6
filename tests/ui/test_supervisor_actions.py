"""Pilot tests and snapshots of the supervisor's actions (issue 15, point 6): the crews screen
(F11: off duty, out of service, back on duty, position, reassign), the case's reassignment (R)
and extension of the promise (T), the tariff and policy screen — and an operator, who sees the
supervisor's keys dimmed and is told at once, before any form opens."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from callcenter.domain import CaseStatus, CrewStatus, Role
from callcenter.services.staff import StaffDirectory
from screens.case.detail import CaseDetailScreen
from screens.case.dispatch import DispatchScreen
from screens.crews.crews import CrewsScreen
from screens.policy.policy import PolicyScreen
from screens.widgets.text_form import TextFieldsForm
from tests.ui.test_dispatch import Sessions, World, copy_world, settle, shown, wait_for


@pytest.fixture
def world(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> World:
    return copy_world(tmp_path, tmp_path_factory)


@pytest.fixture
def session(world: World) -> Iterator[Sessions]:
    sessions = Sessions(world)
    yield sessions
    sessions.close()


async def wait_screen(pilot: Pilot[Any], kind: type) -> Any:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, kind))
    await settle(pilot)
    return pilot.app.screen


async def open_crews(pilot: Pilot[Any]) -> CrewsScreen:
    await settle(pilot)
    await pilot.press("f11")
    screen: CrewsScreen = await wait_screen(pilot, CrewsScreen)
    await wait_for(pilot, lambda: bool(screen.rows))
    return screen


async def select_crew(pilot: Pilot[Any], screen: CrewsScreen, code: str) -> None:
    index = next(i for i, r in enumerate(screen.rows) if r.crew.code == code)
    screen.query_one("#crews-table", DataTable).move_cursor(row=index)
    await pilot.pause()


def field_error(form: TextFieldsForm, name: str) -> str:
    return str(form.query_one(f"#tf-err-{name}", Static).render())


def messages(app: Any) -> list[str]:
    return [str(n.message) for n in app._notifications]


def _steady(pilot: Pilot[Any]) -> None:
    for widget in pilot.app.screen.query("Input"):
        widget.cursor_blink = False  # type: ignore[attr-defined]


# -- the crews screen ----------------------------------------------------------------------------


async def test_a_supervisor_takes_a_crew_out_of_service_with_a_reason(
    session: Sessions, world: World
) -> None:
    app, container = session()
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_crews(pilot)
        await select_crew(pilot, screen, "救援1组")
        await pilot.press("s")
        form: TextFieldsForm = await wait_screen(pilot, TextFieldsForm)
        await pilot.press("ctrl+s")  # no reason: said on the field, the form stays
        await settle(pilot)
        assert isinstance(app.screen, TextFieldsForm)
        assert "Give the reason" in field_error(form, "reason")
        await pilot.press(*"winch broken", "enter")
        await wait_screen(pilot, CrewsScreen)
        crew = container.services.crew(world.crews["救援1组"])
        assert (crew.status, crew.status_reason) == (CrewStatus.OUT_OF_SERVICE, "winch broken")
        await wait_for(
            pilot,
            lambda: any(
                r.crew.code == "救援1组" and r.crew.status is CrewStatus.OUT_OF_SERVICE
                for r in screen.rows
            ),
        )
        # Back on duty: the reason may be left empty.
        await select_crew(pilot, screen, "救援1组")
        await pilot.press("u")
        await wait_screen(pilot, TextFieldsForm)
        await pilot.press("ctrl+s")
        await wait_screen(pilot, CrewsScreen)
        assert container.services.crew(world.crews["救援1组"]).status is CrewStatus.AVAILABLE


async def test_a_crews_position_bad_input_on_the_field_nothing_lost(
    session: Sessions, world: World
) -> None:
    app, container = session(user="operator2")  # an operator may: radioed in by the crew
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_crews(pilot)
        await select_crew(pilot, screen, "救援3组")
        await pilot.press("p")
        form: TextFieldsForm = await wait_screen(pilot, TextFieldsForm)
        await pilot.press(*"shennan road", "ctrl+s")
        await settle(pilot)
        assert "latitude, longitude" in field_error(form, "position")
        assert form.query_one("#tf-position", Input).value == "shennan road"
        form.query_one("#tf-position", Input).value = "22.61, 114.12"
        await pilot.press("ctrl+s")
        await wait_screen(pilot, CrewsScreen)
        crew = container.services.crew(world.crews["救援3组"])
        assert (crew.lat, crew.lon) == (22.61, 114.12)


async def test_an_operator_sees_the_supervisors_keys_dimmed_and_is_told_at_once(
    session: Sessions, world: World
) -> None:
    app, container = session(user="operator2")
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_crews(pilot)
        note = str(screen.query_one("#crews-note", Static).render())
        assert "supervisor's decisions" in note
        assert screen.check_action("off_duty", ()) is None  # dimmed in the footer
        assert screen.check_action("set_position", ()) is True
        await select_crew(pilot, screen, "救援1组")
        for key in ("o", "s", "u", "R"):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, CrewsScreen)  # no form opened
        told = [m for m in messages(app) if "may not" in m]
        assert len(told) == 4
        assert "王芳 (Operator) may not take a crew off duty" in told[0]
        assert "reassign a crew" in told[3]
        assert container.services.crew(world.crews["救援1组"]).status is CrewStatus.AVAILABLE


async def test_two_supervisors_the_second_is_refused_naming_the_first(
    session: Sessions, world: World
) -> None:
    app, container = session()
    StaffDirectory(container.services).add("lina", "李娜", Role.SUPERVISOR)
    _other_app, other = session(user="lina")
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_crews(pilot)
        await select_crew(pilot, screen, "救援2组")
        await pilot.press("o")
        form: TextFieldsForm = await wait_screen(pilot, TextFieldsForm)
        crew = other.services.crew(world.crews["救援2组"])
        other.services.set_crew_duty(
            crew.id, CrewStatus.OUT_OF_SERVICE, "刹车故障", version=crew.version
        )
        await pilot.press(*"end of shift", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TextFieldsForm)
        said = str(form.query_one("#tf-message", Static).render())
        assert "李娜" in said and "Out of service" in said
        assert form.query_one("#tf-reason", Input).value == "end of shift"  # nothing lost
        await pilot.press("escape")
        await wait_screen(pilot, CrewsScreen)
        await wait_for(
            pilot,
            lambda: any(r.crew.status is CrewStatus.OUT_OF_SERVICE for r in screen.rows),
        )
        # Offered again with what was typed.
        await select_crew(pilot, screen, "救援2组")
        await pilot.press("o")
        again: TextFieldsForm = await wait_screen(pilot, TextFieldsForm)
        assert again.query_one("#tf-reason", Input).value == "end of shift"


# -- the case: reassign, extend the promise --------------------------------------------------------


async def test_a_supervisor_reassigns_a_case_from_the_case_detail(
    session: Sessions, world: World
) -> None:
    app, container = session()
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        await app.push_screen(CaseDetailScreen(world.moving))
        await settle(pilot)
        await pilot.press("R")
        picker: DispatchScreen = await wait_screen(pilot, DispatchScreen)
        await wait_for(pilot, lambda: bool(picker.options))
        assert picker.reassign
        await pilot.press("enter")
        form: TextFieldsForm = await wait_screen(pilot, TextFieldsForm)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Give the reason" in field_error(form, "reason")
        await pilot.press(*"tow truck broke down", "enter")
        await wait_screen(pilot, CaseDetailScreen)
        case = container.services.case(world.moving)
        assert case.crew_id != world.crews["救援4组"] and case.status is CaseStatus.DISPATCHED
        last = container.services.timeline(world.moving)[-1]
        assert (last.kind, last.details["reason"]) == ("reassigned", "tow truck broke down")
        await settle(pilot)
        timeline = shown(app, "#detail-timeline")
        assert "Crew reassigned" in timeline


async def test_a_supervisor_extends_the_promise_without_force_majeure(
    session: Sessions, world: World
) -> None:
    app, container = session()
    before = container.services.case(world.moving)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        detail = CaseDetailScreen(world.moving)
        await app.push_screen(detail)
        await settle(pilot)
        await pilot.press("T")
        form: TextFieldsForm = await wait_screen(pilot, TextFieldsForm)
        await pilot.press(*"soon", "ctrl+s")
        await settle(pilot)
        assert field_error(form, "promise") and "Give the reason" in field_error(form, "reason")
        assert form.query_one("#tf-promise", Input).value == "soon"
        later = before.promised_arrival_at.astimezone(container.services.tz)  # type: ignore[union-attr]
        form.query_one("#tf-promise", Input).value = (later.replace(second=0)).strftime("%H:%M")
        form.query_one("#tf-reason", Input).focus()
        await pilot.press(*"owner agreed", "ctrl+s")
        await settle(pilot)
        assert "later than the promise in force" in field_error(form, "promise")
        form.query_one("#tf-promise", Input).value = (
            later.replace(second=0) + timedelta(minutes=25)
        ).strftime("%H:%M")
        await pilot.press("ctrl+s")
        await wait_screen(pilot, CaseDetailScreen)
        case = container.services.case(world.moving)
        assert case.original_promised_at == before.original_promised_at
        assert case.promised_arrival_at > before.promised_arrival_at  # type: ignore[operator]
        last = container.services.timeline(world.moving)[-1]
        assert (last.kind, last.details["reason"]) == ("promise_extended", "owner agreed")
        await settle(pilot)
        timeline = shown(app, "#detail-timeline")
        assert "Promise extended by a supervisor" in timeline


async def test_an_operator_is_told_at_once_on_the_case(session: Sessions, world: World) -> None:
    app, container = session(user="operator2")
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        detail = CaseDetailScreen(world.moving)
        await app.push_screen(detail)
        await settle(pilot)
        assert detail.check_action("extend_promise", ()) is None
        for key in ("T", "R"):
            await pilot.press(key)
            await settle(pilot)
            assert app.screen is detail
        told = [m for m in messages(app) if "may not" in m]
        assert "extend a deadline without a force-majeure reason" in told[0]
        assert "reassign a crew" in told[1]
        assert container.services.case(world.moving).version == detail.case.version  # type: ignore[union-attr]


# -- the tariff and policy -----------------------------------------------------------------------


async def test_the_tariff_and_policy_in_force(session: Sessions) -> None:
    app, _container = session()
    async with app.run_test(size=(160, 45)) as pilot:
        await open_crews(pilot)
        await pilot.press("t")
        await wait_screen(pilot, PolicyScreen)
        text = shown(app, "#policy-text")
        for part in ("Roadside rescue", "≤ 10 km: 40 min", "Response", "5 min", "¥200.00"):
            assert part in text, part
        await pilot.press("escape")
        await wait_screen(pilot, CrewsScreen)


# -- snapshots -----------------------------------------------------------------------------------

SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 45)], ids=["80x24", "160x45"])
LANGUAGES = pytest.mark.parametrize("language", ["zh_CN", "en"])


@LANGUAGES
@SIZES
def test_snapshot_crews(
    snap_compare: Any, session: Sessions, world: World, language: str, size: tuple[int, int]
) -> None:
    app, container = session(language=language, feed_interval=3600)
    services = container.services
    crew = services.crew(world.crews["救援2组"])
    services.set_crew_duty(
        crew.id or 0, CrewStatus.OUT_OF_SERVICE, "绞盘故障", version=crew.version
    )

    async def run(pilot: Pilot[Any]) -> None:
        await open_crews(pilot)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run)


@LANGUAGES
@SIZES
def test_snapshot_crews_as_an_operator(
    snap_compare: Any, session: Sessions, language: str, size: tuple[int, int]
) -> None:
    app, _container = session(language=language, user="operator2", feed_interval=3600)

    async def run(pilot: Pilot[Any]) -> None:
        await open_crews(pilot)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run)


@LANGUAGES
@SIZES
def test_snapshot_policy(
    snap_compare: Any, session: Sessions, language: str, size: tuple[int, int]
) -> None:
    app, _container = session(language=language, feed_interval=3600)

    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        app.open_policy()
        await wait_screen(pilot, PolicyScreen)

    assert snap_compare(app, terminal_size=size, run_before=run)


@LANGUAGES
@SIZES
def test_snapshot_extend_promise(
    snap_compare: Any, session: Sessions, world: World, language: str, size: tuple[int, int]
) -> None:
    app, _container = session(language=language, feed_interval=3600)

    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await app.push_screen(CaseDetailScreen(world.moving))
        await settle(pilot)
        await pilot.press("T")
        await wait_screen(pilot, TextFieldsForm)
        await pilot.press("ctrl+s")
        await settle(pilot)
        _steady(pilot)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run)


@LANGUAGES
@SIZES
def test_snapshot_reassign(
    snap_compare: Any, session: Sessions, world: World, language: str, size: tuple[int, int]
) -> None:
    app, _container = session(language=language, feed_interval=3600)

    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await app.push_screen(CaseDetailScreen(world.moving))
        await settle(pilot)
        await pilot.press("R")
        picker = await wait_screen(pilot, DispatchScreen)
        await wait_for(pilot, lambda: bool(picker.options))
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run)
