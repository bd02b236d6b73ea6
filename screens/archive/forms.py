"""The archive's two forms: the entry's own details, and a vehicle. Each saves with one
service call (``save_customer`` / ``save_vehicle``), checked against the version read."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Select, Static, TextArea

from callcenter.archive import CustomerEdit, VehicleEdit
from callcenter.domain import Customer, CustomerCategory, VehicleType
from callcenter.errors import CallCenterError
from callcenter.i18n import N_, _
from screens.kit.format import error_text
from screens.kit.host import Host, host
from screens.kit.i18n_bindings import translate_bindings
from screens.widgets.form import Form, SelectField

# Tab is a priority key, as on the intake form: keys typed in a burst after it land in the
# next field, not the one left.
_BINDINGS: list[BindingType] = [
    Binding("tab", "app.focus_next", show=False, priority=True),
    Binding("shift+tab", "app.focus_previous", show=False, priority=True),
    Binding("ctrl+s", "save", N_("Save"), priority=True),
    Binding("escape", "leave", N_("Go back")),
]


class _ArchiveForm:
    """What the two forms share; mixed in before :class:`Form` (its hooks win)."""

    query_one: Any
    notify: Any
    dismiss: Any
    focus_next: Any

    @property
    def cc(self) -> Host:
        return host(self)  # type: ignore[arg-type]  # a screen: the forms below are

    def _input(self, name: str, label: str, value: str, placeholder: str = "") -> Horizontal:
        widget = Input(value, placeholder=placeholder, id=f"af-{name}", compact=True)
        return self.field_row(name, label, widget)  # type: ignore[attr-defined]

    def _area(self, name: str, label: str, value: str, placeholder: str = "") -> Horizontal:
        area = TextArea(
            value,
            id=f"af-{name}",
            compact=True,
            soft_wrap=True,
            highlight_cursor_line=False,
            tab_behavior="focus",
            show_line_numbers=False,
            placeholder=placeholder,
        )
        return self.field_row(name, label, area)  # type: ignore[attr-defined]

    def _select(self, name: str, label: str, enum: type[Any], value: Any) -> Horizontal:
        select = SelectField(
            [(member.label, member) for member in enum],
            value=value,
            allow_blank=False,
            compact=True,
            id=f"af-{name}",
        )
        return self.field_row(name, label, select)  # type: ignore[attr-defined]

    def _buttons(self) -> Horizontal:
        return Horizontal(
            Button(_("Save (Ctrl+S)"), variant="primary", compact=True, id="af-save"),
            Button(_("Back (Esc)"), compact=True, id="af-back"),
            classes="af-buttons",
        )

    def text(self, name: str) -> str:
        widget = self.query_one(f"#af-{name}")
        return (
            widget.text
            if isinstance(widget, TextArea)
            else self.query_one(f"#af-{name}", Input).value
        )

    def choice(self, name: str) -> Any:
        return self.query_one(f"#af-{name}", Select).value

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        self.clear_error((event.input.id or "").removeprefix("af-"))  # type: ignore[attr-defined]

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "af-save":
            self.action_save()  # type: ignore[attr-defined]
        else:
            self.action_leave()

    def form_saved(self, result: Customer) -> None:
        self.notify(_("Archive of {name} saved.").format(name=result.name), markup=False)
        self.dismiss(result)

    def form_failed(self, error: Exception) -> None:
        text = error_text(error, self.cc.tz) if isinstance(error, CallCenterError) else str(error)
        self.notify(text, severity="error", timeout=12, markup=False)

    def action_leave(self) -> None:
        if not getattr(self, "saving", False):
            self.dismiss(None)


class CustomerForm(_ArchiveForm, Form[CustomerEdit, Customer], ModalScreen[Customer | None]):
    """The entry's own details. Dismisses with the entry as saved, or None."""

    CSS_PATH = "archive.tcss"
    BINDINGS: ClassVar[list[BindingType]] = _BINDINGS

    FIELDS = ("name", "phone", "other_phones", "address", "category", "wanted_service", "notes")
    REQUIRED = ("name", "phone")
    FIELD_ID = "af-"
    ROW_ID = "af-"

    def __init__(self, customer: Customer, initial: CustomerEdit) -> None:
        super().__init__()
        translate_bindings(self)
        self.customer = customer
        self.initial = initial

    def compose(self) -> ComposeResult:
        raw = self.initial
        with Vertical(id="af-box"):
            yield Static(
                Content(_("Customer archive — {name}").format(name=self.customer.name)),
                classes="af-title",
            )
            yield self._input("name", _("Name"), raw.name)
            yield self._input("phone", _("Phone"), raw.phone)
            yield self._input(
                "other_phones", _("Other phones"), raw.other_phones, _("comma between numbers")
            )
            yield self._input("address", _("Address"), raw.address)
            yield self._select("category", _("Category"), CustomerCategory, raw.category)
            yield self._area(
                "wanted_service",
                _("Service wanted"),
                raw.wanted_service,
                _("e.g. maintenance reminders"),
            )
            yield self._area("notes", _("Notes"), raw.notes)
            yield self._buttons()

    def on_mount(self) -> None:
        self.query_one("#af-name", Input).focus()

    def form_values(self) -> CustomerEdit:
        return CustomerEdit(
            name=self.text("name"),
            phone=self.text("phone"),
            other_phones=self.text("other_phones"),
            address=self.text("address"),
            category=self.choice("category"),
            wanted_service=self.text("wanted_service"),
            notes=self.text("notes"),
        )

    def submit(self, values: CustomerEdit) -> Customer:
        assert self.customer.id is not None
        return self.cc.services.save_customer(self.customer.id, self.customer.version, values)


