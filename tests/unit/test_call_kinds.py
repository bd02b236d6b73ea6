"""Call kinds as data (issue 10): the retry schedule and when a call is finished (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from callcenter.calls import kinds
from callcenter.calls.model import CallKind, Outcome, Subject, TaskState

AT = datetime(2026, 11, 22, 14, 30, tzinfo=UTC)
KIND = CallKind(
    name="t_unit",
    label="Unit-test call",
    subject=Subject.CUSTOMER,
    retry_after=(timedelta(minutes=10), timedelta(hours=2)),
    max_attempts=3,
)


def test_an_unsuccessful_try_waits_by_the_schedule_and_the_last_wait_repeats() -> None:
    assert KIND.after(Outcome.NOT_REACHED, 1, AT) == (TaskState.OPEN, AT + timedelta(minutes=10))
    assert KIND.after(Outcome.BUSY, 2, AT) == (TaskState.OPEN, AT + timedelta(hours=2))
    assert KIND.after(Outcome.NOT_REACHED, 3, AT) == (TaskState.GIVEN_UP, AT)


def test_reached_finishes_and_a_wrong_number_gives_up_at_once() -> None:
    assert KIND.after(Outcome.REACHED, 3, AT) == (TaskState.DONE, AT)
    assert KIND.after(Outcome.WRONG_NUMBER, 1, AT) == (TaskState.GIVEN_UP, AT)
    assert KIND.after(Outcome.REFUSED, 1, AT) == (TaskState.GIVEN_UP, AT)


@pytest.mark.parametrize(
    "changes",
    [
        {"name": ""},
        {"name": "x" * 25},
        {"retry_after": ()},
        {"retry_after": (timedelta(0),)},
        {"max_attempts": 0},
        {"done_on": frozenset({Outcome.WRONG_NUMBER})},
        {"outcomes": (Outcome.REACHED,)},
    ],
)
def test_a_kind_that_makes_no_sense_is_refused(changes: dict[str, object]) -> None:
    values: dict[str, object] = {"name": "t_bad", "label": "x", "subject": Subject.CASE}
    values.update(changes)
    with pytest.raises(ValueError):
        CallKind(**values)  # type: ignore[arg-type]


def test_the_delay_call_is_the_first_built_in_kind() -> None:
    delay = kinds.get("delay")
    assert kinds.all_kinds()[0] is delay and delay.external
    assert delay.outcomes == (Outcome.REACHED, Outcome.NOT_REACHED)


def test_a_kind_is_registered_once_and_built_in_kinds_stay() -> None:
    with kinds.registered(KIND):
        assert kinds.get("t_unit") is KIND
        with pytest.raises(ValueError):
            kinds.register(CallKind(name="t_unit", label="other", subject=Subject.CASE))
    with pytest.raises(KeyError):
        kinds.get("t_unit")
    with pytest.raises(ValueError):
        kinds.unregister("delay")


def test_an_escalation_calls_note_is_shown_in_words_not_codes() -> None:
    from datetime import UTC, datetime

    from callcenter.calls.model import CallTask
    from callcenter.i18n import language

    at = datetime(2026, 12, 1, tzinfo=UTC)
    task = CallTask(
        kind="escalation",
        due_at=at,
        created_at=at,
        created_by="x",
        note="very_dissatisfied:q2, open_fault",
    )
    with language("zh_CN"):
        assert task.shown_note == "非常不满意（第 2 题）, 车主反映仍有故障需要协调处理"
    with language("en"):
        assert "very_dissatisfied" not in task.shown_note
    plain = CallTask(kind="callback", due_at=at, created_at=at, created_by="x", note="open_fault")
    assert plain.shown_note == "open_fault"  # another kind's note is what was typed
