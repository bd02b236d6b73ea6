"""The service record and the report-back as typed: raw text in, checked domain data out.

Every field is checked and every wrong one named at once (:class:`ValidationErrors`), so
the form shows each empty field beside it (seed 004: "不得留有空格"). Parts are typed one per
line: ``name, quantity, part number, genuine`` (commas, 、, ；, | or tabs between them);
``genuine`` is 原厂/是/y/yes or 副厂/非原厂/否/n/no.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from callcenter.domain import Case, RescuePlan
from callcenter.errors import ValidationError, ValidationErrors
from callcenter.i18n import _
from callcenter.records.model import (
    AcceptanceMethod,
    FeeKind,
    FeeLine,
    PartLine,
    ReportBack,
    ServiceRecord,
)
from callcenter.validation import check_text, parse_distance, parse_fee, parse_past_local_datetime

__all__ = [
    "AcceptanceInput",
    "RecordInput",
    "ReportBackInput",
    "parse_acceptance",
    "parse_parts",
    "parse_record",
    "parse_report_back",
]

MAX_NAMES = 100
MAX_TEXT = 1000
MAX_PART_LINES = 30
MAX_QUANTITY = 999
_MINUTE = timedelta(minutes=1)
_PART_SPLIT_RE = re.compile(r"\s*[,，、;；|\t]\s*")
_QUANTITY_RE = re.compile(
    r"[x×*]?\s*(\d{1,4})\s*(?:个|件|只|套|条|根|块|升|L|pcs?)?", re.IGNORECASE
)
_YES = frozenset({"原厂", "正品", "纯正", "是", "y", "yes", "genuine", "oem", "true", "1"})
_NO = frozenset({"副厂", "非原厂", "否", "n", "no", "aftermarket", "false", "0"})


@dataclass(frozen=True)
class AcceptanceInput:
    """The owner's acceptance as typed: ``accepted`` is "yes", "no" or "" (not chosen)."""

    accepted: str = ""
    accepted_by: str = ""
    method: str = ""  # AcceptanceMethod value or ""
    accepted_at: str = ""


@dataclass(frozen=True)
class RecordInput:
    """The service record form as typed (raw text and choices)."""

    crew_members: str = ""
    work_started: str = ""
    work_finished: str = ""
    cause: str = ""
    solution: str = ""
    no_parts: bool = False
    parts: str = ""
    fee_labour: str = ""
    fee_parts: str = ""
    fee_towing: str = ""
    towing_km: str = ""
    fee_other: str = ""
    warranty: str = ""  # "in", "out" or "" (not chosen)
    acceptance: AcceptanceInput = AcceptanceInput()


@dataclass(frozen=True)
class ReportBackInput:
    back_at: str = ""
    km_driven: str = ""
    expenses: str = ""
    equipment_returned: bool = False
    crew_notes: str = ""
    follow_up: str = ""


