"""One customer's archive (客户档案): details, vehicles with their next maintenance, every
case with its service record, the surveys. ``e`` edits the entry, ``a`` adds a vehicle,
``1``–``9`` edit a vehicle, Enter opens the highlighted case."""

from __future__ import annotations

import asyncio
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from callcenter import validation
from callcenter.archive import CustomerEdit, CustomerFile, VehicleEdit
from callcenter.archive.model import describe_missing
from callcenter.errors import CallCenterError
from callcenter.i18n import N_, _
from callcenter.records.model import RecordState
from screens.archive.forms import CustomerForm, VehicleForm
from screens.kit.format import error_text, fit, local_time
from screens.kit.host import Host, host
from screens.kit.i18n_bindings import translate_bindings
from screens.kit.messages import DataChanged


def phones_text(file: CustomerFile) -> str:
    c = file.customer
    phones = [validation.format_phone(c.phone, c.phone_ext)]
    phones += [validation.format_phone(p) for p in c.other_phones.split(",") if p]
    return ", ".join(phones)


def details_table(file: CustomerFile, tz: object) -> Table:
    """The entry's own details and its vehicles, as text (typed data is never markup)."""
    c = file.customer
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    table.add_row(Text(_("Name")), Text(c.name))
    table.add_row(Text(_("Phones")), Text(phones_text(file)))
    table.add_row(Text(_("Address")), Text(c.address or "—"))
    table.add_row(Text(_("Category")), Text(c.category.label))
    table.add_row(Text(_("Service wanted")), Text(c.wanted_service or "—"))
    first = local_time(c.created_at, tz, "%Y-%m-%d %H:%M") if c.created_at else "—"  # type: ignore[arg-type]
    table.add_row(Text(_("First contact")), Text(first))
    if c.notes:
        table.add_row(Text(_("Notes")), Text(c.notes))
    table.add_row(
        Text(_("Maintenance")), Text(f"{file.cycle_title}: {file.cycle_points}", style="dim")
    )
    if file.missing:
        style = "bold red" if file.late else "yellow"
        what = describe_missing(file.missing)
        if file.late:
            what += " " + _("(first contact over 2 days ago)")
        table.add_row(Text(_("To complete"), style=style), Text(what, style=style))
    return table


def vehicles_table(file: CustomerFile) -> Table:
    table = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
    table.add_column("#", width=1, no_wrap=True)
    table.add_column(Text(_("Plate")), no_wrap=True)
    table.add_column(Text(_("Model")), overflow="ellipsis", no_wrap=True, max_width=14)
    table.add_column(Text(_("Type")), overflow="ellipsis", no_wrap=True, max_width=8)
    table.add_column(Text(_("Purchased")), no_wrap=True)
    table.add_column(Text(_("Hours / km")), no_wrap=True)
    table.add_column(Text(_("Next maintenance")), no_wrap=True)
    for n, v in enumerate(file.customer.vehicles, 1):
        reading = "—"
        if v.running_hours is not None:
            reading = f"{v.running_hours} h"
        elif v.mileage_km is not None:
            reading = f"{v.mileage_km} km"
        due = file.dues.get(v.id or 0)
        due_text = Text("—")
        if due is not None:
            soon = file.today is not None and (due.on - file.today).days <= 7
            style = "bold red" if due.overdue else ("yellow" if soon else "")
            due_text = Text(due.short(), style=style)
        table.add_row(
            str(n),
            Text(v.plate),
            Text(v.model or "—"),
            Text(v.vehicle_type.label),
            Text(v.purchase_date.isoformat() if v.purchase_date else "—"),
            Text(reading),
            due_text,
        )
    if not file.customer.vehicles:
        table.add_row("", Text(_("No vehicle yet (a: add one)"), style="dim"), "", "", "", "", "")
    return table


def case_row(file: CustomerFile, index: int, tz: object) -> Text:
    case = file.cases[index]
    surveys = [s for s in file.surveys if s.case_id == case.id]
    row = Text(no_wrap=True, overflow="ellipsis")
    row.append(fit(case.number, 14), style="bold")
    row.append(fit(local_time(case.received_at, tz, "%Y-%m-%d"), 11))  # type: ignore[arg-type]
    row.append(fit(case.status.label, 9) + " ")
    row.append(fit(case.plate, 10) + " ")
    row.append(fit(_record_state(case.service_state), 10) + " ")
    if surveys:
        last = surveys[-1]
        verdict = last.result.label
        if last.satisfied is not None:
            verdict = _("satisfied") if last.satisfied else _("not satisfied")
        row.append(fit(_("survey: {v}").format(v=verdict), 18) + " ")
    else:
        row.append(fit("", 18) + " ")
    row.append(case.fault_description)
    return row


