"""Reads of the board, the case detail and search: one read transaction each."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from callcenter.domain import (
    Assignment,
    Case,
    CaseEvent,
    Crew,
)
from callcenter.ports import UnitOfWork
from callcenter.records.ledger_export import (
    ExportFormat,
    cell_query,
    fixed_offset,
    write_ledger,
)
from callcenter.records.ledger_query import CellQuery, LedgerCursor, LedgerFilter, cursor_of
from callcenter.records.model import LedgerEntry
from callcenter.search import search_terms
from callcenter.services.base import ServiceBase

T = TypeVar("T")


class QueryUseCases(ServiceBase):
    """What the screens read."""

    def open_cases(self) -> list[Case]:
        return self._read(lambda uow: uow.cases.list_open())

    def cases_for_notice(self, now: datetime, at_risk: timedelta) -> list[Case]:
        """The open cases whose owner may need (or had) a delay call: crew not on scene and
        the promise within ``at_risk`` of ``now`` or past, extended, or told of a delay."""
        return self._read(lambda uow: uow.cases.list_open_for_notice(now + at_risk))

    def cases_by_ids(self, ids: list[int]) -> list[Case]:
        return self._read(lambda uow: uow.cases.list_by_ids(ids))

    def case(self, case_id: int) -> Case:
        return self._read(lambda uow: self._case(uow, case_id, None))

    def timeline(self, case_id: int) -> list[CaseEvent]:
        return self._read(lambda uow: uow.events.for_case(case_id))

    def crews(self) -> list[Crew]:
        return self._read(lambda uow: uow.crews.list())

    def arrivals_today(self) -> tuple[int, int]:
        """(arrivals, of which on time) of the crews that arrived today, in the centre's zone.

        On time: on scene no later than the promise in force (a force-majeure extension
        counts, as agreed with the owner).
        """
        local = self.clock.now().astimezone(self.tz)
        start = datetime.combine(local.date(), datetime.min.time(), self.tz)
        end = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), self.tz)
        return self._read(lambda uow: uow.cases.arrivals_between(start, end))

    def current_assignment(self, case_id: int) -> Assignment | None:
        """Who dispatched the crew now on ``case_id``, and when (None if no crew is on it)."""
        return self._read(lambda uow: uow.assignments.current_for_case(case_id))

    def search(self, text: str) -> list[Case]:
        """Cases matching ``text`` as typed, normalised like intake (``callcenter.search``)."""
        terms = search_terms(text)
        if terms.empty:
            return []
        return self._read(lambda uow: uow.cases.search(terms))

    # -- the rescue ledger (救援登记台帐): read by everyone ---------------------------------
    def ledger_page(
        self, flt: LedgerFilter, after: LedgerCursor | None = None, limit: int = 100
    ) -> list[LedgerEntry]:
        """One page of the ledger, newest received first, strictly after ``after``."""
        return self._read(lambda uow: uow.ledger.page(flt, after, limit))

    def ledger_count(self, flt: LedgerFilter) -> int:
        """How many rows ``flt`` matches (the export's progress)."""
        return self._read(lambda uow: uow.ledger.count_matching(flt))

    def ledger_batches(self, flt: LedgerFilter, batch: int = 2000) -> Iterator[list[LedgerEntry]]:
        """Every row of ``flt`` in batches (one short read each): the export's stream, whose
        memory stays flat whatever the size."""
        return self._keyset_batches(partial(_export_page, flt=flt), cursor_of, batch)

    def ledger_export(
        self,
        flt: LedgerFilter,
        target: Path,
        fmt: ExportFormat,
        *,
        progress: Callable[[int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
        batch: int | None = None,
    ) -> int:
        """Every row of ``flt`` written to ``target`` (``ledger_export.write_ledger``: no half
        file on a cancel or an error); the number of rows written.

        An XLSX has its cells converted by the database when the centre's zone keeps one
        offset from the earliest row to now (``fixed_offset``; a zone with daylight saving
        over the rows is converted row by row in Python, as the CSV is). ``batch``: rows per
        read (default 2,000 entries, or 4,000 rows of cells, which are plain tuples: fewer
        reads cost less on PostgreSQL)."""
        cells = None
        if fmt is ExportFormat.XLSX:
            first = self._read(lambda uow: uow.ledger.first_received(flt))
            end = self.clock.now() + timedelta(days=1)
            offset = fixed_offset(self.tz, first, end) if first is not None else None
            if offset is not None:
                query = cell_query(offset)
                cells = (query, self._ledger_cells(flt, query, batch or 4000))
        return write_ledger(
            self.ledger_batches(flt, batch or 2000),
            target,
            fmt,
            self.tz,
            progress=progress,
            cancelled=cancelled,
            cells=cells,
        )

    def _ledger_cells(
        self, flt: LedgerFilter, query: CellQuery, batch: int
    ) -> Iterator[list[tuple[Any, ...]]]:
        """The rows of ``flt`` as ``query``'s cells, in batches (each row's cursor last)."""

        def cursor(row: tuple[Any, ...]) -> LedgerCursor:
            return LedgerCursor(row[-2], row[-1])

        return self._keyset_batches(partial(_cells_page, flt=flt, query=query), cursor, batch)

    def _keyset_batches(
        self,
        page: Callable[..., list[T]],
        cursor: Callable[[T], LedgerCursor],
        batch: int,
    ) -> Iterator[list[T]]:
        """Every row ``page`` reads (``page(uow, after=…, limit=…)``), ``batch`` rows per
        read transaction, each read starting after the last row of the one before."""
        after: LedgerCursor | None = None
        while True:
            rows = self._read(partial(page, after=after, limit=batch))
            if rows:
                yield rows
            if len(rows) < batch:
                return
            after = cursor(rows[-1])

    def ledger_choices(self) -> tuple[list[str], list[tuple[str, str]]]:
        """What the ledger's filters offer: the crews' codes, and (username, display name) of
        the staff."""

        def read(uow: UnitOfWork) -> tuple[list[str], list[tuple[str, str]]]:
            crews = sorted(crew.code for crew in uow.crews.list())
            staff = sorted(
                ((m.username, m.display_name or m.username) for m in uow.staff.list()),
                key=lambda pair: pair[0],
            )
            return crews, staff

        return self._read(read)


def _cells_page(
    uow: UnitOfWork, *, flt: LedgerFilter, after: LedgerCursor | None, limit: int, query: CellQuery
) -> list[tuple[Any, ...]]:
    return uow.ledger.cells(flt, after, limit, query)


def _export_page(
    uow: UnitOfWork, *, flt: LedgerFilter, after: LedgerCursor | None, limit: int
) -> list[LedgerEntry]:
    """One batch of the export: the entries without ``extra``, which the export does not show."""
    return uow.ledger.page(flt, after, limit, extra=False)
