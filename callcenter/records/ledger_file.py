"""Reading an old rescue ledger (救援登记台帐) kept in Excel or as CSV: the file's rows, its
header row found below the title rows, and each column mapped to a ledger field by its header
(Chinese or English, the export's own headers, or the names other centres use; a TOML mapping
file names the unusual ones).

Pure reading: no database. :mod:`callcenter.records.ledger_rows` turns the rows into cases.
The spreadsheet reader (python-calamine) is imported only when a spreadsheet is read.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from callcenter.errors import CallCenterError
from callcenter.i18n import _
from callcenter.records.ledger_columns import BY_KEY, headers_to_keys
from callcenter.records.ledger_export import FORMULA_STARTS

__all__ = [
    "ALIASES",
    "IGNORE",
    "TIME_OF_DAY",
    "LedgerFile",
    "LedgerFileError",
    "SheetRow",
    "cell_as_text",
    "fold",
    "load_mapping",
    "read_ledger",
]

#: Header rows are looked for among the first rows of the sheet.
HEADER_SEARCH_ROWS = 30
#: A header row names at least this many known columns.
MIN_HEADERS = 2
#: The mapping file's word for a column the import leaves out.
IGNORE = "ignore"
#: A column of the time of day alone, beside a column of dates (日期 | 时间).
TIME_OF_DAY = "received_time"


class LedgerFileError(CallCenterError):
    """The file cannot be read as a ledger (missing, unreadable, no header row, a bad mapping
    file). The message is one line, translated."""


@dataclass(frozen=True)
class SheetRow:
    """One data row: its number as the spreadsheet shows it (1 = the first row) and its
    cells (text, numbers, dates and datetimes, ``None`` for an empty cell)."""

    number: int
    cells: tuple[Any, ...]

    def cell(self, index: int) -> Any:
        return self.cells[index] if index < len(self.cells) else None


@dataclass
class LedgerFile:
    """A ledger read from ``path``: the header row, which column is which field, the rows."""

    path: Path
    sheet: str  # the sheet read (a CSV file's name)
    header_row: int  # as the spreadsheet numbers it
    headers: list[str]  # the header of each column as written in the file
    columns: dict[str, int]  # field → column index
    rows: list[SheetRow] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)  # headers of columns left out

    @property
    def name(self) -> str:
        return self.path.name


def fold(text: str) -> str:
    """A header folded for comparison: NFKC, lower case, without spaces, punctuation, a
    trailing unit in brackets or an asterisk (``联系电话*``, ``Fee (yuan)``, ``车 牌``)."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in folded if ch.isalnum())


