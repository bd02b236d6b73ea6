"""The complaints (F6, 客户投诉): the escalations to the supervisors on top, then every
complaint with its status and next deadline, live. Keys act on the selected line; every
change is one service call (:mod:`callcenter.services.complaints`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Static

from callcenter.complaints.model import (
    AlertKind,
    Complaint,
    ComplaintAlert,
    Escalation,
    Status,
    describe,
)
from callcenter.errors import CallCenterError
from callcenter.i18n import N_, _
from callcenter.permissions import Action, refusal
from screens.kit.format import error_text, local_time
from screens.kit.host import Host, host
from screens.kit.i18n_bindings import translate_bindings
from screens.kit.messages import DataChanged
from screens.widgets.modals import ConfirmModal, ReasonModal

#: The change feed's entities this screen follows.
FOLLOWED = frozenset({"complaint", "complaint_alert", "escalation", "call_task"})


@dataclass
class Reading:
    complaints: list[Complaint]
    alerts: dict[int, list[ComplaintAlert]]
    crews: dict[int, str]
    escalations: list[Escalation]
    names: dict[str, str] = field(default_factory=dict)


class TextModal(ReasonModal):
    """Asks for one line of text (a plan, a resolution, a reason)."""

    DEFAULT_CSS = ReasonModal.DEFAULT_CSS.replace("ReasonModal", "TextModal")

    def action_back(self) -> None:
        self.dismiss(None)


class ComplaintsScreen(ModalScreen[None]):
    """Escalations, then complaints; ``n`` records a new complaint."""

    CSS_PATH = "complaints.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", N_("Close")),
        Binding("n", "new_complaint", N_("New complaint")),
        Binding("e", "edit_complaint", N_("Edit")),
        Binding("t", "notified", N_("Told")),
        Binding("p", "plan", N_("Plan")),
        Binding("r", "resolve", N_("Resolve")),
        Binding("s", "satisfied", N_("Satisfied")),
        Binding("u", "unsatisfied", N_("Not satisfied")),
        Binding("c", "close_complaint", N_("Close complaint")),
        Binding("a", "acknowledge", N_("Acknowledge")),
        Binding("o", "open_only", N_("Open/all")),
    ]

    def __init__(self, *, crew_id: int | None = None) -> None:
        super().__init__()
        translate_bindings(self)
        self.crew_id = crew_id
        self.open_only = False
        self.reading: Reading | None = None

    @property
    def cc(self) -> Host:
        return host(self)

    def compose(self) -> ComposeResult:
        with Vertical(id="cl-box"):
            yield Static(Content(_("Escalations to the supervisors")), classes="cl-title")
            esc: DataTable[Text] = DataTable(id="cl-esc", cursor_type="row", zebra_stripes=True)
            yield esc
            yield Static(Content(_("Complaints")), id="cl-head", classes="cl-title")
            table: DataTable[Text] = DataTable(id="cl-table", cursor_type="row", zebra_stripes=True)
            yield table
            yield Static("", id="cl-detail")
        yield Footer()

    def on_mount(self) -> None:
        esc = self.query_one("#cl-esc", DataTable)
        esc.add_column(Text(_("Raised")), key="at")
        esc.add_column(Text(_("Why")), key="kind")
        esc.add_column(Text(_("What")), key="summary")
        esc.add_column(Text(_("Acknowledged")), key="ack")
        table = self.query_one("#cl-table", DataTable)
        table.add_column(Text(_("No.")), key="number")
        table.add_column(Text(_("Taken at")), key="at")
        table.add_column(Text(_("Customer")), key="customer")
        table.add_column(Text(_("Complaint category")), key="category")
        table.add_column(Text(_("Crew")), key="crew")
        table.add_column(Text(_("Status")), key="status")
        table.add_column(Text(_("Next deadline")), key="due")
        table.add_column(Text(_("Responsible")), key="responsible")
        table.focus()
        self.load()

    # -- reading -----------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="complaints-read", exit_on_error=False)
    def load(self) -> None:
        services = self.cc.services
        complaints = services.complaints(open_only=self.open_only, crew_id=self.crew_id)
        ids = [c.id for c in complaints if c.id is not None]
        alerts: dict[int, list[ComplaintAlert]] = {}
        for alert in services.complaint_alerts(ids) if ids else []:
            alerts.setdefault(alert.complaint_id, []).append(alert)
        crews = {c.id: c.code for c in services.crews() if c.id is not None}
        escalations = services.escalations()
        names = {
            e.acknowledged_by: services.display_name(e.acknowledged_by)
            for e in escalations
            if e.acknowledged_by
        }
        reading = Reading(complaints, alerts, crews, escalations, names)
        self.app.call_from_thread(self.show, reading)

    def show(self, reading: Reading) -> None:
        self.reading = reading
        tz = self.cc.tz
        now = self.cc.clock_now()
        esc = self.query_one("#cl-esc", DataTable)
        chosen = self._key(esc)
        esc.clear()
        for item in reading.escalations:
            ack = (
                _("{who} {when}").format(
                    who=reading.names.get(item.acknowledged_by or "", item.acknowledged_by),
                    when=local_time(item.acknowledged_at, tz),
                )
                if item.acknowledged_at
                else _("not yet")
            )
            style = "" if item.acknowledged else "bold red"
            esc.add_row(
                Text(local_time(item.raised_at, tz, "%m-%d %H:%M")),
                Text(item.kind.label, style=style),
                Text(describe(item)),
                Text(ack),
                key=f"e{item.id}",
            )
        self._restore(esc, chosen)
        self.query_one("#cl-esc").set_class(not reading.escalations, "-empty")
        table = self.query_one("#cl-table", DataTable)
        chosen = self._key(table)
        table.clear()
        for complaint in reading.complaints:
            table.add_row(*self._cells(complaint, reading, now), key=f"c{complaint.id}")
        self._restore(table, chosen)
        scope = _("open only") if self.open_only else _("all")
        head = _("Complaints ({n}, {scope})").format(n=len(reading.complaints), scope=scope)
        if self.crew_id is not None:
            head += " — " + _("crew {code}").format(code=reading.crews.get(self.crew_id, "?"))
        self.query_one("#cl-head", Static).update(Content(head))
        self._show_detail()

    def _cells(self, complaint: Complaint, reading: Reading, now: datetime) -> list[Text]:
        tz = self.cc.tz
        nxt = complaint.next_deadline() if complaint.is_open else None
        style = ""
        due = ""
        if nxt is not None:
            clock, deadline = nxt
            due = f"{local_time(deadline, tz, '%m-%d %H:%M')} {clock.label}"
            open_alerts = [
                a for a in reading.alerts.get(complaint.id or 0, []) if a.resolved_at is None
            ]
            if any(a.kind.overdue for a in open_alerts) or deadline <= now:
                style, due = "bold red", "⚠ " + due
            elif open_alerts:
                style, due = "yellow", "! " + due
        status = complaint.status.label
        if complaint.satisfied is False:
            status += " ✗"
        return [
            Text(complaint.number),
            Text(local_time(complaint.received_at, tz, "%m-%d %H:%M")),
            Text(complaint.customer_name),
            Text(complaint.category.label),
            Text(reading.crews.get(complaint.crew_id, "") if complaint.crew_id else ""),
            Text(status),
            Text(due, style=style),
            Text(complaint.responsible),
        ]

    @staticmethod
    def _key(table: DataTable[Any]) -> str | None:
        if table.row_count == 0:
            return None
        try:
            return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        except Exception:
            return None

    @staticmethod
    def _restore(table: DataTable[Any], key: str | None) -> None:
        if key is None:
            return
        with contextlib.suppress(Exception):  # the line is gone
            table.move_cursor(row=table.get_row_index(key))

    def selected(self) -> Complaint | None:
        if self.reading is None:
            return None
        key = self._key(self.query_one("#cl-table", DataTable))
        if key is None:
            return None
        return next((c for c in self.reading.complaints if f"c{c.id}" == key), None)

    def selected_escalation(self) -> Escalation | None:
        if self.reading is None:
            return None
        key = self._key(self.query_one("#cl-esc", DataTable))
        return next((e for e in self.reading.escalations if f"e{e.id}" == key), None)

    @on(DataTable.RowHighlighted, "#cl-table")
    def _highlighted(self) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        complaint = self.selected()
        detail = self.query_one("#cl-detail", Static)
        if complaint is None:
            detail.update(Content(_("No complaint. Press n to record one.")))
            return
        tz = self.cc.tz
        lines = [
            _("{number} · {channel} · {category} · {status}").format(
                number=complaint.number,
                channel=complaint.channel.label,
                category=complaint.category.label,
                status=complaint.status.label,
            ),
            _("Says: {text}").format(text=complaint.description),
        ]
        if complaint.department or complaint.responsible:
            lines.append(
                _("Responsible: {department} {person}")
                .format(department=complaint.department, person=complaint.responsible)
                .strip()
            )
        if complaint.plan:
            lines.append(_("Plan: {text}").format(text=complaint.plan))
        if complaint.resolution:
            lines.append(_("Resolution: {text}").format(text=complaint.resolution))
        if complaint.satisfied is not None:
            lines.append(
                _("Customer satisfied: {answer}").format(
                    answer=_("yes") if complaint.satisfied else _("no")
                )
            )
        if complaint.closed_at is not None:
            lines.append(
                _("Closed {when}: {reason}").format(
                    when=local_time(complaint.closed_at, tz, "%m-%d %H:%M"),
                    reason=complaint.close_reason or "—",
                )
            )
        detail.update(Content("\n".join(lines)))  # typed text: data, never markup

    def on_data_changed(self, message: DataChanged) -> None:
        if any(c.entity in FOLLOWED for c in message.changes):
            self.load()

    # -- actions -----------------------------------------------------------------------
    def action_close(self) -> None:
        self.dismiss(None)

    def action_open_only(self) -> None:
        self.open_only = not self.open_only
        self.load()

    def action_new_complaint(self) -> None:
        self.cc.open_complaint_form(done=self._saved)

    def action_edit_complaint(self) -> None:
        complaint = self.selected()
        if complaint is not None:
            self.cc.open_complaint_form(complaint=complaint, done=self._saved)

    def _saved(self, result: object) -> None:
        if result is not None:
            self.load()

    def action_notified(self) -> None:
        complaint = self.selected()
        if complaint is not None and complaint.id is not None:
            self._call(self.cc.services.mark_notified, complaint.id, version=complaint.version)

    def action_plan(self) -> None:
        complaint = self.selected()
        if complaint is None or complaint.id is None:
            return
        ident, version = complaint.id, complaint.version

        def chosen(text: str | None) -> None:
            if text:
                self._call(self.cc.services.start_handling, ident, text, version=version)

        self.app.push_screen(
            TextModal(
                _("Plan for complaint {number}").format(number=complaint.number),
                _("What will be done"),
                placeholder=_("e.g. apologise, re-send a crew"),
                hint=_("Enter saves; Esc goes back."),
                empty=_("Say what will be done."),
                reason=complaint.plan,
            ),
            chosen,
        )

    def action_resolve(self) -> None:
        complaint = self.selected()
        if complaint is None or complaint.id is None:
            return
        ident, version = complaint.id, complaint.version

        def chosen(text: str | None) -> None:
            if text:
                self._call(self.cc.services.resolve_complaint, ident, text, version=version)

        self.app.push_screen(
            TextModal(
                _("Resolve complaint {number}").format(number=complaint.number),
                _("Resolution"),
                placeholder=_("what was done"),
                hint=_("Enter saves; the customer is then called back (F3)."),
                empty=_("Say what was done."),
                reason=complaint.resolution,
            ),
            chosen,
        )

    def action_satisfied(self) -> None:
        self._confirm(True)

    def action_unsatisfied(self) -> None:
        self._confirm(False)

    def _confirm(self, satisfied: bool) -> None:
        complaint = self.selected()
        if complaint is not None and complaint.id is not None:
            self._call(
                self.cc.services.confirm_complaint,
                complaint.id,
                satisfied,
                version=complaint.version,
            )

    def _refused(self, action: Action) -> bool:
        """Tell at once, before anything is typed, that this session may not (the service
        checks again and audits the refusal)."""
        services = self.cc.services
        if services.may(action):
            return False
        staff = services.staff
        if staff is not None:
            text = refusal(staff.display_name, staff.role, action)
        else:
            text = _("This board is read-only.")
        self.notify(text, severity="error", markup=False)
        return True

    def action_close_complaint(self) -> None:
        complaint = self.selected()
        if complaint is None or complaint.id is None or self._refused(Action.CLOSE_COMPLAINT):
            return
        ident, version = complaint.id, complaint.version

        def close(reason: str) -> None:
            self._call(self.cc.services.close_complaint, ident, reason, version=version)

        if complaint.satisfied is True:

            def answered(yes: bool | None) -> None:
                if yes:
                    close("")

            self.app.push_screen(
                ConfirmModal(_("Close complaint {number}?").format(number=complaint.number)),
                answered,
            )
            return
        self.app.push_screen(
            TextModal(
                _("Close complaint {number}").format(number=complaint.number),
                _("Reason for closing"),
                placeholder=_("why close it while the customer is not satisfied"),
                hint=_("Only a supervisor closes a complaint. Enter closes it; Esc goes back."),
                empty=_("Give the reason for closing it."),
            ),
            lambda text: close(text) if text else None,
        )

    def action_acknowledge(self) -> None:
        if self._refused(Action.ACKNOWLEDGE_ESCALATION):
            return
        item = self.selected_escalation()
        if item is not None and item.id is not None and not item.acknowledged:
            self._call(self.cc.services.acknowledge_escalation, item.id, version=item.version)

    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        async def run() -> None:
            try:
                result = await asyncio.to_thread(fn, *args, **kwargs)
            except CallCenterError as exc:
                self.notify(error_text(exc, self.cc.tz), severity="error", markup=False)
                self.load()
                return
            number = getattr(result, "number", "")
            status = getattr(result, "status", None)
            if isinstance(status, Status):
                self.notify(
                    _("Complaint {number}: {status}.").format(number=number, status=status.label),
                    markup=False,
                )
            else:
                self.notify(_("Acknowledged."), markup=False)
            self.load()

        self.run_worker(run(), group="complaint-write", exclusive=False)


__all__ = ["AlertKind", "ComplaintsScreen"]
