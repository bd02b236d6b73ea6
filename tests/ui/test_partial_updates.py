"""screens/kit/textual_private.py: fewer bytes written, the same screen."""

from __future__ import annotations

import random
import re

import pytest
from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual._compositor import ChopsUpdate
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.strip import Strip
from textual.widgets import Static

import screens.app  # noqa: F401 - installs the renderer, as the application does
from screens.kit import textual_private as partial_updates

MOVE = re.compile(r"\x1b\[(\d+);(\d+)H")
SGR = re.compile(r"\x1b\[[0-9;]*m")
RED = Style(color="red", bold=True, reverse=True)
PLAIN = Style(color="white", bgcolor="black")


def console() -> Console:
    return Console(color_system="256", force_terminal=True, width=80, legacy_windows=False)


def paint(grid: list[list[str]], output: str) -> list[list[str]]:
    """Apply ``output`` (cursor moves, SGR, text) to a copy of ``grid``, as a terminal would
    (a double-width character takes its cell and a continuation cell "")."""
    grid = [row[:] for row in grid]
    y = x = 0
    pos = 0
    while pos < len(output):
        move = MOVE.match(output, pos)
        if move:
            y, x = int(move.group(1)) - 1, int(move.group(2)) - 1
            pos = move.end()
            continue
        sgr = SGR.match(output, pos)
        if sgr:
            pos = sgr.end()
            continue
        char = output[pos]
        pos += 1
        if char in "\r\n":
            y, x = (y + 1, 0) if char == "\n" else (y, 0)
            continue
        width = cell_len(char)
        grid[y][x] = char
        if width == 2:
            grid[y][x + 1] = ""
        x += width
    return grid


def update(lines: list[list[tuple[int, str, Style]]], spans: list[tuple[int, int, int]]):
    """A ChopsUpdate of ``lines`` (per line, its chops: x, text, style), for ``spans``."""
    chops = []
    ends = []
    for line in lines:
        chops.append({x: Strip([Segment(text, style)]) for x, text, style in line})
        ends.append([x + cell_len(text) for x, text, _style in line])
    return ChopsUpdate(chops, spans, ends)


def blank(height: int, width: int) -> list[list[str]]:
    return [["?"] * width for _ in range(height)]


def test_the_renderer_is_installed_on_the_pinned_textual() -> None:
    assert partial_updates.installed(), partial_updates.source_digest()


def test_one_changed_character_is_written_alone() -> None:
    line = [(0, "!!   -09:45", RED), (11, "  20261123-0361 一般", PLAIN)]
    chops = update([line], [(0, 10, 11)])
    ours = chops.render_segments(console())
    stock = partial_updates._original(chops, console())
    assert SGR.sub("", ours) == "\x1b[1;11H5"
    assert "!!   -09:4" in stock
    assert len(ours) < len(stock) - 10


def test_a_cut_inside_a_wide_character_starts_at_the_character() -> None:
    strip = Strip([Segment("ab救援c", PLAIN)])
    assert [partial_updates.cell_start(strip, n) for n in range(8)] == [0, 1, 2, 2, 4, 4, 6, 7]
    line = [(0, "ab救援c", PLAIN)]
    ours = update([line], [(0, 3, 5)]).render_segments(console())
    assert SGR.sub("", ours) == "\x1b[1;3H救援"


@pytest.mark.parametrize("seed", range(40))
def test_the_screen_is_the_same_as_with_textuals_renderer(seed: int) -> None:
    """A terminal showing the new content everywhere but in the refreshed spans (stale
    there) shows the new content everywhere after our output, as after Textual's."""
    rng = random.Random(seed)
    words = ["!!", "-09:45", "救援3组", "粤B12345", "途中", " ", "abc", "龙岗区布吉街道"]
    height, width = 6, 72
    lines = []
    for _y in range(height):
        x = 0
        line = []
        while x < width - 24:
            text = "".join(rng.choice(words) for _ in range(rng.randint(1, 3)))
            line.append((x, text, rng.choice([RED, PLAIN])))
            x += cell_len(text)
        lines.append(line)
    spans = []
    for y in sorted(rng.sample(range(height), rng.randint(1, height))):
        x1 = rng.randrange(0, width - 36)
        spans.append((y, x1, x1 + rng.randint(1, 12)))
    chops = update(lines, spans)
    full = update(lines, [(y, 0, width) for y in range(height)])
    current = paint(blank(height, width), partial_updates._original(full, console()))
    stale = [row[:] for row in current]
    for y, x1, x2 in spans:
        start = x1 - 1 if current[y][x1] == "" else x1  # a wide character cut: all of it
        stop = x2 + 1 if x2 < width and current[y][x2] == "" else x2
        for x in range(start, stop):
            stale[y][x] = "?"
    ours = chops.render_segments(console())
    stock = partial_updates._original(chops, console())
    assert paint(stale, ours) == current  # every stale cell rewritten, nothing else broken
    cuts_wide = any(current[y][x1] == "" or current[y][x2] == "" for y, x1, x2 in spans)
    if not cuts_wide:  # Textual writes a space for half a wide character (see the module)
        assert paint(stale, stock) == current
    assert len(ours) <= len(stock) + 4 * len(spans)


# --------------------------------------------------------------------------------------------
# Chops: a widget's line is cut only where a widget in front of it takes over (textual#6357)

MESSAGE = "……另有 2 位车主待致电，按 F3 查看延误电话。"


class _Panels(App[None]):
    """A board and a side panel with a left border; toasts cover the panel's edge."""

    def __init__(self, panel_width: int) -> None:
        super().__init__()
        self.panel_width = panel_width

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static("救援组", id="board")
            yield Static("待命", id="panel")

    def on_mount(self) -> None:
        self.query_one("#board").styles.width = "1fr"
        panel = self.query_one("#panel")
        panel.styles.width = self.panel_width
        panel.styles.height = "100%"
        panel.styles.border_left = ("vkey", "white")


def _text(strips: list[Strip]) -> list[str]:
    return ["".join(segment.text for segment in strip) for strip in strips]


@pytest.mark.parametrize("panel_width", [31, 33])  # the panel's edge in the middle of a 字
async def test_a_chinese_toast_over_a_panel_edge_keeps_every_character(panel_width: int) -> None:
    app = _Panels(panel_width)
    async with app.run_test(size=(100, 12), notifications=True) as pilot:
        app.notify(MESSAGE, timeout=60)
        await pilot.pause()
        compositor = app.screen._compositor
        screen = _text(compositor.render_strips())
        assert any(MESSAGE in line for line in screen), screen
        partial_updates.uninstall()
        try:
            stock = _text(compositor.render_strips())
        finally:
            assert partial_updates.install()
        assert not any(MESSAGE in line for line in stock), "Textual's own cuts lose a 字 here"
        # The panel under the toast repaints (its text changed). A terminal whose cells of
        # the panel are stale shows the toast whole after the partial update.
        width, height = app.size
        full = compositor.render_full_update().render_segments(console())
        stale = paint(blank(height, width), full)
        edge = width - panel_width
        for row in stale:
            for x in range(edge - 1 if row[edge] == "" else edge, width):
                row[x] = "?"
        panel = app.query_one("#panel", Static)
        panel.update("出车")
        compositor.update_widgets({panel})  # as the screen does on its next refresh
        update = compositor.render_partial_update()
    assert update is not None
    after = paint(stale, update.render_segments(console()))
    assert not any("?" in row for row in after)
    assert any(MESSAGE in "".join(row) for row in after)
