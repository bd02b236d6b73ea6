"""One case in full: every field, the crew, the SLA clocks and the timeline, with the keys of
its lifecycle (dispatch → en route → on scene → completed → reported back → closed; cancel).
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from callcenter import sla
from callcenter.calls.model import CallTask
from callcenter.domain import Case, CaseEvent, Crew, lifecycle
from callcenter.errors import CallCenterError, NotFound
from callcenter.i18n import N_, _, current_language
from callcenter.permissions import Action
from callcenter.records.model import ServiceRecord, SurveyRecord
from callcenter.settings import data_dir
from callcenter.validation import format_phone
from screens.case.dispatch import margin_text
from screens.kit.actions import CASE_STEPS
from screens.kit.delay_text import DELAY_EVENT_LABELS, delay_event_details
from screens.kit.format import (
    countdown,
    error_text,
    fee_text,
    km_text,
    local_time,
    safe_text,
)
from screens.kit.host import Host, host
from screens.kit.i18n_bindings import translate_bindings
from screens.kit.messages import DataChanged
from screens.kit.permission import RoleKeys
from screens.widgets.modals import ReasonModal
from screens.widgets.text_form import TextField, TextFieldsForm

DATE_TIME = "%Y-%m-%d %H:%M"
SHORT = "%m-%d %H:%M"
DASH = "—"

EVENT_LABELS: dict[str, str] = {
    "received": N_("Call received"),
    "fee_agreed": N_("Owner agreed to the fee"),
    "dispatched": N_("Crew dispatched"),
    "en_route": N_("Crew en route"),
    "arrived": N_("Arrived on scene"),
    "completed": N_("Rescue completed"),
    "reported_back": N_("Crew reported back"),
    "feedback": N_("Feedback call"),
    "closed": N_("Case closed"),
    "cancelled": N_("Cancelled"),
    "delay_notified": N_("Owner told of a delay"),
    "promise_extended": N_("Promise extended by a supervisor"),
    "reassigned": N_("Crew reassigned"),
    "service_record": N_("Service record"),
    "service_recorded": N_("Service record saved"),
    "service_edited": N_("Service record edited"),
    "service_accepted": N_("Owner accepted the service"),
    "service_voided": N_("Service record voided"),
    "call_scheduled": N_("Call scheduled"),
    "call_attempt": N_("Call made"),
    "escalated": N_("Escalated to a supervisor"),
    "imported": N_("Imported from an old ledger"),
    "complaint": N_("Complaint recorded"),
    "repeat_repair": N_("Repeated repair"),
    "revisit": N_("Revisit survey"),
    **DELAY_EVENT_LABELS,  # the delay call (screens/kit/delay_text.py)
}

CHECKLIST_ITEMS: dict[str, str] = {
    "hazard_lights": N_("hazard lights"),
    "warning_sign": N_("warning sign 50–100 m behind"),
    "night_lights": N_("position and rear lights"),
}

STATE_STYLES: dict[sla.ClockState, str] = {
    sla.ClockState.PENDING: "dim",
    sla.ClockState.ON_TRACK: "green",
    sla.ClockState.AT_RISK: "bold yellow",
    sla.ClockState.LATE: "bold red",
    sla.ClockState.MET: "green",
    sla.ClockState.MISSED: "bold red",
}
STATE_MARKERS: dict[sla.ClockState, str] = {
    sla.ClockState.PENDING: "  ",
    sla.ClockState.ON_TRACK: "  ",
    sla.ClockState.AT_RISK: "! ",
    sla.ClockState.LATE: "!!",
    sla.ClockState.MET: "✓ ",
    sla.ClockState.MISSED: "✗ ",
}


def when(instant: datetime | None, tz: tzinfo, fmt: str = SHORT) -> str:
    return DASH if instant is None else local_time(instant, tz, fmt)  # type: ignore[arg-type]


def stamp(instant: datetime | None, now: datetime, tz: tzinfo) -> str:
    """``HH:MM`` on the centre's current day, ``MM-DD HH:MM`` on any other."""
    if instant is None:
        return DASH
    same_day = instant.astimezone(tz).date() == now.astimezone(tz).date()
    return local_time(instant, tz, "%H:%M" if same_day else SHORT)  # type: ignore[arg-type]


def grid() -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(ratio=1, overflow="fold")
    return table


