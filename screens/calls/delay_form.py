"""The delay call itself (MISSION "The call", step 5): owner reached, reason, new expected
arrival.

Caller text (plate, names) is data: it is shown through :class:`~textual.content.Content`,
and every notification goes out with ``markup=False``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import (
    Button,
    Input,
    Label,
    RadioButton,
    RadioSet,
    Select,
    Static,
)

from callcenter.domain import DelayReason
from callcenter.errors import (
    CallCenterError,
    ConcurrencyConflict,
    ValidationError,
)
from callcenter.i18n import N_, _
from screens.kit.format import local_time
from screens.kit.host import Host, host
from screens.kit.i18n_bindings import translate_bindings

if TYPE_CHECKING:
    from callcenter.services.delays import DelayCallResult, DelayPrompt

log = logging.getLogger(__name__)

#: A new expected arrival further away than this is almost surely a typing slip (a time of
#: day already passed rolls over to tomorrow).
MAX_ETA_AHEAD = timedelta(hours=12)


# --------------------------------------------------------------------------------------------
# The call


def suggested_eta(prompt: DelayPrompt, now: datetime) -> datetime:
    """A starting value for the new expected arrival: the crew's ETA (else the promise plus
    the expected lateness), rounded up to five minutes, never in the past."""
    eta = prompt.expected_arrival or prompt.deadline + timedelta(minutes=prompt.late_minutes)
    eta = max(eta, now + timedelta(minutes=5))
    step = 300
    return datetime.fromtimestamp(math.ceil(eta.timestamp() / step) * step, eta.tzinfo)


class DelayCallForm(ModalScreen["DelayCallResult | None"]):
    """Record the call made to the owner. Dismisses with the result, or None (Esc gives the
    call back to everyone)."""

    CSS_PATH = "delay.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Save"), priority=True),
        Binding("escape", "back", N_("Give the call back")),
    ]
    FIELDS = ("reached", "reason", "reason_text", "new_eta")

    class Saved(Message):
        def __init__(self, result: DelayCallResult) -> None:
            super().__init__()
            self.result = result

    class Rejected(Message):
        def __init__(self, field: str, text: str) -> None:
            super().__init__()
            self.field = field
            self.text = text

    class Failed(Message):
        def __init__(self, text: str, gone: bool) -> None:
            super().__init__()
            self.text = text
            self.gone = gone  # the call is no longer ours: leave the form

    class Released(Message):
        def __init__(self, error: str | None) -> None:
            super().__init__()
            self.error = error

    def __init__(self, prompt: DelayPrompt, version: int) -> None:
        super().__init__()
        translate_bindings(self)
        self.prompt = prompt
        self.version = version
        self._busy = False

    @property
    def desk(self) -> Host:
        return host(self)

    # -- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        prompt = self.prompt
        desk = self.desk
        tz = desk.tz
        now = desk.clock_now()
        with Vertical(id="dc-form", classes="dc-box"):
            yield Static(
                Content(_("Delay call — case {number}").format(number=prompt.case_number)),
                classes="dc-title",
            )
            yield Static(Content(prompt.message), id="dc-message")
            eta = local_time(prompt.expected_arrival, tz) if prompt.expected_arrival else "—"
            yield Static(
                Content(
                    _("Owner {name} · promised {promised} · crew ETA {eta}").format(
                        name=prompt.owner_name,
                        promised=local_time(prompt.deadline, tz),
                        eta=eta,
                    )
                ),
                id="dc-info",
            )
            with (
                self._row("reached", _("The call")),
                RadioSet(id="dc-reached", compact=True),
            ):
                yield RadioButton(_("Owner reached and told"), True, id="dc-reached-yes")
                yield RadioButton(_("Not reached"), id="dc-reached-no")
            with self._row("reason", _("Reason")):
                yield Select(
                    [(reason.label, reason) for reason in DelayReason],
                    value=DelayReason.TRAFFIC_JAM,
                    allow_blank=False,
                    compact=True,
                    id="dc-reason",
                )
                yield Static("", id="dc-reason-hint")
            with self._row("reason_text", _("Reason details")):
                yield Input(
                    placeholder=_("required for “Other reason”"),
                    max_length=500,
                    compact=True,
                    id="dc-reason_text",
                )
            with self._row("new_eta", _("New arrival")):
                yield Input(
                    local_time(suggested_eta(prompt, now), tz),
                    placeholder=_("HH:MM, e.g. 22:55"),
                    compact=True,
                    id="dc-new_eta",
                )
            with Horizontal(classes="dc-buttons"):
                yield Button(_("Save (Ctrl+S)"), variant="primary", compact=True, id="dc-save")
                yield Button(_("Give back (Esc)"), compact=True, id="dc-back")

    @contextmanager
    def _row(self, name: str, label: str) -> Iterator[None]:
        """A labelled field (composed inside the ``with``), its error line below it."""
        with (
            Horizontal(
                Label(Content(label), classes="dc-label"), classes="dc-field", id=f"dc-row-{name}"
            ),
            Vertical(classes="dc-body") as body,
        ):
            yield
            body.compose_add_child(Label("", id=f"dc-err-{name}", classes="dc-error"))

    def on_mount(self) -> None:
        self._show_reason_hint()
        self.query_one("#dc-reached", RadioSet).focus()

    # -- values and hints --------------------------------------------------------------------
    def reached(self) -> bool:
        return self.query_one("#dc-reached-yes", RadioButton).value

    def reason(self) -> DelayReason:
        value = self.query_one("#dc-reason", Select).value
        return value if isinstance(value, DelayReason) else DelayReason.OTHER

    def reason_text(self) -> str:
        return self.query_one("#dc-reason_text", Input).value

    def eta_text(self) -> str:
        return self.query_one("#dc-new_eta", Input).value

    def _show_reason_hint(self) -> None:
        reason = self.reason()
        if not self.reached():
            text = _("Not reached: the prompt comes back in {n} min.").format(
                n=int(self.desk.delay_calls.renotify.total_seconds() // 60)  # type: ignore[union-attr]
            )
        elif reason.is_force_majeure:
            text = _("Force majeure: the promised arrival moves to the new arrival.")
        else:
            text = _("Not force majeure: the promise stands and the case stays late.")
        self.query_one("#dc-reason-hint", Static).update(Content(text))

    @on(Select.Changed, "#dc-reason")
    def _reason_changed(self) -> None:
        self._show_reason_hint()
        self.set_error("reason_text", None)

    @on(RadioSet.Changed)
    def _reached_changed(self) -> None:
        self._show_reason_hint()
        self.set_error("new_eta", None)

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        name = (event.input.id or "").removeprefix("dc-")
        self.set_error(name, None)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "dc-new_eta":
            self.action_save()
        else:
            self.focus_next()

    @on(Button.Pressed, "#dc-save")
    def _save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_save()

    @on(Button.Pressed, "#dc-back")
    def _back_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_back()

    def set_error(self, name: str, text: str | None) -> None:
        """The message beside the field (None clears it); what was typed stays."""
        try:
            label = self.query_one(f"#dc-err-{name}", Label)
        except Exception:
            return
        label.update(Content(text or ""))
        label.set_class(bool(text), "-error")
        self.query_one(f"#dc-row-{name}").set_class(bool(text), "-invalid")

    # -- saving ------------------------------------------------------------------------------
    def action_save(self) -> None:
        if self._busy:
            return
        self._busy = True
        for name in self.FIELDS:
            self.set_error(name, None)
        self._save(self.reached(), self.reason(), self.reason_text(), self.eta_text())

    @work(thread=True, exclusive=True, group="delay-call-save", exit_on_error=False)
    def _save(self, reached: bool, reason: DelayReason, text: str, eta_text: str) -> None:
        desk = self.desk
        calls = desk.delay_calls
        assert calls is not None
        try:
            now = desk.clock_now()
            eta = None
            if eta_text.strip() or reached:
                from callcenter.validation import parse_local_datetime

                eta = parse_local_datetime(eta_text, desk.tz, now, field="new_eta")
                if eta - now > MAX_ETA_AHEAD:
                    raise ValidationError(
                        "new_eta",
                        _("{time} is more than 12 hours away: check the time.").format(
                            time=eta_text.strip()
                        ),
                    )
            result = calls.record_delay_call(
                self.prompt.alert_id,
                reached=reached,
                reason=reason,
                reason_text=text,
                new_eta=eta,
                version=self.version,
            )
        except ValidationError as exc:
            self.post_message(self.Rejected(exc.field, exc.message))
        except ConcurrencyConflict as exc:
            self.post_message(self.Failed(str(exc), gone=True))
        except CallCenterError as exc:
            self.post_message(self.Failed(str(exc), gone=False))
        except Exception as exc:
            log.exception("recording a delay call failed")
            self.post_message(self.Failed(str(exc) or type(exc).__name__, gone=False))
        else:
            self.post_message(self.Saved(result))

    @on(Rejected)
    def _rejected(self, message: Rejected) -> None:
        self._busy = False
        name = message.field if message.field in self.FIELDS else "new_eta"
        self.set_error(name, message.text)
        target = {"reason_text": "#dc-reason_text", "new_eta": "#dc-new_eta"}.get(name)
        if target:
            self.query_one(target).focus()

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self._busy = False
        self.notify(message.text, severity="error", timeout=10, markup=False)
        if message.gone:
            self.dismiss(None)

    @on(Saved)
    def _saved(self, message: Saved) -> None:
        self._busy = False
        self.dismiss(message.result)

    # -- giving the call back ----------------------------------------------------------------
    def action_back(self) -> None:
        if self._busy:
            return
        self._busy = True
        self._release()

    @work(thread=True, group="delay-call-release", exit_on_error=False)
    def _release(self) -> None:
        calls = self.desk.delay_calls
        assert calls is not None
        try:
            calls.release_claim(self.prompt.alert_id)
        except CallCenterError as exc:
            self.post_message(self.Released(str(exc)))
        except Exception as exc:
            log.exception("giving a delay call back failed")
            self.post_message(self.Released(str(exc) or type(exc).__name__))
        else:
            self.post_message(self.Released(None))

    @on(Released)
    def _released(self, message: Released) -> None:
        self._busy = False
        if message.error:
            self.notify(message.error, severity="error", timeout=10, markup=False)
        self.dismiss(None)
