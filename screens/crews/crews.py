"""The crews (F11): every crew's status, case, reason and position, and the supervisor's
decisions about them — off duty, out of service, back on duty (each with a reason), the
crew's case to another crew — and the crew's position as radioed in (anyone).

An operator sees the supervisor's keys dimmed and a line saying so; a dimmed key pressed says
who may at once, before any form opens. Every change goes through one service call with the
version of the crew shown: a change made meanwhile by another session is refused naming who
made it, and the list follows every session's changes live.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from callcenter.domain import NOT_ON_DUTY, Crew, CrewStatus
from callcenter.errors import CallCenterError
from callcenter.i18n import N_, _
from screens.kit.format import error_text, local_time, safe_text
from screens.kit.host import Host, host
from screens.kit.i18n_bindings import translate_bindings
from screens.kit.messages import DataChanged
from screens.kit.permission import RoleKeys, refused_text
from screens.widgets.text_form import TextField, TextFieldsForm

#: The columns: key, title (msgid).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("code", N_("Crew")),
    ("status", N_("Status")),
    ("case", N_("Case")),
    ("reason", N_("The reason")),
    ("position", N_("Position")),
    ("leader", N_("Leader")),
    ("vehicle", N_("Vehicle")),
)


@dataclass(frozen=True)
class CrewRow:
    crew: Crew
    case_number: str  # "" when the crew is on no case


def position_text(crew: Crew, tz: Any) -> str:
    """``22.5431, 114.0579 · 14:05`` (the time it was radioed in), or a dash."""
    if crew.lat is None or crew.lon is None:
        return "—"
    text = f"{crew.lat:.4f}, {crew.lon:.4f}"
    if crew.position_at is not None:
        text += " · " + local_time(crew.position_at, tz, "%m-%d %H:%M")
    return text


class CrewsScreen(RoleKeys, Screen[None]):
    """The crews and what a supervisor decides about them."""

    CSS_PATH = "crews.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "off_duty", N_("Off duty")),
        Binding("u", "on_duty", N_("Back on duty")),
        Binding("s", "out_of_service", N_("Out of service")),
        Binding("R", "reassign", N_("Reassign")),
        Binding("p", "set_position", N_("Position")),
        Binding("t", "policy", N_("Tariff and policy")),
        Binding("escape", "back", N_("Go back")),
    ]

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)
        self.rows: list[CrewRow] = []
        #: What was typed for a crew whose change was refused (a conflict): offered again.
        self.kept: dict[tuple[int, str], dict[str, str]] = {}

    @property
    def cc(self) -> Host:
        return host(self)

    def compose(self) -> ComposeResult:
        with Vertical(id="crews-box"):
            yield Static(Content(_("Crews")), id="crews-title")
            yield Static("", id="crews-note")
            yield DataTable(id="crews-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="crews-message")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#crews-table", DataTable)
        for key, title in COLUMNS:
            table.add_column(Text(_(title)), key=key)
        table.focus()
        refused = refused_text(self, "off_duty")
        if refused is not None:
            self.query_one("#crews-note", Static).update(
                Content(
                    _(
                        "Off duty, out of service, back on duty and reassigning a crew are a "
                        "supervisor's decisions: their keys are dimmed for you."
                    )
                )
            )
        else:
            self.query_one("#crews-note", Static).display = False
        self.load()

    # -- reading ---------------------------------------------------------------------
    def read(self) -> list[CrewRow]:
        services = self.cc.services
        crews = services.crews()
        ids = [c.current_case_id for c in crews if c.current_case_id is not None]
        numbers = {c.id: c.number for c in services.cases_by_ids(ids)} if ids else {}
        order = {status: i for i, status in enumerate(CrewStatus)}
        crews.sort(key=lambda c: (c.status in NOT_ON_DUTY, order[c.status], c.code))
        return [CrewRow(c, numbers.get(c.current_case_id or -1, "")) for c in crews]

    @work(exclusive=True, group="crews-load", exit_on_error=False)
    async def load(self) -> None:
        try:
            rows = await asyncio.to_thread(self.read)
        except CallCenterError as exc:
            self.say(error_text(exc, self.cc.tz))
            return
        self.show(rows)

    def show(self, rows: list[CrewRow]) -> None:
        table = self.query_one("#crews-table", DataTable)
        keep = self.selected()
        self.rows = rows
        table.clear()
        tz = self.cc.tz
        for row in rows:
            crew = row.crew
            status = Text(crew.status.label)
            if crew.status is CrewStatus.AVAILABLE:
                status.stylize("green")
            elif crew.status is CrewStatus.OUT_OF_SERVICE:
                status.stylize("bold red")
            elif crew.status is CrewStatus.OFF_DUTY:
                status.stylize("dim")
            reason = crew.status_reason if crew.status in NOT_ON_DUTY else ""
            table.add_row(
                Text(safe_text(crew.code), style="bold"),
                status,
                Text(row.case_number or "—"),
                Text(safe_text(reason) or "—"),
                Text(position_text(crew, tz)),
                Text(safe_text(crew.name)),
                Text(safe_text(crew.vehicle_plate)),
                key=str(crew.id),
            )
        if keep is not None:
            for index, row in enumerate(rows):
                if row.crew.id == keep.id:
                    table.move_cursor(row=index)
                    break

    def selected(self) -> Crew | None:
        table = self.query_one("#crews-table", DataTable)
        if not self.rows or table.cursor_row is None or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row].crew

    def selected_row(self) -> CrewRow | None:
        crew = self.selected()
        return next((r for r in self.rows if crew is not None and r.crew.id == crew.id), None)

    def say(self, message: str, error: bool = True) -> None:
        widget = self.query_one("#crews-message", Static)
        widget.update(Text(message))
        widget.set_class(error, "-error")

    def on_data_changed(self, message: DataChanged) -> None:
        if message.crews or any(
            c.id in {r.crew.current_case_id for r in self.rows} for c in message.cases
        ):
            self.load()

    # -- the supervisor's decisions ----------------------------------------------------
    def _duty(self, status: CrewStatus) -> None:
        crew = self.selected()
        if crew is None or crew.id is None:
            return
        crew_id, version = crew.id, crew.version
        titles = {
            CrewStatus.OFF_DUTY: _("{crew} off duty"),
            CrewStatus.OUT_OF_SERVICE: _("{crew} out of service"),
            CrewStatus.AVAILABLE: _("{crew} back on duty"),
        }
        examples = {
            CrewStatus.OFF_DUTY: _("e.g. the night shift is over"),
            CrewStatus.OUT_OF_SERVICE: _("e.g. the tow truck's winch is broken"),
            CrewStatus.AVAILABLE: _("e.g. the winch is repaired (may be left empty)"),
        }
        key = (crew_id, status.value)
        typed = self.kept.get(key, {})
        services = self.cc.services

        def save(values: dict[str, str]) -> Crew:
            self.kept[key] = values
            return services.set_crew_duty(crew_id, status, values["reason"], version=version)

        def done(result: Crew | None) -> None:
            if result is None:
                return
            self.kept.pop(key, None)
            self.notify(
                _("{crew}: {status}.").format(crew=result.code, status=result.status.label),
                markup=False,
            )
            self.load()

        self.app.push_screen(
            TextFieldsForm(
                titles[status].format(crew=crew.code),
                [TextField("reason", _("The reason"), examples[status], typed.get("reason", ""))],
                save,
                note=_("Now {status}; the reason goes to the audit log.").format(
                    status=crew.status.label
                ),
                required=("reason",) if status in NOT_ON_DUTY else (),
            ),
            done,
        )

    def action_off_duty(self) -> None:
        self._duty(CrewStatus.OFF_DUTY)

    def action_out_of_service(self) -> None:
        self._duty(CrewStatus.OUT_OF_SERVICE)

    def action_on_duty(self) -> None:
        self._duty(CrewStatus.AVAILABLE)

    def action_set_position(self) -> None:
        crew = self.selected()
        if crew is None or crew.id is None:
            return
        crew_id, version = crew.id, crew.version
        services = self.cc.services

        def save(values: dict[str, str]) -> Crew:
            return services.set_crew_position(crew_id, values["position"], version=version)

        def done(result: Crew | None) -> None:
            if result is not None:
                self.notify(
                    _("{crew}: position {position}.").format(
                        crew=result.code, position=position_text(result, self.cc.tz)
                    ),
                    markup=False,
                )
                self.load()

        self.app.push_screen(
            TextFieldsForm(
                _("Position of {crew}").format(crew=crew.code),
                [
                    TextField(
                        "position",
                        _("Position"),
                        _("latitude, longitude, e.g. 22.54, 114.06; or “depot”"),
                    )
                ],
                save,
                note=_("Now: {position}").format(position=position_text(crew, self.cc.tz)),
                required=("position",),
            ),
            done,
        )

    def action_reassign(self) -> None:
        row = self.selected_row()
        if row is None:
            return
        if row.crew.current_case_id is None:
            self.say(_("{crew} is on no case.").format(crew=row.crew.code))
            return
        self.open_reassign(row.crew.current_case_id)

    @work(exclusive=True, group="crews-reassign", exit_on_error=False)
    async def open_reassign(self, case_id: int) -> None:
        try:
            case = await asyncio.to_thread(self.cc.services.case, case_id)
        except CallCenterError as exc:
            self.say(error_text(exc, self.cc.tz))
            return
        self.cc.open_reassign(case, self._reassigned)

    def _reassigned(self, _result: int | None) -> None:
        self.load()

    def action_policy(self) -> None:
        self.cc.open_policy()

    def action_back(self) -> None:
        self.app.pop_screen()
