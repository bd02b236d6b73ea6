"""Importing an old rescue ledger (救援登记台帐, issue 12 §3): each good row becomes a
historical case — closed, with its ledger entry — written through the one write path, one
transaction per batch; the refused rows go to a side file for correction.

* Supervisors and administrators only (:attr:`Action.IMPORT_LEDGER`), dry run included.
* A row is keyed by its case number, or by a stable key from its content when the old ledger
  has none (:func:`~callcenter.records.ledger_rows.content_key`): importing the same file
  twice changes nothing; a row whose case was imported before and has changed updates it.
  A case taken in this centre is never overwritten by an import.
* Every imported or updated case has a line in its timeline and a row in the audit log naming
  the file and the operator ("imported from FILE").
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from callcenter.domain import CaseEvent
from callcenter.i18n import _
from callcenter.permissions import Action
from callcenter.ports import AuditEntry, UnitOfWork
from callcenter.records.ledger_columns import BY_KEY
from callcenter.records.ledger_file import (
    LedgerFile,
    LedgerFileError,
    cell_as_text,
    load_mapping,
    read_ledger,
)
from callcenter.records.ledger_rows import (
    HistoricalRow,
    RefusedRow,
    differing,
    historical_case,
    missing_columns,
    parse_rows,
)
from callcenter.records.model import LedgerEntry
from callcenter.services.base import ServiceBase

__all__ = ["BATCH_SIZE", "ImportReport", "LedgerImport", "refused_path"]

BATCH_SIZE = 500
EVENT = "imported"

Progress = Callable[[int, int], None]


@dataclass
class ImportReport:
    """What an import did (or, dry, would do)."""

    file: str
    dry_run: bool
    rows: int = 0  # data rows read
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: list[RefusedRow] = field(default_factory=list)
    refused_file: Path | None = None  # where the refused rows were written
    header_row: int = 0
    unmapped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line: the counts."""
        if self.dry_run:
            text = _(
                "{file}: {imported} rows would be imported, {updated} updated, "
                "{unchanged} unchanged, {refused} refused."
            )
        else:
            text = _(
                "{file}: {imported} rows imported, {updated} updated, {unchanged} unchanged, "
                "{refused} refused."
            )
        return text.format(
            file=self.file,
            imported=self.imported,
            updated=self.updated,
            unchanged=self.unchanged,
            refused=len(self.refused),
        )


def refused_path(path: Path) -> Path:
    """The side file of ``path``'s refused rows: ``FILE.refused.csv`` beside it."""
    return path.with_name(f"{path.name}.refused.csv")


