"""Follow-up calls on screen (issue 13 §2): the promise form from a case (h) and from the
desk (n), the desk listing every kind by due time with the overdue flag readable without
colour, and the revisit asking its own survey. The demo database at the fixed clock holds
revisits and promised call-backs, due and overdue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from callcenter.calls.model import TaskState
from callcenter.services.calls import CallDesk
from callcenter.services.delays import DelayCalls
from screens.calls.delay_list import DelayCallsScreen
from screens.calls.promise_form import PromiseForm
from screens.calls.survey_form import SurveyCallForm
from screens.case.detail import CaseDetailScreen
from tests.ui.test_delay_prompt import open_list, settle
from tests.ui.test_supervisor_board import (  # noqa: F401 - the supervisor's fixtures
    board,
    footer_actions,
    loaded,
    writer,
)


def desk_of(container: Any) -> CallDesk:
    return CallDesk(container.services, DelayCalls.from_services(container.services))


def steady(app: Any) -> None:
    for field in app.screen.query(Input):
        field.cursor_blink = False


async def open_case(pilot: Pilot[Any], case_id: int) -> CaseDetailScreen:
    pilot.app.open_case(case_id)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, CaseDetailScreen)
    return screen


async def promise_from_case(pilot: Pilot[Any], case_id: int) -> PromiseForm:
    await open_case(pilot, case_id)
    await pilot.press("h")
    await settle(pilot)
    form = pilot.app.screen
    assert isinstance(form, PromiseForm)
    steady(pilot.app)
    return form


def first_open_case(container: Any) -> Any:
    return container.services.open_cases()[0]


async def test_a_promise_made_on_a_case_is_saved_with_who_and_what(make_app: Any) -> None:
    app, container = make_app(language="zh_CN", watch=False)
    case = first_open_case(container)
    async with app.run_test(size=(160, 45)) as pilot:
        form = await promise_from_case(pilot, case.id)
        assert case.number in str(form.query_one(".pf-title").render())
        assert not form.query("#pf-phone")  # the case says whom to call
        # A wrong time is shown on its field; nothing typed is lost.
        await pilot.press(*"昨天")
        await pilot.press("tab", *"回电告知配件到货时间")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert set(form.errors) == {"when"}
        assert form.query_one("#pf-what", Input).value == "回电告知配件到货时间"
        when = form.query_one("#pf-when", Input)
        when.value = "+2h"
        await settle(pilot)
        assert "2026-11-23 00:30" in str(form.query_one("#pf-when-reads").render())
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CaseDetailScreen)
    tasks = [
        t
        for t in container.services.read(lambda uow: uow.calls.for_case(case.id, "callback"))
        if t.note == "回电告知配件到货时间"
    ]
    assert len(tasks) == 1
    assert tasks[0].created_by == "tester"
    assert tasks[0].due_at == container.clock.now() + timedelta(hours=2)


async def test_the_desk_promises_to_a_number_with_no_case(make_app: Any) -> None:
    app, container = make_app(watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_list(pilot)
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, PromiseForm)
        assert app.focused is form.query_one("#pf-phone", Input)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert set(form.errors) == {"phone", "when", "what"}
        form.query_one("#pf-name", Input).value = "陈先生"
        form.query_one("#pf-phone", Input).value = "139 0000 2222"
        form.query_one("#pf-when", Input).value = "23:00"
        form.query_one("#pf-what", Input).value = "查询理赔进度后回电"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, DelayCallsScreen)
    at = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
    container.clock.set(at)
    items = [i for i in desk_of(container).task_items() if i.kind == "callback"]
    assert any(i.name == "陈先生" and i.due_at == at for i in items)


async def test_the_desk_lists_every_kind_by_due_time_overdue_flagged(make_app: Any) -> None:
    app, _container = make_app(language="zh_CN", watch=False)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        screen = await open_list(pilot)
        table = screen.query_one("#cd-table", DataTable)
        rows = [[c.plain for c in table.get_row_at(i)] for i in range(table.row_count)]
        kinds = {r[1] for r in rows}
        assert {"售后回访", "约定回电"} <= kinds
        overdue = [r for r in rows if r[0].startswith("⚠ ")]  # readable without colour
        assert overdue and any(r[1] == "售后回访" for r in overdue)
        assert any(r[1] == "约定回电" for r in overdue)
        assert any(not r[0].startswith("⚠") for r in rows if r[1] == "售后回访")
        row = next(i for i, r in enumerate(rows) if r[0].startswith("⚠ "))
        table.focus()
        table.move_cursor(row=row)
        await settle(pilot)
        assert "已逾期" in str(screen.query_one("#dc-detail").render())
        items = app.call_items
        assert [i.due_at for i in items if not i.urgent] == sorted(
            i.due_at for i in items if not i.urgent
        )


async def test_a_revisit_asks_its_own_survey_and_keeps_it_as_a_revisit(make_app: Any) -> None:
    app, container = make_app(watch=False)
    desk = desk_of(container)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        screen = await open_list(pilot)
        table = screen.query_one("#cd-table", DataTable)
        table.focus()
        row = next(i for i, item in enumerate(screen._items) if item.kind == "revisit")
        item = screen._items[row]
        table.move_cursor(row=row)
        await pilot.press("enter")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, SurveyCallForm)
        assert form.template.name == "revisit"
        assert form.template.title == "After-sales revisit survey"
        # The outcome (reached), the note, then one key per answer (q6: 2, no open fault).
        await pilot.press("tab", "tab", *"554452545")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not form.errors
        assert not isinstance(app.screen, DelayCallsScreen | SurveyCallForm)
    task = desk.task(item.ref)
    assert task.state is TaskState.DONE
    surveys = container.services.surveys(item.case_id, "revisit")
    assert surveys[-1].template == "revisit"


# -- snapshots ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("size", [(160, 45), (80, 24)], ids=["160x45", "80x24"])
def test_snapshot_promise_form(
    snap_compare: Any, make_app: Any, language: str, size: tuple[int, int]
) -> None:
    app, container = make_app(language=language, watch=False, feed_interval=3600)
    case = first_open_case(container)

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        form = await promise_from_case(pilot, case.id)
        form.query_one("#pf-when", Input).value = "明天 10:00"
        form.query_one("#pf-what", Input).value = "回电告知配件到货时间"
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("size", [(160, 45), (80, 24)], ids=["160x45", "80x24"])
def test_snapshot_desk_with_follow_ups(
    snap_compare: Any, make_app: Any, language: str, size: tuple[int, int]
) -> None:
    app, _container = make_app(language=language, watch=False, feed_interval=3600)

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        screen = await open_list(pilot)
        table = screen.query_one("#cd-table", DataTable)
        table.focus()
        row = next(i for i, item in enumerate(screen._items) if item.kind == "callback")
        table.move_cursor(row=row)
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


async def test_the_supervisor_board_offers_no_promise(board: Any) -> None:  # noqa: F811
    """A read-only session neither shows nor runs h on a case (it has no desk)."""
    app, container = board()
    case = first_open_case(container)
    async with app.run_test(size=(160, 45)) as pilot:
        await loaded(pilot)
        await open_case(pilot, case.id)
        assert "promise" not in footer_actions(app)
        await pilot.press("h")
        await settle(pilot)
        assert isinstance(app.screen, CaseDetailScreen)