def case_fields(case: Case) -> Table:
    """Who called, about what, where, and the fee — all caller text as plain data."""
    table = grid()
    vehicle = " · ".join(p for p in (case.vehicle_model, case.vehicle_type.label) if p)
    coords = DASH if case.lat is None or case.lon is None else f"{case.lat:.5f}, {case.lon:.5f}"
    if case.fee_agreed:
        fee = Text(fee_text(case.fee_quote) + " · ")
        fee.append(_("agreed by the owner"), style="green")
    else:
        fee = Text(fee_text(case.fee_quote) + " · ")
        fee.append(_("not yet agreed by the owner"), style="bold red")
    rows: list[tuple[str, Text | str]] = [
        (_("Case No."), case.number),
        (_("Status"), case.status.label),
        (_("Priority"), case.priority.label),
        (_("Caller"), case.caller_name),
        (_("Phone"), format_phone(case.phone, case.phone_ext)),
        (_("Plate"), case.plate),
        (_("Vehicle"), vehicle or DASH),
        (_("Location"), case.address),
        (_("Coordinates"), coords),
        (_("Distance"), _("{km} km from the depot").format(km=km_text(case.distance_km))),
        (_("Fault"), case.fault_description),
        (_("Fault category"), case.fault_category.label),
        (_("Rescue plan"), case.plan.label),
        (_("Fee"), fee),
    ]
    if case.cancel_reason:
        rows.append((_("Cancel reason"), case.cancel_reason))
    rows.append((_("Notes"), case.notes or DASH))
    for label, value in rows:
        table.add_row(Text(label), value if isinstance(value, Text) else Text(safe_text(value)))
    return table


def case_times(case: Case, now: datetime, tz: tzinfo, names: dict[str, str] | None = None) -> Group:
    """Every instant of the case in the centre's zone; a step not yet taken shows a dash."""
    table = grid()

    def at(instant: datetime | None) -> str:
        return stamp(instant, now, tz)

    rows: list[tuple[str, str]] = [
        (_("Received"), when(case.received_at, tz, DATE_TIME)),
        (_("Promised arrival"), at(case.promised_arrival_at)),
    ]
    if case.original_promised_at and case.original_promised_at != case.promised_arrival_at:
        rows.append((_("Original promise"), at(case.original_promised_at)))
    if case.agreed_arrival_at:
        rows.append((_("Agreed arrival"), at(case.agreed_arrival_at)))
    if case.fee_agreed_at:
        rows.append((_("Fee agreed"), at(case.fee_agreed_at)))
    if case.owner_notified_at:
        rows.append((_("Owner told of delay"), at(case.owner_notified_at)))
    rows += [
        (_("Dispatched"), at(case.dispatched_at)),
        (_("En route"), at(case.en_route_at)),
        (_("On scene"), at(case.arrived_at)),
        (_("Completed"), at(case.completed_at)),
        (_("Reported back"), at(case.reported_back_at)),
        (_("Feedback call"), at(case.feedback_at)),
        (_("Closed"), at(case.closed_at)),
    ]
    if case.cancelled_at:
        rows.append((_("Cancelled"), at(case.cancelled_at)))
    for label, value in rows:
        table.add_row(Text(label), Text(value))
    footer = Text(
        _("Taken by {who}; last changed by {changer} at {at}.").format(
            who=_name(case.created_by, names),
            changer=_name(case.updated_by, names),
            at=at(case.updated_at),
        ),
        style="dim",
    )
    return Group(table, footer)


def _name(username: str, names: dict[str, str] | None) -> str:
    if not username:
        return DASH
    return (names or {}).get(username, username)


def crew_fields(crew: Crew | None) -> Table | Text:
    if crew is None:
        return Text(_("No crew dispatched yet."), style="dim")
    table = grid()
    vehicle = " · ".join(p for p in (crew.vehicle_plate, crew.vehicle_kind) if p)
    for label, value in (
        (_("Crew"), crew.code),
        (_("Leader"), crew.name),
        (_("Phone"), format_phone(crew.phone)),
        (_("Vehicle"), vehicle or DASH),
        (_("Status"), crew.status.label),
    ):
        table.add_row(Text(label), Text(value))
    return table


def clock_lines(statuses: list[sla.ClockStatus], now: datetime, tz: tzinfo) -> Table | Text:
    """Each SLA clock: its deadline, state (marker, colour and words) and time left or slack."""
    if not statuses:
        return Text(_("No SLA clock applies to this case."), style="dim")
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)  # marker
    table.add_column(style="bold", no_wrap=True)  # kind
    table.add_column(no_wrap=True)  # deadline
    table.add_column(no_wrap=True)  # state
    table.add_column(no_wrap=True)  # left / slack
    for status in statuses:
        style = STATE_STYLES[status.state]
        if status.remaining is None:
            rest = DASH
        elif status.state.is_live:
            left = status.remaining
            rest = (
                _("{time} left").format(time=countdown(left))
                if left.total_seconds() >= 0
                else _("{time} over").format(time=countdown(-left))
            )
        else:
            rest = margin_text(status.remaining)[0]
        table.add_row(
            Text(STATE_MARKERS[status.state], style=style),
            Text(status.kind.label),
            Text(stamp(status.deadline, now, tz)),
            Text(status.state.label, style=style),
            Text(rest, style=style),
        )
    return table