#: What other centres call the ledger's columns (folded when compared).
ALIASES: Mapping[str, str] = {
    **dict.fromkeys(
        [
            "日期",
            "报修时间",
            "来电时间",
            "来电日期",
            "接警时间",
            "报警时间",
            "受理时间",
            "求援时间",
            "报修日期",
            "date",
            "received",
            "calltime",
            "datetime",
        ],
        "received_at",
    ),
    **dict.fromkeys(
        [
            "车主",
            "客户",
            "客户姓名",
            "车主姓名",
            "姓名",
            "联系人",
            "报修人",
            "来电人",
            "求援人",
            "customer",
            "customername",
            "owner",
            "name",
            "contact",
        ],
        "caller_name",
    ),
    **dict.fromkeys(
        [
            "电话",
            "手机",
            "联系电话",
            "手机号",
            "手机号码",
            "电话号码",
            "联系方式",
            "来电号码",
            "mobile",
            "tel",
            "telephone",
            "phonenumber",
        ],
        "phone",
    ),
    **dict.fromkeys(
        ["车牌", "车牌号", "车牌号码", "牌照", "牌照号", "plateno", "licenceplate", "licenseplate"],
        "plate",
    ),
    **dict.fromkeys(["车型", "车辆型号", "品牌车型", "model", "vehicle"], "vehicle_model"),
    **dict.fromkeys(
        ["地址", "救援地点", "故障地点", "地点", "救援地址", "位置", "location", "place"],
        "address",
    ),
    **dict.fromkeys(["时间", "来电时刻", "报修时刻", "time", "timeofday"], TIME_OF_DAY),
    **dict.fromkeys(["距离", "公里数", "救援距离", "distance", "km"], "distance_km"),
    **dict.fromkeys(
        ["故障", "故障现象", "故障描述", "故障情况", "故障内容", "fault", "problem"],
        "fault_description",
    ),
    **dict.fromkeys(["故障类别", "故障类型", "faulttype"], "fault_category"),
    **dict.fromkeys(["救援方式", "救援方案", "处理方式", "方案"], "plan"),
    **dict.fromkeys(
        ["救援人员", "维修人员", "服务人员", "维修工", "救援技师", "technician", "mechanic"],
        "crew_members",
    ),
    **dict.fromkeys(["救援车组", "车组", "班组", "救援组", "team"], "crew_code"),
    **dict.fromkeys(["派车时间", "出车时间", "出发时间"], "dispatched_at"),
    **dict.fromkeys(["到达时间", "到场时间", "arrivaltime"], "arrived_at"),
    **dict.fromkeys(["完成时间", "完工时间"], "completed_at"),
    **dict.fromkeys(["回厂时间", "返回时间"], "back_at"),
    **dict.fromkeys(["回访时间"], "feedback_at"),
    **dict.fromkeys(["结案时间"], "closed_at"),
    **dict.fromkeys(["是否准时", "准时"], "on_time"),
    **dict.fromkeys(["延误原因", "超时原因"], "delay_reason"),
    **dict.fromkeys(["报价", "预估费用"], "fee_quote"),
    **dict.fromkeys(
        ["费用", "金额", "收费", "收费金额", "实收", "实收金额", "救援费用", "fee", "amount"],
        "fee_total",
    ),
    **dict.fromkeys(["备注", "说明", "remarks", "remark", "notes", "note"], "crew_notes"),
    **dict.fromkeys(["回访结果"], "feedback_result"),
    **dict.fromkeys(["是否满意", "满意度", "满意"], "satisfied"),
    **dict.fromkeys(["接线员", "受理人", "值班员", "登记人", "记录人"], "operator"),
    **dict.fromkeys(
        [
            "单号",
            "编号",
            "工单号",
            "案件编号",
            "救援单号",
            "派工单号",
            "caseno",
            "ticket",
            "ticketno",
            "number",
        ],
        "number",
    ),
    # The row index many ledgers start with: not a case number.
    **dict.fromkeys(["序号", "no"], IGNORE),
}


_UNIT_RE = re.compile(r"\s*[(（\[【][^()（）\[\]【】]*[)）\]】]\s*$")


def lookup(known: Mapping[str, str], header: str) -> str | None:
    """The field ``header`` names: as written, else without a unit in brackets at its end
    (``费用(元)``, ``距离（公里）``)."""
    found = known.get(fold(header))
    if found is None:
        bare = _UNIT_RE.sub("", header)
        if bare != header and bare:
            found = known.get(fold(bare))
    return found


def _known_headers(mapping: Mapping[str, str]) -> dict[str, str]:
    known = {fold(alias): key for alias, key in ALIASES.items()}
    known.update(headers_to_keys(fold))  # the export's own headers win over aliases
    known.update({fold(header): key for header, key in mapping.items()})
    return known


