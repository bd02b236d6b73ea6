"""One call of the call desk that is not a delay call (a feedback call, a follow-up, a
promised call-back …): what came of it, a note, and the kind's result when the call finishes.

The kind decides the outcomes offered and the result's fields (:mod:`callcenter.calls`); the
form passes the raw text to one service call (:meth:`CallDesk.record`), which checks it. Esc
gives the call back to everyone. Caller text is data: shown through
:class:`~textual.content.Content`, notified with ``markup=False``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar
from zoneinfo import ZoneInfo

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, RadioButton, RadioSet, Static

from callcenter.calls import kinds
from callcenter.calls.model import CallKind, DeskItem, Outcome, TaskState
from callcenter.i18n import N_, _, ngettext
from screens.calls.taken import TakenCallForm
from screens.kit.format import due_text, local_time
from screens.kit.host import Host, host
from screens.kit.i18n_bindings import translate_bindings
from screens.widgets.form import RadioField
from screens.widgets.tick_box import Choice

if TYPE_CHECKING:
    from callcenter.calls.model import CallTask

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CallValues:
    """What is on the form: the outcome chosen, the note and the result's fields, as typed."""

    outcome: Outcome | None
    note: str
    fields: dict[str, str]


class CallForm(TakenCallForm[CallValues, "CallTask"], ModalScreen["CallTask | None"]):
    """Record one attempt of a call this operator has taken. Dismisses with the task as
    saved, or None (Esc gives the call back)."""

    CSS_PATH = "call.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Save"), priority=True),
        Binding("escape", "back", N_("Give the call back")),
    ]
    FIELD_ID = "cf-"
    ROW_ID = "cf-"
    OTHER_ERRORS = "note"

    def __init__(self, item: DeskItem, version: int) -> None:
        super().__init__()
        translate_bindings(self)
        self.item = item
        self.version = version
        self.kind: CallKind = kinds.get(item.kind)
        self.FIELDS = ("outcome", "note", *(f.name for f in self.kind.result_fields))  # type: ignore[misc]
        self.REQUIRED = tuple(f.name for f in self.kind.result_fields if f.required)  # type: ignore[misc]

    @property
    def desk(self) -> Host:
        return host(self)

    # -- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        item, kind = self.item, self.kind
        tz = self.desk.tz
        with Vertical(id="cf-form", classes="cf-box"):
            yield Static(
                Content(_("{kind} — {about}").format(kind=kind.title, about=item.about)),
                classes="cf-title",
            )
            yield Static(Content(item.message), id="cf-message")
            yield Static(
                Content(
                    _("Due {due} · tries so far {n}").format(
                        due=due_text(item.due_at, self.desk.clock_now(), tz), n=item.attempts
                    )
                ),
                id="cf-info",
            )
            with self.field_row("outcome", _("The call")), RadioField(id="cf-outcome"):
                for index, outcome in enumerate(kind.outcomes):
                    yield Choice(outcome.label, index == 0, id=f"cf-outcome-{outcome.value}")
            yield self.field_row(
                "note", _("Note"), Input(max_length=500, compact=True, id="cf-note")
            )
            if kind.result_fields:
                yield Static(Content(_("When reached:")), classes="cf-section")
            for spec in kind.result_fields:
                yield self.field_row(
                    spec.name, _(spec.label), Input(compact=True, id=f"cf-{spec.name}")
                )
            with Horizontal(classes="cf-buttons"):
                yield Button(_("Save (Ctrl+S)"), variant="primary", compact=True, id="cf-save")
                yield Button(_("Give back (Esc)"), compact=True, id="cf-back")

    def on_mount(self) -> None:
        self.query_one("#cf-outcome", RadioSet).focus()

    # -- values ------------------------------------------------------------------------------
    def outcome(self) -> Outcome | None:
        for outcome in self.kind.outcomes:
            if self.query_one(f"#cf-outcome-{outcome.value}", RadioButton).value:
                return outcome
        return None

    def form_values(self) -> CallValues:
        fields = {
            spec.name: self.query_one(f"#cf-{spec.name}", Input).value
            for spec in self.kind.result_fields
        }
        return CallValues(self.outcome(), self.query_one("#cf-note", Input).value, fields)

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        self.clear_error((event.input.id or "").removeprefix(self.FIELD_ID))

    @on(RadioSet.Changed)
    def _outcome_changed(self) -> None:
        self.clear_error("outcome")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    # -- saving ------------------------------------------------------------------------------
    def submit(self, values: CallValues) -> CallTask:
        desk = self.desk.call_desk
        assert desk is not None
        result = desk.record(
            self.item.kind,
            self.item.ref,
            outcome=values.outcome,  # type: ignore[arg-type]  # None: the service says
            note=values.note,
            fields=values.fields,
            version=self.version,
        )
        return result  # type: ignore[return-value]  # not the delay kind: a CallTask

    # -- giving the call back ----------------------------------------------------------------
    def give_back(self) -> None:
        desk = self.desk.call_desk
        assert desk is not None
        desk.release(self.item.kind, self.item.ref)


def saved_text(task: CallTask, tz: ZoneInfo, now: datetime | None = None) -> str:
    """What became of the call, for the operator who made it (the next try's date too
    when it is not ``now``'s day)."""
    if task.state.is_open:
        return ngettext(
            "Saved: tried once; next try at {when}.",
            "Saved: tried {n} times; next try at {when}.",
            task.attempts,
        ).format(
            n=task.attempts,
            when=due_text(task.try_at, now, tz) if now else local_time(task.try_at, tz),
        )
    if task.state is TaskState.DONE:
        return _("Saved: the call is finished.")
    if task.state is TaskState.GIVEN_UP:
        return _("Saved: no more tries for this call.")
    return _("Saved: {state}.").format(state=task.state.label)
