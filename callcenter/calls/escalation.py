"""The escalation call: a very dissatisfied owner or an open fault found in a feedback survey
(seed 004: 发现重大质量问题及客户非常不满意的状况应在第一时间上报). A supervisor (or whoever
takes it) phones the owner back; it is listed first on every session's desk."""

from __future__ import annotations

from datetime import timedelta

from callcenter.calls.model import CallKind, Outcome, Subject
from callcenter.i18n import N_

NAME = "escalation"

KIND = CallKind(
    name=NAME,
    label=N_("Escalation: call the owner back"),
    subject=Subject.CASE,
    outcomes=(Outcome.REACHED, Outcome.NOT_REACHED, Outcome.BUSY, Outcome.WRONG_NUMBER),
    done_on=frozenset({Outcome.REACHED}),
    give_up_on=frozenset({Outcome.WRONG_NUMBER}),
    retry_after=(timedelta(minutes=30), timedelta(hours=2)),
    max_attempts=5,
    urgent=True,
)
