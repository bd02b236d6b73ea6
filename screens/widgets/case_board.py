"""The live case board: every open case, its promised arrival counting down each second.

A Line-API widget (``ScrollView`` + ``render_line``) built to stay cheap with thousands of
open cases and a countdown on every row:

* rows are kept sorted by time left (most urgent first; cases with no running arrival clock
  after them); a changed case is moved with a bisect, nothing else is re-read or re-sorted;
* the static parts of each row are rendered once into segments, cached under
  (case, content version, SLA state, cursor, layout); the countdown cell is joined on;
* a 1 Hz tick refreshes, for each visible row, only the cells of the countdown whose text
  changed (``refresh(Region)``), and a whole row only when its SLA state changes;
* the header and the cursor are drawn by the widget; the cursor stays on its case when rows
  are re-sorted.

Caller-typed text (plate, address) is data: it goes into segments as plain text, never
through markup, and control characters are replaced.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from math import floor
from typing import TYPE_CHECKING, ClassVar
from zoneinfo import ZoneInfo

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from callcenter.domain import Case, CaseStatus, Crew, Priority
from callcenter.domain.lifecycle import ARRIVAL_PENDING
from callcenter.i18n import N_, _
from callcenter.text import visible
from screens.kit.i18n_bindings import translate_bindings

if TYPE_CHECKING:
    from callcenter import sla

# The arrival clock runs until the crew is on scene.
_STATUS_ORDER = {status: i for i, status in enumerate(CaseStatus)}

# SLA states of a row (also the suffix of its component classes).
LATE = "late"
AT_RISK = "at-risk"
ON_TRACK = "on-track"
IDLE = "idle"  # no running arrival clock (crew on scene, completed, ...)

MARKERS = {LATE: "!!", AT_RISK: "! ", ON_TRACK: "  ", IDLE: "  "}


def clean(text: str) -> str:
    """Caller text made safe for a terminal cell: control and invisible characters become
    visible symbols (``callcenter.text.visible``)."""
    return visible(text)


def fit(text: str, width: int, right: bool = False) -> str:
    """Pad or crop ``text`` to exactly ``width`` cells (CJK counts two); ``…`` marks a crop."""
    length = cell_len(text)
    if length <= width:
        pad = " " * (width - length)
        return pad + text if right else text + pad
    if width <= 0:
        return ""
    return set_cell_size(text, width - 1) + "…"


def left_text(seconds: int) -> str:
    """``12:34`` / ``1:02:03`` / ``-05:12`` (late) / ``4d07h`` beyond 99 hours."""
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours >= 100:
        return f"{sign}{hours // 24}d{hours % 24:02d}h"
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{secs:02d}"
    return f"{sign}{minutes:02d}:{secs:02d}"


def is_running(case: Case) -> bool:
    """True while the arrival clock of ``case`` runs (dispatch pending, dispatched, en route)."""
    return case.status in ARRIVAL_PENDING and case.promised_arrival_at is not None


@dataclass(frozen=True, slots=True)
class Due:
    """What a row counts down: the deadline (POSIX), its at-risk window (seconds) and the
    short name of its clock ("" for the arrival clock of the legacy board)."""

    deadline: float
    window: float
    kind: str = ""


#: The short name of each clock on the board (msgids), e.g. ``到达 14:35``.
CLOCK_SHORT: dict[str, str] = {
    "response": N_("Resp."),
    "arrival": N_("Arr."),
    "repair": N_("Rep."),
    "completion": N_("Done"),
    "feedback": N_("F/b"),
}


def clock_short_labels() -> list[str]:
    return [_(v) for v in CLOCK_SHORT.values()]


def next_due_of(
    policy: sla.Policy, tz: ZoneInfo, arrival_at_risk: timedelta
) -> Callable[[Case], Due | None]:
    """What each row counts down under ``policy``: the case's next clock due, any kind.
    (The SLA engine, and phonenumbers with it, loads here: after the first frame.)"""
    from callcenter import sla

    def due(case: Case) -> Due | None:
        found = sla.next_due(policy, case, tz, arrival_at_risk=arrival_at_risk)
        if found is None:
            return None
        return Due(
            found.deadline.timestamp(),
            found.at_risk.total_seconds(),
            _(CLOCK_SHORT[found.kind.value]),
        )

    return due


def sla_state(remaining: float | None, at_risk: float) -> str:
    if remaining is None:
        return IDLE
    if remaining < 0:
        return LATE
    if remaining <= at_risk:
        return AT_RISK
    return ON_TRACK


#: ``cases.service_state`` values of a service that counts as invalid (seed 004).
INVALID_SERVICE = frozenset({"not_accepted", "voided"})


def flags(case: Case) -> str:
    """``¥?`` fee not agreed, ``☎`` owner told of a delay, ``+`` promise extended, ``✗`` no
    owner's acceptance: an invalid service (seed 004: 无顾客验收确认属无效服务)."""
    text = "✗" if case.service_state in INVALID_SERVICE else ""
    if not case.fee_agreed:
        text += "¥?"
    if case.owner_notified_at is not None:
        text += "☎"
    if (
        case.original_promised_at is not None
        and case.promised_arrival_at is not None
        and case.promised_arrival_at > case.original_promised_at
    ):
        text += "+"
    return text


