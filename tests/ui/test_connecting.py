"""The application before its session is connected (the interactive start, callcenter.cli).

The frame is up and says it is loading; nothing that needs the database runs (a key says it
is still connecting); once ``connect`` returns, the board fills and the SLA watch starts. A
``connect`` that fails ends the application with the error kept for the command line.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from callcenter import bootstrap
from callcenter.clock import ManualClock
from callcenter.errors import DatabaseUnavailable
from callcenter.settings import Settings
from screens.app import CallCenterApp, Session
from screens.board.board import BoardScreen
from screens.intake.intake import IntakeScreen
from screens.widgets.case_board import CaseBoard
from tests.conftest import FIXED_NOW


async def wait_for(pilot: Pilot[Any], condition: Callable[[], bool], tries: int = 300) -> None:
    for _attempt in range(tries):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("condition not met")


def first_reading(settings: Settings, built: list[bootstrap.Container]) -> tuple[Any, Any, Any]:
    """A session built as the command line builds it: the change feed opened, then the
    board's first reading (the open cases and the crews) made in the connect thread."""
    container = bootstrap.build(settings, clock=ManualClock(FIXED_NOW))
    built.append(container)
    feed = container.change_feed()
    return container, feed, (container.services.open_cases(), container.services.crews())


def counter_text(app: CallCenterApp) -> str:
    return str(app.screen.query_one("#count-open").render())


async def test_keys_wait_for_the_session_then_the_board_fills(demo_url: str) -> None:
    settings = Settings(database_url=demo_url, language="en", user="tester")
    go = threading.Event()
    built: list[bootstrap.Container] = []

    def connect() -> Session:
        assert go.wait(10)
        container = bootstrap.build(settings, clock=ManualClock(FIXED_NOW))
        built.append(container)
        return bootstrap.session(container)

    app = CallCenterApp(settings, connect=connect, clock=ManualClock(FIXED_NOW), watch=True)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(0.1)
            assert isinstance(app.screen, BoardScreen)
            assert not app.connected and "Loading" in counter_text(app)
            await pilot.press("n")  # a new call needs the database: not yet
            await pilot.pause(0.05)
            assert not isinstance(app.screen, IntakeScreen)
            assert any("Connecting" in str(n.message) for n in app._notifications)
            assert not app.watching
            go.set()
            await wait_for(pilot, lambda: app.connected and app.screen.loaded)
            assert app.screen.query_one(CaseBoard).row_count > 0
            assert app.sub_title.startswith("tester")
            await wait_for(pilot, lambda: app.watching)  # after the board has its cases
            await pilot.press("n")
            await wait_for(pilot, lambda: isinstance(app.screen, IntakeScreen))
    finally:
        go.set()
        for container in built:
            container.close()


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_a_failed_connect_ends_the_app_with_the_error(demo_url: str, language: str) -> None:
    settings = Settings(database_url=demo_url, language=language, user="tester")

    def connect() -> Session:
        raise DatabaseUnavailable("The database cannot be reached: test")

    app = CallCenterApp(settings, connect=connect, clock=ManualClock(FIXED_NOW))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.startup_error is not None)
        await pilot.pause(0.1)
    assert isinstance(app.startup_error, DatabaseUnavailable)
    assert app.return_code == 1


def test_give_a_session_or_a_way_to_connect() -> None:
    settings = Settings(database_url="sqlite://", language="en", user="tester")
    with pytest.raises(TypeError):
        CallCenterApp(settings)


async def test_a_call_taken_between_the_first_reading_and_the_start_still_shows(
    demo_url: str,
) -> None:
    """The feed is opened before the board's first reading (as the command line does): a
    case saved by another session after that reading reaches the board through the feed."""
    from dataclasses import replace

    from callcenter.domain import Role
    from tests.factories import intake

    settings = Settings(database_url=demo_url, language="en", user="tester")
    built: list[bootstrap.Container] = []
    taken: list[int] = []

    def connect() -> Session:
        container, feed, board = first_reading(settings, built)
        container.services.ensure_staff("nina", "王娜", Role.OPERATOR)
        other = bootstrap.build(replace(settings, user="nina"), clock=ManualClock(FIXED_NOW))
        built.append(other)
        case = other.services.take_call(intake(plate="粤B77777", phone="13977778888"))
        taken.append(case.id)
        return bootstrap.session(container, feed=feed, board=board)

    app = CallCenterApp(settings, connect=connect, clock=ManualClock(FIXED_NOW))
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.connected and app.screen.loaded)
            board = app.screen.query_one(CaseBoard)
            await wait_for(pilot, lambda: taken[0] in board.case_ids)
    finally:
        for container in built:
            container.close()


async def test_the_first_reading_fills_the_rows_then_the_day_counters(demo_url: str) -> None:
    """As the command line connects (the open cases and crews read in the connect thread):
    the rows come from that reading, and today's arrivals and satisfaction are read after
    them, once the rows are painted."""
    settings = Settings(database_url=demo_url, language="en", user="tester")
    built: list[bootstrap.Container] = []
    expected: list[tuple[int, int]] = []

    def connect() -> Session:
        container, feed, board = first_reading(settings, built)
        expected.append(container.services.arrivals_today())
        return bootstrap.session(container, feed=feed, board=board)

    app = CallCenterApp(settings, connect=connect, clock=ManualClock(FIXED_NOW))
    gc.disable()  # as the command line starts it: on again once connected
    try:
        async with app.run_test(size=(160, 45)) as pilot:
            await wait_for(pilot, lambda: app.connected and app.screen.loaded)
            assert gc.isenabled()
            screen = app.screen
            assert isinstance(screen, BoardScreen)
            assert screen.query_one(CaseBoard).row_count > 0
            arrived, punctual = expected[0]
            assert arrived, "the demo data has arrivals today"
            pct = round(100 * punctual / arrived)
            text = f"On time today {pct}% ({punctual}/{arrived})"
            await wait_for(pilot, lambda: str(screen.query_one("#count-on-time").render()) == text)
    finally:
        gc.enable()
        for container in built:
            container.close()
