"""The dispatch board (home screen): pilot tests on the demo database at a fixed clock."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rich.cells import cell_len
from textual.app import App
from textual.geometry import Region
from textual.pilot import Pilot

from callcenter import bootstrap, sla
from callcenter.clock import ManualClock
from callcenter.domain import Case, CaseStatus
from callcenter.services import Intake
from callcenter.settings import Settings
from screens.board.board import COMMANDS, BoardCommands, BoardScreen
from screens.kit.messages import DataChanged
from screens.widgets.case_board import (
    AT_RISK,
    IDLE,
    LATE,
    ON_TRACK,
    CaseBoard,
    fit,
    fit_columns,
    is_running,
    left_text,
)
from tests.conftest import FIXED_NOW

HOSTILE_PLATE = "[@click=quit]"  # 16 characters at most: a plate column


async def loaded(pilot: Pilot[Any]) -> BoardScreen:
    """Wait for the board to have read the open cases."""
    for _attempt in range(300):
        screen = pilot.app.screen
        if isinstance(screen, BoardScreen) and screen.loaded:
            await pilot.pause()
            return screen
        await pilot.pause(0.02)
    raise AssertionError("the board did not load")


async def wait_for(pilot: Pilot[Any], condition: Callable[[], bool], tries: int = 300) -> None:
    for _attempt in range(tries):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("condition not met")


def line_text(board: CaseBoard, y: int) -> str:
    return board.render_line(y).text


def row_line(board: CaseBoard, case_id: int) -> str:
    """The text of the rendered row of ``case_id`` (it must be on screen)."""
    y = board.case_ids.index(case_id) - int(board.scroll_offset.y) + 1
    return line_text(board, y)


def take_call(container: bootstrap.Container, **fields: Any) -> int:
    values: dict[str, Any] = {
        "caller_name": "李雷",
        "phone": "13800138000",
        "plate": "粤B12345",
        "address": "福田区深南大道1号",
        "distance_km": "5",
        "fault_description": "无法启动",
        "fee_agreed": True,
        "duplicate_reason": "测试：同一车牌再次来电",  # only used when the plate has an open case
    }
    values.update(fields)
    case = container.services.take_call(Intake(**values))
    assert case.id is not None
    return case.id


def second_session(url: str, clock: ManualClock) -> bootstrap.Container:
    return bootstrap.build(
        Settings(database_url=url, language="en", user="tester", bell=False), clock=clock
    )


# -- the widget's pure parts ------------------------------------------------------------------


def test_left_text() -> None:
    assert left_text(0) == "00:00"
    assert left_text(754) == "12:34"
    assert left_text(-312) == "-05:12"
    assert left_text(3723) == "1:02:03"
    assert left_text(-3723) == "-1:02:03"
    assert left_text(101 * 3600) == "4d05h"


def test_fit_pads_and_crops_by_cell_width() -> None:
    assert fit("粤B12345", 9) == "粤B12345 "
    assert cell_len(fit("福田区深南大道与彩田路", 9)) == 9
    assert fit("福田区深南大道", 9).endswith("…")
    assert fit("12:34", 8, right=True) == "   12:34"


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("width", [79, 85, 91, 119, 159])
def test_columns_fit_the_width(language: str, width: int) -> None:
    from callcenter.i18n import set_language

    set_language(language)
    data = {
        "marker": (2, 2),
        "left": (8, 6),
        "number": (13, 9),
        "priority": (7, 4),
        "plate": (9, 8),
        "status": (13, 6),
        "crew": (8, 4),
        "promised": (5, 5),
        "flags": (4, 3),
    }
    layout = fit_columns(width, data)
    used = sum(w + 1 for w in layout.widths.values() if w) - 1
    assert used <= width
    if width >= 110:
        assert layout.widths["place"] >= 10
    for key, (_widest, narrowest) in data.items():
        assert layout.widths[key] >= narrowest, key


def _case(
    case_id: int, minutes: float | None, status: CaseStatus = CaseStatus.EN_ROUTE, version: int = 1
) -> Case:
    promised = FIXED_NOW + timedelta(minutes=minutes) if minutes is not None else None
    return Case(
        received_at=FIXED_NOW - timedelta(minutes=30),
        caller_name="张三",
        phone="+8613800138000",
        plate=f"粤B{case_id:05d}",
        address="福田区",
        distance_km=Decimal("5"),
        fault_description="-",
        number=f"20261122-{case_id:04d}",
        status=status,
        promised_arrival_at=promised,
        original_promised_at=promised,
        fee_agreed=True,
        version=version,
        id=case_id,
    )


class _BoardApp(App[None]):
    def compose(self) -> Any:
        yield CaseBoard(lambda: FIXED_NOW, ZoneInfo("Asia/Shanghai"), tick=False)


async def test_batches_of_changes_keep_the_order_and_the_cursor() -> None:
    """Random batches of new, moved, changed-in-place and closed cases, checked against a
    plain sort after each batch."""
    rng = random.Random(3)
    app = _BoardApp()
    async with app.run_test(size=(120, 30)) as pilot:
        board = app.query_one(CaseBoard)
        cases = {i: _case(i, rng.uniform(-30, 90)) for i in range(1, 60)}
        board.set_cases(cases.values())
        await pilot.pause()
        for _round in range(40):
            board.move_cursor(rng.randrange(board.row_count))
            chosen = board.selected_case_id
            batch = []
            for _ in range(rng.randint(1, 8)):
                case_id = rng.randint(1, 80)
                old = cases.get(case_id)
                version = old.version + 1 if old else 1
                roll = rng.random()
                if roll < 0.2:
                    new = _case(case_id, None, CaseStatus.CLOSED, version)
                elif roll < 0.35:
                    new = _case(case_id, None, CaseStatus.ON_SCENE, version)
                elif roll < 0.5 and old is not None:
                    new = dataclasses.replace(old, plate="粤B99999", version=version)
                else:
                    new = _case(case_id, rng.uniform(-30, 90), version=version)
                cases[case_id] = new
                batch.append(new)
            board.update_cases(batch)
            open_cases = [c for c in cases.values() if c.is_open]
            expected = [
                c.id for c in sorted(open_cases, key=lambda c: CaseBoard._key(c, board._due(c)))
            ]
            assert board.case_ids == expected
            assert all(board.case_ids[board._row_of[cid]] == cid for cid in expected)
            if chosen in expected:
                assert board.selected_case_id == chosen
            assert board.selected_case_id == board.case_ids[board.cursor_row]
            running = sorted(
                c.promised_arrival_at.timestamp()  # type: ignore[union-attr]
                for c in open_cases
                if is_running(c)
            )
            assert board._deadlines == running
            await pilot.pause()


# -- the board on the demo data ---------------------------------------------------------------


async def test_board_shows_every_open_case_sorted_by_time_left(make_app: Any) -> None:
    app, container = make_app(language="en")
    open_cases = container.services.open_cases()
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await loaded(pilot)
        board = screen.board
        assert sorted(board.case_ids) == sorted(c.id for c in open_cases)
        by_id = {c.id: c for c in open_cases}
        policy, tz = container.services.policy, container.services.tz
        dues = {cid: sla.next_due(policy, by_id[cid], tz) for cid in board.case_ids}
        running = [cid for cid in board.case_ids if dues[cid] is not None]
        # Every case whose clock runs first, the next deadline of any clock first; then the
        # cases with none.
        assert board.case_ids[: len(running)] == running
        deadlines = [dues[cid].deadline for cid in running]  # type: ignore[union-attr]
        assert deadlines == sorted(deadlines)
        kinds = {dues[cid].kind for cid in running}  # type: ignore[union-attr]
        assert {sla.ClockKind.ARRIVAL, sla.ClockKind.FEEDBACK} <= kinds
        for cid in running:
            due = dues[cid]
            assert due is not None and board.due(cid).deadline == due.deadline.timestamp()
        assert all(board.cells(cid)["state"] == IDLE for cid in board.case_ids[len(running) :])
        # The header and the first row are drawn; the first row is the most urgent case.
        assert "Time left" in line_text(board, 0) and "Case No." in line_text(board, 0)
        first = by_id[board.case_ids[0]]
        assert first.number in line_text(board, 1)
        assert board.selected_case_id == first.id


async def test_countdown_advances_with_the_clock(make_app: Any) -> None:
    clock = ManualClock(FIXED_NOW)
    app, _container = make_app(language="en", clock=clock)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await loaded(pilot)
        board = screen.board
        case_id = next(cid for cid in board.case_ids if board.cells(cid)["state"] == ON_TRACK)
        before = board.cells(case_id)["left"]
        assert before in row_line(board, case_id)
        clock.advance(timedelta(seconds=7))
        board.tick()
        await pilot.pause()
        after = board.cells(case_id)["left"]
        minutes, seconds = (int(p) for p in before.split(":"))
        left = minutes * 60 + seconds - 7
        assert after == f"{left // 60:02d}:{left % 60:02d}"
        assert after in row_line(board, case_id)
        # The late ones count up, negative.
        late_id = next(cid for cid in board.case_ids if board.cells(cid)["state"] == LATE)
        assert board.cells(late_id)["left"].startswith("-")


async def test_tick_redraws_only_the_countdown_cells(make_app: Any) -> None:
    clock = ManualClock(FIXED_NOW)
    app, _container = make_app(language="en", clock=clock)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await loaded(pilot)
        board = screen.board
        await pilot.pause()
        layout = board._layout
        assert layout is not None
        regions: list[Region] = []
        original = board.refresh

        def spy(*args: Region, **kwargs: Any) -> Any:
            regions.extend(args)
            if not args:
                regions.append(board.size.region)
            return original(*args, **kwargs)

        board.refresh = spy  # type: ignore[method-assign]
        clock.advance(timedelta(seconds=1))
        board.tick()
        board.refresh = original  # type: ignore[method-assign]
        running = [cid for cid in board.case_ids if board.cells(cid)["state"] != IDLE]
        assert len(regions) == len(running)  # one small region per running row
        x0, width = layout.x["left"], layout.widths["left"]
        for region in regions:
            assert region.height == 1
            assert x0 <= region.x and region.right <= x0 + width
        # Mostly the seconds digit alone; more only where a ten or a minute turned.
        assert sum(1 for r in regions if r.width == 1) >= len(regions) // 2


async def test_late_and_at_risk_rows_are_marked(make_app: Any) -> None:
    clock = ManualClock(FIXED_NOW)
    app, _container = make_app(language="en", clock=clock)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await loaded(pilot)
        board = screen.board
        states = {cid: board.cells(cid)["state"] for cid in board.case_ids}
        assert LATE in states.values() and AT_RISK in states.values()
        for cid, state in states.items():
            line = row_line(board, cid)
            marker = {LATE: "!!", AT_RISK: "! ", ON_TRACK: "  ", IDLE: "  "}[state]
            assert line.startswith(marker), (state, line)
            if state == LATE:
                assert "-" in board.cells(cid)["left"]
        _open, at_risk, late = board.counts()
        assert late == sum(1 for s in states.values() if s == LATE)
        assert at_risk == sum(1 for s in states.values() if s == AT_RISK)
        assert str(screen.query_one("#count-late").render()) == f"Late {late}"
        assert screen.query_one("#count-late").has_class("-late")
        # The style, not only the marker: late countdowns are reversed.
        late_id = next(cid for cid, s in states.items() if s == LATE)
        y = board.case_ids.index(late_id) + 1
        strip = board.render_line(y)
        left = board.cells(late_id)["left"]
        styles = [seg.style for seg in strip if left in seg.text]
        assert styles and styles[0] is not None and styles[0].reverse


async def test_a_case_turns_at_risk_then_late_as_time_passes(make_app: Any) -> None:
    clock = ManualClock(FIXED_NOW)
    app, _container = make_app(language="en", clock=clock)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await loaded(pilot)
        board = screen.board
        case_id = next(cid for cid in board.case_ids if board.cells(cid)["state"] == ON_TRACK)
        due = board.due(case_id)
        assert due is not None
        deadline = datetime.fromtimestamp(due.deadline, UTC)
        clock.set(deadline - timedelta(seconds=due.window))
        board.tick()
        await pilot.pause()
        assert board.cells(case_id)["state"] == AT_RISK
        assert row_line(board, case_id).startswith("! ")
        clock.set(deadline + timedelta(seconds=1))
        board.tick()
        await pilot.pause()
        assert board.cells(case_id)["state"] == LATE
        assert board.cells(case_id)["left"] == "-00:01"
        assert row_line(board, case_id).startswith("!!")
        assert "Late" in str(screen.query_one("#count-late").render())


async def test_a_case_saved_in_another_session_appears(make_app: Any, demo_url: str) -> None:
    clock = ManualClock(FIXED_NOW)
    app, _container = make_app(language="en", clock=clock, feed_interval=0.05)
    # The other operator took the call 38 minutes ago: the crew is due in 2 minutes.
    other = second_session(demo_url, ManualClock(FIXED_NOW - timedelta(minutes=38)))
    try:
        async with app.run_test(size=(160, 45)) as pilot:
            screen = await loaded(pilot)
            board = screen.board
            count = board.row_count
            selected = board.selected_case_id
            new_id = take_call(other, distance_km="1")
            await wait_for(pilot, lambda: new_id in board.case_ids)
            assert board.row_count == count + 1
            assert board.selected_case_id == selected
            # Not dispatched 38 minutes after the call: its 5-minute response clock is late,
            # by 33 minutes, and it sits among the late ones by that deadline.
            assert board.cells(new_id)["state"] == LATE
            assert board.cells(new_id)["left"] == "-33:00"
            assert board.cells(new_id)["promised"].startswith("Resp. ")
            row = board.case_ids.index(new_id)
            deadlines = [board.due(cid).deadline for cid in board.case_ids[: row + 2]]
            assert deadlines == sorted(deadlines)
            case = board.case(new_id)
            assert case is not None and case.status is CaseStatus.RECEIVED
            await pilot.pause()
            assert case.number in row_line(board, new_id)
            assert str(screen.query_one("#count-open").render()) == f"Open {count + 1}"
    finally:
        other.close()


async def test_caller_markup_is_shown_verbatim_and_does_nothing(
    make_app: Any, demo_url: str
) -> None:
    clock = ManualClock(FIXED_NOW)
    other = second_session(demo_url, clock)
    try:
        case_id = take_call(other, address="[b]深南大道[/b] [@click=app.quit]")
        with other.uow() as uow:  # a plate no form would accept, straight into the database
            case = uow.cases.get(case_id)
            assert case is not None
            case.plate = HOSTILE_PLATE
            uow.cases.save(case)
            uow.commit()
    finally:
        other.close()
    app, _container = make_app(language="en", clock=clock)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await loaded(pilot)
        board = screen.board
        assert board.cells(case_id)["plate"] == HOSTILE_PLATE
        assert board.cells(case_id)["place"].startswith("[b]深南大道[/b]")
        board.select_case(case_id)
        await pilot.pause()
        line = row_line(board, case_id)
        assert "[@click=" in line and "[b]深南大道" in line
        row_y = board.case_ids.index(case_id) - int(board.scroll_offset.y) + 1
        for x in range(0, 150, 5):
            await pilot.click("#cases", offset=(x, row_y))
        await pilot.pause()
        assert app.is_running


async def test_a_change_reported_while_the_board_reads_is_not_lost(make_app: Any) -> None:
    app, container = make_app(language="en")
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await loaded(pilot)
        cases = container.services.open_cases()
        target = cases[0]
        assert target.id is not None
        newer = dataclasses.replace(target, plate="粤B00001", version=target.version + 1)
        screen.load()  # a re-read (as after an outage) is under way ...
        screen.on_data_changed(DataChanged([newer], [], []))  # ... when the feed reports this
        await wait_for(pilot, lambda: not screen._reading)
        await pilot.pause()
        # The read may have started before the change: the newer copy wins either way.
        assert screen.board.cells(target.id)["plate"] == "粤B00001"


async def test_cursor_stays_on_its_case_when_rows_move(make_app: Any, demo_url: str) -> None:
    clock = ManualClock(FIXED_NOW)
    app, _container = make_app(language="en", clock=clock, feed_interval=0.05)
    # Calls taken 38 minutes ago: they sort near the top.
    other = second_session(demo_url, ManualClock(FIXED_NOW - timedelta(minutes=38)))
    try:
        async with app.run_test(size=(160, 45)) as pilot:
            screen = await loaded(pilot)
            board = screen.board
            await pilot.press("down", "down", "down")
            chosen = board.selected_case_id
            assert chosen is not None and board.cursor_row == 3
            # Two new cases sort above it; one case above it is cancelled.
            first = take_call(other, distance_km="1")
            second = take_call(other, plate="粤B54321", phone="13900139000", distance_km="2")
            await wait_for(pilot, lambda: {first, second} <= set(board.case_ids))
            assert board.case_ids.index(first) < board.case_ids.index(chosen)
            assert board.selected_case_id == chosen
            assert board.cursor_row == board.case_ids.index(chosen)
            above = board.case_ids[0]
            other.services.cancel(above, "车主自行修好")
            await wait_for(pilot, lambda: above not in board.case_ids)
            assert board.selected_case_id == chosen
            assert board.cursor_row == board.case_ids.index(chosen)
            await pilot.press("end")
            assert board.cursor_row == board.row_count - 1
            await pilot.press("home")
            assert board.cursor_row == 0
    finally:
        other.close()


async def test_enter_posts_selected(make_app: Any) -> None:
    app, _container = make_app(language="en")
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await loaded(pilot)
        seen: list[int] = []
        screen.open_case = seen.append  # type: ignore[method-assign]
        await pilot.press("down", "enter")
        await pilot.pause()
        assert seen == [screen.board.case_ids[1]]


async def test_enter_opens_the_case(make_app: Any) -> None:
    detail = pytest.importorskip("screens.case.detail")
    app, _container = make_app(language="en")
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await loaded(pilot)
        chosen = screen.board.case_ids[0]
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, detail.CaseDetailScreen))
        assert app.screen.case_id == chosen  # type: ignore[attr-defined]


async def test_dispatch_key_opens_the_crew_list(make_app: Any) -> None:
    dispatch = pytest.importorskip("screens.case.dispatch")
    app, _container = make_app(language="en")
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await loaded(pilot)
        board = screen.board
        received = next(
            cid
            for cid in board.case_ids
            if board.case(cid).status is CaseStatus.RECEIVED  # type: ignore[union-attr]
        )
        board.select_case(received)
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, dispatch.DispatchScreen))


async def test_agree_fee_key_records_the_agreement(make_app: Any) -> None:
    pytest.importorskip("screens.case_actions")
    app, container = make_app(language="en", feed_interval=0.05)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await loaded(pilot)
        board = screen.board
        unagreed = next(
            cid
            for cid in board.case_ids
            if not board.case(cid).fee_agreed  # type: ignore[union-attr]
        )
        assert "¥?" in board.cells(unagreed)["flags"]
        board.select_case(unagreed)
        await pilot.press("f")
        modals = pytest.importorskip("screens.widgets.modals")
        await wait_for(pilot, lambda: isinstance(app.screen, modals.ConfirmModal))
        yes = app.screen.query_one("#yes")
        await wait_for(pilot, lambda: not yes.disabled and app.focused is yes)
        await pilot.press("enter")
        await wait_for(pilot, lambda: container.services.case(unagreed).fee_agreed)
        await wait_for(pilot, lambda: "¥?" not in board.cells(unagreed)["flags"])


async def test_every_key_is_in_the_footer_the_help_and_the_palette(make_app: Any) -> None:
    app, _container = make_app(language="en")
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await loaded(pilot)
        active = {b.key for (_node, b, _enabled, _tip) in screen.active_bindings.values()}
        for key in ("n", "enter", "d", "r", "a", "c", "b", "x", "f", "slash", "f1", "ctrl+q"):
            assert key in active, key
        titles = [title for title, _help, _callback in BoardCommands(screen)._commands()]
        assert len(titles) == len(COMMANDS)
        assert "Dispatch a crew (d)" in titles and "Open case (Enter)" in titles
        await pilot.press("f1")
        await pilot.pause()
        from screens.help.help import HelpScreen

        assert isinstance(app.screen, HelpScreen)
        keys = dict(app.screen._keys)  # type: ignore[attr-defined]
        assert keys.get("d") == "Dispatch" and keys.get("n") == "New call"


async def test_palette_runs_a_board_action(make_app: Any) -> None:
    app, _container = make_app(language="en")
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await loaded(pilot)
        ran: list[str] = []

        async def fake_run_action(action: str, *args: Any, **kwargs: Any) -> bool:
            ran.append(action)
            return True

        callbacks = {t: c for t, _h, c in BoardCommands(screen)._commands()}
        screen.run_action = fake_run_action  # type: ignore[method-assign]
        await callbacks["Crew en route (r)"]()
        assert ran == ["en_route"]


def cell_slice(text: str, start: int, width: int) -> str:
    """The characters of ``text`` in cells [start, start + width)."""
    out, x = [], 0
    for char in text:
        if start <= x < start + width:
            out.append(char)
        x += cell_len(char)
    return "".join(out)


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("size", [(160, 45), (120, 40), (80, 24)])
async def test_every_cell_starts_on_its_column(
    make_app: Any, language: str, size: tuple[int, int]
) -> None:
    """CJK text is padded by cell width: each column starts on the same cell in every row."""
    app, _container = make_app(language=language)
    async with app.run_test(size=size) as pilot:
        board = (await loaded(pilot)).board
        layout = board._layout
        assert layout is not None
        header = line_text(board, 0)
        for y, case_id in enumerate(board.case_ids[: board.size.height - 1], start=1):
            line = line_text(board, y)
            assert cell_len(line) == board.size.width
            cells = board.cells(case_id)
            for key, width in layout.widths.items():
                if not width or key == "marker":
                    continue
                right = key == "left"
                assert cell_slice(line, layout.x[key], width) == fit(cells[key], width, right)
                title = cell_slice(header, layout.x[key], width)
                assert title == fit(layout.titles[key], width, right)


async def test_the_command_palette_finds_and_runs_board_actions(make_app: Any) -> None:
    from textual.command import CommandPalette

    app, _container = make_app(language="en")
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await loaded(pilot)
        assert not screen.has_class("-crews")
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"hide the crews")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen)
        await wait_for(pilot, lambda: screen.has_class("-crews"))


async def test_narrow_terminal_drops_the_place_column(make_app: Any) -> None:
    app, _container = make_app(language="zh_CN")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot)
        board = screen.board
        layout = board._layout
        assert layout is not None and layout.widths["place"] == 0
        for y in range(0, min(board.row_count, 20) + 1):
            assert cell_len(line_text(board, y)) == board.size.width
        # The crews are a view of their own at this width.
        assert not screen.query_one("#crews-panel").display
        await pilot.press("f2")
        await pilot.pause()
        assert screen.query_one("#crews-panel").display
        assert not board.display


async def test_on_time_today_counter(make_app: Any) -> None:
    app, container = make_app(language="en")
    arrived, on_time = container.services.arrivals_today()
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await loaded(pilot)
        label = screen.query_one("#count-on-time")
        await wait_for(pilot, lambda: "—" not in str(label.render()) or not arrived)
        if arrived:
            pct = round(100 * on_time / arrived)
            assert str(label.render()) == f"On time today {pct}% ({on_time}/{arrived})"


def test_arrivals_today_counts_by_the_local_day(make_app: Any, demo_url: str) -> None:
    clock = ManualClock(FIXED_NOW)
    container = second_session(demo_url, clock)
    try:
        arrived, on_time = container.services.arrivals_today()
        local_day = FIXED_NOW.astimezone(container.settings.tz).date()
        expected = [
            c
            for c in _all_cases(container)
            if c.arrived_at is not None
            and c.arrived_at.astimezone(container.settings.tz).date() == local_day
        ]
        assert arrived == len(expected)
        assert on_time == sum(
            1
            for c in expected
            if c.promised_arrival_at is not None and c.arrived_at <= c.promised_arrival_at
        )
    finally:
        container.close()


def _all_cases(container: bootstrap.Container) -> list[Any]:
    with container.uow(write=False) as uow:
        return uow.cases.list_by_ids(range(1, uow.cases.count() + 1))


async def test_crews_panel_lists_every_crew_with_its_case(make_app: Any) -> None:
    app, container = make_app(language="en")
    crews = container.services.crews()
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await loaded(pilot)
        text = str(screen.query_one("#crew-list").render())
        for crew in crews:
            assert crew.code in text
            if crew.current_case_id is not None and screen.board.case(crew.current_case_id):
                number = screen.board.case(crew.current_case_id).number  # type: ignore[union-attr]
                line = next(line for line in text.splitlines() if crew.code in line)
                assert number in line or number.rsplit("-", 1)[-1] in line


# -- snapshots ----------------------------------------------------------------------------------


async def _wait_loaded(pilot: Pilot[Any]) -> None:
    await loaded(pilot)
    await pilot.pause()


async def _crews_view(pilot: Pilot[Any]) -> None:
    await loaded(pilot)
    await pilot.press("f2")
    await pilot.pause()


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_snapshot_board(
    make_app: Any, snap_compare: Any, language: str, size: tuple[int, int]
) -> None:
    app, _container = make_app(language=language)
    assert snap_compare(app, terminal_size=size, run_before=_wait_loaded)


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_snapshot_crews_view(make_app: Any, snap_compare: Any, language: str) -> None:
    app, _container = make_app(language=language)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_crews_view)


async def test_a_shell_command_typed_into_the_board_changes_nothing(
    make_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Commands typed into a still-open application (the night-shift drill): every step that
    changes a case asks first, and keys typed ahead — Enter included — cannot answer it."""
    from screens.widgets.modals import ConfirmModal

    # Typed ahead means before the confirmation arms: on a loaded test machine the keys of
    # one command can be further apart than the real delay, so the test arms it later.
    assert ConfirmModal.ARM_SECONDS >= 0.5
    monkeypatch.setattr(ConfirmModal, "ARM_SECONDS", 30.0)
    app, container = make_app(language="en")
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await loaded(pilot)
        board = screen.board
        before = {c.id: (c.status, c.version) for c in container.services.open_cases()}
        moving = [
            cid
            for cid in board.case_ids
            if board.case(cid).status is CaseStatus.DISPATCHED  # type: ignore[union-attr]
        ]
        unagreed = [
            cid
            for cid in board.case_ids
            if not board.case(cid).fee_agreed  # type: ignore[union-attr]
        ]
        assert moving and unagreed
        typed = {  # as the terminal sends them: a command and its Enter
            moving[0]: ("r", "m", "space", "minus", "r", "f", "enter"),
            unagreed[0]: ("f", "g", "enter"),
        }
        for case_id, keys in typed.items():
            board.select_case(case_id)
            await pilot.press(*keys)
            await app.workers.wait_for_complete()
            await pilot.pause()
            for _ in range(3):
                await pilot.press("escape")
            await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        after = {c.id: (c.status, c.version) for c in container.services.open_cases()}
        assert after == before
        assert app.screen is screen
