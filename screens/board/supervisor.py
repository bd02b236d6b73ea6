"""The supervisor board (``callcenter board``): the dispatch board, read-only, with filters.

A filter (late only, one crew, one priority) lives in this session only: nothing is written,
no other board changes. :class:`SupervisorBoardScreen` is the board of ``screens.board.board`` that
shows only the cases its filter lets through, re-checked on every change and every second
("late" changes with the clock alone).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Footer, Label, Select, Static

from callcenter.domain import Case, CaseStatus, Crew, Priority
from callcenter.domain.lifecycle import ARRIVAL_PENDING
from callcenter.i18n import N_, _
from screens.board.board import BoardScreen
from screens.kit.i18n_bindings import translate_bindings
from screens.kit.messages import DataChanged
from screens.widgets.tick_box import TickBox


def is_late(case: Case, now: datetime) -> bool:
    """The crew has not arrived and the promised arrival has passed."""
    return (
        case.status in ARRIVAL_PENDING
        and case.promised_arrival_at is not None
        and case.promised_arrival_at < now
    )


@dataclass(frozen=True)
class BoardFilter:
    """What this session's board shows. The default shows everything."""

    late_only: bool = False
    crew_id: int | None = None
    priority: Priority | None = None

    @property
    def active(self) -> bool:
        return self.late_only or self.crew_id is not None or self.priority is not None

    def matches(self, case: Case, now: datetime) -> bool:
        if self.late_only and not is_late(case, now):
            return False
        if self.crew_id is not None and case.crew_id != self.crew_id:
            return False
        return self.priority is None or case.priority is self.priority

    def apply(self, cases: Iterable[Case], now: datetime) -> list[Case]:
        return [c for c in cases if self.matches(c, now)]

    def describe(self, crews: Mapping[int, Crew]) -> str:
        """ "late only · crew 救援3组 · Urgent" (translated), or "" for no filter."""
        parts = []
        if self.late_only:
            parts.append(_("late only"))
        if self.crew_id is not None:
            crew = crews.get(self.crew_id)
            parts.append(_("crew {code}").format(code=crew.code if crew else self.crew_id))
        if self.priority is not None:
            parts.append(self.priority.label)
        return " · ".join(parts)


