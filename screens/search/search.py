"""Find a case, open or closed, by number, plate, phone, name or address."""

from __future__ import annotations

import asyncio

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from callcenter.domain import Case
from callcenter.errors import CallCenterError
from callcenter.i18n import N_, _
from callcenter.search import search_terms
from screens.kit.format import fit, local_time, safe_text
from screens.kit.host import Host, host


def result_row(case: Case, tz: object) -> Text:
    row = Text(no_wrap=True, overflow="ellipsis")
    row.append(fit(case.number, 14), style="bold")
    row.append(fit(case.status.label, 9) + " ", style="" if case.is_open else "dim")
    row.append(fit(local_time(case.received_at, tz, "%m-%d %H:%M"), 12))  # type: ignore[arg-type]
    row.append(fit(case.plate, 10) + " ")
    row.append(fit(safe_text(case.caller_name), 8) + " ")
    row.append(safe_text(case.address))
    return row


class SearchScreen(ModalScreen[int | None]):
    """Type to search; Enter (or Down then Enter) opens the highlighted case."""

    # The search's rules sit with the case detail's (one stylesheet since the start).
    CSS_PATH = "../case/detail.tcss"
    BINDINGS = [
        Binding("escape", "back", N_("Go back")),
        Binding("down", "to_results", show=False),
    ]

    MIN_LENGTH = 2
    read_only_safe = True  # it only reads: a supervisor's read-only board may use every key

    def __init__(self) -> None:
        super().__init__()
        self.results: list[Case] = []

    @property
    def cc(self) -> Host:
        return host(self)

    def compose(self) -> ComposeResult:
        with Vertical(id="search-box"):
            yield Static(Content(_("Find a case")), id="search-title")
            yield Input(
                placeholder=_("Case number, plate, phone, caller name or address"),
                id="search-input",
            )
            yield OptionList(id="search-results")
            yield Static(
                Content(_("Type at least 2 characters · ↓ Enter: open · Esc: back")),
                id="search-status",
            )

    def on_mount(self) -> None:
        self.query_one("#search-input", Input).focus()

    @on(Input.Changed, "#search-input")
    def typed(self, event: Input.Changed) -> None:
        text = event.value
        if len(search_terms(text)) < self.MIN_LENGTH:
            self.results = []
            self.query_one("#search-results", OptionList).clear_options()
            self.status(_("Type at least 2 characters · ↓ Enter: open · Esc: back"))
            return
        self.find(text)

    def status(self, message: str) -> None:
        self.query_one("#search-status", Static).update(Content(message))

    @work(exclusive=True, group="search", exit_on_error=False)
    async def find(self, text: str) -> None:
        try:
            results = await asyncio.to_thread(self.cc.services.search, text)
        except CallCenterError as exc:
            self.status(str(exc))
            return
        self.results = results
        listing = self.query_one("#search-results", OptionList)
        listing.set_options(
            Option(result_row(case, self.cc.tz), id=str(case.id)) for case in results
        )
        if results:
            listing.highlighted = 0
            self.status(_("{n} found · ↓ Enter: open · Esc: back").format(n=len(results)))
        else:
            self.status(_("Nothing found."))

    @on(Input.Submitted, "#search-input")
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        listing = self.query_one("#search-results", OptionList)
        option = listing.highlighted_option
        if option is not None and option.id is not None:
            self.dismiss(int(option.id))

    @on(OptionList.OptionSelected, "#search-results")
    def chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.dismiss(int(event.option.id))

    def action_to_results(self) -> None:
        listing = self.query_one("#search-results", OptionList)
        if listing.option_count and not listing.has_focus:
            listing.focus()

    def action_back(self) -> None:
        self.dismiss(None)
