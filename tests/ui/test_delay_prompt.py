"""Pilot tests of the delay call in the running application (screens/desk.py, screens/calls/).

The demo database at the fixed clock (2026-11-22 22:30 in Shanghai) has two open cases whose
crew is late (20261122-0008, promised 22:06; -0010, promised 22:09) and two at risk (-0014,
22:35; -0012, 22:37). Nothing has swept it yet: the first sweep raises their alerts, and the
application shows four delay-call prompts. The watch loop is off under ``run_test`` unless a
test asks for it; tests sweep with ``app.sweep_now()``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from rich.text import Text
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import DataTable, Input, RadioSet, Static

from callcenter.clock import ManualClock
from callcenter.domain import DelayReason, OwnerNotice
from callcenter.services.calls import CallDesk
from callcenter.services.delays import DelayCalls
from screens.board.board import BoardScreen
from screens.calls.delay_form import DelayCallForm
from screens.calls.delay_list import DelayCallsScreen
from screens.case.detail import CaseDetailScreen
from screens.intake.intake import IntakeScreen
from screens.widgets.inbox import InboxScreen
from screens.widgets.prompt_strip import PromptStrip
from tests.conftest import FIXED_NOW

HOSTILE = "[@click=app.quit][b]王[/b]"
LATE_FIRST = "20261122-0008"  # the most urgent prompt: the first row of the list


@pytest.fixture(autouse=True)
def _quick_intake_timers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(IntakeScreen, "DRAFT_DELAY", 0.001)
    monkeypatch.setattr(IntakeScreen, "RECOGNISE_DELAY", 0.001)


# -- helpers -----------------------------------------------------------------------------


async def settle(pilot: Pilot[Any]) -> None:
    """Let the workers (sweep, prompt reading, claim, save) finish and their messages land."""
    app = pilot.app
    for _round in range(5):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


async def wait_for(pilot: Pilot[Any], condition: Callable[[], bool], tries: int = 250) -> None:
    """For what another session does: its change reaches us through the change feed."""
    for _attempt in range(tries):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("condition not met")


async def sweep(pilot: Pilot[Any]) -> None:
    worker = pilot.app.sweep_now()
    assert worker is not None
    await worker.wait()
    await settle(pilot)


def notices(app: Any) -> list[str]:
    """What the operator was told: the toasts about their own steps, then the alerts (F8)."""
    return [i.message for i in app.inbox.items] + [str(n.message) for n in app._notifications]


def titles(app: Any) -> list[str]:
    return [i.title for i in app.inbox.items] + [n.title for n in app._notifications]


def row(app: Any, index: int) -> list[str]:
    table = app.screen.query_one("#dc-table", DataTable)
    return [cell.plain for cell in table.get_row_at(index)]


def shown(widget: Any) -> str:
    return str(widget.render())


@contextmanager
def acting_on(app: Any) -> Iterator[None]:
    """Two applications run in one test: pilot ``app`` (Textual's context variables)."""
    with app._context():
        yield


async def open_list(pilot: Pilot[Any]) -> DelayCallsScreen:
    await pilot.press("f3")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, DelayCallsScreen)
    return screen


async def take_first(pilot: Pilot[Any]) -> DelayCallForm:
    await open_list(pilot)
    await pilot.press("enter")
    await settle(pilot)
    form = pilot.app.screen
    assert isinstance(form, DelayCallForm)
    return form


def only_delay_calls(services: Any) -> None:
    """Take the demo's own open calls of other kinds (its escalations) off the desk: these
    tests are about the delay calls (and one call of their own), listed alone."""
    desk = CallDesk(services, DelayCalls.from_services(services))
    for item in desk.task_items():
        desk.cancel(item.kind, item.ref, "test: the desk shows the delay calls alone")


def case_id_of(app: Any, number: str) -> int:
    return next(p.case_id for p in app.delay_prompts if p.case_number == number)


# -- the prompt reaches the operator without disturbing the call being typed -----------


