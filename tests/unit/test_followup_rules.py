"""The follow-up calls' pure rules: the revisit's due date, its rules file, the promise's
time typed as text (issue 13 §2)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from callcenter.calls import callback, revisit
from callcenter.errors import ValidationError

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 22, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 15), 3, date(2026, 4, 15)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),  # no 30 February: its last day
        (date(2028, 11, 30), 3, date(2029, 2, 28)),
        (date(2027, 11, 30), 3, date(2028, 2, 29)),  # a leap year
        (date(2026, 12, 31), 2, date(2027, 2, 28)),
        (date(2026, 5, 31), -3, date(2026, 2, 28)),
    ],
)
def test_add_months(day: date, months: int, expected: date) -> None:
    assert revisit.add_months(day, months) == expected


def test_the_revisit_is_due_at_the_call_time_never_before_the_months() -> None:
    rules = revisit.RevisitRules()
    morning = datetime(2026, 3, 10, 7, 0, tzinfo=TZ)  # before 09:00: that day at 09:00
    assert revisit.due_at(morning, rules, TZ) == datetime(2026, 6, 10, 9, 0, tzinfo=TZ)
    evening = datetime(2026, 3, 10, 20, 0, tzinfo=TZ)  # after 09:00: the next day's
    assert revisit.due_at(evening, rules, TZ) == datetime(2026, 6, 11, 9, 0, tzinfo=TZ)
    other = revisit.RevisitRules(months=6, call_at=time(14, 0))
    assert revisit.due_at(morning, other, TZ) == datetime(2026, 9, 10, 14, 0, tzinfo=TZ)


def test_the_sweep_window_holds_every_due_revisit() -> None:
    rules = revisit.RevisitRules()
    for back in range(0, 60):
        now = NOW + timedelta(days=back)
        low = revisit.completed_after(now, rules)
        high = revisit.completed_before(now, rules)
        for hours in range(0, 24 * 150, 7):
            done = now - timedelta(hours=hours)
            due = revisit.due_at(done, rules, TZ)
            if due <= now and now - due <= timedelta(days=rules.skip_after_days):
                assert low <= done < high, (now, done)


def test_the_rules_file_is_checked_naming_the_key() -> None:
    rules = revisit.parse_rules("[revisit]\nmonths = 6\ncall_at = '10:30'\n", "x.toml")
    assert rules.months == 6 and rules.call_at == time(10, 30)
    assert revisit.load_rules() == revisit.RevisitRules()  # the shipped file
    with pytest.raises(revisit.RulesError, match=r"x.toml: revisit.months"):
        revisit.parse_rules("[revisit]\nmonths = 0\n", "x.toml")
    with pytest.raises(revisit.RulesError, match=r"revisit.call_at"):
        revisit.parse_rules("[revisit]\ncall_at = '25:00'\n", "x.toml")
    with pytest.raises(revisit.RulesError, match=r"revisit.days"):
        revisit.parse_rules("[revisit]\ndays = 3\n", "x.toml")


def test_a_site_rules_file_wins(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "followups.toml").write_text("[revisit]\nmonths = 4\n", encoding="utf-8")
    assert revisit.load_rules(tmp_path).months == 4


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+2h", NOW + timedelta(hours=2)),
        ("+30m", NOW + timedelta(minutes=30)),
        ("+ 1 天", NOW + timedelta(days=1)),
        ("+2小时", NOW + timedelta(hours=2)),
        ("23:00", datetime(2026, 11, 22, 23, 0, tzinfo=TZ)),
        ("14:30", datetime(2026, 11, 23, 14, 30, tzinfo=TZ)),  # past today: tomorrow
        ("明天 10:00", datetime(2026, 11, 23, 10, 0, tzinfo=TZ)),
        ("明天10点半", datetime(2026, 11, 23, 10, 30, tzinfo=TZ)),
        ("2026-12-04 09:00", datetime(2026, 12, 4, 9, 0, tzinfo=TZ)),
        ("２０２６-１２-０４ ０９:００", datetime(2026, 12, 4, 9, 0, tzinfo=TZ)),
    ],
)
def test_the_time_of_a_promise(text: str, expected: datetime) -> None:
    assert callback.parse_when(text, TZ, NOW) == expected


@pytest.mark.parametrize("text", ["", "soon", "+0h", "今天 10:00", "2026-11-01 09:00", "+100d"])
def test_a_wrong_time_of_a_promise_is_named(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        callback.parse_when(text, TZ, NOW)
    assert caught.value.field == "when"
