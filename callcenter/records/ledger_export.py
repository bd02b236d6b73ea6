"""The rescue ledger (救援登记台帐) written to a file: CSV (UTF-8 with BOM, so that Excel in
China opens it right) or XLSX (headers in the current language, real dates and numbers, the
header row frozen, columns wide enough for Chinese).

Streaming: rows come in batches (the services' keyset reads) and are written as they come
(the XLSX by rustpy-xlsxwriter in its constant-memory mode), so memory stays flat whatever the
size. The file is
written beside the target under a hidden ``.NAME.part`` name and renamed at the end: a cancel
(the ``cancelled`` callable, Ctrl+C) or an error removes it, so no half file is ever left
under the name asked for.

An XLSX of a centre whose zone keeps one offset over the rows (no daylight saving: China's
zones since 1991) is written from cells the database converts (:func:`cell_query`: times as
serial numbers, labels, floats), so that Python only hands each row to the writer; otherwise
each value is converted in Python. Both give the same sheet.

The XLSX writer is imported only when an XLSX is written (never on the board's start-up path).
A text cell of the CSV that a spreadsheet would run as a formula (``=…``, ``+…``, ``-…``, ``@…``)
is written with a leading apostrophe (:data:`FORMULA_STARTS`).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from enum import StrEnum
from itertools import repeat
from operator import attrgetter, call
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from callcenter.errors import ValidationError
from callcenter.i18n import _
from callcenter.records.ledger_columns import (
    LEDGER_COLUMNS,
    ColumnKind,
    LedgerColumn,
    cell_text,
)
from callcenter.records.ledger_query import CellQuery
from callcenter.records.model import LedgerEntry

__all__ = [
    "ExportCancelled",
    "ExportFormat",
    "cell_query",
    "export_format",
    "fixed_offset",
    "partial_path",
    "write_ledger",
]

T = TypeVar("T")

#: Rows of cells read by the database (:class:`~callcenter.records.ledger_query.CellQuery`),
#: with the query that read them.
Cells = tuple[CellQuery, Iterable[list[tuple[Any, ...]]]]

#: What spreadsheet programs take for the start of a formula in a CSV cell (OWASP "CSV
#: injection"): a text cell starting with one of them is written with a leading apostrophe,
#: which Excel shows as text and :func:`~callcenter.records.ledger_file.read_ledger` removes.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
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
    cells: Cells | None = None,
) -> int:
    """Write every row of ``batches`` to ``target``; the number of rows written.

    An XLSX is written from ``cells`` instead when they are given (the same rows read as
    :func:`cell_query` of ``columns`` asks, by the database: several times faster for a
    large ledger); ``batches`` is then not read.

    ``progress`` gets the rows written so far after each batch; when ``cancelled`` returns
    True (checked before each batch) the export stops with :class:`ExportCancelled`. Either
    way, and on any error, the partial file is removed and ``target`` is untouched.
    """
    partial = partial_path(target)
    try:
        if fmt is ExportFormat.XLSX and cells is not None:
            count = _write_xlsx_cells(cells, partial, columns, progress, cancelled)
        elif fmt is ExportFormat.XLSX:
            count = _write_xlsx(batches, partial, tz, columns, progress, cancelled)
        else:
            count = _write_csv(batches, partial, tz, columns, progress, cancelled)
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
    """The rows through rustpy-xlsxwriter (Python bindings of rust_xlsxwriter, the Rust port
    of XlsxWriter by the same author): a generator of rows streamed in its constant-memory
    mode, so the cells are written by compiled code — 100,000 rows of 39 columns take seconds
    where XlsxWriter's pure Python takes most of a minute on this machine (``bench/ledger.py``).
    Text is written as inline text cells, never as a formula, a number or a link."""
    headers = [_(c.header) for c in columns]
    fields = attrgetter(*(c.key for c in columns))  # a row's values in one call
    # Each column's conversion (``str`` for text: the same string back, called from C).
    converts = [_converter(column, tz) or str for column in columns]

    def as_dicts(batch: list[LedgerEntry]) -> Iterator[dict[str, Any]]:
        for entry in batch:
            yield dict(zip(headers, map(call, converts, fields(entry)), strict=True))

    count = [0]
    _save_xlsx(
        path, headers, _streamed(batches, as_dicts, headers, count, progress, cancelled), columns
    )
    return count[0]


def _write_xlsx_cells(
    cells: Cells,
    path: Path,
    columns: tuple[LedgerColumn, ...],
    progress: Callable[[int], None] | None,
    cancelled: Callable[[], bool] | None,
) -> int:
    """The XLSX from rows the database converted (:func:`cell_query`): each row becomes
    its dict in one call (the cursor at its end left out), the times are serial numbers
    shown with :data:`DATE_FORMAT` by their column's format."""
    query, batches = cells
    assert query.keys == tuple(c.key for c in columns)
    headers = [_(c.header) for c in columns]

    def as_dicts(batch: list[tuple[Any, ...]]) -> Iterator[dict[str, Any]]:
        return map(dict, map(zip, repeat(headers), batch))  # zip stops at the cursor

    count = [0]
    rows = _streamed(batches, as_dicts, headers, count, progress, cancelled)
    _save_xlsx(path, headers, rows, columns, query.times)
    return count[0]