async def test_prompt_appears_while_the_intake_form_is_typed_without_losing_a_key(
    make_app: Any,
) -> None:
    app, _container = make_app(watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        form = IntakeScreen()
        await app.push_screen(form)
        await settle(pilot)
        name = form.query_one("#in-caller_name", Input)
        assert app.focused is name
        await pilot.press(*"张伟")
        worker = app.sweep_now()  # the sweep raises four alerts while the operator types on
        await pilot.press(*"明")
        assert worker is not None
        await worker.wait()
        await pilot.press(*"先生")
        await settle(pilot)
        await pilot.press("tab", *"13923456780")
        await settle(pilot)

        assert app.screen is form  # nothing pushed over the form
        assert name.value == "张伟明先生"
        assert form.query_one("#in-phone", Input).value == "13923456780"
        assert app.focused is form.query_one("#in-phone", Input)
        # The prompt is there all the same: toasts, and the strip above the footer.
        assert len(app.delay_prompts) == 4
        assert any("粤B41252 (187 3002 6139)" in text for text in notices(app))
        strip = form.query_one(PromptStrip)
        assert not strip.can_focus
        assert "Owners to call: 4 — F3" in shown(strip)
        assert "Call the owner of 粤B41252 (187 3002 6139): crew 救援7组" in shown(strip)


async def test_prompt_strip_is_on_every_full_screen_and_leaves_with_the_last_call(
    make_app: Any,
) -> None:
    app, container = make_app(watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        board = app.screen
        assert not board.query(PromptStrip)  # nothing to call: no strip, layouts unchanged
        await sweep(pilot)
        assert board.query_one(PromptStrip).has_class("-late")
        await app.push_screen(CaseDetailScreen(case_id_of(app, LATE_FIRST)))
        await settle(pilot)
        assert app.screen.query_one(PromptStrip)
        app.pop_screen()
        await settle(pilot)

        calls = DelayCalls.from_services(container.services)
        for prompt in calls.open_prompts():
            calls.claim(prompt.alert_id, prompt.alert_version)
        app.refresh_prompts()
        await settle(pilot)
        # Every call taken: the strip keeps only the line of the unread alerts; F8 reads them
        # (newest first, with the time) and the strip goes.
        strip = str(board.query_one(PromptStrip).render())
        assert "Alerts: " in strip and "Owners to call" not in strip
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, InboxScreen)
        assert len(app.screen.alerts) == len(app.inbox.items) >= 4
        await pilot.press("escape")
        await settle(pilot)
        assert not board.query(PromptStrip)


# -- the bell ------------------------------------------------------------------------------


@pytest.mark.parametrize("bell", [True, False])
async def test_the_bell_rings_once_per_new_alert(make_app: Any, bell: bool) -> None:
    clock = ManualClock(FIXED_NOW)
    app, _container = make_app(watch=False, bell=bell, clock=clock)
    rings: list[int] = []
    app.bell = lambda: rings.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert rings == []
        await sweep(pilot)
        first = {p.alert_id for p in app.delay_prompts}
        assert len(first) == 4
        assert len(rings) == (4 if bell else 0)
        told = len(app.inbox.items)
        assert not app._notifications  # alerts never toast over the board: the inbox (F8)
        assert "Alerts: " in str(app.screen.query_one(PromptStrip).render())

        await sweep(pilot)  # nothing new: no bell, no new alert
        app.refresh_prompts()  # shown again (e.g. after a feed change): no bell either
        await settle(pilot)
        assert len(rings) == (4 if bell else 0)
        assert len(app.inbox.items) == told

        clock.advance(timedelta(minutes=6))  # 22:36: -0014 (promised 22:35) is now late
        await sweep(pilot)
        new = {p.alert_id for p in app.delay_prompts} - first
        assert len(new) == 1
        assert len(rings) == (5 if bell else 0)
        assert "Delay call — 20261122-0014" in titles(app)


async def test_a_burst_of_alerts_places_the_strip_once_and_toasts_nothing(make_app: Any) -> None:
    """Four alerts in one sweep: four items in the inbox (F8); the strip is placed once per
    reading of the desk, not once per alert, with one line about them; no toast."""
    app, _container = make_app(watch=False, clock=ManualClock(FIXED_NOW))
    placed: list[int] = []
    readings: list[int] = []
    place, apply = app._place_prompt_strips, app._apply_desk

    def placing(*args: Any) -> None:
        placed.append(1)
        place(*args)

    def applying(state: Any) -> None:
        readings.append(1)
        apply(state)

    app._place_prompt_strips = placing  # type: ignore[method-assign]
    app._apply_desk = applying  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        before, read_before = len(placed), len(readings)
        await sweep(pilot)
        assert len(app.delay_prompts) == 4
        assert len([i for i in app.inbox.items if i.title.startswith("Delay call")]) == 4
        # the burst is told, then the strip placed once per reading (the sweep's, the feed's
        # — how many the feed's timing decides; and once when the strip is first mounted),
        # never once per alert
        assert len(placed) - before <= len(readings) - read_before + 1
        assert not app._notifications
        strips = app.screen.query(PromptStrip)
        assert len(strips) == 1
        assert str(strips.first().render()).count("Alerts: ") == 1  # one line for them all


async def test_a_scheduled_sweep_reads_the_desk_only_when_something_changed(
    make_app: Any,
) -> None:
    """The 15 s sweep of each session: the desk (five queries, hundreds of cases) is read
    again when the sweep raised or closed alerts, or once the last reading is a minute old;
    not after a sweep that found nothing (what other sessions change comes by the feed)."""
    from screens import desk

    clock = ManualClock(FIXED_NOW)
    app, _container = make_app(watch=False, clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        result, state = app._sweep_and_read(always=False)
        assert result.raised and state is not None  # four alerts raised: read
        result, state = app._sweep_and_read(always=False)
        assert not result.raised and not result.closed and state is None  # nothing: no read
        app._desk_read_at -= desk.DESK_MAX_AGE_S  # a minute later: read, for the time's sake
        _result, state = app._sweep_and_read(always=False)
        assert state is not None
        clock.advance(timedelta(minutes=6))  # -0014 (promised 22:35) is now late
        result, state = app._sweep_and_read(always=False)
        assert result.raised and state is not None
        _result, state = app._sweep_and_read()  # sweep_now's: always reads
        assert state is not None


# -- claiming, across applications ----------------------------------------------------------


async def test_a_claim_in_one_application_shows_as_taken_in_another(
    make_app: Any, demo_url: str
) -> None:
    app_a, _container_a = make_app(watch=False)  # tester
    app_b, _container_b = make_app(user="wangfang", url=demo_url, watch=False)  # 王芳
    async with (
        app_a.run_test(size=(120, 40)) as pilot_a,
        app_b.run_test(size=(120, 40)) as pilot_b,
    ):
        # Both desks have read what there was at start (after their boards): what A raises
        # now is news to B, announced prompt by prompt.
        await wait_for(pilot_a, lambda: app_a.delay_desk_ready)
        await wait_for(pilot_b, lambda: app_b.delay_desk_ready)
        with acting_on(app_a):
            await sweep(pilot_a)  # only A sweeps; B learns of it from the change feed
            await open_list(pilot_a)
            assert row(app_a, 0)[0] == LATE_FIRST and row(app_a, 0)[5] == "—"
        await wait_for(pilot_b, lambda: len(app_b.delay_prompts) == 4)
        assert any("粤B41252" in text for text in notices(app_b))

        form = await take_first(pilot_b)  # 王芳 takes the call
        assert form.prompt.case_number == LATE_FIRST

        with acting_on(app_a):
            # A sees it taken, live, in the open list, without doing anything.
            await wait_for(pilot_a, lambda: row(app_a, 0)[5] == "王芳 22:30")
            detail = shown(app_a.screen.query_one("#dc-detail", Static))
            assert "王芳 is handling this call (since 22:30)." in detail
            await pilot_a.press("enter")  # a second claim is refused, saying who has it
            await settle(pilot_a)
            assert isinstance(app_a.screen, DelayCallsScreen)
            assert notices(app_a)[-1] == "王芳 is handling this call (since 22:30)."

        await pilot_b.press("escape")  # 王芳 gives it back
        await settle(pilot_b)
        assert isinstance(app_b.screen, DelayCallsScreen)
        assert row(app_b, 0)[5] == "—"
        with acting_on(app_a):
            await wait_for(pilot_a, lambda: row(app_a, 0)[5] == "—")
            await pilot_a.press("enter")  # now A may take it
            await settle(pilot_a)
            assert isinstance(app_a.screen, DelayCallForm)
        await wait_for(pilot_b, lambda: row(app_b, 0)[5] == "tester 22:30")


# -- the call ---------------------------------------------------------------------------


async def test_force_majeure_extends_the_promise_shown_on_the_board(make_app: Any) -> None:
    app, container = make_app(watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await sweep(pilot)
        case_id = case_id_of(app, LATE_FIRST)
        assert app.owner_notice(case_id) is OwnerNotice.DUE
        form = await take_first(pilot)
        assert app.owner_notice(case_id) is OwnerNotice.CALLING
        assert form.reason() is DelayReason.TRAFFIC_JAM  # force majeure (交通堵塞)
        eta = form.query_one("#dc-new_eta", Input)
        eta.focus()
        eta.value = ""
        await pilot.press(*"22:58", "enter")  # Enter in the last field saves
        await settle(pilot)

        assert isinstance(app.screen, BoardScreen)  # back where the operator came from
        assert "Promised arrival extended to 22:58; the original promise 22:06 is kept." in notices(
            app
        )
        case = container.services.case(case_id)
        assert case.promised_arrival_at is not None and case.original_promised_at is not None
        assert case.original_promised_at < case.promised_arrival_at
        assert case.owner_notified_at is not None
        assert LATE_FIRST not in [p.case_number for p in app.delay_prompts]
        # Extended to 22:58, the case is no longer late: no call is needed any more.
        assert app.owner_notice(case_id) is OwnerNotice.NOT_NEEDED

        board = app.screen
        assert isinstance(board, BoardScreen)
        await wait_for(pilot, lambda: board.board.cells(case_id)["promised"] == "Arr. 22:58")
        assert "+" in board.board.cells(case_id)["flags"]  # promise extended
        assert "☎" in board.board.cells(case_id)["flags"]  # owner told

        # The timeline says it in words.
        await app.push_screen(CaseDetailScreen(case_id))
        await settle(pilot)
        timeline = app.screen.query_one("#detail-timeline", Static)
        text = _plain(timeline)
        assert "Delay call to the owner" in text
        assert "owner reached; reason: Traffic jam; new expected arrival 22:58" in text
        assert "Promised arrival extended" in text
        assert "from 22:06 to 22:58; original promise 22:06 kept" in text
        assert "SLA alert" in text and "delay call" not in text


def _plain(widget: Static) -> str:
    import io

    from rich.console import Console

    console = Console(width=200, file=io.StringIO(), color_system=None)
    console.print(widget.content)
    return console.file.getvalue()  # type: ignore[attr-defined]


async def test_another_reason_keeps_the_case_late_and_needs_its_text(make_app: Any) -> None:
    app, container = make_app(watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await sweep(pilot)
        case_id = case_id_of(app, LATE_FIRST)
        promised = container.services.case(case_id).promised_arrival_at
        form = await take_first(pilot)
        form.query_one("#dc-reason").value = DelayReason.OTHER  # type: ignore[attr-defined]
        await pilot.pause()
        assert "Not force majeure" in shown(form.query_one("#dc-reason-hint", Static))
        eta = form.query_one("#dc-new_eta", Input)
        eta.focus()
        eta.value = ""
        await pilot.press(*"22:50")
        await pilot.press("ctrl+s")
        await settle(pilot)

        # Refused beside the field; nothing typed is lost; the call is still ours.
        assert app.screen is form
        error = form.query_one("#dc-err-reason_text")
        assert "Describe the reason for the delay." in shown(error)
        assert form.query_one("#dc-row-reason_text").has_class("-invalid")
        assert eta.value == "22:50"
        assert app.focused is form.query_one("#dc-reason_text", Input)

        await pilot.press(*"车主改约地点")
        assert not form.query_one("#dc-row-reason_text").has_class("-invalid")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen)
        assert notices(app)[-1] == (
            f"Owner told. The promise 22:06 stands: case {LATE_FIRST} stays late."
        )
        case = container.services.case(case_id)
        assert case.promised_arrival_at == promised  # the promise stands
        assert case.owner_notified_at is not None
        assert app.owner_notice(case_id) is OwnerNotice.TOLD  # late, and the owner knows


async def test_a_bad_new_arrival_is_refused_beside_the_field(make_app: Any) -> None:
    app, _container = make_app(watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await sweep(pilot)
        form = await take_first(pilot)
        eta = form.query_one("#dc-new_eta", Input)
        eta.value = "22:20"  # already passed at 22:30: tomorrow 22:20, surely a slip
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert "more than 12 hours away" in shown(form.query_one("#dc-err-new_eta"))
        eta.value = "25:99"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form and shown(form.query_one("#dc-err-new_eta"))
        assert eta.value == "25:99"


async def test_an_unreached_owner_is_prompted_again_after_five_minutes(make_app: Any) -> None:
    clock = ManualClock(FIXED_NOW)
    app, container = make_app(watch=False, clock=clock, bell=True)
    rings: list[int] = []
    app.bell = lambda: rings.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await sweep(pilot)
        assert len(rings) == 4
        form = await take_first(pilot)
        assert app.focused is form.query_one(RadioSet)
        await pilot.press("right", "enter")  # "Not reached"
        assert not form.reached()
        assert "comes back in 5 min" in shown(form.query_one("#dc-reason-hint", Static))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert notices(app)[-1] == "Owner not reached: you will be prompted again at 22:35."
        assert LATE_FIRST not in [p.case_number for p in app.delay_prompts]
        case_id = case_id_of_number(container, LATE_FIRST)
        assert app.owner_notice(case_id) is OwnerNotice.NOT_REACHED
        assert isinstance(app.screen, BoardScreen)

        clock.advance(timedelta(minutes=4, seconds=59))
        await sweep(pilot)
        assert LATE_FIRST not in [p.case_number for p in app.delay_prompts]

        clock.advance(timedelta(seconds=1))  # 22:35: the prompt comes back
        await sweep(pilot)
        assert app.delay_prompts[0].case_number == LATE_FIRST
        assert f"Delay call again — {LATE_FIRST}" in titles(app)
        assert app.owner_notice(case_id) is OwnerNotice.DUE
        # Shown again, not new: no second bell. (-0014, promised 22:35, is not late yet.)
        assert len(rings) == 4


def case_id_of_number(container: Any, number: str) -> int:
    return next(c.id for c in container.services.open_cases() if c.number == number)


async def test_escape_gives_the_call_back(make_app: Any) -> None:
    app, container = make_app(watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await sweep(pilot)
        form = await take_first(pilot)
        calls = DelayCalls.from_services(container.services)
        assert calls.open_prompts()[0].claimed_by == "tester"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DelayCallsScreen)
        assert calls.open_prompts()[0].claimed_by is None
        assert form.prompt.case_number == LATE_FIRST


async def test_caller_text_is_shown_verbatim_and_does_nothing(make_app: Any) -> None:
    app, container = make_app(watch=False)
    case_id = case_id_of_number(container, LATE_FIRST)
    with container.uow(write=True) as uow:
        case = uow.cases.get(case_id)
        case.caller_name = HOSTILE
        uow.cases.save(case)
        uow.commit()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await sweep(pilot)
        screen = await open_list(pilot)
        assert HOSTILE in shown(screen.query_one("#dc-detail", Static))
        await pilot.click("#dc-detail")
        await pilot.press("enter")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, DelayCallForm)
        assert HOSTILE in shown(form.query_one("#dc-info", Static))
        await pilot.click("#dc-info")
        assert app.is_running


# -- the watch loop -------------------------------------------------------------------------


async def test_the_watch_loop_sweeps_on_mount_and_stops_on_exit(make_app: Any) -> None:
    app, _container = make_app(watch=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.watching)  # once the board has read its cases
        assert isinstance(app.screen, BoardScreen) and app.screen.loaded
        await wait_for(pilot, lambda: len(app.delay_prompts) == 4)  # the first sweep: at once
    assert not app.watching


async def test_the_watch_loop_is_off_headless_by_default_and_on_a_read_only_board(
    make_app: Any,
) -> None:
    app, _container = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert not app.watching
    board, _container = make_app(watch=True, read_only=True)
    async with board.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert not board.watching
        assert board.sweep_now() is None


async def test_a_failing_sweep_is_logged_and_shown(
    make_app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> Any:
        raise RuntimeError("policy store on fire")

    app, container = make_app(watch=False, sweeper=broken)
    only_delay_calls(container.services)  # the demo's open escalation would be told too
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await sweep(pilot)
        await sweep(pilot)  # the same error again: logged, shown once
        errors = [n for n in app._notifications if n.severity == "error"]
        assert [str(n.message) for n in errors] == ["The SLA watch failed: policy store on fire"]
        assert not errors[0].markup
    assert sum("SLA sweep failed" in r.message for r in caplog.records) == 2


async def test_f3_and_the_command_palette_open_the_delay_calls(make_app: Any) -> None:
    app, _container = make_app(watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = await open_list(pilot)
        assert not screen.query_one("#dc-table").display  # nothing to call yet
        assert screen.query_one("#dc-empty").display
        await pilot.press("escape")
        await settle(pilot)
        titles_found = [c.title for c in app.get_system_commands(app.screen)]
        assert "Call desk (F3)" in titles_found


# -- snapshots ------------------------------------------------------------------------------


class Backdrop(Screen[None]):
    """A plain full screen under the delay calls: the snapshots show this feature only, not
    the board (another screen with its own snapshots), yet still the prompt strip."""

    def compose(self) -> Any:
        yield Static(Text("24-hour rescue call centre · backdrop"), id="backdrop")


def _prepare(form: bool) -> Callable[[Pilot[Any]], Any]:
    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        await settle(pilot)
        await app.push_screen(Backdrop())
        await sweep(pilot)
        # 王芳 has taken the second call in her own session.
        other = DelayCalls.from_services(app._other_services)
        second = other.open_prompts()[1]
        other.claim(second.alert_id, second.alert_version)
        app.refresh_prompts()
        await settle(pilot)
        app.clear_notifications()  # toasts time out on the wall clock
        await pilot.pause()
        await open_list(pilot)
        if form:
            await pilot.press("enter")
            await settle(pilot)

    return run_before


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
@pytest.mark.parametrize("form", [False, True], ids=["list", "form"])
def test_snapshot_delay_calls(
    snap_compare: Any,
    make_app: Any,
    demo_url: str,
    language: str,
    size: tuple[int, int],
    form: bool,
) -> None:
    app, container = make_app(language=language, watch=False, feed_interval=3600)
    only_delay_calls(container.services)
    _other_app, other = make_app(language=language, user="wangfang", url=demo_url, watch=False)
    app._other_services = other.services
    assert snap_compare(app, terminal_size=size, run_before=_prepare(form))


# -- issue 15.5: the delay desk on a night shift ---------------------------------------


async def test_a_saved_call_returns_to_the_board_and_the_next_key_takes_nothing(
    make_app: Any,
) -> None:
    """After a delay call is saved, the operator is back where they came from (the board):
    the list does not stay open for the next key to take another call by accident."""
    app, container = make_app(watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await sweep(pilot)
        form = await take_first(pilot)
        form.query_one("#dc-new_eta", Input).value = "22:58"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen)
        assert not any(isinstance(s, DelayCallsScreen) for s in app.screen_stack)
        await pilot.press("enter", "space")
        await settle(pilot)
        calls = DelayCalls.from_services(container.services)
        assert all(p.claimed_by is None for p in calls.open_prompts())


async def test_an_extension_just_agreed_is_not_prompted_again_within_renotify(
    make_app: Any,
) -> None:
    """The owner agreed to a new time 8 min away (inside the at-risk window): the sweeps
    seconds later raise its at-risk alert, but no prompt, toast or bell comes back before the
    renotify interval (5 min) is over; then it is prompted like any promise at risk."""
    clock = ManualClock(FIXED_NOW)
    app, container = make_app(watch=False, clock=clock, bell=True)
    rings: list[int] = []
    app.bell = lambda: rings.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await sweep(pilot)
        rung = len(rings)
        form = await take_first(pilot)
        case_id = form.prompt.case_id
        form.query_one("#dc-new_eta", Input).value = "22:38"  # 8 min from 22:30
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert container.services.case(case_id).promised_arrival_at is not None
        told = len(titles(app))
        for _step in range(4):  # four sweeps within 4 min 20 s
            clock.advance(timedelta(seconds=65))
            await sweep(pilot)
            assert case_id not in [p.case_id for p in app.delay_prompts]
            assert app.owner_notice(case_id) is OwnerNotice.TOLD
        assert len(titles(app)) == told and len(rings) == rung
        clock.advance(timedelta(seconds=40))  # 5 min after the call
        await sweep(pilot)
        assert case_id in [p.case_id for p in app.delay_prompts]
        assert app.owner_notice(case_id) is OwnerNotice.DUE


async def test_the_call_choices_are_readable_without_colour(make_app: Any) -> None:
    """The chosen radio button and the other one differ in their characters, not only in
    colour: ``(•)`` and ``( )``."""
    from textual.widgets import RadioButton

    app, _container = make_app(watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await sweep(pilot)
        form = await take_first(pilot)
        yes = form.query_one("#dc-reached-yes", RadioButton)
        no = form.query_one("#dc-reached-no", RadioButton)
        assert yes.render().plain.startswith("(•) ")
        assert no.render().plain.startswith("( ) ")
        await pilot.press("right", "enter")
        assert no.render().plain.startswith("(•) ") and yes.render().plain.startswith("( ) ")


# -- issue 15.8: the strip at 80×24 ----------------------------------------------------------


async def test_the_unread_alerts_line_is_not_cut_by_a_long_delay_line(make_app: Any) -> None:
    """At 80 columns the delay line is longer than the screen: it ends in "…" on its own
    row, and the line of the unread alerts stays readable below it."""
    app, _container = make_app(language="zh_CN", watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await sweep(pilot)
        strip = app.screen.query_one(PromptStrip)
        assert strip.size.height == 2
        rows = ["".join(s.text for s in strip.render_line(y)).strip() for y in range(2)]
        assert rows[0].startswith("☎ 待致电车主") and rows[0].endswith("…")
        assert rows[1].startswith("🔔 新提醒")


async def _strip_before(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await sweep(pilot)
    pilot.app.clear_notifications()
    await settle(pilot)


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("size", [(160, 45), (80, 24)], ids=["160x45", "80x24"])
def test_snapshot_board_with_the_strip(
    snap_compare: Any, make_app: Any, language: str, size: tuple[int, int]
) -> None:
    app, _container = make_app(language=language, watch=False, feed_interval=3600)
    assert snap_compare(app, terminal_size=size, run_before=_strip_before)