class _Collector:
    """Runs each check, keeps every error."""

    def __init__(self) -> None:
        self.errors: list[ValidationError] = []

    def __call__(self, check: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return check(*args, **kwargs)
        except ValidationErrors as exc:
            self.errors.extend(exc.errors)
        except ValidationError as exc:
            self.errors.append(exc)
        return None

    def add(self, field: str, message: str) -> None:
        self.errors.append(ValidationError(field, message))

    def raise_any(self) -> None:
        if self.errors:
            raise ValidationErrors(self.errors)


def _genuine(text: str) -> bool | None:
    key = unicodedata.normalize("NFKC", text).strip().lower()
    if key in _YES:
        return True
    if key in _NO:
        return False
    return None


def parse_parts(text: str, *, field: str = "parts") -> list[PartLine]:
    """One part per line: ``name, quantity, part number, genuine``. Empty lines are skipped;
    a wrong line is named by its number."""
    check_text(field, text, 4000, required=False, multiline=True)
    lines = [line.strip() for line in (text or "").replace("\r\n", "\n").split("\n")]
    lines = [line for line in lines if line]
    if len(lines) > MAX_PART_LINES:
        raise ValidationError(field, _("At most {n} lines of parts.").format(n=MAX_PART_LINES))
    parts = []
    for number, line in enumerate(lines, start=1):
        items = _PART_SPLIT_RE.split(unicodedata.normalize("NFKC", line))
        if len(items) != 4 or not all(items):
            raise ValidationError(
                field,
                _(
                    "Line {n}: give name, quantity, part number, genuine — e.g. "
                    "“oil filter, 1, JX0810, yes”."
                ).format(n=number),
            )
        name, quantity, part_number, genuine = items
        match = _QUANTITY_RE.fullmatch(quantity)
        if match is None or not 1 <= int(match[1]) <= MAX_QUANTITY:
            raise ValidationError(
                field,
                _("Line {n}: the quantity is a whole number from 1 to {max}.").format(
                    n=number, max=MAX_QUANTITY
                ),
            )
        is_genuine = _genuine(genuine)
        if is_genuine is None:
            raise ValidationError(
                field,
                _("Line {n}: say whether the part is genuine: yes or no.").format(n=number),
            )
        if len(name) > 60 or len(part_number) > 40:
            raise ValidationError(
                field, _("Line {n}: the name or part number is too long.").format(n=number)
            )
        parts.append(PartLine(name, int(match[1]), part_number, is_genuine))
    return parts


def _acceptance(
    check: _Collector, raw: AcceptanceInput, *, tz: ZoneInfo, now: datetime, after: datetime | None
) -> tuple[bool, str, AcceptanceMethod | None, datetime | None] | None:
    if raw.accepted not in ("yes", "no"):
        check.add("accepted", _("Say whether the owner accepted the service."))
        return None
    if raw.accepted == "no":
        return False, "", None, None
    by = check(check_text, "accepted_by", raw.accepted_by, MAX_NAMES)
    method = None
    try:
        method = AcceptanceMethod(raw.method)
    except ValueError:
        check.add("acceptance_method", _("Say how the owner accepted: signed or by phone."))
    at = check(parse_past_local_datetime, raw.accepted_at, tz, now, field="accepted_at")
    if at is not None and after is not None and at < after - timedelta(minutes=1):
        check.add("accepted_at", _("The acceptance cannot come before the work started."))
    if by is None or method is None or at is None:
        return None
    return True, by, method, at


def parse_acceptance(
    raw: AcceptanceInput, *, tz: ZoneInfo, now: datetime, after: datetime | None = None
) -> tuple[bool, str, AcceptanceMethod | None, datetime | None]:
    """The acceptance alone (added later, e.g. during the feedback call)."""
    check = _Collector()
    found = _acceptance(check, raw, tz=tz, now=now, after=after)
    check.raise_any()
    assert found is not None
    return found


def parse_record(
    raw: RecordInput,
    *,
    case: Case,
    policy: str,
    tz: ZoneInfo,
    now: datetime,
) -> ServiceRecord:
    """The record of ``case`` as typed, every field checked; raises ValidationErrors naming
    each wrong or empty field."""
    check = _Collector()
    assert case.id is not None
    crew = check(check_text, "crew_members", raw.crew_members, MAX_NAMES)
    started = check(parse_past_local_datetime, raw.work_started, tz, now, field="work_started")
    finished = check(parse_past_local_datetime, raw.work_finished, tz, now, field="work_finished")
    if started is not None and finished is not None and finished < started:
        check.add("work_finished", _("The work cannot finish before it started."))
    dispatched = case.dispatched_at
    if started is not None and dispatched is not None and started < dispatched - _MINUTE:
        check.add("work_started", _("The work cannot start before the crew was dispatched."))
    cause = check(check_text, "cause", raw.cause, MAX_TEXT, multiline=True)
    solution = check(check_text, "solution", raw.solution, MAX_TEXT, multiline=True)
    parts: list[PartLine] | None = []
    if raw.no_parts:
        if raw.parts.strip():
            check.add(
                "parts",
                _("“No parts replaced” is ticked, yet parts are listed: untick it or clear them."),
            )
    else:
        parts = check(parse_parts, raw.parts)
        if parts is not None and not parts:
            check.add("parts", _("List the parts replaced, or tick “no parts replaced”."))
    fees: list[FeeLine] = []
    for kind, name, text in (
        (FeeKind.LABOUR, "fee_labour", raw.fee_labour),
        (FeeKind.PARTS, "fee_parts", raw.fee_parts),
        (FeeKind.TOWING, "fee_towing", raw.fee_towing),
        (FeeKind.OTHER, "fee_other", raw.fee_other),
    ):
        amount = check(parse_fee, text, name)
        km = None
        if kind is FeeKind.TOWING:
            km = check(parse_distance, raw.towing_km, "towing_km")
        if amount is not None:
            fees.append(FeeLine(kind, amount, km))
    if raw.warranty not in ("in", "out"):
        check.add("warranty", _("Say whether the vehicle is in or out of warranty."))
    acceptance = _acceptance(check, raw.acceptance, tz=tz, now=now, after=started)
    check.raise_any()
    assert acceptance is not None and started is not None and finished is not None
    accepted, by, method, at = acceptance
    return ServiceRecord(
        case_id=case.id,
        crew_members=crew,
        work_started_at=started,
        work_finished_at=finished,
        cause=cause,
        solution=solution,
        no_parts=raw.no_parts,
        parts=list(parts or []),
        fees=fees,
        in_warranty=raw.warranty == "in",
        policy=policy,
        accepted=accepted,
        accepted_by=by,
        acceptance_method=method,
        accepted_at=at,
    )


def tariff_fees(plan: RescuePlan, tariff: dict[RescuePlan, Decimal] | None) -> dict[str, str]:
    """The fee fields pre-filled from the policy's tariff for ``plan`` (towing within 24 h is
    free in the default tariff): the towing plan's fee is the towing line, any other plan's is
    labour."""
    amount = (tariff or {}).get(plan, Decimal("0"))
    text = f"{amount:.2f}"
    zero = "0.00"
    if plan is RescuePlan.TOWING:
        return {"fee_labour": zero, "fee_parts": zero, "fee_towing": text, "fee_other": zero}
    return {"fee_labour": text, "fee_parts": zero, "fee_towing": zero, "fee_other": zero}


def parse_report_back(
    raw: ReportBackInput, *, tz: ZoneInfo, now: datetime, completed_at: datetime | None
) -> ReportBack:
    check = _Collector()
    back = check(parse_past_local_datetime, raw.back_at, tz, now, field="back_at")
    if back is not None and completed_at is not None and back < completed_at - timedelta(minutes=1):
        check.add("back_at", _("The crew cannot be back before the work was completed."))
    km = check(parse_distance, raw.km_driven, "km_driven")
    expenses = check(parse_fee, raw.expenses, "expenses")
    notes = check(
        check_text, "crew_notes", raw.crew_notes, MAX_TEXT, required=False, multiline=True
    )
    follow_up = check(
        check_text, "follow_up", raw.follow_up, MAX_TEXT, required=False, multiline=True
    )
    check.raise_any()
    assert back is not None and km is not None and expenses is not None
    return ReportBack(back, km, expenses, raw.equipment_returned, notes or "", follow_up or "")
