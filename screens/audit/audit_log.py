"""The audit log viewer (F7): who did (or tried to do) what, when, allowed or refused, and
the details. Filtered by person, action and days; newest first, a page at a time (keyset:
the next page starts below the last line read). Supervisors and administrators only: the
application refuses an operator before the screen opens."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from callcenter.errors import CallCenterError, ValidationErrors
from callcenter.i18n import N_, _
from callcenter.ports import AuditEntry, AuditQuery
from screens.kit.format import error_text, fit, local_time
from screens.kit.host import Host, host
from screens.kit.i18n_bindings import translate_bindings
from screens.widgets.tick_box import TickBox

PAGE = 100


def audit_row(entry: AuditEntry, tz: object, names: dict[str, str]) -> Text:
    row = Text(no_wrap=True, overflow="ellipsis")
    row.append(fit(local_time(entry.at, tz, "%m-%d %H:%M:%S"), 15))  # type: ignore[arg-type]
    who = names.get(entry.actor, entry.actor)
    row.append(fit(who, 10) + " ")
    row.append(
        fit(_("allowed") if entry.allowed else _("REFUSED"), 8) + " ",
        style="" if entry.allowed else "bold red",
    )
    row.append(fit(entry.action, 22) + " ", style="bold")
    what = f"{entry.entity} {entry.entity_id}" if entry.entity_id is not None else entry.entity
    row.append(fit(what, 14) + " ")
    if entry.details:
        row.append(json.dumps(entry.details, ensure_ascii=False, sort_keys=True), style="dim")
    return row


class AuditLogScreen(Screen[None]):
    """Filters on top (Enter applies), the log below; the next page loads at its end."""

    CSS_PATH = "audit.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", N_("Go back")),
        Binding("ctrl+n", "more", N_("Next page"), priority=True),
        Binding("f1", "app.help", N_("Help")),
    ]
    read_only_safe = True

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)
        self.entries: list[AuditEntry] = []
        self.query_now: AuditQuery | None = None
        self.exhausted = False

    @property
    def cc(self) -> Host:
        return host(self)

    def compose(self) -> ComposeResult:
        yield Static(Content(_("Audit log")), id="au-title")
        with Horizontal(id="au-filters"):
            yield Input(placeholder=_("person"), id="au-person", compact=True)
            yield Input(placeholder=_("action, e.g. take_call"), id="au-action", compact=True)
            yield Input(placeholder=_("from YYYY-MM-DD"), id="au-since", compact=True)
            yield Input(placeholder=_("to YYYY-MM-DD"), id="au-until", compact=True)
            yield TickBox(_("Refused only"), False, id="au-refused", compact=True)
        yield OptionList(id="au-log")
        yield Static("", id="au-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#au-person", Input).focus()
        self.apply()

    def _value(self, name: str) -> str:
        return self.query_one(f"#au-{name}", Input).value

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.apply()

    @on(TickBox.Changed)
    def _ticked(self) -> None:
        self.apply()

    def apply(self) -> None:
        """Read the filters (as typed) and show the first page."""
        for name in ("since", "until"):
            self.query_one(f"#au-{name}", Input).remove_class("-invalid")
        self.entries = []
        self.exhausted = False
        self.query_now = None
        self.query_one("#au-log", OptionList).clear_options()
        self.load_first(
            self._value("person"),
            self._value("action"),
            self._value("since"),
            self._value("until"),
            self.query_one("#au-refused", TickBox).value,
        )

    @work(exclusive=True, group="audit", exit_on_error=False)
    async def load_first(
        self, person: str, action: str, since: str, until: str, refused: bool
    ) -> None:
        services = self.cc.services

        def read() -> tuple[AuditQuery, list[AuditEntry]]:
            query = services.audit_query(
                person=person, action=action, since=since, until=until, refused_only=refused
            )
            return query, services.audit_page(query, PAGE)

        try:
            query, page = await asyncio.to_thread(read)
        except ValidationErrors as exc:
            for error in exc.errors:
                self.query_one(f"#au-{error.field}", Input).add_class("-invalid")
            self.status(" ".join(e.message for e in exc.errors))
            return
        except CallCenterError as exc:
            self.status(error_text(exc, self.cc.tz))
            return
        self.query_now = query
        self.show_page(page)

    @work(exclusive=True, group="audit", exit_on_error=False)
    async def load(self, query: AuditQuery) -> None:
        try:
            page = await asyncio.to_thread(self.cc.services.audit_page, query, PAGE)
        except CallCenterError as exc:
            self.status(error_text(exc, self.cc.tz))
            return
        self.show_page(page)

    def show_page(self, page: list[AuditEntry]) -> None:
        self.entries += page
        self.exhausted = len(page) < PAGE
        listing = self.query_one("#au-log", OptionList)
        names = self.cc.staff_names
        listing.add_options(Option(audit_row(e, self.cc.tz, names)) for e in page)
        if self.entries and listing.highlighted is None:
            listing.highlighted = 0
        if not self.entries:
            self.status(_("Nothing found."))
        elif self.exhausted:
            self.status(_("{n} lines, all shown").format(n=len(self.entries)))
        else:
            self.status(_("{n} lines shown · Ctrl+N: next page").format(n=len(self.entries)))

    @on(OptionList.OptionHighlighted, "#au-log")
    def _near_end(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_index >= len(self.entries) - 5:
            self.action_more()

    def action_more(self) -> None:
        if self.exhausted or not self.entries or self.query_now is None:
            return
        last = self.entries[-1]
        assert last.id is not None
        self.load(replace(self.query_now, before=(last.at, last.id)))

    def status(self, message: str) -> None:
        self.query_one("#au-status", Static).update(Content(message))

    def action_back(self) -> None:
        self.dismiss(None)
