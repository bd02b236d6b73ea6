"""The feedback call (回访, seed 004): after a job, the owner is asked the satisfaction survey.

A reached call carries the answered survey (:mod:`callcenter.survey`, the default template)
and, when the owner confirms the service record during the call, who confirmed it
(``accept_by``). No answer or a busy line is tried again after 4 hours, then 8 (three tries
over a day); a wrong number, or an owner who will not answer (refused), ends the task.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from callcenter.calls.model import CallKind, Outcome, Subject
from callcenter.errors import ValidationError, ValidationErrors
from callcenter.i18n import N_
from callcenter.survey import parse_answers, site_template
from callcenter.validation import check_text

NAME = "feedback"
MAX_ACCEPT_BY = 40


def parse_result(raw: Mapping[str, str]) -> dict[str, Any]:
    """The survey as typed (``q1``…, ``reason_<key>``, ``comment``) and ``accept_by`` (the
    name of whoever confirms the service record; empty: not confirmed) → the payload kept:
    :meth:`SurveyResult.as_payload` plus ``accept_by``. Names every wrong field at once."""
    errors: list[ValidationError] = []
    payload: dict[str, Any] = {}
    try:
        payload = parse_answers(site_template(), raw).as_payload()
    except ValidationErrors as exc:
        errors.extend(exc.errors)
    try:
        accept_by = check_text("accept_by", raw.get("accept_by"), MAX_ACCEPT_BY, required=False)
    except ValidationError as exc:
        errors.append(exc)
    if errors:
        raise ValidationErrors(errors)
    payload["accept_by"] = accept_by
    return payload


KIND = CallKind(
    name=NAME,
    label=N_("Feedback call"),
    subject=Subject.CASE,
    outcomes=(
        Outcome.REACHED,
        Outcome.NOT_REACHED,
        Outcome.BUSY,
        Outcome.WRONG_NUMBER,
        Outcome.REFUSED,
    ),
    done_on=frozenset({Outcome.REACHED}),
    # Refused: the owner was reached but would not answer the survey; asking again is pointless.
    give_up_on=frozenset({Outcome.WRONG_NUMBER, Outcome.REFUSED}),
    retry_after=(timedelta(hours=4), timedelta(hours=8)),
    max_attempts=3,  # tries at 0, +4 h and +12 h: given up within the day
    parse_result=parse_result,
    overdue_after=timedelta(hours=24),  # the feedback clock of the default policy
    survey="default",
)
