"""Display helpers: times in the centre's zone, countdowns, cell-width padding for CJK, fees,
distances, and the messages of refused writes."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from rich.cells import cell_len, set_cell_size

from callcenter.domain import Case
from callcenter.errors import CallCenterError, ConcurrencyConflict
from callcenter.i18n import _
from callcenter.text import visible


def local_time(instant: datetime | None, tz: ZoneInfo, fmt: str = "%H:%M") -> str:
    if instant is None:
        return "—"
    return instant.astimezone(tz).strftime(fmt)


def due_text(due: datetime, now: datetime, tz: ZoneInfo) -> str:
    """When a call is due: the time of day when it is today, else the date too."""
    same_day = due.astimezone(tz).date() == now.astimezone(tz).date()
    return local_time(due, tz, "%H:%M" if same_day else "%m-%d %H:%M")


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


def safe_text(text: str | None, *, multiline: bool = False) -> str:
    """Stored text as every screen shows it: control and invisible characters as visible
    symbols (``␛``, ``⟨U+202E⟩``); see ``callcenter.text``."""
    return visible(text, multiline=multiline)


def fit(text: str, width: int) -> str:
    """Pad or crop ``text`` to exactly ``width`` terminal cells (CJK counts two)."""
    if cell_len(text) <= width:
        return text + " " * (width - cell_len(text))
    return set_cell_size(text[:width], width - 1) + "…"


def error_text(exc: CallCenterError, tz: Any) -> str:
    """The translated message of ``exc``; a conflict always says who changed what, when."""
    text = str(exc)
    if isinstance(exc, ConcurrencyConflict) and exc.changed_by and exc.changed_by not in text:
        when = exc.changed_at if isinstance(exc.changed_at, datetime) else None
        text = sentences(
            text,
            _("Changed by {who} at {when}.").format(who=exc.changed_by, when=local_time(when, tz)),
        )
    return text


def sentences(*parts: str) -> str:
    """Sentences one after the other ("A. B." in English, "A。B。" in Chinese)."""
    text = ""
    for part in parts:
        if part:
            text = _("{first} {second}").format(first=text, second=part) if text else part
    return text


def conflict_message(case: Case, tz: Any) -> str:
    """The message of a case changed since the operator saw it (the services' wording)."""
    return _("Case {number} was changed by {who} at {when}.").format(
        number=case.number,
        who=case.updated_by or "?",
        when=local_time(case.updated_at, tz) if case.updated_at else "?",
    )


def fee_text(fee: Decimal) -> str:
    return f"¥{fee:,.2f}"


def km_text(km: Decimal | float) -> str:
    """``8`` / ``12.5`` — a distance without trailing zeros."""
    value = km if isinstance(km, Decimal) else Decimal(str(round(km, 1)))
    return format(value.normalize(), "f")