def event_details(event: CaseEvent, now: datetime, tz: tzinfo) -> str:
    """The details of one timeline event, in words."""
    if event.kind in DELAY_EVENT_LABELS:
        return delay_event_details(event, lambda value: _iso_local(value, now, tz))
    details = dict(event.details)
    parts: list[str] = []
    if event.kind == "received":
        promised = details.pop("promised", None)
        if promised:
            parts.append(_("promised arrival {time}").format(time=_iso_local(promised, now, tz)))
    elif event.kind == "fee_agreed" and "fee" in details:
        parts.append(_("fee {fee}").format(fee=_fee(details.pop("fee"))))
    elif event.kind == "reassigned" and "crew" in details:
        parts.append(
            _("{previous} → {crew}").format(
                previous=details.pop("previous", "?"), crew=details.pop("crew")
            )
        )
        details.pop("crew_id", None)
        details.pop("previous_id", None)
        if details.get("reason"):
            parts.append(_("reason: {reason}").format(reason=details.pop("reason")))
        details.pop("reason", None)
    elif event.kind == "dispatched" and "crew" in details:
        parts.append(_("crew {crew}").format(crew=details.pop("crew")))
        details.pop("crew_id", None)
    elif event.kind == "arrived" and isinstance(details.get("checklist"), dict):
        ticked = [_(CHECKLIST_ITEMS.get(k, k)) for k, v in details.pop("checklist").items() if v]
        parts.append(_("safety check: {items}").format(items=_(", ").join(ticked) or DASH))
    elif event.kind == "received" and "also_open" in details:
        parts.append(
            _("a second open case for the plate (case {number} is open): {reason}").format(
                number=details.pop("also_open"), reason=details.pop("reason", "")
            )
        )
    elif event.kind == "promise_extended":
        parts.append(
            _("from {previous} to {promised}").format(
                previous=_iso_local(details.pop("previous", ""), now, tz),
                promised=_iso_local(details.pop("promised", ""), now, tz),
            )
        )
        original = details.pop("original", None)
        if original:
            parts.append(
                _("original promise {time} kept").format(time=_iso_local(original, now, tz))
            )
        parts.append(_("without force majeure"))
        if details.get("reason"):
            parts.append(_("reason: {reason}").format(reason=details.pop("reason")))
        details.pop("reason", None)
    elif event.kind == "cancelled" and "reason" in details:
        parts.append(_("reason: {reason}").format(reason=details.pop("reason")))
    elif event.kind == "imported" and "file" in details:
        parts.append(
            _("{file}, row {row}").format(file=details.pop("file"), row=details.pop("row", "?"))
        )
        changed = details.pop("changed", None)
        if changed:
            parts.append(_("changed: {fields}").format(fields=_(", ").join(map(str, changed))))
    elif event.kind == "repeat_repair":
        details.pop("previous_id", None)
        parts.append(
            _("same vehicle and fault as case {number}").format(number=details.pop("previous", "?"))
        )
    elif event.kind == "complaint":
        from callcenter.complaints.model import Category

        parts.append(str(details.pop("number", "")))
        if "category" in details:
            parts.append(_labelled(Category, details.pop("category")))
    elif event.kind in AFTER_WORK_EVENTS:
        return _("; ").join(after_work_details(event.kind, details, now, tz))
    for key, value in details.items():
        parts.append(f"{key.replace('_', ' ')}: {_iso_local(value, now, tz)}")
    return _("; ").join(parts)


