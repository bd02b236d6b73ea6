"""The rescue ledger (issue 12 §1–2) on every backend: keyset paging (order, completeness, ties
on the received time), every filter against the same rows filtered in Python, the export (CSV
with BOM, XLSX read back: headers, dates, numbers), cancelling, and the CLI's one-line errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert

from callcenter import bootstrap, cli
from callcenter.i18n import _, language
from callcenter.records.ledger_columns import LEDGER_COLUMNS
from callcenter.records.ledger_export import (
    ExportCancelled,
    ExportFormat,
    fixed_offset,
    partial_path,
    write_ledger,
)
from callcenter.records.ledger_query import LedgerFilter, cursor_of, parse_ledger_filter
from storage.tables import CaseRow, LedgerRow
from tests.conftest import FIXED_NOW

N = 40
#: Rows that share their received time with the row before (ties for the keyset).
TIES = {6, 7, 21}


def _rows() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    made = []
    received = FIXED_NOW
    for i in range(1, N + 1):
        if i not in TIES:
            received = FIXED_NOW - timedelta(hours=7 * i)
        late = i % 5 == 0
        number = f"2026{i:04d}-{i:04d}"
        case = {
            "id": i,
            "number": number,
            "policy": "roadside",
            "status": "closed",
            "received_at": received,
            "caller_name": "张伟" if i % 4 == 0 else "王芳",
            "phone": f"+86138{i:08d}",
            "phone_ext": "",
            "plate": f"粤B{i:05d}",
            "vehicle_model": "",
            "vehicle_type": "car",
            "address": "深圳市福田区深南大道" if i % 3 else "宝安区 100%_路",
            "distance_km": Decimal("8.5"),
            "fault_description": "车辆无法启动",
            "fault_category": "other",
            "priority": "general",
            "plan": "towing" if i % 4 == 0 else "battery",
            "fee_quote": Decimal("150"),
            "fee_agreed": True,
            "notes": "",
            "cancel_reason": "",
            "created_by": "tester",
            "updated_by": "tester",
            "is_open": False,
            "version": 1,
        }
        ledger = {
            "case_id": i,
            "number": number,
            "received_at": received,
            "caller_name": case["caller_name"],
            "phone": case["phone"],
            "plate": case["plate"],
            "vehicle_model": "别克GL8",
            "address": case["address"],
            "distance_km": Decimal("8.5"),
            "fault_category": "自燃" if i == 2 else "other",  # one from an old ledger
            "fault_description": "车辆无法启动",
            "plan": case["plan"],
            "priority": "general",
            "crew_code": "救援1组" if i % 3 == 0 else "救援2组",
            "crew_members": "李强、王磊",
            # a second's fraction on some (dropped by the sheet, which shows minutes)
            "arrived_at": received + timedelta(minutes=50 if late else 30, microseconds=i % 2),
            "completed_at": received + timedelta(minutes=90, seconds=59.9999) if i % 3 else None,
            "promised_arrival_at": received + timedelta(minutes=40),
            "on_time": None if i == 1 else not late,
            "on_time_original": None if i == 1 else not late,
            "delay_reason": "weather" if late else "",
            "fee_quote": Decimal("150"),
            "fee_total": Decimal("235.50"),
            "km_driven": Decimal("17"),
            "expenses": Decimal("10"),
            "equipment_returned": True,
            "crew_notes": "",
            "follow_up": "",
            "record_state": "voided" if i % 7 == 0 else "accepted",
            "accepted": i % 7 != 0,
            "feedback_result": "" if i % 6 == 0 else "answered",
            "satisfied": None,
            "operator": "alice" if i % 2 else "bob",
            "extra": {},
        }
        made.append((case, ledger))
    return made


ROWS = _rows()


@pytest.fixture
def filled(container: bootstrap.Container) -> bootstrap.Container:
    with container.engine.begin() as conn:
        conn.execute(insert(CaseRow.__table__), [case for case, _l in ROWS])
        conn.execute(insert(LedgerRow.__table__), [ledger for _c, ledger in ROWS])
    return container


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """Where exports go (apart from the SQLite file)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def expected(keep: Any) -> list[int]:
    """The ids of the rows ``keep`` accepts, in the ledger's order."""
    kept = [ledger for _c, ledger in ROWS if keep(ledger)]
    kept.sort(key=lambda row: (row["received_at"], row["case_id"]), reverse=True)
    return [row["case_id"] for row in kept]


def all_pages(container: bootstrap.Container, flt: LedgerFilter, size: int = 4) -> list[int]:
    found: list[int] = []
    after = None
    while True:
        page = container.services.ledger_page(flt, after, size)
        found.extend(entry.case_id for entry in page)
        if len(page) < size:
            return found
        after = cursor_of(page[-1])


def local_day(row: dict[str, Any], tz: Any) -> date:
    return row["received_at"].astimezone(tz).date()


