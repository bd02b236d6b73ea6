"""A row of an old ledger as a historical case (pure): every cell checked by the rules of
intake (:mod:`callcenter.validation`: phones and plates in any form the intake form takes),
dates as text, Excel serial numbers or date cells, numbers Excel stored as floats.

A row the rules refuse gives one line saying why, named by the file's own headers.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from callcenter import validation
from callcenter.domain import Case, CaseStatus, FaultCategory, Priority, RescuePlan
from callcenter.errors import ValidationError
from callcenter.i18n import LANGUAGES, _, language
from callcenter.records.ledger import on_time
from callcenter.records.ledger_columns import BY_KEY, LEDGER_COLUMNS, ColumnKind, LedgerColumn
from callcenter.records.ledger_file import (
    TIME_OF_DAY,
    LedgerFile,
    SheetRow,
    cell_as_text,
    fold,
)
from callcenter.records.model import LedgerEntry, RecordState

__all__ = [
    "REQUIRED",
    "HistoricalRow",
    "RefusedRow",
    "content_key",
    "differing",
    "historical_case",
    "missing_columns",
    "parse_rows",
    "same_entry",
]

#: The columns a ledger must have: what intake requires of every call.
REQUIRED = ("received_at", "caller_name", "phone", "plate", "address", "fault_description")

#: A row without any of these is no case at all (a total line, a note under the table).
_IDENTITY = ("received_at", "caller_name", "phone", "plate")

#: Text columns: (max length as the ledger stores it, required, multi-line).
_TEXT: Mapping[str, tuple[int, bool, bool]] = {
    "caller_name": (100, True, False),
    "address": (200, True, False),
    "fault_description": (2000, True, True),
    "vehicle_model": (100, False, False),
    "crew_code": (20, False, False),
    "crew_members": (100, False, False),
    "delay_reason": (32, False, False),
    "crew_notes": (2000, False, True),
    "follow_up": (2000, False, True),
    "operator": (64, False, False),
}
_DISTANCES = ("distance_km", "km_driven")
_MONEY = ("fee_quote", "fee_total", "expenses")
_NUMBER_MAX = 20
# A case number of the form this centre gives (YYYYMMDD-NNNN) must be exactly that form: the
# next number of a day is counted on from the largest.
_OURS_RE = re.compile(r"\d{8}-")
_OURS_EXACT_RE = re.compile(r"\d{8}-\d{4}")
_KEY_PREFIX = "IMP-"

_EXCEL_EPOCH = datetime(1899, 12, 30)
_EARLIEST = datetime(1990, 1, 1)
_DATE_RE = re.compile(
    r"(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*T?\s*(?P<H>\d{1,2})\s*[:时点]\s*(?P<M>\d{1,2})\s*分?"
    r"(?:\s*[:]\s*(?P<S>\d{1,2})\s*秒?)?)?"
)
_COMPACT_RE = re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?:\s*(?P<H>\d{2}):?(?P<M>\d{2}))?")
_FLOAT_DIGITS_RE = re.compile(r"\d{5,}\.0+")
_SERIAL_RE = re.compile(r"\d{4,5}(?:\.\d+)?")

_YES = {
    "是",
    "有",
    "y",
    "yes",
    "true",
    "1",
    "√",
    "✓",
    "✔",
    "对",
    "准时",
    "满意",
    "已归还",
    "已验收",
}
_NO = {"否", "无", "n", "no", "false", "0", "×", "✗", "✘", "x", "超时", "迟到", "延误", "不满意"}


@dataclass
class HistoricalRow:
    """A good row: the ledger entry (``case_id`` 0 until stored), its key (the case number,
    or a stable key from the content) and what the case keeps beyond the ledger."""

    row: int
    key: str
    entry: LedgerEntry
    phone_ext: str = ""
    keyed_by_content: bool = False
    cells: tuple[Any, ...] = ()


@dataclass
class RefusedRow:
    row: int
    reason: str
    cells: tuple[Any, ...] = field(default_factory=tuple)


def missing_columns(ledger: LedgerFile) -> list[str]:
    """The required fields the file has no column for."""
    return [key for key in REQUIRED if key not in ledger.columns]


def content_key(received_at: datetime, phone: str, plate: str) -> str:
    """The stable key of a row without a case number: the minute of the call, the phone
    and the plate (the same row read again gives the same key)."""
    base = f"{received_at.astimezone(UTC):%Y%m%dT%H%M}|{phone}|{plate}"
    digest = hashlib.sha1(base.encode(), usedforsecurity=False).hexdigest()[:16].upper()
    return f"{_KEY_PREFIX}{digest}"


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _text_of(value: Any) -> str:
    return cell_as_text(value)


# -- the cells --------------------------------------------------------------------------------


def parse_datetime(value: Any, tz: ZoneInfo, now: datetime, field_name: str) -> datetime | None:
    """A date cell, an Excel serial number or a date typed in many ways, local to ``tz``, as
    aware UTC; ``None`` for an empty cell."""
    local: datetime | None
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        local = value.replace(tzinfo=None) if value.tzinfo is None else None
        if local is None:
            return value.astimezone(UTC).replace(microsecond=0)
    elif isinstance(value, date):
        local = datetime.combine(value, time())
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        local = _serial(float(value), field_name)
    else:
        local = _parse_text_datetime(str(value), tz, field_name)
        if local is not None and local.tzinfo is not None:
            return _check_instant(local.astimezone(UTC), now, field_name)
    if local is None:
        raise ValidationError(
            field_name, _("Not a date: write it as “2026-03-01 14:30” (or a date cell).")
        )
    if local < _EARLIEST:
        raise ValidationError(field_name, _("A date before 1990: check the date."))
    instant = local.replace(microsecond=0, tzinfo=tz).astimezone(UTC)
    return _check_instant(instant, now, field_name)


def _check_instant(instant: datetime, now: datetime, field_name: str) -> datetime:
    if instant > now + timedelta(minutes=1):
        raise ValidationError(field_name, _("This time is still to come."))
    return instant


def _serial(value: float, field_name: str) -> datetime:
    if not 1 <= value < 2958466:
        raise ValidationError(
            field_name, _("Not a date: write it as “2026-03-01 14:30” (or a date cell).")
        )
    seconds = round(value * 86400)
    return _EXCEL_EPOCH + timedelta(seconds=seconds)


def _parse_text_datetime(text: str, tz: ZoneInfo, field_name: str) -> datetime | None:
    cleaned = _nfkc(text)
    for pattern in (_DATE_RE, _COMPACT_RE):
        match = pattern.fullmatch(cleaned)
        if match is None:
            continue
        try:
            hour, minute = int(match["H"] or 0), int(match["M"] or 0)
            second = int(match.groupdict().get("S") or 0)
            return datetime(int(match["y"]), int(match["m"]), int(match["d"]), hour, minute, second)
        except ValueError:
            raise ValidationError(field_name, _("There is no such date.")) from None
    if _SERIAL_RE.fullmatch(cleaned):
        return _serial(float(cleaned), field_name)
    try:
        parsed = datetime.fromisoformat(cleaned)
    except ValueError:
        return None
    return parsed


def _decimal_text(value: Any) -> str:
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f")
    return _text_of(value)


def _phone_text(value: Any) -> str:
    """A phone as text: a number Excel stored (13800138000.0) loses its ``.0``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = _text_of(value)
    if _FLOAT_DIGITS_RE.fullmatch(text):  # 13800138000.0 from a CSV Excel wrote
        return text.split(".", 1)[0]
    return text


