"""The rescue ledger (救援登记台帐): one row per rescue, newest first, filtered, exported.

Opened with F4 from any screen (the app's key, as F3 the call desk). The filters are typed
text and choices; :func:`callcenter.records.ledger_query.parse_ledger_filter` checks them and
names the bad field. Rows are read a page at a time (keyset paging in the repository): the
next page is read when the cursor nears the last row shown, so a year scrolls as fast as a
day. Enter opens the case (``Host.open_case``); Ctrl+E exports what the filter shows (the
export screen asks for the file). Ledger rows changed elsewhere show up live (change feed).

Caller text (names, addresses, plates) is data: cells are :class:`rich.text.Text`.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Select, Static

from callcenter.domain import DelayReason, RescuePlan
from callcenter.errors import CallCenterError, ValidationErrors
from callcenter.i18n import N_, _
from callcenter.records.ledger_columns import BY_KEY, cell_text
from callcenter.records.ledger_query import (
    LedgerCursor,
    LedgerFilter,
    cursor_of,
    parse_ledger_filter,
)
from callcenter.records.model import FeedbackResult, LedgerEntry, RecordState
from callcenter.validation import format_phone
from screens.kit.format import error_text
from screens.kit.host import Host, host
from screens.kit.i18n_bindings import translate_bindings
from screens.kit.messages import DataChanged

#: The columns shown on screen (the export has them all), in this order.
SHOWN = (
    "number",
    "received_at",
    "caller_name",
    "plate",
    "phone",
    "plan",
    "crew_code",
    "on_time",
    "delay_reason",
    "record_state",
    "feedback_result",
    "operator",
    "address",
)
#: Rows read at a time; the next page is read when the cursor is this close to the end.
PAGE = 100
NEAR_END = 20
#: The most rows re-read at once when the feed reports a change (the rest re-read on scroll).
LIVE_MAX = 500


def _on_time_options() -> list[tuple[str, str]]:
    return [(_("On time"), "on_time"), (_("Late"), "late")]


def _feedback_options() -> list[tuple[str, str]]:
    return [(r.label, r.value) for r in FeedbackResult] + [(_("No feedback call yet"), "-")]


def _reason_label(value: str) -> str:
    try:
        return DelayReason(value).label if value else ""
    except ValueError:
        return value


def ledger_cells(entry: LedgerEntry, tz: Any) -> list[Text]:
    """The row of ``entry`` as the screen shows it."""
    cells = []
    for key in SHOWN:
        column = BY_KEY[key]
        if key == "delay_reason":
            text = _reason_label(entry.delay_reason)
        elif key == "phone":
            text = format_phone(entry.phone)
        else:
            text = cell_text(entry, column, tz)
        style = ""
        if key == "on_time" and entry.on_time is False:
            style = "bold red"
        elif key == "record_state" and entry.record_state in ("not_accepted", "voided"):
            style = "yellow"
        elif key == "number":
            style = "bold"
        cells.append(Text(text, style=style, no_wrap=True, overflow="ellipsis"))
    return cells


class LedgerScreen(Screen[None]):
    """The ledger: filters on top, the rows, a status line."""

    CSS_PATH = "ledger.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", N_("Go back")),
        Binding("ctrl+e", "export", N_("Export")),
        Binding("ctrl+l", "clear_filter", N_("Clear the filter")),
        Binding("ctrl+t", "to_table", N_("To the rows"), show=False),
    ]
    read_only_safe = True  # it only reads (the export writes a file, not the database)

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)
        self.filter = LedgerFilter()
        self.rows: list[LedgerEntry] = []
        self.complete = False  # the last page has been read
        self._reading = 0  # reads under way (the next page waits until none is)
        self._generation = 0  # a newer filter makes older reads void
        self.labels: dict[str, str] = {}  # field -> its placeholder or prompt (errors name it)

    @property
    def cc(self) -> Host:
        return host(self)

    # -- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(Content(_("Rescue ledger")), id="ledger-title")
        with Vertical(id="ledger-filters"):
            with Horizontal(classes="ledger-filter-row"):
                yield self._input("date_from", _("From date"))
                yield self._input("date_to", _("To date"))
                yield self._select("crew", _("Crew"), [])
                yield self._select("operator", _("Operator"), [])
                yield self._input("text", _("Name, phone, plate, no."))
            with Horizontal(classes="ledger-filter-row"):
                yield self._select("plan", _("Plan"), [(p.label, p.value) for p in RescuePlan])
                yield self._select("on_time", _("On time?"), _on_time_options())
                yield self._select(
                    "delay_reason",
                    _("Delay reason"),
                    [(r.label, r.value) for r in DelayReason],
                )
                yield self._select(
                    "record_state",
                    _("Record"),
                    [(s.label, s.value) for s in RecordState],
                )
                yield self._select("feedback_result", _("Feedback"), _feedback_options())
        yield Static("", id="ledger-error")
        table: DataTable[Text] = DataTable(id="ledger-table", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static("", id="ledger-status")
        yield Footer()

    def _input(self, name: str, placeholder: str) -> Input:
        self.labels[name] = placeholder
        field = Input(placeholder=placeholder, id=f"lf-{name}", classes="ledger-field")
        field.compact = True
        return field

    def _select(self, name: str, prompt: str, options: list[tuple[str, str]]) -> Select[str]:
        self.labels[name] = prompt
        select: Select[str] = Select(
            options, prompt=prompt, id=f"lf-{name}", classes="ledger-field", compact=True
        )
        return select

    def on_mount(self) -> None:
        table = self.query_one("#ledger-table", DataTable)
        for key in SHOWN:
            # A fixed width per column (cells; CJK counts two): the columns stay put while
            # pages are read, whatever a page holds.
            header = _(BY_KEY[key].header)
            width = max(BY_KEY[key].width, min(cell_len(header), 16))
            table.add_column(Text(header, style="bold"), key=key, width=width)
        table.focus()
        self.watch(table, "scroll_y", self._scrolled, init=False)
        self.load_choices()
        self.reload()

    def _scrolled(self, _old: float, new: float) -> None:
        """The mouse wheel (or a scrollbar) near the last rows shown reads the next page."""
        table = self.query_one("#ledger-table", DataTable)
        if table.max_scroll_y - new < NEAR_END:
            self.more()

    # -- the filter --------------------------------------------------------------------------
    def raw_filter(self) -> dict[str, str]:
        raw: dict[str, str] = {}
        for field in self.query(".ledger-field"):
            name = (field.id or "")[3:]
            if isinstance(field, Input):
                raw[name] = field.value
            elif isinstance(field, Select):
                raw[name] = "" if field.is_blank() else str(field.value)
        return raw

    @on(Input.Changed, ".ledger-field")
    @on(Select.Changed, ".ledger-field")
    def filter_changed(self, event: Input.Changed | Select.Changed) -> None:
        event.stop()
        self.apply_filter()

    def apply_filter(self) -> None:
        for field in self.query(".ledger-field"):
            field.remove_class("-invalid")
        error = self.query_one("#ledger-error", Static)
        try:
            flt = parse_ledger_filter(self.raw_filter(), self.cc.tz)
        except ValidationErrors as exc:
            for bad in exc.errors:
                for field in self.query(f"#lf-{bad.field}"):
                    field.add_class("-invalid")
            error.update(
                Content(
                    " · ".join(
                        _("{field}: {message}").format(
                            field=self.labels.get(e.field, e.field), message=e.message
                        )
                        for e in exc.errors
                    )
                )
            )
            error.add_class("-shown")
            return
        error.update("")
        error.remove_class("-shown")
        if flt == self.filter:
            return
        self.filter = flt
        self.reload()

    def action_clear_filter(self) -> None:
        with self.prevent(Input.Changed, Select.Changed):
            for field in self.query(".ledger-field"):
                if isinstance(field, Input):
                    field.value = ""
                elif isinstance(field, Select):
                    field.clear()
        self.apply_filter()

    @work(group="ledger-choices", exit_on_error=False)
    async def load_choices(self) -> None:
        try:
            crews, staff = await asyncio.to_thread(self.cc.services.ledger_choices)
        except CallCenterError:
            return  # the filters stay typed-free; the rows say what went wrong
        with self.prevent(Select.Changed):
            self.query_one("#lf-crew", Select).set_options((code, code) for code in crews)
            self.query_one("#lf-operator", Select).set_options(
                (f"{name} ({user})" if name != user else user, user) for user, name in staff
            )

    # -- reading -----------------------------------------------------------------------------
    def reload(self, keep: int = 0) -> None:
        """Read the rows of the filter from the top (``keep``: at least that many, for a
        live refresh that keeps the rows scrolled through)."""
        self._generation += 1
        self._reading += 1
        self._read(self._generation, None, max(PAGE, min(keep, LIVE_MAX)), True)

    def more(self) -> None:
        """The next page after the last row shown (once: a read under way is waited for)."""
        if self._reading or self.complete or not self.rows:
            return
        self._reading += 1
        self._read(self._generation, cursor_of(self.rows[-1]), PAGE, False)

    @work(group="ledger-read", exit_on_error=False)
    async def _read(
        self, generation: int, after: LedgerCursor | None, limit: int, fresh: bool
    ) -> None:
        flt = self.filter
        try:
            rows = await asyncio.to_thread(self.cc.services.ledger_page, flt, after, limit)
        except CallCenterError as exc:
            self.status(error_text(exc, self.cc.tz))
            return
        finally:
            self._reading -= 1
        if generation != self._generation:
            return  # the filter changed meanwhile: a newer read is on its way
        self.show(rows, fresh=fresh, complete=len(rows) < limit)

    def show(self, rows: list[LedgerEntry], *, fresh: bool, complete: bool) -> None:
        table = self.query_one("#ledger-table", DataTable)
        tz = self.cc.tz
        selected = self.selected()
        if fresh:
            self.rows = []
            table.clear()
        self.rows.extend(rows)
        for entry in rows:
            table.add_row(*ledger_cells(entry, tz), key=str(entry.case_id))
        self.complete = complete
        if fresh and selected is not None:
            for index, entry in enumerate(self.rows):
                if entry.case_id == selected:
                    table.move_cursor(row=index, animate=False)
                    break
        self.show_status()

    def show_status(self) -> None:
        if not self.rows:
            self.status(
                _("No rescue in the ledger matches.")
                if not self.filter.is_empty
                else _("The ledger is empty: a rescue is entered at its report-back.")
            )
            return
        shown = len(self.rows)
        more = "" if self.complete else "+"
        self.status(
            _("{n} rows · Enter: open the case · Ctrl+E: export · Esc: back").format(
                n=f"{shown}{more}"
            )
        )

    def status(self, message: str) -> None:
        self.query_one("#ledger-status", Static).update(Content(message))

    def selected(self) -> int | None:
        table = self.query_one("#ledger-table", DataTable)
        if not self.rows or table.cursor_row < 0 or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row].case_id

    @on(DataTable.RowHighlighted, "#ledger-table")
    def highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row >= len(self.rows) - NEAR_END:
            self.more()

    @on(DataTable.RowSelected, "#ledger-table")
    def chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.cc.open_case(int(event.row_key.value))

    # -- live --------------------------------------------------------------------------------
    def on_data_changed(self, message: DataChanged) -> None:
        if any(change.entity == "ledger" for change in message.changes):
            self.reload(keep=len(self.rows))

    # -- keys --------------------------------------------------------------------------------
    def action_to_table(self) -> None:
        self.query_one("#ledger-table", DataTable).focus()

    def action_back(self) -> None:
        self.dismiss(None)

    def action_export(self) -> None:
        from screens.ledger.export import ExportScreen

        self.app.push_screen(ExportScreen(self.filter))
