"""The help screen: every key of the current screen, translated."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from callcenter.i18n import _


class HelpScreen(ModalScreen[None]):
    CSS_PATH = "help.tcss"
    BINDINGS = [Binding("escape,q,f1", "dismiss", "Close")]

    def __init__(self, keys: list[tuple[str, str]]) -> None:
        super().__init__()
        self._keys = keys

    def compose(self) -> ComposeResult:
        title = _("Keys")
        lines = [f"[b]{escape(title)}[/b]", ""]
        for key, description in self._keys:
            lines.append(f"  [b]{escape(key):<12}[/b] {escape(description)}")
        lines += [
            "",
            escape(_("Ctrl+P opens the command palette: every action can be searched there.")),
            escape(_("Times are shown in the centre's time zone.")),
            "",
            escape(_("Press Esc to close.")),
        ]
        with VerticalScroll(id="help-body"):
            yield Static("\n".join(lines), id="help-text")

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