@dataclass(frozen=True)
class Column:
    key: str
    title: str  # msgid
    short: str  # msgid used when the full title does not fit
    right: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("marker", "", ""),
    Column("left", N_("Time left"), N_("Left"), right=True),
    Column("number", N_("Case No."), N_("No.")),
    Column("priority", N_("Priority"), N_("Pri.")),
    Column("plate", N_("Plate"), N_("Plate")),
    Column("place", N_("Location"), N_("Location")),
    Column("status", N_("Status"), N_("Status")),
    Column("crew", N_("Crew"), N_("Crew")),
    Column("promised", N_("Next deadline"), N_("Due")),
    Column("flags", N_("Flags"), N_("Flags")),
)
PLACE_MIN = 10
GAP = 1


@dataclass(frozen=True)
class Layout:
    """Column widths (0 = dropped) and titles for one content width."""

    width: int
    widths: dict[str, int]
    titles: dict[str, str]
    x: dict[str, int]  # left edge of each column


def fit_columns(width: int, data: Mapping[str, tuple[int, int]]) -> Layout:
    """Fit the columns to ``width`` cells.

    ``data`` gives, per column, (widest cell, narrowest acceptable width). Each column is as
    wide as its title or its widest cell; the place column takes the rest. When that is too
    little, shorter titles are tried; if the place column still gets less than
    ``PLACE_MIN`` it is dropped, and as a last resort the other cells are cropped.
    """
    full = {c.key: _(c.title) if c.title else "" for c in COLUMNS}
    short = {c.key: _(c.short) if c.short else "" for c in COLUMNS}
    keys = [c.key for c in COLUMNS if c.key != "place"]

    def sized(titles: dict[str, str]) -> dict[str, int]:
        return {k: max(cell_len(titles[k]), data[k][0]) for k in keys}

    def used(widths: dict[str, int]) -> int:
        return sum(widths[k] for k in keys if widths[k]) + GAP * (len(keys) - 1)

    titles = dict(full)
    widths = sized(titles)
    place = width - used(widths) - GAP
    if place < PLACE_MIN:
        # Short titles where the title, not the data, sets the width.
        shorter = {
            k: short[k] if cell_len(full[k]) > max(cell_len(short[k]), data[k][0]) else full[k]
            for k in keys
        }
        shorter["place"] = full["place"]
        widths = sized(shorter)
        place = width - used(widths) - GAP
        if place >= PLACE_MIN:
            titles = shorter
    if place < PLACE_MIN:
        place = 0
        widths = sized(full)
        if used(widths) > width:
            # Shorter titles, one column at a time, until the row fits.
            for key in ("left", "promised", "priority", "number", "flags", "crew", "status"):
                narrow = max(cell_len(short[key]), data[key][0])
                if narrow < widths[key]:
                    widths[key] = narrow
                    titles[key] = short[key]
                if used(widths) <= width:
                    break
        # Then crop the cells, down to their narrowest acceptable width.
        for key in ("status", "crew", "plate", "number", "priority", "flags"):
            over = used(widths) - width
            if over <= 0:
                break
            cut = min(over, widths[key] - max(data[key][1], 1))
            if cut > 0:
                widths[key] -= cut
                titles[key] = short[key]
    widths["place"] = place
    x: dict[str, int] = {}
    offset = 0
    for c in COLUMNS:
        x[c.key] = offset
        if widths[c.key]:
            offset += widths[c.key] + GAP
    return Layout(width, widths, titles, x)


