"""The demo data: generated into a real, migrated SQLite file and checked for consistency."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
from alembic import command
from alembic.config import Config

from callcenter import bootstrap, demo
from callcenter.calls.model import CallAttempt, CallTask, Outcome, TaskState
from callcenter.clock import ManualClock
from callcenter.domain import (
    OPEN_STATUSES,
    Case,
    CaseEvent,
    CaseStatus,
    Crew,
    CrewStatus,
    RescuePlan,
)
from callcenter.errors import CallCenterError
from callcenter.records.model import (
    FeedbackResult,
    FeeKind,
    LedgerEntry,
    RecordState,
    RecordVersion,
    ServiceRecord,
    SurveyRecord,
)
from callcenter.services.records import ESCALATION_KIND, FEEDBACK_KIND
from callcenter.settings import Settings
from storage.engine import make_engine
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import BACKENDS, drop_postgres_schema, fresh_postgres_url

ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"
TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 22, 14, 30, 17, tzinfo=UTC)  # 22:30 in Shenzhen: the night shift
PLATE = re.compile(r"^[粤湘赣桂][A-Z]([A-HJ-NP-Z0-9]{5}|[DF][A-HJ-NP-Z0-9]\d{4})$")
NUMBER = re.compile(r"^\d{8}-\d{4}$")
AFTER_WORK_EVENTS = (
    "service_recorded",
    "call_scheduled",
    "call_attempt",
    "feedback",
    "escalated",
    "revisit",
)
STAMPS = (
    "received_at",
    "fee_agreed_at",
    "dispatched_at",
    "en_route_at",
    "arrived_at",
    "completed_at",
    "reported_back_at",
    "feedback_at",
    "closed_at",
)


class Loaded:
    """Everything one generation wrote, read back through the repositories."""

    def __init__(self, url: str, summary: demo.DemoSummary, seconds: float) -> None:
        self.summary = summary
        self.seconds = seconds
        engine = make_engine(url)
        factory = SqlUnitOfWorkFactory(engine, ManualClock(NOW))
        with factory(write=False) as uow:
            total = uow.cases.count()
            self.cases: list[Case] = sorted(
                uow.cases.list_by_ids(range(1, total + 1)), key=lambda c: c.id or 0
            )
            self.crews: list[Crew] = uow.crews.list()
            customers = [uow.customers.get(i) for i in range(1, uow.customers.count() + 1)]
            self.customers = [c for c in customers if c is not None]
            self.events: dict[int, list[CaseEvent]] = {
                c.id: uow.events.for_case(c.id) for c in self.cases if c.id is not None
            }
            self.assignments = {
                c.id: uow.assignments.current_for_case(c.id) for c in self.cases if c.id
            }
            self.staff = uow.staff.list()
            ids = [c.id for c in self.cases if c.id is not None]
            self.records: dict[int, ServiceRecord] = uow.records.for_cases(ids)
            self.versions: dict[int, list[RecordVersion]] = {
                i: uow.records.versions(i) for i in self.records
            }
            self.tasks: dict[int, list[CallTask]] = {i: uow.calls.for_case(i) for i in ids}
            self.attempts: dict[int, list[CallAttempt]] = {
                t.id: uow.calls.attempts(t.id) for ts in self.tasks.values() for t in ts if t.id
            }
            self.surveys: dict[int, list[SurveyRecord]] = {i: uow.surveys.for_case(i) for i in ids}
            self.ledger: dict[int, LedgerEntry | None] = {i: uow.ledger.get(i) for i in ids}
            self.ledger_count = uow.ledger.count()
        engine.dispose()
        container = bootstrap.build(
            Settings(database_url=url, language="en", user="chenjun"), clock=ManualClock(NOW)
        )
        try:
            self.satisfaction = container.services.satisfaction()
        finally:
            container.close()

    @property
    def open(self) -> list[Case]:
        return [c for c in self.cases if c.is_open]

    @property
    def history(self) -> list[Case]:
        return [c for c in self.cases if not c.is_open]


def _migrated(path: Path | str) -> str:
    if isinstance(path, str):  # a database URL (PostgreSQL)
        bootstrap.upgrade(path)
        return path
    url = f"sqlite:///{path}"
    cfg = Config(str(ALEMBIC_INI))
    cfg.set_main_option("sqlalchemy.url", url)
    cfg.attributes["configure_logging"] = False
    command.upgrade(cfg, "head")
    return url


def _generate(path: Path | str, seed: int = 7) -> Loaded:
    url = _migrated(path)
    engine = make_engine(url)
    try:
        factory = SqlUnitOfWorkFactory(engine, ManualClock(NOW))
        started = time.perf_counter()
        summary = demo.generate(factory, now=NOW, tz=TZ, seed=seed)
        seconds = time.perf_counter() - started
    finally:
        engine.dispose()
    return Loaded(url, summary, seconds)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    return _generate(tmp_path_factory.mktemp("demo") / "demo.sqlite3")


@pytest.fixture(scope="module", params=BACKENDS)
def finished(request: pytest.FixtureRequest) -> Iterator[Loaded]:
    """The demo on each backend (SQLite: the module's own), for the after-work tables."""
    if request.param == "sqlite":
        yield request.getfixturevalue("loaded")
        return
    url = fresh_postgres_url()
    try:
        yield _generate(url)
    finally:
        drop_postgres_schema(url)


def test_archive_crews_and_staff(loaded: Loaded) -> None:
    assert len(loaded.crews) >= 8
    assert len(loaded.customers) == 50
    assert {s.username for s in loaded.staff} >= {"zhangli", "wangfang", "night1"}
    phones = [c.phone for c in loaded.customers] + [c.phone for c in loaded.crews]
    assert len(set(phones)) == len(phones)
    for phone in phones:
        number = phonenumbers.parse(phone)
        assert number.country_code == 86 and phonenumbers.is_valid_number(number), phone
        assert phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
    plates = [v.plate for c in loaded.customers for v in c.vehicles]
    plates += [c.vehicle_plate for c in loaded.crews]
    assert len(set(plates)) == len(plates)
    assert all(PLATE.match(p) for p in plates), [p for p in plates if not PLATE.match(p)]
    assert any(len(p) == 8 for p in plates)  # new-energy plates
    assert any(not p.startswith("粤") for p in plates)  # visitors from other provinces
    for customer in loaded.customers:
        assert 1 <= len(customer.vehicles) <= 2
        assert customer.address.startswith("深圳市")
        assert customer.created_at is not None and customer.created_at < NOW
    assert len({c.category for c in loaded.customers}) == 4


def test_open_cases_cover_every_state_and_clock(loaded: Loaded) -> None:
    statuses = Counter(c.status for c in loaded.open)
    assert set(statuses) == set(OPEN_STATUSES)
    assert 16 <= len(loaded.open) <= 24
    assert loaded.summary.open_cases == len(loaded.open)
    waiting = [c for c in loaded.open if c.status is CaseStatus.RECEIVED]
    assert any(c.fee_agreed for c in waiting) and any(not c.fee_agreed for c in waiting)

    not_arrived = [c for c in loaded.open if c.arrived_at is None]
    left = [c.promised_arrival_at - NOW for c in not_arrived if c.promised_arrival_at]
    assert any(x < timedelta(0) for x in left), "no late case"
    assert any(timedelta(0) < x <= timedelta(minutes=10) for x in left), "no case at risk"
    assert any(x > timedelta(minutes=10) for x in left), "no case on track"
    for case in loaded.open:
        assert NOW - timedelta(hours=5) < case.received_at < NOW
        if case.distance_km > 20:
            assert case.agreed_arrival_at is not None
            assert case.promised_arrival_at == case.agreed_arrival_at
        assert case.promised_arrival_at == case.original_promised_at


def test_crews_match_their_cases(loaded: Loaded) -> None:
    by_id = {c.id: c for c in loaded.cases}
    on_case = [c for c in loaded.crews if c.current_case_id is not None]
    assert len({c.current_case_id for c in on_case}) == len(on_case)  # no crew on two cases
    for crew in loaded.crews:
        assert crew.lat is not None and crew.lon is not None
        assert abs(crew.lat - 22.5431) < 0.3 and abs(crew.lon - 114.0579) < 0.35
        if crew.current_case_id is None:
            assert crew.status in (CrewStatus.AVAILABLE, CrewStatus.OFF_DUTY)
            continue
        case = by_id[crew.current_case_id]
        assert case.is_open and case.crew_id == crew.id
        expected = {
            CaseStatus.DISPATCHED: CrewStatus.DISPATCHED,
            CaseStatus.EN_ROUTE: CrewStatus.EN_ROUTE,
            CaseStatus.ON_SCENE: CrewStatus.ON_SCENE,
            CaseStatus.COMPLETED: CrewStatus.RETURNING,
        }
        assert crew.status is expected[case.status]
    holders = {c.current_case_id for c in on_case}
    for case in loaded.open:
        assignment = loaded.assignments[case.id]
        if case.status in (CaseStatus.RECEIVED, CaseStatus.REPORTED_BACK):
            assert case.id not in holders and assignment is None
        else:
            assert case.id in holders
            assert assignment is not None and assignment.crew_id == case.crew_id
    assert any(c.status is CrewStatus.AVAILABLE for c in loaded.crews)


def test_history(loaded: Loaded) -> None:
    history = loaded.history
    closed = [c for c in history if c.status is CaseStatus.CLOSED]
    cancelled = [c for c in history if c.status is CaseStatus.CANCELLED]
    assert 300 <= len(closed) <= 600
    assert 1 <= len(cancelled) <= len(history) * 0.06
    assert all(c.cancel_reason and c.cancelled_at for c in cancelled)
    received = [c.received_at for c in history]
    assert max(received) - min(received) > timedelta(days=60)
    assert max(received) < NOW
    late = [c for c in closed if c.arrived_at > c.promised_arrival_at]
    assert 0.04 <= len(late) / len(closed) <= 0.18
    for case in closed:
        assert case.customer_id and case.vehicle_id and case.crew_id
        if case.feedback_at is not None:  # None: the owner was never reached
            assert case.feedback_at - case.completed_at <= timedelta(hours=24)
        assert loaded.assignments[case.id] is None  # released when the crew reported back
    assert loaded.summary.closed_cases == len(closed)
    assert loaded.summary.cancelled_cases == len(cancelled)


def test_every_case_is_consistent(loaded: Loaded) -> None:
    numbers = [c.number for c in loaded.cases]
    assert len(set(numbers)) == len(numbers)
    per_day: dict[str, list[int]] = {}
    for case in sorted(loaded.cases, key=lambda c: c.received_at):
        assert NUMBER.match(case.number)
        day, seq = case.number.split("-")
        assert day == case.received_at.astimezone(TZ).strftime("%Y%m%d")
        per_day.setdefault(day, []).append(int(seq))
    for seqs in per_day.values():
        assert seqs == list(range(1, len(seqs) + 1))

    steps = ["received", "dispatched", "en_route", "arrived", "completed", "reported_back"]
    kinds_for = {
        CaseStatus.RECEIVED: steps[:1],
        CaseStatus.DISPATCHED: steps[:2],
        CaseStatus.EN_ROUTE: steps[:3],
        CaseStatus.ON_SCENE: steps[:4],
        CaseStatus.COMPLETED: steps[:5],
        CaseStatus.REPORTED_BACK: steps,
        CaseStatus.CLOSED: [*steps, "closed"],
    }
    customers = {c.id: c for c in loaded.customers}
    total_events = 0
    for case in loaded.cases:
        assert case.version == 1
        assert case.created_by and case.updated_by and case.updated_at
        stamps = [getattr(case, s) for s in STAMPS if getattr(case, s) is not None]
        assert all(s.tzinfo is not None and s.utcoffset() == timedelta(0) for s in stamps)
        assert stamps == sorted(stamps) and stamps[-1] < NOW, case.number
        if case.dispatched_at:
            assert timedelta(minutes=1) <= case.dispatched_at - case.received_at
            assert case.dispatched_at - case.received_at <= timedelta(minutes=9)
        customer = customers[case.customer_id]
        assert case.phone == customer.phone
        assert case.plate in {v.plate for v in customer.vehicles}
        assert customer.created_at <= case.received_at
        assert 1 <= case.distance_km <= 35
        assert case.fee_quote >= 0

        events = loaded.events[case.id]
        total_events += len(events)
        kinds = [e.kind for e in events]
        assert [e.at for e in events] == sorted(e.at for e in events)
        assert kinds[0] == "received" and events[0].at == case.received_at
        assert events[0].actor == case.created_by
        assert events[-1].at == case.updated_at and events[-1].actor == case.updated_by
        assert ("fee_agreed" in kinds) == case.fee_agreed
        if case.status is CaseStatus.CANCELLED:
            assert kinds[-1] == "cancelled" and events[-1].details["reason"]
        else:
            steps_only = [k for k in kinds if k not in ("fee_agreed", *AFTER_WORK_EVENTS)]
            assert steps_only == kinds_for[case.status]
        for event in events:
            if event.kind == "dispatched":
                assert event.details["crew_id"] == case.crew_id
    assert total_events == loaded.summary.events


def test_same_seed_same_data_and_empty_database_only(loaded: Loaded, tmp_path: Path) -> None:
    again = _generate(tmp_path / "again.sqlite3")

    # Whole records compare equal: numbers, plates, timestamps, ids, positions, timelines.
    assert again.cases == loaded.cases
    assert again.customers == loaded.customers
    assert again.crews == loaded.crews
    assert again.events == loaded.events
    assert again.records == loaded.records and again.versions == loaded.versions
    assert again.tasks == loaded.tasks and again.attempts == loaded.attempts
    assert again.surveys == loaded.surveys and again.ledger == loaded.ledger
    assert again.summary == loaded.summary

    other = _generate(tmp_path / "other.sqlite3", seed=8)
    assert [c.plate for c in other.cases] != [c.plate for c in loaded.cases]

    engine = make_engine(f"sqlite:///{tmp_path / 'again.sqlite3'}")
    try:
        with pytest.raises(CallCenterError):
            demo.generate(SqlUnitOfWorkFactory(engine, ManualClock(NOW)), now=NOW, tz=TZ)
    finally:
        engine.dispose()


# -- after the work (issue 11 §5) ------------------------------------------------------------
def _feedback(loaded: Loaded, case: Case) -> list[CallTask]:
    assert case.id is not None
    return [t for t in loaded.tasks[case.id] if t.kind == FEEDBACK_KIND]


def test_every_closed_case_has_an_accepted_record_a_finished_call_and_a_ledger_entry(
    finished: Loaded,
) -> None:
    closed = [c for c in finished.cases if c.status is CaseStatus.CLOSED]
    assert closed
    for case in closed:
        assert case.id is not None and case.arrived_at and case.completed_at
        record = finished.records[case.id]
        assert record.state is RecordState.ACCEPTED and case.service_state == "accepted"
        assert record.accepted_by == case.caller_name and record.acceptance_method
        assert record.work_started_at == case.arrived_at.replace(second=0, microsecond=0)
        assert record.work_started_at <= record.work_finished_at <= case.completed_at
        assert record.accepted_at and record.accepted_at <= case.completed_at
        assert record.recorded_at == case.completed_at and record.recorded_by
        assert record.acceptance_recorded_by == record.recorded_by
        assert record.cause and record.solution and record.crew_members.count("、") == 1
        assert record.no_parts == (not record.parts)
        assert {f.kind for f in record.fees} == set(FeeKind)
        if case.plan is RescuePlan.TOWING:
            assert record.total == 0  # free towing within 24 h (the default tariff)
        elif case.plan is not RescuePlan.FUEL and record.no_parts:
            assert record.total == case.fee_quote
        [version] = finished.versions[case.id]
        assert version.action == "created" and version.snapshot == record.snapshot()

        [task] = _feedback(finished, case)
        attempts = finished.attempts[task.id]
        assert task.state in (TaskState.DONE, TaskState.GIVEN_UP) and not task.is_open
        assert 1 <= task.attempts == len(attempts) <= 3
        assert task.due_at == case.completed_at and task.closed_at == attempts[-1].at
        assert task.closed_by == attempts[-1].actor
        assert all(case.reported_back_at < a.at < case.closed_at for a in attempts)
        [survey] = finished.surveys[case.id]
        assert survey.task_id == task.id and survey.at == attempts[-1].at
        if survey.result is FeedbackResult.NOT_REACHED:
            assert case.feedback_at is None and task.attempts == 3
            assert task.state is TaskState.GIVEN_UP
        else:
            assert case.feedback_at == survey.at
        if survey.result is FeedbackResult.ANSWERED:
            assert attempts[-1].outcome is Outcome.REACHED and task.state is TaskState.DONE
            assert set(survey.answers) == {f"q{i}" for i in range(1, 10)}
            assert all(1 <= v <= 5 for v in survey.answers.values())
            assert survey.answers["q6"] in (1, 2)
            assert survey.satisfied == (survey.answers["q9"] >= 4)
            low = {q for q, v in survey.answers.items() if q != "q6" and v <= 2}
            assert set(survey.reasons) == low
            very = {f"very_dissatisfied:{q}" for q in low if survey.answers[q] == 1}
            fault = {"open_fault"} if survey.answers["q6"] == 1 else set()
            assert set(survey.escalations) == very | fault
        else:
            assert survey.satisfied is None and not survey.answers

        entry = finished.ledger[case.id]
        assert entry is not None and entry.accepted and entry.record_state == "accepted"
        assert entry.feedback_result == survey.result.value
        assert entry.satisfied == survey.satisfied and entry.fee_total == record.total
        assert entry.closed_at == case.closed_at and entry.crew_code
        assert entry.back_at and case.completed_at <= entry.back_at <= case.reported_back_at
        assert entry.km_driven >= case.distance_km and 0 <= entry.expenses <= 40
        assert entry.operator == case.created_by

        kinds = [e.kind for e in finished.events[case.id]]
        assert kinds.index("completed") < kinds.index("service_recorded")
        assert kinds.index("service_recorded") < kinds.index("call_scheduled")
        assert kinds.count("call_attempt") >= len(attempts) and kinds.count("feedback") == 1
        assert kinds.index("feedback") < kinds.index("closed")

    cancelled = [c for c in finished.cases if c.status is CaseStatus.CANCELLED]
    assert all(c.id not in finished.records and not finished.tasks[c.id] for c in cancelled)
    assert all(finished.ledger[c.id] is None for c in cancelled)


def test_surveys_mix_answers_refusals_and_owners_never_reached(finished: Loaded) -> None:
    surveys = [s for ss in finished.surveys.values() for s in ss]
    results = Counter(s.result for s in surveys)
    assert results[FeedbackResult.ANSWERED] > 0.75 * len(surveys)
    assert results[FeedbackResult.REFUSED] and results[FeedbackResult.NOT_REACHED]
    assert any(s.satisfied is False for s in surveys)
    assert any(s.escalations for s in surveys)
    assert finished.summary.surveys == {r.value: n for r, n in results.items()}

    tally = finished.satisfaction
    assert tally["rated"] >= 40
    assert 90 <= 100 * tally["satisfied"] / tally["rated"] <= 100
    assert (tally["satisfied"], tally["rated"]) == (
        finished.summary.satisfied,
        finished.summary.answered,
    )

    escalations = [t for ts in finished.tasks.values() for t in ts if t.kind == ESCALATION_KIND]
    still_open = [t for t in escalations if t.is_open]
    assert 1 <= len(still_open) <= 2
    for task in still_open:
        assert NOW - timedelta(days=3) <= task.due_at < NOW and task.note
    for task in escalations:
        assert task.case_id is not None
        [survey] = finished.surveys[task.case_id]
        assert survey.escalations and task.due_at == survey.at


def test_open_finished_cases_have_records_some_not_accepted_and_open_calls(
    finished: Loaded,
) -> None:
    done = [
        c for c in finished.open if c.status in (CaseStatus.COMPLETED, CaseStatus.REPORTED_BACK)
    ]
    states = Counter(c.service_state for c in done)
    assert states["not_accepted"] >= 1 and states["accepted"] >= 1
    for case in done:
        assert case.id is not None
        record = finished.records[case.id]
        assert case.service_state == record.state.value
        if not record.accepted:
            assert not record.accepted_by and record.accepted_at is None
        [task] = _feedback(finished, case)
        assert task.is_open and task.due_at == case.completed_at
        assert task.attempts == len(finished.attempts[task.id]) <= 1
        if task.attempts:
            assert task.next_try_at is not None and task.next_try_at > NOW - timedelta(minutes=30)
            assert finished.attempts[task.id][0].outcome is Outcome.NOT_REACHED
        assert not finished.surveys[case.id] and case.feedback_at is None
        entry = finished.ledger[case.id]
        if case.status is CaseStatus.REPORTED_BACK:
            assert entry is not None and entry.accepted == record.accepted
            assert entry.feedback_result == "" and entry.closed_at is None
        else:
            assert entry is None
    assert any(finished.attempts[t.id] for c in done for t in _feedback(finished, c))
    for case in finished.open:
        if case.status not in (CaseStatus.COMPLETED, CaseStatus.REPORTED_BACK):
            assert case.id not in finished.records and case.service_state == "none"

    reported = sum(
        1 for c in finished.cases if c.status in (CaseStatus.CLOSED, CaseStatus.REPORTED_BACK)
    )
    summary = finished.summary
    assert finished.ledger_count == summary.ledger_entries == reported
    assert summary.records == len(finished.records)
    assert summary.not_accepted == states["not_accepted"]
    assert summary.open_feedback_calls == len(done)
