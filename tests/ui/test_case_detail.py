"""Pilot tests of the case detail: fields, timeline, the whole lifecycle by its keys."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from callcenter.clock import ManualClock
from callcenter.domain import CaseStatus, CrewStatus
from screens.case.detail import CaseDetailScreen
from screens.case.dispatch import DispatchScreen
from screens.records.record_form import RecordScreen
from screens.records.report_back import ReportBackScreen
from screens.widgets.modals import CancelReasonModal, ChecklistModal, ChecklistView, ConfirmModal
from tests.factories import feedback_reached
from tests.ui.test_dispatch import (
    HOSTILE,
    Session,
    Sessions,
    World,
    copy_world,
    notices,
    settle,
    shown,
    wait_for,
)


@pytest.fixture
def world(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> World:
    return copy_world(tmp_path, tmp_path_factory)


@pytest.fixture
def session(world: World) -> Iterator[Sessions]:
    sessions = Sessions(world)
    yield sessions
    sessions.close()


async def open_detail(pilot: Pilot[Any], case_id: int) -> CaseDetailScreen:
    screen = CaseDetailScreen(case_id)
    await pilot.app.push_screen(screen)
    await settle(pilot)
    return screen


async def press_and_settle(pilot: Pilot[Any], *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


async def confirm_yes(pilot: Pilot[Any], modal: ConfirmModal) -> None:
    """Wait until the confirmation is armed (its yes button enabled and focused), then Enter."""
    yes = modal.query_one("#yes")
    await wait_for(pilot, lambda: not yes.disabled and pilot.app.focused is yes)
    await pilot.press("enter")


async def wait_modal(pilot: Pilot[Any], kind: type) -> Any:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, kind))
    return pilot.app.screen


def errors(app: Any) -> list[str]:
    return [str(n.message) for n in app._notifications if n.severity == "error"]


async def test_detail_shows_every_field_the_crew_clocks_and_timeline(
    session: Session, world: World
) -> None:
    app, container = session()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_detail(pilot, world.moving)
        case = container.services.case(world.moving)
        fields = shown(app, "#detail-case")
        for text in (
            case.number,
            "En route",
            "刘洋",
            "139 2222 3333",
            "粤B66666",
            "比亚迪汉",
            "深圳市南山区科技园南区高新南一道",
            "22.54050, 113.95300",
            "15 km from the depot",
            "动力电池报警",
            "Towing",
            "¥0.00",
        ):
            assert text in fields, text
        times = shown(app, "#detail-times")
        # received 22:05, promised 60 min later (15 km), dispatched 22:08, en route 22:10
        for text in ("2026-11-22 22:05", "23:05", "22:08", "22:10"):
            assert text in times, text
        crew = shown(app, "#detail-crew")
        assert "救援4组" in crew and "赵磊" in crew and "139 0000 1111" in crew
        clocks = shown(app, "#detail-sla")
        assert "Response" in clocks and "Met" in clocks
        assert "Arrival" in clocks and "On track" in clocks and "35:00 left" in clocks
        timeline = shown(app, "#detail-timeline")
        for text in (
            "Call received",
            "promised arrival 23:05",
            "Crew dispatched",
            "crew 救援4组",
            "Crew en route",
            "tester",
        ):
            assert text in timeline, text


async def test_whole_lifecycle_by_keys(session: Session, world: World) -> None:
    app, container = session()
    services = container.services

    def status() -> CaseStatus:
        return services.case(world.ready).status

    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_detail(pilot, world.ready)
        await press_and_settle(pilot, "d")
        assert isinstance(app.screen, DispatchScreen)
        await press_and_settle(pilot, "enter")
        assert app.screen is screen and status() is CaseStatus.DISPATCHED
        assert "Dispatched" in shown(app, "#detail-header")

        # r asks first: an Enter typed with it answers no (the yes button is not armed yet —
        # kept unarmed here so that a loaded machine's slow key delivery cannot arm it);
        # Enter once it is armed answers yes.
        armed_after = ConfirmModal.ARM_SECONDS
        ConfirmModal.ARM_SECONDS = 60
        try:
            await pilot.press("r", "enter")
            await settle(pilot)
        finally:
            ConfirmModal.ARM_SECONDS = armed_after
        assert app.screen is screen and status() is CaseStatus.DISPATCHED
        await pilot.press("r")
        await confirm_yes(pilot, await wait_modal(pilot, ConfirmModal))
        await wait_for(pilot, lambda: status() is CaseStatus.EN_ROUTE)
        await settle(pilot)
        assert status() is CaseStatus.EN_ROUTE
        assert "En route" in shown(app, "#detail-header")

        # On scene at 22:30: night, so three items; refused until every one is ticked.
        await pilot.press("a")
        checklist = await wait_modal(pilot, ChecklistModal)
        view = checklist.query_one(ChecklistView)
        assert len(view.labels) == 3 and "[ ] 3. At night" in view.render().plain
        await pilot.press("enter")
        await pilot.pause()
        assert "Not yet done" in shown(app, "#checklist-error")
        await pilot.press("1", "2", "enter")
        await pilot.pause()
        assert app.screen is checklist
        assert "position and rear lights" in shown(app, "#checklist-error")
        await pilot.press("3")
        assert view.render().plain.count("[✓]") == 3
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen and status() is CaseStatus.ON_SCENE
        arrived = services.timeline(world.ready)[-1]
        assert arrived.kind == "arrived"
        assert arrived.details["checklist"] == {
            "hazard_lights": True,
            "warning_sign": True,
            "night_lights": True,
        }

        # c opens the service record: a save with fields left blank names each of them and
        # keeps what was typed; filled in, it completes the case.
        await pilot.press("c")
        record = await wait_modal(pilot, RecordScreen)
        assert app.focused is record.query_one("#rec-cause")
        await pilot.press(*"flat battery")
        await press_and_settle(pilot, "ctrl+s")
        assert app.screen is record and status() is CaseStatus.ON_SCENE
        assert set(record.errors) == {"solution", "parts", "warranty", "accepted"}
        assert record.query_one("#rec-cause", TextArea).text == "flat battery"
        record.query_one("#rec-solution", TextArea).focus()
        await pilot.press(*"jump start")
        await pilot.click("#rec-no_parts")
        await pilot.click("#rec-warranty-out")
        await pilot.click("#rec-accepted-yes")
        await pilot.click("#rec-method-signed")
        await press_and_settle(pilot, "ctrl+s")
        await wait_for(pilot, lambda: app.screen is screen)
        assert status() is CaseStatus.COMPLETED
        saved = services.service_record(world.ready)
        assert saved is not None and saved.is_valid and saved.cause == "flat battery"
        await settle(pilot)
        assert "Accepted by the owner" in shown(app, "#detail-record")

        # b asks for the report-back; its defaults are a complete report.
        await pilot.press("b")
        await wait_modal(pilot, ReportBackScreen)
        await press_and_settle(pilot, "ctrl+s")
        await wait_for(pilot, lambda: app.screen is screen)
        assert status() is CaseStatus.REPORTED_BACK
        crew = next(c for c in services.crews() if c.id == services.case(world.ready).crew_id)
        assert crew.status is CrewStatus.AVAILABLE and crew.current_case_id is None
        assert services.ledger_entry(world.ready) is not None

        # l says what is missing: the feedback call.
        await press_and_settle(pilot, "l")
        assert "feedback call is not finished" in errors(app)[-1]
        assert status() is CaseStatus.REPORTED_BACK
        feedback_reached(services, world.ready)
        # The feedback call changed the case (its feedback time): the detail shows it through
        # the change feed before the operator closes it, or the close would meet a stale version.
        await wait_for(
            pilot,
            lambda: (
                screen.case is not None
                and screen.case.version == services.case(world.ready).version
            ),
        )

        await pilot.press("l")
        await confirm_yes(pilot, await wait_modal(pilot, ConfirmModal))
        await wait_for(pilot, lambda: status() is CaseStatus.CLOSED)
        await settle(pilot)
        timeline = shown(app, "#detail-timeline")
        for text in (
            "Crew dispatched",
            "Crew en route",
            "Arrived on scene",
            "Rescue completed",
            "Service record saved",
            "Crew reported back",
            "Case closed",
        ):
            assert text in timeline, text
        number = services.case(world.ready).number
        assert f"{number}: case closed." in notices(app)
        assert len(errors(app)) == 1  # the refused close


async def test_checklist_by_day_has_two_items(session: Session, world: World) -> None:
    noon = ManualClock(datetime(2026, 11, 23, 4, 0, tzinfo=UTC))  # 12:00 in Shanghai
    app, container = session(clock=noon)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_detail(pilot, world.moving)
        await pilot.press("a")
        checklist = await wait_modal(pilot, ChecklistModal)
        assert len(checklist.query_one(ChecklistView).labels) == 2
        await pilot.press("space", "down", "space", "enter")
        await settle(pilot)
    assert container.services.case(world.moving).status is CaseStatus.ON_SCENE


async def test_arriving_before_dispatch_is_refused(session: Session, world: World) -> None:
    app, container = session()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_detail(pilot, world.ready)
        await press_and_settle(pilot, "a")
        assert app.screen is screen  # no checklist for a step that cannot happen
        number = container.services.case(world.ready).number
        assert errors(app) == [f"Case {number} is Received: cannot mark it On scene."]
        await press_and_settle(pilot, "c")
        assert app.screen is screen
        assert "the service record is written on scene" in errors(app)[-1]
    assert container.services.case(world.ready).status is CaseStatus.RECEIVED


async def test_dispatching_a_dispatched_case_is_refused(session: Session, world: World) -> None:
    app, _container = session()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_detail(pilot, world.moving)
        await press_and_settle(pilot, "d")
        assert app.screen is screen
        assert "only a received case can be dispatched" in errors(app)[-1]


async def test_cancel_requires_a_reason(session: Session, world: World) -> None:
    app, container = session()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_detail(pilot, world.moving)
        await pilot.press("x")
        modal = await wait_modal(pilot, CancelReasonModal)
        await pilot.press("space", "enter")
        await pilot.pause()
        assert app.screen is modal
        assert "Give the reason for cancelling." in shown(app, "#cancel-error")
        await pilot.press(*"owner fixed it")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        assert "Cancelled" in shown(app, "#detail-header")
        assert "owner fixed it" in shown(app, "#detail-case")
        assert "reason: owner fixed it" in shown(app, "#detail-timeline")
    case = container.services.case(world.moving)
    assert case.status is CaseStatus.CANCELLED and case.cancel_reason == "owner fixed it"
    crew = next(c for c in container.services.crews() if c.id == case.crew_id)
    assert crew.status is CrewStatus.AVAILABLE


async def test_cancel_reason_is_kept_when_the_save_fails(session: Session, world: World) -> None:
    app, container = session(feed_interval=3600)
    _other_app, other = session(user="operator2")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_detail(pilot, world.moving)
        await pilot.press("x")
        await wait_modal(pilot, CancelReasonModal)
        await pilot.press(*"duplicate call")
        other.services.arrive(world.moving, _all_ticked(), None)  # meanwhile, elsewhere
        await pilot.press("enter")
        await settle(pilot)
        number = container.services.case(world.moving).number
        assert f"Case {number} was changed by 王芳 at 22:30." in errors(app)[-1]
        assert container.services.case(world.moving).status is CaseStatus.ON_SCENE

        await pilot.press("x")  # the screen has reloaded (newer version) after the failure
        modal = await wait_modal(pilot, CancelReasonModal)
        assert modal.query_one(Input).value == "duplicate call"
        await pilot.press("enter")
        await settle(pilot)
    assert container.services.case(world.moving).cancel_reason == "duplicate call"


def _all_ticked() -> Any:
    from callcenter.services import Checklist

    return Checklist(hazard_lights=True, warning_sign=True, night_lights=True)


async def test_detail_follows_other_sessions_live(session: Session, world: World) -> None:
    app, _container = session(feed_interval=0.05)
    _other_app, other = session(user="operator2")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_detail(pilot, world.moving)
        other.services.arrive(world.moving, _all_ticked(), None)
        await wait_for(pilot, lambda: "On scene" in shown(app, "#detail-header"))
        await wait_for(pilot, lambda: "Arrived on scene" in shown(app, "#detail-timeline"))
        assert "王芳" in shown(app, "#detail-timeline")


async def test_caller_text_is_shown_verbatim_and_does_nothing(
    session: Session, world: World
) -> None:
    app, _container = session()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_detail(pilot, world.hostile)
        fields = shown(app, "#detail-case")
        assert HOSTILE in fields  # the plate
        assert HOSTILE + " 深南大道" in fields  # the address
        assert "[b]王[/b]" in fields and "[red]不能启动[/red]" in fields
        assert HOSTILE in shown(app, "#detail-header")
        # Click along the plate and address rows (1 border line, then a row per field).
        for y in (6, 8):
            for x in (17, 21, 26, 31):
                await pilot.click("#detail-case", offset=(x, y))
        assert app.is_running and isinstance(app.screen, CaseDetailScreen)


async def test_escape_goes_back(session: Session, world: World) -> None:
    app, _container = session()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_detail(pilot, world.ready)
        await press_and_settle(pilot, "escape")
        assert app.screen is not screen


# -- snapshots ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_snapshot_case_detail(
    snap_compare: Any, session: Session, world: World, language: str, size: tuple[int, int]
) -> None:
    app, _container = session(language=language, feed_interval=3600)

    async def run_before(pilot: Pilot[Any]) -> None:
        await open_detail(pilot, world.moving)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