class CaseBoard(ScrollView, can_focus=True):
    """Every open case, sorted by time left, with a 1 Hz countdown."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", N_("Open")),
        Binding("up", "cursor_up", N_("Up"), show=False),
        Binding("down", "cursor_down", N_("Down"), show=False),
        Binding("pageup", "page_up", N_("Page up"), show=False),
        Binding("pagedown", "page_down", N_("Page down"), show=False),
        Binding("home", "first", N_("First case"), show=False),
        Binding("end", "last", N_("Last case"), show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "case-board--header",
        "case-board--cursor",
        "case-board--on-track",
        "case-board--at-risk",
        "case-board--late",
        "case-board--idle",
        "case-board--left-at-risk",
        "case-board--left-late",
        "case-board--empty",
    }

    DEFAULT_CSS = """
    CaseBoard {
        scrollbar-gutter: stable;
        scrollbar-size-vertical: 1;
        overflow-x: hidden;
        overflow-y: auto;
    }
    CaseBoard > .case-board--header { text-style: bold; background: $panel; }
    CaseBoard > .case-board--cursor {
        background: $block-cursor-blurred-background;
        color: $block-cursor-blurred-foreground;
    }
    CaseBoard:focus > .case-board--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: bold;
    }
    CaseBoard > .case-board--on-track { }
    CaseBoard > .case-board--idle { color: $text-muted; }
    CaseBoard > .case-board--at-risk { color: $text-warning; text-style: bold; }
    CaseBoard > .case-board--late { color: $text-error; text-style: bold; }
    CaseBoard > .case-board--left-at-risk { color: $text-warning; text-style: bold; }
    CaseBoard > .case-board--left-late { color: $error; text-style: reverse; }
    CaseBoard > .case-board--empty { color: $text-muted; text-style: italic; }
    """

    class Selected(Message):
        """The operator pressed Enter on a case (or clicked the selected row)."""

        def __init__(self, case_id: int) -> None:
            super().__init__()
            self.case_id = case_id

    class StatsChanged(Message):
        """The counts of open, at-risk and late cases changed."""

        def __init__(self, open_cases: int, at_risk: int, late: int) -> None:
            super().__init__()
            self.open_cases = open_cases
            self.at_risk = at_risk
            self.late = late

    def __init__(
        self,
        clock: Callable[[], datetime],
        tz: ZoneInfo,
        at_risk: timedelta = timedelta(minutes=10),
        *,
        due: Callable[[Case], Due | None] | None = None,
        tick: bool = True,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        translate_bindings(self)
        self._clock = clock
        self._tz = tz
        self._at_risk = at_risk.total_seconds()
        self._auto_tick = tick
        self._cases: dict[int, Case] = {}
        self._crew_codes: dict[int, str] = {}
        self._order: list[int] = []  # case ids, top to bottom
        self._keys: list[tuple[object, ...]] = []  # their sort keys, same order
        self._row_of: dict[int, int] = {}
        # What each case counts down (its next clock due): ``due`` works it out; without
        # one, the promised arrival while the arrival clock runs.
        self._due_fn = due
        self._deadlines: list[float] = []  # POSIX deadlines of the running cases, sorted
        self._risk_starts: list[float] = []  # each deadline less its at-risk window, sorted
        self._deadline_of: dict[int, float] = {}
        self._due_of: dict[int, Due] = {}
        self._version: dict[int, int] = {}
        self._serial = 0
        self._cursor_id: int | None = None
        self._cursor_row = 0
        # What each visible row shows now: case id -> (state, countdown text).
        self._shown: dict[int, tuple[str, str]] = {}
        self._static: dict[tuple[object, ...], list[Segment]] = {}
        self._header: Strip | None = None
        self._layout: Layout | None = None
        self._stats: tuple[int, int, int] = (-1, -1, -1)

    # -- data ------------------------------------------------------------------------------
    @property
    def selected_case_id(self) -> int | None:
        """The case under the cursor, or None when the board is empty."""
        return self._cursor_id

    @property
    def case_ids(self) -> list[int]:
        """The ids of the cases on the board, top to bottom."""
        return list(self._order)

    @property
    def row_count(self) -> int:
        return len(self._order)

    @property
    def cursor_row(self) -> int:
        return self._cursor_row

    def case(self, case_id: int) -> Case | None:
        return self._cases.get(case_id)

    def set_crews(self, crews: Iterable[Crew]) -> None:
        """Crew codes for the crew column; rows whose crew code changed are redrawn."""
        codes = {c.id: clean(c.code) for c in crews if c.id is not None}
        changed = {
            cid
            for cid in codes.keys() | self._crew_codes.keys()
            if codes.get(cid) != self._crew_codes.get(cid)
        }
        self._crew_codes.update(codes)
        if not changed:
            return
        for case_id, case in self._cases.items():
            if case.crew_id in changed:
                self._bump(case_id)
        self._relayout()

    def count_down(self, due: Callable[[Case], Due | None]) -> None:
        """Count down what ``due`` says (the session's SLA policy, once connected); applies
        from the next :meth:`set_cases`."""
        self._due_fn = due

    def _due(self, case: Case) -> Due | None:
        if self._due_fn is not None:
            return self._due_fn(case)
        if is_running(case):
            assert case.promised_arrival_at is not None
            return Due(case.promised_arrival_at.timestamp(), self._at_risk)
        return None

    def set_cases(self, cases: Iterable[Case]) -> None:
        """Replace every case on the board (the first load)."""
        now = self._now_ts()
        self._cases = {c.id: c for c in cases if c.id is not None and c.is_open}
        dues = {cid: self._due(c) for cid, c in self._cases.items()}
        self._due_of = {cid: d for cid, d in dues.items() if d is not None}
        pairs = sorted((self._key(c, dues[cid]), cid) for cid, c in self._cases.items())
        self._keys = [k for k, _ in pairs]
        self._order = [cid for _, cid in pairs]
        self._deadline_of = {cid: d.deadline for cid, d in self._due_of.items()}
        self._deadlines = sorted(self._deadline_of.values())
        self._risk_starts = sorted(d.deadline - d.window for d in self._due_of.values())
        self._version = dict.fromkeys(self._cases, 0)
        self._reindex()
        self._static.clear()
        self._shown.clear()
        if self._cursor_id not in self._row_of:
            self._cursor_id = self._order[0] if self._order else None
        self._cursor_row = self._row_of.get(self._cursor_id, 0) if self._cursor_id else 0
        self.virtual_size = Size(self.virtual_size.width, len(self._order) + 1)
        self._relayout()
        self.refresh()
        self._post_stats(now)

    def update_cases(self, cases: Iterable[Case]) -> None:
        """Apply changed cases: open ones are added or moved, closed ones removed.

        Only the changed rows are re-rendered; rows that moved because of them are drawn
        from the cache. The cursor stays on its case (or on the same row if its case left).
        """
        latest: dict[int, Case] = {}
        for case in cases:
            if case.id is None:
                continue
            seen = latest.get(case.id) or self._cases.get(case.id)
            if seen is not None and seen is not case and seen.version > case.version:
                continue  # an older copy than the one already known
            latest[case.id] = case
        leaving: set[int] = set()
        entering: list[Case] = []
        redraw: list[int] = []
        for case_id, case in latest.items():
            shown = case_id in self._cases
            if not case.is_open:
                if shown:
                    leaving.add(case_id)
                continue
            if shown and self._keys[self._row_of[case_id]] == self._key(case, self._due(case)):
                self._cases[case_id] = case  # same place: redraw that row only
                self._bump(case_id)
                redraw.append(case_id)
                continue
            if shown:
                leaving.add(case_id)
            entering.append(case)
        if leaving or entering:
            self._move(leaving, entering)
        else:
            for case_id in redraw:
                self._refresh_row(self._row_of[case_id])
        self._post_stats(self._now_ts())

    def _move(self, leaving: set[int], entering: list[Case]) -> None:
        """Take ``leaving`` out of the order and put ``entering`` in, by bisection."""
        if leaving:
            kept = [
                (k, cid)
                for k, cid in zip(self._keys, self._order, strict=True)
                if cid not in leaving
            ]
            self._keys = [k for k, _ in kept]
            self._order = [cid for _, cid in kept]
            for case_id in leaving:
                del self._cases[case_id]
                self._version.pop(case_id, None)
                self._shown.pop(case_id, None)
                self._forget_due(case_id)
        for case in entering:
            assert case.id is not None
            self._cases[case.id] = case
            self._bump(case.id)
            due = self._due(case)
            key = self._key(case, due)
            row = bisect_left(self._keys, key)
            self._keys.insert(row, key)
            self._order.insert(row, case.id)
            self._forget_due(case.id)
            if due is not None:
                self._due_of[case.id] = due
                self._deadline_of[case.id] = due.deadline
                insort(self._deadlines, due.deadline)
                insort(self._risk_starts, due.deadline - due.window)
        self._reindex()
        if self._cursor_id in self._row_of:
            self._cursor_row = self._row_of[self._cursor_id]
        elif self._order:
            self._cursor_row = min(self._cursor_row, len(self._order) - 1)
            self._cursor_id = self._order[self._cursor_row]
        else:
            self._cursor_id, self._cursor_row = None, 0
        self.virtual_size = Size(self.virtual_size.width, len(self._order) + 1)
        self._relayout()
        self.refresh()

    def _forget_due(self, case_id: int) -> None:
        due = self._due_of.pop(case_id, None)
        self._deadline_of.pop(case_id, None)
        if due is not None:
            del self._deadlines[bisect_left(self._deadlines, due.deadline)]
            del self._risk_starts[bisect_left(self._risk_starts, due.deadline - due.window)]

    def _reindex(self) -> None:
        self._row_of = {cid: row for row, cid in enumerate(self._order)}

    def _bump(self, case_id: int) -> None:
        self._serial += 1
        self._version[case_id] = self._serial

    @staticmethod
    def _key(case: Case, due: Due | None) -> tuple[object, ...]:
        assert case.id is not None
        if due is not None:
            return (0, due.deadline, case.priority.rank, case.id)
        return (1, _STATUS_ORDER[case.status], case.priority.rank, case.id)

    # -- time ------------------------------------------------------------------------------
    def _now_ts(self) -> float:
        return self._clock().timestamp()

    def counts(self, now: datetime | None = None) -> tuple[int, int, int]:
        """(open, at risk, late) at ``now``."""
        ts = self._now_ts() if now is None else now.timestamp()
        late = bisect_left(self._deadlines, ts)
        at_risk = bisect_right(self._risk_starts, ts) - late
        return len(self._order), at_risk, late

    def _post_stats(self, now: float) -> None:
        late = bisect_left(self._deadlines, now)
        at_risk = bisect_right(self._risk_starts, now) - late
        stats = (len(self._order), at_risk, late)
        if stats != self._stats:
            self._stats = stats
            self.post_message(self.StatsChanged(*stats))

    def due(self, case_id: int) -> Due | None:
        """What the row of ``case_id`` counts down (None: no clock runs)."""
        return self._due_of.get(case_id)

    def _window(self, case_id: int) -> float:
        due = self._due_of.get(case_id)
        return self._at_risk if due is None else due.window

    def _remaining(self, case_id: int, now: float) -> float | None:
        deadline = self._deadline_of.get(case_id)
        return None if deadline is None else deadline - now

    def _cell_left(self, remaining: float | None) -> str:
        if remaining is None:
            return ""
        return left_text(floor(remaining) if remaining >= 0 else -floor(-remaining))

    def on_mount(self) -> None:
        if self._auto_tick:
            # Tick just after each second of the clock, so the countdowns turn together.
            fraction = self._now_ts() % 1.0
            self.set_timer(1.0 - fraction + 0.01, self._start_ticking)

    def _start_ticking(self) -> None:
        self.tick()
        self.set_interval(1.0, self.tick)

    def tick(self) -> None:
        """Redraw what the passing second changed: countdown cells, and rows whose SLA
        state changed. Nothing else is rendered."""
        layout = self._layout
        if layout is None or not self._order:
            return
        now = self._now_ts()
        width = layout.widths["left"]
        x0 = layout.x["left"]
        top = int(self.scroll_offset.y)
        height = self.scrollable_content_region.height - 1
        for row in range(top, min(top + height, len(self._order))):
            case_id = self._order[row]
            if case_id not in self._deadline_of:
                break  # the running clocks come first: the rest of the page is idle
            shown = self._shown.get(case_id)
            if shown is None:
                continue  # never drawn: it will be drawn fresh
            remaining = self._remaining(case_id, now)
            state = sla_state(remaining, self._window(case_id))
            y = row - top + 1
            if state != shown[0]:
                self.refresh(Region(0, y, self.size.width, 1))
                continue
            text = fit(self._cell_left(remaining), width, right=True)
            old = shown[1]
            if text == old:
                continue
            first = next((i for i, (a, b) in enumerate(zip(text, old, strict=False)) if a != b), 0)
            last = len(text) - next(
                (
                    i
                    for i, (a, b) in enumerate(zip(reversed(text), reversed(old), strict=False))
                    if a != b
                ),
                0,
            )
            self.refresh(Region(x0 + first, y, max(last - first, 1), 1))
        self._post_stats(now)

    # -- layout ----------------------------------------------------------------------------
    def _column_data(self) -> dict[str, tuple[int, int]]:
        statuses = [s.label for s in CaseStatus if s.is_open]
        priorities = [p.label for p in Priority]
        crew = max((cell_len(c) for c in self._crew_codes.values()), default=4)
        return {
            "marker": (2, 2),
            "left": (8, 6),
            "number": (13, 9),
            "priority": (max(cell_len(p) for p in priorities), 4),
            "plate": (9, 8),
            "status": (max(cell_len(s) for s in statuses), 6),
            "crew": (max(crew, 2), 4),
            "promised": (max((cell_len(k) for k in clock_short_labels()), default=0) + 6, 5),
            "flags": (4, 3),
        }

    def _relayout(self) -> None:
        width = self.scrollable_content_region.width
        if width <= 0:
            return
        layout = self._layout
        data = self._column_data()
        if layout is None or layout.width != width or self._data_key != data:
            self._data_key = data
            self._layout = fit_columns(width, data)
            self._static.clear()
            self._shown.clear()
            self._header = None
            self.virtual_size = Size(width, len(self._order) + 1)
            self.refresh()

    _data_key: dict[str, tuple[int, int]] | None = None

    def on_resize(self, event: events.Resize) -> None:
        """A new terminal size: the rows from the top (the late ones sort first) as far as
        the cursor's row lets, the cursor's row always in view."""
        self._relayout()
        top = max(0, self._cursor_row - self._page() + 1)
        if int(self.scroll_offset.y) != top:
            self.scroll_to(y=top, animate=False, immediate=True)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._static.clear()
        self._shown.clear()
        self._header = None
        self.refresh()

    # -- rendering -------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        if self._layout is None or self._layout.width != self.scrollable_content_region.width:
            self._relayout()
        layout = self._layout
        width = self.size.width
        if layout is None:
            return Strip.blank(width, self.rich_style)
        if y == 0:
            if self._header is None:
                self._header = self._render_header(layout, width)
            return self._header
        row = int(self.scroll_offset.y) + y - 1
        if row >= len(self._order):
            if row == 0:
                return self._render_empty(width)
            return Strip.blank(width, self.rich_style)
        return self._render_row(row, layout, width)

    def _render_header(self, layout: Layout, width: int) -> Strip:
        style = self.get_component_rich_style("case-board--header")
        segments = [
            Segment(fit(layout.titles[c.key], layout.widths[c.key], c.right) + " " * GAP, style)
            for c in COLUMNS
            if layout.widths[c.key]
        ]
        return Strip(segments).adjust_cell_length(width, style)

    def _render_empty(self, width: int) -> Strip:
        style = self.get_component_rich_style("case-board--empty")
        return Strip([Segment(fit("  " + _("No open cases."), width), style)], width)

    def _row_style(self, state: str, cursor: bool) -> Style:
        style = self.get_component_rich_style(f"case-board--{state}")
        if cursor:
            style += self.get_component_rich_style("case-board--cursor", partial=True)
        return style

    def _render_row(self, row: int, layout: Layout, width: int) -> Strip:
        case_id = self._order[row]
        case = self._cases[case_id]
        remaining = self._remaining(case_id, self._now_ts())
        state = sla_state(remaining, self._window(case_id))
        cursor = case_id == self._cursor_id
        row_style = self._row_style(state, cursor)
        left = fit(self._cell_left(remaining), layout.widths["left"], right=True)
        self._shown[case_id] = (state, left)
        if state in (LATE, AT_RISK):
            accent = self.get_component_rich_style(f"case-board--left-{state}", partial=True)
            if cursor:  # keep the cursor's colours: only the attributes mark the state
                accent = Style(bold=accent.bold, reverse=accent.reverse)
            # Bold only if the accent says so: a late countdown is a reverse-video block,
            # not bold (two bytes less for each of ~40 rows redrawn every second).
            left_style = row_style + Style(bold=bool(accent.bold)) + accent
        else:
            left_style = row_style
        key = (case_id, self._version.get(case_id, 0), state, cursor, layout.width)
        rest = self._static.get(key)
        if rest is None:
            rest = self._render_rest(case, layout, width, row_style)
            if len(self._static) > 4096:
                self._static.clear()
            self._static[key] = rest
        # The marker and the countdown are one segment in one style: the 1 Hz redraw of a
        # row then costs one cursor move and one SGR sequence (the terminal is written from
        # the left edge of the widget to the last changed cell).
        gap = " " * GAP
        head = MARKERS[state] + gap + left
        if left_style == row_style:
            segments = [Segment(head + gap, row_style), *rest]
        else:
            segments = [Segment(head, left_style), Segment(gap, row_style), *rest]
        return Strip(segments, width)

    def _render_rest(self, case: Case, layout: Layout, width: int, style: Style) -> list[Segment]:
        """The cells right of the countdown, padded by cell width, as one segment (one style:
        fewer segments to crop and divide on every redraw)."""
        cells = self._texts(case)
        text = "".join(
            fit(cells[c.key], layout.widths[c.key], c.right) + " " * GAP
            for c in COLUMNS[2:]
            if layout.widths[c.key]
        )
        return [Segment(fit(text, width - layout.x["number"]), style)]

    def _texts(self, case: Case) -> dict[str, str]:
        crew = self._crew_codes.get(case.crew_id, "?") if case.crew_id is not None else "-"
        return {
            "number": case.number,
            "priority": case.priority.label,
            "plate": clean(case.plate),
            "place": clean(case.address),
            "status": case.status.label,
            "crew": crew,
            "promised": self._due_text(case),
            "flags": flags(case),
        }

    def _due_text(self, case: Case) -> str:
        """When the counted clock falls due, with its kind (``到达 14:35``); the promised
        arrival on a board that counts only that."""
        due = self._due_of.get(case.id) if case.id is not None else None
        if due is None or not due.kind:
            return _local(case.promised_arrival_at, self._tz)
        instant = datetime.fromtimestamp(due.deadline, self._tz)
        return f"{due.kind} {instant:%H:%M}"

    def cells(self, case_id: int) -> dict[str, str]:
        """What the row of ``case_id`` shows, cell by cell, unpadded (for tests and tools)."""
        case = self._cases[case_id]
        remaining = self._remaining(case_id, self._now_ts())
        state = sla_state(remaining, self._window(case_id))
        return {
            "marker": MARKERS[state].strip(),
            "state": state,
            "left": self._cell_left(remaining),
            **self._texts(case),
        }

    # -- cursor ----------------------------------------------------------------------------
    def _refresh_row(self, row: int) -> None:
        y = row - int(self.scroll_offset.y) + 1
        if 1 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def move_cursor(self, row: int) -> None:
        if not self._order:
            return
        row = max(0, min(row, len(self._order) - 1))
        old = self._cursor_row
        self._cursor_row = row
        self._cursor_id = self._order[row]
        if old != row:
            self._refresh_row(old)
            self._refresh_row(row)
        self._scroll_cursor_visible()

    def select_case(self, case_id: int) -> bool:
        """Put the cursor on ``case_id``; False if it is not on the board."""
        row = self._row_of.get(case_id)
        if row is None:
            return False
        self.move_cursor(row)
        return True

    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_cursor_visible(self) -> None:
        top = int(self.scroll_offset.y)
        page = self._page()
        row = self._cursor_row
        if row < top:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif row >= top + page:
            self.scroll_to(y=row - page + 1, animate=False, immediate=True)

    def action_cursor_up(self) -> None:
        self.move_cursor(self._cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self._cursor_row + 1)

    def action_page_up(self) -> None:
        self.move_cursor(self._cursor_row - self._page())

    def action_page_down(self) -> None:
        self.move_cursor(self._cursor_row + self._page())

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(len(self._order) - 1)

    def action_select_cursor(self) -> None:
        if self._cursor_id is not None:
            self.post_message(self.Selected(self._cursor_id))

    def on_click(self, event: events.Click) -> None:
        if event.y < 1:
            return
        row = int(self.scroll_offset.y) + event.y - 1
        if 0 <= row < len(self._order):
            if row == self._cursor_row and event.chain >= 2:
                self.action_select_cursor()
            self.move_cursor(row)


def _local(instant: datetime | None, tz: ZoneInfo) -> str:
    return "-" if instant is None else instant.astimezone(tz).strftime("%H:%M")
