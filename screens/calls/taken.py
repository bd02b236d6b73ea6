"""What every form of a call this operator has taken shares: Ctrl+S saves through the form
kit, Esc (or the "give back" button) gives the call back to everyone, and a call that is no
longer ours (handled or taken meanwhile) leaves the form."""

from __future__ import annotations

import logging
from typing import Any, TypeVar

from textual import work
from textual.message import Message
from textual.widgets import Button

from callcenter.errors import CallCenterError, ConcurrencyConflict
from screens.widgets.form import Form

log = logging.getLogger(__name__)

V = TypeVar("V")
R = TypeVar("R")


class TakenCallForm(Form[V, R]):
    """Mixed in front of a ``ModalScreen``; the form's buttons are ``#<FIELD_ID>save`` and
    ``#<FIELD_ID>back``. Override :meth:`give_back`."""

    class Released(Message):
        def __init__(self, error: str | None) -> None:
            super().__init__()
            self.error = error

    def give_back(self) -> None:
        """The one service call that gives the call back (runs in a thread)."""
        raise NotImplementedError

    @property
    def _releasing(self) -> bool:
        return bool(self.__dict__.get("_taken_releasing", False))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == f"{self.FIELD_ID}save":
            self.action_save()
        elif event.button.id == f"{self.FIELD_ID}back":
            self.action_back()

    # -- saving ------------------------------------------------------------------------------
    def action_save(self) -> None:
        if not self._releasing:
            super().action_save()

    def form_saving(self, saving: bool) -> None:
        if saving:
            self.clear_errors()

    def form_failed(self, error: Exception) -> None:
        super().form_failed(error)
        if isinstance(error, ConcurrencyConflict):
            self._screen.dismiss(None)  # the call is no longer ours: leave the form

    def form_saved(self, result: R) -> None:
        self._screen.dismiss(result)

    # -- giving the call back ----------------------------------------------------------------
    def action_back(self) -> None:
        if self.saving or self._releasing:
            return
        self.__dict__["_taken_releasing"] = True
        self._give_back()

    @work(thread=True, group="call-release", exit_on_error=False)
    def _give_back(self) -> None:
        screen: Any = self._screen
        try:
            self.give_back()
        except CallCenterError as exc:
            screen.post_message(self.Released(str(exc)))
        except Exception as exc:
            log.exception("giving a call back failed")
            screen.post_message(self.Released(str(exc) or type(exc).__name__))
        else:
            screen.post_message(self.Released(None))

    def on_taken_call_form_released(self, message: TakenCallForm.Released) -> None:
        self.__dict__["_taken_releasing"] = False
        screen: Any = self._screen
        if message.error:
            screen.notify(message.error, severity="error", timeout=10, markup=False)
        screen.dismiss(None)
