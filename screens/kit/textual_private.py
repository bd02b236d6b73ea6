"""Partial screen updates that start where the refreshed region starts.

Textual redraws a refreshed region of a widget (``widget.refresh(Region(...))``) from the
widget's left edge to the region's end: its compositor crops the end of each line but not the
start (``ChopsUpdate.render_segments``, "TODO: crop to x extents"; upstream issue
Textualize/textual#5625). The board's countdown changes one or two characters a second on each
of 40 rows; written from the edge, that is most of the bytes the board sends to a terminal
over SSH.

:func:`install` replaces that one method with one that also crops the start, never in the
middle of a double-width (CJK) character: a cut there takes the whole character (Textual
would write a space for the half it keeps, which erases the character on a terminal). It
changes which cells are written, never what the screen shows. It installs only on the
Textual versions it was written against (the method's code is compared), and otherwise
leaves Textual as it is. It also drops the newline Textual writes between updated lines,
which the absolute cursor move starting every chop makes redundant.
``tests/ui/test_partial_updates.py`` checks both the bytes and the screen.

It also mends the chops themselves (:func:`_render_chops`, upstream Textualize/textual#6357,
open): Textual cuts every line of a widget at the edges of every widget on that line, even
where nothing covers it, and a double-width character across such a cut becomes two spaces.
A toast in Chinese over the edge of a panel below it lost the characters on that edge
("按 F3 查    误电话"). Here a widget's line is cut only where a widget in front of it takes
over, the buckets it covers past the first get an empty strip, and the renderer above takes
each strip's own width as its end. Both replacements install together or not at all.

Last, the text guard (:func:`install_text_guard`): ``Strip.render`` drops every control and
invisible character (C0, DEL, C1, bidi overrides, zero-width) from the text of each segment
before it is written, so that no stored text can ever send an escape sequence to an operator's
terminal, whatever screen forgot to pass it through ``callcenter.text.visible`` (which shows
them as symbols). Rich counts them zero cells wide: dropping them moves nothing.

And the command palette's "No matches found" (:class:`LocalCommandPalette`): Textual writes
it in English inside a private method (``CommandPalette._start_no_matches_countdown``); the
subclass says it in the interface language, on the verified Textual only (else Textual's own).

This is the one module of the project that touches Textual's private API (import-linter
cannot forbid ``textual._*`` to the others; ``tests/ui/test_textual_private.py`` checks the
sources). Its private imports are guarded: a Textual that moved or renamed them means "patch
not installed" and a warning in the log, never an application that does not start. Textual
is pinned to :data:`VERIFIED_TEXTUAL` in ``pyproject.toml``; the tests fail when the
installed release or the patched functions' sources differ from what was verified here.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence

from rich.align import Align
from rich.cells import get_character_cell_size
from rich.color import ColorSystem
from rich.console import Console
from rich.segment import Segment
from rich.text import Text
from textual.command import CommandList, CommandPalette
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets.option_list import Option

from callcenter.i18n import _
from callcenter.text import FORBIDDEN_LINE

log = logging.getLogger(__name__)

try:  # Textual's private compositor: guarded, see the module's docstring
    from textual._compositor import ChopsUpdate, Compositor
except ImportError as exc:  # pragma: no cover - only on a Textual other than the pinned one
    log.warning("partial updates: Textual's compositor cannot be imported (%s); not installed", exc)
    ChopsUpdate = Compositor = None  # type: ignore[assignment,misc]

#: The Textual release the replacements below were read against and tested on.
VERIFIED_TEXTUAL = "8.2.8"

#: sha256 of ``inspect.getsource(ChopsUpdate.render_segments)`` of the Textual releases
#: this replacement was checked against (8.2.8).
KNOWN_SOURCES = frozenset({"4c1cdb567e0b8354bd70cb129da78a42314c39eb8aacd5bf21951cbd5aaba0ef"})
#: The same for ``Compositor._render_chops``.
KNOWN_CHOPS_SOURCES = frozenset(
    {"ca8c3359d7afd0171bda158ab5b846fec5144539e438de5113d76f11eb357f0f"}
)

_original: Callable[..., str] | None = getattr(ChopsUpdate, "render_segments", None)
_original_chops: Callable[..., object] | None = getattr(Compositor, "_render_chops", None)
_EMPTY = Strip([], 0)
#: sha256 of ``Strip.render``'s source (8.2.8), for the text guard.
KNOWN_STRIP_RENDER_SOURCES = frozenset(
    {"2ba7a4913a72125d28739c6e4186ada18de833b8376b3a72ae227fdaa4ee7f69"}
)
_original_strip_render: Callable[..., str] = Strip.render
#: What a terminal must never receive as text (callcenter.text.FORBIDDEN_LINE).
_UNSAFE = FORBIDDEN_LINE


def source_digest(function: object = _original) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()  # type: ignore[arg-type]


def installed() -> bool:
    return ChopsUpdate is not None and ChopsUpdate.render_segments is _render_segments


def install() -> bool:
    """Use the cropping renderer; False (and Textual left alone) on an unknown Textual."""
    if installed():
        return True
    if ChopsUpdate is None or Compositor is None or _original is None or _original_chops is None:
        log.warning("partial updates: Textual's compositor changed; not installed")
        return False
    try:
        digest, chops_digest = source_digest(), source_digest(_original_chops)
    except (OSError, TypeError):  # no source (a frozen build): leave Textual alone
        return False
    if digest not in KNOWN_SOURCES or chops_digest not in KNOWN_CHOPS_SOURCES:
        log.warning(
            "partial updates: Textual's renderer changed (%s, %s); not installed",
            digest,
            chops_digest,
        )
        return False
    ChopsUpdate.render_segments = _render_segments  # type: ignore[method-assign]
    Compositor._render_chops = _render_chops  # type: ignore[method-assign]
    return True


def uninstall() -> None:
    if ChopsUpdate is None or Compositor is None or _original is None or _original_chops is None:
        return
    ChopsUpdate.render_segments = _original  # type: ignore[method-assign]
    Compositor._render_chops = _original_chops  # type: ignore[method-assign,assignment]


def cell_start(strip: Strip, offset: int) -> int:
    """``offset`` (cells from the strip's start), or the first cell of the double-width
    character that ``offset`` would cut in two."""
    x = 0
    segment: Segment
    for segment in strip:
        width = segment.cell_length
        if x + width <= offset:
            x += width
            continue
        for char in segment.text:
            size = get_character_cell_size(char)
            if x + size > offset:
                return x
            x += size
        return x
    return offset


def cell_end(strip: Strip, offset: int) -> int:
    """``offset``, or the cell after the double-width character that ``offset`` would cut."""
    start = cell_start(strip, offset)
    if start == offset:
        return offset
    return start + 2


def _render_segments(self: ChopsUpdate, console: Console) -> str:
    """``ChopsUpdate.render_segments`` of Textual 8.2.8, the start of each chop cropped too,
    and no newline between lines: each chop starts with an absolute cursor move anyway (a
    newline is two bytes on the wire, ``\r\n``, for every row of the countdown)."""
    sequences: list[str] = []
    append = sequences.append
    move_to = _move_to
    chops = self.chops

    for y, x1, x2 in self.spans:
        line = chops[y]
        for x, strip in line.items():
            if strip is None or not strip.cell_length:  # empty: covered (see _render_chops)
                continue
            end = x + strip.cell_length  # may run past the next cut: see _render_chops
            if x >= x2 or end <= x1:  # Textual: x > x2, which writes an empty chop at x2
                continue
            if x2 > x >= x1 and end <= x2:
                append(move_to(x, y))
                append(strip.render(console))
                continue
            start = cell_start(strip, x1 - x) if x < x1 else 0
            stop = cell_end(strip, x2 - x) if end > x2 else end - x
            strip = strip.crop(start, stop)
            append(move_to(x + start, y))
            append(strip.render(console))
    return "".join(sequences)


def _render_chops(
    self: Compositor, crop: Region, is_rendered_line: Callable[[int], bool]
) -> Sequence[Mapping[int, Strip]]:
    """``Compositor._render_chops`` of Textual 8.2.8, each widget's line cut only where the
    widgets in front of it take over (see the module docstring)."""
    cuts = self.cuts
    chops: list[dict[int, Strip | None]] = [dict.fromkeys(cut_set[:-1]) for cut_set in cuts]
    intersection = Region.intersection
    # Front to back: the first strip to fill a bucket wins it.
    for region, clip, strips in _renders_in(self, crop, chops, is_rendered_line):
        render_region = intersection(region, clip)
        render_x = render_region.x
        first_cut, last_cut = render_region.column_span
        for y, strip in zip(render_region.line_range, strips, strict=False):
            if not is_rendered_line(y):
                continue
            chops_line = chops[y]
            final_cuts = [cut for cut in cuts[y] if last_cut >= cut >= first_cut]
            starts = final_cuts[:-1]
            if not starts:
                continue
            get = chops_line.get
            free = [get(cut) is None for cut in starts]
            # Runs of buckets that are all free or all taken; cut only between runs.
            runs = [i for i in range(len(starts)) if i == 0 or free[i] != free[i - 1]]
            edges = [final_cuts[i] - render_x for i in runs[1:]]
            pieces = strip.divide([*edges, final_cuts[-1] - render_x])
            for n, (i, piece) in enumerate(zip(runs, pieces, strict=False)):
                if not free[i]:
                    continue
                chops_line[starts[i]] = piece
                stop = runs[n + 1] if n + 1 < len(runs) else len(starts)
                for j in range(i + 1, stop):
                    chops_line[starts[j]] = _EMPTY  # covered by the piece above
    return chops  # type: ignore[return-value]


def _renders_in(
    self: Compositor,
    crop: Region,
    chops: Sequence[Mapping[int, Strip | None]],
    is_rendered_line: Callable[[int], bool],
) -> Iterator[tuple[Region, Region, list[Strip]]]:
    """``Compositor._get_renders(crop)`` of Textual 8.2.8, rendering only what the crop needs
    (Textual renders every line of every widget whose *container* meets the crop: the crew
    panel, both scroll bars, the strip and the footer, for one countdown cell of the board):

    * only the widgets whose visible part meets the crop, and only the lines of the crop
      (each part keeps the widget's full width, so the cuts of a line stay Textual's);
    * not a widget whose every bucket within the crop on those lines is already taken by
      the widgets in front of it (what is outside the crop is never written). Read lazily:
      ``_render_chops`` fills the buckets of one widget before it asks for the next. The
      containers behind the board are skipped so.

    The 1 Hz countdown then renders the board's lines it changed, and nothing else."""
    intersection = Region.intersection
    top, bottom = crop.y, crop.bottom
    left, right = crop.x, crop.right
    cuts = self.cuts
    for widget, (region, clip) in self.visible_widgets.items():
        visible = intersection(region, clip)
        if not visible.overlaps(crop):
            continue
        y0, y1 = max(visible.y, top), min(visible.bottom, bottom)
        first_cut, last_cut = visible.column_span
        if all(
            chops[y].get(cut) is not None
            for y in range(y0, y1)
            if is_rendered_line(y)
            for cut, end in zip(cuts[y], cuts[y][1:], strict=False)
            if last_cut > cut >= first_cut and cut < right and end > left
        ):
            continue  # hidden, within the crop, behind what is in front of it
        part = Region(visible.x, y0, visible.width, y1 - y0)
        lines = widget.render_lines(
            Region(visible.x - region.x, y0 - region.y, part.width, part.height)
        )
        yield part, part, lines


def _move_to(x: int, y: int) -> str:
    return f"\x1b[{y + 1};{x + 1}H"


def install_text_guard() -> bool:
    """Drop control characters from every strip's text as it is written; False (Textual
    left alone) on a Textual whose ``Strip.render`` is not the verified one."""
    if Strip.render is _render_strip:
        return True
    try:
        digest = source_digest(_original_strip_render)
    except (OSError, TypeError):
        return False
    if digest not in KNOWN_STRIP_RENDER_SOURCES:
        log.warning("text guard: Textual's Strip.render changed (%s); not installed", digest)
        return False
    Strip.render = _render_strip  # type: ignore[method-assign]
    return True


def _render_strip(self: Strip, console: Console) -> str:
    """``Strip.render`` of Textual 8.2.8, control and invisible characters dropped from the
    text (never from the styles' own escape sequences)."""
    if self._render_cache is None:
        color_system = console._color_system or ColorSystem.TRUECOLOR
        render = self.render_style
        unsafe = _UNSAFE.search
        parts: list[str] = []
        for text, style, _control in self._segments:
            if unsafe(text):
                text = _UNSAFE.sub("", text)
            parts.append(text if style is None else render(style, text, color_system=color_system))
        self._render_cache = "".join(parts)
    return self._render_cache


def drain_dead_output(app: object) -> bool:
    """Drain the queue of the app driver's writer thread if that thread died (a hung-up
    terminal), so that the next screen update cannot block the event loop for good.
    False when there is nothing to drain (or this Textual keeps its writer elsewhere)."""
    writer = getattr(getattr(app, "_driver", None), "_writer_thread", None)
    queue = getattr(writer, "_queue", None)
    if writer is None or queue is None or writer.is_alive():
        return False

    def drain() -> None:
        while True:
            queue.get()

    threading.Thread(target=drain, name="dead-terminal-drain", daemon=True).start()
    return True


#: sha256 of ``CommandPalette._start_no_matches_countdown``'s source (8.2.8).
KNOWN_NO_MATCHES_SOURCES = frozenset(
    {"0bc07d1794718e89d73d75d9d5cff5123c4dde7ffc68e68ffe0b6bf133ae53f2"}
)
_original_no_matches: Callable[..., None] = CommandPalette._start_no_matches_countdown


def no_matches_verified() -> bool:
    """Whether Textual's "No matches found" countdown is the one :class:`LocalCommandPalette`
    was written against."""
    try:
        return source_digest(_original_no_matches) in KNOWN_NO_MATCHES_SOURCES
    except (OSError, TypeError):
        return False


class LocalCommandPalette(CommandPalette):
    """Textual's command palette, its "No matches found" in the interface language (the
    placeholder is a public argument: the application passes it translated)."""

    def _start_no_matches_countdown(self, search_value: str) -> None:
        if not no_matches_verified():  # another Textual: its own words, never a broken palette
            _original_no_matches(self, search_value)
            return
        self._stop_no_matches_countdown()

        def show_no_matches() -> None:
            if search_value:
                self.query_one(CommandList).add_option(
                    Option(
                        Align.center(Text(_("No matches found"), style="not bold")),
                        disabled=True,
                        id=self._NO_MATCHES,
                    )
                )
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show_no_matches)
