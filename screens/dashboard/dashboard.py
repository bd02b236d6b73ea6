"""The KPI dashboard (F10): a month's figures against the month before and the same month a
year before, and its charts — arrivals on time per day, response p50/p90 per day, delays by
reason, satisfaction by week.

PgUp/PgDn choose the month (T: this month). Enter on a figure of the headline, a day of a
chart or a row of a list lists the cases behind it; Enter there opens the case. The figures
are read again (at most every few seconds) when other sessions change the data of the months
shown. From 120 columns the charts stand two by two; below, one under another (scrolled).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container
from textual.content import Content
from textual.events import Resize
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Static

from callcenter.errors import CallCenterError
from callcenter.i18n import N_, _
from callcenter.reports.dashboard import (
    HEADLINE,
    Dashboard,
    Figure,
    Headline,
    Month,
    Period,
    Pick,
    reason_label,
)
from screens.dashboard.charts import (
    BarItem,
    BarList,
    ChartMoved,
    ChartPicked,
    DayChart,
    DayColumn,
)
from screens.kit.format import error_text, local_time
from screens.kit.host import Host, host
from screens.kit.i18n_bindings import translate_bindings
from screens.kit.messages import DataChanged

if TYPE_CHECKING:
    from textual.widget import Widget

#: From this width the charts stand two by two.
WIDE = 120
#: Changes of other sessions are read at most this often (seconds).
REFRESH_AFTER_S = 3.0
PERIODS = (Period.THIS, Period.LAST, Period.YEAR_AGO)


def percent_text(part: int, whole: int) -> str:
    """``93.4% (412/441)`` / ``—``."""
    if not whole:
        return "—"
    return _("{percent}% ({part}/{whole})").format(
        percent=f"{100 * part / whole:.1f}", part=part, whole=whole
    )


def minutes_text(value: float | None) -> str:
    if value is None:
        return "—"
    return _("{minutes} min").format(minutes=f"{value:.1f}")


def figure_text(figure: Figure, head: Headline | None) -> str:
    """The headline cell of ``figure`` for one period (``—``: no data that month)."""
    if head is None:
        return "—"
    if figure is Figure.CALLS:
        return str(head.calls)
    if figure is Figure.ON_TIME:
        return percent_text(head.on_time, head.arrived)
    if figure is Figure.ON_TIME_ORIGINAL:
        return percent_text(head.on_time_original, head.arrived_original)
    if figure is Figure.RESPONSE_P50:
        return minutes_text(head.p50)
    if figure is Figure.RESPONSE_P90:
        return minutes_text(head.p90)
    if figure is Figure.SATISFACTION:
        return percent_text(head.rate.satisfied, head.rate.answered)
    if figure is Figure.NOT_SURVEYED:
        return _("{not_reached} / {refused}").format(
            not_reached=head.not_reached, refused=head.refused
        )
    return str(head.complaints)


def day_text(day: date) -> str:
    return _("{month}-{day:02d}").format(month=f"{day.month:02d}", day=day.day)


class DashboardScreen(Screen[None]):
    """The headline on top, the four charts below, one line saying where the cursor is."""

    CSS_PATH = "dashboard.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", N_("Go back")),
        Binding(
            "pageup", "previous_month", N_("Previous month"), key_display="PgUp", priority=True
        ),
        Binding("pagedown", "next_month", N_("Next month"), key_display="PgDn", priority=True),
        Binding("t", "this_month", N_("This month")),
        Binding("f1", "app.help", N_("Help")),
    ]
    read_only_safe = True

    def __init__(self, month: Month | None = None) -> None:
        super().__init__()
        translate_bindings(self)
        self.month = month
        self.data: Dashboard | None = None
        #: Whether the other months' headlines have been read (until then: "…").
        self.compared = False
        #: When the frame with the month's figures was painted (``time.monotonic``; the
        #: bench's measure), None until then.
        self.painted: float | None = None
        self._refresh_timer: Timer | None = None

    @property
    def cc(self) -> Host:
        return host(self)

    def compose(self) -> ComposeResult:
        yield Static("", id="db-title")
        table: DataTable[Text] = DataTable(id="db-head", cursor_type="cell", zebra_stripes=False)
        yield table
        with Container(id="db-charts"):
            yield DayChart(top=100, label=lambda v: f"{v:.0f}%", id="db-on-time")
            yield DayChart(label=lambda v: f"{v:g}", id="db-response")
            yield BarList(id="db-delays")
            yield BarList(top=100, id="db-satisfaction")
        yield Static("", id="db-status")
        yield Footer()

    def on_mount(self) -> None:
        titles = {
            "db-on-time": _("On-time arrival per day (%)"),
            "db-delays": _("Delays by reason (cases)"),
            "db-satisfaction": _("Satisfaction by week"),
        }
        for ident, title in titles.items():
            self.query_one(f"#{ident}").border_title = title
        response = self.query_one("#db-response")
        response.border_title = Content.assemble(
            _("Response per day (min):") + " ",
            ("█", "$primary"),
            " p50 ",
            ("█", "$warning"),
            " p90",
        )
        table = self.query_one("#db-head", DataTable)
        self.month = self.month or self.cc.services.current_month()
        self._layout(self.size.width)
        table.focus()
        self.load()

    @on(Resize)
    def _resized(self, event: Resize) -> None:
        self._layout(event.size.width)

    def _layout(self, width: int) -> None:
        self.set_class(width < WIDE, "-compact")

    # -- reading ----------------------------------------------------------------------------
    @work(exclusive=True, group="dashboard", exit_on_error=False)
    async def load(self) -> None:
        """The month first (its charts, this month's column); once that frame is painted, the
        months it is compared with (:meth:`compare`): the screen waits for one month's
        reading, not three."""
        month = self.month
        assert month is not None
        self._title(month, loading=True)
        services = self.cc.services
        try:
            data = await asyncio.to_thread(partial(services.dashboard, month, compare=False))
        except CallCenterError as exc:
            self.status(error_text(exc, self.cc.tz))
            return
        if month != self.month:
            return
        self.compared = False
        self.painted = None
        self.show(data)
        self.call_after_refresh(self._painted, month)

    def _painted(self, month: Month) -> None:
        self.painted = time.monotonic()
        self.compare(month)

    @work(exclusive=True, group="dashboard-compare", exit_on_error=False)
    async def compare(self, month: Month) -> None:
        try:
            compared = await asyncio.to_thread(self.cc.services.compared_headlines, month)
        except CallCenterError as exc:
            self.status(error_text(exc, self.cc.tz))
            return
        if month != self.month or self.data is None or self.data.month != month:
            return
        self.compared = True
        self.data = replace(self.data, headlines={**self.data.headlines, **compared})
        self._headline(self.data)
        self._say_where()

    def show(self, data: Dashboard) -> None:
        first = self.data is None or self.data.month != data.month
        self.data = data
        self._title(data.month)
        self._headline(data)
        today = self.cc.clock_now().astimezone(self.cc.tz).date()
        shown = [d for d in data.days if d.day <= today] or data.days[:1]
        on_time = self.query_one("#db-on-time", DayChart)
        response = self.query_one("#db-response", DayChart)
        cursor = len(shown) - 1 if first else None
        on_time.show(
            [DayColumn(d.day, (d.on_time_percent,)) for d in data.days[: len(shown)]], cursor
        )
        response.show([DayColumn(d.day, (d.p50, d.p90)) for d in data.days[: len(shown)]], cursor)
        self.query_one("#db-delays", BarList).show(
            [
                BarItem(
                    d.label,
                    d.cases,
                    _("{n} (late {late}, extended {extended})").format(
                        n=d.cases, late=d.late, extended=d.extended
                    ),
                    bad=True,
                )
                for d in data.delays
            ],
            _("No late or extended case this month."),
        )
        target = data.target_percent
        self.query_one("#db-satisfaction", BarList).show(
            [
                BarItem(
                    _("{first}–{last}").format(first=day_text(w.first), last=day_text(w.last)),
                    w.rate.percent,
                    _("{rate} · not reached {not_reached} · refused {refused}").format(
                        rate=percent_text(w.rate.satisfied, w.rate.answered),
                        not_reached=w.not_reached,
                        refused=w.refused,
                    ),
                    bad=target is not None and w.rate.meets(target) is False,
                )
                for w in data.weeks
            ]
        )
        self._say_where()

    def _headline(self, data: Dashboard) -> None:
        table = self.query_one("#db-head", DataTable)
        row, column = table.cursor_coordinate
        rows: list[list[str]] = []
        for figure in HEADLINE:
            label = figure.label
            if figure is Figure.SATISFACTION and data.target_percent is not None:
                label = _("{figure} (target {target}%)").format(
                    figure=label, target=f"{data.target_percent:g}"
                )
            rows.append([label, *(self._cell_text(figure, data, p) for p in PERIODS)])
        # Columns as wide as their widest cell (in terminal cells), set with the rows: the
        # header never changes width after it is first drawn.
        header = [_("Figure"), *(p.label for p in PERIODS)]
        widths = [max(cell_len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        table.clear(columns=True)
        for index, (label, width) in enumerate(zip(header, widths, strict=True)):
            table.add_column(
                Text(label, justify="left" if index == 0 else "right"), width=width, key=str(index)
            )
        for figure, cells in zip(HEADLINE, rows, strict=True):
            table.add_row(
                Text(cells[0]),
                *(Text(cell, justify="right") for cell in cells[1:]),
                key=figure.value,
            )
        table.move_cursor(row=row, column=column, animate=False)

    def _cell_text(self, figure: Figure, data: Dashboard, period: Period) -> str:
        if period is not Period.THIS and not self.compared:
            return "…"
        return figure_text(figure, data.headlines.get(period))

    def _title(self, month: Month, *, loading: bool = False) -> None:
        title = _("KPI dashboard · {month}").format(month=month.label)
        now = self.cc.clock_now()
        if month == Month.of(now, self.cc.tz):
            title = _("{title} (up to {time})").format(
                title=title, time=local_time(now, self.cc.tz, "%m-%d %H:%M")
            )
        if loading:
            title = _("{title} · reading…").format(title=title)
        self.query_one("#db-title", Static).update(Content(title))

    def status(self, message: str) -> None:
        self.query_one("#db-status", Static).update(Content(message))

    # -- where the cursor is ----------------------------------------------------------------
    @on(ChartMoved)
    def _moved(self, event: ChartMoved) -> None:
        event.stop()
        self._say_where()

    @on(DataTable.CellHighlighted, "#db-head")
    def _cell(self) -> None:
        self._say_where()

    def _say_where(self) -> None:
        """One line on what the focused figure is, with its exact counts."""
        data = self.data
        focused = self.focused
        if data is None or focused is None:
            return
        pick = self._pick_of(focused)
        text = ""
        if isinstance(focused, DayChart) and focused.columns:
            day = data.days[focused.cursor]
            if focused.id == "db-on-time":
                text = _("{day}: on time {figure} · {calls} calls").format(
                    day=day_text(day.day),
                    figure=percent_text(day.on_time, day.arrived),
                    calls=day.calls,
                )
            else:
                text = _("{day}: response p50 {p50} · p90 {p90} · {n} dispatched").format(
                    day=day_text(day.day),
                    p50=minutes_text(day.p50),
                    p90=minutes_text(day.p90),
                    n=day.responses,
                )
        elif isinstance(focused, BarList) and focused.items:
            item = focused.items[focused.cursor]
            text = f"{item.label}: {item.text}"
        elif isinstance(focused, DataTable):
            figure, period = self._cell_pick()
            month = period.month(data.month)
            text = _("{figure}, {month}: {value}").format(
                figure=figure.label, month=month.label, value=self._cell_text(figure, data, period)
            )
        if pick is not None:
            text = _("{text} · Enter: its cases").format(text=text)
        self.status(text)

    def _cell_pick(self) -> tuple[Figure, Period]:
        table = self.query_one("#db-head", DataTable)
        row, column = table.cursor_coordinate
        figure = HEADLINE[max(0, min(row, len(HEADLINE) - 1))]
        period = PERIODS[max(0, column - 1)]
        return figure, period

    def _pick_of(self, widget: Widget) -> Pick | None:
        """What Enter on ``widget`` drills into (None: nothing there)."""
        data = self.data
        if data is None:
            return None
        if isinstance(widget, DataTable):
            figure, period = self._cell_pick()
            if self.compared and data.headlines.get(period) is None:
                return None  # that month has no data
            return Pick(figure, period.month(data.month))
        if isinstance(widget, DayChart) and widget.columns:
            day = widget.columns[widget.cursor].day
            figure = Figure.ON_TIME if widget.id == "db-on-time" else Figure.RESPONSE_P90
            return Pick(figure, data.month, day, day)
        if isinstance(widget, BarList) and widget.items:
            if widget.id == "db-delays":
                return Pick(Figure.DELAYS, data.month, key=data.delays[widget.cursor].reason)
            week = data.weeks[widget.cursor]
            return Pick(Figure.SATISFACTION, data.month, week.first, week.last)
        return None

    # -- drilling down ----------------------------------------------------------------------
    @on(ChartPicked)
    def _picked(self, event: ChartPicked) -> None:
        event.stop()
        self._drill(event.chart)

    @on(DataTable.CellSelected, "#db-head")
    def _selected(self, event: DataTable.CellSelected) -> None:
        event.stop()
        self._drill(self.query_one("#db-head", DataTable))

    def _drill(self, widget: Widget) -> None:
        from screens.dashboard.drill import CasesBehindScreen

        pick = self._pick_of(widget)
        if pick is None:
            self.status(_("No data for that month."))
            return
        self.app.push_screen(CasesBehindScreen(pick, scope_text(pick)))

    # -- the month --------------------------------------------------------------------------
    def _go(self, month: Month) -> None:
        self.month = month
        self.load()

    def action_previous_month(self) -> None:
        assert self.month is not None
        self._go(self.month.previous())

    def action_next_month(self) -> None:
        """The next month, up to this one: a month still to come has no figures."""
        assert self.month is not None
        following = self.month.next()
        if following > self.cc.services.current_month():
            self.status(_("This is the current month."))
            return
        self._go(following)

    def action_this_month(self) -> None:
        self._go(self.cc.services.current_month())

    def action_back(self) -> None:
        self.dismiss(None)

    # -- live -------------------------------------------------------------------------------
    @on(DataChanged)
    def _changed(self, _event: DataChanged) -> None:
        """Another session changed something: read the figures again, a little later (the
        changes of a busy minute come in one reading)."""
        if self.month is None or self._refresh_timer is not None:
            return
        now = self.cc.services.current_month()
        if self.month not in (now, now.next()):  # the shown month, or last month's headline
            return
        self._refresh_timer = self.set_timer(REFRESH_AFTER_S, self._refresh_now)

    def _refresh_now(self) -> None:
        self._refresh_timer = None
        self.load()


def scope_text(pick: Pick) -> str:
    """What a drill-down is of: ``2026年11月``, ``11-05``, ``11-01–11-07``, a delay reason."""
    if pick.figure is Figure.DELAYS:
        return f"{pick.month.label} · {reason_label(pick.key)}"
    if pick.first is not None and pick.last is not None:
        if pick.first == pick.last:
            return day_text(pick.first)
        return _("{first}–{last}").format(first=day_text(pick.first), last=day_text(pick.last))
    return pick.month.label
