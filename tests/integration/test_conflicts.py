"""No silent overwrites: several real processes act on one case or one crew at once.

Each process builds its own session (engine, pool, staff identity) on the same SQLite file
or PostgreSQL schema, waits at a barrier, and then acts. Exactly one wins; every other one
is told who changed it and when, by display name.
"""

from __future__ import annotations

import inspect
import multiprocessing
import re
from collections.abc import Iterator
from typing import Any

import pytest

from callcenter import bootstrap
from callcenter.clock import ManualClock
from callcenter.domain import CaseStatus, CrewStatus, Role
from callcenter.errors import ConcurrencyConflict, InvalidTransition
from callcenter.services import Services
from callcenter.services.staff import StaffDirectory
from callcenter.settings import Settings
from tests.conftest import FIXED_NOW
from tests.factories import add_crew, intake

OPERATORS = {f"op{i}": f"接线员{i}号" for i in range(1, 6)}
CTX = multiprocessing.get_context("spawn")


def _session(url: str, user: str) -> bootstrap.Container:
    return bootstrap.build(
        Settings(database_url=url, language="en", user=user), clock=ManualClock(FIXED_NOW)
    )


def _act(
    url: str,
    user: str,
    barrier: Any,
    kind: str,
    case_id: int,
    crew_id: int,
    case_version: int | None,
    results: Any,
) -> None:
    """One operator's process: wait for the others, then dispatch (module-level: spawn)."""
    container = _session(url, user)
    try:
        barrier.wait(timeout=60)
        try:
            container.services.dispatch(case_id, crew_id, case_version=case_version)
        except (ConcurrencyConflict, InvalidTransition) as exc:
            results.put((user, type(exc).__name__, str(exc)))
        else:
            results.put((user, "won", ""))
    except Exception as exc:  # anything else is a failure the test must see
        results.put((user, "error", repr(exc)))
    finally:
        container.close()


@pytest.fixture
def centre(migrated_url: str) -> Iterator[bootstrap.Container]:
    admin = _session(migrated_url, "boss")
    staff = StaffDirectory(admin.services)
    for username, name in OPERATORS.items():
        staff.add(username, name, Role.OPERATOR)
    yield admin
    admin.close()


