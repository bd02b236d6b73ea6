"""Reading an old ledger's cells (pure): dates in many forms, Excel serials and date cells,
phones Excel turned into numbers, yes/no words, labels in either language, headers with
units, the header row of our own export in either language, keys and duplicates."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from callcenter.errors import ValidationError
from callcenter.i18n import _, language
from callcenter.records.ledger_columns import LEDGER_COLUMNS
from callcenter.records.ledger_file import (
    ALIASES,
    LedgerFileError,
    _known_headers,
    load_mapping,
    lookup,
    read_ledger,
)
from callcenter.records.ledger_rows import (
    _bool,
    _label,
    _phone_text,
    content_key,
    parse_datetime,
    parse_rows,
)
from callcenter.records.model import FeedbackResult

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 22, 14, 30, tzinfo=UTC)
AT_1430 = datetime(2026, 3, 1, 6, 30, tzinfo=UTC)  # 14:30 in Shanghai


@pytest.mark.parametrize(
    "cell",
    [
        "2026-03-01 14:30",
        "2026/3/1 14:30",
        "2026.03.01 14:30",
        "2026-03-01T14:30",
        "2026年3月1日 14时30分",
        "2026年3月1日14:30",
        "２０２６－０３－０１　１４：３０",  # full-width
        "20260301 1430",
        "2026-03-01T14:30:00+08:00",
        datetime(2026, 3, 1, 14, 30),  # a date cell
        46082.604166666664,  # the Excel serial of 2026-03-01 14:30
        "46082.604166666664",  # the same, as CSV text
    ],
)
def test_a_date_in_any_common_form_is_read_in_the_centres_zone(cell: object) -> None:
    assert parse_datetime(cell, TZ, NOW, "received_at") == AT_1430


def test_a_date_alone_is_midnight_and_seconds_are_kept() -> None:
    midnight = datetime(2026, 2, 28, 16, 0, tzinfo=UTC)
    assert parse_datetime("2026-03-01", TZ, NOW, "received_at") == midnight
    assert parse_datetime(date(2026, 3, 1), TZ, NOW, "received_at") == midnight
    assert parse_datetime("2026年3月1日", TZ, NOW, "received_at") == midnight
    assert parse_datetime(46082.0, TZ, NOW, "received_at") == midnight
    with_seconds = parse_datetime("2026-03-01 14:30:05", TZ, NOW, "received_at")
    assert with_seconds == AT_1430.replace(second=5)
    assert parse_datetime(None, TZ, NOW, "received_at") is None
    assert parse_datetime("  ", TZ, NOW, "received_at") is None


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("明天", "Not a date"),
        ("2026-02-30 10:00", "no such date"),
        ("2027-01-01 10:00", "still to come"),
        ("1985-01-01", "before 1990"),
        (12.5, "before 1990"),
        ("3/1/2026", "Not a date"),
    ],
)
def test_a_wrong_date_is_refused_with_a_reason(cell: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_datetime(cell, TZ, NOW, "received_at")


def test_phones_excel_turned_into_numbers_lose_their_point_zero() -> None:
    assert _phone_text(13800138000.0) == "13800138000"
    assert _phone_text("13800138000.0") == "13800138000"
    assert _phone_text("0755-8888 6666 转 123") == "0755-8888 6666 转 123"
    assert _phone_text(None) == ""


def test_yes_and_no_in_either_language_and_marks() -> None:
    for word in ("是", "Yes", "yes", "√", "Y", "准时", True):
        assert _bool(word, "on_time") is True
    for word in ("否", "No", "×", "n", "超时", False):
        assert _bool(word, "on_time") is False
    assert _bool(None, "on_time") is None and _bool(" ", "on_time") is None
    with pytest.raises(ValidationError, match="是"):
        _bool("也许", "on_time")


def test_labels_are_read_in_either_language_or_as_values() -> None:
    for lang in ("zh_CN", "en"):
        with language(lang):
            label = FeedbackResult.NOT_REACHED.label
        assert _label(label, FeedbackResult, "feedback_result") == "not_reached"
    assert _label("not_reached", FeedbackResult, "feedback_result") == "not_reached"
    assert _label("", FeedbackResult, "feedback_result") is None
    with pytest.raises(ValidationError, match="Unknown value"):
        _label("打不通吧", FeedbackResult, "feedback_result")


def test_headers_with_units_aliases_and_our_own_in_both_languages() -> None:
    known = _known_headers({})
    assert lookup(known, "费用(元)") == "fee_total"
    assert lookup(known, "费用（元）") == "fee_total"
    assert lookup(known, "Fee charged (yuan)") == "fee_total"
    assert lookup(known, "On time (original promise)") == "on_time_original"
    assert lookup(known, "On time") == "on_time"
    assert lookup(known, " 车 牌 号 码 ") == "plate"
    assert lookup(known, "Mobile") == "phone"
    assert lookup(known, "序号") == "ignore"
    for lang in ("zh_CN", "en"):
        with language(lang):
            for column in LEDGER_COLUMNS:
                assert lookup(known, _(column.header)) == column.key, (lang, column.header)
    assert set(ALIASES.values()) <= {c.key for c in LEDGER_COLUMNS} | {"ignore", "received_time"}


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows(rows)
    return path


HEADER = ["单号", "日期", "车主", "电话", "车牌", "地址", "故障"]


def test_rows_without_a_number_get_a_stable_key_and_duplicates_are_refused(
    tmp_path: Path,
) -> None:
    path = _csv(
        tmp_path / "l.csv",
        [
            HEADER,
            ["", "2026-03-01 14:30", "张三", "13800138000", "粤B12345", "深圳", "爆胎"],
            ["", "2026/3/1 14:30", "张三", "138 0013 8000", "粤b·12345", "深圳", "爆胎"],
            ["A-1", "2026-03-02 10:00", "李四", "13900139000", "粤B54321", "深圳", "没电"],
            ["A-1", "2026-03-03 10:00", "王五", "13700137000", "粤B67890", "深圳", "没油"],
            ["20260301-12", "2026-03-03 10:00", "王五", "13700137000", "粤B67890", "深圳", "x"],
        ],
    )
    good, refused = parse_rows(read_ledger(path), TZ, NOW)
    assert [(g.row, g.key) for g in good] == [
        (2, content_key(AT_1430, "+8613800138000", "粤B12345")),
        (4, "A-1"),
    ]
    assert good[0].keyed_by_content and good[0].key.startswith("IMP-")
    assert len(good[0].key) <= 20  # cases.number is 20 characters
    assert [r.row for r in refused] == [3, 5, 6]
    assert refused[0].reason == f"the same case as row 2 ({good[0].key})"
    assert refused[1].reason == "the same case as row 4 (A-1)"
    assert refused[2].reason.startswith("单号: A case number of this form is YYYYMMDD-NNNN")


def test_a_refused_row_names_every_faulty_column_by_the_files_header(tmp_path: Path) -> None:
    path = _csv(
        tmp_path / "l.csv",
        [HEADER, ["", "2026-03-01 14:30", "", "12345", "粤B1234", "深圳", "爆胎"]],
    )
    _good, refused = parse_rows(read_ledger(path), TZ, NOW)
    reason = refused[0].reason
    assert reason.startswith("车主: ") and "; 电话: " in reason and "; 车牌: " in reason
    assert reason.index("车主") < reason.index("电话") < reason.index("车牌")


def test_a_file_without_a_header_row_or_a_bad_mapping_is_one_clear_error(
    tmp_path: Path,
) -> None:
    path = _csv(tmp_path / "l.csv", [["a", "b"], ["1", "2"]])
    with pytest.raises(LedgerFileError, match="no header row"):
        read_ledger(path)
    empty = tmp_path / "empty.toml"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(LedgerFileError, match=r"\[columns\]"):
        load_mapping(empty)
    broken = tmp_path / "broken.toml"
    broken.write_text("[columns\n", encoding="utf-8")
    with pytest.raises(LedgerFileError, match="not valid TOML"):
        load_mapping(broken)
    with pytest.raises(LedgerFileError, match="No such mapping file"):
        load_mapping(tmp_path / "none.toml")
    with pytest.raises(LedgerFileError, match="folder"):
        read_ledger(tmp_path)


@pytest.mark.parametrize(
    ("delimiter", "encoding"),
    [(",", "utf-8"), (";", "utf-8-sig"), ("\t", "utf-16"), (",", "gb18030")],
    ids=["comma-utf8", "semicolon-bom", "tab-utf16", "comma-gb18030"],
)
def test_csv_in_the_encodings_and_separators_excel_writes(
    tmp_path: Path, delimiter: str, encoding: str
) -> None:
    path = tmp_path / "l.csv"
    with path.open("w", encoding=encoding, newline="") as out:
        writer = csv.writer(out, delimiter=delimiter)
        writer.writerow(HEADER)
        writer.writerow(
            ["", "2026-03-01 14:30", "张三", "13800138000", "粤B12345", "深圳,南山", "爆胎"]
        )
    good, refused = parse_rows(read_ledger(path), TZ, NOW)
    assert not refused and good[0].entry.address == "深圳,南山"


def test_a_broken_text_file_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_bytes(b"\xef\xbb\xbf\xff\xfe\xfa")
    with pytest.raises(LedgerFileError, match="neither UTF-8 nor GB18030"):
        read_ledger(path)


def test_a_date_column_and_a_time_column_make_one_time(tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "l.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    clock = book.add_format({"num_format": "hh:mm"})
    sheet.write_row(0, 0, ["日期", "时间", "车主", "电话", "车牌", "地址", "故障"])
    rest = ["张三", "13800138000", "粤B12345", "深圳", "爆胎"]
    sheet.write_datetime(1, 0, datetime(2026, 3, 1), day)
    sheet.write_number(1, 1, 14.5 / 24, clock)  # a time cell: a fraction of a day
    sheet.write_row(1, 2, rest)
    sheet.write_string(2, 0, "2026-03-01")
    sheet.write_string(2, 1, "14点30")
    sheet.write_row(2, 2, [*rest[:2], "粤B54321", *rest[3:]])
    sheet.write_string(3, 0, "2026-03-01")
    sheet.write_string(3, 1, "下午")
    sheet.write_row(3, 2, [*rest[:2], "粤B67890", *rest[3:]])
    book.close()
    good, refused = parse_rows(read_ledger(path), TZ, NOW)
    assert [g.entry.received_at for g in good] == [AT_1430, AT_1430]
    assert [(r.row, r.reason) for r in refused] == [
        (4, "时间: Not a time of day: write it as “14:30”")
    ]


def test_a_time_column_alone_holds_the_whole_date(tmp_path: Path) -> None:
    path = _csv(
        tmp_path / "l.csv",
        [
            ["时间", "车主", "电话", "车牌", "地址", "故障"],
            ["2026-03-01 14:30", "张三", "13800138000", "粤B12345", "深圳", "爆胎"],
        ],
    )
    ledger = read_ledger(path)
    assert ledger.columns["received_at"] == 0
    good, _refused = parse_rows(ledger, TZ, NOW)
    assert good[0].entry.received_at == AT_1430


def test_the_first_sheet_with_a_header_row_is_read(tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "l.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("说明").write_string(0, 0, "本台帐由救援中心填写")
    sheet = book.add_worksheet("台帐")
    sheet.write_row(0, 0, ["日期", "车主", "电话", "车牌", "地址", "故障"])
    sheet.write_row(1, 0, ["2026-03-01 14:30", "张三", "13800138000", "粤B12345", "深圳", "爆胎"])
    book.close()
    ledger = read_ledger(path)
    assert (ledger.sheet, ledger.header_row, len(ledger.rows)) == ("台帐", 1, 1)
