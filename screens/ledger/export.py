"""Export the ledger's current filter to a file: asks for the name (default in the data
directory), writes in a thread with a progress bar, Esc cancels and leaves no half file."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, ProgressBar, Static

from callcenter.errors import CallCenterError, ValidationError
from callcenter.i18n import N_, _
from callcenter.records.ledger_export import ExportCancelled, export_format
from callcenter.records.ledger_query import LedgerFilter
from callcenter.settings import data_dir
from screens.kit.format import error_text
from screens.kit.host import Host, host
from screens.kit.i18n_bindings import translate_bindings


def default_target(now: Any, tz: Any) -> Path:
    stamp = now.astimezone(tz).strftime("%Y%m%d-%H%M")
    return data_dir() / f"ledger-{stamp}.xlsx"


class ExportScreen(ModalScreen[Path | None]):
    """File name → Enter → progress → done (the path) or cancelled (None)."""

    CSS_PATH = "ledger.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "stop_export", N_("Cancel")),
    ]
    read_only_safe = True

    def __init__(self, flt: LedgerFilter) -> None:
        super().__init__()
        translate_bindings(self)
        self.filter = flt
        self.cancel_event = threading.Event()
        self.running = False

    @property
    def cc(self) -> Host:
        return host(self)

    def compose(self) -> ComposeResult:
        with Vertical(id="export-box"):
            yield Static(
                Content(_("Export the ledger (the rows of the current filter)")), id="export-title"
            )
            yield Static(Content(_("File (.xlsx or .csv):")), classes="export-label")
            yield Input(str(default_target(self.cc.clock_now(), self.cc.tz)), id="export-file")
            yield Static("", id="export-error")
            yield ProgressBar(id="export-progress", show_eta=False)
            yield Static(Content(_("Enter: export · Esc: cancel")), id="export-status")

    def on_mount(self) -> None:
        self.query_one("#export-progress", ProgressBar).display = False
        self.query_one("#export-file", Input).focus()

    @on(Input.Submitted, "#export-file")
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.running:
            return
        error = self.query_one("#export-error", Static)
        text = event.value.strip()
        if not text:
            error.update(Content(_("Enter a file name.")))
            return
        target = Path(text).expanduser()
        try:
            fmt = export_format(target)
        except ValidationError as exc:
            error.update(Content(exc.message))
            return
        if target.parent == data_dir():
            try:  # the default place: made on first use
                target.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                error.update(Content(str(exc)))
                return
        if target.is_dir() or not target.parent.is_dir():
            error.update(Content(_("No such directory: {dir}").format(dir=target.parent)))
            return
        error.update("")
        self.running = True
        self.query_one("#export-file", Input).disabled = True
        self.query_one("#export-progress", ProgressBar).display = True
        self.query_one("#export-status", Static).update(
            Content(_("Exporting… Esc: cancel (no file is left)"))
        )
        self.export(target, fmt)

    @work(thread=True, group="ledger-export", exit_on_error=False)
    def export(self, target: Path, fmt: Any) -> None:
        services = self.cc.services
        tz = self.cc.tz
        try:
            total = services.ledger_count(self.filter)
            self.app.call_from_thread(self._progress, 0, total)
            count = services.ledger_export(
                self.filter,
                target,
                fmt,
                progress=lambda done: self.app.call_from_thread(self._progress, done, total),
                cancelled=self.cancel_event.is_set,
            )
        except ExportCancelled:
            self.app.call_from_thread(self._finished, None, _("Export cancelled: no file written."))
            return
        except CallCenterError as exc:
            self.app.call_from_thread(self._failed, error_text(exc, tz))
            return
        except OSError as exc:
            self.app.call_from_thread(
                self._failed,
                _("cannot write {file}: {error}").format(file=target, error=exc.strerror or exc),
            )
            return
        self.app.call_from_thread(
            self._finished,
            target,
            _("{count} ledger rows written to {file}").format(count=count, file=target),
        )

    def _progress(self, done: int, total: int) -> None:
        bar = self.query_one("#export-progress", ProgressBar)
        bar.update(total=max(total, 1), progress=done)

    def _failed(self, message: str) -> None:
        self.running = False
        self.query_one("#export-file", Input).disabled = False
        self.query_one("#export-progress", ProgressBar).display = False
        self.query_one("#export-error", Static).update(Content(message))
        self.query_one("#export-status", Static).update(Content(_("Enter: export · Esc: cancel")))

    def _finished(self, target: Path | None, message: str) -> None:
        self.running = False
        self.app.notify(message, markup=False, severity="information" if target else "warning")
        self.dismiss(target)

    def action_stop_export(self) -> None:
        if self.running:
            self.cancel_event.set()
            self.query_one("#export-status", Static).update(Content(_("Cancelling…")))
            return
        self.dismiss(None)
