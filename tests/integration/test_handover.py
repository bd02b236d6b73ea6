"""The shift-handover digest (交接班) on SQLite and PostgreSQL: a night shift with each kind of
item, the since-time boundaries in Asia/Shanghai, who read it (kept once, audited), and the
command line."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from callcenter import bootstrap
from callcenter.calls.model import CallTask
from callcenter.clock import ManualClock
from callcenter.complaints.model import ComplaintInput, EscalationKind
from callcenter.domain import Alert, AlertKind, CaseEvent, CaseStatus, CrewStatus
from callcenter.errors import ValidationError
from callcenter.records.model import FeedbackResult, SurveyRecord
from callcenter.services import Services
from tests.factories import add_crew, intake

SH = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SH).astimezone(UTC)


def complaint(name: str) -> ComplaintInput:
    return ComplaintInput(
        channel="visit", customer_name=name, category="attitude", description="态度不好"
    )


def night_shift(services: Services, clock: ManualClock) -> dict[str, int]:
    """The evening of 2026-11-22 in Shanghai, up to 22:30 (the shift began at 20:00)."""
    crew = add_crew(services, "救援1组")
    add_crew(services, "救援9组", status=CrewStatus.OFF_DUTY, vehicle_plate="粤BB1147")
    ids: dict[str, int] = {}
    clock.set(at(22, 19, 30))  # before the shift
    old = services.record_complaint(complaint("旧投诉"))  # its first clock runs out at 20:30
    handled = services.record_complaint(complaint("已处理"))
    assert handled.id is not None
    services.start_handling(handled.id, "道歉并回访")
    clock.set(at(22, 20, 30))
    late = services.take_call(intake(plate="粤B11111", caller_name="迟到"))
    assert late.id is not None and crew.id is not None
    ids["late"] = late.id
    services.dispatch(late.id, crew.id)
    with services.uow() as uow:
        case = uow.cases.get(late.id)
        assert case is not None and case.promised_arrival_at is not None
        promise = case.promised_arrival_at
        uow.alerts.add_if_absent(Alert(late.id, AlertKind.ARRIVAL_LATE, promise, promise))
        uow.events.append(
            CaseEvent(
                late.id,
                at(22, 21, 5),
                "tester",
                "delay_call",
                {"reason": "traffic_jam", "reason_text": "", "reached": False},
            )
        )
        uow.commit()
    clock.set(at(22, 21, 30))
    done = services.take_call(intake(plate="粤B22222", caller_name="无验收"))
    assert done.id is not None
    ids["unaccepted"] = done.id
    with services.uow() as uow:
        case = uow.cases.get(done.id)
        assert case is not None
        case.service_state = "not_accepted"  # done, reported back, the owner did not sign
        case.status = CaseStatus.REPORTED_BACK
        case.dispatched_at = case.en_route_at = at(22, 21, 32)
        case.arrived_at = at(22, 21, 50)
        case.completed_at = case.reported_back_at = at(22, 22, 10)
        uow.cases.save(case)
        uow.calls.add(
            CallTask(
                kind="callback",
                due_at=at(22, 23),
                created_at=clock.now(),
                created_by="tester",
                case_id=done.id,
                note="回电告知配件到货",
            )
        )
        uow.calls.add(  # after the next shift: not in this handover
            CallTask(
                kind="callback",
                due_at=at(23, 21),
                created_at=clock.now(),
                created_by="tester",
                case_id=done.id,
            )
        )
        uow.calls.add(  # a revisit: the desk's week, not the night's
            CallTask(
                kind="revisit",
                due_at=at(22, 21),
                created_at=clock.now(),
                created_by="tester",
                case_id=done.id,
            )
        )
        uow.surveys.add(
            SurveyRecord(done.id, None, at(22, 20, 15), "tester", FeedbackResult.REFUSED)
        )
        uow.surveys.add(  # before the shift: the last shift handed it over
            SurveyRecord(done.id, None, at(22, 19, 45), "tester", FeedbackResult.NOT_REACHED)
        )
        uow.commit()

    def escalate(uow, key: str) -> None:  # type: ignore[no-untyped-def]
        services.raise_escalation(uow, EscalationKind.CREW_REPEAT, key, f"救援1组|2|30|{key}")

    services.write(lambda uow: escalate(uow, "open"), action="test_escalation")
    services.write(lambda uow: escalate(uow, "seen"), action="test_escalation")
    seen = next(e for e in services.escalations() if e.key == "seen")
    assert seen.id is not None
    services.acknowledge_escalation(seen.id)
    clock.set(at(22, 22, 28))
    new = services.record_complaint(complaint("新投诉"))
    fresh = services.take_call(intake(plate="粤B33333", caller_name="准时"))
    assert fresh.id is not None
    ids["fresh"] = fresh.id
    clock.set(at(22, 22, 30))
    ids.update(old=old.id or 0, new=new.id or 0)
    return ids


def test_a_night_shift_with_each_kind_of_item(
    container: bootstrap.Container, clock: ManualClock
) -> None:
    services = container.services
    ids = night_shift(services, clock)
    digest = services.handover()
    assert digest.shift_start == at(22, 20)
    assert digest.since == at(22, 20)
    assert digest.next_end == at(23, 20)
    counts = {s.key: s.count for s in digest.sections}
    assert counts == {
        "late": 1,
        "delay_calls": 1,
        "open": 2,
        "calls": 1,
        "surveys": 1,
        "complaints": 2,
        "escalations": 1,
        "crews": 1,
        "records": 1,
    }
    late = digest.section("late").lines[0]
    assert late.case_id == ids["late"]
    assert "Traffic jam (owner not reached)" in late.what
    assert late.left is not None and late.left < timedelta(0)
    assert digest.section("delay_calls").lines[0].case_id == ids["late"]
    opened = [line.case_id for line in digest.section("open").lines]
    assert opened == [ids["fresh"], ids["unaccepted"]]  # the fresh call's response clock first
    assert digest.section("open").lines[0].left == timedelta(minutes=3)
    call = digest.section("calls").lines[0]
    assert call.case_id == ids["unaccepted"] and "回电告知配件到货" in call.what
    assert call.at == at(22, 23)
    assert digest.section("surveys").lines[0].what == "Refused the survey"
    complaints = digest.section("complaints").lines
    assert [c.who for c in complaints] == ["旧投诉", "新投诉"]
    assert "overdue" in complaints[0].what and complaints[1].what.startswith("new")
    assert "救援1组" in digest.section("escalations").lines[0].what
    assert digest.section("crews").lines[0].ref == "救援9组"
    assert digest.section("records").lines[0].case_id == ids["unaccepted"]


def test_since_boundaries_in_shanghai(container: bootstrap.Container, clock: ManualClock) -> None:
    services = container.services
    night_shift(services, clock)  # now 22:30 in Shanghai
    assert services.handover_since("21:00") == at(22, 21)
    assert services.handover_since("22:30") == at(22, 22, 30)
    assert services.handover_since("22:31") == at(21, 22, 31)
    with pytest.raises(ValidationError):
        services.handover_since("24:00")
    later = services.handover(since=services.handover_since("21:00"))
    assert later.shift_start == at(22, 20)  # reads are still about the shift
    assert later.section("surveys").count == 0  # 20:15 is before 21:00
    assert [c.who for c in later.section("complaints").lines] == ["旧投诉", "新投诉"]
    earlier = services.handover(since=services.handover_since("19:00"))
    assert earlier.section("surveys").count == 2
    assert earlier.section("complaints").count == 3  # the handled one is new since 19:00
    clock.set(at(23, 7, 59))
    assert services.current_shift() == (at(22, 20), at(23, 8))
    clock.set(at(23, 8))
    assert services.current_shift() == (at(23, 8), at(23, 20))
    assert services.handover().next_end == at(24, 8)


def test_mark_read_keeps_who_and_when_once(
    container: bootstrap.Container, clock: ManualClock
) -> None:
    services = container.services
    clock.set(at(22, 22, 30))
    first = services.mark_handover_read()
    assert not first.already
    assert first.read.username == "tester"
    assert first.read.read_at == at(22, 22, 30)
    assert first.read.shift_start == at(22, 20)
    clock.set(at(22, 22, 45))
    again = services.mark_handover_read()
    assert again.already and again.read.read_at == at(22, 22, 30)
    digest = services.handover()
    assert [(r.username, r.read_at) for r in digest.reads] == [("tester", at(22, 22, 30))]
    with services.uow(write=False) as uow:
        audited = [e for e in uow.audit.recent(actor="tester") if e.action == "read_handover"]
    assert len(audited) == 1 and audited[0].details["shift_start"].startswith("2026-11-22T12:00")
    clock.set(at(23, 8, 1))  # the next shift: nobody has read its handover yet
    assert services.handover().reads == ()
    assert services.handover_reads(at(22, 20))[0].username == "tester"


def test_a_read_only_board_may_not_mark_it_read(
    settings: object, clock: ManualClock, container: bootstrap.Container
) -> None:
    from callcenter.errors import PermissionDenied

    board = bootstrap.build(settings, clock=clock, read_only=True)  # type: ignore[arg-type]
    try:
        with pytest.raises(PermissionDenied):
            board.services.mark_handover_read()
        assert board.services.handover().reads == ()
    finally:
        board.close()


def cli(url: str, *args: str, lang: str = "en") -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CALLCENTER_USER": "tester",
        "CALLCENTER_LANG": lang,
        "CALLCENTER_DATABASE_URL": url,
    }
    return subprocess.run(
        [sys.executable, "-m", "callcenter", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_the_command_line(migrated_url: str) -> None:
    bad = cli(migrated_url, "handover", "--since", "25:00")
    assert bad.returncode == 2
    assert bad.stderr.strip() == (
        "callcenter: --since: 25:00 is not a time of day HH:MM (e.g. 20:00)."
    )
    shown = cli(migrated_url, "handover", "--since", "00:00")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0].startswith("Shift handover since ")
    assert lines[1] == "Not read yet by anyone."
    assert "Late cases (0)" in lines and "Crews off duty or out of service (0)" in lines
    marked = cli(migrated_url, "handover", "--mark-read")
    assert marked.returncode == 0, marked.stderr
    assert marked.stdout.splitlines()[-1].startswith("Marked read by tester at ")
    again = cli(migrated_url, "handover", "--mark-read", lang="zh_CN")
    assert again.returncode == 0, again.stderr
    out = again.stdout.splitlines()
    assert out[0].startswith("交接班：")
    assert out[1].startswith("已阅：tester ")
    assert "已超时案件 (0)" in out
    assert out[-1].startswith("您（tester）已于 ")
