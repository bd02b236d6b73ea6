"""The dashboard's terminal charts, drawn as Rich text: no plot library.

* :class:`DayChart` — one column per day of a month, eighth-block bars (``▁▂▃▄▅▆▇█``), one
  series or two overlaid (p50 over p90), the y-axis labelled on the left, the days below;
* :class:`BarList` — labelled horizontal bars, one row per item (delays by reason,
  satisfaction by week).

Both keep a cursor (a day, a row) moved with the arrow keys, say where it is
(:class:`ChartMoved`) and post :class:`ChartPicked` on Enter. Labels are padded by terminal
cells (``rich.cells.cell_len``), so that Chinese labels line up with English ones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widget import Widget

from callcenter.i18n import N_, _
from screens.kit.i18n_bindings import translate_bindings

#: The eighths of a cell, bottom-up (vertical bars) and left to right (horizontal bars).
UP = " ▁▂▃▄▅▆▇█"
RIGHT = " ▏▎▍▌▋▊▉█"


def pad(text: str, width: int, *, right: bool = False) -> str:
    """``text`` padded (or cropped, with ``…``) to exactly ``width`` terminal cells."""
    length = cell_len(text)
    if length <= width:
        fill = " " * (width - length)
        return fill + text if right else text + fill
    if width <= 0:
        return ""
    return set_cell_size(text, width - 1) + "…"


def nice_ceiling(value: float) -> float:
    """The scale's top: ``value`` rounded up to 1, 2, 2.5 or 5 times a power of ten."""
    if value <= 0:
        return 1.0
    power = 1.0
    while power * 10 < value:
        power *= 10
    while power > value:
        power /= 10
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power  # pragma: no cover


def eighths(value: float, top: float, rows: int) -> int:
    """How many eighths of a cell a bar of ``value`` fills, of ``rows`` rows for ``top``."""
    if top <= 0:
        return 0
    return max(0, min(rows * 8, round(value / top * rows * 8)))


def _add(runs: list[tuple[str, Style]], chars: str, style: Style) -> None:
    """Append ``chars`` to the last run when it has the same style, else start a run."""
    if runs and runs[-1][1] == style:
        runs[-1] = (runs[-1][0] + chars, style)
    else:
        runs.append((chars, style))


class ChartMoved(Message):
    """The cursor of ``chart`` moved (or the chart got the focus): the screen says where."""

    def __init__(self, chart: Widget) -> None:
        super().__init__()
        self.chart = chart


class ChartPicked(Message):
    """Enter on ``index`` of ``chart``: list the cases behind it."""

    def __init__(self, chart: Widget, index: int) -> None:
        super().__init__()
        self.chart = chart
        self.index = index


class _Cursor(Widget):
    """A focusable chart with a cursor over ``count`` items."""

    can_focus = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "pick", N_("Its cases")),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        translate_bindings(self)
        self.cursor = 0

    @property
    def count(self) -> int:
        raise NotImplementedError

    def move_to(self, index: int) -> None:
        if self.count == 0:
            return
        index = max(0, min(self.count - 1, index))
        if index != self.cursor:
            self.cursor = index
            self.refresh()
        self.post_message(ChartMoved(self))

    def on_focus(self) -> None:
        self.post_message(ChartMoved(self))

    def action_pick(self) -> None:
        if self.count:
            self.post_message(ChartPicked(self, self.cursor))


@dataclass(frozen=True)
class DayColumn:
    """A day's values (None: nothing to show that day), lowest series first."""

    day: date
    values: tuple[float | None, ...]