class FilterScreen(ModalScreen[BoardFilter | None]):
    """Choose the board's filter: late only, one crew, one priority."""

    read_only_safe = True  # nothing here writes: allowed on the read-only board

    DEFAULT_CSS = """
    FilterScreen {
        align: center middle;
        background: $background 60%;
    }
    FilterScreen > Vertical {
        width: 60;
        max-width: 100%;
        height: auto;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    FilterScreen .filter-title {
        text-style: bold;
        margin-bottom: 1;
    }
    FilterScreen Select {
        width: 100%;
        margin-bottom: 1;
    }
    FilterScreen Checkbox {
        width: 100%;
        border: none;
    }
    FilterScreen .filter-buttons {
        height: auto;
        align-horizontal: right;
    }
    FilterScreen .filter-buttons Button {
        margin-left: 1;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", N_("Go back")),
        Binding("ctrl+s", "apply", N_("Apply"), priority=True),
    ]

    def __init__(self, current: BoardFilter, crews: Iterable[Crew]) -> None:
        super().__init__()
        translate_bindings(self)
        self.current = current
        self.crews = sorted((c for c in crews if c.id is not None), key=lambda c: c.code)

    def compose(self) -> ComposeResult:
        crew_options: list[tuple[Text, int]] = [
            (Text(f"{c.code}  {c.name}"), c.id) for c in self.crews if c.id is not None
        ]
        priorities = [(Text(p.label), p.value) for p in Priority]
        with Vertical():
            yield Label(_("Filter the board (this session only)"), classes="filter-title")
            yield TickBox(_("Late only"), self.current.late_only, id="filter-late")
            yield Label(_("Crew"))
            yield Select(
                crew_options,
                prompt=_("All crews"),
                value=self.current.crew_id if self.current.crew_id is not None else Select.NULL,
                id="filter-crew",
            )
            yield Label(_("Priority"))
            yield Select(
                priorities,
                prompt=_("All priorities"),
                value=self.current.priority.value if self.current.priority else Select.NULL,
                id="filter-priority",
            )
            with Horizontal(classes="filter-buttons"):
                yield Button(_("All cases"), id="filter-clear")
                yield Button(_("Apply"), variant="primary", id="filter-apply")

    def chosen(self) -> BoardFilter:
        crew = self.query_one("#filter-crew", Select).value
        priority = self.query_one("#filter-priority", Select).value
        return BoardFilter(
            late_only=self.query_one("#filter-late", Checkbox).value,
            crew_id=crew if isinstance(crew, int) else None,
            priority=Priority(priority) if isinstance(priority, str) else None,
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "filter-clear":
            self.dismiss(BoardFilter())
        elif event.button.id == "filter-apply":
            self.dismiss(self.chosen())

    def action_apply(self) -> None:
        self.dismiss(self.chosen())

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class SupervisorBoardScreen(BoardScreen):
    """The dispatch board of ``callcenter board``: everything live, filtered locally."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("v", "filter", N_("Filter")),
        Binding("l", "late_only", N_("Late only")),
        Binding("escape", "clear_filter", N_("All cases")),
    ]
    FOOTER_ESSENTIAL: ClassVar[tuple[str, ...]] = ("filter", "late_only", "search", "app.help")

    def __init__(self) -> None:
        super().__init__()
        self.filter = BoardFilter()
        self.all_cases: dict[int, Case] = {}
        self._filter_line = ""

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, Footer):
                yield Static("", id="board-filter")
            yield widget

    def on_mount(self) -> None:
        self.set_interval(1.0, self.apply_filter)
        self.show_filter()

    # -- following the board's data: remember every case, then show those that match --------
    def on_board_screen_loaded(self, message: BoardScreen.Loaded) -> None:
        self.all_cases = {c.id: c for c in message.cases if c.id is not None and c.is_open}
        self.call_next(self.apply_filter)

    def on_board_screen_fetched(self, message: BoardScreen.Fetched) -> None:
        self._remember(message.cases)

    def on_data_changed(self, message: DataChanged) -> None:
        self._remember(message.cases)

    def _remember(self, cases: Iterable[Case]) -> None:
        for case in cases:
            if case.id is None:
                continue
            if case.is_open:
                self.all_cases[case.id] = case
            else:
                self.all_cases.pop(case.id, None)
        self.call_next(self.apply_filter)

    def apply_filter(self) -> None:
        """Make the board show exactly the open cases the filter lets through."""
        if not self.is_mounted or not self.loaded:
            return
        board = self.board
        now = self.cc.clock_now()
        wanted = {cid for cid, c in self.all_cases.items() if self.filter.matches(c, now)}
        shown = set(board.case_ids)
        leave = [
            dataclasses.replace(board.case(cid) or self.all_cases[cid], status=CaseStatus.CLOSED)
            for cid in shown - wanted
            if board.case(cid) is not None
        ]
        enter = [self.all_cases[cid] for cid in wanted - shown]
        if leave or enter:
            board.update_cases([*leave, *enter])  # a closed copy only leaves this board
        self.show_filter(len(wanted))

    def show_filter(self, shown: int | None = None) -> None:
        """The filter line; repainted only when its text changes (it is asked every second,
        and a supervisor watches over SSH)."""
        label = self.query_one("#board-filter", Static)
        if not self.filter.active:
            line = _("All open cases. V filter, L late only.")
        else:
            line = _("Filter: {filter} — {shown} of {total} open cases. Esc shows all.").format(
                filter=self.filter.describe(self.crews),
                shown=shown if shown is not None else "?",
                total=len(self.all_cases),
            )
        label.set_class(self.filter.active, "-filtered")
        if line != self._filter_line:
            self._filter_line = line
            label.update(Content(line))

    def set_filter(self, new: BoardFilter) -> None:
        self.filter = new
        self.apply_filter()
        self.show_filter(len(self.filter.apply(self.all_cases.values(), self.cc.clock_now())))

    # -- keys ------------------------------------------------------------------------------
    def action_filter(self) -> None:
        def chosen(new: BoardFilter | None) -> None:
            if new is not None:
                self.set_filter(new)

        self.app.push_screen(FilterScreen(self.filter, self.crews.values()), chosen)

    def action_late_only(self) -> None:
        self.set_filter(dataclasses.replace(self.filter, late_only=not self.filter.late_only))

    def action_clear_filter(self) -> None:
        self.set_filter(BoardFilter())
