"""The tariff and the SLA policy in force (read only): every clock with what starts and stops
it, its target (minutes, or distance bands), office hours and at-risk warning, per priority
where they differ; the fee per rescue plan; the complaint clocks. From the policy as loaded
(``services.policy``: the preset or the site's own file), so it says what the clocks count.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from callcenter import sla
from callcenter.domain import Priority, RescuePlan
from callcenter.i18n import N_, _
from screens.kit.format import fee_text, km_text
from screens.kit.host import Host, host
from screens.kit.i18n_bindings import translate_bindings

EVENT_LABELS: dict[sla.ClockEvent, str] = {
    sla.ClockEvent.RECEIVED: N_("Call received"),
    sla.ClockEvent.DISPATCHED: N_("Crew dispatched"),
    sla.ClockEvent.ARRIVED: N_("Arrived on scene"),
    sla.ClockEvent.COMPLETED: N_("Rescue completed"),
    sla.ClockEvent.FEEDBACK: N_("Feedback call"),
}
DAY_NAMES = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))


def duration(minutes: int) -> str:
    """``5 min``, ``2 h``, ``1 h 30 min`` (``5 分钟``, ``2 小时`` …)."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return _("{n} min").format(n=rest)
    if not rest:
        return _("{n} h").format(n=hours)
    return _("{h} h {m} min").format(h=hours, m=rest)


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def target_text(rule: sla.ClockRule) -> str:
    """The clock's target: its minutes, or each distance band's."""
    if rule.minutes is not None:
        return duration(rule.minutes)
    parts: list[str] = []
    for band in rule.bands:
        agreed = _("the time agreed with the owner")
        what = agreed if band.agreed else duration(band.minutes or 0)
        if band.max_km is None:
            parts.append(_("beyond: {what}").format(what=what))
        else:
            parts.append(_("≤ {km} km: {what}").format(km=km_text(band.max_km), what=what))
    return _("; ").join(parts)


def clock_table(rules: Sequence[sla.ClockRule]) -> Table:
    table = Table(box=None, padding=(0, 1), show_edge=False, expand=True)
    table.add_column(Text(_("Clock")), no_wrap=True, style="bold")
    table.add_column(Text(_("From → to")), ratio=2, overflow="fold")
    table.add_column(Text(_("Target")), ratio=3, overflow="fold")
    table.add_column(Text(_("Counts")), no_wrap=True)
    table.add_column(Text(_("At risk")), no_wrap=True)
    for rule in rules:
        span = _("{start} → {end}").format(
            start=_(EVENT_LABELS[rule.start]), end=_(EVENT_LABELS[rule.end])
        )
        target = target_text(rule)
        if rule.plans is not None:
            plans = _(", ").join(p.label for p in RescuePlan if p in rule.plans)
            target = _("{target} (only {plans})").format(target=target, plans=plans)
        counts = _("office hours") if rule.business_hours else _("24 h a day")
        table.add_row(
            Text(rule.kind.label),
            Text(span),
            Text(target),
            Text(counts),
            Text(_("last {time}").format(time=duration(_minutes(rule.at_risk)))),
        )
    if not rules:
        table.add_row(Text("—"), Text(""), Text(""), Text(""), Text(""))
    return table


def policy_view(policy: sla.Policy) -> RenderableType:
    """Everything the policy sets, as text in the interface language."""
    parts: list[RenderableType] = []
    title = Text(no_wrap=False)
    title.append(_("Policy in force: "), style="bold")
    title.append(sla.policy_title(policy.name, policy.title), style="bold")
    title.append(f"  ({policy.name})", style="dim")
    parts.append(title)
    source = Path(policy.source)
    where = (
        _("shipped preset {file}")
        if source.parent == sla.PRESETS_DIR
        else _("the centre's own file {file}")
    )
    parts.append(Text(where.format(file=source.name), style="dim"))
    hours = policy.business_hours
    if hours is not None:
        days = _(", ").join(_(DAY_NAMES[d]) for d in sorted(hours.days))
        line = _("Office hours: {days} {start}–{end}").format(
            days=days, start=hours.start.strftime("%H:%M"), end=hours.end.strftime("%H:%M")
        )
        if hours.holidays:
            line += _("; {n} public holidays closed").format(n=len(hours.holidays))
        parts.append(Text(line))
    # The clocks: once when every priority has the same, else per priority.
    by_priority = {p: policy.rules(p) for p in Priority}
    distinct = {tuple(rules) for rules in by_priority.values()}
    parts.append(Text(""))
    if len(distinct) == 1:
        parts.append(Text(_("SLA clocks"), style="bold underline"))
        parts.append(clock_table(policy.rules()))
    else:
        for priority in Priority:
            parts.append(
                Text(
                    _("SLA clocks — {priority}").format(priority=priority.label),
                    style="bold underline",
                )
            )
            parts.append(clock_table(by_priority[priority]))
    parts.append(Text(""))
    parts.append(Text(_("Fee tariff (yuan per rescue plan)"), style="bold underline"))
    tariff = Table(box=None, padding=(0, 2), show_edge=False)
    tariff.add_column(Text(_("Rescue plan")), no_wrap=True)
    tariff.add_column(Text(_("Fee")), justify="right", no_wrap=True)
    for plan in RescuePlan:
        tariff.add_row(Text(plan.label), Text(fee_text(policy.tariff[plan])))
    parts.append(tariff)
    parts.append(
        Text(
            _(
                "Told to the owner before dispatch and pre-filled at intake; fuel delivery "
                "adds the fuel itself."
            ),
            style="dim",
        )
    )
    complaints = policy.complaints
    parts.append(Text(""))
    parts.append(Text(_("Complaints"), style="bold underline"))
    rows = Table.grid(padding=(0, 2))
    rows.add_column(no_wrap=True)
    rows.add_column()
    for label, minutes, risk in (
        (
            _("Responsible person told"),
            complaints.notify_minutes,
            complaints.notify_at_risk_minutes,
        ),
        (_("Plan made"), complaints.plan_minutes, complaints.plan_at_risk_minutes),
        (
            _("Resolved, customer called back"),
            complaints.resolve_minutes,
            complaints.resolve_at_risk_minutes,
        ),
    ):
        rows.add_row(
            Text(label),
            Text(
                _("within {time} (at risk in the last {risk})").format(
                    time=duration(minutes), risk=duration(risk)
                )
            ),
        )
    rows.add_row(
        Text(_("Repeated repair")),
        Text(
            _("same plate and fault within {n} days of a completed case").format(
                n=complaints.repeat_repair_days
            )
        ),
    )
    rows.add_row(
        Text(_("Repeated complaints")),
        Text(
            _("a second complaint against a crew within {n} days goes to the supervisors").format(
                n=complaints.crew_repeat_days
            )
        ),
    )
    parts.append(rows)
    return Group(*parts)


class PolicyScreen(Screen[None]):
    """The tariff and policy in force, read only."""

    CSS_PATH = "policy.tcss"
    BINDINGS = [Binding("escape", "back", N_("Go back"))]

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)

    @property
    def cc(self) -> Host:
        return host(self)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="policy-scroll"):
            yield Static(policy_view(self.cc.services.policy), id="policy-text")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#policy-scroll").focus()

    def action_back(self) -> None:
        self.app.pop_screen()
