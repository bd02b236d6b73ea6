"""The home screen: every open case with its promised arrival counting down, and the crews.

The board is loaded once from the open cases (one query) in a worker, so the frame paints
before the data arrives; after that only what the change feed reports is applied
(``DataChanged``), and the countdown is redrawn by :class:`CaseBoard` itself.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingsMap, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState

from callcenter.domain import NOT_ON_DUTY, Case, Crew, CrewStatus
from callcenter.i18n import N_, _
from screens.kit.actions import CASE_STEPS, WRITE_ACTIONS
from screens.kit.format import local_time
from screens.kit.host import Host, host
from screens.kit.i18n_bindings import rebind, translate_bindings
from screens.kit.messages import DataChanged
from screens.widgets.case_board import CaseBoard, clean, fit, next_due_of

log = logging.getLogger(__name__)
CREW_ORDER = {status: i for i, status in enumerate(CrewStatus)}


@dataclass(frozen=True)
class BoardCommand:
    action: str
    title: str  # msgid
    help: str  # msgid


# Every board action, for the command palette (the keys are shown beside them).
COMMANDS: tuple[BoardCommand, ...] = (
    BoardCommand("new_call", N_("New call"), N_("Take a call: open the intake form")),
    BoardCommand("open", N_("Open case"), N_("Show the selected case in full")),
    BoardCommand("dispatch", N_("Dispatch a crew"), N_("Send a crew to the selected case")),
    BoardCommand("en_route", N_("Crew en route"), N_("The crew of the selected case set off")),
    BoardCommand("arrive", N_("Crew arrived"), N_("The crew is on scene (safety checklist)")),
    BoardCommand("complete", N_("Rescue completed"), N_("The work on scene is done")),
    BoardCommand("report_back", N_("Crew reported back"), N_("The crew is back at the depot")),
    BoardCommand("cancel", N_("Cancel case"), N_("Cancel the selected case, with a reason")),
    BoardCommand("agree_fee", N_("Fee agreed"), N_("The owner agreed to the fee")),
    BoardCommand("search", N_("Search cases"), N_("Find a case by number, plate, phone, name")),
    BoardCommand("crews", N_("Show or hide the crews"), N_("The crews panel")),
)


class BoardCommands(Provider):
    """The board's actions in the command palette."""

    def _commands(self) -> Iterator[tuple[str, str, Callable[[], Any]]]:
        screen = self.screen
        if not isinstance(screen, BoardScreen):
            return
        keys = screen.keys_by_action()
        for command in COMMANDS:
            if screen.check_action(command.action, ()) is False:
                continue
            title = _(command.title)
            key = keys.get(command.action)
            if key:
                title = f"{title} ({key})"
            yield title, _(command.help), screen.command_callback(command.action)

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)


def legend() -> Text:
    """What the markers and flags of the board mean."""
    text = Text(no_wrap=False)
    for mark, meaning in (
        ("!!", _("late")),
        ("! ", _("at risk")),
        ("¥?", _("fee not agreed")),
        ("☎", _("owner told of the delay")),
        ("+", _("promise extended")),
        ("✗", _("no owner's acceptance: invalid service")),
        ("⚑", _("complaints against the crew, 30 / 90 days")),
    ):
        if text:
            text.append("\n")
        text.append(f"{mark:<3}", style="bold")
        text.append(meaning)
    return text


