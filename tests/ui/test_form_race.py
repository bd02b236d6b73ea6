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

from callcenter import validation
from screens.board import BoardScreen
from screens.intake import IntakeScreen
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
