"""A call kind of the tests' own: what adding a kind takes (data and this one module).

A promised call-back about a case (seed 004: "约定时间内做回访"): tried again 10 minutes and
then every hour after no answer, given up after three tries; a reached call records what was
agreed and, optionally, the owner's satisfaction from 1 to 5.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from callcenter.calls.model import CallKind, Outcome, ResultField, Subject
from callcenter.errors import ValidationError, ValidationErrors
from callcenter.validation import check_text


def parse_result(raw: Mapping[str, str]) -> dict[str, Any]:
    errors = []
    payload: dict[str, Any] = {}
    try:
        payload["agreed"] = check_text("agreed", raw.get("agreed"), 200)
    except ValidationError as exc:
        errors.append(exc)
    score = (raw.get("score") or "").strip()
    if score:
        if score not in {"1", "2", "3", "4", "5"}:
            errors.append(ValidationError("score", "A score from 1 to 5."))
        else:
            payload["score"] = int(score)
    if errors:
        raise ValidationErrors(errors)
    return payload


KIND = CallKind(
    name="t_callback",
    label="Call-back (a kind of the tests)",
    subject=Subject.CASE,
    outcomes=(Outcome.REACHED, Outcome.NOT_REACHED, Outcome.BUSY, Outcome.WRONG_NUMBER),
    done_on=frozenset({Outcome.REACHED}),
    give_up_on=frozenset({Outcome.WRONG_NUMBER}),
    retry_after=(timedelta(minutes=10), timedelta(hours=1)),
    max_attempts=3,
    result_fields=(ResultField("agreed", "What was agreed"), ResultField("score", "Score", False)),
    parse_result=parse_result,
)