def natural(text: str) -> tuple[object, ...]:
    """A sort key that puts 救援2组 before 救援10组."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text))


class CrewPanel(VerticalScroll):
    """The crews by status: available, dispatched, en route, on scene, returning, off duty."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "crew-panel--available",
        "crew-panel--busy",
        "crew-panel--off-duty",
    }

    _crews: list[Crew] = []
    _numbers: dict[int, str] = {}
    _shown: Text = Text()
    #: crew id → complaints against it in the last 30 and 90 days (read when shown).
    complaints: dict[int, tuple[int, int]] = {}

    def compose(self) -> ComposeResult:
        yield Static(_("Crews"), classes="panel-title")
        yield Static("", id="crew-list")
        yield Static(legend(), id="board-legend")

    def show(self, crews: Iterable[Crew], numbers: dict[int, str]) -> None:
        """Each crew: code, status, the number of its case (with leader and vehicle when
        the panel is wide)."""
        self._crews = sorted(crews, key=lambda c: (CREW_ORDER[c.status], natural(c.code)))
        self._numbers = dict(numbers)
        self._render_list()

    def on_resize(self) -> None:
        self._render_list()

    def _render_list(self) -> None:
        if not self.is_mounted:
            return
        crews = self._crews
        width = self.scrollable_content_region.width
        code_w = max((cell_len(clean(c.code) + self._flag(c)) for c in crews), default=4)
        # Out of service is rare (a supervisor's decision): its longer label widens the column
        # only while a crew is out of service.
        shown = {c.status for c in crews} | (set(CrewStatus) - {CrewStatus.OUT_OF_SERVICE})
        status_w = max(cell_len(s.label) for s in shown)
        name_w = max((cell_len(clean(c.name)) for c in crews), default=0)
        plate_w = max((cell_len(clean(c.vehicle_plate)) for c in crews), default=0)
        room = width - code_w - status_w - 2
        wide = room >= 13 + 2 + name_w + 2 + plate_w
        text = Text(no_wrap=True, overflow="ellipsis")
        for i, crew in enumerate(crews):
            if i:
                text.append("\n")
            number = self._numbers.get(crew.current_case_id or -1, "")
            if number and cell_len(number) > room:
                number = number.rsplit("-", 1)[-1]
            flag = self._flag(crew)
            text.append(fit(clean(crew.code), code_w - cell_len(flag)))
            if flag:
                short = self.complaints.get(crew.id or -1, (0, 0))[0]
                text.append(flag, style="bold red" if short > 1 else "yellow")
            text.append(" ")
            text.append(fit(crew.status.label, status_w), style=self._style(crew.status))
            text.append(" " + (fit(number, 13) if wide else number))
            if wide:
                text.append("  " + fit(clean(crew.name), name_w) + "  " + clean(crew.vehicle_plate))
        if not crews:
            text.append(_("No crews."))
        if text == self._shown:
            return  # asked on every change of a case; a repaint costs a whole screen
        # A layout only when the number of lines changes: a layout repaints every line of
        # the screen (tens of kilobytes to a supervisor over SSH), a plain update only this.
        layout = len(text.plain.splitlines()) != len(self._shown.plain.splitlines())
        self._shown = text
        self.query_one("#crew-list", Static).update(text, layout=layout)

    def _flag(self, crew: Crew) -> str:
        """``⚑a/b``: complaints against the crew in 30 / 90 days (none: nothing)."""
        short, long = self.complaints.get(crew.id or -1, (0, 0))
        return f" ⚑{short}/{long}" if long else ""

    def _style(self, status: CrewStatus) -> Style:
        if status is CrewStatus.AVAILABLE:
            name = "crew-panel--available"
        elif status in NOT_ON_DUTY:
            name = "crew-panel--off-duty"
        else:
            name = "crew-panel--busy"
        return self.get_component_rich_style(name, partial=True)


class Counter(Static):
    """One figure of the counters line; it repaints only when its text changes."""

    _text = ""

    def set(self, text: str, *classes: str) -> None:
        if text != self._text:
            # No layout when the width stays: the rest of the screen is not repainted.
            layout = cell_len(text) != cell_len(self._text)
            self._text = text
            self.update(Text(text), layout=layout)
        for name in ("-late", "-at-risk", "-warn"):
            self.set_class(name in classes, name)