class VehicleForm(_ArchiveForm, Form[VehicleEdit, Customer], ModalScreen[Customer | None]):
    """A vehicle of the entry (a new one when ``vehicle_id`` is None)."""

    CSS_PATH = "archive.tcss"
    BINDINGS: ClassVar[list[BindingType]] = _BINDINGS

    FIELDS = (
        "plate",
        "model",
        "vehicle_type",
        "purchase_date",
        "running_hours",
        "mileage_km",
        "maintained_hours",
    )
    REQUIRED = ("plate",)
    FIELD_ID = "af-"
    ROW_ID = "af-"

    def __init__(self, customer: Customer, vehicle_id: int | None, initial: VehicleEdit) -> None:
        super().__init__()
        translate_bindings(self)
        self.customer = customer
        self.vehicle_id = vehicle_id
        self.initial = initial

    def compose(self) -> ComposeResult:
        raw = self.initial
        title = (
            _("New vehicle — {name}") if self.vehicle_id is None else _("Vehicle — {name}")
        ).format(name=self.customer.name)
        with Vertical(id="af-box"):
            yield Static(Content(title), classes="af-title")
            yield self._input("plate", _("Plate"), raw.plate, _("e.g. 粤B12345"))
            yield self._input("model", _("Model"), raw.model)
            yield self._select("vehicle_type", _("Type"), VehicleType, raw.vehicle_type)
            yield self._input(
                "purchase_date", _("Purchased on"), raw.purchase_date, _("YYYY-MM-DD")
            )
            yield self._input("running_hours", _("Running hours"), raw.running_hours, _("h"))
            yield self._input("mileage_km", _("Mileage"), raw.mileage_km, _("km"))
            yield self._input(
                "maintained_hours",
                _("Last service at"),
                raw.maintained_hours,
                _("h, e.g. 600"),
            )
            yield self._buttons()

    def on_mount(self) -> None:
        self.query_one("#af-plate" if self.vehicle_id is None else "#af-model", Input).focus()

    def form_values(self) -> VehicleEdit:
        return VehicleEdit(
            plate=self.text("plate"),
            model=self.text("model"),
            vehicle_type=self.choice("vehicle_type"),
            purchase_date=self.text("purchase_date"),
            running_hours=self.text("running_hours"),
            mileage_km=self.text("mileage_km"),
            maintained_hours=self.text("maintained_hours"),
        )

    def submit(self, values: VehicleEdit) -> Customer:
        assert self.customer.id is not None
        return self.cc.services.save_vehicle(
            self.customer.id, self.customer.version, self.vehicle_id, values
        )