def load_mapping(path: Path | str) -> dict[str, str]:
    """A mapping file: TOML with a ``[columns]`` table of ``"header in the file" = "field"``
    (a field of the ledger, e.g. ``received_at``, or ``"ignore"``)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise LedgerFileError(_("No such mapping file: {file}").format(file=path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LedgerFileError(
            _("Cannot read the mapping file {file}: {error}").format(file=path, error=_why(exc))
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise LedgerFileError(
            _("The mapping file {file} is not valid TOML: {error}").format(file=path, error=exc)
        ) from None
    columns = data.get("columns")
    if not isinstance(columns, dict) or not columns:
        raise LedgerFileError(
            _('The mapping file {file} needs a [columns] table: "header" = "field".').format(
                file=path
            )
        )
    mapping: dict[str, str] = {}
    for header, key in columns.items():
        if not isinstance(key, str) or (key not in BY_KEY and key not in (IGNORE, TIME_OF_DAY)):
            raise LedgerFileError(
                _(
                    "The mapping file {file} maps {header} to {field}, which is not a field of "
                    "the ledger (one of: {fields})."
                ).format(
                    file=path,
                    header=f"“{header}”",
                    field=f"“{key}”",
                    fields=", ".join([*BY_KEY, TIME_OF_DAY, IGNORE]),
                )
            )
        mapping[str(header)] = key
    return mapping


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


# -- reading the cells ------------------------------------------------------------------------


def _read_csv(path: Path) -> list[tuple[Any, ...]]:
    data = path.read_bytes()
    try:
        if data.startswith(b"\xef\xbb\xbf"):
            text = data[3:].decode("utf-8")
        elif data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
            text = data.decode("utf-16")
        else:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise LedgerFileError(
            _("{file} is neither UTF-8 nor GB18030 text.").format(file=path)
        ) from None
    sample = text[:8192]
    # A comma, unless the file is plainly separated by semicolons or tabs (Excel's CSV in some
    # locales, a "Unicode text" export).
    delimiter = max((",", ";", "\t"), key=lambda d: (sample.count(d), d == ","))
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [tuple(_csv_cell(cell) for cell in row) for row in rows]


def _csv_cell(cell: str) -> str | None:
    """A CSV cell's value: None when blank; without the apostrophe an export puts before a
    text that a spreadsheet would run as a formula (``'=…``, ``'+86…``)."""
    if not cell.strip():
        return None
    if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS):
        return cell[1:]
    return cell


def _read_sheets(path: Path) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
    """Each sheet of the workbook, first to last, read only when asked for."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        names = list(book.sheet_names)
    except Exception as exc:  # calamine raises its own errors for a damaged file
        raise LedgerFileError(
            _("Cannot read {file} as a spreadsheet: {error}").format(file=path, error=_why(exc))
        ) from None
    for index, name in enumerate(names):
        try:
            raw = book.get_sheet_by_index(index).to_python(skip_empty_area=False)
        except Exception as exc:
            raise LedgerFileError(
                _("Cannot read {file} as a spreadsheet: {error}").format(file=path, error=_why(exc))
            ) from None
        yield name, [tuple((None if cell == "" else cell) for cell in row) for row in raw]


def _read_cells(path: Path) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
    """The sheets of ``path`` (a CSV file is one), as (name, rows of cells)."""
    if path.is_dir():
        raise LedgerFileError(_("{file} is a folder, not a file.").format(file=path))
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".txt", ".xlsx", ".xlsm", ".xls", ".ods"):
        raise LedgerFileError(
            _("{file}: read .xlsx, .xls and .csv files only.").format(file=path.name)
        )
    try:
        if suffix in (".csv", ".txt"):
            return iter([(path.stem, _read_csv(path))])
        if not path.is_file():
            path.read_bytes()  # the reason, as the system gives it
        return _read_sheets(path)
    except FileNotFoundError:
        raise LedgerFileError(_("No such file: {file}").format(file=path)) from None
    except IsADirectoryError:
        raise LedgerFileError(_("{file} is a folder, not a file.").format(file=path)) from None
    except OSError as exc:
        raise LedgerFileError(
            _("Cannot read {file}: {error}").format(file=path, error=_why(exc))
        ) from None


