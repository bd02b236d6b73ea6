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


def _blank_save(case_of: Any) -> Any:
    async def run(pilot: Pilot[Any]) -> None:
        await open_record(pilot, case_of())
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

    assert snap_compare(app, terminal_size=size, run_before=run)
