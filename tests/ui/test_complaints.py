"""The complaints (F6) and the complaint form (n; K on a case): pilot tests and snapshots in
both languages at 80×24 and 160×45, on the demo database at a fixed clock."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select, TextArea

from callcenter.complaints.model import Status
from screens.case.detail import CaseDetailScreen
from screens.complaints.complaint_form import ComplaintForm
from screens.complaints.complaint_list import ComplaintsScreen
from tests.ui.test_delay_prompt import settle, wait_for


async def wait_screen(pilot: Pilot[Any], cls: type) -> Any:
    for _attempt in range(150):
        await pilot.pause(0.02)
        if isinstance(pilot.app.screen, cls):
            break
    await settle(pilot)
    assert isinstance(pilot.app.screen, cls), pilot.app.screen
    return pilot.app.screen


def _steady(pilot: Pilot[Any]) -> None:
    for widget in pilot.app.screen.query("Input, TextArea"):
        widget.cursor_blink = False  # type: ignore[attr-defined]


async def save(pilot: Pilot[Any]) -> None:
    await pilot.press("ctrl+s")
    for _attempt in range(100):
        await pilot.pause(0.02)
        if not getattr(pilot.app.screen, "saving", False):
            break
    await settle(pilot)


async def test_f6_lists_complaints_and_n_records_one_typed_with_tab(make_app: Any) -> None:
    app, container = make_app(watch=False)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        await pilot.press("f6")
        listing = await wait_screen(pilot, ComplaintsScreen)
        assert listing.reading is not None and len(listing.reading.complaints) == 8
        assert listing.reading.escalations  # the demo's crew complained about twice
        await pilot.press("n")
        form = await wait_screen(pilot, ComplaintForm)
        assert app.focused is form.query_one("#cf-customer_name", Input)
        await pilot.press(*"张先生", "tab", *"13912345678", "tab", "tab", *"救援3组", "tab")
        assert form.query_one("#cf-phone", Input).value == "13912345678"
        assert form.query_one("#cf-crew_code", Input).value == "救援3组"
        form.query_one("#cf-category", Select).value = "quarrel"
        form.query_one("#cf-description", TextArea).text = "救援人员与我发生口角"
        await save(pilot)
        listing = await wait_screen(pilot, ComplaintsScreen)
        await settle(pilot)
    found = container.services.complaints(open_only=True)
    new = [c for c in found if c.customer_name == "张先生"]
    assert len(new) == 1 and new[0].status is Status.RECEIVED and new[0].crew_id is not None
    # the second complaint in 30 days against 救援3组 (the demo has one): escalated
    assert any(e.complaint_id == new[0].id for e in container.services.escalations())


async def test_a_blank_complaint_names_each_field_and_keeps_the_text(make_app: Any) -> None:
    app, _container = make_app(watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_complaint_form()
        form = await wait_screen(pilot, ComplaintForm)
        form.query_one("#cf-crew_code", Input).value = "X9"
        await save(pilot)
        assert app.screen is form
        assert set(form.errors) == {
            "customer_name",
            "phone",
            "category",
            "description",
            "crew_code",
        }
        assert form.query_one("#cf-crew_code", Input).value == "X9"


async def test_k_on_a_case_prefills_its_caller_and_crew(make_app: Any) -> None:
    app, container = make_app(watch=False)
    case = next(c for c in container.services.open_cases() if c.crew_id is not None)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        app.open_case(case.id)
        await wait_screen(pilot, CaseDetailScreen)
        await pilot.press("K")
        form = await wait_screen(pilot, ComplaintForm)
        assert form.query_one("#cf-case_number", Input).value == case.number
        assert form.query_one("#cf-customer_name", Input).value == case.caller_name
        assert form.query_one("#cf-crew_code", Input).value


async def test_an_operator_may_not_close_a_complaint(make_app: Any) -> None:
    from callcenter.domain import Role
    from callcenter.services.staff import StaffDirectory

    _app, admin = make_app(watch=False)
    StaffDirectory(admin.services).add("op1", "操作员", Role.OPERATOR)
    app, _container = make_app(watch=False, user="op1")
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        await pilot.press("f6")
        listing = await wait_screen(pilot, ComplaintsScreen)
        await pilot.press("c")  # refused at once: no reason asked for
        await settle(pilot)
        assert isinstance(app.screen, ComplaintsScreen)
        assert any("may not close a complaint" in str(n.message) for n in app._notifications)
        assert listing.selected().status is not Status.CLOSED


def _open_list(pilot_app: Any) -> Any:
    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("f6")
        await wait_screen(pilot, ComplaintsScreen)
        await pilot.press("down")
        await settle(pilot)

    return run


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("size", [(80, 24), (160, 45)], ids=["80x24", "160x45"])
def test_snapshot_complaint_list(
    snap_compare: Any, make_app: Any, language: str, size: tuple[int, int]
) -> None:
    app, _container = make_app(language=language, watch=False, feed_interval=3600)
    assert snap_compare(app, terminal_size=size, run_before=_open_list(app))


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("size", [(80, 24), (160, 45)], ids=["80x24", "160x45"])
def test_snapshot_complaint_form(
    snap_compare: Any, make_app: Any, language: str, size: tuple[int, int]
) -> None:
    app, _container = make_app(language=language, watch=False, feed_interval=3600)

    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        app.open_complaint_form()
        await wait_screen(pilot, ComplaintForm)
        _steady(pilot)
        await pilot.press(*"Zhang")
        await save(pilot)
        _steady(pilot)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run)


async def test_the_intake_warns_of_a_repeated_repair(make_app: Any) -> None:
    """Same plate and fault category as a case completed within 30 days: a warning on the
    form as it is typed (the saved case is flagged: tests/integration/test_complaints.py)."""
    from datetime import timedelta

    from screens.intake.intake import IntakeScreen

    app, container = make_app(watch=False)
    now = container.clock.now()
    from sqlalchemy import select

    from storage.tables import CaseRow

    with container.engine.connect() as conn:
        row = conn.execute(
            select(CaseRow.plate, CaseRow.fault_category, CaseRow.number)
            .where(
                CaseRow.completed_at >= now - timedelta(days=10),
                CaseRow.status == "closed",
            )
            .limit(1)
        ).one()
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        app.open_intake()
        form = await wait_screen(pilot, IntakeScreen)
        form.query_one("#in-fault_category", Select).value = type(
            form.query_one("#in-fault_category", Select).value
        )(row.fault_category)
        form.query_one("#in-plate", Input).value = row.plate
        for _attempt in range(100):
            await pilot.pause(0.02)
            if form.repeat_of is not None:
                break
        await settle(pilot)
        assert form.repeat_of is not None  # the latest such case (perhaps not this one)
        assert row.number
        assert form.query_one("#repeat-repair").display


async def test_a_complaint_past_its_first_deadline_reaches_the_supervisors_board(
    demo_url: str,
) -> None:
    """Acceptance: an operator records a phone complaint against a crew; its first deadline
    passes (manual clock); the operator's sweep raises the alert once and escalates; the
    supervisor's board (another session, read-only) shows the line live, and F6 lists it."""
    from datetime import timedelta

    from callcenter import bootstrap, watch
    from callcenter.clock import ManualClock
    from callcenter.complaints.model import ComplaintInput, EscalationKind
    from callcenter.settings import Settings
    from screens.board.supervisor import SupervisorBoardScreen
    from screens.widgets.escalation_strip import EscalationStrip
    from tests.conftest import FIXED_NOW

    clock = ManualClock(FIXED_NOW)
    operator = bootstrap.build(
        Settings(database_url=demo_url, language="en", user="wangfang", bell=False), clock=clock
    )
    supervisor = bootstrap.build(
        Settings(database_url=demo_url, language="en", user="chenjun", bell=False),
        clock=clock,
        read_only=True,
    )
    try:
        # the demo's escalation acknowledged first: the board then has nothing to show
        boss = bootstrap.build(
            Settings(database_url=demo_url, language="en", user="chenjun"), clock=clock
        )
        for item in boss.services.escalations():
            boss.services.acknowledge_escalation(item.id)
        boss.close()
        app = bootstrap.make_app(supervisor, feed_interval=0.05)
        async with app.run_test(size=(160, 45)) as pilot:
            for _attempt in range(200):
                if isinstance(app.screen, SupervisorBoardScreen) and app.screen.loaded:
                    break
                await pilot.pause(0.02)
            await settle(pilot)
            assert not app.screen.query(EscalationStrip)
            complaint = operator.services.record_complaint(
                ComplaintInput(
                    channel="phone",
                    customer_name="张伟",
                    phone="138 1234 5678",
                    crew_code="救援1组",
                    category="attitude",
                    description="态度恶劣",
                )
            )
            clock.advance(timedelta(minutes=61))
            sweep = watch.sweeper_for(operator)
            first = [a for a in sweep().complaint_alerts if a.complaint_id == complaint.id]
            assert [a.kind.value for a in first] == ["notify_overdue"]
            assert sweep().complaint_alerts == ()  # once
            for _attempt in range(250):
                if app.screen.query(EscalationStrip):
                    break
                await pilot.pause(0.02)
            strip = app.screen.query_one(EscalationStrip)
            assert "not acknowledged" in str(strip.render())
            told = f"Complaint {complaint.number}: Telling the responsible person: overdue"
            await wait_for(pilot, lambda: any(i.message == told for i in app.inbox.items))
            found = supervisor.services.escalations(unacknowledged_only=True)
            mine = [e for e in found if e.complaint_id == complaint.id]
            assert [e.kind for e in mine] == [EscalationKind.COMPLAINT_OVERDUE]
            await pilot.press("f6")
            listing = await wait_screen(pilot, ComplaintsScreen)
            assert listing.reading.complaints[0].number == complaint.number
            await pilot.press("a")  # read-only: refused, nothing written
            await settle(pilot)
            assert supervisor.services.escalations(unacknowledged_only=True) == found
    finally:
        operator.close()
        supervisor.close()


async def test_a_supervisor_closes_an_unsatisfied_complaint_with_a_reason(make_app: Any) -> None:
    app, container = make_app(watch=False)  # the first user: an administrator
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        await pilot.press("f6")
        listing = await wait_screen(pilot, ComplaintsScreen)
        chosen = listing.selected()
        assert chosen is not None and chosen.satisfied is not True and chosen.is_open
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("enter")  # no reason: refused on the modal, nothing closed
        await settle(pilot)
        assert container.services.complaint(chosen.id).is_open
        await pilot.press(*"客户已接受书面道歉", "enter")
        await settle(pilot)
        await wait_screen(pilot, ComplaintsScreen)
    closed = container.services.complaint(chosen.id)
    assert closed.status is Status.CLOSED and closed.close_reason == "客户已接受书面道歉"