def race(url: str, jobs: list[tuple[str, int, int, int | None]]) -> list[tuple[str, str, str]]:
    """Run ``(user, case_id, crew_id, case_version)`` dispatches at once, one process each."""
    barrier = CTX.Barrier(len(jobs))
    results = CTX.Queue()
    processes = [
        CTX.Process(
            target=_act, args=(url, user, barrier, "dispatch", case_id, crew_id, version, results)
        )
        for user, case_id, crew_id, version in jobs
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    return outcomes


def winner_named(outcomes: list[tuple[str, str, str]]) -> tuple[str, list[tuple[str, str, str]]]:
    won = [o for o in outcomes if o[1] == "won"]
    assert len(won) == 1, outcomes
    lost = [o for o in outcomes if o[1] != "won"]
    assert all(o[1] in ("ConcurrencyConflict", "InvalidTransition") for o in lost), outcomes
    return won[0][0], lost


@pytest.mark.slow
def test_five_operators_dispatch_five_crews_to_one_case_one_wins(
    migrated_url: str, centre: bootstrap.Container
) -> None:
    services = centre.services
    crews = [add_crew(services, f"救援{i}组", vehicle_plate=f"粤B7T00{i}") for i in range(1, 6)]
    case = services.take_call(intake())
    jobs = [
        (user, case.id, crew.id, case.version) for user, crew in zip(OPERATORS, crews, strict=True)
    ]
    winner, lost = winner_named(race(migrated_url, jobs))
    name = OPERATORS[winner]
    for _user, _kind, message in lost:
        assert f"changed by {name} at 22:30" in message, message
    final = services.case(case.id)
    assert final.status is CaseStatus.DISPATCHED and final.updated_by == winner
    busy = [c for c in services.crews() if c.status is not CrewStatus.AVAILABLE]
    assert [c.id for c in busy] == [final.crew_id]
    assert [e.kind for e in services.timeline(case.id)].count("dispatched") == 1


@pytest.mark.slow
def test_five_operators_without_the_version_still_get_one_winner_named(
    migrated_url: str, centre: bootstrap.Container
) -> None:
    services = centre.services
    crews = [add_crew(services, f"救援{i}组", vehicle_plate=f"粤B7T00{i}") for i in range(1, 6)]
    case = services.take_call(intake())
    jobs = [(user, case.id, crew.id, None) for user, crew in zip(OPERATORS, crews, strict=True)]
    winner, lost = winner_named(race(migrated_url, jobs))
    for _user, kind, message in lost:
        assert kind == "InvalidTransition"
        assert f"by {OPERATORS[winner]} at 22:30" in message, message
    assert services.case(case.id).status is CaseStatus.DISPATCHED


@pytest.mark.slow
def test_five_operators_dispatch_one_crew_to_five_cases_one_wins(
    migrated_url: str, centre: bootstrap.Container
) -> None:
    services = centre.services
    crew = add_crew(services)
    cases = [services.take_call(intake(plate=f"粤B1234{i}")) for i in range(5)]
    jobs = [
        (user, case.id, crew.id, case.version) for user, case in zip(OPERATORS, cases, strict=True)
    ]
    winner, lost = winner_named(race(migrated_url, jobs))
    won_case = services.crews()[0].current_case_id
    number = next(c.number for c in cases if c.id == won_case)
    for _user, _kind, message in lost:
        assert "not available" in message
        assert f"Dispatched to case {number} by {OPERATORS[winner]} at 22:30" in message, message
    statuses = sorted(services.case(c.id).status.value for c in cases)
    assert statuses == ["dispatched", "received", "received", "received", "received"]


def test_a_stale_version_is_refused_with_the_display_name_and_time(
    migrated_url: str, centre: bootstrap.Container
) -> None:
    first, second = _session(migrated_url, "op1"), _session(migrated_url, "op2")
    try:
        case = first.services.take_call(intake(fee_agreed=False))
        seen = second.services.case(case.id)  # op2 opens the case
        first.services.agree_fee(case.id, version=case.version)
        with pytest.raises(ConcurrencyConflict) as raised:
            second.services.cancel(case.id, "车主取消", version=seen.version)
        assert str(raised.value) == f"Case {case.number} was changed by 接线员1号 at 22:30."
        assert raised.value.changed_by == "接线员1号"
        assert raised.value.changed_at == FIXED_NOW
        assert second.services.case(case.id).status is CaseStatus.RECEIVED
        # op2's reason is not lost: a retry with the version now shown succeeds.
        fresh = second.services.case(case.id)
        assert second.services.cancel(case.id, "车主取消", version=fresh.version).cancel_reason == (
            "车主取消"
        )
    finally:
        first.close()
        second.close()


def test_a_crew_changed_meanwhile_says_by_whom(
    migrated_url: str, centre: bootstrap.Container
) -> None:
    first, second = _session(migrated_url, "op1"), _session(migrated_url, "op2")
    try:
        crew = add_crew(first.services)
        mine = first.services.take_call(intake())
        theirs = second.services.take_call(intake(plate="粤B54321"))
        seen = second.services.crews()[0]
        first.services.dispatch(mine.id, crew.id)
        with pytest.raises(ConcurrencyConflict) as raised:
            second.services.dispatch(theirs.id, crew.id, crew_version=seen.version)
        assert f"Dispatched to case {mine.number} by 接线员1号 at 22:30." in str(raised.value)
        assert raised.value.changed_by == ""  # the case itself did not change
    finally:
        first.close()
        second.close()


def test_two_supervisors_reassign_one_case_at_once_only_one_wins(
    migrated_url: str, centre: bootstrap.Container
) -> None:
    services = centre.services
    StaffDirectory(services).set_role("op1", Role.SUPERVISOR)
    StaffDirectory(services).set_role("op2", Role.SUPERVISOR)
    crews = [add_crew(services, f"救援{i}组", vehicle_plate=f"粤B7T00{i}") for i in range(1, 4)]
    case = services.dispatch(services.take_call(intake()).id, crews[0].id)
    a, b = _session(migrated_url, "op1"), _session(migrated_url, "op2")
    try:
        a.services.reassign(case.id, crews[1].id, case_version=case.version)
        with pytest.raises(ConcurrencyConflict, match="changed by 接线员1号"):
            b.services.reassign(case.id, crews[2].id, case_version=case.version)
    finally:
        a.close()
        b.close()
    assert services.case(case.id).crew_id == crews[1].id


# Every use-case that changes an existing case or crew takes the version the user saw.
# Writes that only create rows (no version to compare): a call, the staff, the sweep's calls,
# a complaint, a handover read (kept once per shift and reader).
CREATES = {
    "take_call",
    "ensure_staff",
    "schedule_maintenance_calls",
    "record_complaint",
    "mark_handover_read",
}


def test_every_write_service_takes_the_version_the_user_saw() -> None:
    source = inspect.getsource(Services)
    writers = set()
    for name, member in inspect.getmembers(Services, inspect.isfunction):
        if name.startswith("_") or name in {"write", "read", "note", "require", "audit_refusal"}:
            continue
        body = inspect.getsource(member)
        if "self._write(" in body or "self._advance(" in body:
            writers.add(name)
    assert {
        "agree_fee",
        "dispatch",
        "reassign",
        "en_route",
        "arrive",
        "save_record",
        "accept_record",
        "void_record",
        "save_report_back",
        "close_case",
        "cancel",
    } <= writers
    for name in writers - CREATES:
        parameters = inspect.signature(getattr(Services, name)).parameters
        assert any(re.search("version", p) for p in parameters), name
    assert "version" in source
