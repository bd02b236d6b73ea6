"""The delay call itself (MISSION "The call", step 5): owner reached, reason, new expected
arrival.

Caller text (plate, names) is data: it is shown through :class:`~textual.content.Content`,
and every notification goes out with ``markup=False``.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, RadioButton, RadioSet, Select, Static

from callcenter.domain import DelayReason
from callcenter.i18n import N_, _
from screens.calls.taken import TakenCallForm
from screens.kit.format import local_time
from screens.kit.host import Host, host
from screens.kit.i18n_bindings import translate_bindings
from screens.widgets.form import RadioField, SelectField
from screens.widgets.tick_box import Choice

if TYPE_CHECKING:
    from callcenter.services.delays import DelayCallResult, DelayPrompt

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------
# The call


def suggested_eta(prompt: DelayPrompt, now: datetime) -> datetime:
    """A starting value for the new expected arrival: the crew's ETA (else the promise plus
    the expected lateness), rounded up to five minutes, never in the past."""
    eta = prompt.expected_arrival or prompt.deadline + timedelta(minutes=prompt.late_minutes)
    eta = max(eta, now + timedelta(minutes=5))
    step = 300
    return datetime.fromtimestamp(math.ceil(eta.timestamp() / step) * step, eta.tzinfo)


@dataclass(frozen=True)
class DelayCallValues:
    """What is on the delay-call form: the raw text and choices, as typed."""

    reached: bool
    reason: DelayReason
    reason_text: str
    eta_text: str


class DelayCallForm(
    TakenCallForm[DelayCallValues, "DelayCallResult"], ModalScreen["DelayCallResult | None"]
):
    """Record the call made to the owner. Dismisses with the result, or None (Esc gives the
    call back to everyone)."""

    CSS_PATH = "delay.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Save"), priority=True),
        Binding("escape", "back", N_("Give the call back")),
    ]
    FIELDS = ("reached", "reason", "reason_text", "new_eta")
    FIELD_ID = "dc-"
    ROW_ID = "dc-"
    OTHER_ERRORS = "new_eta"

    def __init__(self, prompt: DelayPrompt, version: int) -> None:
        super().__init__()
        translate_bindings(self)
        self.prompt = prompt
        self.version = version

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
                self.field_row("reached", _("The call")),
                RadioField(id="dc-reached", compact=True),
            ):
                yield Choice(_("Owner reached and told"), True, id="dc-reached-yes")
                yield Choice(_("Not reached"), id="dc-reached-no")
            with self.field_row("reason", _("Reason")):
                yield SelectField(
                    [(reason.label, reason) for reason in DelayReason],
                    value=DelayReason.TRAFFIC_JAM,
                    allow_blank=False,
                    compact=True,
                    id="dc-reason",
                )
                yield Static("", id="dc-reason-hint")
            yield self.field_row(
                "reason_text",
                _("Reason details"),
                Input(
                    placeholder=_("required for “Other reason”"),
                    max_length=500,
                    compact=True,
                    id="dc-reason_text",
                ),
            )
            yield self.field_row(
                "new_eta",
                _("New arrival"),
                Input(
                    local_time(suggested_eta(prompt, now), tz),
                    placeholder=_("HH:MM, e.g. 22:55"),
                    compact=True,
                    id="dc-new_eta",
                ),
            )
            with Horizontal(classes="dc-buttons"):
                yield Button(_("Save (Ctrl+S)"), variant="primary", compact=True, id="dc-save")
                yield Button(_("Give back (Esc)"), compact=True, id="dc-back")

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

    def form_values(self) -> DelayCallValues:
        return DelayCallValues(self.reached(), self.reason(), self.reason_text(), self.eta_text())

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
        self.clear_error("reason_text")

    @on(RadioSet.Changed)
    def _reached_changed(self) -> None:
        self._show_reason_hint()
        self.clear_error("new_eta")

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        self.clear_error((event.input.id or "").removeprefix(self.FIELD_ID))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "dc-new_eta":
            self.action_save()
        else:
            self.focus_next()

    # -- saving ------------------------------------------------------------------------------
    def submit(self, values: DelayCallValues) -> DelayCallResult:
        calls = self.desk.delay_calls
        assert calls is not None
        return calls.record_delay_call_text(
            self.prompt.alert_id,
            reached=values.reached,
            reason=values.reason,
            reason_text=values.reason_text,
            eta_text=values.eta_text,
            version=self.version,
        )

    # -- giving the call back ----------------------------------------------------------------
    def give_back(self) -> None:
        calls = self.desk.delay_calls
        assert calls is not None
        calls.release_claim(self.prompt.alert_id)
