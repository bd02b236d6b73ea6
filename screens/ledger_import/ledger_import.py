"""Import an old rescue ledger (救援登记台帐) kept in Excel: type the file's path, check it
(a dry run lists the rows that would be refused and why), then import.

One service does the work (:class:`callcenter.services.ledger_import.LedgerImport`): it reads
the file, checks every row by the rules of intake and writes the good ones through the one
write path. Supervisors and administrators only: an operator is told so before typing.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from callcenter.errors import CallCenterError
from callcenter.i18n import N_, _
from callcenter.services.ledger_import import ImportReport, LedgerImport
from screens.kit.format import error_text
from screens.kit.host import Host, host
from screens.kit.i18n_bindings import translate_bindings


class LedgerImportScreen(Screen[None]):
    """Enter: check the file (dry run); Ctrl+S: import it; Esc: back."""

    CSS_PATH = "ledger_import.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "import", N_("Import"), priority=True),
        Binding("ctrl+d", "check", N_("Check (dry run)"), priority=True),
        Binding("escape", "leave", N_("Go back")),
    ]

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)
        self.busy = False
        self.report: ImportReport | None = None
        self.checked: tuple[str, str] | None = None  # (file, mapping) of the last dry run

    @property
    def cc(self) -> Host:
        return host(self)

    @property
    def importer(self) -> LedgerImport:
        return LedgerImport(self.cc.services)

    @property
    def allowed(self) -> bool:
        return self.importer.may_import()

    def compose(self) -> ComposeResult:
        allowed = self.allowed
        yield Static(Content(_("Import an old ledger (救援登记台帐)")), id="li-head")
        if allowed:
            notice = _(
                "Each good row becomes a closed case with its ledger entry; importing the "
                "same file again changes nothing. Enter: check the file (nothing is written) · "
                "Ctrl+S: import · Esc: back"
            )
        else:
            notice = _(
                "Importing a ledger needs a supervisor or an administrator: ask one to do it."
            )
        yield Static(Content(notice), id="li-notice", classes="" if allowed else "-denied")
        with Horizontal(classes="li-field"):
            yield Static(Content(_("Ledger file")), classes="li-label")
            yield Input(
                placeholder=_(".xlsx, .xls or .csv, e.g. ~/台帐2025.xlsx"),
                id="li-file",
                compact=True,
                disabled=not allowed,
            )
        with Horizontal(classes="li-field"):
            yield Static(Content(_("Mapping file")), classes="li-label")
            yield Input(
                placeholder=_("optional: TOML naming unusual headers"),
                id="li-mapping",
                compact=True,
                disabled=not allowed,
            )
        yield Static(id="li-status")
        table: DataTable[Text] = DataTable(id="li-refused", cursor_type="row", zebra_stripes=True)
        table.display = False
        yield table
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#li-refused", DataTable)
        table.add_column(Text(_("Row")), key="row", width=6)
        # As wide as the screen: a long reason wraps onto more lines instead of running off.
        width = max(20, self.app.size.width - 14)
        table.add_column(Text(_("Why it is refused")), key="reason", width=width)
        if self.allowed:
            self.query_one("#li-file", Input).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("import", "check"):
            if not self.allowed:
                return False
            if self.busy:
                return None  # shown, greyed out
            if action == "import" and self.checked != self._typed():
                return None  # check the file first
        return True

    def _typed(self) -> tuple[str, str]:
        return (
            self.query_one("#li-file", Input).value.strip(),
            self.query_one("#li-mapping", Input).value.strip(),
        )

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        self.refresh_bindings()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_check()

    def status(self, message: str, state: str = "") -> None:
        widget = self.query_one("#li-status", Static)
        widget.update(Content(message))
        widget.set_class(state == "busy", "-busy")
        widget.set_class(state == "error", "-error")

    def action_check(self) -> None:
        if self.allowed and not self.busy:
            self.run_import(dry_run=True)

    def action_import(self) -> None:
        if self.allowed and not self.busy and self.checked == self._typed():
            self.run_import(dry_run=False)

    def action_leave(self) -> None:
        if not self.busy:
            self.dismiss(None)

    @work(exclusive=True, group="ledger-import", exit_on_error=False)
    async def run_import(self, *, dry_run: bool) -> None:
        path, mapping = self._typed()
        if not path:
            self.status(_("Type the path of the ledger file."), "error")
            return
        self.busy = True
        self.refresh_bindings()
        self.status(
            (_("Checking {file}…") if dry_run else _("Importing {file}…")).format(file=path),
            "busy",
        )

        def progress(done: int, total: int) -> None:
            if not dry_run:
                self.app.call_from_thread(
                    self.status,
                    _("Importing {file}… {done}/{total}").format(file=path, done=done, total=total),
                    "busy",
                )

        try:
            report = await asyncio.to_thread(
                self.importer.run,
                path,
                mapping=mapping or None,
                dry_run=dry_run,
                progress=progress,
            )
        except CallCenterError as exc:
            self.checked = None
            self.status(error_text(exc, self.cc.tz), "error")
            return
        finally:
            self.busy = False
            self.refresh_bindings()
        self.report = report
        self.checked = (path, mapping) if dry_run else None
        self.show(report)

    def show(self, report: ImportReport) -> None:
        lines = [report.summary()]
        if report.unmapped:
            lines.append(
                _("Header row {row}; columns left out: {columns}").format(
                    row=report.header_row, columns=_(", ").join(report.unmapped)
                )
            )
        if report.dry_run and (report.imported or report.updated):
            lines.append(_("Ctrl+S imports the good rows; the refused ones are listed below."))
        if report.refused_file is not None:
            lines.append(_("Refused rows written to {file}").format(file=report.refused_file))
        self.status("\n".join(lines))
        if not report.dry_run:
            self.notify(report.summary(), markup=False)
        table = self.query_one("#li-refused", DataTable)
        table.clear()
        for item in report.refused:
            table.add_row(Text(str(item.row)), Text(item.reason), height=None)
        table.display = bool(report.refused)
