"""The home screen: every open case with its promised arrival counting down, and the crews."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from callcenter.domain import Case, CaseStatus, Crew, CrewStatus
from callcenter.i18n import _
from screens.format import countdown, local_time
from screens.i18n_bindings import translate_bindings
from screens.messages import DataChanged

if TYPE_CHECKING:
    from screens.app import CallCenterApp

ARRIVAL_PENDING = (CaseStatus.RECEIVED, CaseStatus.DISPATCHED, CaseStatus.EN_ROUTE)


def time_left(case: Case, now: datetime) -> timedelta | None:
    if case.status in ARRIVAL_PENDING and case.promised_arrival_at is not None:
        return case.promised_arrival_at - now
    return None


def sla_class(left: timedelta | None, at_risk: timedelta) -> str:
    if left is None:
        return "met"
    if left < timedelta(0):
        return "late"
    if left <= at_risk:
        return "at-risk"
    return "on-track"


MARKERS = {"late": "!!", "at-risk": "! ", "on-track": "  ", "met": "✓ "}
STYLES = {"late": "bold reverse red", "at-risk": "bold yellow", "on-track": "", "met": "dim"}


class BoardScreen(Screen[None]):
    """The live dispatch board."""

    BINDINGS = [
        Binding("f1", "app.help", "Help"),
        Binding("ctrl+q", "app.quit", "Quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)
        self.cases: dict[int, Case] = {}
        self.crews: dict[int, Crew] = {}

    @property
    def cc(self) -> CallCenterApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static("", id="counters")
        with Horizontal(id="board-body"):
            yield DataTable(id="cases", cursor_type="row", zebra_stripes=False)
            with Vertical(id="crews-panel"):
                yield Static(_("Crews"), classes="panel-title")
                yield DataTable(id="crews", cursor_type="none", show_header=False)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#cases", DataTable)
        for key, label, width in (
            ("number", _("Case No."), 13),
            ("priority", _("Priority"), 6),
            ("plate", _("Plate"), 10),
            ("place", _("Location"), 22),
            ("status", _("Status"), 10),
            ("crew", _("Crew"), 9),
            ("promised", _("Promised"), 6),
            ("left", _("Time left"), 10),
            ("flags", _("Flags"), 6),
        ):
            table.add_column(label, key=key, width=width)
        crews = self.query_one("#crews", DataTable)
        crews.add_column("code", key="code", width=9)
        crews.add_column("status", key="status", width=10)
        self.load()
        self.set_interval(1.0, self.tick)

    def load(self) -> None:
        self.cases = {c.id: c for c in self.cc.services.open_cases() if c.id is not None}
        self.crews = {c.id: c for c in self.cc.services.crews() if c.id is not None}
        self.rebuild()

    def sorted_cases(self, now: datetime) -> list[Case]:
        far = timedelta(days=3650)

        def key(case: Case) -> tuple[int, timedelta, int]:
            left = time_left(case, now)
            return (0 if left is not None else 1, left if left is not None else far, case.id or 0)

        return sorted(self.cases.values(), key=key)

    def rebuild(self) -> None:
        now = self.cc.clock_now()
        table = self.query_one("#cases", DataTable)
        cursor_key = None
        if table.row_count and table.cursor_row >= 0:
            try:
                cursor_key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
            except Exception:  # an empty or shrinking table
                cursor_key = None
        table.clear()
        for case in self.sorted_cases(now):
            table.add_row(*self.row_cells(case, now), key=str(case.id))
        if cursor_key is not None and cursor_key.value and int(cursor_key.value) in self.cases:
            table.move_cursor(row=table.get_row_index(cursor_key))
        self.rebuild_crews()
        self.update_counters(now)

    def row_cells(self, case: Case, now: datetime) -> list[Text | str]:
        crew = self.crews.get(case.crew_id) if case.crew_id else None
        left = time_left(case, now)
        state = sla_class(left, self.cc.at_risk)
        return [
            Text(case.number),
            Text(case.priority.label),
            Text(case.plate),
            Text(case.address),
            Text(case.status.label),
            Text(crew.code if crew else "—"),
            Text(local_time(case.promised_arrival_at, self.cc.tz)),
            self.left_cell(left, state),
            Text(MARKERS[state] + ("" if case.fee_agreed else "¥?")),
        ]

    def left_cell(self, left: timedelta | None, state: str) -> Text:
        if left is None:
            return Text(_("arrived"), style=STYLES["met"])
        return Text(countdown(left), style=STYLES[state], justify="right")

    def rebuild_crews(self) -> None:
        table = self.query_one("#crews", DataTable)
        table.clear()
        for crew in sorted(self.crews.values(), key=lambda c: c.code):
            style = "dim" if crew.status is CrewStatus.OFF_DUTY else (
                "bold green" if crew.status is CrewStatus.AVAILABLE else ""
            )
            table.add_row(Text(crew.code), Text(crew.status.label, style=style),
                          key=str(crew.id))

    def update_counters(self, now: datetime) -> None:
        states = [sla_class(time_left(c, now), self.cc.at_risk) for c in self.cases.values()]
        text = "  ".join(
            [
                _("Open {n}").format(n=len(self.cases)),
                _("At risk {n}").format(n=states.count("at-risk")),
                _("Late {n}").format(n=states.count("late")),
                _("Available crews {n}").format(
                    n=sum(1 for c in self.crews.values() if c.status is CrewStatus.AVAILABLE)
                ),
                local_time(now, self.cc.tz, "%Y-%m-%d %H:%M:%S"),
            ]
        )
        self.query_one("#counters", Static).update(Text(text))

    def tick(self) -> None:
        now = self.cc.clock_now()
        table = self.query_one("#cases", DataTable)
        for case in self.cases.values():
            left = time_left(case, now)
            if left is None:
                continue
            state = sla_class(left, self.cc.at_risk)
            table.update_cell(str(case.id), "left", self.left_cell(left, state))
        self.update_counters(now)

    def on_data_changed(self, message: DataChanged) -> None:
        for case in message.cases:
            if case.id is None:
                continue
            if case.is_open:
                self.cases[case.id] = case
            else:
                self.cases.pop(case.id, None)
        for crew in message.crews:
            if crew.id is not None:
                self.crews[crew.id] = crew
        self.rebuild()
