"""Who may do what, checked in the services; refusals and changes in the audit log.

Every session here is its own container (its own engine and pool) on one database, the way
separate operator processes share it; on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import ast
import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError

from callcenter import bootstrap
from callcenter.clock import ManualClock
from callcenter.domain import CaseStatus, CrewStatus, Role
from callcenter.errors import DatabaseUnavailable, InvalidTransition, PermissionDenied
from callcenter.i18n import set_language
from callcenter.permissions import ALLOWED, Action, is_allowed
from callcenter.ports import AuditEntry
from callcenter.services import Checklist, Services
from callcenter.services.staff import NotStaff, StaffDirectory
from callcenter.settings import Settings, os_login
from storage.tables import AuditRow, CrewRow
from tests.factories import (
    add_crew,
    feedback_reached,
    finish_job,
    intake,
    record_input,
)

SAFE = Checklist(hazard_lights=True, warning_sign=True, night_lights=True)
Session = Callable[..., bootstrap.Container]


@pytest.fixture
def session(migrated_url: str, clock: ManualClock) -> Iterator[Session]:
    """``session(user, read_only=False)``: a container of its own, as another process."""
    made: list[bootstrap.Container] = []

    def factory(user: str, *, read_only: bool = False, **kwargs: object) -> bootstrap.Container:
        settings = Settings(database_url=migrated_url, language="en", user=user)
        container = bootstrap.build(settings, clock=clock, read_only=read_only, **kwargs)
        made.append(container)
        return container

    yield factory
    for container in made:
        container.close()


@pytest.fixture
def centre(session: Session) -> dict[str, bootstrap.Container]:
    """The first user (admin) adds an operator and a supervisor; each gets a session."""
    admin = session("boss")
    staff = StaffDirectory(admin.services)
    staff.add("wangfang", "王芳", Role.OPERATOR)
    staff.add("chenjun", "陈军", Role.SUPERVISOR)
    return {"admin": admin, "operator": session("wangfang"), "supervisor": session("chenjun")}


def audit(container: bootstrap.Container, **filters: object) -> list[AuditEntry]:
    with container.uow(write=False) as uow:
        return uow.audit.recent(limit=1000, **filters)  # type: ignore[arg-type]


def dispatched_case(services: Services, crew_code: str = "救援1组", plate: str = "粤B12345"):
    crew = add_crew(services, crew_code, vehicle_plate=plate)
    case = services.take_call(intake(plate=plate))
    return services.dispatch(case.id, crew.id), crew


# -- who is who ---------------------------------------------------------------------------------


def test_the_first_user_of_a_new_database_becomes_admin_and_is_told(session: Session) -> None:
    first = session("boss")
    assert first.services.staff is not None and first.services.staff.role is Role.ADMIN
    assert any("boss" in n and "administrator" in n for n in first.notices)
    again = session("boss")
    assert again.notices == [] and again.services.role is Role.ADMIN
    rows = audit(first, actor="boss")
    assert [(r.action, r.entity, r.allowed) for r in rows] == [("manage_staff", "staff", True)]


def test_someone_not_on_the_staff_cannot_open_a_session(
    session: Session, centre: dict[str, bootstrap.Container], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING), pytest.raises(NotStaff) as raised:
        session("bob")
    message = str(raised.value)
    assert "\n" not in message
    assert "bob" in message and "callcenter staff add bob" in message
    refused = audit(centre["admin"], actor="bob")
    assert [(r.action, r.allowed, r.details["refused"]) for r in refused] == [
        ("open_session", False, "not_staff")
    ]
    assert "bob" in caplog.text
    with pytest.raises(NotStaff):
        session("bob", read_only=True)  # nor the supervisor board


def test_the_refusal_to_a_stranger_is_in_chinese_by_default(
    migrated_url: str, clock: ManualClock, centre: dict[str, bootstrap.Container]
) -> None:
    settings = Settings(database_url=migrated_url, language="zh_CN", user="bob")
    try:
        with pytest.raises(NotStaff) as raised:
            bootstrap.build(settings, clock=clock)
    finally:
        set_language("en")
    assert "你不是本呼叫中心的在册员工（用户 bob）" in str(raised.value)
    assert "callcenter staff add bob" in str(raised.value)


def test_a_disabled_member_of_staff_is_refused_at_once_even_in_an_open_session(
    session: Session, centre: dict[str, bootstrap.Container]
) -> None:
    operator = centre["operator"].services
    case = operator.take_call(intake())
    StaffDirectory(centre["admin"].services).disable("wangfang")
    with pytest.raises(PermissionDenied, match="no longer active"):
        operator.agree_fee(case.id)
    with pytest.raises(NotStaff, match="disabled"):
        session("wangfang")
    refused = audit(centre["admin"], actor="wangfang", allowed=False)
    assert {r.action for r in refused} == {"agree_fee", "open_session"}


def test_a_new_role_applies_to_an_open_session_at_once(
    centre: dict[str, bootstrap.Container],
) -> None:
    operator = centre["operator"].services
    case, _crew = dispatched_case(operator)
    other = add_crew(operator, "救援2组", vehicle_plate="粤B7T002")
    with pytest.raises(PermissionDenied):
        operator.reassign(case.id, other.id, case_version=case.version)
    StaffDirectory(centre["admin"].services).set_role("wangfang", Role.SUPERVISOR)
    moved = operator.reassign(case.id, other.id, case_version=case.version)
    assert moved.crew_id == other.id
    assert operator.role is Role.SUPERVISOR


# -- the permissions table -----------------------------------------------------------------------


def test_permissions_are_data_and_each_role_includes_the_one_below() -> None:
    assert ALLOWED[Role.OPERATOR] < ALLOWED[Role.SUPERVISOR] < ALLOWED[Role.ADMIN]
    for action in (
        Action.REASSIGN_CREW,
        Action.CANCEL_DISPATCHED,
        Action.EXTEND_WITHOUT_FORCE_MAJEURE,
        Action.EDIT_POLICY,
        Action.EDIT_TARIFF,
    ):
        assert not is_allowed(Role.OPERATOR, action)
        assert is_allowed(Role.SUPERVISOR, action) and is_allowed(Role.ADMIN, action)
    assert not is_allowed(Role.SUPERVISOR, Action.MANAGE_STAFF)
    assert is_allowed(Role.ADMIN, Action.MANAGE_STAFF)
    assert is_allowed(Role.OPERATOR, "some_new_everyday_action")


@pytest.mark.parametrize(
    "action",
    [Action.EDIT_POLICY, Action.EDIT_TARIFF, Action.EXTEND_WITHOUT_FORCE_MAJEURE],
)
def test_supervisor_actions_are_refused_to_an_operator_and_logged(
    centre: dict[str, bootstrap.Container], action: Action, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.WARNING, logger="callcenter.services"),
        pytest.raises(PermissionDenied) as raised,
    ):
        centre["operator"].services.require(action, entity="case", entity_id=7)
    assert "王芳 (Operator) may not" in str(raised.value)
    assert "Supervisor" in str(raised.value)
    assert f"refused {action.value} to wangfang" in caplog.text
    [row] = audit(centre["admin"], actor="wangfang", allowed=False)
    assert (row.action, row.entity, row.entity_id) == (action.value, "case", 7)
    assert row.details["refused"] == "role" and row.details["role"] == "operator"
    centre["supervisor"].services.require(action)  # allowed: nothing raised
    assert audit(centre["admin"], actor="chenjun", allowed=False) == []


def test_an_operator_may_not_reassign_a_crew_a_supervisor_may(
    centre: dict[str, bootstrap.Container],
) -> None:
    operator, supervisor = centre["operator"].services, centre["supervisor"].services
    case, first = dispatched_case(operator)
    second = add_crew(operator, "救援2组", vehicle_plate="粤B7T002")
    with pytest.raises(PermissionDenied, match="reassign a crew"):
        operator.reassign(case.id, second.id, case_version=case.version)
    assert operator.case(case.id).crew_id == first.id  # nothing changed
    [refused] = audit(centre["admin"], actor="wangfang", allowed=False)
    assert (refused.action, refused.entity, refused.entity_id) == ("reassign_crew", "case", case.id)

    moved = supervisor.reassign(case.id, second.id, case_version=case.version, reason="车坏了")
    assert moved.status is CaseStatus.DISPATCHED and moved.crew_id == second.id
    crews = {c.id: c for c in supervisor.crews()}
    assert (
        crews[first.id].status is CrewStatus.AVAILABLE and crews[first.id].current_case_id is None
    )
    assert crews[second.id].current_case_id == case.id
    assert supervisor.current_assignment(case.id).assigned_by == "chenjun"  # type: ignore[union-attr]
    last = supervisor.timeline(case.id)[-1]
    assert (last.kind, last.actor, last.details["previous"]) == ("reassigned", "chenjun", "救援1组")
    [done] = audit(centre["admin"], actor="chenjun", allowed=True)
    assert (done.action, done.entity, done.entity_id) == ("reassign_crew", "case", case.id)


def test_an_operator_may_cancel_a_received_case_but_not_a_dispatched_one(
    centre: dict[str, bootstrap.Container],
) -> None:
    operator, supervisor = centre["operator"].services, centre["supervisor"].services
    waiting = operator.take_call(intake(plate="粤B11111"))
    assert operator.cancel(waiting.id, "车主已自行解决").status is CaseStatus.CANCELLED
    case, crew = dispatched_case(operator)
    with pytest.raises(PermissionDenied, match="cancel a case a crew was dispatched to"):
        operator.cancel(case.id, "车主不需要了")
    assert operator.case(case.id).status is CaseStatus.DISPATCHED
    supervisor.cancel(case.id, "车主不需要了")
    assert {c.id: c for c in supervisor.crews()}[crew.id].status is CrewStatus.AVAILABLE
    actions = [
        (r.actor, r.action, r.allowed)
        for r in reversed(audit(centre["admin"]))
        if r.action.startswith("cancel")
    ]
    assert actions == [
        ("wangfang", "cancel", True),
        ("wangfang", "cancel_dispatched", False),
        ("chenjun", "cancel_dispatched", True),
    ]


def test_only_an_admin_manages_staff(centre: dict[str, bootstrap.Container]) -> None:
    for who in ("operator", "supervisor"):
        directory = StaffDirectory(centre[who].services)
        with pytest.raises(PermissionDenied, match="manage staff"):
            directory.add("intruder", "X", Role.ADMIN)
        with pytest.raises(PermissionDenied):
            directory.list()
    admin = StaffDirectory(centre["admin"].services)
    assert [s.username for s in admin.list()] == ["boss", "chenjun", "wangfang"]
    refused = audit(centre["admin"], allowed=False)
    assert len(refused) == 4 and {r.action for r in refused} == {"manage_staff"}


def test_the_last_admin_stays(centre: dict[str, bootstrap.Container]) -> None:
    admin = StaffDirectory(centre["admin"].services)
    with pytest.raises(InvalidTransition, match="last active administrator"):
        admin.disable("boss")
    with pytest.raises(InvalidTransition, match="last active administrator"):
        admin.set_role("boss", Role.OPERATOR)
    admin.set_role("chenjun", Role.ADMIN)
    admin.set_role("boss", Role.SUPERVISOR)
    assert {s.username: s.role for s in admin.list()}["boss"] is Role.SUPERVISOR


def test_a_refusal_is_translated(centre: dict[str, bootstrap.Container]) -> None:
    set_language("zh_CN")
    try:
        with pytest.raises(PermissionDenied) as raised:
            centre["operator"].services.require(Action.EDIT_TARIFF)
    finally:
        set_language("en")
    assert "王芳（接线员）无权" in str(raised.value) and "主管" in str(raised.value)


# -- every change in the audit log, in the same transaction -----------------------------------


def test_every_write_use_case_leaves_one_audit_row_naming_who(
    centre: dict[str, bootstrap.Container], clock: ManualClock
) -> None:
    services = centre["operator"].services
    crew = add_crew(services)
    case = services.take_call(intake(fee_agreed=False))
    services.agree_fee(case.id, version=case.version)
    case = services.dispatch(case.id, crew.id)
    services.en_route(case.id)
    services.arrive(case.id, SAFE)
    finish_job(services, case.id)
    feedback_reached(services, case.id)
    services.close_case(case.id)
    rows = list(reversed(audit(centre["admin"], actor="wangfang")))
    assert [r.action for r in rows] == [
        "take_call",
        "agree_fee",
        "dispatch",
        "en_route",
        "arrive",
        "record_service",
        "report_back",
        "claim_call",
        "record_call",
        "close",
    ]
    assert all(r.allowed for r in rows)
    calls = {"claim_call", "record_call"}  # the feedback call: a row of the call desk
    assert all(r.entity == "case" and r.entity_id == case.id for r in rows if r.action not in calls)
    assert all(r.entity == "call_task" for r in rows if r.action in calls)
    assert all(r.at == clock.now() for r in rows)
    assert rows[2].details["crew"] == "救援1组"


def test_a_failed_write_leaves_no_audit_row(centre: dict[str, bootstrap.Container]) -> None:
    services = centre["operator"].services
    case = services.take_call(intake())
    before = len(audit(centre["admin"]))
    with pytest.raises(InvalidTransition):
        services.save_record(case.id, record_input(services))
    assert len(audit(centre["admin"])) == before


def test_the_audit_log_keeps_the_real_os_login_when_the_user_is_overridden(
    centre: dict[str, bootstrap.Container],
) -> None:
    login = os_login()
    centre["operator"].services.take_call(intake())
    [row] = audit(centre["admin"], actor="wangfang")
    if login == "wangfang":  # pragma: no cover - only if the OS login happens to match
        assert "os_user" not in row.details
    else:
        assert row.details["os_user"] == login


# -- the read-only board -----------------------------------------------------------------------


def test_the_read_only_board_cannot_write_even_through_the_services(
    session: Session, centre: dict[str, bootstrap.Container]
) -> None:
    writer = centre["operator"].services
    case, crew = dispatched_case(writer)
    board = session("chenjun", read_only=True)
    ro = board.services
    assert ro.read_only and ro.staff is not None and ro.staff.username == "chenjun"
    assert not ro.may(Action.TAKE_CALL)
    before = len(audit(centre["admin"]))
    for attempt in (
        lambda: ro.take_call(intake(plate="粤B22222")),
        lambda: ro.en_route(case.id),
        lambda: ro.cancel(case.id, "x"),
        lambda: ro.reassign(case.id, crew.id, case_version=case.version),
        lambda: StaffDirectory(ro).add("x", "x", Role.ADMIN),
        lambda: ro.require(Action.EDIT_TARIFF),
    ):
        with pytest.raises(PermissionDenied, match="read-only"):
            attempt()
    assert writer.case(case.id).status is CaseStatus.DISPATCHED
    assert len(audit(centre["admin"])) == before  # the board cannot even write its refusals
    assert [c.id for c in ro.open_cases()] == [case.id]  # reading works


def test_the_read_only_board_is_read_only_in_the_database_itself(
    session: Session, centre: dict[str, bootstrap.Container]
) -> None:
    board = session("chenjun", read_only=True)
    with pytest.raises((DatabaseUnavailable, DBAPIError)), board.uow(write=True) as uow:
        add_crew_row(uow)
        uow.commit()
    with pytest.raises(DBAPIError), board.engine.connect() as conn:
        conn.execute(CrewRow.__table__.delete())
        conn.commit()
    with pytest.raises(DBAPIError), board.engine.connect() as conn:
        conn.execute(text("UPDATE staff SET role = 'admin'"))
        conn.commit()
    assert {s.username: s.role for s in StaffDirectory(centre["admin"].services).list()}[
        "chenjun"
    ] is Role.SUPERVISOR


def add_crew_row(uow: object) -> None:
    from callcenter.domain import Crew

    uow.crews.add(Crew("救援9组", "X", "+8613900009999", "粤B7T009"))  # type: ignore[attr-defined]


def test_the_read_only_board_follows_changes_live(
    session: Session, centre: dict[str, bootstrap.Container]
) -> None:
    board = session("chenjun", read_only=True)
    feed = board.change_feed()
    try:
        feed.poll()
        case = centre["operator"].services.take_call(intake())
        seen: set[tuple[str, int]] = set()
        for _attempt in range(50):
            seen |= {(c.entity, c.entity_id) for c in feed.poll()}
            if ("case", case.id) in seen:
                break
            import time

            time.sleep(0.05)
        assert ("case", case.id) in seen
        assert [c.number for c in board.services.cases_by_ids([case.id])] == [case.number]
    finally:
        feed.close()


def test_the_board_of_a_database_without_staff_is_refused(session: Session) -> None:
    trusted = session("boss", identify=False)  # an internal session claims nothing
    assert trusted.services.staff is None
    with pytest.raises(NotStaff):
        session("nobody", read_only=True)


# -- no bulk updates on versioned tables -----------------------------------------------------

VERSIONED = {t.name for t in AuditRow.metadata.sorted_tables if "version" in t.c}
ROOT = Path(__file__).resolve().parents[2]
# Bulk UPDATEs of a versioned table that are allowed, and why.
BULK_ALLOWED = {
    # the sweep resolves only alerts nobody claimed or resolved, bumping their version
    ("storage/repositories/alerts.py", "resolve_unclaimed"),
    # `callcenter demo --reset` deletes every row right after
    ("storage/schema.py", "reset_data"),
    # the sweep closes complaint alerts whose clock stopped (complaint_alerts has no version:
    # matched only because its row class starts with the name of the versioned complaints)
    ("storage/repositories/complaints.py", "resolve"),
}


def bulk_updates() -> list[tuple[str, str, str]]:
    """(file, function, source) of each ``update(XRow)`` / ``XRow.__table__.update()``."""
    rows = {re.sub(r"s$", "", t).capitalize() for t in VERSIONED}
    found = []
    for path in [
        *ROOT.glob("callcenter/**/*.py"),
        *ROOT.glob("storage/*.py"),
        *ROOT.glob("storage/repositories/*.py"),
        *ROOT.glob("screens/**/*.py"),
    ]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(func):
                if not isinstance(node, ast.Call):
                    continue
                source = ast.unparse(node.func)
                arg = ast.unparse(node.args[0]) if node.args else ""
                if (source == "update" and any(r in arg for r in rows)) or (
                    source.endswith("__table__.update") and any(r in source for r in rows)
                ):
                    found.append((str(path.relative_to(ROOT)), func.name, ast.unparse(node)))
    return found


def test_versioned_tables_are_the_expected_ones() -> None:
    assert {"cases", "crews", "customers", "alerts"} <= VERSIONED


def test_no_bulk_update_of_a_versioned_table_outside_the_listed_ones() -> None:
    found = bulk_updates()
    unexpected = [f for f in found if (f[0], f[1]) not in BULK_ALLOWED]
    assert unexpected == []
    for path, func, _source in found:
        if func == "resolve_unclaimed":
            body = (ROOT / path).read_text(encoding="utf-8")
            assert "version=AlertRow.version + 1" in body  # it is not silent


def test_every_update_of_a_versioned_row_checks_the_version(
    centre: dict[str, bootstrap.Container],
) -> None:
    """Run every write use-case; each UPDATE of a versioned table says WHERE version = ?."""
    container = centre["supervisor"]
    statements: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many) -> None:
        if statement.lstrip().upper().startswith("UPDATE"):
            statements.append(" ".join(statement.split()))

    event.listen(container.engine, "before_cursor_execute", record)
    try:
        services = container.services
        crew = add_crew(services)
        spare = add_crew(services, "救援2组", vehicle_plate="粤B7T002")
        case = services.take_call(intake(fee_agreed=False))
        services.agree_fee(case.id, version=case.version)
        case = services.dispatch(case.id, crew.id)
        case = services.reassign(case.id, spare.id, case_version=case.version)
        services.en_route(case.id)
        services.arrive(case.id, SAFE)
        finish_job(services, case.id)
        feedback_reached(services, case.id)
        services.close_case(case.id)
        other = services.dispatch(services.take_call(intake(plate="粤B33333")).id, crew.id)
        services.cancel(other.id, "车主取消")
    finally:
        event.remove(container.engine, "before_cursor_execute", record)
    versioned = [
        s for s in statements if re.match(r"UPDATE (\w+\.)?\"?(cases|crews|customers|alerts)\b", s)
    ]
    assert len(versioned) >= 15
    for statement in versioned:
        assert re.search(r"WHERE .*version = ", statement), statement
