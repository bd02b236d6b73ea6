"""The command palette in the interface language (issue 15.9).

Textual's palette and its system commands are English: the placeholder ("Search for
commands…"), "No matches found", the footer's ``^p palette``, and the commands Theme, Quit,
Keys (a panel listing the focused widget's keys in English), Maximize, Screenshot. The
application's palette is :class:`~screens.kit.textual_private.LocalCommandPalette` with a
translated placeholder; its system commands are translated here; the keys are our help
screen (F1, every key in the interface language), not Textual's key panel; the screenshot (a
file written where the application was started) is left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from callcenter.i18n import N_, _
from screens.kit.textual_private import LocalCommandPalette

PALETTE_ID = "--command-palette"  # Textual's own id for the app's palette


class LocalPaletteMixin(App[Any]):
    """Mixed into the application (before ``App``): the palette key, the palette, the
    system commands, the theme picker, all in the interface language."""

    BINDINGS = [
        # The app's own palette key: Textual adds its English one ("palette") only when
        # no binding opens the palette. translate_bindings translates the description.
        Binding("ctrl+p", "command_palette", N_("Commands"), show=False, priority=True),
    ]

    def action_command_palette(self) -> None:
        if self.use_command_palette and not LocalCommandPalette.is_open(self):
            self.push_screen(
                LocalCommandPalette(id=PALETTE_ID, placeholder=_("Search for commands…"))
            )

    def search_themes(self) -> None:
        from textual.theme import ThemeProvider

        self.push_screen(
            LocalCommandPalette(providers=[ThemeProvider], placeholder=_("Search for themes…"))
        )

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's system commands, translated; "Keys" is the help screen (F1) and Quit is
        the application's own command."""
        yield SystemCommand(_("Theme"), _("Change the colours of the screens"), self.search_themes)
        if screen.maximized is not None:
            yield SystemCommand(
                _("Restore"),
                _("Show the maximized part at its normal size"),
                screen.action_minimize,
            )
        elif screen.focused is not None and screen.focused.allow_maximize:
            yield SystemCommand(
                _("Maximize"),
                _("Show the focused part on the whole screen"),
                screen.action_maximize,
            )