class DayChart(_Cursor):
    """Bars per day of a month; Left/Right move the day, Enter lists its cases."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "day-chart--bar",
        "day-chart--bar2",
        "day-chart--axis",
        "day-chart--cursor",
        "day-chart--empty",
    }
    DEFAULT_CSS = """
    DayChart { height: 1fr; }
    DayChart > .day-chart--bar { color: $primary; }
    DayChart > .day-chart--bar2 { color: $warning; }
    DayChart > .day-chart--axis { color: $text-muted; }
    DayChart > .day-chart--cursor { background: $boost; }
    DayChart:focus > .day-chart--cursor { background: $accent 40%; }
    DayChart > .day-chart--empty { color: $text-disabled; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "move(-1)", N_("Previous day"), show=False),
        Binding("right", "move(1)", N_("Next day"), show=False),
        Binding("home", "move(-99)", N_("First day"), show=False),
        Binding("end", "move(99)", N_("Last day"), show=False),
    ]

    def __init__(
        self,
        *,
        top: float | None = None,
        label: Callable[[float], str] = lambda v: f"{v:g}",
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.columns: list[DayColumn] = []
        self.fixed_top = top
        self.label = label

    @property
    def count(self) -> int:
        return len(self.columns)

    def show(self, columns: Sequence[DayColumn], cursor: int | None = None) -> None:
        self.columns = list(columns)
        if cursor is not None:
            self.cursor = cursor
        self.cursor = max(0, min(self.cursor, len(self.columns) - 1))
        self.refresh()

    def action_move(self, step: int) -> None:
        self.move_to(self.cursor + step)

    @property
    def top(self) -> float:
        if self.fixed_top is not None:
            return self.fixed_top
        highest = max((v for c in self.columns for v in c.values if v is not None), default=0.0)
        return nice_ceiling(highest)

    def render(self) -> Text:
        width, height = self.content_size.width, self.content_size.height
        if not self.columns or height < 3 or width < 10:
            return Text("")
        style = self.get_component_rich_style
        bar, bar2 = style("day-chart--bar"), style("day-chart--bar2")
        axis, empty = style("day-chart--axis"), style("day-chart--empty")
        cursor_bg = Style(bgcolor=style("day-chart--cursor").bgcolor)
        rows = height - 1
        top = self.top
        labels = {0: self.label(top), rows // 2: self.label(top / 2), rows - 1: self.label(0)}
        gutter = max(cell_len(t) for t in labels.values()) + 1
        step = 2 if gutter + 1 + 2 * len(self.columns) <= width else 1
        heights = [
            [None if v is None else max(1, eighths(v, top, rows)) for v in c.values]
            for c in self.columns
        ]
        text = Text(no_wrap=True, overflow="crop")
        for row in range(rows):
            floor8 = (rows - 1 - row) * 8  # eighths below this row
            text.append(pad(labels.get(row, ""), gutter - 1, right=True), axis)
            text.append("┤" if row in labels else "│", axis)
            # Runs of one style are appended at once: a few spans a row, not one a cell (the
            # gap after a bar takes the bar's style; a space shows no colour).
            runs: list[tuple[str, Style]] = []
            for index, filled in enumerate(heights):
                glyph, glyph_style = self._cell(filled, floor8, bar, bar2, empty, row == rows - 1)
                if index == self.cursor:
                    glyph_style = glyph_style + cursor_bg
                _add(runs, glyph, glyph_style)
                if step == 2:  # the gap: no background but the cursor's
                    plain = index == self.cursor or glyph_style.bgcolor is None
                    _add(runs, " ", glyph_style if plain else Style())
            for chars, chars_style in runs:
                text.append(chars, chars_style)
            text.append("\n")
        text.append(" " * gutter, axis)
        text.append_text(self._day_axis(step, axis))
        return text

    @staticmethod
    def _cell(
        filled: list[int | None],
        floor8: int,
        bar: Style,
        bar2: Style,
        empty: Style,
        bottom: bool,
    ) -> tuple[str, Style]:
        """The glyph of one cell of a day's column: the first series drawn over the second."""
        if all(f is None for f in filled):
            return ("·" if bottom else " "), empty
        first = filled[0] or 0
        second = filled[1] if len(filled) > 1 and filled[1] is not None else 0
        low = max(0, min(8, first - floor8))
        high = max(0, min(8, second - floor8))
        if low == 8:
            return "█", bar
        if low > 0:
            return UP[low], (bar + Style(bgcolor=bar2.color)) if high == 8 else bar
        if high > 0:
            return UP[high], bar2
        return " ", Style()

    def _day_axis(self, step: int, axis: Style) -> Text:
        """The days under their columns: the 1st, every 5th, and the cursor's."""
        cells = [" "] * (len(self.columns) * step + 2)
        marks = [i for i, c in enumerate(self.columns) if c.day.day == 1 or c.day.day % 5 == 0]
        taken = -1
        for index in marks:
            label = str(self.columns[index].day.day)
            at = index * step
            if at <= taken:
                continue
            cells[at : at + len(label)] = list(label)
            taken = at + len(label)
        return Text("".join(cells).rstrip(), axis)


@dataclass(frozen=True)
class BarItem:
    """One row of a :class:`BarList`: its label, the bar's value and the text after it."""

    label: str
    value: float | None
    text: str
    bad: bool = False


class BarList(_Cursor):
    """Labelled horizontal bars; Up/Down move, Enter lists the row's cases."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "bar-list--bar",
        "bar-list--bad",
        "bar-list--label",
        "bar-list--cursor",
        "bar-list--empty",
    }
    DEFAULT_CSS = """
    BarList { height: 1fr; }
    BarList > .bar-list--bar { color: $primary; }
    BarList > .bar-list--bad { color: $error; }
    BarList > .bar-list--cursor { background: $boost; }
    BarList:focus > .bar-list--cursor { background: $accent 40%; }
    BarList > .bar-list--empty { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", N_("Previous row"), show=False),
        Binding("down", "move(1)", N_("Next row"), show=False),
    ]

    def __init__(self, *, top: float | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.items: list[BarItem] = []
        self.fixed_top = top
        self.empty_text = ""

    @property
    def count(self) -> int:
        return len(self.items)

    def show(self, items: Sequence[BarItem], empty_text: str = "") -> None:
        self.items = list(items)
        self.empty_text = empty_text
        self.cursor = max(0, min(self.cursor, len(self.items) - 1))
        self.refresh()

    def action_move(self, step: int) -> None:
        self.move_to(self.cursor + step)

    def render(self) -> Text:
        width = self.content_size.width
        style = self.get_component_rich_style
        if not self.items:
            return Text(self.empty_text or _("Nothing to show."), style("bar-list--empty"))
        label_width = min(max(cell_len(i.label) for i in self.items), max(6, width // 3))
        text_width = max(cell_len(i.text) for i in self.items)
        bar_width = max(4, width - label_width - text_width - 2)
        top = self.fixed_top or max((i.value or 0 for i in self.items), default=0) or 1
        cursor_bg = Style(bgcolor=style("bar-list--cursor").bgcolor)
        text = Text(no_wrap=True, overflow="crop")
        for index, item in enumerate(self.items):
            row = Text(no_wrap=True)
            row.append(pad(item.label, label_width) + " ", style("bar-list--label"))
            filled = 0 if item.value is None else eighths(item.value, top, bar_width)
            full, part = divmod(filled, 8)
            drawn = "█" * full + (RIGHT[part] if part else "")
            row.append(
                pad(drawn, bar_width), style("bar-list--bad" if item.bad else "bar-list--bar")
            )
            row.append(" " + pad(item.text, text_width, right=True))
            if index == self.cursor:
                row.stylize(cursor_bg)
            text.append_text(row)
            if index < len(self.items) - 1:
                text.append("\n")
        return text
