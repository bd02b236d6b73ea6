"""A checkbox and a radio button readable without colour: ``✓`` or ``●`` when on, blank when
off.

Textual's ``Checkbox`` draws the same ``X`` in both states and tells them apart by colour
only, which a night-shift terminal at 256 colours or ``NO_COLOR`` does not show.

Space and Enter tick it where they land (:class:`~screens.widgets.form.OwnKeys`): a Space
typed just before a Tab or Ctrl+S is never lost.
"""

from __future__ import annotations

from textual.widgets import Checkbox, RadioButton

from screens.widgets.form import OwnKeys


class TickBox(OwnKeys, Checkbox):
    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]
        return "✓" if self.value else " "


class Choice(RadioButton):
    """A radio button readable without colour: ``●`` when chosen, blank when not (Textual's
    draws ``●`` in both states and tells them apart by colour only)."""

    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]
        return "●" if self.value else " "
