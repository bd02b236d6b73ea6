"""The promised call-back (seed 004: 详细问询故障状况 … 并在约定期间内做回访; 不能及时答复的做好
记录，约定期间予以答复): any operator promises to call a customer back at a time, from a case,
from the desk (a phone number with no case), and later from a complaint or the archive.

The promise names who made it (the task's ``created_by``) and what was promised (its
``note``); the time is typed as text and read by :func:`parse_when`. A call not reached is
tried again 15 minutes later, then after an hour (three tries); a reached call records what
the customer was told.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from callcenter.calls.model import CallKind, Outcome, ResultField, Subject
from callcenter.errors import ValidationError
from callcenter.i18n import N_, _
from callcenter.validation import check_text, parse_local_datetime

NAME = "callback"
_EXAMPLE = N_("Enter a time, e.g. “14:30”, “明天 10:00”, “+2h” or “2026-12-04 09:00”.")
MAX_ANSWER = 500
#: The furthest a promise may be made ahead (a promise for next quarter is a revisit).
MAX_AHEAD = timedelta(days=90)

_RELATIVE_RE = re.compile(
    r"^\+\s*(?P<n>\d{1,4})\s*(?P<unit>m|min|mins|分钟?|h|hr|hrs|小时|个小时|d|day|days|天)$",
    re.IGNORECASE,
)
_UNITS = {
    "m": "minutes",
    "min": "minutes",
    "mins": "minutes",
    "分": "minutes",
    "分钟": "minutes",
    "h": "hours",
    "hr": "hours",
    "hrs": "hours",
    "小时": "hours",
    "个小时": "hours",
    "d": "days",
    "day": "days",
    "days": "days",
    "天": "days",
}


def parse_when(text: str, tz: tzinfo, now: datetime, *, field: str = "when") -> datetime:
    """The time of a promise, typed in the centre's time zone, as aware UTC.

    ``+2h``, ``+30m``, ``+1d`` (also ``+2小时``, ``+30分钟``, ``+1天``) count from ``now``;
    ``14:30`` is today, or tomorrow once past; ``明天 10:00`` / ``今天 16:00``; and
    ``2026-12-04 09:00``. A time past, or more than 90 days ahead, is refused.
    """
    cleaned = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text or "")).strip()
    if match := _RELATIVE_RE.match(cleaned):
        amount = int(match["n"])
        if amount == 0:
            raise ValidationError(field, _("Say how long from now, e.g. “+2h”."))
        unit = _UNITS[match["unit"].lower()]
        at = now.astimezone(UTC) + timedelta(**{unit: amount})
    else:
        try:
            at = parse_local_datetime(cleaned, tz, now, field=field)
        except ValidationError as exc:
            if exc.message == _("Enter a time, e.g. “14:30” or “2025-03-01 14:30”."):
                raise ValidationError(field, _(_EXAMPLE)) from None
            raise
    if at > now + MAX_AHEAD:
        raise ValidationError(field, _("A call-back is promised at most 90 days ahead."))
    return at


def parse_result(raw: Mapping[str, str]) -> dict[str, Any]:
    """A reached call-back: what the customer was told (required)."""
    return {"answer": check_text("answer", raw.get("answer"), MAX_ANSWER, multiline=True)}


KIND = CallKind(
    name=NAME,
    label=N_("Promised call-back"),
    subject=Subject.CUSTOMER,
    outcomes=(Outcome.REACHED, Outcome.NOT_REACHED, Outcome.BUSY, Outcome.WRONG_NUMBER),
    done_on=frozenset({Outcome.REACHED}),
    give_up_on=frozenset({Outcome.WRONG_NUMBER}),
    retry_after=(timedelta(minutes=15), timedelta(hours=1)),
    max_attempts=3,
    result_fields=(ResultField("answer", N_("What the customer was told"), multiline=True),),
    parse_result=parse_result,
    overdue_after=timedelta(minutes=15),  # a promise is kept on time
)
