"""The rescue ledger (救援登记台帐) written to a file: CSV (UTF-8 with BOM, so that Excel in
China opens it right) or XLSX (headers in the current language, real dates and numbers, the
header row frozen, columns wide enough for Chinese).

Streaming: rows come in batches (the services' keyset reads) and are written as they come,
XlsxWriter in ``constant_memory`` mode, so memory stays flat whatever the size. The file is
written beside the target under a hidden ``.NAME.part`` name and renamed at the end: a cancel
(the ``cancelled`` callable, Ctrl+C) or an error removes it, so no half file is ever left
under the name asked for.

XlsxWriter is imported only when an XLSX is written (never on the board's start-up path).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterable
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from callcenter.errors import ValidationError
from callcenter.i18n import _
from callcenter.records.ledger_columns import (
    LEDGER_COLUMNS,
    ColumnKind,
    LedgerColumn,
    cell_text,
)
from callcenter.records.model import LedgerEntry

__all__ = [
    "ExportCancelled",
    "ExportFormat",
    "export_format",
    "partial_path",
    "write_ledger",
]

#: Excel's day zero (1900 date system, with its leap-year quirk folded in).
_EXCEL_EPOCH = datetime(1899, 12, 30)
DATE_FORMAT = "yyyy-mm-dd hh:mm"
NUMBER_FORMAT = "0.00"


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


class ExportCancelled(Exception):
    """The export was cancelled; nothing was left behind."""


def export_format(
    target: Path | str, fmt: str | None = None, *, field: str = "format"
) -> ExportFormat:
    """The format asked for, else the one of the file's extension; ValidationError if neither
    is CSV or XLSX."""
    wanted = (fmt or "").strip().lower().lstrip(".")
    if not wanted:
        wanted = Path(target).suffix.lower().lstrip(".")
    try:
        return ExportFormat(wanted)
    except ValueError:
        raise ValidationError(
            field, _("Export as .csv or .xlsx (not “{format}”).").format(format=wanted or "?")
        ) from None


def partial_path(target: Path) -> Path:
    """Where the file is written until it is complete (beside ``target``, hidden)."""
    return target.with_name(f".{target.name}.part")


def write_ledger(
    batches: Iterable[list[LedgerEntry]],
    target: Path,
    fmt: ExportFormat,
    tz: ZoneInfo,
    *,
    progress: Callable[[int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    columns: tuple[LedgerColumn, ...] = LEDGER_COLUMNS,
) -> int:
    """Write every row of ``batches`` to ``target``; the number of rows written.

    ``progress`` gets the rows written so far after each batch; when ``cancelled`` returns
    True (checked before each batch) the export stops with :class:`ExportCancelled`. Either
    way, and on any error, the partial file is removed and ``target`` is untouched.
    """
    partial = partial_path(target)
    try:
        writer = _write_xlsx if fmt is ExportFormat.XLSX else _write_csv
        count = writer(batches, partial, tz, columns, progress, cancelled)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return count


def _stop(cancelled: Callable[[], bool] | None) -> None:
    if cancelled is not None and cancelled():
        raise ExportCancelled


def _write_csv(
    batches: Iterable[list[LedgerEntry]],
    path: Path,
    tz: ZoneInfo,
    columns: tuple[LedgerColumn, ...],
    progress: Callable[[int], None] | None,
    cancelled: Callable[[], bool] | None,
) -> int:
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([_(c.header) for c in columns])
        _stop(cancelled)
        texts = [_text_of(column, tz) for column in columns]
        for batch in batches:
            writer.writerows([text(entry) for text in texts] for entry in batch)
            count += len(batch)
            if progress is not None:
                progress(count)
            _stop(cancelled)
    return count


def _write_xlsx(
    batches: Iterable[list[LedgerEntry]],
    path: Path,
    tz: ZoneInfo,
    columns: tuple[LedgerColumn, ...],
    progress: Callable[[int], None] | None,
    cancelled: Callable[[], bool] | None,
) -> int:
    import xlsxwriter  # lazy: only an export needs it

    book = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            # Text typed is data: never turned into a formula, a number or a link.
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    count = 0
    try:
        sheet = book.add_worksheet(_("Rescue ledger")[:31])
        header = book.add_format({"bold": True, "bg_color": "#DDDDDD", "border": 1})
        dates = book.add_format({"num_format": DATE_FORMAT})
        numbers = book.add_format({"num_format": NUMBER_FORMAT})
        for index, column in enumerate(columns):
            sheet.set_column(index, index, column.width + 1)
        sheet.freeze_panes(1, 0)
        for index, column in enumerate(columns):
            sheet.write_string(0, index, _(column.header), header)
        cells = [
            _cell_writer(index, column, sheet, tz, dates, numbers)
            for index, column in enumerate(columns)
        ]
        row = 0
        _stop(cancelled)
        for batch in batches:
            for entry in batch:
                row += 1
                for write in cells:
                    write(row, entry)
            count += len(batch)
            if progress is not None:
                progress(count)
            _stop(cancelled)
    finally:
        book.close()
    return count


def _cell_writer(
    index: int, column: LedgerColumn, sheet: Any, tz: ZoneInfo, dates: Any, numbers: Any
) -> Callable[[int, LedgerEntry], None]:
    """What writes ``column`` of a row: the value :func:`cell_value` gives, with what does
    not change from row to row (labels, 是/否, the formats) worked out once per export."""
    key = column.key
    write_string, write_number = sheet.write_string, sheet.write_number
    if column.kind is ColumnKind.DATETIME:

        def write_time(row: int, entry: LedgerEntry) -> None:
            value = getattr(entry, key)
            if value is not None:
                local = value.astimezone(tz).replace(tzinfo=None, microsecond=0)
                write_number(row, index, (local - _EXCEL_EPOCH).total_seconds() / 86400, dates)

        return write_time
    if column.kind is ColumnKind.DECIMAL:

        def write_decimal(row: int, entry: LedgerEntry) -> None:
            value = getattr(entry, key)
            if value is not None:
                write_number(row, index, float(value), numbers)

        return write_decimal
    if column.kind in (ColumnKind.BOOL, ColumnKind.LABEL):
        shown = _labels(column)

        def write_label(row: int, entry: LedgerEntry) -> None:
            value = getattr(entry, key)
            if value is not None and value != "":
                write_string(row, index, shown.get(value) or str(value))

        return write_label

    def write_text(row: int, entry: LedgerEntry) -> None:
        value = getattr(entry, key)
        if value:
            write_string(row, index, str(value))

    return write_text


def _labels(column: LedgerColumn) -> dict[Any, str]:
    """The shown text of each value of a 是/否 or label column, in the current language."""
    if column.labels is not None:
        return {m.value: str(getattr(m, "label", m.value)) for m in column.labels}
    return {True: _("Yes"), False: _("No")}


def _text_of(column: LedgerColumn, tz: ZoneInfo) -> Callable[[LedgerEntry], str]:
    """:func:`~callcenter.records.ledger_columns.cell_text` of ``column``, with what does not
    change from row to row worked out once per export (the CSV writes millions of cells)."""
    key = column.key
    if column.kind in (ColumnKind.BOOL, ColumnKind.LABEL):
        shown = _labels(column)

        def label(entry: LedgerEntry) -> str:
            value = getattr(entry, key)
            if value is None or value == "":
                return ""
            return shown.get(value) or str(value)

        return label
    if column.kind is ColumnKind.TEXT:
        return lambda entry: str(getattr(entry, key) or "")
    return lambda entry: cell_text(entry, column, tz)
