"""The alert inbox: what the SLA watch, the complaints and the escalations announce, kept in a
list the operator reads with F8 — never a toast over the board (at 80×24 a toast covered the
status and crew columns). The prompt strip above the footer says how many are unread."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from callcenter.i18n import N_, _
from callcenter.text import visible

#: The most alerts kept (the oldest go first).
KEEP = 300


@dataclass(frozen=True)
class InboxItem:
    at: datetime
    title: str
    message: str
    severity: str  # "information" | "warning" | "error"


class Inbox:
    """The alerts of this session, newest last, and how many the operator has not read."""

    def __init__(self) -> None:
        self.items: list[InboxItem] = []
        self.unread = 0

    def add(self, item: InboxItem) -> None:
        self.items.append(item)
        del self.items[:-KEEP]
        self.unread += 1

    def read(self) -> None:
        self.unread = 0

    @property
    def latest(self) -> InboxItem | None:
        return self.items[-1] if self.items else None


def inbox_line(inbox: Inbox) -> Content | None:
    """The strip's line about unread alerts: how many, and the latest; None when all read."""
    latest = inbox.latest
    if not inbox.unread or latest is None:
        return None
    head = _("Alerts: {n} new — F8").format(n=inbox.unread)
    what = (
        _("{title}: {message}").format(title=latest.title, message=latest.message)
        if latest.title
        else latest.message
    )
    return Content.assemble((f"🔔 {head}", "bold"), "  ", visible(what))


class InboxScreen(ModalScreen[None]):
    """Every alert of the session, newest first, with its time; Esc closes."""

    BINDINGS = [Binding("escape", "close", N_("Close")), Binding("f8", "close", show=False)]

    DEFAULT_CSS = """
    InboxScreen { align: center middle; }
    InboxScreen > Vertical {
        width: 100; max-width: 98%; height: 80%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    InboxScreen .inbox-title { text-style: bold; margin-bottom: 1; }
    InboxScreen .inbox-item { height: auto; margin-bottom: 1; }
    InboxScreen .inbox-item.-error { color: $text-error; }
    InboxScreen .inbox-item.-warning { color: $text-warning; }
    """

    def __init__(self, items: Sequence[InboxItem], tz: tzinfo) -> None:
        super().__init__()
        self.alerts = list(items)
        self.tz = tz

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                Content(_("Alerts of this session ({n}) — Esc closes").format(n=len(self.alerts))),
                classes="inbox-title",
            )
            with VerticalScroll():
                if not self.alerts:
                    yield Static(Content(_("No alert yet.")), classes="inbox-item")
                for item in reversed(self.alerts):
                    text = Text(item.at.astimezone(self.tz).strftime("%m-%d %H:%M  "))
                    if item.title:
                        text.append(visible(item.title), style="bold")
                        text.append("  ")
                    text.append(visible(item.message, multiline=True))
                    yield Static(text, classes=f"inbox-item -{item.severity}")

    def action_close(self) -> None:
        self.dismiss(None)
