"""After the work, on every backend (issue 11): the service record and its acceptance gate, no
blank field, kept versions and conflicts, the report-back's ledger entry, the feedback call's
retries and survey, the satisfaction arithmetic, the closing rules, a cancelled case's calls.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from callcenter import bootstrap
from callcenter.calls.model import Outcome, TaskState
from callcenter.clock import ManualClock
from callcenter.domain import CaseStatus, CrewStatus, Role
from callcenter.errors import (
    ConcurrencyConflict,
    InvalidTransition,
    PermissionDenied,
    ValidationErrors,
)
from callcenter.records.model import FeedbackResult, RecordState
from callcenter.records.parse import AcceptanceInput, RecordInput
from callcenter.services import Checklist, Services
from callcenter.services.calls import CallDesk
from callcenter.services.delays import DelayCalls
from callcenter.services.records import ESCALATION_KIND, FEEDBACK_KIND
from callcenter.settings import Settings
from tests.factories import (
    add_crew,
    feedback_reached,
    finish_job,
    intake,
    record_input,
    report_input,
)

SAFE = Checklist(hazard_lights=True, warning_sign=True, night_lights=True)


def on_scene(services: Services, **overrides: object) -> int:
    crew = add_crew(services, **overrides)
    case = services.take_call(intake())
    services.dispatch(case.id, crew.id)
    services.arrive(case.id, SAFE)
    assert case.id is not None
    return case.id


def desk_of(services: Services) -> CallDesk:
    return CallDesk(services, DelayCalls.from_services(services))


def feedback_task(services: Services, case_id: int):  # type: ignore[no-untyped-def]
    tasks = services.feedback_tasks(case_id)
    assert len(tasks) == 1
    return tasks[0]


@pytest.fixture
def services(container: bootstrap.Container) -> Services:
    return container.services


@pytest.fixture
def supervisor(
    container: bootstrap.Container, settings: Settings, clock: ManualClock
) -> Iterator[Services]:
    container.services.ensure_staff("zhuguan", "赵主管", Role.SUPERVISOR)
    other = bootstrap.build(replace(settings, user="zhuguan"), clock=clock)
    yield other.services
    other.close()


@pytest.fixture
def operator(
    container: bootstrap.Container, settings: Settings, clock: ManualClock
) -> Iterator[Services]:
    container.services.ensure_staff("nina", "王娜", Role.OPERATOR)
    other = bootstrap.build(replace(settings, user="nina"), clock=clock)
    yield other.services
    other.close()


# -- the record ----------------------------------------------------------------------------
def test_a_blank_record_names_every_empty_field_and_changes_nothing(services: Services) -> None:
    case_id = on_scene(services)
    with pytest.raises(ValidationErrors) as raised:
        services.save_record(case_id, RecordInput())
    fields = set(raised.value.by_field)
    assert fields >= {
        "crew_members",
        "work_started",
        "work_finished",
        "cause",
        "solution",
        "parts",
        "fee_labour",
        "fee_parts",
        "fee_towing",
        "towing_km",
        "fee_other",
        "warranty",
        "accepted",
    }
    assert services.case(case_id).status is CaseStatus.ON_SCENE
    assert services.service_record(case_id) is None


def test_parts_are_listed_or_explicitly_none(services: Services) -> None:
    case_id = on_scene(services)
    with pytest.raises(ValidationErrors) as raised:
        services.save_record(case_id, record_input(services, no_parts=False, parts=""))
    assert "no parts replaced" in raised.value.by_field["parts"]
    with pytest.raises(ValidationErrors) as raised:
        services.save_record(
            case_id, record_input(services, no_parts=True, parts="滤芯, 1, A1, 原厂")
        )
    assert "parts" in raised.value.by_field
    with pytest.raises(ValidationErrors) as raised:
        services.save_record(
            case_id,
            record_input(
                services, no_parts=False, parts="机油滤清器, 1, JX0810, 原厂\n刹车片, 两, B2, 是"
            ),
        )
    assert raised.value.by_field["parts"].startswith("Line 2")
    record = services.save_record(
        case_id,
        record_input(
            services,
            no_parts=False,
            parts="机油滤清器，1，JX0810，原厂\n蓄电池 | 1个 | 6-QW-60 | 副厂",
            fee_parts="¥420.50",
        ),
    )
    assert [(p.name, p.quantity, p.part_number, p.genuine) for p in record.parts] == [
        ("机油滤清器", 1, "JX0810", True),
        ("蓄电池", 1, "6-QW-60", False),
    ]
    assert record.total == Decimal("570.50")


def test_saving_the_record_completes_the_case_and_owes_a_feedback_call(
    services: Services, clock: ManualClock
) -> None:
    case_id = on_scene(services)
    clock.advance(timedelta(minutes=30))
    record = services.save_record(case_id, record_input(services))
    case = services.case(case_id)
    assert case.status is CaseStatus.COMPLETED and case.completed_at == clock.now()
    assert case.service_state == RecordState.ACCEPTED.value
    assert services.crews()[0].status is CrewStatus.RETURNING
    assert record.recorded_by == services.actor and record.acceptance_recorded_by == services.actor
    task = feedback_task(services, case_id)
    assert task.kind == FEEDBACK_KIND and task.is_open and task.due_at == clock.now()
    versions = services.record_versions(case_id)
    assert [(v.version, v.action) for v in versions] == [(1, "created")]


def test_the_work_cannot_end_before_it_began_nor_lie_ahead(services: Services) -> None:
    case_id = on_scene(services)
    now = services.clock.now()
    later = services.local(now + timedelta(hours=2), "%Y-%m-%d %H:%M")
    earlier = services.local(now - timedelta(hours=1), "%Y-%m-%d %H:%M")
    with pytest.raises(ValidationErrors) as raised:
        services.save_record(
            case_id, record_input(services, work_finished=later, work_started=earlier)
        )
    fields = raised.value.by_field
    assert "still to come" in fields["work_finished"]
    assert "dispatched" in fields["work_started"]


def test_a_record_without_acceptance_is_an_invalid_service_that_cannot_close(
    services: Services, clock: ManualClock
) -> None:
    case_id = on_scene(services)
    services.save_record(
        case_id, record_input(services, acceptance=AcceptanceInput("no", "", "", ""))
    )
    assert services.case(case_id).service_state == RecordState.NOT_ACCEPTED.value
    services.save_report_back(case_id, report_input(services))
    feedback_reached(services, case_id)
    with pytest.raises(InvalidTransition) as refused:
        services.close_case(case_id)
    assert "has not accepted" in str(refused.value)
    # Accepted later, confirmed by phone: now it may close.
    clock.advance(timedelta(minutes=5))
    record = services.accept_record(
        case_id,
        AcceptanceInput("yes", "张伟", "phone", services.local(clock.now(), "%H:%M")),
    )
    assert record.is_valid and record.acceptance_method is not None
    assert [v.action for v in services.record_versions(case_id)] == ["created", "accepted"]
    assert services.close_case(case_id).status is CaseStatus.CLOSED
    entry = services.ledger_entry(case_id)
    assert entry is not None and entry.accepted and entry.closed_at == clock.now()


def test_acceptance_is_confirmed_during_the_feedback_call(services: Services) -> None:
    case_id = on_scene(services)
    services.save_record(
        case_id, record_input(services, acceptance=AcceptanceInput("no", "", "", ""))
    )
    task = feedback_task(services, case_id)
    desk = desk_of(services)
    desk.claim(FEEDBACK_KIND, task.id)
    fields = {f"q{i}": "5" for i in range(1, 10)} | {"q6": "2", "accept_by": "张伟"}
    desk.record(FEEDBACK_KIND, task.id, outcome=Outcome.REACHED, fields=fields)
    record = services.service_record(case_id)
    assert record is not None and record.is_valid
    assert record.acceptance_method is not None and record.acceptance_method.value == "phone"


def test_an_unhappy_owner_who_confirms_the_acceptance_is_still_escalated(
    services: Services,
) -> None:
    case_id = on_scene(services)
    services.save_record(
        case_id, record_input(services, acceptance=AcceptanceInput("no", "", "", ""))
    )
    task = feedback_task(services, case_id)
    desk = desk_of(services)
    desk.claim(FEEDBACK_KIND, task.id)
    fields = {f"q{i}": "5" for i in range(1, 10)} | {"q6": "2", "q4": "1"}
    fields |= {"reason_q4": "态度差", "accept_by": "张伟"}
    desk.record(FEEDBACK_KIND, task.id, outcome=Outcome.REACHED, fields=fields)
    record = services.service_record(case_id)
    assert record is not None and record.is_valid
    escalations = services.read(lambda uow: uow.calls.for_case(case_id, ESCALATION_KIND))
    assert len(escalations) == 1 and escalations[0].is_open


def test_editing_keeps_every_version_and_two_editors_never_overwrite(
    services: Services, operator: Services, clock: ManualClock
) -> None:
    case_id = on_scene(services)
    first = services.save_record(case_id, record_input(services))
    clock.advance(timedelta(minutes=3))
    mine = services.save_record(
        case_id,
        record_input(services, solution="更换蓄电池", fee_labour="180"),
        record_version=first.version,
    )
    assert mine.version == first.version + 1
    with pytest.raises(ConcurrencyConflict) as conflict:
        operator.save_record(
            case_id, record_input(operator, cause="别的原因"), record_version=first.version
        )
    assert "changed by" in str(conflict.value)
    versions = services.record_versions(case_id)
    assert [v.action for v in versions] == ["created", "edited"]
    assert {"solution", "fees", "total"} <= set(versions[1].changes)
    assert versions[1].changes["solution"][1] == "更换蓄电池"
    assert versions[0].snapshot["solution"] != versions[1].snapshot["solution"]


def test_only_a_supervisor_voids_a_record_with_a_reason(
    services: Services, operator: Services, supervisor: Services
) -> None:
    case_id = on_scene(services)
    record = services.save_record(case_id, record_input(services))
    with pytest.raises(PermissionDenied):
        operator.void_record(case_id, "填错了", record_version=record.version)
    voided = supervisor.void_record(case_id, "车主未在现场签字", record_version=record.version)
    assert voided.state is RecordState.VOIDED and voided.void_reason == "车主未在现场签字"
    case = services.case(case_id)
    assert case.service_state == RecordState.VOIDED.value
    assert "service_voided" in [e.kind for e in services.timeline(case_id)]
    rows = services.read(lambda uow: uow.audit.recent(limit=20))
    assert any(r.action == "void_record" and r.allowed for r in rows)
    assert any(r.action == "void_record" and not r.allowed for r in rows)


# -- report-back and the ledger ------------------------------------------------------------
def test_the_report_back_frees_the_crew_and_writes_the_ledger_entry(
    services: Services, clock: ManualClock
) -> None:
    case_id = on_scene(services)
    services.save_record(case_id, record_input(services))
    clock.advance(timedelta(minutes=25))
    with pytest.raises(ValidationErrors) as raised:
        services.save_report_back(case_id, report_input(services, km_driven="", expenses="x"))
    assert set(raised.value.by_field) == {"km_driven", "expenses"}
    case = services.save_report_back(
        case_id, report_input(services, expenses="35", follow_up="下周复查发电机")
    )
    assert case.status is CaseStatus.REPORTED_BACK
    crew = services.crews()[0]
    assert crew.status is CrewStatus.AVAILABLE and crew.current_case_id is None
    entry = services.ledger_entry(case_id)
    assert entry is not None
    assert entry.number == case.number and entry.plate == case.plate
    assert entry.crew_code == "救援1组" and entry.crew_members == "李强、王磊"
    assert entry.on_time is True and entry.on_time_original is True
    assert entry.expenses == Decimal("35") and entry.km_driven == Decimal("16")
    assert entry.fee_total == Decimal("150") and entry.record_state == "accepted"
    assert entry.follow_up == "下周复查发电机" and entry.feedback_result == ""
    assert entry.operator == case.created_by and entry.back_at == clock.now().replace(second=0)


def test_report_back_needs_a_completed_case(services: Services) -> None:
    case_id = on_scene(services)
    with pytest.raises(InvalidTransition):
        services.save_report_back(case_id, report_input(services))


# -- the feedback call ---------------------------------------------------------------------
def test_an_unreached_owner_is_tried_three_times_over_a_day_then_the_case_may_close(
    services: Services, clock: ManualClock
) -> None:
    case_id = on_scene(services)
    finish_job(services, case_id)
    desk = desk_of(services)
    task = feedback_task(services, case_id)
    for attempt in range(3):
        desk.claim(FEEDBACK_KIND, task.id)
        task = desk.record(FEEDBACK_KIND, task.id, outcome=Outcome.NOT_REACHED)
        if attempt < 2:
            assert task.state is TaskState.OPEN
            with pytest.raises(InvalidTransition) as refused:
                services.close_case(case_id)
            assert "feedback call is not finished" in str(refused.value)
            clock.set(task.try_at)
    assert task.state is TaskState.GIVEN_UP
    assert clock.now() - task.created_at <= timedelta(hours=24)
    case = services.case(case_id)
    assert case.feedback_at is None  # nobody reached: the clock did not stop on time
    surveys = services.surveys(case_id)
    assert [s.result for s in surveys] == [FeedbackResult.NOT_REACHED]
    assert services.close_case(case_id).status is CaseStatus.CLOSED


def test_a_refusal_stops_the_feedback_clock_and_is_never_satisfied(
    services: Services, clock: ManualClock
) -> None:
    case_id = on_scene(services)
    finish_job(services, case_id)
    desk = desk_of(services)
    task = feedback_task(services, case_id)
    clock.advance(timedelta(hours=2))
    desk.claim(FEEDBACK_KIND, task.id)
    desk.record(FEEDBACK_KIND, task.id, outcome=Outcome.REFUSED)
    assert services.case(case_id).feedback_at == clock.now()
    tally = services.satisfaction()
    assert tally["refused"] == 1 and tally["rated"] == 0 and tally["satisfied"] == 0


def test_satisfaction_counts_answered_surveys_only(services: Services) -> None:
    outcomes = [True, True, True, False]
    for n, satisfied in enumerate(outcomes):
        case_id = on_scene(services, code=f"救援{n + 1}组", vehicle_plate=f"粤B7T00{n + 1}")
        finish_job(services, case_id)
        feedback_reached(services, case_id, satisfied=satisfied)
    unreached = on_scene(services, code="救援9组", vehicle_plate="粤B7T009")
    finish_job(services, unreached)
    desk = desk_of(services)
    task = feedback_task(services, unreached)
    desk.claim(FEEDBACK_KIND, task.id)
    desk.record(FEEDBACK_KIND, task.id, outcome=Outcome.WRONG_NUMBER)
    tally = services.satisfaction()
    assert (tally["satisfied"], tally["rated"], tally["answered"]) == (3, 4, 4)
    assert tally["wrong_number"] == 1


def test_a_very_dissatisfied_owner_is_escalated_at_once(services: Services) -> None:
    case_id = on_scene(services)
    finish_job(services, case_id)
    feedback_reached(services, case_id, satisfied=False)
    survey = services.surveys(case_id)[-1]
    assert survey.satisfied is False and survey.escalations
    escalation = services.read(lambda uow: uow.calls.for_case(case_id, ESCALATION_KIND))
    assert len(escalation) == 1 and escalation[0].is_open
    items = desk_of(services).task_items()
    assert items[0].kind == ESCALATION_KIND and items[0].urgent


# -- cancelling ----------------------------------------------------------------------------
def test_a_cancelled_case_closes_its_open_calls(services: Services, supervisor: Services) -> None:
    case_id = on_scene(services)
    services.save_record(case_id, record_input(services))
    case = services.case(case_id)
    supervisor.cancel(case_id, "车主投诉后取消", version=case.version)
    task = feedback_task(services, case_id)
    assert task.state is TaskState.CANCELLED and not task.is_open
    assert desk_of(services).task_items() == []


def test_a_closed_case_never_shows_a_running_clock(services: Services, clock: ManualClock) -> None:
    from callcenter import sla

    case_id = on_scene(services)
    finish_job(services, case_id)
    desk = desk_of(services)
    task = feedback_task(services, case_id)
    for _attempt in range(3):
        desk.claim(FEEDBACK_KIND, task.id)
        task = desk.record(FEEDBACK_KIND, task.id, outcome=Outcome.NOT_REACHED)
        clock.set(task.try_at)
    case = services.close_case(case_id)
    clock.advance(timedelta(days=3))
    states = {s.kind: s.state for s in sla.clocks(services.policy, case, clock.now(), services.tz)}
    assert not any(state.is_live for state in states.values())
    assert states[sla.ClockKind.FEEDBACK] is sla.ClockState.MISSED


# -- the owner's copy from the command line ------------------------------------------------
def pdf_text(path: Path) -> str:
    import pypdf

    reader = pypdf.PdfReader(str(path))
    return "".join("".join(p.extract_text().replace("\x00", "").split()) for p in reader.pages)


def test_record_print_writes_the_owners_copy(
    services: Services, migrated_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from callcenter import cli

    case_id = on_scene(services)
    services.save_record(case_id, record_input(services))
    number = services.case(case_id).number
    target = tmp_path / "copy.pdf"
    args = ["--database-url", migrated_url, "record", "print", number, "-o", str(target)]
    assert cli.main(args) == 0
    assert str(target) in capsys.readouterr().out
    text = pdf_text(target)
    for expected in ("救援服务记录单", number, "粤B12345", "现场签字", "张伟", "蓄电池亏电"):
        assert expected in text, expected
    english = tmp_path / "copy-en.pdf"
    assert cli.main([*args[:-1], str(english), "--lang", "en"]) == 0
    text = pdf_text(english)
    assert "Signedonsite" in text and number in text and "救援服务记录单" not in text


def test_record_print_of_a_case_without_a_record_is_one_line(
    services: Services, migrated_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from callcenter import cli

    case_id = on_scene(services)
    number = services.case(case_id).number
    target = tmp_path / "copy.pdf"
    code = cli.main(
        [
            "--lang",
            "en",
            "--database-url",
            migrated_url,
            "record",
            "print",
            number,
            "-o",
            str(target),
        ]
    )
    err = capsys.readouterr().err
    assert code != 0 and err.count("\n") == 1 and "no service record" in err
    assert not target.exists()
    assert cli.main(["--database-url", migrated_url, "record", "print", "20990101-0001"]) != 0