#: The record's fields as the timeline names them when an edit changed them.
RECORD_FIELDS: dict[str, str] = {
    "crew_members": N_("Crew members"),
    "work_started_at": N_("Work started"),
    "work_finished_at": N_("Work finished"),
    "cause": N_("Cause analysis"),
    "solution": N_("Solution"),
    "no_parts": N_("Parts"),
    "parts": N_("Parts"),
    "fees": N_("Fees"),
    "total": N_("Fees"),
    "in_warranty": N_("Warranty"),
    "accepted": N_("Accepted"),
    "accepted_by": N_("Accepted by"),
    "acceptance_method": N_("How"),
    "accepted_at": N_("Accepted at"),
    "acceptance_recorded_by": N_("Accepted"),
    "voided_at": N_("Voided"),
    "voided_by": N_("Voided"),
    "void_reason": N_("Voided"),
}
AFTER_WORK_EVENTS = frozenset(
    {
        "service_recorded",
        "service_edited",
        "service_accepted",
        "service_voided",
        "reported_back",
        "call_scheduled",
        "call_attempt",
        "feedback",
        "escalated",
        "revisit",
    }
)


def _labelled(enum: type[Any], value: Any) -> str:
    try:
        return str(enum(value).label)
    except ValueError:
        return str(value)


def _kind_title(name: Any) -> str:
    from callcenter.calls import kinds

    try:
        return kinds.get(str(name)).title
    except KeyError:
        return str(name)


def after_work_details(kind: str, details: dict[str, Any], now: datetime, tz: tzinfo) -> list[str]:
    """The details of an event after the work, in words (never the raw keys)."""
    from callcenter.calls.model import Outcome, TaskState
    from callcenter.records.model import FeedbackResult, RecordState
    from callcenter.survey import escalation_text

    parts: list[str] = []
    if kind in ("service_recorded", "service_edited", "service_accepted", "service_voided"):
        if "state" in details:
            parts.append(_labelled(RecordState, details["state"]))
        if "version" in details:
            parts.append(_("version {n}").format(n=details["version"]))
        if "total" in details:
            parts.append(_("total {fee}").format(fee=_fee(details["total"])))
        changed = sorted({_(RECORD_FIELDS.get(f, f)) for f in details.get("changed") or []})
        if changed:
            parts.append(_("changed: {fields}").format(fields=_(", ").join(changed)))
        if details.get("by"):
            parts.append(_("accepted by {name}").format(name=details["by"]))
        if details.get("reason"):
            parts.append(_("reason: {reason}").format(reason=details["reason"]))
    elif kind == "reported_back":
        if details.get("back_at"):
            parts.append(_("back {time}").format(time=_iso_local(details["back_at"], now, tz)))
        if "km" in details:
            parts.append(_("{km} km").format(km=details["km"]))
        if "expenses" in details:
            parts.append(_("expenses {fee}").format(fee=_fee(details["expenses"])))
        if details.get("equipment_returned") is False:
            parts.append(_("equipment NOT all returned"))
        for key in ("notes", "follow_up"):
            if details.get(key):
                parts.append(str(details[key]))
    elif kind in ("call_scheduled", "call_attempt"):
        parts.append(_kind_title(details.get("kind", "")))
        if details.get("due"):
            parts.append(_("due {time}").format(time=_iso_local(details["due"], now, tz)))
        if details.get("outcome"):
            parts.append(_labelled(Outcome, details["outcome"]))
        if details.get("state"):
            parts.append(_labelled(TaskState, details["state"]))
        if details.get("note"):
            parts.append(str(details["note"]))
        if details.get("result_answer"):
            parts.append(str(details["result_answer"]))
    elif kind in ("feedback", "escalated", "revisit"):
        if details.get("result"):
            parts.append(_labelled(FeedbackResult, details["result"]))
        if details.get("satisfied") is True:
            parts.append(_("satisfied"))
        elif details.get("satisfied") is False:
            parts.append(_("not satisfied"))
        for code in details.get("escalations") or details.get("reasons") or []:
            parts.append(escalation_text(str(code)))
    return parts


def _fee(value: Any) -> str:
    from decimal import Decimal, InvalidOperation

    try:
        return fee_text(Decimal(str(value)))
    except InvalidOperation:
        return str(value)


def _iso_local(value: Any, now: datetime, tz: tzinfo) -> str:
    """An ISO instant shown in the centre's zone; anything else as it is."""
    if isinstance(value, str):
        try:
            instant = datetime.fromisoformat(value)
        except ValueError:
            return value
        if instant.tzinfo is not None:
            return stamp(instant, now, tz)
        return value
    return str(value)


