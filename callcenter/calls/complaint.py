"""The complaint call-back (投诉回访): once a complaint is resolved, the customer is called
back and asked whether they are satisfied with the resolution ("处理到客户满意为止", seed 002).
Satisfied: the complaint is confirmed (已回访确认); not satisfied: it goes back to 处理中
(:mod:`callcenter.services.complaints`). Not reached: tried again after 2 h, then 4 h."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from callcenter.calls.model import CallKind, Outcome, ResultField, Subject
from callcenter.errors import ValidationError
from callcenter.i18n import N_, _

NAME = "complaint_callback"

_YES = {"y", "yes", "1", "是", "满意", "true"}
_NO = {"n", "no", "0", "否", "不满意", "false"}


def parse_result(raw: Mapping[str, str]) -> dict[str, Any]:
    """``satisfied``: yes or no (是/否)."""
    text = (raw.get("satisfied") or "").strip().casefold()
    if text in _YES:
        return {"satisfied": True}
    if text in _NO:
        return {"satisfied": False}
    raise ValidationError("satisfied", _("Say whether the customer is satisfied: yes or no."))


KIND = CallKind(
    name=NAME,
    label=N_("Complaint call-back"),
    subject=Subject.CUSTOMER,
    outcomes=(Outcome.REACHED, Outcome.NOT_REACHED, Outcome.BUSY, Outcome.WRONG_NUMBER),
    done_on=frozenset({Outcome.REACHED}),
    give_up_on=frozenset({Outcome.WRONG_NUMBER}),
    retry_after=(timedelta(hours=2), timedelta(hours=4)),
    max_attempts=4,
    result_fields=(ResultField("satisfied", N_("Satisfied (yes/no)")),),
    parse_result=parse_result,
)
