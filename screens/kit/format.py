"""Display helpers: times in the centre's zone, countdowns, cell-width padding for CJK."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from rich.cells import cell_len, set_cell_size


def local_time(instant: datetime | None, tz: ZoneInfo, fmt: str = "%H:%M") -> str:
    if instant is None:
        return "—"
    return instant.astimezone(tz).strftime(fmt)


def countdown(remaining: timedelta) -> str:
    """``12:34`` / ``1:02:03`` / ``-05:12`` (late), to the second."""
    seconds = (
        int(remaining.total_seconds() // 1)
        if remaining >= timedelta(0)
        else -int((-remaining).total_seconds() // 1)
    )
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{secs:02d}"
    return f"{sign}{minutes:02d}:{secs:02d}"


def fit(text: str, width: int) -> str:
    """Pad or crop ``text`` to exactly ``width`` terminal cells (CJK counts two)."""
    if cell_len(text) <= width:
        return text + " " * (width - cell_len(text))
    return set_cell_size(text[:width], width - 1) + "…"
