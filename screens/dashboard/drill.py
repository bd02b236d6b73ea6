"""The cases behind a figure of the dashboard: its number, when it was received, and its part
in the figure ("late 12.0 min", "3.5 min", "dissatisfied"), the ones that pull the figure
down first and marked. Enter opens the case."""

from __future__ import annotations

import asyncio
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from callcenter.errors import CallCenterError
from callcenter.i18n import N_, _
from callcenter.reports.dashboard import Behind, Pick
from screens.dashboard.charts import pad
from screens.kit.format import error_text, local_time, safe_text
from screens.kit.host import Host, host
from screens.kit.i18n_bindings import translate_bindings


def behind_row(line: Behind, tz: object) -> Text:
    row = Text(no_wrap=True, overflow="ellipsis")
    row.append(pad(safe_text(line.number), 16))
    row.append(pad(local_time(line.received_at, tz, "%m-%d %H:%M"), 13))  # type: ignore[arg-type]
    row.append(safe_text(line.detail), style="bold red" if line.bad else "")
    return row


class CasesBehindScreen(Screen[None]):
    """The list of the cases behind one figure."""

    CSS_PATH = "dashboard.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", N_("Go back")),
        Binding("f1", "app.help", N_("Help")),
    ]
    read_only_safe = True

    def __init__(self, pick: Pick, scope: str) -> None:
        super().__init__()
        translate_bindings(self)
        self.pick = pick
        self.scope = scope
        self.lines: list[Behind] = []

    @property
    def cc(self) -> Host:
        return host(self)

    def compose(self) -> ComposeResult:
        yield Static(Content(self._title(None)), id="cb-title")
        yield Static(
            Content(pad(_("Case"), 16) + pad(_("Received at"), 13) + _("In the figure")),
            id="cb-header",
        )
        yield OptionList(id="cb-list")
        yield Static("", id="cb-status")
        yield Footer()

    def _title(self, n: int | None) -> str:
        title = _("{figure} · {scope}").format(figure=self.pick.figure.label, scope=self.scope)
        if n is None:
            return _("{title} · reading…").format(title=title)
        return _("{title} · {n} cases").format(title=title, n=n)

    def on_mount(self) -> None:
        self.query_one("#cb-list", OptionList).focus()
        self.load()

    @work(exclusive=True, group="dashboard-cases", exit_on_error=False)
    async def load(self) -> None:
        try:
            lines = await asyncio.to_thread(self.cc.services.dashboard_cases, self.pick)
        except CallCenterError as exc:
            self.query_one("#cb-status", Static).update(Content(error_text(exc, self.cc.tz)))
            return
        self.lines = lines
        listing = self.query_one("#cb-list", OptionList)
        listing.clear_options()
        listing.add_options(Option(behind_row(line, self.cc.tz)) for line in lines)
        if lines:
            listing.highlighted = 0
        self.query_one("#cb-title", Static).update(Content(self._title(len(lines))))
        status = _("Enter: open the case · Esc: back") if lines else _("No case behind it.")
        self.query_one("#cb-status", Static).update(Content(status))

    @on(OptionList.OptionSelected, "#cb-list")
    def _open(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        line = self.lines[event.option_index]
        if line.case_id is None:
            self.notify(_("This complaint is about no case."), markup=False)
            return
        self.cc.open_case(line.case_id)

    def action_back(self) -> None:
        self.dismiss(None)