def cell_as_text(value: Any) -> str:
    """A cell as text: numbers without a needless ``.0``, dates as ``YYYY-MM-DD [HH:MM]``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        fmt = "%Y-%m-%d %H:%M:%S" if value.second else "%Y-%m-%d %H:%M"
        return value.strftime(fmt)
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return str(value).strip()


_SPACE_RE = re.compile(r"\s+")


def _header_text(value: Any) -> str:
    return _SPACE_RE.sub(" ", cell_as_text(value)).strip()


def _find_header(
    cells: Sequence[tuple[Any, ...]], known: Mapping[str, str]
) -> tuple[int, dict[int, str]]:
    """The index of the header row (the row that names the most known columns, the first
    of equals) and each of its columns' field."""
    best, best_keys = -1, dict[int, str]()
    for index, row in enumerate(cells[:HEADER_SEARCH_ROWS]):
        keys: dict[int, str] = {}
        for col, value in enumerate(row):
            key = lookup(known, _header_text(value))
            if key is not None and key != IGNORE and key not in keys.values():
                keys[col] = key
        if len(keys) > len(best_keys):
            best, best_keys = index, keys
    return best, best_keys


def read_ledger(path: Path | str, mapping: Mapping[str, str] | None = None) -> LedgerFile:
    """Read ``path`` (.xlsx, .xls, .csv in UTF-8 with or without BOM, or GB18030): in its
    first sheet that has one, find the header row below the title rows and map its columns.

    A header cell merged over two rows (``序号``/``车主`` above a row of sub-headers) is
    read from the row above when the header row has nothing in that column.
    """
    path = Path(path)
    known = _known_headers(mapping or {})
    index, keys, cells, sheet = -1, dict[int, str](), list[tuple[Any, ...]](), ""
    for name, rows in _read_cells(path):  # the first sheet with a header row
        index, keys = _find_header(rows, known)
        cells, sheet = rows, name
        if index >= 0 and len(keys) >= MIN_HEADERS:
            break
    if index < 0 or len(keys) < MIN_HEADERS:
        raise LedgerFileError(
            _(
                "{file}: no header row found (looked for column names such as "
                "“日期”, “车主”, “电话”, “车牌” in the first {rows} rows); name unusual "
                "headers in a mapping file (--mapping)."
            ).format(file=path.name, rows=HEADER_SEARCH_ROWS)
        )
    header = cells[index]
    above = cells[index - 1] if index > 0 else ()
    below = cells[index + 1] if index + 1 < len(cells) else ()
    width = max((len(r) for r in cells[index:]), default=0)
    headers: list[str] = []
    header_end = index
    for col in range(width):
        text = _header_text(header[col]) if col < len(header) else ""
        if col not in keys:
            # A two-row header: 车主/电话 under a merged 客户信息, or 序号 merged over both.
            for other, end in ((below, index + 1), (above, index)):
                other_text = _header_text(other[col]) if col < len(other) else ""
                key = lookup(known, other_text)
                if other_text and key is not None and key != IGNORE:
                    if key not in keys.values():
                        keys[col] = key
                        text = other_text
                        header_end = max(header_end, end)
                    break
        headers.append(text)
    if TIME_OF_DAY in keys.values() and "received_at" not in keys.values():
        # 时间 alone holds the whole date and time.
        keys = {col: ("received_at" if key == TIME_OF_DAY else key) for col, key in keys.items()}
    unmapped = [
        text
        for col, text in enumerate(headers)
        if text and col not in keys and lookup(known, text) != IGNORE
    ]
    data = [
        SheetRow(number, row)
        for number, row in enumerate(cells[header_end + 1 :], start=header_end + 2)
        if any(cell_as_text(value) for value in row)
    ]
    return LedgerFile(
        path=path,
        sheet=sheet,
        header_row=index + 1,
        headers=headers,
        columns={key: col for col, key in sorted(keys.items())},
        rows=data,
        unmapped=unmapped,
    )
