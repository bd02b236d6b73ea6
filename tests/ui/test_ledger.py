"""The rescue ledger screen (issue 12 §1–2): F4 from the board, filters (a bad date named on its
field), scrolling past the first page, Enter opens the case, a ledger row written elsewhere
shows up live, the export with its progress bar and its cancel; snapshots in both languages at
80×24 and 160×45."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select

from callcenter.domain import CaseStatus
from callcenter.records.ledger_query import LedgerFilter
from screens.case.detail import CaseDetailScreen
from screens.ledger.export import ExportScreen
from screens.ledger.ledger import PAGE, LedgerScreen
from tests.factories import record_input, report_input
from tests.ui.test_delay_prompt import settle, wait_for


async def open_ledger(pilot: Pilot[Any]) -> LedgerScreen:
    await settle(pilot)
    await pilot.press("f4")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, LedgerScreen)
    return screen


def _steady(pilot: Pilot[Any]) -> None:
    for screen in pilot.app.screen_stack:
        for widget in screen.query("Input"):
            widget.cursor_blink = False  # type: ignore[attr-defined]


async def _sized(pilot: Pilot[Any]) -> None:
    """The tables size their columns when next idle: wait for it, so that the picture does
    not depend on when it is taken (on a loaded machine, before or after)."""
    quiet = 0
    for _attempt in range(300):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        pending = [
            t
            for screen in pilot.app.screen_stack
            for t in screen.query(DataTable)
            if t._require_update_dimensions or t._new_rows  # type: ignore[attr-defined]
        ]
        busy = any(w.is_running for w in pilot.app.workers)
        quiet = 0 if pending or busy else quiet + 1
        if quiet >= 3:
            break
        await pilot.pause(0.02)


async def test_f4_opens_the_ledger_newest_first_and_scrolls_past_a_page(make_app: Any) -> None:
    app, container = make_app(watch=False)
    everything = container.services.ledger_count(LedgerFilter())
    assert everything > PAGE  # the demo has more than a page
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_ledger(pilot)
        assert len(screen.rows) == PAGE and not screen.complete
        times = [(e.received_at, e.case_id) for e in screen.rows]
        assert times == sorted(times, reverse=True)
        # F4 again does not stack a second ledger
        await pilot.press("f4")
        await settle(pilot)
        assert sum(isinstance(s, LedgerScreen) for s in app.screen_stack) == 1
        table = screen.query_one("#ledger-table", DataTable)
        table.focus()
        for _page in range(10):
            await pilot.press("ctrl+end")
            await settle(pilot)
            if screen.complete:
                break
        assert screen.complete and len(screen.rows) == everything
        ids = [e.case_id for e in screen.rows]
        assert len(set(ids)) == len(ids)
        assert table.row_count == everything
        assert f"{everything} rows" in str(screen.query_one("#ledger-status").render())


async def test_filters_and_a_bad_date_on_its_field(make_app: Any) -> None:
    app, container = make_app(watch=False)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_ledger(pilot)
        before = len(screen.rows)
        date_from = screen.query_one("#lf-date_from", Input)
        date_from.focus()
        await pilot.press(*"2026-02-30")
        await settle(pilot)
        assert date_from.has_class("-invalid")
        assert "There is no such date." in str(screen.query_one("#ledger-error").render())
        assert len(screen.rows) == before  # the rows stay as they were
        date_from.value = ""
        await settle(pilot)
        assert not date_from.has_class("-invalid")
        # the choices were read from the crews and the staff
        crew = screen.query_one("#lf-crew", Select)
        codes = [value for _label, value in crew._options if isinstance(value, str)]
        assert codes
        crew.value = codes[0]
        screen.query_one("#lf-on_time", Select).value = "on_time"
        await settle(pilot)
        assert screen.rows
        assert all(e.crew_code == codes[0] and e.on_time is True for e in screen.rows)
        wanted = container.services.ledger_count(screen.filter)
        assert len(screen.rows) == min(wanted, PAGE)
        # free text: a plate
        plate = screen.rows[0].plate
        text = screen.query_one("#lf-text", Input)
        text.value = plate.lower()
        await settle(pilot)
        assert screen.rows and all(e.plate == plate for e in screen.rows)
        text.value = "没有这个人"
        await settle(pilot)
        assert screen.rows == []
        assert "No rescue in the ledger matches" in str(screen.query_one("#ledger-status").render())
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert screen.filter.is_empty and len(screen.rows) == PAGE


async def test_enter_opens_the_case(make_app: Any) -> None:
    app, _container = make_app(watch=False)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_ledger(pilot)
        table = screen.query_one("#ledger-table", DataTable)
        table.focus()
        await pilot.press("down", "down")
        chosen = screen.rows[2].case_id
        await pilot.press("enter")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, CaseDetailScreen)
        assert detail.case_id == chosen
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen


async def test_a_ledger_row_written_elsewhere_shows_up(make_app: Any) -> None:
    app, container = make_app(watch=False)
    services = container.services
    case = next(c for c in services.open_cases() if c.status is CaseStatus.COMPLETED)
    if services.service_record(case.id) is None:
        services.save_record(case.id, record_input(services))
    assert services.ledger_entry(case.id) is None
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_ledger(pilot)
        assert case.id not in {e.case_id for e in screen.rows}
        services.save_report_back(case.id, report_input(services))  # another session
        await wait_for(pilot, lambda: case.id in {e.case_id for e in screen.rows})


async def test_export_with_progress(
    make_app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from python_calamine import CalamineWorkbook

    app, container = make_app(watch=False)
    seen: list[tuple[int, int]] = []
    original = ExportScreen._progress

    def progress(self: ExportScreen, done: int, total: int) -> None:
        seen.append((done, total))
        original(self, done, total)

    monkeypatch.setattr(ExportScreen, "_progress", progress)
    target = tmp_path / "out" / "台帐.xlsx"
    target.parent.mkdir()
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_ledger(pilot)
        screen.query_one("#lf-plan", Select).value = "towing"
        await settle(pilot)
        await pilot.press("ctrl+e")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ExportScreen)
        field = dialog.query_one("#export-file", Input)
        assert field.value.endswith(".xlsx")  # the default, in the data directory
        field.value = str(tmp_path / "out" / "ledger.pdf")
        await pilot.press("enter")
        await settle(pilot)
        assert "Export as .csv or .xlsx" in str(dialog.query_one("#export-error").render())
        field.value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        await wait_for(pilot, lambda: app.screen is screen)
    wanted = container.services.ledger_count(LedgerFilter(plan="towing"))
    assert seen[0] == (0, wanted) and seen[-1] == (wanted, wanted)
    rows = CalamineWorkbook.from_path(str(target)).get_sheet_by_index(0).to_python()
    assert len(rows) == wanted + 1
    assert list(target.parent.iterdir()) == [target]
    assert any("ledger rows written" in str(n.message) for n in app._notifications)


async def test_esc_cancels_the_export_and_leaves_no_file(make_app: Any, tmp_path: Path) -> None:
    app, _container = make_app(watch=False)
    target = tmp_path / "out" / "ledger.csv"
    target.parent.mkdir()
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_ledger(pilot)
        await pilot.press("ctrl+e")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ExportScreen)
        dialog.cancel_event.set()  # Esc pressed before the first batch was written
        dialog.query_one("#export-file", Input).value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        await wait_for(pilot, lambda: app.screen is screen)
        assert any("cancelled" in str(n.message) for n in app._notifications)
    assert list(target.parent.iterdir()) == []


async def test_esc_before_the_export_closes_the_dialog(make_app: Any) -> None:
    app, _container = make_app(watch=False)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_ledger(pilot)
        await pilot.press("ctrl+e")
        await settle(pilot)
        assert isinstance(app.screen, ExportScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, LedgerScreen)


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("size", [(80, 24), (160, 45)], ids=["80x24", "160x45"])
def test_snapshot_ledger(
    snap_compare: Any, make_app: Any, language: str, size: tuple[int, int]
) -> None:
    app, _container = make_app(language=language, watch=False, feed_interval=3600)

    async def run(pilot: Pilot[Any]) -> None:
        app.clear_notifications()
        await open_ledger(pilot)
        app.clear_notifications()
        _steady(pilot)
        await _sized(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run)


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("size", [(80, 24), (160, 45)], ids=["80x24", "160x45"])
def test_snapshot_ledger_filtered_with_a_bad_date(
    snap_compare: Any, make_app: Any, language: str, size: tuple[int, int]
) -> None:
    app, _container = make_app(language=language, watch=False, feed_interval=3600)

    async def run(pilot: Pilot[Any]) -> None:
        screen = await open_ledger(pilot)
        screen.query_one("#lf-plan", Select).value = "towing"
        screen.query_one("#lf-date_to", Input).value = "2026-11-31"
        await settle(pilot)
        app.clear_notifications()
        _steady(pilot)
        await _sized(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run)


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("size", [(80, 24), (160, 45)], ids=["80x24", "160x45"])
def test_snapshot_export(
    snap_compare: Any, make_app: Any, language: str, size: tuple[int, int]
) -> None:
    app, _container = make_app(language=language, watch=False, feed_interval=3600)

    async def run(pilot: Pilot[Any]) -> None:
        await open_ledger(pilot)
        await pilot.press("ctrl+e")
        await settle(pilot)
        app.screen.query_one("#export-file", Input).value = "/srv/callcenter/ledger-202611.xlsx"
        app.clear_notifications()
        _steady(pilot)
        await _sized(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run)


async def test_the_mouse_wheel_at_the_end_reads_the_next_page(make_app: Any) -> None:
    app, _container = make_app(watch=False)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_ledger(pilot)
        assert len(screen.rows) == PAGE
        table = screen.query_one("#ledger-table", DataTable)
        table.scroll_end(animate=False, immediate=True)
        await settle(pilot)
        assert len(screen.rows) > PAGE
        assert table.cursor_row == 0  # the cursor stays where it was


async def test_the_supervisor_board_opens_the_ledger_and_exports(
    demo_url: str, tmp_path: Path
) -> None:
    """Read is not restricted: the read-only board (a supervisor) has F4, Enter and Ctrl+E."""
    from callcenter import bootstrap
    from callcenter.clock import ManualClock
    from callcenter.settings import Settings
    from tests.conftest import FIXED_NOW

    settings = Settings(database_url=demo_url, language="en", user="chenjun", bell=False)
    container = bootstrap.build(settings, clock=ManualClock(FIXED_NOW), read_only=True)
    target = tmp_path / "out" / "ledger.csv"
    target.parent.mkdir()
    try:
        app = bootstrap.make_app(container, read_only=True)
        async with app.run_test(size=(160, 45)) as pilot:
            for _attempt in range(100):
                await pilot.pause(0.02)
                if app.connected:
                    break
            screen = await open_ledger(pilot)
            assert screen.rows
            await pilot.press("ctrl+e")
            await settle(pilot)
            assert isinstance(app.screen, ExportScreen)
            app.screen.query_one("#export-file", Input).value = str(target)
            await pilot.press("enter")
            await settle(pilot)
            await wait_for(pilot, lambda: app.screen is screen)
            screen.query_one("#ledger-table", DataTable).focus()
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, CaseDetailScreen)
    finally:
        container.close()
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