def _bool(value: Any, field_name: str) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    text = _nfkc(_text_of(value)).lower()
    if not text:
        return None
    if text in _YES or text in _words("Yes"):
        return True
    if text in _NO or text in _words("No"):
        return False
    raise ValidationError(field_name, _("Write 是 or 否 (Yes or No)."))


def _words(msgid: str) -> set[str]:
    """``msgid`` in every language, lower case."""
    found = set()
    for lang in LANGUAGES:
        with language(lang):
            found.add(_(msgid).lower())
    return found


_LABEL_CACHE: dict[type[StrEnum], dict[str, str]] = {}


def _labels(enum: type[StrEnum]) -> dict[str, str]:
    """Every label of ``enum`` in every language, and its values, folded → value."""
    if enum not in _LABEL_CACHE:
        known: dict[str, str] = {}
        for lang in LANGUAGES:
            with language(lang):
                for member in enum:
                    label = getattr(member, "label", None)
                    if isinstance(label, str):
                        known[fold(label)] = member.value
        for member in enum:
            known[fold(member.value)] = member.value
        _LABEL_CACHE[enum] = known
    return _LABEL_CACHE[enum]


def _label(value: Any, enum: type[StrEnum], field_name: str) -> str | None:
    text = _text_of(value)
    if not text:
        return None
    found = _labels(enum).get(fold(text))
    if found is None:
        shown = ", ".join(str(getattr(m, "label", m.value)) for m in enum)
        raise ValidationError(
            field_name,
            _("Unknown value {value}: one of {values}.").format(value=f"“{text}”", values=shown),
        )
    return found


