"""F3 lists every kind of call (issue 10): a kind of the tests' own, due on the desk, taken,
recorded through its form with the result checked by the kind, and given back with Esc."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from textual.widgets import DataTable, Input, RadioButton

from callcenter.calls import kinds
from callcenter.calls.model import Outcome, TaskState
from callcenter.services.calls import CallDesk
from callcenter.services.delays import DelayCalls
from screens.calls.call_form import CallForm
from screens.calls.delay_list import DelayCallsScreen
from tests.integration import callback_kind
from tests.ui.test_delay_prompt import only_delay_calls, open_list, settle


@pytest.fixture(autouse=True)
def _callback_kind() -> Iterator[None]:
    with kinds.registered(callback_kind.KIND):
        yield


def _schedule(container: Any) -> tuple[CallDesk, int]:
    only_delay_calls(container.services)  # the desk's own table holds this call alone
    desk = CallDesk(container.services, DelayCalls.from_services(container.services))
    case = container.services.open_cases()[0]
    task = desk.schedule(
        "t_callback",
        due_at=container.clock.now() - timedelta(minutes=5),
        case_id=case.id,
        note="约好晚上回电",
    )
    assert task.id is not None
    return desk, task.id


def _cells(screen: DelayCallsScreen) -> list[str]:
    table = screen.query_one("#cd-table", DataTable)
    return [cell.plain for cell in table.get_row_at(0)]


async def _take(pilot: Any) -> CallForm:
    screen = await open_list(pilot)
    screen.query_one("#cd-table", DataTable).focus()
    await pilot.press("enter")
    await settle(pilot)
    form = pilot.app.screen
    assert isinstance(form, CallForm)
    return form


async def test_f3_lists_a_call_of_another_kind_and_records_it(make_app: Any) -> None:
    app, container = make_app(language="zh_CN", watch=False)
    desk, task_id = _schedule(container)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = await open_list(pilot)
        assert screen.query_one("#cd-table").display and screen.query_one("#cd-title").display
        cells = _cells(screen)
        assert cells[1] == "Call-back (a kind of the tests)"  # a test kind: untranslated
        assert cells[-1] == "—"
        assert "约好晚上回电" in str(screen.query_one("#dc-detail").render())

        form = await _take(pilot)
        assert desk.task(task_id).claimed_by == "tester"
        # The result is checked by the kind, each wrong field named beside it; nothing lost.
        await pilot.click("#cf-save")
        await settle(pilot)
        assert set(form.errors) == {"agreed"}
        assert isinstance(app.screen, CallForm)
        form.query_one("#cf-agreed", Input).value = "周五上午到店检查"
        form.query_one("#cf-score", Input).value = "5"
        await pilot.press("ctrl+s")
        await settle(pilot)
        # Saved: back to the board, not left on the list (issue 15.5).
        assert not isinstance(app.screen, DelayCallsScreen | CallForm)
        task = desk.task(task_id)
        assert task.state is TaskState.DONE and task.result == {
            "agreed": "周五上午到店检查",
            "score": 5,
        }


async def test_no_answer_puts_the_call_back_for_later_and_esc_gives_it_back(
    make_app: Any,
) -> None:
    app, container = make_app(watch=False)
    desk, task_id = _schedule(container)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        form = await _take(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DelayCallsScreen)
        assert desk.task(task_id).claimed_by is None

        form = await _take(pilot)
        form.query_one(f"#cf-outcome-{Outcome.NOT_REACHED.value}", RadioButton).value = True
        form.query_one("#cf-note", Input).value = "无人接听"
        await pilot.press("ctrl+s")
        await settle(pilot)
        task = desk.task(task_id)
        assert task.state is TaskState.OPEN and task.attempts == 1
        assert task.try_at == container.clock.now() + timedelta(minutes=10)
        assert not isinstance(app.screen, DelayCallsScreen)  # saved: back to the board
        assert all(i.ref != task_id for i in app.call_items)  # not due again yet
        assert any("22:40" in str(n.message) for n in app._notifications)  # the next try