def _streamed(
    batches: Iterable[list[T]],
    as_dicts: Callable[[list[T]], Iterator[dict[str, Any]]],
    headers: list[str],
    count: list[int],
    progress: Callable[[int], None] | None,
    cancelled: Callable[[], bool] | None,
) -> Iterator[dict[str, Any]]:
    """Each batch's rows as the writer takes them, counted in ``count[0]``, with the
    progress told and a cancel looked for after each batch. A ledger with no row gives one
    row of empty cells: the header row alone (an empty row writes nothing)."""
    _stop(cancelled)
    for batch in batches:
        yield from as_dicts(batch)
        count[0] += len(batch)
        if progress is not None:
            progress(count[0])
        _stop(cancelled)
    if not count[0]:
        yield dict.fromkeys(headers)


def _save_xlsx(
    path: Path,
    headers: list[str],
    rows: Iterator[dict[str, Any]],
    columns: tuple[LedgerColumn, ...],
    serial_times: frozenset[str] | None = None,
) -> None:
    """``rows`` streamed into the sheet; the columns of ``serial_times`` (serial numbers,
    not datetimes) get the date format of their own."""
    from rustpy_xlsxwriter import FastExcel, Format  # lazy: only an export needs it

    header = Format()
    header.set_bold()
    header.set_background_color("#DDDDDD")
    header.set_border("thin")
    formats: list[Any] | None = None
    if serial_times:
        when = Format()
        when.set_num_format(DATE_FORMAT)
        formats = [when if c.key in serial_times else None for c in columns]
    (
        FastExcel(str(path), output_format="xlsx")
        .format(float_format=NUMBER_FORMAT, datetime_format=DATE_FORMAT)
        .freeze(row=1, col=0)
        .sheet(
            _("Rescue ledger")[:31],
            rows,
            column_widths=[float(c.width + 1) for c in columns],
            column_formats=formats,
            header_format=header,
        )
        .save()
    )


def cell_query(offset: timedelta, columns: tuple[LedgerColumn, ...] = LEDGER_COLUMNS) -> CellQuery:
    """How the XLSX export reads ``columns`` from the database: times as serial numbers of
    the local wall time (UTC + ``offset``, the zone's offset when it is fixed over the rows:
    :func:`fixed_offset`), amounts as floats, 是/否 and labels as their text in the current
    language — the cells :func:`_write_xlsx` makes in Python, made by the database."""
    kinds: dict[ColumnKind, set[str]] = {kind: set() for kind in ColumnKind}
    for column in columns:
        kinds[column.kind].add(column.key)
    return CellQuery(
        keys=tuple(c.key for c in columns),
        times=frozenset(kinds[ColumnKind.DATETIME]),
        numbers=frozenset(kinds[ColumnKind.DECIMAL]),
        labels=tuple(
            (c.key, tuple(_labels(c).items()))
            for c in columns
            if c.kind in (ColumnKind.BOOL, ColumnKind.LABEL)
        ),
        offset_days=offset / timedelta(days=1),
    )


def fixed_offset(tz: ZoneInfo, start: datetime, end: datetime) -> timedelta | None:
    """The offset of ``tz`` from UTC if it is the same from ``start`` to ``end`` (no
    daylight saving or other change between), else None. Looked at once a day (no zone
    changes its offset twice within a day), so a ten-year span costs a few milliseconds."""
    offset = start.astimezone(tz).utcoffset()
    day = timedelta(days=1)
    instant = start
    while instant < end:
        instant = min(instant + day, end)
        if instant.astimezone(tz).utcoffset() != offset:
            return None
    return offset


class _Shown(dict[Any, Any]):
    """The label of each value of a 是/否 or label column; a value without one shows as
    itself, an empty one as an empty cell."""

    def __missing__(self, value: Any) -> str | None:
        return None if value is None or value == "" else str(value)


def _converter(column: LedgerColumn, tz: ZoneInfo) -> Callable[[Any], Any] | None:
    """What turns a value of ``column`` into its XLSX cell (None: written as it is; an empty
    text writes no cell): a time in the centre's zone (the writer keeps its wall time: a
    real date cell), a float (a real number), the label in the current language."""
    if column.kind is ColumnKind.DATETIME:
        return lambda value: value and value.astimezone(tz)
    if column.kind is ColumnKind.DECIMAL:
        return lambda value: None if value is None else float(value)
    if column.kind in (ColumnKind.BOOL, ColumnKind.LABEL):
        return _Shown(_labels(column)).__getitem__
    return None


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
            return defused(shown.get(value) or str(value))

        return label
    if column.kind is ColumnKind.TEXT:
        return lambda entry: defused(str(getattr(entry, key) or ""))
    return lambda entry: cell_text(entry, column, tz)


def defused(text: str) -> str:
    """``text`` as a CSV cell a spreadsheet shows and never runs: an apostrophe before a
    leading ``=``, ``+``, ``-``, ``@``, tab or carriage return."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
