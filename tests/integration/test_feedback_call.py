"""The feedback call (回访) on the call desk, every backend: scheduled, claimed, retried, and
finished with the checked survey as its result."""

from __future__ import annotations

from datetime import timedelta

import pytest

from callcenter import bootstrap
from callcenter.calls import feedback
from callcenter.calls.model import Outcome, TaskState
from callcenter.clock import ManualClock
from callcenter.errors import ValidationErrors
from callcenter.services.calls import CallDesk
from callcenter.survey import SurveyResult
from tests.integration.test_call_desk import _case_id, desk_of

ALL_FIVE = {f"q{n}": "5" for n in range(1, 10)} | {"q6": "2"}  # q6 yes_no: 2 = no fault


@pytest.fixture
def desk(container: bootstrap.Container) -> CallDesk:
    return desk_of(container)


def test_a_feedback_call_is_retried_then_finished_with_the_survey(
    container: bootstrap.Container, clock: ManualClock, desk: CallDesk
) -> None:
    case_id = _case_id(container.services)
    task = desk.schedule(feedback.NAME, due_at=clock.now(), case_id=case_id)
    assert task.id is not None
    [item] = desk.open_items()
    assert (item.kind, item.ref) == ("feedback", task.id)
    assert item.message.startswith("Feedback call: call ")

    desk.claim("feedback", item.ref, item.version)
    missed = desk.record("feedback", item.ref, outcome=Outcome.NOT_REACHED, note="无人接听")
    assert missed.state is TaskState.OPEN  # type: ignore[union-attr]
    assert missed.try_at == clock.now() + timedelta(hours=4)  # type: ignore[union-attr]
    assert desk.open_items() == []
    clock.advance(timedelta(hours=4))
    [again] = desk.open_items()
    assert again.attempts == 1

    # A wrong answer: every wrong field named, nothing saved.
    desk.claim("feedback", again.ref, again.version)
    bad = dict(ALL_FIVE, q2="7", q4="2", accept_by="\x1b]0;x\x07")
    del bad["q9"]
    with pytest.raises(ValidationErrors) as wrong:
        desk.record("feedback", again.ref, outcome=Outcome.REACHED, fields=bad)
    assert set(wrong.value.by_field) == {"q2", "reason_q4", "q9", "accept_by"}
    unchanged = desk.task(again.ref)
    assert unchanged.attempts == 1 and unchanged.state is TaskState.OPEN
    assert desk.attempts(again.ref)[-1].outcome is Outcome.NOT_REACHED

    fields = dict(ALL_FIVE, q4="1", reason_q4="师傅态度差", comment="希望改进", accept_by="张伟")
    done = desk.record("feedback", again.ref, outcome=Outcome.REACHED, fields=fields)
    assert done.state is TaskState.DONE  # type: ignore[union-attr]
    result = desk.task(again.ref).result
    assert result == {
        "template": "default",
        "answers": {f"q{n}": 5 for n in range(1, 10)} | {"q4": 1, "q6": 2},
        "reasons": {"q4": "师傅态度差"},
        "comment": "希望改进",
        "satisfied": True,
        "escalations": ["very_dissatisfied:q4"],
        "accept_by": "张伟",
    }
    assert SurveyResult.from_payload(result).escalations == ("very_dissatisfied:q4",)
    assert desk.attempts(again.ref)[-1].payload == result
    assert "call_attempt" in [e.kind for e in container.services.timeline(case_id)]


def test_three_tries_over_a_day_and_a_refusal_ends_the_task(
    container: bootstrap.Container, clock: ManualClock, desk: CallDesk
) -> None:
    case_id = _case_id(container.services)
    task = desk.schedule(feedback.NAME, due_at=clock.now(), case_id=case_id)
    assert task.id is not None
    start = clock.now()
    desk.record("feedback", task.id, outcome=Outcome.BUSY)
    clock.advance(timedelta(hours=4))
    second = desk.record("feedback", task.id, outcome=Outcome.NOT_REACHED)
    assert second.try_at == start + timedelta(hours=12)  # type: ignore[union-attr]
    clock.advance(timedelta(hours=8))
    last = desk.record("feedback", task.id, outcome=Outcome.NOT_REACHED)
    assert last.state is TaskState.GIVEN_UP and last.result == {}  # type: ignore[union-attr]

    other = desk.schedule(feedback.NAME, due_at=clock.now(), case_id=case_id)
    assert other.id is not None
    refused = desk.record("feedback", other.id, outcome=Outcome.REFUSED, note="不愿回答")
    assert refused.state is TaskState.GIVEN_UP and refused.attempts == 1  # type: ignore[union-attr]
