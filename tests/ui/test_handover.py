"""The shift-handover digest (F12, 交接班): pilot tests and snapshots in both languages at
80×24 and 160×45, on the demo database at a fixed clock (22:30 in Shanghai)."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import OptionList

from screens.case.detail import CaseDetailScreen
from screens.handover.handover import HandoverScreen
from screens.help.help import HelpScreen
from tests.ui.test_complaints import wait_screen
from tests.ui.test_delay_prompt import settle, wait_for


async def open_handover(pilot: Pilot[Any]) -> HandoverScreen:
    await settle(pilot)
    await pilot.press("f12")
    screen = await wait_screen(pilot, HandoverScreen)
    await wait_for(pilot, lambda: screen.digest is not None)
    await settle(pilot)
    return screen


async def test_f12_opens_the_digest_and_enter_opens_the_case(make_app: Any) -> None:
    app, container = make_app(watch=False)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_handover(pilot)
        digest = screen.digest
        assert digest is not None
        counts = {s.key: s.count for s in digest.sections}
        assert counts["open"] + counts["late"] == len(container.services.open_cases())
        assert counts["crews"] >= 1 and counts["escalations"] >= 1
        listing = screen.query_one("#ho-list", OptionList)
        first = screen.selected()
        assert first is not None and first.case_id is not None
        assert listing.highlighted is not None
        await pilot.press("f12")  # once only
        await settle(pilot)
        assert sum(isinstance(s, HandoverScreen) for s in app.screen_stack) == 1
        await pilot.press("enter")
        detail = await wait_screen(pilot, CaseDetailScreen)
        assert detail.case_id == first.case_id
        await pilot.press("escape")
        await wait_screen(pilot, HandoverScreen)


async def test_m_marks_it_read_and_another_session_sees_it(make_app: Any) -> None:
    app, container = make_app(watch=False, feed_interval=0.05)
    other, _other = make_app(watch=False, feed_interval=0.05)
    async with other.run_test(size=(160, 45)) as other_pilot:
        watching = await open_handover(other_pilot)
        assert watching.digest is not None and not watching.digest.reads
        async with app.run_test(size=(160, 45)) as pilot:
            screen = await open_handover(pilot)
            await pilot.press("m")
            await wait_for(pilot, lambda: screen.digest is not None and bool(screen.digest.reads))
            assert screen.digest is not None
            assert [r.username for r in screen.digest.reads] == ["tester"]
            await pilot.press("m")  # twice: nothing new
            await settle(pilot)
            assert len(container.services.handover_reads()) == 1
        # live: the other session's screen follows the change feed
        await wait_for(
            other_pilot, lambda: watching.digest is not None and bool(watching.digest.reads)
        )


async def test_f12_is_in_the_help_and_the_palette(make_app: Any) -> None:
    from screens.app import ActionsProvider

    app, _container = make_app(watch=False)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        help_screen = await wait_screen(pilot, HelpScreen)
        assert ("f12", "Shift handover") in help_screen._keys  # as the other F-keys
        await pilot.press("escape")
        await settle(pilot)
        names = [name for name, _help, _call in ActionsProvider(app.screen)._commands()]
        assert "Shift handover (F12)" in names


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("size", [(80, 24), (160, 45)], ids=["80x24", "160x45"])
def test_snapshot_handover(
    snap_compare: Any, make_app: Any, language: str, size: tuple[int, int]
) -> None:
    app, _container = make_app(language=language, watch=False, feed_interval=3600)

    async def run(pilot: Pilot[Any]) -> None:
        await open_handover(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run)
