"""The maintenance cycle as data (seed 004) and the next due point: hours or months,
whichever comes first."""

from __future__ import annotations

from datetime import date

import pytest

from callcenter.archive.maintenance import CycleError, add_months, load_cycle, next_due, parse_cycle

TODAY = date(2026, 11, 22)


def test_the_shipped_cycle_is_seed_004s() -> None:
    cycle = load_cycle()
    assert [p.hours for p in cycle.points] == [100, 600, 1200, 1800, 2400]
    assert cycle.points[0].days == 10 and cycle.points[1].months == 3
    assert cycle.remind_days == 7


def test_running_hours_come_first_when_the_machine_works_hard() -> None:
    due = next_due(
        load_cycle(),
        purchase_date=date(2026, 9, 1),
        running_hours=550,
        reading_on=TODAY,
        maintained_hours=None,
        today=TODAY,
    )
    assert due is not None and due.hours == 600 and due.by_hours
    assert due.on == date(2026, 11, 29) and not due.overdue


def test_the_calendar_comes_first_when_it_stands_idle() -> None:
    due = next_due(
        load_cycle(),
        purchase_date=date(2026, 9, 1),
        running_hours=120,
        reading_on=TODAY,
        maintained_hours=100,
        today=TODAY,
    )
    assert due is not None and due.hours == 600 and not due.by_hours
    assert due.on == date(2026, 12, 1)


def test_a_point_passed_without_its_service_is_overdue() -> None:
    due = next_due(
        load_cycle(),
        purchase_date=date(2026, 1, 10),
        running_hours=700,
        reading_on=date(2026, 11, 1),
        maintained_hours=100,
        today=TODAY,
    )
    assert due is not None and due.hours == 600 and due.overdue and due.on == date(2026, 4, 10)


def test_after_the_last_point_every_600_hours_and_without_history_points_passed_count() -> None:
    due = next_due(
        load_cycle(),
        purchase_date=date(2020, 5, 31),
        running_hours=None,
        reading_on=None,
        maintained_hours=None,
        today=TODAY,
    )
    assert due is not None and due.hours > 2400 and due.on > TODAY
    assert (due.on - TODAY).days <= 92
    assert (
        next_due(
            load_cycle(),
            purchase_date=None,
            running_hours=None,
            reading_on=None,
            maintained_hours=None,
            today=TODAY,
        )
        is None
    )


def test_months_are_calendar_months() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)


def test_a_wrong_cycle_file_says_where() -> None:
    with pytest.raises(CycleError, match=r"points\[1\].hours: must grow"):
        parse_cycle({"points": [{"hours": 600, "months": 3}, {"hours": 100, "days": 10}]})
    with pytest.raises(CycleError, match="needs days or months"):
        parse_cycle({"points": [{"hours": 100}]})
