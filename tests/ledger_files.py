"""Ledger files for the import tests, made here: a messy ledger from another centre (title
rows, merged header cells, serial dates, phones Excel turned into numbers, full-width plates,
some bad rows) in .xlsx, .xls and .csv, and an exporter-equivalent of our own ledger."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from callcenter.i18n import _, language
from callcenter.records.ledger_columns import LEDGER_COLUMNS, cell_text, cell_value
from callcenter.records.model import LedgerEntry

TITLE = "深圳市某某汽车救援服务中心 救援登记台帐"
PERIOD = "2026年10月"
# Two header rows: 序号 is merged over both; 客户信息 spans 车主 and 电话 above them.
GROUP_ROW = ["序号", "报修时间", "客户信息", None, "车牌号码", "救援地点", "故障现象", "维修人员",
             "费用(元)", "备注"]  # fmt: skip
HEADER_ROW = [None, None, "车主", "电话", None, None, None, None, None, None]

#: (cells as a spreadsheet holds them, cells as a CSV holds them); None = a blank row.
ROWS: list[tuple[list[Any], list[str]] | None] = [
    (  # row 5: a serial date (number), a phone Excel turned into a float, a full-width plate
        [
            1,
            46300.5,
            "张三",
            13800138000.0,
            "粤B１２３４５",
            "深圳市南山区科技园北区",
            "左前轮爆胎",
            "李强",
            350.0,
            "夜间",
        ],
        [
            "1",
            "46300.5",
            "张三",
            "13800138000.0",
            "粤B１２３４５",
            "深圳市南山区科技园北区",
            "左前轮爆胎",
            "李强",
            "350",
            "夜间",
        ],
    ),
    (  # row 6: a date cell, a landline with 转 extension, a new-energy plate with a dot
        [
            2,
            datetime(2026, 10, 3, 9, 15),
            "李四",
            "0755-8888 6666 转 123",
            "粤B·D12345",
            "深圳市福田区深南大道6008号",
            "电瓶没电",
            "王磊",
            120,
            None,
        ],
        [
            "2",
            "2026-10-03 09:15",
            "李四",
            "0755-8888 6666 转 123",
            "粤B·D12345",
            "深圳市福田区深南大道6008号",
            "电瓶没电",
            "王磊",
            "120",
            "",
        ],
    ),
    (  # row 7: a date as Chinese text, a mobile with spaces, a lower-case plate with a space
        [
            3,
            "2026年10月5日 14时30分",
            "王五",
            "138 0013 8001",
            "京a 12345",
            "北京市朝阳区建国路88号",
            "发动机无法启动",
            "赵刚",
            "¥1,200.50",
            "拖回4S店",
        ],
        [
            "3",
            "2026年10月5日 14时30分",
            "王五",
            "138 0013 8001",
            "京a 12345",
            "北京市朝阳区建国路88号",
            "发动机无法启动",
            "赵刚",
            "¥1,200.50",
            "拖回4S店",
        ],
    ),
    (  # row 8: bad phone
        [
            4,
            "2026/10/06 08:00",
            "赵六",
            "12345",
            "粤B54321",
            "深圳市宝安区",
            "爆胎",
            "李强",
            100,
            None,
        ],
        [
            "4",
            "2026/10/06 08:00",
            "赵六",
            "12345",
            "粤B54321",
            "深圳市宝安区",
            "爆胎",
            "李强",
            "100",
            "",
        ],
    ),
    (  # row 9: bad plate (6 characters)
        [
            5,
            "2026-10-07 10:00",
            "钱七",
            "13900139000",
            "粤B1234",
            "深圳市龙岗区",
            "没油",
            "王磊",
            80,
            None,
        ],
        [
            "5",
            "2026-10-07 10:00",
            "钱七",
            "13900139000",
            "粤B1234",
            "深圳市龙岗区",
            "没油",
            "王磊",
            "80",
            "",
        ],
    ),
    (  # row 10: not a date
        [
            6,
            "明天",
            "孙八",
            "13700137000",
            "粤B67890",
            "深圳市罗湖区",
            "钥匙锁车内",
            "赵刚",
            60,
            None,
        ],
        [
            "6",
            "明天",
            "孙八",
            "13700137000",
            "粤B67890",
            "深圳市罗湖区",
            "钥匙锁车内",
            "赵刚",
            "60",
            "",
        ],
    ),
    None,  # row 11: blank
    (  # row 12: the total line at the bottom
        ["合计", None, None, None, None, None, None, None, 1910.5, None],
        ["合计", "", "", "", "", "", "", "", "1910.5", ""],
    ),
]
GOOD_ROWS = (5, 6, 7)
BAD_ROWS = (8, 9, 10, 12)


def messy_xlsx(path: Path) -> Path:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("10月台帐")
    bold = book.add_format({"bold": True, "align": "center"})
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    sheet.merge_range(0, 0, 0, 9, TITLE, bold)
    sheet.merge_range(1, 0, 1, 9, PERIOD)
    sheet.merge_range(2, 0, 3, 0, "序号", bold)  # merged over both header rows
    sheet.merge_range(2, 2, 2, 3, "客户信息", bold)
    sheet.write_string(3, 2, "车主", bold)
    sheet.write_string(3, 3, "电话", bold)
    _stretch_group_headers(sheet, bold)
    row_index = 4
    for item in ROWS:
        if item is not None:
            for col, value in enumerate(item[0]):
                if value is None:
                    continue
                if isinstance(value, datetime):
                    sheet.write_datetime(row_index, col, value, when)
                elif isinstance(value, (int, float)):
                    sheet.write_number(row_index, col, value)
                else:
                    sheet.write_string(row_index, col, value)
        row_index += 1
    book.close()
    return path


def _stretch_group_headers(sheet: Any, fmt: Any) -> None:
    """The single headers are merged over both header rows, as centres do."""
    for col in (1, 4, 5, 6, 7, 8, 9):
        sheet.merge_range(2, col, 3, col, GROUP_ROW[col], fmt)


def messy_csv_rows() -> list[list[str]]:
    rows: list[list[str]] = [[TITLE] + [""] * 9, [PERIOD] + [""] * 9]
    rows.append([cell or "" for cell in GROUP_ROW])
    rows.append([cell or "" for cell in HEADER_ROW])
    for item in ROWS:
        rows.append([""] * 10 if item is None else item[1])
    return rows


def messy_csv(path: Path, encoding: str) -> Path:
    """``encoding``: ``utf-8-sig`` (with BOM), ``utf-8`` or ``gb18030``."""
    with path.open("w", encoding=encoding, newline="") as out:
        csv.writer(out).writerows(messy_csv_rows())
    return path


def messy_xls(path: Path) -> Path:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("10月台帐")
    when = xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm")
    sheet.write_merge(0, 0, 0, 9, TITLE)
    sheet.write_merge(1, 1, 0, 9, PERIOD)
    sheet.write_merge(2, 3, 0, 0, "序号")
    sheet.write_merge(2, 2, 2, 3, "客户信息")
    for col in (1, 4, 5, 6, 7, 8, 9):
        sheet.write_merge(2, 3, col, col, GROUP_ROW[col])
    sheet.write(3, 2, "车主")
    sheet.write(3, 3, "电话")
    row_index = 4
    for item in ROWS:
        if item is not None:
            for col, value in enumerate(item[0]):
                if value is None:
                    continue
                if isinstance(value, datetime):
                    sheet.write(row_index, col, value, when)
                else:
                    sheet.write(row_index, col, value)
        row_index += 1
    book.save(str(path))
    return path


# -- an exporter-equivalent of our own ledger (whatever the export helper writes) -------------


def export_csv(path: Path, entries: Sequence[LedgerEntry], tz: ZoneInfo, lang: str) -> Path:
    """UTF-8 with BOM: the headers ``_(column.header)`` in LEDGER_COLUMNS order, then the
    ``cell_text`` of each entry."""
    with language(lang), path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([_(column.header) for column in LEDGER_COLUMNS])
        for entry in entries:
            writer.writerow([cell_text(entry, column, tz) for column in LEDGER_COLUMNS])
    return path


def export_xlsx(path: Path, entries: Sequence[LedgerEntry], tz: ZoneInfo, lang: str) -> Path:
    """Headers, dates as date cells, numbers as numbers (xlsxwriter)."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    with language(lang):
        for col, column in enumerate(LEDGER_COLUMNS):
            sheet.write_string(0, col, _(column.header))
        for row, entry in enumerate(entries, start=1):
            for col, column in enumerate(LEDGER_COLUMNS):
                value = cell_value(entry, column, tz)
                if value is None:
                    continue
                if isinstance(value, datetime):
                    sheet.write_datetime(row, col, value, when)
                elif isinstance(value, Decimal):
                    sheet.write_number(row, col, float(value))
                else:
                    sheet.write_string(row, col, str(value))
    sheet.freeze_panes(1, 0)
    book.close()
    return path
