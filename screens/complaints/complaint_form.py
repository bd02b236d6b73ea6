"""The complaint form (客户投诉登记): how it came, who complains, about which case and crew,
the category, what the customer says, who is responsible. One service call saves it:
:meth:`Services.record_complaint` (a new one) or :meth:`Services.update_complaint`."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Select, Static, TextArea

from callcenter.complaints.model import Category, Channel, Complaint, ComplaintInput
from callcenter.errors import CallCenterError
from callcenter.i18n import N_, _
from screens.kit.format import error_text
from screens.kit.host import Host, host
from screens.kit.i18n_bindings import translate_bindings
from screens.widgets.form import Form, SelectField

_TEXT = (
    "customer_name",
    "phone",
    "case_number",
    "crew_code",
    "crew_member",
    "department",
    "responsible",
)


class ComplaintForm(Form[ComplaintInput, Complaint], ModalScreen[Complaint | None]):
    """Dismisses with the complaint as saved, or None (Esc: nothing is saved)."""

    CSS_PATH = "complaints.tcss"
    # Tab and Shift+Tab are priority bindings (as on the intake form): the focus moves before
    # the next key is routed, so keys typed in a burst land in the right field.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "next_field", show=False, priority=True),
        Binding("shift+tab", "previous_field", show=False, priority=True),
        Binding("ctrl+s", "save", N_("Save"), priority=True),
        Binding("escape", "leave", N_("Go back")),
    ]
    FIELDS = (
        "channel",
        "customer_name",
        "phone",
        "case_number",
        "crew_code",
        "crew_member",
        "category",
        "description",
        "department",
        "responsible",
    )
    REQUIRED = ("channel", "customer_name", "category", "description")
    FIELD_ID = "cf-"
    ROW_ID = "cf-"
    OTHER_ERRORS = "description"

    def __init__(
        self,
        initial: ComplaintInput,
        *,
        case_id: int | None = None,
        complaint: Complaint | None = None,
    ) -> None:
        super().__init__()
        translate_bindings(self)
        self.initial = initial
        self.case_id = case_id
        self.complaint = complaint

    @property
    def cc(self) -> Host:
        return host(self)

    def compose(self) -> ComposeResult:
        raw = self.initial
        if self.complaint is not None:
            title = _("Complaint {number}").format(number=self.complaint.number)
        elif raw.case_number:
            title = _("New complaint — case {number}").format(number=raw.case_number)
        else:
            title = _("New complaint")
        with VerticalScroll(id="cf-box"):
            yield Static(Content(title), classes="cf-title")
            yield self.field_row(
                "channel", _("Came by"), self._select("channel", Channel, raw.channel)
            )
            yield self._input("customer_name", _("Customer"), raw.customer_name, _("name"))
            yield self._input("phone", _("Phone"), raw.phone, _("required for a phone call"))
            yield self._input("case_number", _("Case No."), raw.case_number, _("optional"))
            yield self._input("crew_code", _("Crew"), raw.crew_code, _("code, if against a crew"))
            yield self._input("crew_member", _("Crew member"), raw.crew_member, _("optional"))
            yield self.field_row(
                "category",
                _("Complaint category"),
                self._select("category", Category, raw.category or None),
            )
            yield self.field_row(
                "description",
                _("What they say"),
                TextArea(
                    raw.description,
                    id="cf-description",
                    compact=True,
                    soft_wrap=True,
                    highlight_cursor_line=False,
                    tab_behavior="focus",
                    show_line_numbers=False,
                    placeholder=_("the customer's words"),
                ),
            )
            yield self._input("department", _("Department"), raw.department, _("responsible"))
            yield self._input("responsible", _("Responsible"), raw.responsible, _("person"))
            with Horizontal(classes="cf-buttons"):
                yield Button(_("Save (Ctrl+S)"), variant="primary", compact=True, id="cf-save")
                yield Button(_("Back (Esc)"), compact=True, id="cf-back")

    def _select(self, name: str, enum: Any, value: str | None) -> Select[Any]:
        chosen: Any = Select.NULL
        if value:
            chosen = value
        return SelectField(
            [(member.label, member.value) for member in enum],
            value=chosen,
            prompt=_("choose"),
            compact=True,
            id=f"cf-{name}",
        )

    def _input(self, name: str, label: str, value: str, placeholder: str) -> Horizontal:
        return self.field_row(
            name,
            label,
            Input(value, placeholder=placeholder, id=f"cf-{name}", compact=True, validate_on=[]),
        )

    def action_next_field(self) -> None:
        self.focus_next()

    def action_previous_field(self) -> None:
        self.focus_previous()

    def on_mount(self) -> None:
        first = "customer_name" if not self.initial.customer_name else "category"
        self.field(first).focus()

    def form_values(self) -> ComplaintInput:
        text = {n: self.query_one(f"#cf-{n}", Input).value for n in _TEXT}

        def choice(name: str) -> str:
            value = self.query_one(f"#cf-{name}", Select).value
            return "" if value is Select.NULL else str(value)

        return ComplaintInput(
            channel=choice("channel"),
            category=choice("category"),
            description=self.query_one("#cf-description", TextArea).text,
            **text,
        )

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        self.clear_error((event.input.id or "").removeprefix("cf-"))

    @on(Select.Changed)
    def _chosen(self, event: Select.Changed) -> None:
        self.clear_error((event.select.id or "").removeprefix("cf-"))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "cf-save":
            self.action_save()
        else:
            self.action_leave()

    def submit(self, values: ComplaintInput) -> Complaint:
        services = self.cc.services
        if self.complaint is not None and self.complaint.id is not None:
            return services.update_complaint(
                self.complaint.id, values, version=self.complaint.version
            )
        return services.record_complaint(values, case_id=self.case_id)

    def form_saved(self, result: Complaint) -> None:
        self.notify(
            _("Complaint {number} saved: {status}.").format(
                number=result.number, status=result.status.label
            ),
            markup=False,
        )
        self.dismiss(result)

    def form_failed(self, error: Exception) -> None:
        text = error_text(error, self.cc.tz) if isinstance(error, CallCenterError) else str(error)
        self.notify(text, severity="error", timeout=12, markup=False)

    def action_leave(self) -> None:
        if not self.saving:
            self.dismiss(None)