class LedgerImport:
    """The ledger import of one session: reads the file, checks every row, writes the good
    ones through ``services`` (permission, audit, change feed)."""

    def __init__(self, services: ServiceBase, *, batch_size: int = BATCH_SIZE) -> None:
        self.services = services
        self.batch_size = max(1, batch_size)

    def may_import(self) -> bool:
        """Whether this session may import (for the screen; not the check)."""
        return self.services.may(Action.IMPORT_LEDGER)

    def run(
        self,
        path: str | Path,
        *,
        mapping: str | Path | None = None,
        dry_run: bool = False,
        progress: Progress | None = None,
    ) -> ImportReport:
        """Import ``path`` (``dry_run``: only say what it would do). Raises
        :class:`LedgerFileError` (one line) when the file cannot be read as a ledger, and
        :class:`~callcenter.errors.PermissionDenied` unless a supervisor or administrator."""
        self.services.require(Action.IMPORT_LEDGER, file=str(path), dry_run=dry_run)
        text = str(path).strip()
        if not text:
            raise LedgerFileError(_("Give the file to import."))
        source = Path(text).expanduser()
        columns = load_mapping(Path(str(mapping)).expanduser()) if mapping else None
        ledger = read_ledger(source, columns)
        missing = missing_columns(ledger)
        if missing:
            raise LedgerFileError(
                _(
                    "{file}: no column for {columns} (header row {row}); name it in a "
                    "mapping file (--mapping)."
                ).format(
                    file=ledger.name,
                    columns=_(", ").join(_(BY_KEY[key].header) for key in missing),
                    row=ledger.header_row,
                )
            )
        now = self.services.clock.now()
        good, refused = parse_rows(ledger, self.services.tz, now)
        report = ImportReport(
            file=ledger.name,
            dry_run=dry_run,
            rows=len(ledger.rows),
            header_row=ledger.header_row,
            unmapped=list(ledger.unmapped),
        )
        total = len(ledger.rows)
        done = len(refused)
        if progress is not None:
            progress(done, total)
        # A dry run reads the whole file in one transaction; an import writes a batch at a
        # time, and only a batch that has something to write (so that a second import of
        # the same file writes nothing, not even an audit row).
        size = len(good) if dry_run else self.batch_size
        for start in range(0, len(good), max(size, 1)):
            batch = good[start : start + size]
            outcome = self.services.read(partial(self._apply, ledger=ledger, rows=batch))
            if not dry_run and (outcome["imported"] or outcome["updated"]):
                outcome = self.services.write(
                    partial(self._batch, ledger=ledger, batch=batch),
                    action=Action.IMPORT_LEDGER,
                )
            report.imported += outcome["imported"]
            report.updated += outcome["updated"]
            report.unchanged += outcome["unchanged"]
            refused.extend(outcome["refused"])
            done += len(batch)
            if progress is not None:
                progress(done, total)
        report.refused = sorted(refused, key=lambda r: r.row)
        if not dry_run:
            report.refused_file = self._side_file(ledger, report.refused)
        return report

    # -- inside a transaction ------------------------------------------------------------
    def _batch(self, uow: UnitOfWork, *, ledger: LedgerFile, batch: list[HistoricalRow]) -> Any:
        outcome = self._apply(uow, ledger=ledger, rows=batch, write=True)
        self.services.note(
            file=str(ledger.path),
            rows=f"{batch[0].row}-{batch[-1].row}" if batch else "",
            imported=outcome["imported"],
            updated=outcome["updated"],
            unchanged=outcome["unchanged"],
            refused=len(outcome["refused"]),
        )
        return outcome

    def _apply(
        self,
        uow: UnitOfWork,
        *,
        ledger: LedgerFile,
        rows: list[HistoricalRow],
        write: bool = False,
    ) -> dict[str, Any]:
        outcome: dict[str, Any] = {"imported": 0, "updated": 0, "unchanged": 0, "refused": []}
        ids = uow.cases.ids_by_number(row.key for row in rows)
        entries = uow.ledger.for_cases(ids.values())
        new: list[HistoricalRow] = []
        for row in rows:
            case_id = ids.get(row.key)
            if case_id is None:
                new.append(row)
                outcome["imported"] += 1
                continue
            previous = entries.get(case_id)
            changes = differing(previous, row.entry) if previous is not None else ["*"]
            if not changes:
                outcome["unchanged"] += 1
                continue
            if previous is None or not previous.extra.get("imported_from"):
                outcome["refused"].append(
                    RefusedRow(
                        row.row,
                        _(
                            "case {number} was taken in this centre: an import does not "
                            "overwrite it"
                        ).format(number=row.key),
                        row.cells,
                    )
                )
                continue
            if not _same_call(previous, row, ledger):
                outcome["refused"].append(
                    RefusedRow(
                        row.row,
                        _(
                            "case number {number} belongs to another call, imported from "
                            "{file} (received {when}): renumber this row"
                        ).format(
                            number=row.key,
                            file=previous.extra.get("imported_from", "?"),
                            when=self.services.local(previous.received_at, "%Y-%m-%d %H:%M"),
                        ),
                        row.cells,
                    )
                )
                continue
            if write:
                self._update(uow, ledger, row, case_id, previous, changes)
            outcome["updated"] += 1
        if write and new:
            self._add(uow, ledger, new)
        return outcome

    def _marks(self, ledger: LedgerFile, row: HistoricalRow) -> dict[str, Any]:
        return {
            "imported_from": ledger.name,
            "imported_by": self.services.actor,
            "imported_at": self.services.clock.now().isoformat(),
            "source_row": row.row,
            **({"key": "content"} if row.keyed_by_content else {}),
        }

    def _add(self, uow: UnitOfWork, ledger: LedgerFile, rows: list[HistoricalRow]) -> None:
        """The new cases of a batch, each with its ledger entry, its timeline line and its
        audit row, inserted together (one statement per table)."""
        services = self.services
        now = services.clock.now()
        cases = []
        for row in rows:
            case = historical_case(row, policy=services.policy.name, actor=services.actor)
            case.updated_at, case.updated_by = now, services.actor
            cases.append(case)
        uow.cases.add_many(cases)
        entries, events, audit = [], [], []
        for row, case in zip(rows, cases, strict=True):
            assert case.id is not None
            entry = _with_case(row.entry, case.id)
            entry.updated_at = now
            entry.extra = self._marks(ledger, row)
            entries.append(entry)
            details = {"file": ledger.name, "row": row.row}
            events.append(CaseEvent(case.id, now, services.actor, EVENT, details))
            audit.append(self._audit_entry(ledger, row, case.id, "imported", []))
        uow.ledger.add_many(entries)
        uow.events.append_many(events)
        uow.audit.append_many(audit)

    def _update(
        self,
        uow: UnitOfWork,
        ledger: LedgerFile,
        row: HistoricalRow,
        case_id: int,
        previous: LedgerEntry,
        changes: list[str],
    ) -> None:
        services = self.services
        now = services.clock.now()
        current = uow.cases.get(case_id)
        assert current is not None
        case = historical_case(row, policy=current.policy, actor=services.actor)
        case.id, case.version = current.id, current.version
        case.customer_id, case.vehicle_id, case.crew_id = (
            current.customer_id,
            current.vehicle_id,
            current.crew_id,
        )
        case.lat, case.lon, case.notes = current.lat, current.lon, current.notes
        case.vehicle_type = current.vehicle_type
        case.created_by = current.created_by if not row.entry.operator else case.created_by
        case.updated_at, case.updated_by = now, services.actor
        uow.cases.save(case)
        entry = _with_case(row.entry, case_id)
        entry.updated_at = now
        entry.extra = {**previous.extra, **self._marks(ledger, row)}
        uow.ledger.put(entry)
        services.case_event(uow, case_id, EVENT, file=ledger.name, row=row.row, changed=changes)
        uow.audit.append(self._audit_entry(ledger, row, case_id, "updated", changes))

    def _audit_entry(
        self,
        ledger: LedgerFile,
        row: HistoricalRow,
        case_id: int,
        change: str,
        changes: list[str],
    ) -> AuditEntry:
        """The audit row of one imported (or updated) case: the file and who imported it."""
        services = self.services
        details: dict[str, Any] = {
            **services.audit_details,
            "note": f"imported from {ledger.name}",
            "file": str(ledger.path),
            "row": row.row,
            "number": row.key,
            "change": change,
        }
        if changes:
            details["changed"] = changes
        return AuditEntry(
            at=services.clock.now(),
            actor=services.actor,
            action=str(Action.IMPORT_LEDGER),
            entity="case",
            entity_id=case_id,
            allowed=True,
            details=details,
        )

    # -- the side file -------------------------------------------------------------------
    def _side_file(self, ledger: LedgerFile, refused: list[RefusedRow]) -> Path | None:
        """Write the refused rows, as read, with their reason, to ``FILE.refused.csv`` (UTF-8
        with BOM); remove an old one when nothing was refused."""
        target = refused_path(ledger.path)
        if not refused:
            target.unlink(missing_ok=True)
            return None
        partial = target.with_name(f".{target.name}.part")
        width = len(ledger.headers)
        try:
            with partial.open("w", encoding="utf-8-sig", newline="") as out:
                writer = csv.writer(out)
                writer.writerow([_("Row"), *ledger.headers, _("Reason refused")])
                for item in refused:
                    cells = [cell_as_text(v) for v in item.cells[:width]]
                    cells += [""] * (width - len(cells))
                    writer.writerow([item.row, *cells, item.reason])
            os.replace(partial, target)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise LedgerFileError(
                _("cannot write {file}: {error}").format(file=target, error=exc.strerror or exc)
            ) from None
        return target


def _same_call(previous: LedgerEntry, row: HistoricalRow, ledger: LedgerFile) -> bool:
    """Whether ``row`` may update the case ``previous`` was imported as: a row of the same
    file (corrected), or the same call (its minute and plate) from another file. Two
    centres' ledgers numbered 1, 2, 3 … never overwrite each other."""
    if previous.extra.get("imported_from") == ledger.name:
        return True
    minute = previous.received_at.replace(second=0, microsecond=0)
    return (
        minute == row.entry.received_at.replace(second=0, microsecond=0)
        and previous.plate == row.entry.plate
    )


def _with_case(entry: LedgerEntry, case_id: int) -> LedgerEntry:
    from dataclasses import replace

    return replace(entry, case_id=case_id, extra={})
