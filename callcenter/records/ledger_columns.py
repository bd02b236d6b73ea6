"""The rescue ledger's columns (救援登记台帐) as the centre reads them: one spec shared by the
ledger screen, the export (CSV/XLSX) and the import of an old ledger, so that an export read
back in maps every column to the field it came from.

A column is a :class:`~callcenter.records.model.LedgerEntry` field, its header (a msgid,
Chinese in the default language) and how its value is written. :func:`headers_to_keys` knows
each header in every language, for the import.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from callcenter.domain import FaultCategory, Priority, RescuePlan
from callcenter.i18n import LANGUAGES, N_, _, language
from callcenter.records.model import FeedbackResult, LedgerEntry, RecordState

__all__ = [
    "BY_KEY",
    "LEDGER_COLUMNS",
    "ColumnKind",
    "LedgerColumn",
    "cell_text",
    "cell_value",
    "headers_to_keys",
]


class ColumnKind(StrEnum):
    TEXT = "text"
    DATETIME = "datetime"  # a local date and time in the centre's zone
    DECIMAL = "decimal"
    BOOL = "bool"  # 是/否 (Yes/No); empty when unknown
    LABEL = "label"  # an enum value shown by its label


@dataclass(frozen=True)
class LedgerColumn:
    key: str  # the LedgerEntry field
    header: str  # msgid
    kind: ColumnKind = ColumnKind.TEXT
    labels: type[StrEnum] | None = None  # for LABEL columns
    width: int = 12  # display cells a spreadsheet column needs (CJK counts 2)


def _col(key: str, header: str, kind: ColumnKind = ColumnKind.TEXT, **kw: Any) -> LedgerColumn:
    return LedgerColumn(key, header, kind, **kw)


_T, _D, _N, _B, _L = (
    ColumnKind.TEXT,
    ColumnKind.DATETIME,
    ColumnKind.DECIMAL,
    ColumnKind.BOOL,
    ColumnKind.LABEL,
)

#: In the order the ledger shows and exports them.
LEDGER_COLUMNS: tuple[LedgerColumn, ...] = (
    _col("number", N_("Case number"), width=16),
    _col("received_at", N_("Received at"), _D, width=17),
    _col("caller_name", N_("Caller"), width=10),
    _col("phone", N_("Phone"), width=16),
    _col("plate", N_("Plate"), width=11),
    _col("vehicle_model", N_("Vehicle model"), width=14),
    _col("address", N_("Address"), width=28),
    _col("distance_km", N_("Distance (km)"), _N, width=9),
    _col("fault_category", N_("Fault category"), _L, labels=FaultCategory, width=10),
    _col("fault_description", N_("Fault description"), width=24),
    _col("plan", N_("Plan"), _L, labels=RescuePlan, width=10),
    _col("priority", N_("Priority"), _L, labels=Priority, width=8),
    _col("crew_code", N_("Crew"), width=10),
    _col("crew_members", N_("Crew members"), width=14),
    _col("dispatched_at", N_("Dispatched at"), _D, width=17),
    _col("en_route_at", N_("Set off at"), _D, width=17),
    _col("arrived_at", N_("Arrived at"), _D, width=17),
    _col("completed_at", N_("Completed at"), _D, width=17),
    _col("back_at", N_("Back at base"), _D, width=17),
    _col("reported_back_at", N_("Reported back at"), _D, width=17),
    _col("feedback_at", N_("Feedback call at"), _D, width=17),
    _col("closed_at", N_("Closed at"), _D, width=17),
    _col("promised_arrival_at", N_("Promised arrival"), _D, width=17),
    _col("original_promised_at", N_("Original promise"), _D, width=17),
    _col("on_time", N_("On time"), _B, width=8),
    _col("on_time_original", N_("On time (original promise)"), _B, width=8),
    _col("delay_reason", N_("Delay reason"), width=20),
    _col("fee_quote", N_("Fee quoted (yuan)"), _N, width=10),
    _col("fee_total", N_("Fee charged (yuan)"), _N, width=10),
    _col("km_driven", N_("Km driven"), _N, width=9),
    _col("expenses", N_("Expenses (yuan)"), _N, width=10),
    _col("equipment_returned", N_("Equipment returned"), _B, width=8),
    _col("crew_notes", N_("Crew notes"), width=24),
    _col("follow_up", N_("Follow-up needed"), width=20),
    _col("record_state", N_("Service record"), _L, labels=RecordState, width=12),
    _col("accepted", N_("Owner accepted"), _B, width=8),
    _col("feedback_result", N_("Feedback result"), _L, labels=FeedbackResult, width=12),
    _col("satisfied", N_("Owner satisfied"), _B, width=8),
    _col("operator", N_("Operator"), width=10),
)

BY_KEY: Mapping[str, LedgerColumn] = {c.key: c for c in LEDGER_COLUMNS}


def cell_value(entry: LedgerEntry, column: LedgerColumn, tz: ZoneInfo) -> Any:
    """The value for a spreadsheet cell: a naive local ``datetime``, a ``Decimal``, the
    translated 是/否 or label, the text; ``None`` for an empty cell."""
    value = getattr(entry, column.key)
    if value is None or value == "":
        return None
    if column.kind is ColumnKind.DATETIME:
        assert isinstance(value, datetime)
        return value.astimezone(tz).replace(tzinfo=None, microsecond=0)
    if column.kind is ColumnKind.BOOL:
        return _("Yes") if value else _("No")
    if column.kind is ColumnKind.LABEL:
        assert column.labels is not None
        try:
            member = column.labels(value)
        except ValueError:
            return str(value)
        label = getattr(member, "label", None)
        return label if isinstance(label, str) else str(value)
    if column.kind is ColumnKind.DECIMAL:
        return Decimal(value)
    return str(value)


def cell_text(entry: LedgerEntry, column: LedgerColumn, tz: ZoneInfo) -> str:
    """The cell as text (CSV, the screen): local times as ``YYYY-MM-DD HH:MM``."""
    value = cell_value(entry, column, tz)
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    return str(value)


def headers_to_keys(extra: Callable[[str], str] | None = None) -> dict[str, str]:
    """Every column's header in every language (and its field name), folded with
    ``extra`` (e.g. whitespace and case removed), to the field it names."""
    fold = extra or (lambda text: text)
    known: dict[str, str] = {}
    for lang in LANGUAGES:
        with language(lang):
            for column in LEDGER_COLUMNS:
                known[fold(_(column.header))] = column.key
    for column in LEDGER_COLUMNS:
        known[fold(column.key)] = column.key
    return known