# -- paging ------------------------------------------------------------------------------------
def test_keyset_pages_are_complete_and_in_order_with_ties(filled: bootstrap.Container) -> None:
    flt = LedgerFilter(zone=filled.settings.tz)
    everything = expected(lambda row: True)
    assert len(everything) == N
    for size in (1, 3, 4, 7, 100):
        assert all_pages(filled, flt, size) == everything
    first = filled.services.ledger_page(flt, None, 10)
    assert [e.case_id for e in first] == everything[:10]
    # the tied rows come highest id first, and a page boundary between them loses none
    tied = [i for i in everything if i in (5, 6, 7)]
    assert tied == [7, 6, 5]
    assert filled.services.ledger_count(flt) == N


def test_batches_stream_every_row_once(filled: bootstrap.Container) -> None:
    flt = LedgerFilter(zone=filled.settings.tz)
    batches = list(filled.services.ledger_batches(flt, batch=6))
    assert [len(b) for b in batches] == [6] * 6 + [4]
    assert [e.case_id for b in batches for e in b] == expected(lambda row: True)


# -- filters -----------------------------------------------------------------------------------
def test_every_filter(filled: bootstrap.Container) -> None:
    tz = filled.settings.tz
    day_of = {row["case_id"]: local_day(row, tz) for _c, row in ROWS}
    first_day = day_of[30]
    last_day = day_of[10]

    def check(raw: dict[str, str], keep: Any) -> None:
        flt = parse_ledger_filter(raw, tz)
        wanted = expected(keep)
        assert wanted, raw  # every filter here matches some rows, and not all
        assert len(wanted) < N or not raw, raw
        assert all_pages(filled, flt) == wanted, raw
        assert filled.services.ledger_count(flt) == len(wanted), raw

    check({}, lambda r: True)
    check(
        {"date_from": first_day.isoformat(), "date_to": last_day.strftime("%Y/%m/%d")},
        lambda r: first_day <= local_day(r, tz) <= last_day,
    )
    check({"date_from": last_day.isoformat()}, lambda r: local_day(r, tz) >= last_day)
    check({"date_to": first_day.isoformat()}, lambda r: local_day(r, tz) <= first_day)
    check({"crew": "救援1组"}, lambda r: r["crew_code"] == "救援1组")
    check({"operator": "bob"}, lambda r: r["operator"] == "bob")
    check({"plan": "towing"}, lambda r: r["plan"] == "towing")
    check({"on_time": "late"}, lambda r: r["on_time"] is False)
    check({"on_time": "on_time"}, lambda r: r["on_time"] is True)
    check({"delay_reason": "weather"}, lambda r: r["delay_reason"] == "weather")
    check({"record_state": "voided"}, lambda r: r["record_state"] == "voided")
    check({"feedback_result": "answered"}, lambda r: r["feedback_result"] == "answered")
    check({"feedback_result": "-"}, lambda r: r["feedback_result"] == "")
    check({"text": "张伟"}, lambda r: r["caller_name"] == "张伟")
    check({"text": "粤b00012"}, lambda r: r["plate"] == "粤B00012")  # any case
    check({"text": "138 0000 0012"}, lambda r: r["phone"].endswith("0012"))
    check({"text": "20260033-0033"}, lambda r: r["case_id"] == 33)
    check({"text": "100%_"}, lambda r: "100%_" in r["address"])  # LIKE's wildcards are text
    check(
        {"crew": "救援2组", "operator": "alice", "on_time": "late"},
        lambda r: (
            r["crew_code"] == "救援2组" and r["operator"] == "alice" and r["on_time"] is False
        ),
    )


def test_a_filter_nothing_matches(filled: bootstrap.Container) -> None:
    flt = parse_ledger_filter({"text": "没有这个人"}, filled.settings.tz)
    assert filled.services.ledger_page(flt) == []
    assert filled.services.ledger_count(flt) == 0


# -- export ------------------------------------------------------------------------------------
def test_csv_export_has_a_bom_and_every_row(filled: bootstrap.Container, out: Path) -> None:
    import csv

    target = out / "ledger.csv"
    tz = filled.settings.tz
    flt = LedgerFilter(zone=tz)
    seen: list[int] = []
    count = write_ledger(
        filled.services.ledger_batches(flt, batch=7),
        target,
        ExportFormat.CSV,
        tz,
        progress=seen.append,
    )
    assert count == N and seen[-1] == N
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(data.decode("utf-8-sig").splitlines()))
    assert len(rows) == N + 1
    assert rows[0] == [_(c.header) for c in LEDGER_COLUMNS]
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first[_("Case number")] == "20260001-0001"
    assert first[_("Fee charged (yuan)")] == "235.50"
    assert not partial_path(target).exists()


