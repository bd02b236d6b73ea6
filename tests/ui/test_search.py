"""Pilot tests of the case search: live results, open and closed cases, Enter opens."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import OptionList

from callcenter.domain import CaseStatus
from callcenter.search import search_terms
from screens.case.detail import CaseDetailScreen
from screens.search.search import SearchScreen
from tests.ui.test_dispatch import (
    HOSTILE,
    Session,
    Sessions,
    World,
    copy_world,
    plain,
    settle,
    shown,
)


@pytest.fixture
def world(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> World:
    return copy_world(tmp_path, tmp_path_factory)


@pytest.fixture
def session(world: World) -> Iterator[Sessions]:
    sessions = Sessions(world)
    yield sessions
    sessions.close()


async def open_search(pilot: Pilot[Any], results: list[int | None]) -> SearchScreen:
    screen = SearchScreen()
    await pilot.app.push_screen(screen, callback=results.append)
    await settle(pilot)
    return screen


def listed(screen: SearchScreen) -> list[str]:
    return [plain(o.prompt) for o in screen.query_one("#search-results", OptionList).options]


def test_phone_typed_with_separators_is_searched_as_digits() -> None:
    assert search_terms(" 138-1234 5678 ").phone == "8613812345678"
    assert search_terms("+86 139 2222 3333").phone == "8613922223333"
    assert search_terms("０７５５-８８８８ ６６６６").phone == "8675588886666"
    assert search_terms("8888 6666").phone == "88886666"
    assert search_terms("粤b·12 345").plate == "粤B12345"
    assert search_terms("20261203-0003").number == "20261203-0003"
    assert search_terms("张三").phone == "" and search_terms("张三").plate == ""


async def test_search_by_plate_and_open(session: Session, world: World) -> None:
    app, container = session()
    results: list[int | None] = []
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_search(pilot, results)
        await pilot.press(*"粤B66666")
        await settle(pilot)
        rows = listed(screen)
        assert len(rows) == 1 and "粤B66666" in rows[0] and "刘洋" in rows[0]
        await pilot.press("enter")
        await settle(pilot)
    assert results == [world.moving]
    assert container.services.case(world.moving).plate == "粤B66666"


async def test_search_finds_closed_cases_and_phones(session: Session, world: World) -> None:
    app, container = session()
    container.services.cancel(world.unagreed, "duplicate call")
    results: list[int | None] = []
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_search(pilot, results)
        await pilot.press(*"137 5555 6666")
        await settle(pilot)
        rows = listed(screen)
        assert len(rows) == 1 and "粤B88888" in rows[0] and "Cancelled" in rows[0]
        assert "1 found" in shown(app, "#search-status")
        await pilot.press("down", "enter")  # from the list, too
        await settle(pilot)
    assert results == [world.unagreed]
    assert container.services.case(world.unagreed).status is CaseStatus.CANCELLED


async def test_search_nothing_found_and_escape(session: Session, world: World) -> None:
    app, _container = session()
    results: list[int | None] = []
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_search(pilot, results)
        await pilot.press(*"no such place")
        await settle(pilot)
        assert listed(screen) == [] and "Nothing found." in shown(app, "#search-status")
        await pilot.press("enter")  # nothing to open: stays
        await settle(pilot)
        assert app.screen is screen
        await pilot.press("escape")
        await settle(pilot)
    assert results == [None]


async def test_search_shows_caller_text_verbatim(session: Session, world: World) -> None:
    app, _container = session()
    results: list[int | None] = []
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_search(pilot, results)
        await pilot.press(*"深南大道")
        await settle(pilot)
        rows = listed(screen)
        assert any(HOSTILE + " 深南大道" in row and "[b]王" in row for row in rows)
        index = next(i for i, row in enumerate(rows) if HOSTILE in row)
        await pilot.click("#search-results", offset=(70, index + 1))  # the address
        await settle(pilot)
        assert app.is_running and results == [world.hostile]  # a click selects, nothing else


async def test_search_from_the_board_opens_the_case(session: Session, world: World) -> None:
    app, _container = session()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash")  # the board's key for the search
        await settle(pilot)
        assert isinstance(app.screen, SearchScreen)
        await pilot.press(*"粤B66666")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CaseDetailScreen)
        assert app.screen.case_id == world.moving
