"""Textual's own words the operator can read, as msgids of our catalogs.

The descriptions of the keys of Textual's widgets (Input, TextArea, DataTable, Select, the
radio buttons, the scrolling containers, the screens) are English in Textual; the help screen
(F1) lists the keys of the focused widget too, so each description is translated through
:func:`key_description`. ``tests/ui/test_palette.py`` checks that every description of those
widgets' keys is here.
"""

from __future__ import annotations

from callcenter.i18n import N_, _, current_language

#: Every description of a key of the Textual widgets the application uses (Textual 8.2.8).
TEXTUAL_KEY_WORDS: frozenset[str] = frozenset(
    {
        N_("Bottom"),
        N_("Copy"),
        N_("Copy selected text"),
        N_("Cursor down"),
        N_("Cursor down select"),
        N_("Cursor left"),
        N_("Cursor left select"),
        N_("Cursor left word select"),
        N_("Cursor line end"),
        N_("Cursor line end select"),
        N_("Cursor line start"),
        N_("Cursor line start select"),
        N_("Cursor page down"),
        N_("Cursor page up"),
        N_("Cursor right"),
        N_("Cursor right select"),
        N_("Cursor right word select"),
        N_("Cursor up"),
        N_("Cursor up select"),
        N_("Cursor word left"),
        N_("Cursor word right"),
        N_("Cut"),
        N_("Cut selected text"),
        N_("Delete all to the left"),
        N_("Delete all to the right"),
        N_("Delete character left"),
        N_("Delete character right"),
        N_("Delete left to start of word"),
        N_("Delete line"),
        N_("Delete right to start of word"),
        N_("Delete to line end"),
        N_("Delete to line start"),
        N_("Down"),
        N_("End"),
        N_("Exit the command palette"),
        N_("First"),
        N_("Focus Next"),
        N_("Focus Previous"),
        N_("Go to bottom"),
        N_("Go to end"),
        N_("Go to start"),
        N_("Go to top"),
        N_("Home"),
        N_("Last"),
        N_("Move cursor left"),
        N_("Move cursor left a word"),
        N_("Move cursor left a word and select"),
        N_("Move cursor left and select"),
        N_("Move cursor right a word"),
        N_("Move cursor right a word and select"),
        N_("Move cursor right and select"),
        N_("Move cursor right or accept the completion suggestion"),
        N_("Next command"),
        N_("Next option"),
        N_("Next page"),
        N_("Page Down"),
        N_("Page Left"),
        N_("Page Right"),
        N_("Page Up"),
        N_("Page down"),
        N_("Page up"),
        N_("Paste"),
        N_("Paste text from the clipboard"),
        N_("Press button"),
        N_("Previous command"),
        N_("Previous option"),
        N_("Previous page"),
        N_("Quit"),
        N_("Redo"),
        N_("Scroll Down"),
        N_("Scroll End"),
        N_("Scroll Home"),
        N_("Scroll Left"),
        N_("Scroll Right"),
        N_("Scroll Up"),
        N_("Select"),
        N_("Select all"),
        N_("Select line"),
        N_("Select line end"),
        N_("Select line start"),
        N_("Show menu"),
        N_("Submit"),
        N_("Toggle"),
        N_("Top"),
        N_("Undo"),
        N_("Up"),
    }
)


def key_description(description: str) -> str | None:
    """``description`` of a key in the interface language; None for a Textual description
    that has no translation (never shown in English to a Chinese interface)."""
    translated = _(description)
    if translated == description and description.isascii() and current_language() != "en":
        return None
    return translated
