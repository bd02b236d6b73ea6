"""The service record and the report-back forms (screens/records/): errors by field, nothing
typed lost on Esc, a conflict kept, snapshots in both languages at 80×24 and 160×45."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from callcenter.domain import Case, CaseStatus
from screens.records.record_form import RecordScreen
from screens.records.report_back import ReportBackScreen
from tests.factories import record_input
from tests.ui.test_delay_prompt import settle


def on_scene(container: Any) -> Case:
    return next(c for c in container.services.open_cases() if c.status is CaseStatus.ON_SCENE)


def completed(container: Any) -> Case:
    return next(c for c in container.services.open_cases() if c.status is CaseStatus.COMPLETED)


async def open_record(pilot: Pilot[Any], case: Case) -> RecordScreen:
    pilot.app.open_record(case)
    for _attempt in range(100):
        await pilot.pause(0.02)
        if isinstance(pilot.app.screen, RecordScreen):
            break
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, RecordScreen)
    return screen


async def save(pilot: Pilot[Any]) -> None:
    await pilot.press("ctrl+s")
    for _attempt in range(100):
        await pilot.pause(0.02)
        screen = pilot.app.screen
        if not getattr(screen, "saving", False):
            break
    await settle(pilot)


async def test_a_blank_record_names_each_empty_field_and_keeps_what_was_typed(
    make_app: Any,
) -> None:
    app, container = make_app(watch=False)
    case = on_scene(container)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_record(pilot, case)
        form.query_one("#rec-fee_labour", Input).value = ""
        await pilot.press(*"no power")
        await save(pilot)
        assert app.screen is form
        assert set(form.errors) == {"solution", "parts", "fee_labour", "warranty", "accepted"}
        assert form.query_one("#rec-cause", TextArea).text == "no power"
        assert "required" in str(form.query_one("#rec-err-solution").render())
        # Esc keeps it as a draft: the record of this case opens with it again.
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, RecordScreen)
        again = await open_record(pilot, case)
        assert again.query_one("#rec-cause", TextArea).text == "no power"
    assert container.services.case(case.id).status is CaseStatus.ON_SCENE


async def test_the_saved_record_completes_the_case_and_an_edit_conflict_keeps_the_text(
    make_app: Any,
) -> None:
    app, container = make_app(watch=False)
    services = container.services
    case = on_scene(container)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_record(pilot, case)
        form.query_one("#rec-cause", TextArea).text = "fuel pump relay"
        form.query_one("#rec-solution", TextArea).text = "replaced the relay"
        form.query_one("#rec-parts", TextArea).text = "relay, 1, R-12, yes"
        form.query_one("#rec-warranty-in").value = True
        form.query_one("#rec-accepted-no").value = True
        await save(pilot)
        assert not isinstance(app.screen, RecordScreen)
        record = services.service_record(case.id)
        assert record is not None and not record.is_valid and record.in_warranty
        assert services.case(case.id).status is CaseStatus.COMPLETED

        # Another operator edits meanwhile: this one's edit is refused, its text stays.
        form = await open_record(pilot, services.case(case.id))
        services.save_record(
            case.id, record_input(services, cause="changed elsewhere"), record_version=1
        )
        form.query_one("#rec-solution", TextArea).text = "mine"
        await save(pilot)
        assert app.screen is form
        assert form.query_one("#rec-solution", TextArea).text == "mine"
        assert any("changed by" in str(n.message) for n in app._notifications)


async def test_the_report_back_saves_with_its_defaults(make_app: Any) -> None:
    app, container = make_app(watch=False)
    case = completed(container)
    services = container.services
    services.save_record(case.id, record_input(services))
    async with app.run_test(size=(100, 30)) as pilot:
        app.open_report_back(services.case(case.id))
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ReportBackScreen)
        form.query_one("#rb-km_driven", Input).value = "abc"
        await save(pilot)
        assert app.screen is form and set(form.errors) == {"km_driven"}
        form.query_one("#rb-km_driven", Input).value = "18.5"
        await save(pilot)
        assert app.screen is not form
    assert services.case(case.id).status is CaseStatus.REPORTED_BACK
    entry = services.ledger_entry(case.id)
    assert entry is not None and str(entry.km_driven) == "18.50"


def _steady(pilot: Pilot[Any]) -> None:
    """No blinking cursor: a snapshot taken between two blinks would differ."""
    for widget in pilot.app.screen.query("Input, TextArea"):
        widget.cursor_blink = False  # type: ignore[attr-defined]


def _blank_save(case_of: Any) -> Any:
    async def run(pilot: Pilot[Any]) -> None:
        await open_record(pilot, case_of())
        _steady(pilot)
        await save(pilot)

    return run


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("size", [(80, 24), (160, 45)], ids=["80x24", "160x45"])
def test_snapshot_record(
    snap_compare: Any, make_app: Any, language: str, size: tuple[int, int]
) -> None:
    app, container = make_app(language=language, watch=False, feed_interval=3600)
    case = on_scene(container)
    assert snap_compare(app, terminal_size=size, run_before=_blank_save(lambda: case))


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("size", [(80, 24), (160, 45)], ids=["80x24", "160x45"])
def test_snapshot_report_back(
    snap_compare: Any, make_app: Any, language: str, size: tuple[int, int]
) -> None:
    app, container = make_app(language=language, watch=False, feed_interval=3600)
    services = container.services
    case = completed(container)
    if services.service_record(case.id) is None:
        services.save_record(case.id, record_input(services))

    async def run(pilot: Pilot[Any]) -> None:
        app.open_report_back(services.case(case.id))
        await settle(pilot)
        _steady(pilot)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run)


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_the_timeline_tells_the_work_after_the_job_in_words(language: str) -> None:
    """Never raw keys, Python values or the other language (the walk found them)."""
    import re
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from callcenter.domain import CaseEvent
    from callcenter.i18n import set_language
    from screens.case.detail import event_details

    set_language(language)
    now = datetime(2026, 11, 22, 14, 30, tzinfo=UTC)
    tz = ZoneInfo("Asia/Shanghai")
    events = [
        ("service_recorded", {"state": "accepted", "version": 1, "total": "150.00", "changed": []}),
        ("service_edited", {"state": "not_accepted", "version": 2, "changed": ["cause", "fees"]}),
        ("service_accepted", {"state": "accepted", "version": 3, "by": "张伟"}),
        ("service_voided", {"state": "voided", "version": 4, "reason": "签字人不是车主"}),
        (
            "reported_back",
            {
                "back_at": now.isoformat(),
                "km": "25.00",
                "expenses": "0.00",
                "equipment_returned": True,
                "notes": "",
                "follow_up": "",
            },
        ),
        ("call_scheduled", {"kind": "feedback", "due": now.isoformat()}),
        (
            "call_attempt",
            {
                "kind": "feedback",
                "outcome": "not_reached",
                "state": "open",
                "note": "",
                "result_answers": {"q1": 5},
            },
        ),
        ("feedback", {"result": "answered", "satisfied": True, "escalations": []}),
        ("escalated", {"reasons": ["very_dissatisfied:q4", "open_fault"]}),
    ]
    try:
        for kind, details in events:
            text = event_details(CaseEvent(1, now, "tester", kind, details), now, tz)
            raw = r"\b[a-z]+_[a-z_]+\b|\{|\[|True|False|None|\b(kind|state|due|outcome|result): "
            assert not re.search(raw, text), (kind, text)
            if language == "zh_CN":
                assert not re.search(r"[A-Za-z]{3,}", text), (kind, text)
            else:
                assert not re.search(
                    r"[\u4e00-\u9fff]", text.replace("张伟", "").replace("签字人不是车主", "")
                ), (kind, text)
    finally:
        set_language("en")


async def test_an_escalation_raised_elsewhere_is_told_at_once(make_app: Any) -> None:
    """A very dissatisfied owner (another operator's survey) reaches this session at once."""
    from callcenter.services.calls import CallDesk
    from callcenter.services.delays import DelayCalls
    from tests.factories import feedback_reached

    app, container = make_app(watch=False)
    services = container.services
    desk = CallDesk(services, DelayCalls.from_services(services))
    item = next(i for i in desk.task_items() if i.kind == "feedback")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        before = len(app.inbox.items)
        assert item.case_id is not None
        feedback_reached(services, item.case_id, satisfied=False)
        app.refresh_prompts()
        for _attempt in range(100):
            await pilot.pause(0.02)
            if len(app.inbox.items) > before:
                break
        titles = [i.title for i in app.inbox.items[before:]]  # an alert: F8, not a toast
        number = services.case(item.case_id).number
        assert f"Escalation — {number}" in titles
        assert app.call_items[0].kind == "escalation"


def test_the_record_box_shows_typed_text_as_data_not_markup() -> None:
    from zoneinfo import ZoneInfo

    from rich.console import Console

    from screens.case.detail import Loaded, record_fields

    hostile = "[bold]x[/bold] [/nope] [@click=app.quit]y"
    from datetime import UTC, datetime

    from callcenter.records.model import ServiceRecord

    now = datetime(2026, 11, 22, 14, 30, tzinfo=UTC)
    record = ServiceRecord(
        1,
        hostile,
        now,
        now,
        hostile,
        hostile,
        True,
        [],
        [],
        False,
        "roadside",
        True,
        hostile,
        None,
        now,
        "tester",
    )
    case = Case(
        now, "张伟", "+8613812345678", "粤B12345", "地址", __import__("decimal").Decimal(1), "故障"
    )
    console = Console(width=200, record=True)
    console.print(record_fields(Loaded(case, [], None, {}, record), ZoneInfo("Asia/Shanghai")))
    text = console.export_text()
    assert "[/nope]" in text and "[bold]x[/bold]" in text
