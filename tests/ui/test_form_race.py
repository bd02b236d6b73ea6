"""Type-ahead through the form kit: every key typed before Ctrl+S is in what is saved.

The keys go in one burst, the way a quick operator or a slow SSH link delivers them: the
terminal driver reads them in one go and posts them one after another, without waiting for the
first to be handled. ``pilot.press("space", "ctrl+s")`` cannot show the race: it waits for the
application to go idle after every key (Textual 8.2.8 ``App._press_keys``), so :func:`burst`
posts the keys as the driver does.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input, Select

from callcenter import validation
from callcenter.domain import DelayReason, OwnerNotice
from screens.board.board import BoardScreen
from screens.intake.intake import IntakeScreen
from tests.ui import test_delay_prompt as delay
from tests.ui.test_intake import GOOD, fill, open_form, settle


@pytest.fixture(autouse=True)
def _quick_timers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(IntakeScreen, "DRAFT_DELAY", 0.001)
    monkeypatch.setattr(IntakeScreen, "RECOGNISE_DELAY", 0.001)


def key_event(key: str) -> events.Key:
    character = {"space": " ", "tab": "\t", "enter": "\r"}.get(key)
    if character is None and len(key) == 1:
        character = key
    return events.Key(key, character)


async def burst(pilot: Pilot[Any], *keys: str) -> None:
    """Post ``keys`` to the application at once, as the driver does for one read of the
    terminal; then wait until everything they started is over."""
    app = pilot.app
    for key in keys:
        event = key_event(key)
        event.set_sender(app)
        app.post_message(event)
    await settle(pilot)


async def saved_case(pilot: Pilot[Any], container: Any, phone: str) -> Any:
    await settle(pilot)
    assert isinstance(pilot.app.screen, BoardScreen)
    [case] = container.services.search(phone)
    return case


@pytest.mark.parametrize("save_key", ["ctrl+s", "f2"])
async def test_space_on_the_consent_then_ctrl_s_at_once_saves_the_consent(
    make_app: Any, save_key: str
) -> None:
    app, container = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_form(pilot)
        fill(screen, **GOOD)
        screen.widget("fee_agreed").focus()
        await pilot.pause()
        await burst(pilot, "space", save_key)
        case = await saved_case(pilot, container, "13923456780")
        assert case.fee_agreed is True


async def test_space_then_tab_on_no_plate_keeps_the_tick(make_app: Any) -> None:
    app, container = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_form(pilot)
        fill(screen, **{**GOOD, "plate": "", "vehicle_model": ""})
        screen.widget("no_plate").focus()
        await pilot.pause()
        await burst(pilot, "space", "tab", *"丰田", "ctrl+s")
        case = await saved_case(pilot, container, "13923456780")
        assert case.plate == validation.NO_PLATE
        assert case.vehicle_model == "丰田"


# -- the delay call: a radio set and text -------------------------------------------------


async def test_the_delay_call_saves_the_radio_choice_typed_just_before_ctrl_s(
    make_app: Any,
) -> None:
    app, container = make_app(watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await delay.settle(pilot)
        await delay.sweep(pilot)
        form = await delay.take_first(pilot)
        assert app.focused is form.query_one("#dc-reached")
        await burst(pilot, "right", "space", "ctrl+s")  # "Not reached", then save
        await delay.settle(pilot)
        assert delay.notices(app)[-1] == ("Owner not reached: you will be prompted again at 22:35.")
        case_id = delay.case_id_of_number(container, delay.LATE_FIRST)
        assert app.owner_notice(case_id) is OwnerNotice.NOT_REACHED


async def test_the_delay_call_saves_the_text_typed_just_before_ctrl_s(make_app: Any) -> None:
    app, container = make_app(watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await delay.settle(pilot)
        await delay.sweep(pilot)
        form = await delay.take_first(pilot)
        form.query_one("#dc-reason", Select).value = DelayReason.OTHER
        form.query_one("#dc-reason_text", Input).focus()
        await pilot.pause()
        await burst(pilot, *"车主改约地点", "ctrl+s")  # the reason "Other" needs its text
        await delay.settle(pilot)
        assert isinstance(app.screen, BoardScreen)  # saved: back to the board
        case_id = delay.case_id_of_number(container, delay.LATE_FIRST)
        assert app.owner_notice(case_id) is OwnerNotice.TOLD
        texts = " ".join(str(e.details) for e in container.services.timeline(case_id))
        assert "车主改约地点" in texts
