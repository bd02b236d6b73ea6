"""The escalation line: what went to the supervisors and nobody has acknowledged yet."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static


class EscalationStrip(Static):
    """One line on a supervisor's board while an escalation waits for acknowledgement
    (mounted by the application, like the prompt strip); a click opens the complaints (F6),
    where ``a`` acknowledges it. Never focusable."""

    DEFAULT_CSS = """
    EscalationStrip {
        width: 100%;
        height: 1;
        padding: 0 1;
        background: $error-muted;
        color: $text;
        text-style: bold;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(self, content: Content) -> None:
        super().__init__(content, markup=False)
        self._content = content

    def show(self, content: Content) -> None:
        if content != self._content:
            self._content = content
            self.update(content, layout=False)

    async def on_click(self) -> None:
        await self.app.run_action("app.complaints")
