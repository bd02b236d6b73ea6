"""The ledger's filter as typed (dates in the centre's zone, choices, free text) and its cells
(issue 12 §1–2): pure, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from callcenter.errors import ValidationError, ValidationErrors
from callcenter.i18n import language
from callcenter.records.ledger_columns import BY_KEY, cell_text, cell_value, headers_to_keys
from callcenter.records.ledger_export import ExportFormat, export_format, partial_path
from callcenter.records.ledger_query import LedgerFilter, parse_day, parse_ledger_filter
from tests.factories import ledger_entry

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    "typed",
    [
        "2026-12-03",
        "2026/12/3",
        "2026.12.03",
        "2026年12月3日",
        "20261203",
        "２０２６-１２-０３",
        " 2026-12-3 ",
    ],
)
def test_days_in_every_usual_form(typed: str) -> None:
    assert parse_day(typed, "date_from") == date(2026, 12, 3)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("2026-02-30", "There is no such date."),
        ("2026-13-01", "There is no such date."),
        ("yesterday", "Enter a date as YYYY-MM-DD, e.g. 2026-12-03."),
        ("12-03", "Enter a date as YYYY-MM-DD, e.g. 2026-12-03."),
    ],
)
def test_bad_days_name_the_field(typed: str, message: str) -> None:
    with pytest.raises(ValidationErrors) as caught:
        parse_ledger_filter({"date_to": typed}, SHANGHAI)
    assert caught.value.by_field == {"date_to": message}


def test_an_empty_filter_is_empty() -> None:
    flt = parse_ledger_filter({}, SHANGHAI)
    assert flt.is_empty
    assert flt.bounds() == (None, None)
    assert parse_ledger_filter({"text": "  ", "plan": ""}, SHANGHAI).is_empty


def test_days_are_whole_local_days_both_included() -> None:
    flt = parse_ledger_filter({"date_from": "2026-12-01", "date_to": "2026-12-03"}, SHANGHAI)
    start, end = flt.bounds()
    # Shanghai midnight is 16:00 UTC the day before; the end is the midnight after the last day
    assert start == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert end == datetime(2026, 12, 3, 16, 0, tzinfo=UTC)
    one_day = parse_ledger_filter({"date_from": "2026-12-03", "date_to": "2026-12-03"}, SHANGHAI)
    assert one_day.bounds() == (datetime(2026, 12, 2, 16, tzinfo=UTC), end)


def test_several_errors_at_once_and_the_order_of_the_days() -> None:
    with pytest.raises(ValidationErrors) as caught:
        parse_ledger_filter(
            {
                "date_from": "2026-12-05",
                "date_to": "2026-12-01",
                "plan": "helicopter",
                "on_time": "maybe",
                "text": "a\x07b",
            },
            SHANGHAI,
        )
    fields = caught.value.by_field
    assert fields["date_to"] == "The last day comes before the first."
    assert set(fields) == {"date_to", "plan", "on_time", "text"}


def test_choices_and_text() -> None:
    flt = parse_ledger_filter(
        {
            "crew": " 救援1组 ",
            "operator": "alice",
            "plan": "towing",
            "on_time": "late",
            "delay_reason": "weather",
            "record_state": "voided",
            "feedback_result": "-",
            "text": "１３８ ０００-１２",
        },
        SHANGHAI,
    )
    assert flt == LedgerFilter(
        crew="救援1组",
        operator="alice",
        plan="towing",
        on_time=False,
        delay_reason="weather",
        record_state="voided",
        feedback_result="-",
        text="13800012",  # full-width digits folded, a phone's separators dropped
    )
    assert parse_ledger_filter({"on_time": "on_time"}, SHANGHAI).on_time is True
    # a case number keeps its dash
    assert parse_ledger_filter({"text": "20261203-0003"}, SHANGHAI).text == "20261203-0003"


_entry = ledger_entry


def test_cells_as_text_and_values() -> None:
    entry = _entry()
    received = BY_KEY["received_at"]
    assert cell_value(entry, received, SHANGHAI) == datetime(2026, 12, 3, 9, 2, 3)
    assert cell_text(entry, received, SHANGHAI) == "2026-12-03 09:02"
    assert cell_text(entry, BY_KEY["fee_quote"], SHANGHAI) == "150"
    assert cell_text(entry, BY_KEY["fee_total"], SHANGHAI) == "235.50"
    assert cell_value(entry, BY_KEY["distance_km"], SHANGHAI) == Decimal("8.50")
    assert cell_value(entry, BY_KEY["arrived_at"], SHANGHAI) is None
    assert cell_value(entry, BY_KEY["on_time_original"], SHANGHAI) is None
    assert cell_text(entry, BY_KEY["vehicle_model"], SHANGHAI) == ""
    with language("zh_CN"):
        assert cell_text(entry, BY_KEY["on_time"], SHANGHAI) == "否"
        assert cell_text(entry, BY_KEY["equipment_returned"], SHANGHAI) == "是"
        assert cell_text(entry, BY_KEY["plan"], SHANGHAI) == "拖车"
    with language("en"):
        assert cell_text(entry, BY_KEY["plan"], SHANGHAI) == "Towing"
        assert cell_text(entry, BY_KEY["record_state"], SHANGHAI) == "Accepted by the owner"
    # an unknown value (an old ledger's) is shown as it is
    assert cell_text(_entry(plan="helicopter"), BY_KEY["plan"], SHANGHAI) == "helicopter"


def test_headers_map_back_in_both_languages() -> None:
    known = headers_to_keys()
    with language("zh_CN"):
        from callcenter.i18n import _

        zh = _(BY_KEY["received_at"].header)
    assert known[zh] == "received_at"
    assert known["Received at"] == "received_at"


def test_export_format_from_option_or_extension() -> None:
    assert export_format(Path("a.XLSX")) is ExportFormat.XLSX
    assert export_format(Path("a.csv")) is ExportFormat.CSV
    assert export_format(Path("a.txt"), "xlsx") is ExportFormat.XLSX
    assert export_format(Path("a.csv"), ".CSV") is ExportFormat.CSV
    with pytest.raises(ValidationError):
        export_format(Path("a.pdf"))
    with pytest.raises(ValidationError):
        export_format(Path("noext"))
    assert partial_path(Path("/x/台帐.xlsx")) == Path("/x/.台帐.xlsx.part")


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_the_exports_column_writers_agree_with_cell_text(lang: str) -> None:
    from callcenter.records.ledger_columns import LEDGER_COLUMNS, ColumnKind
    from callcenter.records.ledger_export import _text_of, defused

    entries = [
        _entry(),
        _entry(plan="helicopter", on_time=None, record_state="voided", feedback_result="refused"),
        _entry(
            arrived_at=datetime(2026, 12, 31, 17, 59, 59, 999999, tzinfo=UTC),
            satisfied=True,
            fee_total=Decimal("0.00"),
            caller_name="",
        ),
    ]
    with language(lang):
        for column in LEDGER_COLUMNS:
            text_of = _text_of(column, SHANGHAI)
            typed = column.kind in (ColumnKind.TEXT, ColumnKind.LABEL, ColumnKind.BOOL)
            for entry in entries:
                shown = cell_text(entry, column, SHANGHAI)
                # a text the spreadsheet would run (a phone "+86…") gets its apostrophe
                assert text_of(entry) == (defused(shown) if typed else shown), column.key
