"""Pilot tests and snapshots of the KPI dashboard (F10): it opens from the board and the
palette, PgUp/PgDn change the month, Enter on a figure or a day lists its cases, Enter on a
case opens it; the read-only supervisor board opens it too. The demo data is 90 days up to
22 November 2026 (22:30 in Shanghai)."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, OptionList, Static

from callcenter import bootstrap
from callcenter.clock import ManualClock
from callcenter.reports.dashboard import Figure, Month, Period, Pick
from callcenter.settings import Settings
from screens.case.detail import CaseDetailScreen
from screens.dashboard.charts import BarList, DayChart
from screens.dashboard.dashboard import DashboardScreen
from screens.dashboard.drill import CasesBehindScreen
from tests.conftest import FIXED_NOW
from tests.ui.test_delay_prompt import settle

NOV = Month(2026, 11)


def _title(screen: Any) -> str:
    return str(screen.query_one("#db-title", Static).render())


async def _open(pilot: Pilot[Any]) -> DashboardScreen:
    await settle(pilot)
    await pilot.press("f10")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, DashboardScreen)
    return screen


async def test_f10_opens_the_month_and_pgup_pgdn_change_it(make_app: Any) -> None:
    app, _container = make_app(watch=False, feed_interval=3600)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await _open(pilot)
        assert screen.month == NOV and "2026-11" in _title(screen)
        assert screen.data is not None and screen.data.month == NOV
        table = screen.query_one("#db-head", DataTable)
        assert table.row_count == 8 and len(table.columns) == 4
        calls = screen.data.headlines[Period.THIS]
        assert calls is not None and str(table.get_cell_at((0, 1))) == str(calls.calls)
        # the charts stop at today (22 November)
        assert len(screen.query_one("#db-on-time", DayChart).columns) == 22
        await pilot.press("pageup")
        await settle(pilot)
        assert screen.month == Month(2026, 10) and screen.data.month == Month(2026, 10)
        assert "2026-10" in _title(screen)
        assert len(screen.query_one("#db-on-time", DayChart).columns) == 31
        await pilot.press("pagedown", "pagedown")
        await settle(pilot)
        # not past this month: a month still to come has no figures
        assert screen.data.month == NOV and "2026-11" in _title(screen)
        await pilot.press("pageup", "t")
        await settle(pilot)
        assert screen.data.month == NOV
        await pilot.press("f10")  # once: a second F10 opens nothing more
        await settle(pilot)
        assert sum(isinstance(s, DashboardScreen) for s in app.screen_stack) == 1
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, DashboardScreen)


async def test_enter_on_a_figure_lists_its_cases_and_enter_opens_one(make_app: Any) -> None:
    app, container = make_app(watch=False, feed_interval=3600)
    services = container.services
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await _open(pilot)
        # the headline: "On-time arrival" of this month
        await pilot.press("down", "right", "enter")
        await settle(pilot)
        listing = app.screen
        assert isinstance(listing, CasesBehindScreen)
        assert listing.pick == Pick(Figure.ON_TIME, NOV)
        expected = services.dashboard_cases(Pick(Figure.ON_TIME, NOV))
        assert [b.case_id for b in listing.lines] == [b.case_id for b in expected]
        head = screen.data.headlines[Period.THIS] if screen.data else None
        assert head is not None and len(listing.lines) == head.arrived
        options = listing.query_one("#cb-list", OptionList)
        assert options.option_count == len(expected)
        assert expected[0].number in str(options.get_option_at_index(0).prompt)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CaseDetailScreen)
        assert app.screen.case_id == expected[0].case_id
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        # a day of a chart: the response chart's cursor starts on today
        screen.query_one("#db-response", DayChart).focus()
        await pilot.press("left", "enter")
        await settle(pilot)
        listing = app.screen
        assert isinstance(listing, CasesBehindScreen)
        day = screen.data.days[20].day if screen.data else None
        assert listing.pick == Pick(Figure.RESPONSE_P90, NOV, day, day)
        assert len(listing.lines) == screen.data.days[20].responses if screen.data else False
        assert "11-21" in str(listing.query_one("#cb-title", Static).render())
        await pilot.press("escape")
        await settle(pilot)
        # a week of satisfaction
        screen.query_one("#db-satisfaction", BarList).focus()
        await pilot.press("down", "enter")
        await settle(pilot)
        listing = app.screen
        assert isinstance(listing, CasesBehindScreen)
        assert listing.pick.figure is Figure.SATISFACTION
        week = screen.data.weeks[1] if screen.data else None
        assert week is not None and len(listing.lines) == week.rate.answered


async def test_the_palette_has_the_dashboard(make_app: Any) -> None:
    app, _container = make_app(watch=False, feed_interval=3600)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"KPI dash")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        await pilot.press("f1")
        await settle(pilot)
        help_text = str(app.screen.query_one("#help-text", Static).render())
        assert "Previous month" in help_text and "PgUp" in help_text


async def test_help_names_f10(make_app: Any) -> None:
    app, _container = make_app(watch=False, feed_interval=3600)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        help_text = str(app.screen.query_one("#help-text", Static).render())
        assert "f10" in help_text.lower() and "KPI dashboard" in help_text


async def test_the_read_only_board_opens_it(demo_url: str) -> None:
    settings = Settings(database_url=demo_url, language="en", user="tester", bell=False)
    container = bootstrap.build(settings, clock=ManualClock(FIXED_NOW), read_only=True)
    try:
        app = bootstrap.make_app(container, watch=False, feed_interval=3600)
        async with app.run_test(size=(160, 45)) as pilot:
            await settle(pilot)
            await pilot.press("f10")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, DashboardScreen) and screen.data is not None
            await pilot.press("pageup", "enter")
            await settle(pilot)
            assert isinstance(app.screen, CasesBehindScreen)
            assert app.screen.lines
    finally:
        container.close()


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("size", [(80, 24), (160, 45)], ids=["80x24", "160x45"])
def test_snapshot_dashboard(
    snap_compare: Any, make_app: Any, language: str, size: tuple[int, int]
) -> None:
    app, _container = make_app(language=language, watch=False, feed_interval=3600)

    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        app.open_dashboard()
        await settle(pilot)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run)


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("size", [(80, 24), (160, 45)], ids=["80x24", "160x45"])
def test_snapshot_cases_behind(
    snap_compare: Any, make_app: Any, language: str, size: tuple[int, int]
) -> None:
    app, _container = make_app(language=language, watch=False, feed_interval=3600)

    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        app.open_dashboard()
        await settle(pilot)
        await pilot.press("down", "right", "enter")  # on-time arrival this month: late first
        await settle(pilot)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run)