# -- a row ------------------------------------------------------------------------------------


def _parse_row(
    row: SheetRow, ledger: LedgerFile, tz: ZoneInfo, now: datetime
) -> tuple[HistoricalRow | None, list[tuple[str, str]]]:
    """The row's entry, or the (field, message) of each of its faults."""
    errors: list[tuple[str, str]] = []
    values: dict[str, Any] = {}
    phone_ext = ""
    for column in LEDGER_COLUMNS:
        col = ledger.columns.get(column.key)
        raw = row.cell(col) if col is not None else None
        try:
            value = _cell(column, raw, tz, now)
        except ValidationError as exc:
            errors.append((column.key, exc.message))
            continue
        if isinstance(value, validation.Phone):
            phone_ext, value = value.extension, value.e164
        if column.key == "received_at":
            if value is None:
                errors.append((column.key, _("This field is required.")))
            elif TIME_OF_DAY in ledger.columns:
                try:
                    value = _with_time_of_day(value, row.cell(ledger.columns[TIME_OF_DAY]), tz, now)
                except ValidationError as exc:
                    errors.append((TIME_OF_DAY, exc.message))
        values[column.key] = value
    if errors:
        return None, errors
    entry = _entry(values)
    key = entry.number
    by_content = not key
    if by_content:
        key = content_key(entry.received_at, entry.phone, entry.plate)
        entry.number = key
    return HistoricalRow(row.number, key, entry, phone_ext, by_content, row.cells), []


def _cell(column: LedgerColumn, raw: Any, tz: ZoneInfo, now: datetime) -> Any:
    """One cell's value by the rules of intake; raises ValidationError."""
    key = column.key
    if key == "number":
        return _number(raw)
    if key == "phone":
        return validation.parse_phone(_phone_text(raw))
    if key == "plate":
        return validation.normalize_plate(_text_of(raw), allow_none=True)
    if key in _TEXT:
        limit, required, multiline = _TEXT[key]
        return validation.check_text(
            key, _text_of(raw), limit, required=required, multiline=multiline
        )
    if column.kind is ColumnKind.DATETIME:
        return parse_datetime(raw, tz, now, key)
    if key in _DISTANCES:
        return validation.parse_distance(_decimal_text(raw), key) if _text_of(raw) else Decimal(0)
    if key in _MONEY:
        return validation.parse_fee(_decimal_text(raw), key) if _text_of(raw) else Decimal(0)
    if column.kind is ColumnKind.BOOL:
        return _bool(raw, key)
    if column.kind is ColumnKind.LABEL:
        assert column.labels is not None
        return _label(raw, column.labels, key)
    return _text_of(raw)  # pragma: no cover - every column is one of the above


_CLOCK_RE = re.compile(r"(?P<H>\d{1,2})\s*[:时点]\s*(?P<M>\d{1,2})?\s*分?(?::(?P<S>\d{1,2}))?")