def _record_state(value: str) -> str:
    try:
        return RecordState(value).label
    except ValueError:
        return value


class CustomerScreen(Screen[None]):
    """The archive of one customer."""

    CSS_PATH = "archive.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", N_("Go back")),
        Binding("e", "edit", N_("Edit")),
        Binding("a", "add_vehicle", N_("Add vehicle")),
        *(Binding(str(n), f"edit_vehicle({n})", show=False) for n in range(1, 10)),
        Binding("f1", "app.help", N_("Help")),
    ]

    def __init__(self, customer_id: int) -> None:
        super().__init__()
        translate_bindings(self)
        self.customer_id = customer_id
        self.file: CustomerFile | None = None

    @property
    def cc(self) -> Host:
        return host(self)

    def compose(self) -> ComposeResult:
        yield Static("", id="cu-head")
        with VerticalScroll(id="cu-body"):
            yield Static("", id="cu-details")
            yield Static(Content(_("Vehicles (1–9: edit)")), classes="cu-section")
            yield Static("", id="cu-vehicles")
            yield Static(
                Content(_("Cases, service records and surveys (Enter: open)")), classes="cu-section"
            )
            yield OptionList(id="cu-cases")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @work(exclusive=True, group="customer", exit_on_error=False)
    async def load(self) -> None:
        try:
            file = await asyncio.to_thread(self.cc.services.customer_file, self.customer_id)
        except CallCenterError as exc:
            self.notify(error_text(exc, self.cc.tz), severity="error", markup=False)
            return
        self.show(file)

    def show(self, file: CustomerFile) -> None:
        self.file = file
        tz = self.cc.tz
        head = Text(no_wrap=True, overflow="ellipsis")
        head.append(_("Customer archive") + " — ", style="bold")
        head.append(file.customer.name, style="bold")
        head.append("  " + file.customer.category.label)
        self.query_one("#cu-head", Static).update(head)
        self.query_one("#cu-details", Static).update(details_table(file, tz))
        self.query_one("#cu-vehicles", Static).update(vehicles_table(file))
        cases = self.query_one("#cu-cases", OptionList)
        highlighted = cases.highlighted
        cases.set_options(
            Option(case_row(file, i, tz), id=str(case.id)) for i, case in enumerate(file.cases)
        )
        if not file.cases:
            cases.add_option(Option(Text(_("No case yet."), style="dim"), disabled=True))
        elif highlighted is not None:
            cases.highlighted = min(highlighted, len(file.cases) - 1)

    def on_data_changed(self, message: DataChanged) -> None:
        if any(
            c.entity == "customer" and c.entity_id == self.customer_id for c in message.changes
        ) or any(c.customer_id == self.customer_id for c in message.cases):
            self.load()

    @on(OptionList.OptionSelected, "#cu-cases")
    def _open_case(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.cc.open_case(int(event.option.id))

    def _saved(self, result: object) -> None:
        if result is not None:
            self.load()

    def action_edit(self) -> None:
        if self.file is None:
            return
        c = self.file.customer
        others = ", ".join(validation.format_phone(p) for p in c.other_phones.split(",") if p)
        initial = CustomerEdit.of(c, validation.format_phone(c.phone, c.phone_ext), others)
        self.app.push_screen(CustomerForm(c, initial), self._saved)

    def action_add_vehicle(self) -> None:
        if self.file is not None:
            self.app.push_screen(VehicleForm(self.file.customer, None, VehicleEdit()), self._saved)

    def action_edit_vehicle(self, n: int) -> None:
        if self.file is None or not 1 <= n <= len(self.file.customer.vehicles):
            return
        vehicle = self.file.customer.vehicles[n - 1]
        self.app.push_screen(
            VehicleForm(self.file.customer, vehicle.id, VehicleEdit.of(vehicle)), self._saved
        )

    def action_back(self) -> None:
        self.dismiss(None)
