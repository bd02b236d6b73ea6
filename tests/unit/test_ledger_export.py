"""The ledger written to a file, without a database: text a spreadsheet would run as a formula
stays text (CSV with an apostrophe the import removes; XLSX as text cells), an empty export
still has its header row, and the XLSX has real dates and numbers (issue 12 §2)."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from callcenter.i18n import _, language
from callcenter.records.ledger_columns import LEDGER_COLUMNS
from callcenter.records.ledger_export import ExportFormat, defused, write_ledger
from callcenter.records.ledger_file import read_ledger
from callcenter.records.model import LedgerEntry
from tests.factories import ledger_entry

TZ = ZoneInfo("Asia/Shanghai")
AT = datetime(2026, 11, 30, 16, 5, tzinfo=UTC)  # 2026-12-01 00:05 in Shanghai
HOSTILE = ['=HYPERLINK("http://x","y")', "+86 138 0000 0001", "-1+2", "@SUM(A1)"]


def entry(number: int, **changes: object) -> LedgerEntry:
    values: dict[str, object] = {
        "case_id": number,
        "number": f"20261201-{number:04d}",
        "received_at": AT,
        "on_time": True,
    }
    return ledger_entry(**(values | changes))


def hostile_rows() -> list[LedgerEntry]:
    return [
        entry(i + 1, caller_name=text, address=text, crew_notes=text)
        for i, text in enumerate(HOSTILE)
    ]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_text_a_spreadsheet_would_run_gets_an_apostrophe(text: str) -> None:
    assert defused(text) == "'" + text
    assert defused("陈静") == "陈静"
    assert defused("") == ""


def test_csv_cells_are_never_formulas_and_the_import_gives_the_text_back(tmp_path: Path) -> None:
    target = tmp_path / "ledger.csv"
    with language("zh_CN"):
        write_ledger([hostile_rows()], target, ExportFormat.CSV, TZ)
        rows = list(csv.reader(target.read_text(encoding="utf-8-sig").splitlines()))
        name = [_(c.header) for c in LEDGER_COLUMNS].index(_("Caller"))
        for row in rows[1:]:
            assert row[name].startswith("'")  # what Excel shows as text
        read = read_ledger(target)
    column = read.columns["caller_name"]
    assert [row.cell(column) for row in read.rows] == HOSTILE


def test_xlsx_text_cells_are_text_not_formulas(tmp_path: Path) -> None:
    import zipfile

    from python_calamine import CalamineWorkbook

    target = tmp_path / "ledger.xlsx"
    write_ledger([hostile_rows()], target, ExportFormat.XLSX, TZ)
    with zipfile.ZipFile(target) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet  # no formula anywhere
    rows = CalamineWorkbook.from_path(str(target)).get_sheet_by_index(0).to_python()
    assert [row[2] for row in rows[1:]] == HOSTILE
    assert (
        read_ledger(target).rows[0].cell(read_ledger(target).columns["caller_name"]) == (HOSTILE[0])
    )


@pytest.mark.parametrize("fmt", [ExportFormat.CSV, ExportFormat.XLSX])
def test_an_empty_export_has_the_header_row_alone(tmp_path: Path, fmt: ExportFormat) -> None:
    from python_calamine import CalamineWorkbook

    target = tmp_path / f"ledger.{fmt.value}"
    with language("zh_CN"):
        assert write_ledger([[]], target, fmt, TZ) == 0
        headers = [_(c.header) for c in LEDGER_COLUMNS]
    if fmt is ExportFormat.CSV:
        rows = list(csv.reader(target.read_text(encoding="utf-8-sig").splitlines()))
    else:
        rows = CalamineWorkbook.from_path(str(target)).get_sheet_by_index(0).to_python()
    assert rows == [headers]


def test_xlsx_has_local_dates_numbers_labels_and_a_frozen_header(tmp_path: Path) -> None:
    import zipfile

    from python_calamine import CalamineWorkbook

    target = tmp_path / "ledger.xlsx"
    with language("en"):
        write_ledger([[entry(1), entry(2, on_time=False)]], target, ExportFormat.XLSX, TZ)
        headers = [_(c.header) for c in LEDGER_COLUMNS]
        yes, no = _("Yes"), _("No")
    rows = CalamineWorkbook.from_path(str(target)).get_sheet_by_index(0).to_python()
    first = dict(zip(headers, rows[1], strict=True))
    assert first[_("Case number")] == "20261201-0001"
    assert first[headers[1]] == datetime(2026, 12, 1, 0, 5)  # the centre's day, not UTC's
    assert first[headers[[c.key for c in LEDGER_COLUMNS].index("fee_total")]] == 235.5
    on_time = [c.key for c in LEDGER_COLUMNS].index("on_time")
    assert (rows[1][on_time], rows[2][on_time]) == (yes, no)
    assert rows[1][[c.key for c in LEDGER_COLUMNS].index("arrived_at")] == ""  # empty cell
    with zipfile.ZipFile(target) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
        styles = book.read("xl/styles.xml").decode()
    assert 'state="frozen"' in sheet and 'ySplit="1"' in sheet
    assert "yyyy-mm-dd hh:mm" in styles
    assert 'customWidth="1"' in sheet
