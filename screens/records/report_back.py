"""The crew's report-back (回厂报告): back at base, km driven, tolls and expenses, equipment
returned, notes, anything left for follow-up. Saving it frees the crew and writes the case's
line of the rescue ledger (救援登记台帐) — one service call, :meth:`Services.save_report_back`.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Static, TextArea

from callcenter.domain import Case
from callcenter.errors import CallCenterError
from callcenter.i18n import N_, _
from callcenter.records.parse import ReportBackInput
from screens.kit.format import error_text
from screens.kit.host import Host, host
from screens.kit.i18n_bindings import translate_bindings
from screens.widgets.form import Form
from screens.widgets.tick_box import TickBox


class ReportBackScreen(Form[ReportBackInput, Case], ModalScreen[Case | None]):
    """Dismisses with the case as saved, or None (Esc: nothing changes)."""

    CSS_PATH = "records.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Save"), priority=True),
        Binding("escape", "leave", N_("Go back")),
    ]
    FIELDS = ("back_at", "km_driven", "expenses", "equipment_returned", "crew_notes", "follow_up")
    REQUIRED = ("back_at", "km_driven", "expenses")
    FIELD_ID = "rb-"
    ROW_ID = "rb-"
    OTHER_ERRORS = "back_at"

    def __init__(self, case: Case, initial: ReportBackInput) -> None:
        super().__init__()
        translate_bindings(self)
        self.case = case
        self.initial = initial

    @property
    def cc(self) -> Host:
        return host(self)

    def compose(self) -> ComposeResult:
        raw = self.initial
        with Vertical(id="rb-box"):
            yield Static(
                Content(_("Crew report-back — case {number}").format(number=self.case.number)),
                classes="rb-title",
            )
            yield self._input("back_at", _("Back at base"), raw.back_at, _("e.g. 23:05"))
            yield self._input("km_driven", _("Km driven"), raw.km_driven, _("round trip"))
            yield self._input("expenses", _("Tolls, expenses"), raw.expenses, _("yuan, e.g. 35"))
            yield self.field_row(
                "equipment_returned",
                _("Equipment"),
                TickBox(
                    _("All equipment returned"),
                    raw.equipment_returned,
                    id="rb-equipment_returned",
                    compact=True,
                ),
            )
            yield self._area("crew_notes", _("Crew notes"), raw.crew_notes, _("optional"))
            yield self._area(
                "follow_up", _("For follow-up"), raw.follow_up, _("anything left to do")
            )
            with Horizontal(classes="rb-buttons"):
                yield Button(_("Save (Ctrl+S)"), variant="primary", compact=True, id="rb-save")
                yield Button(_("Back (Esc)"), compact=True, id="rb-back")

    def _input(self, name: str, label: str, value: str, placeholder: str) -> Horizontal:
        return self.field_row(
            name,
            label,
            Input(value, placeholder=placeholder, id=f"rb-{name}", compact=True, validate_on=[]),
        )

    def _area(self, name: str, label: str, value: str, placeholder: str) -> Horizontal:
        area = TextArea(
            value,
            id=f"rb-{name}",
            compact=True,
            soft_wrap=True,
            highlight_cursor_line=False,
            tab_behavior="focus",
            show_line_numbers=False,
            placeholder=placeholder,
        )
        return self.field_row(name, label, area)

    def on_mount(self) -> None:
        self.query_one("#rb-back_at", Input).focus()

    def form_values(self) -> ReportBackInput:
        def text(name: str) -> str:
            return self.query_one(f"#rb-{name}", Input).value

        def area(name: str) -> str:
            return self.query_one(f"#rb-{name}", TextArea).text

        return ReportBackInput(
            back_at=text("back_at"),
            km_driven=text("km_driven"),
            expenses=text("expenses"),
            equipment_returned=self.query_one("#rb-equipment_returned", Checkbox).value,
            crew_notes=area("crew_notes"),
            follow_up=area("follow_up"),
        )

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        self.clear_error((event.input.id or "").removeprefix("rb-"))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "rb-save":
            self.action_save()
        else:
            self.action_leave()

    def submit(self, values: ReportBackInput) -> Case:
        return self.cc.services.save_report_back(
            self.case.id or 0, values, version=self.case.version
        )

    def form_saved(self, result: Case) -> None:
        self.notify(_("{number}: crew reported back.").format(number=result.number))
        self.dismiss(result)

    def form_failed(self, error: Exception) -> None:
        text = error_text(error, self.cc.tz) if isinstance(error, CallCenterError) else str(error)
        self.notify(text, severity="error", timeout=12, markup=False)

    def action_leave(self) -> None:
        if not self.saving:
            self.dismiss(None)
