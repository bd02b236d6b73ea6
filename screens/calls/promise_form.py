"""Promise a call-back (seed 004: 约定期间内做回访; 不能及时答复的做好记录，约定期间予以答复):
when the customer will be called back and what was promised, from a case, the call desk (a
phone number with no case) or — later — a complaint or the archive: every screen opens it
through the host (``open_promise``).

The time is typed as text (``14:30``, ``明天 10:00``, ``+2h``, ``2026-12-04 09:00``): the line
under it says which instant it reads as, and Ctrl+S passes the raw text to one service call
(:meth:`CallDesk.promise`), which checks it; the errors show on their fields, nothing typed
is lost. The promise names who made it (the session's operator). Caller text is data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from callcenter.calls.callback import parse_when
from callcenter.errors import ValidationError
from callcenter.i18n import N_, _
from screens.kit.format import local_time
from screens.kit.host import Host, host
from screens.kit.i18n_bindings import translate_bindings
from screens.widgets.form import Form

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from callcenter.calls.model import CallTask


@dataclass(frozen=True)
class PromiseValues:
    """What is on the form, as typed."""

    name: str
    phone: str
    when: str
    what: str


@dataclass(frozen=True)
class PromiseTarget:
    """Whom the promise is to: a case, a customer of the archive, or a number (and a name);
    ``about`` says it in words for the form's title."""

    case_id: int | None = None
    customer_id: int | None = None
    name: str = ""
    phone: str = ""
    about: str = ""

    @property
    def asks_number(self) -> bool:
        return self.case_id is None and self.customer_id is None


class PromiseForm(Form[PromiseValues, "CallTask"], ModalScreen["CallTask | None"]):
    """Dismisses with the task promised, or None (Esc)."""

    CSS_PATH = "promise.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Save"), priority=True),
        Binding("escape", "cancel", N_("Cancel")),
    ]
    FIELD_ID = "pf-"
    ROW_ID = "pf-"
    OTHER_ERRORS = "what"

    def __init__(self, target: PromiseTarget) -> None:
        super().__init__()
        translate_bindings(self)
        self.target = target
        asks = target.asks_number
        self.FIELDS = (*(("name", "phone") if asks else ()), "when", "what")  # type: ignore[misc]
        self.REQUIRED = (*(("phone",) if asks else ()), "when", "what")  # type: ignore[misc]

    @property
    def desk(self) -> Host:
        return host(self)

    def compose(self) -> ComposeResult:
        target = self.target
        with Vertical(id="pf-form", classes="pf-box"):
            title = _("Promise a call-back")
            if target.about:
                title = _("{title} — {about}").format(title=title, about=target.about)
            yield Static(Content(title), classes="pf-title")
            if target.asks_number:
                yield self.field_row(
                    "name",
                    _("Name"),
                    Input(target.name, max_length=100, compact=True, id="pf-name"),
                )
                yield self.field_row(
                    "phone",
                    _("Phone"),
                    Input(target.phone, max_length=40, compact=True, id="pf-phone"),
                )
            with self.field_row("when", _("Call back at")):
                yield Input(max_length=40, compact=True, id="pf-when")
                yield Static(Content(_(HINT)), id="pf-when-reads", classes="pf-hint")
            yield self.field_row(
                "what", _("What was promised"), Input(max_length=500, compact=True, id="pf-what")
            )
            yield Static(
                Content(
                    _("Promised by {name}; the call is on the desk (F3) at that time.").format(
                        name=self.promiser()
                    )
                ),
                classes="pf-hint",
            )
            with Horizontal(classes="pf-buttons"):
                yield Button(_("Save (Ctrl+S)"), variant="primary", compact=True, id="pf-save")
                yield Button(_("Cancel (Esc)"), compact=True, id="pf-cancel")

    def promiser(self) -> str:
        """Who makes the promise: this session's member of staff."""
        services = self.desk.services
        staff = services.staff
        return staff.display_name if staff is not None and staff.display_name else services.actor

    def on_mount(self) -> None:
        first = "pf-phone" if self.target.asks_number and not self.target.phone else "pf-when"
        self.query_one(f"#{first}", Input).focus()

    # -- values ------------------------------------------------------------------------------
    def form_values(self) -> PromiseValues:
        def text(name: str) -> str:
            found = self.query(f"#pf-{name}")
            return found.first(Input).value if found else ""

        return PromiseValues(text("name"), text("phone"), text("when"), text("what"))

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        name = (event.input.id or "").removeprefix(self.FIELD_ID)
        self.clear_error(name)
        if name == "when":
            self.query_one("#pf-when-reads", Static).update(Content(self.reads_as(event.value)))

    def reads_as(self, text: str) -> str:
        """Which instant the typed time reads as (or how to type one)."""
        if not text.strip():
            return _(HINT)
        try:
            at = parse_when(text, self.desk.tz, self.desk.clock_now())
        except ValidationError as exc:
            return exc.message
        return _("→ {when}").format(when=local_time(at, self.desk.tz, "%Y-%m-%d %H:%M"))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "pf-what":
            self.action_save()
        else:
            self.focus_next()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "pf-save":
            self.action_save()
        else:
            self.action_cancel()

    # -- saving ------------------------------------------------------------------------------
    def submit(self, values: PromiseValues) -> CallTask:
        desk = self.desk.call_desk
        assert desk is not None
        target = self.target
        return desk.promise(
            when=values.when,
            what=values.what,
            case_id=target.case_id,
            customer_id=target.customer_id,
            name=values.name if target.asks_number else "",
            phone=values.phone if target.asks_number else "",
        )

    def form_saving(self, saving: bool) -> None:
        if saving:
            self.clear_errors()

    def form_saved(self, result: CallTask) -> None:
        self.dismiss(result)

    def action_cancel(self) -> None:
        if not self.saving:
            self.dismiss(None)


HINT = N_("e.g. 14:30 · 明天 10:00 · +2h · 2026-12-04 09:00")


def promised_text(task: CallTask, tz: ZoneInfo) -> str:
    """What the operator is told once the promise is saved."""
    return _("Call-back promised for {when}: it will be on the desk (F3) then.").format(
        when=local_time(task.due_at, tz, "%m-%d %H:%M")
    )