def test_xlsx_export_reads_back_with_headers_dates_and_numbers(
    filled: bootstrap.Container, out: Path
) -> None:
    from python_calamine import CalamineWorkbook

    target = out / "ledger.xlsx"
    tz = filled.settings.tz
    with language("zh_CN"):
        write_ledger(
            filled.services.ledger_batches(LedgerFilter(zone=tz), batch=9),
            target,
            ExportFormat.XLSX,
            tz,
        )
        headers = [_(c.header) for c in LEDGER_COLUMNS]
    rows = CalamineWorkbook.from_path(str(target)).get_sheet_by_index(0).to_python()
    assert len(rows) == N + 1
    assert rows[0] == headers
    assert any("\u4e00" <= ch <= "\u9fff" for ch in "".join(headers))  # Chinese headers
    first = dict(zip(headers, rows[1], strict=True))
    received = first[headers[1]]
    assert isinstance(received, datetime)
    assert received == ROWS[0][1]["received_at"].astimezone(tz).replace(tzinfo=None)
    fee_header = headers[[c.key for c in LEDGER_COLUMNS].index("fee_total")]
    assert first[fee_header] == pytest.approx(235.5)
    assert isinstance(first[fee_header], float)
    assert first[headers[0]] == "20260001-0001"


def _sheet(path: Path) -> list[list[Any]]:
    from python_calamine import CalamineWorkbook

    return list(CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python())


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York"])
def test_the_xlsx_from_the_database_cells_is_the_one_from_the_entries(
    filled: bootstrap.Container, out: Path, lang: str, zone: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service converts the cells in SQL where the zone's offset is fixed (Shanghai) and
    row by row where it is not (New York): either way the same sheet as the entries give —
    local times to the second, labels in the language, an unknown label as itself, 是/否,
    empty cells, numbers."""
    tz = ZoneInfo(zone)
    monkeypatch.setattr(filled.services, "tz", tz)
    flt = LedgerFilter(zone=tz)
    with language(lang):
        count = filled.services.ledger_export(flt, out / "cells.xlsx", ExportFormat.XLSX, batch=7)
        write_ledger(
            filled.services.ledger_batches(flt, batch=9), out / "rows.xlsx", ExportFormat.XLSX, tz
        )
    assert count == N
    cells, rows = _sheet(out / "cells.xlsx"), _sheet(out / "rows.xlsx")
    assert len(cells) == N + 1
    assert cells == rows
    first = dict(zip(cells[0], cells[-1], strict=True))  # the oldest row: case 40
    with language(lang):
        assert first[_("Arrived at")] == (
            ROWS[-1][1]["arrived_at"].astimezone(tz).replace(tzinfo=None, microsecond=0)
        )
        assert first[_("On time")] == _("No")  # 40 is late
        fault = dict(zip(cells[0], cells[-2], strict=True))[_("Fault category")]
    assert fault == ("其他" if lang == "zh_CN" else "Other")
    assert {dict(zip(cells[0], row, strict=True))[cells[0][8]] for row in cells[1:]} >= {"自燃"}


def test_fixed_offset_sees_daylight_saving_and_history() -> None:
    shanghai, new_york = ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York")
    start, end = datetime(2020, 1, 1, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC)
    assert fixed_offset(shanghai, start, end) == timedelta(hours=8)
    assert fixed_offset(ZoneInfo("UTC"), start, end) == timedelta(0)
    assert fixed_offset(new_york, start, end) is None
    assert fixed_offset(
        new_york, datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)
    ) == timedelta(hours=-5)
    # China kept daylight saving from 1986 to 1991.
    assert fixed_offset(shanghai, datetime(1986, 1, 1, tzinfo=UTC), end) is None


@pytest.mark.parametrize("fmt", [ExportFormat.CSV, ExportFormat.XLSX])
def test_the_service_export_cancels_after_a_batch_leaving_no_file(
    filled: bootstrap.Container, out: Path, fmt: ExportFormat
) -> None:
    target = out / f"ledger.{fmt.value}"
    written: list[int] = []
    with pytest.raises(ExportCancelled):
        filled.services.ledger_export(
            LedgerFilter(zone=filled.settings.tz),
            target,
            fmt,
            progress=written.append,
            cancelled=lambda: bool(written),
            batch=5,
        )
    assert written == [5]
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("fmt", [ExportFormat.CSV, ExportFormat.XLSX])
def test_a_cancelled_export_leaves_no_file(
    filled: bootstrap.Container, out: Path, fmt: ExportFormat
) -> None:
    target = out / f"ledger.{fmt.value}"
    tz = filled.settings.tz
    written: list[int] = []

    def cancelled() -> bool:
        return bool(written)  # after the first batch

    with pytest.raises(ExportCancelled):
        write_ledger(
            filled.services.ledger_batches(LedgerFilter(zone=tz), batch=5),
            target,
            fmt,
            tz,
            progress=written.append,
            cancelled=cancelled,
        )
    assert written == [5]
    assert list(out.iterdir()) == []


def test_an_interrupted_export_leaves_no_file(filled: bootstrap.Container, out: Path) -> None:
    target = out / "ledger.xlsx"
    tz = filled.settings.tz

    def batches() -> Iterator[list[Any]]:
        yield from filled.services.ledger_batches(LedgerFilter(zone=tz), batch=5)
        raise KeyboardInterrupt  # Ctrl+C at the CLI

    with pytest.raises(KeyboardInterrupt):
        write_ledger(batches(), target, ExportFormat.XLSX, tz)
    assert list(out.iterdir()) == []


# -- the CLI -----------------------------------------------------------------------------------
def test_cli_export(
    filled: bootstrap.Container, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = filled.settings.database_url
    tz = filled.settings.tz
    day = local_day(ROWS[9][1], tz).isoformat()
    target = out / "day.csv"
    code = cli.main(
        [
            "--database-url",
            url,
            "--lang",
            "en",
            "ledger",
            "export",
            "--from",
            day,
            "--to",
            day,
            "-o",
            str(target),
        ]
    )
    said = capsys.readouterr()
    assert code == 0, said.err
    wanted = expected(lambda r: local_day(r, tz).isoformat() == day)
    assert said.out.strip() == f"{len(wanted)} ledger rows written to {target}"
    assert said.err == ""  # no progress bar off a terminal
    lines = target.read_bytes().decode("utf-8-sig").splitlines()
    assert len(lines) == len(wanted) + 1
    xlsx = out / "all.dat"
    code = cli.main(
        ["--database-url", url, "ledger", "export", "--format", "xlsx", "-o", str(xlsx)]
    )
    assert code == 0
    assert xlsx.read_bytes()[:2] == b"PK"


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (["--from", "2026-13-01"], "--from: There is no such date."),
        (["--to", "yesterday"], "--to: Enter a date as YYYY-MM-DD, e.g. 2026-12-03."),
        (["--from", "2026-12-02", "--to", "2026-12-01"], "--to: The last day comes before"),
        (["--format", "pdf"], "--format: Export as .csv or .xlsx"),
        ([], "--format: Export as .csv or .xlsx (not “txt”)."),
        (["no-output"], "-o FILE is required"),
    ],
)
def test_cli_export_bad_options_one_line(
    filled: bootstrap.Container,
    out: Path,
    capsys: pytest.CaptureFixture[str],
    options: list[str],
    says: str,
) -> None:
    target = out / "out.txt" if not options else out / "out.csv"
    output = [] if options == ["no-output"] else ["-o", str(target)]
    options = [] if options == ["no-output"] else options
    code = cli.main(
        [
            "--database-url",
            filled.settings.database_url,
            "--lang",
            "en",
            "ledger",
            "export",
            *options,
            *output,
        ]
    )
    err = capsys.readouterr().err
    assert code != 0
    assert err.count("\n") == 1 and err.startswith("callcenter: ")
    assert says in err
    assert "Traceback" not in err
    assert list(out.iterdir()) == []


def test_cli_export_to_a_missing_directory(
    filled: bootstrap.Container, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(
        [
            "--database-url",
            filled.settings.database_url,
            "--lang",
            "en",
            "ledger",
            "export",
            "-o",
            str(out / "nowhere" / "x.csv"),
        ]
    )
    err = capsys.readouterr().err
    assert code != 0 and err.count("\n") == 1 and "no such directory" in err


def test_text_through_the_index_and_the_scan_agree(
    filled: bootstrap.Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rare text is looked up in the trigram index, a common one scanned (SQLite: the
    number of ids decides; PostgreSQL: the planner): the rows are the same."""
    from storage import ledger_text

    tz = filled.settings.tz
    flt = parse_ledger_filter({"text": "深南大道"}, tz)
    wanted = expected(lambda r: "深南大道" in r["address"])
    assert all_pages(filled, flt) == wanted
    monkeypatch.setattr(ledger_text, "FEW", 3)  # now "common"
    assert all_pages(filled, flt) == wanted
    assert filled.services.ledger_count(flt) == len(wanted)


def test_the_text_index_follows_every_change(filled: bootstrap.Container) -> None:
    from dataclasses import replace

    services = filled.services
    tz = filled.settings.tz
    entry = services.ledger_entry(12)
    assert entry is not None
    with services.uow() as uow:
        uow.ledger.put(replace(entry, plate="琼A99999", caller_name="欧阳娜娜"))
        uow.commit()

    def found(typed: str) -> list[int]:
        return all_pages(filled, parse_ledger_filter({"text": typed}, tz))

    assert found("琼A99999") == [12]
    assert found("欧阳娜娜") == [12]
    assert found("粤B00012") == []
