"""A checkbox and a radio button readable without colour: ``✓`` when ticked, blank when
not; ``(•)`` for the chosen radio button, ``( )`` for the others.

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
    """A radio button readable without colour: ``(•)`` when chosen, ``( )`` when not
    (Textual's draws ``▐●▌`` in both states and tells them apart by colour only; the half
    blocks around a blank read as one more button on a monochrome terminal)."""

    DEFAULT_CSS = """
    Choice > .toggle--button {
        color: $text-muted;
        background: transparent;
    }
    Choice.-on > .toggle--button {
        color: $text-success;
        text-style: bold;
    }
    """
    BUTTON_LEFT = ""
    BUTTON_RIGHT = ""

    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]
        return "(•)" if self.value else "( )"
