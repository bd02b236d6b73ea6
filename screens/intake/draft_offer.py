"""At start: the unfinished call this operator left, offered back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from callcenter.i18n import _
from screens.intake.intake import draft_summary
from screens.widgets.choice import Choice, ChoiceModal


class DraftOfferScreen(ChoiceModal[str | None]):
    """At start: an unfinished call was kept — restore it, discard it, or decide later (None)."""

    def __init__(self, draft: dict[str, Any], saved_at: str = "") -> None:
        lines: list[str | tuple[str, str]] = []
        if saved_at:
            lines.append(_("Saved {time}").format(time=saved_at))
        lines.append((str(draft_summary(draft)), "-accent"))
        super().__init__(
            _("An unfinished call was kept"),
            [
                Choice("restore", _("Restore (R)"), ("r",), "primary", id="restore"),
                Choice("discard", _("Discard (D)"), ("d",), "error", id="discard"),
                Choice(None, _("Later (Esc)"), ("escape",), id="later"),
            ],
            lines=lines,
        )
        self.draft = draft
        self.saved_at = saved_at


def saved_time(stamp: datetime | None, tz: Any) -> str:
    """When a draft was saved, in the centre's zone, for the offer."""
    return stamp.astimezone(tz).strftime("%Y-%m-%d %H:%M") if stamp else ""
