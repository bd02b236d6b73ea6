"""The customer archive (F5): find a customer by phone, plate or name — typed in any form
the intake accepts — or list the entries still incomplete two days after the first contact
(seed 000: "二日内建立档案"). Enter opens the customer's archive."""

from __future__ import annotations

import asyncio
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from callcenter import validation
from callcenter.archive import ArchiveRow
from callcenter.archive.model import describe_missing
from callcenter.errors import CallCenterError
from callcenter.i18n import N_, _
from screens.archive.customer import CustomerScreen
from screens.kit.format import error_text, fit
from screens.kit.host import Host, host
from screens.kit.i18n_bindings import translate_bindings
from screens.kit.messages import DataChanged


def archive_row(row: ArchiveRow) -> Text:
    """Name, phone, plates, next maintenance, then what is missing (or the address) and the
    category: at 80 columns what matters most comes first."""
    c = row.customer
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(fit(c.name, 10) + " ", style="bold")
    text.append(fit(validation.format_phone(c.phone), 14) + " ")
    plates = " ".join(v.plate for v in c.vehicles) or "—"
    text.append(fit(plates, 10) + " ")
    if row.due is not None:
        text.append(
            fit(_("maint. {on}").format(on=row.due.on.strftime("%m-%d")), 12) + " ",
            style="bold red" if row.due.overdue else "",
        )
    else:
        text.append(fit("", 12) + " ")
    if row.missing:
        text.append(_("to complete: {what}").format(what=describe_missing(row.missing)), "yellow")
    else:
        text.append(c.address, style="dim")
    text.append("  " + c.category.label, style="dim")
    return text


class ArchiveScreen(Screen[None]):
    """Type to find; Ctrl+L lists the incomplete entries; Enter opens the customer."""

    CSS_PATH = "archive.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", N_("Go back")),
        Binding("ctrl+l", "incomplete", N_("Incomplete entries"), priority=True),
        Binding("down", "to_results", show=False),
        Binding("f1", "app.help", N_("Help")),
    ]
    read_only_safe = True  # opening is reading; the forms' saves are checked by the services

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)
        self.rows: list[ArchiveRow] = []
        self.incomplete_only = False

    @property
    def cc(self) -> Host:
        return host(self)

    def compose(self) -> ComposeResult:
        yield Static(Content(_("Customer archive")), id="ar-title")
        yield Input(placeholder=_("Phone, plate, name or address"), id="ar-find", compact=True)
        yield OptionList(id="ar-results")
        yield Static("", id="ar-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#ar-find", Input).focus()
        self.find("")

    @on(Input.Changed, "#ar-find")
    def _typed(self, event: Input.Changed) -> None:
        self.incomplete_only = False
        self.find(event.value)

    @work(exclusive=True, group="archive-find", exit_on_error=False)
    async def find(self, text: str) -> None:
        services = self.cc.services
        try:
            if self.incomplete_only:
                rows = await asyncio.to_thread(services.incomplete_customers)
            else:
                rows = await asyncio.to_thread(services.find_customers, text)
        except CallCenterError as exc:
            self.status(error_text(exc, self.cc.tz))
            return
        self.rows = rows
        listing = self.query_one("#ar-results", OptionList)
        listing.set_options(Option(archive_row(r), id=str(r.customer.id)) for r in rows)
        if rows:
            listing.highlighted = 0
        if self.incomplete_only:
            message = _(
                "{n} entries still incomplete two days after the first contact · Enter: open"
            ).format(n=len(rows))
        elif rows:
            message = _("{n} found · ↓ Enter: open · Ctrl+L: incomplete entries").format(
                n=len(rows)
            )
        else:
            message = _("Nothing found.")
        self.status(message)

    def status(self, message: str) -> None:
        self.query_one("#ar-status", Static).update(Content(message))

    def action_incomplete(self) -> None:
        self.incomplete_only = not self.incomplete_only
        self.query_one("#ar-title", Static).update(
            Content(
                _("Customer archive — incomplete entries")
                if self.incomplete_only
                else _("Customer archive")
            )
        )
        self.find(self.query_one("#ar-find", Input).value)

    def action_to_results(self) -> None:
        listing = self.query_one("#ar-results", OptionList)
        if listing.option_count and not listing.has_focus:
            listing.focus()

    @on(Input.Submitted, "#ar-find")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        option = self.query_one("#ar-results", OptionList).highlighted_option
        if option is not None and option.id is not None:
            self.open_customer(int(option.id))

    @on(OptionList.OptionSelected, "#ar-results")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.open_customer(int(event.option.id))

    def open_customer(self, customer_id: int) -> None:
        self.app.push_screen(CustomerScreen(customer_id), lambda _result: self._refresh())

    def _refresh(self) -> None:
        self.find(self.query_one("#ar-find", Input).value)

    def on_data_changed(self, message: DataChanged) -> None:
        """An entry was added or changed (another session, or this one): read again."""
        if any(c.entity == "customer" for c in message.changes) and self.is_current:
            self._refresh()

    def action_back(self) -> None:
        self.dismiss(None)
