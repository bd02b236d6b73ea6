"""The feedback call's survey screen (screens/calls/survey_form.py): one key per answer, a low
rating asks why, back to correct, Ctrl+S saves through the desk; snapshots in both languages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, RadioButton, Static

from callcenter.calls.model import Outcome, TaskState
from callcenter.services.calls import CallDesk
from callcenter.services.delays import DelayCalls
from screens.calls.delay_list import DelayCallsScreen
from screens.calls.survey_form import AnswerPad, SurveyCallForm
from tests.ui.test_delay_prompt import only_delay_calls, open_list, settle


def _schedule(container: Any) -> tuple[CallDesk, int]:
    only_delay_calls(container.services)  # this call alone on the desk's own table
    desk = CallDesk(container.services, DelayCalls.from_services(container.services))
    case = container.services.open_cases()[0]
    task = desk.schedule(
        "feedback", due_at=container.clock.now() - timedelta(minutes=5), case_id=case.id
    )
    assert task.id is not None
    return desk, task.id


async def _take(pilot: Pilot[Any]) -> SurveyCallForm:
    screen = await open_list(pilot)
    screen.query_one("#cd-table", DataTable).focus()
    await pilot.press("enter")
    await settle(pilot)
    form = pilot.app.screen
    assert isinstance(form, SurveyCallForm)
    return form


def _text(form: SurveyCallForm, selector: str) -> str:
    return str(form.query_one(selector, Static).render())


async def test_the_survey_one_key_per_answer_a_reason_back_and_save(make_app: Any) -> None:
    app, container = make_app(language="zh_CN", watch=False)
    desk, task_id = _schedule(container)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        form = await _take(pilot)
        assert desk.task(task_id).claimed_by == "tester"
        assert "问题 1/9" in _text(form, "#sv-progress")
        assert (
            _text(form, "#sv-question") == "我们的销售人员平时是否积极与您联络了解设备的使用状况？"
        )
        assert "5 非常满意" in _text(form, "#sv-legend")

        await pilot.press("tab", "tab")  # the outcome (reached), the note, the answer
        assert isinstance(form.focused, AnswerPad)
        await pilot.press("5", "4", "3")
        assert form.index == 3 and "问题 4/9" in _text(form, "#sv-progress")
        await pilot.press("7")  # not on the scale: refused where it was typed
        assert form.index == 3 and "answer" in form.errors
        await pilot.press("2")  # dissatisfied: why?
        assert form.index == 3 and form.query_one("#sv-row-reason").display
        reason = form.query_one("#sv-reason", Input)
        assert form.focused is reason
        await pilot.press("enter")  # a reason is required
        assert form.index == 3 and "reason" in form.errors
        await pilot.press(*"slow")
        await pilot.press("enter")
        assert form.index == 4 and not form.query_one("#sv-row-reason").display
        assert "1:5 2:4 3:3 4:2 5:_" in _text(form, "#sv-summary")

        # Back to correct question 3, then on again.
        await pilot.press("backspace", "backspace")
        assert form.index == 2 and "问题 3/9" in _text(form, "#sv-progress")
        await pilot.press("4")  # q3 corrected → q4, answered 2 with its reason kept
        assert form.index == 3 and reason.value == "slow"
        await pilot.press("enter")  # the answer stands: on to its reason
        assert form.focused is reason
        await pilot.press("enter")
        assert form.index == 4
        await pilot.press("5", "2", "5", "5", "4")  # q6 yes_no: 2 = no fault
        assert form.index == 9 and form.focused is form.query_one("#sv-comment", Input)
        assert "9" in _text(form, "#sv-progress")
        await pilot.press(*"ok")
        await pilot.press("ctrl+s")
        await settle(pilot)

        assert not isinstance(app.screen, DelayCallsScreen | SurveyCallForm)
        task = desk.task(task_id)
        assert task.state is TaskState.DONE
        assert task.result["answers"] == {
            "q1": 5, "q2": 4, "q3": 4, "q4": 2, "q5": 5, "q6": 2, "q7": 5, "q8": 5, "q9": 4
        }  # fmt: skip
        assert task.result["reasons"] == {"q4": "slow"} and task.result["comment"] == "ok"
        assert task.result["satisfied"] is True and task.result["accept_by"] == ""


async def test_a_wrong_answer_brings_the_operator_to_its_question(make_app: Any) -> None:
    app, container = make_app(watch=False)
    desk, task_id = _schedule(container)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        form = await _take(pilot)
        await pilot.press("tab", "tab", "5", "5")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SurveyCallForm)
        assert form.index == 2 and isinstance(form.focused, AnswerPad)
        assert set(form.question_errors) == {f"q{n}" for n in range(3, 10)}
        assert "Answer this question" in form.errors["answer"]
        assert desk.task(task_id).attempts == 0
        await pilot.press("3")
        assert "q3" not in form.question_errors and form.index == 3
        assert "answer" in form.errors  # question 4's own, still unanswered


async def test_no_answer_needs_no_survey_and_esc_gives_the_call_back(make_app: Any) -> None:
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
        form.query_one(f"#sv-outcome-{Outcome.NOT_REACHED.value}", RadioButton).value = True
        await pilot.pause()
        assert not form.query_one("#sv-survey").display
        await pilot.press("ctrl+s")
        await settle(pilot)
        task = desk.task(task_id)
        assert task.state is TaskState.OPEN and task.attempts == 1
        assert task.try_at == container.clock.now() + timedelta(hours=4)


def _walk(answers: str) -> Any:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await _take(pilot)
        pilot.app.clear_notifications()
        await pilot.press("tab", "tab", *answers)
        for widget in pilot.app.screen.query("Input, TextArea"):
            widget.cursor_blink = False  # type: ignore[attr-defined]  # steady for the snapshot
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("size", [(80, 24), (160, 45)], ids=["80x24", "160x45"])
def test_snapshot_survey(
    snap_compare: Any, make_app: Any, language: str, size: tuple[int, int]
) -> None:
    app, container = make_app(language=language, watch=False, feed_interval=3600)
    _schedule(container)
    assert snap_compare(app, terminal_size=size, run_before=_walk("5432"))


HOSTILE = "[@click=app.quit][b]王[/b]"


async def test_the_owner_confirms_the_service_record_during_the_call(make_app: Any) -> None:
    app, container = make_app(watch=False)
    desk, task_id = _schedule(container)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        [item] = [i for i in desk.open_items() if i.kind == "feedback"]
        claimed = desk.claim("feedback", item.ref, item.version)
        form = SurveyCallForm(item, claimed.version, acceptance_missing=True)
        await app.push_screen(form)
        await settle(pilot)
        await pilot.press("tab", "tab", *"554452544")
        assert form.index == 9
        await pilot.press(*"fine", "tab")
        assert form.focused is form.query_one("#sv-accept_by", Input)
        await pilot.press("up")  # not the comment: ↑ stays in the field
        assert form.index == 9
        form.query_one("#sv-accept_by", Input).value = HOSTILE
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.is_running and app.screen is not form  # the plate-like text did nothing
        result = desk.task(task_id).result
        assert result["accept_by"] == HOSTILE and result["comment"] == "fine"
        assert result["answers"]["q6"] == 2 and result["satisfied"] is True
