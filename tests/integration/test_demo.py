"""The demo data: generated into a real, migrated SQLite file and checked for consistency."""

from __future__ import annotations

import re
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
from alembic import command
from alembic.config import Config

from callcenter import demo
from callcenter.clock import ManualClock
from callcenter.domain import OPEN_STATUSES, Case, CaseEvent, CaseStatus, Crew, CrewStatus
from callcenter.errors import CallCenterError
from storage.engine import make_engine
from storage.uow import SqlUnitOfWorkFactory

ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"
TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 22, 14, 30, 17, tzinfo=UTC)  # 22:30 in Shenzhen: the night shift
PLATE = re.compile(r"^[粤湘赣桂][A-Z]([A-HJ-NP-Z0-9]{5}|[DF][A-HJ-NP-Z0-9]\d{4})$")
NUMBER = re.compile(r"^\d{8}-\d{4}$")
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
        engine.dispose()

    @property
    def open(self) -> list[Case]:
        return [c for c in self.cases if c.is_open]

    @property
    def history(self) -> list[Case]:
        return [c for c in self.cases if not c.is_open]


def _migrated(path: Path) -> str:
    url = f"sqlite:///{path}"
    cfg = Config(str(ALEMBIC_INI))
    cfg.set_main_option("sqlalchemy.url", url)
    cfg.attributes["configure_logging"] = False
    command.upgrade(cfg, "head")
    return url


def _generate(path: Path, seed: int = 7) -> Loaded:
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
            assert [k for k in kinds if k != "fee_agreed"] == kinds_for[case.status]
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
    assert again.summary == loaded.summary

    other = _generate(tmp_path / "other.sqlite3", seed=8)
    assert [c.plate for c in other.cases] != [c.plate for c in loaded.cases]

    engine = make_engine(f"sqlite:///{tmp_path / 'again.sqlite3'}")
    try:
        with pytest.raises(CallCenterError):
            demo.generate(SqlUnitOfWorkFactory(engine, ManualClock(NOW)), now=NOW, tz=TZ)
    finally:
        engine.dispose()