def timeline_table(
    events: list[CaseEvent], now: datetime, tz: tzinfo, names: dict[str, str] | None = None
) -> Table | Text:
    if not events:
        return Text(_("No events yet."), style="dim")
    table = Table(box=None, padding=(0, 1), show_edge=False, expand=True)
    table.add_column(Text(_("When")), no_wrap=True)
    table.add_column(Text(_("Who")), max_width=12, overflow="fold")
    table.add_column(Text(_("What")), ratio=2, overflow="fold")
    table.add_column(Text(_("Details")), ratio=3, overflow="fold")
    for event in events:
        label = EVENT_LABELS.get(event.kind)
        table.add_row(
            Text(stamp(event.at, now, tz)),
            Text(safe_text(_name(event.actor, names))),
            Text(_(label) if label else safe_text(event.kind.replace("_", " "))),
            Text(safe_text(event_details(event, now, tz), multiline=True)),
        )
    return table


@dataclass
class Loaded:
    case: Case
    events: list[CaseEvent]
    crew: Crew | None
    names: dict[str, str]  # username → display name
    record: ServiceRecord | None = None
    surveys: list[SurveyRecord] = field(default_factory=list)
    feedback: list[CallTask] = field(default_factory=list)


def _plain_row(table: Table, label: str, value: Text | str) -> None:
    """A row of typed text: data, never markup."""
    table.add_row(
        Text(label), value if isinstance(value, Text) else Text(safe_text(value, multiline=True))
    )


def record_fields(loaded: Loaded, tz: tzinfo) -> Table | Text:
    """The service record: what was done, what it cost, whether the owner accepted it, and
    the feedback call — caller text as plain data."""
    record, names = loaded.record, loaded.names
    table = grid()
    if record is None:
        _plain_row(table, _("Record"), Text(_("none yet: c on scene writes it"), style="dim"))
    else:
        state = Text(record.state.label)
        if not record.is_valid:
            state.stylize("bold red")
        else:
            state.stylize("green")
        _plain_row(table, _("Record"), state)
        if record.voided_at is not None:
            _plain_row(
                table,
                _("Voided"),
                f"{names.get(record.voided_by, record.voided_by)} "
                f"{when(record.voided_at, tz)} — {record.void_reason}",
            )
        _plain_row(table, _("Crew members"), record.crew_members)
        _plain_row(
            table,
            _("Work"),
            f"{when(record.work_started_at, tz)} → {when(record.work_finished_at, tz)}",
        )
        _plain_row(table, _("Fault cause"), record.cause)
        _plain_row(table, _("Solution"), record.solution)
        if record.no_parts:
            parts: Text | str = _("No parts replaced")
        else:
            parts = "\n".join(
                f"{p.name} ×{p.quantity} {p.part_number} "
                + (_("genuine") if p.genuine else _("non-genuine"))
                for p in record.parts
            )
        _plain_row(table, _("Parts"), parts)
        fees = " · ".join(f"{line.kind.label} {fee_text(line.amount)}" for line in record.fees)
        _plain_row(table, _("Fees"), f"{fee_text(record.total)} ({fees})")
        _plain_row(
            table, _("Warranty"), _("In warranty") if record.in_warranty else _("Out of warranty")
        )
        if record.accepted:
            method = record.acceptance_method.label if record.acceptance_method else DASH
            by = names.get(record.acceptance_recorded_by, record.acceptance_recorded_by)
            _plain_row(
                table,
                _("Accepted"),
                _("{name}, {how}, {when} (recorded by {who})").format(
                    name=record.accepted_by, how=method, when=when(record.accepted_at, tz), who=by
                ),
            )
        _plain_row(
            table,
            _("Version"),
            _("{n}, by {who} {when}").format(
                n=record.version,
                who=names.get(record.updated_by or record.recorded_by, record.recorded_by),
                when=when(record.updated_at or record.recorded_at, tz),
            ),
        )
    if loaded.feedback:
        task = loaded.feedback[-1]
        text = f"{task.state.label} · " + _("tries {n}").format(n=task.attempts)
        if task.is_open:
            text += " · " + _("next {when}").format(when=when(task.try_at, tz))
        _plain_row(table, _("Feedback call"), text)
    if loaded.surveys:
        survey = loaded.surveys[-1]
        result = Text(survey.result.label)
        if survey.satisfied is False or survey.escalations:
            result.stylize("bold red")
        if survey.answers:
            result.append("  " + " ".join(f"{k[1:]}:{v}" for k, v in survey.answers.items()))
        _plain_row(table, _("Survey"), result)
        if survey.comment:
            _plain_row(table, _("Comment"), survey.comment)
    return table