class BoardScreen(Screen[None]):
    """The live dispatch board (the home screen)."""

    CSS_PATH = "board.tcss"
    COMMANDS: ClassVar[set[Any]] = {BoardCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    AUTO_FOCUS = "#cases"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new_call", N_("New call")),
        Binding("d", "dispatch", N_("Dispatch")),
        Binding("r", "en_route", N_("En route")),
        Binding("a", "arrive", N_("Arrived")),
        Binding("c", "complete", N_("Done")),
        Binding("b", "report_back", N_("Back")),
        Binding("l", "close_case", N_("Close case")),
        Binding("x", "cancel", N_("Cancel")),
        Binding("f", "agree_fee", N_("Fee")),
        Binding("slash", "search", N_("Search"), key_display="/"),
        Binding("f2", "crews", N_("Crews"), key_display="F2"),
        Binding("f1", "app.help", N_("Help"), key_display="F1"),
        Binding("ctrl+q", "app.quit", N_("Quit")),
    ]
    #: The keys the footer always shows, however narrow the terminal; the others follow
    #: where there is room, and F1 then says "More" (the help lists every key).
    FOOTER_ESSENTIAL: ClassVar[tuple[str, ...]] = (
        "new_call",
        "dispatch",
        "search",
        "crews",
        "app.help",
    )

    class Loaded(Message):
        def __init__(
            self, cases: list[Case], crews: list[Crew], arrivals: tuple[int, int] | None
        ) -> None:
            super().__init__()
            self.cases = cases
            self.crews = crews
            self.arrivals = arrivals

    class Arrivals(Message):
        def __init__(
            self, arrivals: tuple[int, int], satisfaction: tuple[int, int] | None = None
        ) -> None:
            super().__init__()
            self.arrivals = arrivals
            self.satisfaction = satisfaction  # (satisfied, answered) this month

    class Fetched(Message):
        def __init__(self, cases: list[Case], select: int | None) -> None:
            super().__init__()
            self.cases = cases
            self.select = select

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)
        self._all_bindings: BindingsMap = self._bindings
        self._footer_fit: tuple[frozenset[str], bool] | None = None
        self.crews: dict[int, Crew] = {}
        self.loaded = False
        self._arrivals: tuple[int, int] | None = None
        self._satisfaction: tuple[int, int] | None = None
        self._target: float = 97.0
        self._arrivals_day: str = ""
        self._arrivals_wanted = False  # the first reading's arrivals: read after its rows
        self._pending_select: int | None = None
        self._reading = False
        self._early: list[DataChanged] = []

    @property
    def cc(self) -> Host:
        return host(self)

    @property
    def board(self) -> CaseBoard:
        return self.query_one("#cases", CaseBoard)

    # -- layout ----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Horizontal(id="counters"):
            yield Counter("", id="count-open")
            yield Counter("", id="count-at-risk")
            yield Counter("", id="count-late")
            yield Counter("", id="count-on-time")
            yield Counter("", id="count-satisfied")
            yield Counter("", id="count-crews")
            yield Counter("", id="board-clock")
        with Horizontal(id="board-body"):
            yield CaseBoard(self.cc.clock_now, self.cc.tz, self.cc.at_risk, id="cases")
            yield CrewPanel(id="crews-panel")
        yield Footer()

    def on_mount(self) -> None:
        self._show_counters()
        # Paint the frame first, then read: the thread reading the cases would otherwise
        # compete with the first paint for the interpreter.
        self.call_after_refresh(self.load)
        self.call_after_refresh(self.refresh_bindings)
        self.set_interval(1.0, self._minute_tick)

    # -- loading ---------------------------------------------------------------------------
    def load(self, read: tuple[list[Case], list[Crew]] | None = None) -> None:
        """(Re)read every open case, in a worker. Changes reported meanwhile are kept and
        applied on top of what was read (older copies are skipped by their version).
        Before the session is connected there is nothing to read: the app loads the board
        once it is, with ``read``, the open cases and crews read while connecting."""
        if not self.cc.connected:
            return
        self._reading = True
        self._early.clear()
        if read is None:
            self._read_all()
            return
        self.post_message(self.Loaded(read[0], read[1], None))
        self._arrivals_wanted = True

    @work(thread=True, exclusive=True, group="board-load", exit_on_error=False)
    def _read_all(self) -> None:
        """Read every open case (one query), the crews and today's arrivals."""
        services = self.cc.services
        started = time.perf_counter()
        cases = services.open_cases()
        crews = services.crews()
        log.info(
            "board: %d open cases and %d crews read in %.3f s",
            len(cases),
            len(crews),
            time.perf_counter() - started,
        )
        self.post_message(self.Loaded(cases, crews, None))
        self.post_message(self.Arrivals(*self._read_arrivals()))

    def _read_arrivals(self) -> tuple[tuple[int, int], tuple[int, int]]:
        from callcenter.survey import TemplateError, site_template

        services = self.cc.services
        tally = services.satisfaction()
        try:
            # The satisfaction rate the centre must reach (seed 004: 客户满意率必须到达97%以上).
            self._target = site_template().target_percent
        except TemplateError as exc:
            log.error("the survey template cannot be read: %s", exc)
        return services.arrivals_today(), (tally["satisfied"], tally["rated"])

    @work(thread=True, exclusive=True, group="board-arrivals", exit_on_error=False)
    def load_arrivals(self) -> None:
        self.post_message(self.Arrivals(*self._read_arrivals()))

    @work(thread=True, group="board-fetch", exit_on_error=False)
    def fetch(self, case_ids: list[int], select: int | None = None) -> None:
        """Re-read these cases (after this session changed them) and apply them."""
        self.post_message(self.Fetched(self.cc.services.cases_by_ids(case_ids), select))

    def on_board_screen_loaded(self, message: Loaded) -> None:
        board = self.board
        self.crews = {c.id: c for c in message.crews if c.id is not None}
        board.set_crews(self.crews.values())
        board.count_down(next_due_of(self.cc.services.policy, self.cc.tz, self.cc.at_risk))
        board.set_cases(message.cases)
        self.loaded = True
        self._reading = False
        early, self._early = self._early, []
        for changed in early:
            self._apply(changed)
        self._show_crews()
        self._show_counters()
        self.call_after_refresh(self.read_crew_complaints)
        if self._pending_select is not None:
            board.select_case(self._pending_select)
            self._pending_select = None
        self.call_after_refresh(self._tell_app_loaded)

    def _tell_app_loaded(self) -> None:
        if self._arrivals_wanted:
            self._arrivals_wanted = False
            # Today's arrivals and satisfaction (the header's two counters) are read once the
            # rows are painted: read beside them, they would delay the rows. A re-read
            # (_read_all) reads them itself.
            self.load_arrivals()
        self.cc.board_loaded()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "board-load" and event.state is WorkerState.ERROR:
            # The read failed (the app reports why): apply what the feed said meanwhile.
            self._reading = False
            early, self._early = self._early, []
            if self.loaded:
                for changed in early:
                    self._apply(changed)
            self._tell_app_loaded()

    def on_board_screen_arrivals(self, message: Arrivals) -> None:
        self._arrivals = message.arrivals
        if message.satisfaction is not None:
            self._satisfaction = message.satisfaction
        self._arrivals_day = self._today()
        self._show_counters()

    def on_board_screen_fetched(self, message: Fetched) -> None:
        self.board.update_cases(message.cases)
        self._show_crews()
        if message.select is not None and not self.board.select_case(message.select):
            self._pending_select = message.select

    def on_data_changed(self, message: DataChanged) -> None:
        """Apply what the change feed reported: only these cases and crews."""
        if self.loaded and any(c.entity == "complaint" for c in message.changes):
            self.read_crew_complaints()
        if self._reading or not self.loaded:
            self._early.append(message)  # applied once the cases are read
            return
        self._apply(message)

    def _apply(self, message: DataChanged) -> None:
        board = self.board
        if message.crews:
            for crew in message.crews:
                known = self.crews.get(crew.id) if crew.id is not None else None
                if crew.id is not None and (known is None or known.version <= crew.version):
                    self.crews[crew.id] = crew
            board.set_crews(self.crews.values())
        if message.cases:
            board.update_cases(message.cases)
            today = self._today()
            if any(
                c.arrived_at is not None and local_time(c.arrived_at, self.cc.tz, "%Y%m%d") == today
                for c in message.cases
            ):
                self.load_arrivals()
        if message.cases or message.crews:
            self._show_crews()
            self._show_counters()
        if self._pending_select is not None and board.select_case(self._pending_select):
            self._pending_select = None

    @on(CaseBoard.StatsChanged)
    def _stats_changed(self, _message: CaseBoard.StatsChanged) -> None:
        self._show_counters()

    @on(CaseBoard.Selected)
    def _selected(self, message: CaseBoard.Selected) -> None:
        self.open_case(message.case_id)

    # -- counters and crews ------------------------------------------------------------------
    def _today(self) -> str:
        return local_time(self.cc.clock_now(), self.cc.tz, "%Y%m%d")

    def _minute_tick(self) -> None:
        """The clock in the counters line (to the minute), and a new day's arrivals."""
        self._show_clock()
        if self._arrivals is not None and self._arrivals_day != self._today():
            self._arrivals_day = self._today()
            self.load_arrivals()

    def _show_clock(self) -> None:
        fmt = "%H:%M" if self.has_class("-narrow") else "%m-%d %H:%M"
        self.query_one("#board-clock", Counter).set(
            local_time(self.cc.clock_now(), self.cc.tz, fmt)
        )

    def on_resize(self) -> None:
        self.call_after_refresh(self._show_counters)
        self.refresh_bindings()

    # -- the footer ----------------------------------------------------------------------------
    def refresh_bindings(self) -> None:
        """The keys shown may change (a resize, the session connected, a role): fit them."""
        self.fit_footer()
        super().refresh_bindings()

    def fit_footer(self) -> None:
        """Show in the footer the keys that fit on one line: all of them when they do; else
        the essential ones (FOOTER_ESSENTIAL), then the others in their order while there is
        room, and F1 as "More" (the help lists every key). The keys not shown still work.
        Called by :meth:`refresh_bindings`, which then tells the footer."""
        width = self.size.width
        if width <= 0:
            return
        app = self.app
        more_text = _("More")

        def cost(binding: Binding, description: str | None = None) -> int:
            key = binding.key_display or app.get_key_display(binding)
            return cell_len(key) + cell_len(description or binding.description) + 3

        active = self.active_bindings  # a key another node takes first (^q) is not ours
        shown = [
            b
            for key, bindings in self._all_bindings.key_to_bindings.items()
            for b in bindings
            if b.show
            and key in active
            and active[key].node is self
            and self.check_action(b.action, ()) is not False
        ]
        fixed = self._footer_others(cost)
        chosen = {b.action for b in shown}
        more = fixed + sum(cost(b) for b in shown) > width
        if more:
            chosen = {b.action for b in shown if b.action in self.FOOTER_ESSENTIAL}
            used = fixed + sum(
                cost(b, more_text if b.action == "app.help" else None)
                for b in shown
                if b.action in chosen
            )
            for b in shown:
                if b.action not in chosen and used + cost(b) <= width:
                    chosen.add(b.action)
                    used += cost(b)
        fit = (frozenset(chosen), more)
        if fit == self._footer_fit:
            return
        self._footer_fit = fit

        def change(binding: Binding) -> Binding:
            if not binding.show:
                return binding
            if binding.action not in chosen:
                return dataclasses.replace(binding, show=False)
            if more and binding.action == "app.help":
                return dataclasses.replace(binding, description=more_text)
            return binding

        rebind(self, self._all_bindings, change)

    def _footer_others(self, cost: Callable[[Binding], int]) -> int:
        """The cells the footer gives to keys that are not this screen's: the focused
        widget's (the board's Enter) and the command palette's, docked right with a border."""
        used = 0
        for active in self.active_bindings.values():
            binding = active.binding
            if active.node is self:
                continue
            if binding.action in ("command_palette", "app.command_palette"):
                used += cost(binding) + 2
            elif binding.show:
                used += cost(binding)
        return used

    def _show_satisfaction(self, narrow: bool) -> None:
        """This month's satisfaction rate: satisfied ÷ answered surveys (seed 004: ≥ 97 %).
        Spelt out only where the header has room for it beside the other counters."""
        narrow = narrow or self.size.width < 150
        counter = self.query_one("#count-satisfied", Counter)
        if self._satisfaction is None or not self._satisfaction[1]:
            counter.set(_("Satisfied —") if narrow else _("Satisfied this month —"))
            return
        satisfied, answered = self._satisfaction
        pct = 100 * satisfied / answered
        text = (
            _("Satisfied {pct}%").format(pct=f"{pct:.0f}")
            if narrow
            else _("Satisfied this month {pct}% ({ok}/{n})").format(
                pct=f"{pct:.1f}", ok=satisfied, n=answered
            )
        )
        counter.set(text, "-warn" if pct < self._target else "")

    def _show_counters(self) -> None:
        board = self.board
        open_cases, at_risk, late = board.counts()
        if not self.loaded:
            open_text = _("Loading…")
            self.query_one("#count-open", Counter).set(open_text)
        else:
            self.query_one("#count-open", Counter).set(_("Open {n}").format(n=open_cases))
        self.query_one("#count-at-risk", Counter).set(
            _("At risk {n}").format(n=at_risk), "-at-risk" if at_risk else ""
        )
        self.query_one("#count-late", Counter).set(
            _("Late {n}").format(n=late), "-late" if late else ""
        )
        narrow = self.has_class("-narrow")
        if self._arrivals is None or not self._arrivals[0]:
            on_time = _("On time —") if narrow else _("On time today —")
        else:
            arrived, punctual = self._arrivals
            pct = round(100 * punctual / arrived)
            on_time = (
                _("On time {pct}%").format(pct=pct)
                if narrow
                else _("On time today {pct}% ({ok}/{n})").format(pct=pct, ok=punctual, n=arrived)
            )
        self.query_one("#count-on-time", Counter).set(on_time)
        self._show_satisfaction(narrow)
        available = sum(1 for c in self.crews.values() if c.status is CrewStatus.AVAILABLE)
        on_duty = sum(1 for c in self.crews.values() if c.status not in NOT_ON_DUTY)
        crews = _("Crews {n}/{total}") if narrow else _("Crews available {n}/{total}")
        self.query_one("#count-crews", Counter).set(
            crews.format(n=available, total=on_duty),
            "-warn" if self.crews and not available else "",
        )
        self._show_clock()

    @work(thread=True, exclusive=True, group="crew-complaints", exit_on_error=False)
    def read_crew_complaints(self) -> None:
        """The complaints against each crew (30 and 90 days), for the crews panel."""
        counts = self.cc.services.crew_complaint_counts()
        found = {i: (c.last_30, c.last_90) for i, c in counts.items()}
        self.app.call_from_thread(self._crew_complaints_read, found)

    def _crew_complaints_read(self, found: dict[int, tuple[int, int]]) -> None:
        panel = self.query_one(CrewPanel)
        if found != panel.complaints:
            panel.complaints = found
            self._show_crews()

    def _show_crews(self) -> None:
        panel = self.query_one(CrewPanel)
        board = self.board
        numbers: dict[int, str] = {}
        for crew in self.crews.values():
            if crew.current_case_id is not None:
                case = board.case(crew.current_case_id)
                if case is not None:
                    numbers[crew.current_case_id] = case.number
        panel.show(self.crews.values(), numbers)

    # -- keys --------------------------------------------------------------------------------
    def keys_by_action(self) -> dict[str, str]:
        keys: dict[str, str] = {"open": "Enter"}
        for bindings in self._bindings.key_to_bindings.values():
            for b in bindings:
                keys.setdefault(b.action, b.key_display or self.app.get_key_display(b))
        return keys

    def command_callback(self, action: str) -> Callable[[], Any]:
        async def run() -> None:
            await self.run_action(action)

        return run

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Write actions are hidden on a read-only board (the supervisor's)."""
        if not self.cc.allows_action(self, action):
            return False
        return not (action in WRITE_ACTIONS and self.cc.read_only)

    def selected_case(self) -> Case | None:
        board = self.board
        case_id = board.selected_case_id
        case = board.case(case_id) if case_id is not None else None
        if case is None:
            self.notify(_("Select a case first."), severity="warning")
        return case

    def open_case(self, case_id: int) -> None:
        self.cc.open_case(case_id)

    def action_open(self) -> None:
        case = self.selected_case()
        if case is not None and case.id is not None:
            self.open_case(case.id)

    def action_new_call(self) -> None:
        def saved(case_id: int | None) -> None:
            if case_id is not None:
                self.fetch([case_id], select=case_id)

        self.cc.open_intake(saved)

    def action_dispatch(self) -> None:
        case = self.selected_case()
        if case is None:
            return

        def done(case_id: int | None) -> None:
            if case_id is not None:
                self.fetch([case_id])

        self.cc.open_dispatch(case, done)

    async def _case_action(self, action: str) -> None:
        case = self.selected_case()
        if case is None:
            return
        await self.cc.run_case_action(self, CASE_STEPS[action], case)

    async def action_en_route(self) -> None:
        await self._case_action("en_route")

    async def action_arrive(self) -> None:
        await self._case_action("arrive")

    def action_complete(self) -> None:
        case = self.selected_case()
        if case is not None:
            self.cc.open_record(case)

    def action_report_back(self) -> None:
        case = self.selected_case()
        if case is not None:
            self.cc.open_report_back(case)

    async def action_close_case(self) -> None:
        await self._case_action("close_case")

    async def action_cancel(self) -> None:
        await self._case_action("cancel")

    async def action_agree_fee(self) -> None:
        await self._case_action("agree_fee")

    def action_search(self) -> None:
        def chosen(case_id: int | None) -> None:
            if case_id is not None:
                self.board.select_case(case_id)
                self.open_case(case_id)

        self.cc.open_search(chosen)

    def action_crews(self) -> None:
        self.toggle_class("-crews")
        if self.has_class("-narrow") and self.has_class("-crews"):
            self.query_one(CrewPanel).focus()
        else:
            self.board.focus()
        self._show_crews()
