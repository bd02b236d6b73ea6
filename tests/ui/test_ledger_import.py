"""Pilot tests and snapshots of the ledger import screen (F9): a supervisor checks a messy
ledger (the refused rows listed with their reasons), then imports it; an operator is told
it needs a supervisor before typing anything."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from callcenter.services.ledger_import import refused_path
from screens.ledger_import.ledger_import import LedgerImportScreen
from tests.ledger_files import BAD_ROWS, messy_xlsx

FILE = "台帐2025.xlsx"


@pytest.fixture
def ledger_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The messy ledger in the working directory: typed as a short relative path."""
    folder = tmp_path / "files"
    folder.mkdir()
    messy_xlsx(folder / FILE)
    monkeypatch.chdir(folder)
    return folder


async def settle(pilot: Pilot[Any]) -> None:
    await pilot.pause()
    for _round in range(50):
        pending = [w for w in pilot.app.workers if w.group == "ledger-import" and not w.is_finished]
        if not pending:
            break
        for worker in pending:
            with contextlib.suppress(Exception):
                await worker.wait()
        await pilot.pause()
    await pilot.pause()


def _steady(pilot: Pilot[Any]) -> None:
    for widget in pilot.app.screen.query("Input"):
        widget.cursor_blink = False  # type: ignore[attr-defined]


async def open_import(pilot: Pilot[Any]) -> LedgerImportScreen:
    await pilot.press("f9")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, LedgerImportScreen)
    _steady(pilot)
    return screen


def status(screen: LedgerImportScreen) -> str:
    return str(screen.query_one("#li-status", Static).render())


async def test_a_supervisor_checks_then_imports_a_messy_ledger(
    make_app: Any, ledger_dir: Path
) -> None:
    app, container = make_app(user="chenjun", watch=False, feed_interval=3600)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_import(pilot)
        assert screen.query_one("#li-file", Input).has_focus
        # Ctrl+S does nothing before the file was checked.
        await pilot.press(*FILE, "ctrl+s")
        await settle(pilot)
        assert screen.report is None
        await pilot.press("enter")
        await settle(pilot)
        report = screen.report
        assert report is not None and report.dry_run
        assert (report.imported, len(report.refused)) == (3, len(BAD_ROWS))
        assert "3 rows would be imported" in status(screen)
        table = screen.query_one("#li-refused", DataTable)
        assert table.display and table.row_count == len(BAD_ROWS)
        assert [str(table.get_row_at(i)[0]) for i in range(table.row_count)] == [
            str(n) for n in BAD_ROWS
        ]
        assert not refused_path(ledger_dir / FILE).exists()  # a dry run writes nothing
        await pilot.press("ctrl+s")
        await settle(pilot)
        report = screen.report
        assert report is not None and not report.dry_run and report.imported == 3
        assert "3 rows imported" in status(screen)
        assert refused_path(ledger_dir / FILE).exists()
        # Imported: Ctrl+S waits for a new check; a second check finds nothing new.
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.report is report
        await pilot.press("enter")
        await settle(pilot)
        assert screen.report is not None and screen.report.unchanged == 3
    with container.uow(write=False) as uow:
        audit = [e for e in uow.audit.recent(limit=50) if e.action == "import_ledger"]
    assert {e.actor for e in audit} == {"chenjun"} and len(audit) == 4  # 3 cases, 1 batch


async def test_a_missing_file_is_said_on_the_screen(make_app: Any, ledger_dir: Path) -> None:
    app, _container = make_app(user="chenjun", watch=False, feed_interval=3600)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_import(pilot)
        await pilot.press(*"nope.xlsx", "enter")
        await settle(pilot)
        assert "No such file" in status(screen)
        assert screen.query_one("#li-status", Static).has_class("-error")
        assert screen.query_one("#li-file", Input).value == "nope.xlsx"  # nothing typed is lost


async def test_an_operator_is_told_it_needs_a_supervisor_before_typing(
    make_app: Any, ledger_dir: Path
) -> None:
    app, container = make_app(user="wangfang", watch=False, feed_interval=3600)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_import(pilot)
        notice = screen.query_one("#li-notice", Static)
        assert notice.has_class("-denied") and "supervisor" in str(notice.render())
        assert screen.query_one("#li-file", Input).disabled
        await pilot.press("ctrl+d", "ctrl+s")
        await settle(pilot)
        assert screen.report is None
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, LedgerImportScreen)
    assert container.services.read(lambda uow: uow.ledger.count()) >= 0


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("size", [(80, 24), (160, 45)], ids=["80x24", "160x45"])
def test_snapshot_ledger_import_checked(
    snap_compare: Any, make_app: Any, ledger_dir: Path, language: str, size: tuple[int, int]
) -> None:
    app, _container = make_app(language=language, user="chenjun", watch=False, feed_interval=3600)

    async def run(pilot: Pilot[Any]) -> None:
        await open_import(pilot)
        await pilot.press(*FILE, "enter")
        await settle(pilot)
        _steady(pilot)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run)


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_snapshot_ledger_import_operator(
    snap_compare: Any, make_app: Any, ledger_dir: Path, language: str
) -> None:
    app, _container = make_app(language=language, user="wangfang", watch=False, feed_interval=3600)

    async def run(pilot: Pilot[Any]) -> None:
        await open_import(pilot)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run)


async def test_text_from_the_file_shows_verbatim_never_as_markup(
    make_app: Any, ledger_dir: Path
) -> None:
    import csv

    hostile = "[@click=app.quit]备用[/]"
    with (ledger_dir / "h.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["日期", "车主", "电话", "车牌", "地址", "故障", hostile])
        writer.writerow(["2026-10-01 08:00", "张三", "13800138000", "[b]粤B1", "深圳", "爆胎", ""])
    app, _container = make_app(user="chenjun", watch=False, feed_interval=3600)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_import(pilot)
        await pilot.press(*"h.csv", "enter")
        await settle(pilot)
        assert hostile in status(screen)
        table = screen.query_one("#li-refused", DataTable)
        assert "“[”" in str(table.get_row_at(0)[1])
        assert pilot.app.is_running
