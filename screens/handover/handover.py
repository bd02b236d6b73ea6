"""The shift-handover digest (交接班, F12): everything the next shift must know since the
shift began, section by section with its count, live; Enter opens a line's case, ``m`` marks
the handover read (who and when are kept, and shown at the top)."""

from __future__ import annotations

import asyncio
from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from callcenter.errors import CallCenterError
from callcenter.handover import Digest, Line, heading, left_text, reads_text, when_text
from callcenter.i18n import N_, _
from screens.kit.format import error_text, fit, safe_text
from screens.kit.host import Host, host
from screens.kit.i18n_bindings import translate_bindings
from screens.kit.messages import DataChanged

#: The change feed's entities whose change may change the digest.
FOLLOWED = frozenset(
    {
        "case",
        "crew",
        "alert",
        "call_task",
        "survey",
        "complaint",
        "complaint_alert",
        "escalation",
        "handover_read",
    }
)
#: Seconds between two readings while nothing changes (the time left moves on).
REFRESH_S = 30.0
#: From this width, a line's "what" goes on the same line as its number, time and who.
WIDE = 120
REF_W, WHEN_W, LEFT_W, WHO_W = 14, 11, 16, 22  # who: a name and a whole phone number


class HandoverScreen(ModalScreen[None]):
    """The digest of the current shift (or since a time typed at the command line)."""

    CSS_PATH = "handover.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", N_("Close")),
        Binding("enter", "open_case", N_("Open case"), show=True),
        Binding("m", "mark_read", N_("Mark read")),
        Binding("r", "refresh", N_("Refresh")),
    ]

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)
        self.digest: Digest | None = None
        #: option id → the line it shows.
        self.lines: dict[str, Line] = {}

    @property
    def cc(self) -> Host:
        return host(self)

    def compose(self) -> ComposeResult:
        with Vertical(id="ho-box"):
            yield Static(Content(_("Shift handover")), id="ho-title")
            yield Static("", id="ho-reads")
            yield OptionList(id="ho-list")
            yield Static("", id="ho-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#ho-list", OptionList).focus()
        self.load()
        self.set_interval(REFRESH_S, self.load)

    # -- reading -----------------------------------------------------------------------
    @work(exclusive=True, group="handover-read", exit_on_error=False)
    async def load(self) -> None:
        try:
            digest = await asyncio.to_thread(self.cc.services.handover)
        except CallCenterError as exc:
            self.notify(error_text(exc, self.cc.tz), severity="error", markup=False)
            return
        self.show(digest)

    def show(self, digest: Digest) -> None:
        self.digest = digest
        tz = self.cc.tz
        self.query_one("#ho-title", Static).update(Content(heading(digest, tz)))
        reads = self.query_one("#ho-reads", Static)
        reads.update(Content(reads_text(digest, tz)))
        reads.set_class(not digest.reads, "-unread")
        listing = self.query_one("#ho-list", OptionList)
        chosen = listing.highlighted_option.id if listing.highlighted_option else None
        width = max(40, listing.size.width or self.size.width or 80)
        self.lines = {}
        options: list[Option] = []
        for section in digest.sections:
            title = Text(f"{section.title} ({section.count})", style="bold")
            if section.count and section.key in ("late", "delay_calls", "escalations"):
                title.stylize("red")
            options.append(Option(title, id=f"s-{section.key}", disabled=True))
            for index, line in enumerate(section.lines):
                ident = f"l-{section.key}-{index}"
                self.lines[ident] = line
                options.append(Option(self._row(line, digest, width), id=ident))
        scrolled = listing.scroll_y
        listing.clear_options()
        listing.add_options(options)
        if chosen is not None and chosen in self.lines:
            listing.highlighted = listing.get_option_index(chosen)
            # A reading keeps the view where the operator left it.
            self.call_after_refresh(listing.scroll_to, y=scrolled, animate=False)
        elif self.lines:
            listing.highlighted = listing.get_option_index(next(iter(self.lines)))
        self._show_detail()

    def _row(self, line: Line, digest: Digest, width: int) -> Text:
        tz = self.cc.tz
        when = when_text(line.at, digest.now, tz) if line.at is not None else ""
        left = left_text(line.left)
        late = line.left is not None and line.left.total_seconds() < 0
        row = Text("  ")
        row.append(fit(safe_text(line.ref) or "—", REF_W))
        row.append(" ")
        row.append(fit(when, WHEN_W))
        row.append(" ")
        row.append(fit(left, LEFT_W), style="bold red" if late else "")
        row.append(" ")
        what = safe_text(line.what)
        if width >= WIDE:
            row.append(fit(safe_text(line.who), WHO_W))
            row.append(" ")
            used = 2 + REF_W + WHEN_W + LEFT_W + WHO_W + 4
            row.append(
                fit(what, max(10, width - used - 1)) if cell_len(what) > width - used - 1 else what
            )
        else:
            room = max(10, width - (2 + REF_W + WHEN_W + LEFT_W + 3) - 1)
            row.append(fit(safe_text(line.who), room).rstrip())
            row.append("\n" + " " * 4)
            row.append(fit(what, max(10, width - 5)) if cell_len(what) > width - 5 else what)
        if line.urgent and not late:
            row.stylize("yellow")
        return row

    def selected(self) -> Line | None:
        option = self.query_one("#ho-list", OptionList).highlighted_option
        if option is None or option.id is None:
            return None
        return self.lines.get(option.id)

    @on(OptionList.OptionHighlighted, "#ho-list")
    def _highlighted(self) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        line = self.selected()
        detail = self.query_one("#ho-detail", Static)
        if line is None or self.digest is None:
            detail.update(Content(_("Nothing to hand over.") if not self.lines else ""))
            return
        tz = self.cc.tz
        parts = [line.ref, line.who, line.what]
        if line.at is not None:
            parts.append(when_text(line.at, self.digest.now, tz))
        if line.left is not None:
            parts.append(left_text(line.left))
        text = safe_text(" · ".join(p for p in parts if p))
        if line.case_id is not None:
            text += "  " + _("(Enter opens the case)")
        detail.update(Content(text))

    def on_data_changed(self, message: DataChanged) -> None:
        if any(c.entity in FOLLOWED for c in message.changes):
            self.load()

    # -- actions -----------------------------------------------------------------------
    def action_close(self) -> None:
        self.dismiss(None)

    def action_refresh(self) -> None:
        self.load()

    @on(OptionList.OptionSelected, "#ho-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_open_case()

    def action_open_case(self) -> None:
        line = self.selected()
        if line is None:
            return
        if line.case_id is not None:
            self.cc.open_case(line.case_id)
        else:
            self.notify(_("This line is about no case."), markup=False)

    def action_mark_read(self) -> None:
        self.run_worker(self._mark_read(), group="handover-write", exclusive=True)

    async def _mark_read(self) -> None:
        services = self.cc.services
        try:
            result = await asyncio.to_thread(services.mark_handover_read)
        except CallCenterError as exc:
            self.notify(error_text(exc, self.cc.tz), severity="error", markup=False)
            return
        when = when_text(result.read.read_at, self.cc.clock_now(), self.cc.tz)
        if result.already:
            text = _("You had already read this handover at {when}.").format(when=when)
        else:
            text = _("Handover marked read at {when}.").format(when=when)
        self.notify(text, markup=False)
        self.load()


__all__ = ["HandoverScreen"]
