"""Pilot tests of ``callcenter board``: the application in read-only mode on a demo database.

A second container (another engine, as another operator's process) writes to the same file;
the board must follow, offer no write, and filter for itself alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Select, Static

from callcenter import bootstrap
from callcenter.clock import ManualClock
from callcenter.domain import Priority
from callcenter.settings import Settings
from screens.app import ActionsProvider, CallCenterApp
from screens.board.supervisor import BoardFilter, FilterScreen, SupervisorBoardScreen, is_late
from tests.conftest import FIXED_NOW
from tests.factories import intake

HOSTILE = "[@click=app.quit]x"
WRITE_ACTIONS = {
    "new_call",
    "dispatch",
    "en_route",
    "arrived",
    "completed",
    "reported_back",
    "cancel",
    "agree_fee",
    "case",
    "arrive",
    "complete",
    "report_back",
}
WRITE_KEYS = ("n", "d", "r", "a", "c", "b", "x", "f")

Board = Callable[..., tuple[CallCenterApp, bootstrap.Container]]


@pytest.fixture
def writer(demo_url: str) -> Iterator[bootstrap.Container]:
    """Another session on the same database: an operator who writes."""
    container = bootstrap.build(
        Settings(database_url=demo_url, language="en", user="tester", bell=False),
        clock=ManualClock(FIXED_NOW),
    )
    yield container
    container.close()


@pytest.fixture
def board(demo_url: str, writer: bootstrap.Container) -> Iterator[Board]:
    """``board()`` → (app, container): ``callcenter board`` as the supervisor 陈军."""
    containers: list[bootstrap.Container] = []

    def factory(**kwargs: Any) -> tuple[CallCenterApp, bootstrap.Container]:
        settings = Settings(database_url=demo_url, language="en", user="chenjun", bell=False)
        container = bootstrap.build(settings, clock=ManualClock(FIXED_NOW), read_only=True)
        containers.append(container)
        kwargs.setdefault("feed_interval", 0.05)
        return bootstrap.make_app(container, **kwargs), container

    yield factory
    for container in containers:
        container.close()


async def loaded(pilot: Pilot[Any]) -> SupervisorBoardScreen:
    for _attempt in range(200):
        screen = pilot.app.screen
        if isinstance(screen, SupervisorBoardScreen) and screen.loaded and screen.all_cases:
            await pilot.pause()
            return screen
        await pilot.pause(0.02)
    raise AssertionError("the board did not load")


async def wait_for(pilot: Pilot[Any], condition: Callable[[], bool], tries: int = 250) -> None:
    for _attempt in range(tries):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("condition not met")


def footer_actions(app: CallCenterApp) -> set[str]:
    return {
        b.action.rsplit(".", 1)[-1].split("(")[0]
        for (_ns, b, _enabled, _tip) in app.screen.active_bindings.values()
        if b.show
    }


def database_state(container: bootstrap.Container) -> tuple[int, list[tuple[int, int]]]:
    services = container.services
    with container.uow(write=False) as uow:
        audit_rows = len(uow.audit.recent(limit=100_000))
    return audit_rows, sorted((c.id, c.version) for c in services.open_cases())  # type: ignore[misc]


async def test_the_board_opens_read_only_with_no_write_key(board: Board) -> None:
    app, container = board()
    assert app.read_only and container.services.read_only
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await loaded(pilot)
        shown = footer_actions(app)
        assert not shown & WRITE_ACTIONS, shown
        assert {"filter", "late_only"} <= shown
        assert "read-only" in app.sub_title and "陈军" in app.sub_title
        assert len(screen.board.case_ids) == len(container.services.open_cases())


async def test_write_keys_links_and_actions_are_refused(
    board: Board, writer: bootstrap.Container
) -> None:
    app, _container = board()
    before = database_state(writer)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await loaded(pilot)
        for key in WRITE_KEYS:
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is screen, key
        for action in (
            "app.new_call",
            "screen.dispatch",
            "screen.cancel",
            "screen.agree_fee",
            "screen.en_route",
        ):
            await app.run_action(action)
            await pilot.pause()
            assert app.screen is screen, action
        assert any("read-only" in str(n.message) for n in app._notifications)
        await pilot.pause(0.1)
    assert database_state(writer) == before


async def test_the_palette_offers_no_write(board: Board) -> None:
    app, _container = board()
    async with app.run_test(size=(160, 45)) as pilot:
        await loaded(pilot)
        provider = ActionsProvider(app.screen)
        titles = [title for title, _help, _callback in provider._commands()]
        assert "New call" not in titles and "Quit" in titles
        from screens.board.board import BoardCommands

        board_titles = [t for t, _h, _c in BoardCommands(app.screen)._commands()]
        assert board_titles and not any(
            t.startswith(("New call", "Dispatch", "Cancel")) for t in board_titles
        )


async def test_caller_text_is_shown_verbatim_and_triggers_nothing(
    board: Board, writer: bootstrap.Container
) -> None:
    hostile = writer.services.take_call(
        intake(caller_name=HOSTILE, plate="粤B66666", address=HOSTILE + " 深南大道", notes=HOSTILE)
    )
    app, _container = board()
    before = database_state(writer)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await loaded(pilot)
        assert hostile.id in screen.board.case_ids
        assert HOSTILE in screen.board.cells(hostile.id)["place"]
        screen.board.select_case(hostile.id)
        await pilot.pause()
        for x in range(0, 150, 7):
            await pilot.click("#cases", offset=(x, 1 + screen.board.case_ids.index(hostile.id)))
        await pilot.pause()
        assert app.is_running
    assert database_state(writer) == before


async def test_filters_late_only_one_crew_one_priority(board: Board) -> None:
    app, container = board()
    now = container.clock.now()
    open_cases = container.services.open_cases()
    late = {c.id for c in open_cases if is_late(c, now)}
    assert 0 < len(late) < len(open_cases)  # the demo night has some late cases
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await loaded(pilot)
        await pilot.press("l")
        await wait_for(pilot, lambda: set(screen.board.case_ids) == late)
        label = str(screen.query_one("#board-filter", Static).content)
        assert "late only" in label and f"{len(late)} of {len(open_cases)}" in label
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(screen.board.case_ids) == len(open_cases))

        crew_id = next(c.crew_id for c in open_cases if c.crew_id is not None)
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, FilterScreen))
        modal = app.screen
        modal.query_one("#filter-crew", Select).value = crew_id
        await pilot.pause()
        await pilot.click("#filter-apply")
        await wait_for(pilot, lambda: app.screen is screen)
        assert screen.filter == BoardFilter(crew_id=crew_id)
        assert screen.board.case_ids == [c.id for c in open_cases if c.crew_id == crew_id]

        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, FilterScreen))
        app.screen.query_one("#filter-crew", Select).clear()
        app.screen.query_one("#filter-priority", Select).value = Priority.URGENT.value
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is screen)
        urgent = {c.id for c in open_cases if c.priority is Priority.URGENT}
        assert screen.filter == BoardFilter(priority=Priority.URGENT)
        assert set(screen.board.case_ids) == urgent


async def test_a_change_by_another_session_appears_live(
    board: Board, writer: bootstrap.Container
) -> None:
    app, _container = board()
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await loaded(pilot)
        case = writer.services.take_call(intake(plate="粤B77777", address="福田区新洲路"))
        await wait_for(pilot, lambda: case.id in screen.board.case_ids)
        assert "福田区新洲路" in screen.board.cells(case.id)["place"]
        # A late-only filter keeps following: the new case is not late, so it leaves.
        await pilot.press("l")
        await wait_for(pilot, lambda: case.id not in screen.board.case_ids)
        writer.services.cancel(case.id, "车主取消")
        await wait_for(pilot, lambda: case.id not in screen.all_cases)


async def test_one_boards_filter_does_not_touch_another(board: Board) -> None:
    first, _c1 = board()
    second, _c2 = board()
    async with first.run_test(size=(160, 45)) as p1, second.run_test(size=(160, 45)) as p2:
        one, two = await loaded(p1), await loaded(p2)
        await p1.press("l")
        await wait_for(p1, lambda: one.filter.late_only)
        await p2.pause(0.2)
        assert not two.filter.active
        assert len(two.board.case_ids) == len(two.all_cases) > len(one.board.case_ids)
