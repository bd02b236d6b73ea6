"""The shift-handover digest's builder and its shift arithmetic (pure: no database)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from callcenter import handover
from callcenter.calls.model import CallTask
from callcenter.complaints.model import (
    Category,
    Channel,
    Complaint,
    Escalation,
    EscalationKind,
    Status,
)
from callcenter.domain import Alert, AlertKind, Case, CaseEvent, CaseStatus, Crew, CrewStatus
from callcenter.errors import ValidationError
from callcenter.handover import Facts, HandoverRead
from callcenter.records.model import FeedbackResult, SurveyRecord
from callcenter.settings import SettingsError, parse_shift_starts

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 22, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai
START = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)  # 20:00 in Shanghai
NEXT_END = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # 20:00 tomorrow


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SH).astimezone(UTC)


@pytest.mark.parametrize(
    ("now", "start", "end"),
    [
        (local(22, 22, 30), local(22, 20), local(23, 8)),
        (local(23, 7, 59), local(22, 20), local(23, 8)),
        (local(23, 8, 0), local(23, 8), local(23, 20)),
        (local(23, 0, 0), local(22, 20), local(23, 8)),
        (local(22, 19, 59), local(22, 8), local(22, 20)),
    ],
)
def test_the_shift_of_an_instant_in_shanghai(now: datetime, start: datetime, end: datetime) -> None:
    found = handover.shift_start(now, SH)
    assert found == start
    assert handover.shift_after(found, SH) == end


def test_three_shifts_a_day() -> None:
    starts = (time(0, 0), time(8, 0), time(16, 0))
    assert handover.shift_start(local(22, 23, 59), SH, starts) == local(22, 16)
    assert handover.shift_start(local(23, 0, 0), SH, starts) == local(23, 0)
    assert handover.shift_after(local(22, 16), SH, starts) == local(23, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("21:00", local(22, 21)),
        ("22:30", local(22, 22, 30)),  # now itself is not in the future
        ("22:31", local(21, 22, 31)),  # later today: yesterday's
        ("23:00", local(21, 23)),
        ("0:00", local(22, 0)),
        ("21：00", local(22, 21)),  # a full-width colon, as typed with a Chinese IME
    ],
)
def test_since_is_the_latest_such_time_not_in_the_future(text: str, expected: datetime) -> None:
    assert handover.since_from_text(text, NOW, SH) == expected


@pytest.mark.parametrize(
    "text", ["", "9", "24:00", "21:60", "21:5", "ab:cd", "２１:００", "121:00"]
)
def test_since_refuses_what_is_no_time_of_day(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        handover.since_from_text(text, NOW, SH)
    assert caught.value.field == "since"


def test_shift_starts_setting() -> None:
    assert parse_shift_starts("20:00,08:00") == (time(8, 0), time(20, 0))
    assert parse_shift_starts(" 7:30 ， 19:30 ") == (time(7, 30), time(19, 30))
    for bad in ("", "8", "08:00,08:00", "25:00", "08:00;20:00"):
        with pytest.raises(SettingsError, match="shift_starts"):
            parse_shift_starts(bad)


@pytest.mark.parametrize(
    ("left", "text"),
    [
        (timedelta(minutes=25, seconds=30), "25 min left"),
        (timedelta(hours=1, minutes=5), "1 h 05 min left"),
        (timedelta(minutes=-12), "late 12 min"),
        (timedelta(days=-3, hours=-2), "late 3 d 2 h"),
        (None, ""),
    ],
)
def test_time_left_in_words(left: timedelta | None, text: str) -> None:
    assert handover.left_text(left) == text


def case(ident: int, **values: object) -> Case:
    made = Case(
        received_at=local(22, 21),
        caller_name=f"车主{ident}",
        phone="+8613812345678",
        plate=f"粤B0000{ident}",
        address="深圳",
        distance_km=Decimal("8"),
        fault_description="无法启动",
        number=f"20261122-{ident:04d}",
        status=CaseStatus.DISPATCHED,
        id=ident,
    )
    for key, value in values.items():
        setattr(made, key, value)
    return made


def complaint(ident: int, received: datetime, **values: object) -> Complaint:
    made = Complaint(
        number=f"TS20261122-{ident:03d}",
        received_at=received,
        channel=Channel.PHONE,
        customer_name="张伟",
        phone="+8613812345678",
        category=Category.ATTITUDE,
        description="态度差",
        notify_due_at=received + timedelta(hours=1),
        plan_due_at=received + timedelta(hours=3),
        resolve_due_at=received + timedelta(hours=72),
        created_by="wangfang",
        id=ident,
    )
    for key, value in values.items():
        setattr(made, key, value)
    return made


def test_every_section_from_hand_made_facts() -> None:
    on_time = case(1)
    late = case(2, promised_arrival_at=local(22, 22, 10))
    told = case(3, promised_arrival_at=local(22, 22, 20))  # late, owner not reached
    unaccepted = case(4, status=CaseStatus.REPORTED_BACK, service_state="not_accepted")
    waiting = case(5, status=CaseStatus.RECEIVED)  # not dispatched in time
    closed = case(9, status=CaseStatus.CLOSED)
    facts = Facts(
        open_cases=[on_time, late, told, unaccepted, waiting],
        due={
            1: ("arrival", "Arrival", local(22, 22, 55)),
            2: ("arrival", "Arrival", local(22, 22, 10)),
            3: ("arrival", "Arrival", local(22, 22, 20)),
            5: ("response", "Response", local(22, 22, 25)),
        },
        delay_calls={
            3: CaseEvent(
                3,
                local(22, 22, 15),
                "wangfang",
                "delay_call",
                {"reason": "traffic_jam", "reason_text": "深南大道", "reached": False},
            ),
        },
        arrival_alerts=[
            Alert(2, AlertKind.ARRIVAL_LATE, local(22, 22, 10), local(22, 22, 10), id=1),
            # about an earlier promise since extended: no longer a call to make
            Alert(3, AlertKind.ARRIVAL_LATE, local(22, 22, 0), local(22, 22, 0), id=2),
            Alert(
                3,
                AlertKind.ARRIVAL_AT_RISK,
                local(22, 22, 20),
                local(22, 22, 10),
                claimed_by="lili",
                id=3,
            ),
        ],
        tasks=[
            CallTask(
                kind="callback",
                due_at=local(23, 9),
                created_at=START,
                created_by="wangfang",
                case_id=9,
                id=11,
            ),
            CallTask(
                kind="feedback",
                due_at=local(23, 21),
                created_at=START,
                created_by="wangfang",
                case_id=4,
                id=12,
            ),  # after the next shift
            CallTask(
                kind="callback",
                due_at=local(22, 22),
                created_at=START,
                created_by="wangfang",
                contact_name="黄先生",
                contact_phone="+8618873742972",
                id=13,
                attempts=2,
            ),
        ],
        task_titles={"callback": "Promised call-back", "feedback": "Feedback call"},
        surveys=[
            SurveyRecord(9, None, local(22, 21), "wangfang", FeedbackResult.REFUSED, id=1),
            SurveyRecord(9, None, local(22, 19), "wangfang", FeedbackResult.NOT_REACHED, id=2),
            SurveyRecord(4, None, local(22, 21), "wangfang", FeedbackResult.ANSWERED, id=3),
        ],
        complaints=[
            complaint(1, local(22, 22)),  # new
            complaint(2, local(22, 18)),  # before the shift, told late: overdue
            complaint(
                3,
                local(22, 18),
                notified_at=local(22, 18, 30),
                planned_at=local(22, 19),
                status=Status.HANDLING,
            ),  # neither
        ],
        escalations=[
            Escalation(
                EscalationKind.CREW_REPEAT,
                "a",
                local(22, 21),
                "x",
                "救援1组|2|30|TS20261122-001",
                id=1,
            ),
            Escalation(
                EscalationKind.CREW_REPEAT,
                "b",
                local(22, 21),
                "x",
                "s",
                acknowledged_by="chenjun",
                acknowledged_at=local(22, 21, 5),
                id=2,
            ),
        ],
        crews=[
            Crew("救援1组", "李强", "+8613900001111", "粤B7T001", id=1),
            Crew(
                "救援9组", "魏晓东", "+8613900001119", "粤BB1147", status=CrewStatus.OFF_DUTY, id=9
            ),
            Crew(
                "救援7组",
                "赵勇",
                "+8613900001117",
                "粤BB1177",
                status=CrewStatus.OUT_OF_SERVICE,
                status_reason="绞盘故障",
                id=7,
            ),
        ],
        unaccepted=[unaccepted],
        other_cases={9: closed},
        reads=[
            HandoverRead(START, "wangfang", local(22, 22, 1), 1),
            HandoverRead(START - timedelta(hours=12), "lili", local(22, 9), 2),
        ],
        names={"wangfang": "王芳", "lili": "李丽"},
    )
    digest = handover.build(facts, now=NOW, since=START, shift_start=START, next_end=NEXT_END)
    refs = {s.key: [line.ref for line in s.lines] for s in digest.sections}
    assert refs == {
        "late": ["20261122-0002", "20261122-0003", "20261122-0005"],
        "delay_calls": ["20261122-0002", "20261122-0003"],
        "open": ["20261122-0001", "20261122-0004"],  # no clock running: last
        "calls": ["", "20261122-0009"],
        "surveys": ["20261122-0009"],
        "complaints": ["TS20261122-002", "TS20261122-001"],  # by receipt
        "escalations": [""],
        "crews": ["救援7组", "救援9组"],
        "records": ["20261122-0004"],
    }
    assert [s.key for s in digest.sections][:3] == ["late", "delay_calls", "open"]
    late_lines = digest.section("late").lines
    assert "no delay call recorded" in late_lines[0].what
    assert "Traffic jam: 深南大道 (owner not reached)" in late_lines[1].what
    assert late_lines[0].left == timedelta(minutes=-20)
    assert late_lines[0].case_id == 2
    assert late_lines[2].what == "Response overdue · Received"  # no delay call owed yet
    delay = digest.section("delay_calls").lines
    assert "李丽 is calling" in delay[1].what and "138 1234 5678" in delay[1].what
    calls = digest.section("calls").lines
    assert calls[0].who == "黄先生 188 7374 2972"
    assert "2 tries" in calls[0].what and calls[0].urgent
    assert calls[1].case_id == 9
    complaints = digest.section("complaints").lines
    assert complaints[0].what.startswith("Responsible person told overdue")
    assert complaints[0].urgent and complaints[0].left == timedelta(hours=-3, minutes=-30)
    assert complaints[1].what.startswith("new")
    assert "救援1组" in digest.section("escalations").lines[0].what
    assert [r.username for r in digest.reads] == ["wangfang"]
    assert handover.reads_text(digest, SH) == "Read by 王芳 22:01"
    text = handover.text_lines(digest, SH)
    assert text[0] == "Shift handover since 20:00 (shift began 20:00), at 22:30"
    assert "Late cases (3)" in text
    assert "Open cases (2)" in text


def test_nothing_to_hand_over() -> None:
    digest = handover.build(Facts(), now=NOW, since=START, shift_start=START, next_end=NEXT_END)
    assert all(s.count == 0 for s in digest.sections)
    assert handover.reads_text(digest, SH) == "Not read yet by anyone."
    assert digest.read_by("wangfang") is None
