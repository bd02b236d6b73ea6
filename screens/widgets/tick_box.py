"""A checkbox readable without colour: ``✓`` when ticked, blank when not.

Textual's ``Checkbox`` draws the same ``X`` in both states and tells them apart by colour
only, which a night-shift terminal at 256 colours or ``NO_COLOR`` does not show.
"""

from __future__ import annotations

from textual.widgets import Checkbox


class TickBox(Checkbox):
    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]
        return "✓" if self.value else " "
