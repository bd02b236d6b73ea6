"""What the rescue ledger (救援登记台帐) is asked for: a filter and a keyset cursor (pure).

The screen and the CLI pass the text typed (dates as ``YYYY-MM-DD``, also ``/``, ``.`` or
``年月日``, full-width digits) to :func:`parse_ledger_filter`, which returns a
:class:`LedgerFilter` or raises :class:`~callcenter.errors.ValidationErrors` naming each bad
field. Dates are whole days in the centre's time zone, both ends included; the repository
gets the UTC instants of :meth:`LedgerFilter.bounds`.

Rows come newest first by the time the call was received, ties broken by the case id (also
descending); a :class:`LedgerCursor` is the last row a page showed, and the next page starts
strictly after it (keyset paging: no OFFSET, so page 1,000 costs what page 1 does).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from callcenter.domain import DelayReason, RescuePlan
from callcenter.errors import ValidationError, ValidationErrors
from callcenter.i18n import _
from callcenter.records.model import FeedbackResult, LedgerEntry, RecordState

__all__ = [
    "FILTER_FIELDS",
    "CellQuery",
    "LedgerCursor",
    "LedgerFilter",
    "cursor_of",
    "parse_day",
    "parse_ledger_filter",
]

#: The fields :func:`parse_ledger_filter` reads (and names in its errors).
FILTER_FIELDS = (
    "date_from",
    "date_to",
    "crew",
    "operator",
    "plan",
    "on_time",
    "delay_reason",
    "record_state",
    "feedback_result",
    "text",
)

_DAY_RE = re.compile(r"(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?")
_COMPACT_DAY_RE = re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})")
_PHONE_LIKE_RE = re.compile(r"[\d\s\-()+]+")
_CASE_NUMBER_RE = re.compile(r"\d{8}-\d*")
#: The longest free text searched for (a phone, a plate, a name, part of an address).
MAX_TEXT = 100


@dataclass(frozen=True)
class LedgerCursor:
    """The last row shown: the next page starts strictly after it."""

    received_at: datetime
    case_id: int


def cursor_of(entry: LedgerEntry) -> LedgerCursor:
    return LedgerCursor(entry.received_at, entry.case_id)


@dataclass(frozen=True)
class CellQuery:
    """The ledger read as a spreadsheet's cells, converted by the database (the XLSX export
    of a large ledger, where converting millions of values in Python costs seconds).

    Each row is a tuple: the value of each of ``keys`` in order, then the row's
    :class:`LedgerCursor` (received time, case id) as its last two items. A field of
    ``times`` comes as an Excel serial date-time (days since 1899-12-30) of the UTC time
    plus ``offset_days`` (the centre's zone when its offset is fixed over the rows); a field
    of ``numbers`` as a float; a field of ``labels`` as the text its value maps to (a value
    not in the map as itself); any other field as stored. An empty value comes as None.
    Hashable, so that the repository builds the query's columns once per export.
    """

    keys: tuple[str, ...]
    times: frozenset[str] = frozenset()
    numbers: frozenset[str] = frozenset()
    #: (field, ((value, text), …)) for each field shown by a label.
    labels: tuple[tuple[str, tuple[tuple[object, str], ...]], ...] = ()
    offset_days: float = 0.0


@dataclass(frozen=True)
class LedgerFilter:
    """Which ledger rows to show; every field empty (``None``/"") means "any"."""

    date_from: date | None = None  # local day, included
    date_to: date | None = None  # local day, included
    crew: str = ""  # crew code, exact
    operator: str = ""  # username of who took the call, exact
    plan: str = ""  # RescuePlan value
    on_time: bool | None = None  # True: on time; False: late
    delay_reason: str = ""  # DelayReason value
    record_state: str = ""  # RecordState value
    feedback_result: str = ""  # FeedbackResult value; "-" = no feedback call yet
    text: str = ""  # in the caller, phone, plate, case number or address
    zone: tzinfo = field(default=UTC, compare=False)

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """``[start, end)`` in UTC for the received time (None: open)."""

        def midnight(day: date) -> datetime:
            return datetime.combine(day, time(), tzinfo=self.zone).astimezone(UTC)

        start = midnight(self.date_from) if self.date_from is not None else None
        end = midnight(self.date_to + timedelta(days=1)) if self.date_to is not None else None
        return start, end

    @property
    def is_empty(self) -> bool:
        return self == LedgerFilter(zone=self.zone)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


def parse_day(text: str, field_name: str) -> date | None:
    """A day typed as ``2026-12-03`` (also ``2026/12/3``, ``2026.12.3``, ``2026年12月3日``,
    ``20261203``); "" gives None."""
    cleaned = _fold(text)
    if not cleaned:
        return None
    match = _DAY_RE.fullmatch(cleaned) or _COMPACT_DAY_RE.fullmatch(cleaned)
    if match is None:
        raise ValidationError(field_name, _("Enter a date as YYYY-MM-DD, e.g. 2026-12-03."))
    try:
        return date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        raise ValidationError(field_name, _("There is no such date.")) from None


def _choice(
    raw: Mapping[str, str], name: str, allowed: set[str], errors: list[ValidationError]
) -> str:
    value = _fold(raw.get(name, ""))
    if value and value not in allowed:
        errors.append(ValidationError(name, _("Choose one of the values offered.")))
        return ""
    return value


def parse_ledger_filter(raw: Mapping[str, str], tz: tzinfo) -> LedgerFilter:
    """The filter typed on the ledger screen (or given to the CLI), checked as a whole."""
    from callcenter.validation import check_text  # phonenumbers: not on the start-up path

    errors: list[ValidationError] = []
    days: dict[str, date | None] = {}
    for name in ("date_from", "date_to"):
        try:
            days[name] = parse_day(raw.get(name, ""), name)
        except ValidationError as exc:
            errors.append(exc)
            days[name] = None
    start, end = days["date_from"], days["date_to"]
    if start is not None and end is not None and start > end:
        errors.append(ValidationError("date_to", _("The last day comes before the first.")))
    on_time_text = _fold(raw.get("on_time", ""))
    on_time: bool | None = None
    if on_time_text in ("on_time", "late"):
        on_time = on_time_text == "on_time"
    elif on_time_text:
        errors.append(ValidationError("on_time", _("Choose one of the values offered.")))
    text = _fold(raw.get("text", ""))
    phone_like = _PHONE_LIKE_RE.fullmatch(text) and not _CASE_NUMBER_RE.fullmatch(text)
    if phone_like and sum(ch.isdigit() for ch in text) >= 3:
        text = re.sub(r"[\s\-()]", "", text)  # a phone typed as 158 0494-3649: its digits
    try:
        check_text("text", text, MAX_TEXT, required=False)
    except ValidationError as exc:
        errors.append(exc)
        text = ""
    crew = _fold(raw.get("crew", ""))
    operator = _fold(raw.get("operator", ""))
    for name, value in (("crew", crew), ("operator", operator)):
        try:
            check_text(name, value, 64, required=False)
        except ValidationError as exc:
            errors.append(exc)
    result = LedgerFilter(
        date_from=start,
        date_to=end,
        crew=crew,
        operator=operator,
        plan=_choice(raw, "plan", {p.value for p in RescuePlan}, errors),
        on_time=on_time,
        delay_reason=_choice(raw, "delay_reason", {r.value for r in DelayReason}, errors),
        record_state=_choice(raw, "record_state", {s.value for s in RecordState}, errors),
        feedback_result=_choice(
            raw, "feedback_result", {r.value for r in FeedbackResult} | {"-"}, errors
        ),
        text=text,
        zone=tz,
    )
    if errors:
        raise ValidationErrors(errors)
    return result
