"""The prompt strip: how many owners to call and the first call to make, above the footer."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static


class PromptStrip(Static):
    """How many owners to call and the first call to make, docked above the footer.

    Mounted by the application on every full screen while a call waits (like the outage
    banner); never focusable. A click opens the delay calls.
    """

    DEFAULT_CSS = """
    PromptStrip {
        dock: bottom;
        margin-bottom: 1;
        width: 100%;
        height: auto;
        max-height: 2;
        padding: 0 1;
        /* One row per line: a long delay line ends in "…" at 80 columns rather than
           wrapping over the unread-alerts line below it (F3 shows the whole call). */
        text-wrap: nowrap;
        text-overflow: ellipsis;
        background: $warning-muted;
        color: $text;
    }
    PromptStrip.-late {
        background: $error-muted;
    }
    """

    def __init__(self, content: Content, late: bool) -> None:
        super().__init__(content, markup=False)
        self._content = content
        self.set_class(late, "-late")

    def show(self, content: Content, late: bool) -> None:
        """Say ``content``. Asked after every sweep: the same text costs nothing, and a new
        one a layout only when it needs another number of lines (a layout repaints the
        whole screen, tens of kilobytes to an operator over SSH)."""
        self.set_class(late, "-late")
        if content == self._content:
            return
        layout = self._lines(content) != self._lines(self._content)
        self._content = content
        self.update(content, layout=layout)

    @staticmethod
    def _lines(content: Content) -> int:
        """Rows taken: one per line (lines never wrap), two at most."""
        return min(2, content.plain.count("\n") + 1)

    async def on_click(self) -> None:
        await self.app.run_action("app.delay_calls")
