"""Leaving the intake form: keep the draft, discard the call, or go back."""

from __future__ import annotations

from callcenter.i18n import _
from screens.widgets.choice import Choice, ChoiceModal


class LeaveIntakeScreen(ChoiceModal[str | None]):
    """Leave the form: keep the draft (the default), discard the call, or go back (None)."""

    def __init__(self) -> None:
        super().__init__(
            _("Leave this call?"),
            [
                Choice("keep", _("Keep draft (K)"), ("k",), "primary", id="keep"),
                Choice("discard", _("Discard (D)"), ("d",), "error", id="discard"),
                Choice(None, _("Back (Esc)"), ("escape",), id="back"),
            ],
            lines=[_("What is typed stays as a draft unless you discard it.")],
        )