class CaseDetailScreen(RoleKeys, Screen[None]):
    """A case in full, live: refreshed whenever any session changes it."""

    CSS_PATH = "detail.tcss"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    BINDINGS = [
        Binding("d", "dispatch", "Dispatch"),
        Binding("r", "en_route", "En route"),
        Binding("a", "arrive", "Arrived"),
        Binding("c", "complete", "Completed"),
        Binding("b", "report_back", "Reported back"),
        Binding("l", "close_case", N_("Close case")),
        Binding("x", "cancel", "Cancel case"),
        Binding("f", "agree_fee", "Fee agreed"),
        Binding("e", "edit_record", N_("Record")),
        Binding("p", "print_record", N_("Owner's copy")),
        Binding("V", "void_record", N_("Void the record")),
        Binding("K", "new_complaint", N_("Complaint")),
        Binding("h", "promise", N_("Call back")),
        Binding("R", "reassign", N_("Reassign")),
        Binding("T", "extend_promise", N_("Extend the promise")),
        Binding("escape", "back", N_("Go back")),
    ]

    def __init__(self, case_id: int) -> None:
        super().__init__()
        translate_bindings(self)
        self.case_id = case_id
        self.case: Case | None = None
        self.crew: Crew | None = None
        self.events: list[CaseEvent] = []
        self.record: ServiceRecord | None = None
        self.feedback: list[CallTask] = []
        #: What was typed for an extension of the promise that was refused: offered again.
        self.typed_extension: dict[str, str] = {}

    @property
    def cc(self) -> Host:
        return host(self)

    def compose(self) -> ComposeResult:
        yield Static(Text(_("Loading…")), id="detail-header")
        with VerticalScroll(id="detail-scroll"), Horizontal(id="detail-columns"):
            with Vertical(id="detail-left", classes="detail-column"):
                yield Static(id="detail-case", classes="detail-box")
                yield Static(id="detail-times", classes="detail-box")
                yield Static(id="detail-record", classes="detail-box")
            with Vertical(id="detail-right", classes="detail-column"):
                yield Static(id="detail-crew", classes="detail-box")
                yield Static(id="detail-sla", classes="detail-box")
                yield Static(id="detail-timeline", classes="detail-box")
        yield Footer()

    def on_mount(self) -> None:
        titles = {
            "#detail-case": _("Case"),
            "#detail-times": _("Times"),
            "#detail-record": _("Service record and feedback"),
            "#detail-crew": _("Crew"),
            "#detail-sla": _("SLA clocks"),
            "#detail-timeline": _("Timeline"),
        }
        for selector, title in titles.items():
            self.query_one(selector).border_title = title
        self.query_one("#detail-scroll").focus()
        self.load()
        self.set_interval(1.0, self.show_clocks)

    # -- loading ---------------------------------------------------------------------
    def read(self) -> Loaded:
        """Everything the screen shows, read in one go (runs in a thread)."""
        services = self.cc.services
        case = services.case(self.case_id)
        events = services.timeline(self.case_id)
        crew = None
        if case.crew_id is not None:
            crew = next((c for c in services.crews() if c.id == case.crew_id), None)
        record = services.service_record(self.case_id)
        surveys = services.surveys(self.case_id) if case.completed_at else []
        feedback = services.feedback_tasks(self.case_id) if case.completed_at else []
        users = {e.actor for e in events} | {case.created_by, case.updated_by}
        if record is not None:
            users |= {
                record.recorded_by,
                record.updated_by,
                record.voided_by,
                record.acceptance_recorded_by,
            }
        names = {u: services.display_name(u) for u in users if u}
        return Loaded(case, events, crew, names, record, surveys, feedback)

    @work(exclusive=True, group="case-detail-load", exit_on_error=False)
    async def load(self) -> None:
        try:
            loaded = await asyncio.to_thread(self.read)
        except NotFound as exc:
            self.notify(str(exc), severity="error", markup=False)
            self.app.pop_screen()
            return
        except CallCenterError as exc:
            self.notify(error_text(exc, self.cc.tz), severity="error", markup=False)
            return
        self.show(loaded)

    def show(self, loaded: Loaded) -> None:
        self.case, self.events, self.crew = loaded.case, loaded.events, loaded.crew
        case, tz = loaded.case, self.cc.tz
        # The essentials first: on a small terminal the rest is a scroll away.
        header = Text(no_wrap=True, overflow="ellipsis")
        header.append(_("Case {number}").format(number=case.number), style="bold")
        header.append("  ")
        header.append(f" {case.status.label} ", style="reverse")
        header.append("  ")
        header.append(
            _("Promised arrival {time}").format(time=when(case.promised_arrival_at, tz, "%H:%M"))
        )
        if loaded.crew is not None:
            header.append("  ")
            header.append(loaded.crew.code, style="bold")
        for part in (case.plate, case.priority.label, case.caller_name):
            header.append("  ")
            header.append(part)
        self.query_one("#detail-header", Static).update(header)
        self.query_one("#detail-case", Static).update(case_fields(case))
        now = self.cc.clock_now()
        self.query_one("#detail-times", Static).update(case_times(case, now, tz, loaded.names))
        self.query_one("#detail-crew", Static).update(crew_fields(loaded.crew))
        self.query_one("#detail-record", Static).update(record_fields(loaded, tz))
        self.query_one("#detail-record").set_class(
            loaded.record is not None and not loaded.record.is_valid, "-invalid"
        )
        self.record = loaded.record
        self.feedback = loaded.feedback
        self.query_one("#detail-timeline", Static).update(
            timeline_table(loaded.events, now, tz, loaded.names)
        )
        self.set_class(not case.is_open, "-finished")
        self.show_clocks()

    def show_clocks(self) -> None:
        if self.case is None:
            return
        now = self.cc.clock_now()
        try:
            statuses = sla.clocks(self.cc.services.policy, self.case, now, self.cc.tz)
        except CallCenterError as exc:
            self.query_one("#detail-sla", Static).update(Text(str(exc)))
            return
        self.query_one("#detail-sla", Static).update(clock_lines(statuses, now, self.cc.tz))

    def on_data_changed(self, message: DataChanged) -> None:
        known = {("record", self.record.id)} if self.record is not None else set()
        known |= {("call_task", t.id) for t in self.feedback}
        if any((c.entity, c.entity_id) in known for c in message.changes):
            self.load()  # a call of this case was made, its record changed
            return
        if any(c.id == self.case_id for c in message.cases) or (
            self.case is not None
            and self.case.crew_id is not None
            and any(c.id == self.case.crew_id for c in message.crews)
        ):
            self.load()

    # -- actions ---------------------------------------------------------------------
    def action_new_complaint(self) -> None:
        """Record a complaint about this case (客户投诉): its caller and crew pre-filled."""
        self.cc.open_complaint_form(case_id=self.case_id)

    def action_dispatch(self) -> None:
        case = self.case
        if case is None:
            return
        if not lifecycle.allows(Action.DISPATCH, case.status):
            self.notify(
                _("Case {number} is {status}; only a received case can be dispatched.").format(
                    number=case.number, status=case.status.label
                ),
                severity="error",
            )
            return
        self.cc.open_dispatch(case, self._dispatched)

    def _dispatched(self, result: int | None) -> None:
        self.load()

    def action_reassign(self) -> None:
        """Give the case another crew (a supervisor), with a reason."""
        case = self.case
        if case is None:
            return
        if not lifecycle.allows(Action.REASSIGN_CREW, case.status) or case.crew_id is None:
            self.notify(
                _(
                    "Case {number} is {status}: only a case a crew is on its way to can be "
                    "given another crew."
                ).format(number=case.number, status=case.status.label),
                severity="error",
                markup=False,
            )
            return
        self.cc.open_reassign(case, self._dispatched)

    def action_extend_promise(self) -> None:
        """A later promised arrival without force majeure (a supervisor), with a reason."""
        case = self.case
        if case is None or case.id is None:
            return
        tz = self.cc.tz
        if not case.is_open or case.arrived_at is not None or case.promised_arrival_at is None:
            self.notify(
                _(
                    "Case {number} is {status}: only the promise of a crew not yet on scene "
                    "can be extended."
                ).format(number=case.number, status=case.status.label),
                severity="error",
                markup=False,
            )
            return
        services = self.cc.services
        case_id, version = case.id, case.version
        typed = self.typed_extension

        def save(values: dict[str, str]) -> Case:
            typed.update(values)
            return services.extend_promise(
                case_id, values["promise"], values["reason"], version=version
            )

        def done(result: Case | None) -> None:
            if result is not None:
                typed.clear()
                self.notify(
                    _(
                        "{number}: promised arrival {new}; the original promise {original} is kept."
                    ).format(
                        number=result.number,
                        new=when(result.promised_arrival_at, tz, "%H:%M"),
                        original=when(result.original_promised_at, tz, "%H:%M"),
                    ),
                    markup=False,
                )
            self.load()

        original = case.original_promised_at or case.promised_arrival_at
        self.app.push_screen(
            TextFieldsForm(
                _("Extend the promise of case {number}").format(number=case.number),
                [
                    TextField(
                        "promise",
                        _("New promise"),
                        _("e.g. 15:40 · 2026-12-04 15:40"),
                        typed.get("promise", ""),
                        max_length=40,
                    ),
                    TextField(
                        "reason",
                        _("The reason"),
                        _("e.g. no crew free nearer; the owner agreed"),
                        typed.get("reason", ""),
                    ),
                ],
                save,
                note=_(
                    "Promised {promise} (original {original}, kept). Without force majeure: a "
                    "supervisor's decision, in the timeline and the audit log."
                ).format(
                    promise=when(case.promised_arrival_at, tz, "%H:%M"),
                    original=when(original, tz, "%H:%M"),
                ),
                required=("promise", "reason"),
            ),
            done,
        )

    def action_case(self, action: str) -> None:
        """Run lifecycle step ``action`` (an Action value) on the case shown."""
        if self.case is not None:
            self.perform(action, self.case)

    def action_en_route(self) -> None:
        self.action_case(CASE_STEPS["en_route"])

    def action_arrive(self) -> None:
        self.action_case(CASE_STEPS["arrive"])

    def action_complete(self) -> None:
        if self.case is not None:
            self.cc.open_record(self.case, self._reload)

    def action_edit_record(self) -> None:
        """The service record: written on scene, edited afterwards (every version kept)."""
        if self.case is not None:
            self.cc.open_record(self.case, self._reload)

    def action_print_record(self) -> None:
        """The owner's copy of the service record, as a PDF in the user's data directory."""
        if self.case is None or self.record is None:
            self.notify(_("This case has no service record yet."), severity="error")
            return
        self.print_copy(self.case)

    @work(thread=True, group="case-print", exit_on_error=False)
    def print_copy(self, case: Case) -> None:
        from callcenter.records.pdf import owner_copy_pdf

        try:
            copy = self.cc.services.owner_copy(case.id or 0)
            data = owner_copy_pdf(copy, lang=current_language())
            folder = data_dir() / "copies"
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / f"{case.number}.pdf"
            partial = folder / f".{case.number}.pdf.part"
            partial.write_bytes(data)
            os.replace(partial, target)
        except (CallCenterError, OSError) as exc:
            message = error_text(exc, self.cc.tz) if isinstance(exc, CallCenterError) else str(exc)
            self.app.call_from_thread(
                self.notify, message, severity="error", timeout=10, markup=False
            )
            return
        self.app.call_from_thread(
            self.notify,
            _("Owner's copy written to {file}").format(file=target),
            timeout=15,
            markup=False,
        )

    def action_void_record(self) -> None:
        """A supervisor voids the service record, with a reason (audited)."""
        if self.case is None or self.record is None:
            self.notify(_("This case has no service record yet."), severity="error")
            return
        self.void(self.case, self.record)

    @work(group="case-action", exit_on_error=False)
    async def void(self, case: Case, record: ServiceRecord) -> None:
        services = self.cc.services
        if not services.may(Action.VOID_RECORD):
            self.notify(
                _("Only a supervisor may void a service record."), severity="error", markup=False
            )
            return
        reason = await self.app.push_screen_wait(
            ReasonModal(
                _("Void the service record of case {number}").format(number=case.number),
                _("Why is it void?"),
                placeholder=_("e.g. signed by someone who is not the owner"),
                hint=_("Enter voids the record; Esc goes back."),
                empty=_("Give the reason."),
            )
        )
        if reason is None:
            return
        try:
            await asyncio.to_thread(
                services.void_record, case.id or 0, reason, record_version=record.version
            )
        except CallCenterError as exc:
            self.notify(error_text(exc, self.cc.tz), severity="error", markup=False)
        else:
            self.notify(
                _("{number}: service record voided.").format(number=case.number),
                severity="warning",
            )
        self.load()

    def action_report_back(self) -> None:
        if self.case is not None:
            self.cc.open_report_back(self.case, self._reload)

    def _reload(self, _result: object) -> None:
        self.load()

    def action_promise(self) -> None:
        """Promise the owner a call back at a time (约定期间内做回访): on the desk then."""
        case = self.case
        if case is not None:
            about = f"{case.number} {case.caller_name}".strip()
            self.cc.open_promise(case_id=case.id, about=about, done=self._reload)

    def action_close_case(self) -> None:
        self.action_case(CASE_STEPS["close_case"])

    def action_cancel(self) -> None:
        self.action_case(CASE_STEPS["cancel"])

    def action_agree_fee(self) -> None:
        self.action_case(CASE_STEPS["agree_fee"])

    @work(group="case-action", exit_on_error=False)
    async def perform(self, action: str, case: Case) -> None:
        await self.cc.run_case_action(self, action, case)
        self.load()

    def action_back(self) -> None:
        self.app.pop_screen()