def _with_time_of_day(instant: datetime, raw: Any, tz: ZoneInfo, now: datetime) -> datetime:
    """The day of ``instant`` at the time of day in ``raw`` (a time cell, a fraction of a
    day, ``14:30``, ``14点30``); ``instant`` as it is when ``raw`` is empty."""
    clock: time | None
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return instant
    if isinstance(raw, datetime):
        clock = raw.time()
    elif isinstance(raw, time):
        clock = raw
    elif isinstance(raw, (int, float)) and not isinstance(raw, bool) and 0 <= raw < 1:
        seconds = round(raw * 86400)
        clock = time(seconds // 3600, seconds % 3600 // 60, seconds % 60)
    else:
        match = _CLOCK_RE.fullmatch(_nfkc(_text_of(raw)))
        try:
            clock = (
                time(int(match["H"]), int(match["M"] or 0), int(match["S"] or 0)) if match else None
            )
        except ValueError:
            clock = None
    if clock is None:
        raise ValidationError(TIME_OF_DAY, _("Not a time of day: write it as “14:30”."))
    local = instant.astimezone(tz)
    combined = datetime.combine(local.date(), clock.replace(microsecond=0), tzinfo=tz)
    return _check_instant(combined.astimezone(UTC), now, TIME_OF_DAY)


def _number(raw: Any) -> str:
    text = _nfkc(_phone_text(raw))
    if not text:
        return ""
    text = validation.check_text("number", text, _NUMBER_MAX)
    if text.startswith(_KEY_PREFIX):
        return text
    if _OURS_RE.match(text) and not _OURS_EXACT_RE.fullmatch(text):
        raise ValidationError(
            "number", _("A case number of this form is YYYYMMDD-NNNN, e.g. 20260301-0007.")
        )
    return text


def _entry(v: Mapping[str, Any]) -> LedgerEntry:
    arrived, promised = v.get("arrived_at"), v.get("promised_arrival_at")
    original = v.get("original_promised_at")
    accepted = v.get("accepted")
    record_state = v.get("record_state") or (
        RecordState.ACCEPTED.value if accepted else RecordState.NONE.value
    )
    if accepted is None:
        accepted = record_state == RecordState.ACCEPTED.value
    on_time_now = v.get("on_time")
    if on_time_now is None:
        on_time_now = on_time(arrived, promised)
    on_time_first = v.get("on_time_original")
    if on_time_first is None:
        on_time_first = on_time(arrived, original or promised)
    return LedgerEntry(
        case_id=0,
        number=v.get("number") or "",
        received_at=v["received_at"],
        caller_name=v["caller_name"],
        phone=v["phone"],
        plate=v["plate"],
        vehicle_model=v.get("vehicle_model") or "",
        address=v["address"],
        distance_km=v.get("distance_km") or Decimal("0"),
        fault_category=v.get("fault_category") or FaultCategory.OTHER.value,
        fault_description=v["fault_description"],
        plan=v.get("plan") or RescuePlan.OTHER.value,
        priority=v.get("priority") or Priority.GENERAL.value,
        crew_code=v.get("crew_code") or "",
        crew_members=v.get("crew_members") or "",
        dispatched_at=v.get("dispatched_at"),
        en_route_at=v.get("en_route_at"),
        arrived_at=arrived,
        completed_at=v.get("completed_at"),
        reported_back_at=v.get("reported_back_at"),
        back_at=v.get("back_at"),
        feedback_at=v.get("feedback_at"),
        closed_at=v.get("closed_at"),
        promised_arrival_at=promised,
        original_promised_at=original,
        on_time=on_time_now,
        on_time_original=on_time_first,
        delay_reason=v.get("delay_reason") or "",
        fee_quote=v.get("fee_quote") or Decimal("0"),
        fee_total=v.get("fee_total") or Decimal("0"),
        km_driven=v.get("km_driven") or Decimal("0"),
        expenses=v.get("expenses") or Decimal("0"),
        equipment_returned=bool(v.get("equipment_returned")),
        crew_notes=v.get("crew_notes") or "",
        follow_up=v.get("follow_up") or "",
        record_state=record_state,
        accepted=bool(accepted),
        feedback_result=v.get("feedback_result") or "",
        satisfied=v.get("satisfied"),
        operator=v.get("operator") or "",
    )


def parse_rows(
    ledger: LedgerFile, tz: ZoneInfo, now: datetime
) -> tuple[list[HistoricalRow], list[RefusedRow]]:
    """Every data row of ``ledger``: the good ones as historical rows, the others refused
    with one line naming each faulty column by the file's header. A second row with the
    key of an earlier one is refused too."""
    good: list[HistoricalRow] = []
    refused: list[RefusedRow] = []
    seen: dict[str, int] = {}
    for row in ledger.rows:
        parsed, errors = _parse_row(row, ledger, tz, now)
        if parsed is None:
            if not any(
                _text_of(row.cell(ledger.columns[key]))
                for key in _IDENTITY
                if key in ledger.columns
            ):
                reason = _("not a case: no date, caller, phone or plate (a total, a note?)")
            else:
                reason = _("; ").join(
                    _("{column}: {message}").format(
                        column=_header_of(ledger, key), message=message.rstrip("。.")
                    )
                    for key, message in errors
                )
            refused.append(RefusedRow(row.number, reason, row.cells))
            continue
        first = seen.get(parsed.key)
        if first is not None:
            refused.append(
                RefusedRow(
                    row.number,
                    _("the same case as row {row} ({key})").format(row=first, key=parsed.key),
                    row.cells,
                )
            )
            continue
        seen[parsed.key] = row.number
        good.append(parsed)
    return good, refused


def _header_of(ledger: LedgerFile, key: str) -> str:
    col = ledger.columns.get(key)
    if col is not None and col < len(ledger.headers) and ledger.headers[col]:
        return ledger.headers[col]
    return _(BY_KEY[key].header) if key in BY_KEY else key


def historical_case(row: HistoricalRow, *, policy: str, actor: str) -> Case:
    """The closed case a ledger row stands for."""
    e = row.entry
    try:
        fault = FaultCategory(e.fault_category)
        plan = RescuePlan(e.plan)
        priority = Priority(e.priority)
    except ValueError:  # pragma: no cover - parse_rows gives known values only
        fault, plan, priority = FaultCategory.OTHER, RescuePlan.OTHER, Priority.GENERAL
    closed = e.closed_at or e.feedback_at or e.reported_back_at or e.completed_at or e.received_at
    return Case(
        received_at=e.received_at,
        caller_name=e.caller_name,
        phone=e.phone,
        phone_ext=row.phone_ext,
        plate=e.plate,
        address=e.address,
        distance_km=e.distance_km,
        fault_description=e.fault_description,
        policy=policy,
        number=row.key,
        vehicle_model=e.vehicle_model,
        fault_category=fault,
        priority=priority,
        plan=plan,
        fee_quote=e.fee_quote,
        promised_arrival_at=e.promised_arrival_at,
        original_promised_at=e.original_promised_at,
        status=CaseStatus.CLOSED,
        dispatched_at=e.dispatched_at,
        en_route_at=e.en_route_at,
        arrived_at=e.arrived_at,
        completed_at=e.completed_at,
        reported_back_at=e.reported_back_at,
        feedback_at=e.feedback_at,
        closed_at=closed,
        service_state=e.record_state,
        created_by=e.operator or actor,
    )


#: The fields a ledger row is compared by (the bookkeeping ones aside).
_COMPARED = tuple(c.key for c in LEDGER_COLUMNS)


def same_entry(a: LedgerEntry, b: LedgerEntry) -> bool:
    """The same ledger row, to the minute (what the ledger shows and exports)."""
    return not differing(a, b)


def _differs(a: Any, b: Any) -> bool:
    if isinstance(a, datetime) and isinstance(b, datetime):
        return a.replace(second=0, microsecond=0) != b.replace(second=0, microsecond=0)
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        try:
            return Decimal(a or 0) != Decimal(b or 0)
        except (InvalidOperation, TypeError):
            return True
    return bool(a != b)


def differing(a: LedgerEntry, b: LedgerEntry, keys: Iterable[str] = _COMPARED) -> list[str]:
    """The fields of the two rows that differ (to the minute)."""
    return [key for key in keys if _differs(getattr(a, key), getattr(b, key))]
