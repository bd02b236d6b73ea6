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
"""

from __future__ import annotations

import hashlib
import inspect
import logging

from rich.cells import get_character_cell_size
from rich.console import Console
from rich.segment import Segment
from textual._compositor import ChopsUpdate
from textual.strip import Strip

log = logging.getLogger(__name__)

#: sha256 of ``inspect.getsource(ChopsUpdate.render_segments)`` of the Textual releases
#: this replacement was checked against (8.2.8).
KNOWN_SOURCES = frozenset({"4c1cdb567e0b8354bd70cb129da78a42314c39eb8aacd5bf21951cbd5aaba0ef"})

_original = ChopsUpdate.render_segments


def source_digest() -> str:
    return hashlib.sha256(inspect.getsource(_original).encode()).hexdigest()


def installed() -> bool:
    return ChopsUpdate.render_segments is _render_segments


def install() -> bool:
    """Use the cropping renderer; False (and Textual left alone) on an unknown Textual."""
    if installed():
        return True
    try:
        digest = source_digest()
    except (OSError, TypeError):  # no source (a frozen build): leave Textual alone
        return False
    if digest not in KNOWN_SOURCES:
        log.info("partial updates: Textual's renderer changed (%s); left as it is", digest)
        return False
    ChopsUpdate.render_segments = _render_segments  # type: ignore[method-assign]
    return True


def uninstall() -> None:
    ChopsUpdate.render_segments = _original  # type: ignore[method-assign]


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
    chop_ends = self.chop_ends

    for y, x1, x2 in self.spans:
        line = chops[y]
        ends = chop_ends[y]
        for end, (x, strip) in zip(ends, line.items(), strict=False):
            if strip is None:
                continue
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


def _move_to(x: int, y: int) -> str:
    return f"\x1b[{y + 1};{x + 1}H"
