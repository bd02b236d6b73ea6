"""After the work: service records and their versions, the rescue ledger, the surveys
(``callcenter.ports.ServiceRecordRepository``, ``LedgerRepository``, ``SurveyRepository``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields as dataclass_fields
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Float,
    Text,
    bindparam,
    case,
    cast,
    false,
    func,
    literal_column,
    or_,
    select,
    text,
    true,
    tuple_,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from callcenter.i18n import _
from callcenter.records.ledger_query import CellQuery, LedgerCursor, LedgerFilter
from callcenter.records.model import (
    AcceptanceMethod,
    FeedbackResult,
    FeeLine,
    LedgerEntry,
    PartLine,
    RecordVersion,
    ServiceRecord,
    SurveyRecord,
)
from storage import ledger_text
from storage.convert import to_domain, to_row
from storage.repositories._common import Touch, _check_version, _chunks
from storage.tables import LedgerRow, ServiceRecordRow, ServiceRecordVersionRow, SurveyRow

_PLAIN = (
    "case_id",
    "crew_members",
    "work_started_at",
    "work_finished_at",
    "cause",
    "solution",
    "no_parts",
    "in_warranty",
    "policy",
    "accepted",
    "accepted_by",
    "accepted_at",
    "acceptance_recorded_by",
    "recorded_by",
    "recorded_at",
    "updated_by",
    "updated_at",
    "voided_at",
    "voided_by",
    "void_reason",
)


def _record_to_row(record: ServiceRecord, row: ServiceRecordRow) -> None:
    for name in _PLAIN:
        setattr(row, name, getattr(record, name))
    row.parts = [p.as_dict() for p in record.parts]
    row.fees = [f.as_dict() for f in record.fees]
    row.fee_total = record.total
    row.acceptance_method = record.acceptance_method.value if record.acceptance_method else None


def _record(row: ServiceRecordRow) -> ServiceRecord:
    values: dict[str, Any] = {name: getattr(row, name) for name in _PLAIN}
    return ServiceRecord(
        **values,
        parts=[PartLine.from_dict(p) for p in row.parts or []],
        fees=[FeeLine.from_dict(f) for f in row.fees or []],
        acceptance_method=AcceptanceMethod(row.acceptance_method)
        if row.acceptance_method
        else None,
        version=row.version,
        id=row.id,
    )


#: The ledger entry's fields in order (the export reads 100,000 rows at a time: by position).
_LEDGER_FIELDS = tuple(f.name for f in dataclass_fields(LedgerEntry))


class SqlServiceRecordRepository:
    def __init__(self, session: Session, touch: Touch, lock: bool = False) -> None:
        self.session = session
        self.touch = touch
        self.lock = lock

    def for_case(self, case_id: int) -> ServiceRecord | None:
        query = select(ServiceRecordRow).where(ServiceRecordRow.case_id == case_id)
        if self.lock:
            query = query.with_for_update()
        row = self.session.scalars(query.execution_options(populate_existing=self.lock)).first()
        return _record(row) if row is not None else None

    def for_cases(self, case_ids: list[int]) -> dict[int, ServiceRecord]:
        if not case_ids:
            return {}
        rows = self.session.scalars(
            select(ServiceRecordRow).where(ServiceRecordRow.case_id.in_(case_ids))
        )
        return {row.case_id: _record(row) for row in rows}

    def add(self, record: ServiceRecord) -> ServiceRecord:
        row = ServiceRecordRow()
        _record_to_row(record, row)
        row.version = 1
        self.session.add(row)
        self.session.flush()
        record.id, record.version = row.id, row.version
        self.touch("record", row.id)
        return record

    def save(self, record: ServiceRecord) -> ServiceRecord:
        row = self.session.get(
            ServiceRecordRow, record.id, with_for_update=True, populate_existing=True
        )
        if row is None:
            from callcenter.errors import ConcurrencyConflict

            raise ConcurrencyConflict(_("This service record no longer exists."))
        _check_version(row, record.version, row.updated_by or row.recorded_by, row.updated_at)
        _record_to_row(record, row)
        row.version = record.version + 1
        self.session.flush()
        record.version = row.version
        self.touch("record", row.id)
        return record

    def add_version(self, version: RecordVersion) -> RecordVersion:
        row = ServiceRecordVersionRow()
        to_row(version, row, skip=("id",))
        self.session.add(row)
        self.session.flush()
        version.id = row.id
        return version

    def versions(self, case_id: int) -> list[RecordVersion]:
        rows = self.session.scalars(
            select(ServiceRecordVersionRow)
            .where(ServiceRecordVersionRow.case_id == case_id)
            .order_by(ServiceRecordVersionRow.version, ServiceRecordVersionRow.id)
        )
        return [to_domain(RecordVersion, r) for r in rows]


class SqlLedgerRepository:
    def __init__(self, session: Session, touch: Touch) -> None:
        self.session = session
        self.touch = touch

    def get(self, case_id: int) -> LedgerEntry | None:
        row = self.session.get(LedgerRow, case_id)
        return to_domain(LedgerEntry, row) if row is not None else None

    def for_cases(self, case_ids: Iterable[int]) -> dict[int, LedgerEntry]:
        found: dict[int, LedgerEntry] = {}
        for chunk in _chunks(case_ids):
            rows = self.session.scalars(select(LedgerRow).where(LedgerRow.case_id.in_(chunk)))
            found.update({row.case_id: to_domain(LedgerEntry, row) for row in rows})
        return found

    def put(self, entry: LedgerEntry) -> LedgerEntry:
        row = self.session.get(LedgerRow, entry.case_id)
        if row is None:
            row = LedgerRow(case_id=entry.case_id)
            self.session.add(row)
        to_row(entry, row, skip=())
        self.session.flush()
        self.touch("ledger", entry.case_id)
        return entry

    def add_many(self, entries: Sequence[LedgerEntry]) -> None:
        rows = []
        for entry in entries:
            row = LedgerRow(case_id=entry.case_id)
            to_row(entry, row, skip=())
            rows.append(row)
        self.session.add_all(rows)
        self.session.flush()
        for entry in entries:
            self.touch("ledger", entry.case_id)

    def count(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(LedgerRow)) or 0)

    def page(
        self, flt: LedgerFilter, after: LedgerCursor | None, limit: int, *, extra: bool = True
    ) -> list[LedgerEntry]:
        table = LedgerRow.__table__
        columns = table.columns if extra else [c for c in table.columns if c.name != "extra"]
        query = _keyset(select(*columns).where(*self._conditions(flt)), after, limit)
        result = self.session.execute(query)
        names = tuple(result.keys())
        if names == _LEDGER_FIELDS[: len(names)]:  # the entry's fields in order: by position
            return [LedgerEntry(*row) for row in result]
        return [LedgerEntry(**dict(zip(names, row, strict=True))) for row in result]

    def cells(
        self, flt: LedgerFilter, after: LedgerCursor | None, limit: int, query: CellQuery
    ) -> list[tuple[Any, ...]]:
        table = LedgerRow.__table__
        shown = _cells(query, self.session.get_bind().dialect.name)
        query_ = select(*shown, table.c.received_at, table.c.case_id)
        query_ = _keyset(query_.where(*self._conditions(flt)), after, limit)
        return list(self.session.execute(query_).all())

    def first_received(self, flt: LedgerFilter) -> datetime | None:
        query = select(func.min(LedgerRow.received_at)).where(*self._conditions(flt))
        return self.session.scalar(query)

    def _conditions(self, flt: LedgerFilter) -> list[ColumnElement[bool]]:
        """The filter's WHERE; on SQLite a rare text is looked up in the trigram index first
        (the ids it matches), a common one left to the ordered scan."""
        found = ledger_conditions(flt, self.session.get_bind().dialect.name)
        if flt.text and len(flt.text) >= 3 and self.session.get_bind().dialect.name == "sqlite":
            ids = self._fts_ids(flt.text)
            if ids is not None:
                found.append(LedgerRow.__table__.c.case_id.in_(ids))
        return found

    def _fts_ids(self, typed: str) -> list[int] | None:
        """The ids whose text holds ``typed`` (None: more than ledger_text.FEW, or no index)."""
        phrase = '"' + typed.replace('"', '""') + '"'
        columns = " ".join(ledger_text.TEXT_COLUMNS)
        try:
            rows = (
                self.session.execute(
                    text(
                        f"SELECT rowid FROM {ledger_text.FTS_TABLE} WHERE {ledger_text.FTS_TABLE} "
                        "MATCH :q LIMIT :n"
                    ),
                    {"q": f"{{{columns}}} : {phrase}", "n": ledger_text.FEW + 1},
                )
                .scalars()
                .all()
            )
        except OperationalError:  # no FTS5 table (a database migrated without it)
            return None
        return None if len(rows) > ledger_text.FEW else [int(r) for r in rows]

    def count_matching(self, flt: LedgerFilter) -> int:
        query = select(func.count()).select_from(LedgerRow).where(*self._conditions(flt))
        return int(self.session.scalar(query) or 0)


def _keyset(query: Any, after: LedgerCursor | None, limit: int) -> Any:
    """``query`` in the ledger's order (newest received first, then the highest case id),
    ``limit`` rows strictly after ``after``: keyset paging, no OFFSET."""
    table = LedgerRow.__table__
    if after is not None:
        query = query.where(
            tuple_(table.c.received_at, table.c.case_id)
            < tuple_(literal_time(after.received_at), after.case_id)
        )
    return query.order_by(table.c.received_at.desc(), table.c.case_id.desc()).limit(limit)


#: Excel's serial day 0 (1899-12-30): days to 1970-01-01, and its Julian day.
_EXCEL_UNIX_DAYS = 25569
_JULIAN_EXCEL = 2415018.5


@lru_cache(maxsize=8)
def _cells(query: CellQuery, dialect: str) -> tuple[Any, ...]:
    """The columns :class:`~callcenter.records.ledger_query.CellQuery` asks for (built once
    per export, not once per batch: a hundred label cases cost a few milliseconds each)."""
    table = LedgerRow.__table__
    labels = {key: dict(pairs) for key, pairs in query.labels}
    return tuple(_cell(table.c[key], key, query, labels.get(key), dialect) for key in query.keys)


def _cell(
    column: Any, key: str, query: CellQuery, labels: dict[object, str] | None, dialect: str
) -> Any:
    """``column`` as :class:`~callcenter.records.ledger_query.CellQuery` asks for it."""
    if key in query.times:
        # To the whole second (the sheet shows minutes; a second's fraction is dropped, as
        # the cells written from datetimes drop it).
        if dialect == "sqlite":  # naive UTC text, cut before the fraction (which julianday
            # would round, reckoning in milliseconds): its Julian day, exact to the second
            days = func.julianday(func.substr(column, 1, 19))
            return cast(days, Float) + (query.offset_days - _JULIAN_EXCEL)
        seconds = func.floor(func.extract("epoch", column))
        return cast(seconds, Float) / 86400 + (_EXCEL_UNIX_DAYS + query.offset_days)
    if key in query.numbers:
        return cast(column, Float)
    if labels is not None:
        if isinstance(column.type, Boolean):
            return case(*((column.is_(value), shown) for value, shown in labels.items()))
        return case(labels, value=column, else_=cast(column, Text))
    return column


def literal_time(value: datetime) -> Any:
    """``value`` bound with the column's type (UTC text on SQLite), for a row-value compare."""
    return bindparam(None, value, type_=LedgerRow.__table__.c.received_at.type)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def ledger_conditions(flt: LedgerFilter, dialect: str = "") -> list[ColumnElement[bool]]:
    """The WHERE of :meth:`SqlLedgerRepository.page` (and the bench's plans)."""
    c = LedgerRow.__table__.c
    found: list[ColumnElement[bool]] = []
    start, end = flt.bounds()
    if start is not None:
        found.append(c.received_at >= start)
    if end is not None:
        found.append(c.received_at < end)
    for column, value in (
        (c.crew_code, flt.crew),
        (c.operator, flt.operator),
        (c.plan, flt.plan),
        (c.delay_reason, flt.delay_reason),
        (c.record_state, flt.record_state),
    ):
        if value:
            found.append(column == value)
    if flt.feedback_result:
        found.append(
            c.feedback_result == ("" if flt.feedback_result == "-" else flt.feedback_result)
        )
    if flt.on_time is not None:
        found.append(c.on_time == (true() if flt.on_time else false()))
    if flt.text and dialect == "postgresql":
        # the very expression of the trigram index (storage/ledger_text.py)
        like = f"%{_escape_like(flt.text)}%"
        found.append(literal_column(ledger_text.PG_TEXT_SQL).ilike(like, escape="\\"))
    elif flt.text:
        like = f"%{_escape_like(flt.text)}%"
        found.append(
            or_(
                *(
                    column.ilike(like, escape="\\")
                    for column in (c.number, c.phone, c.plate, c.caller_name, c.address)
                )
            )
        )
    return found


class SqlSurveyRepository:
    def __init__(self, session: Session, touch: Touch) -> None:
        self.session = session
        self.touch = touch

    def add(self, survey: SurveyRecord) -> SurveyRecord:
        row = SurveyRow()
        to_row(survey, row, skip=("id",))
        row.result = survey.result.value
        self.session.add(row)
        self.session.flush()
        survey.id = row.id
        self.touch("survey", row.id)
        return survey

    def for_case(self, case_id: int, kind: str | None = "feedback") -> list[SurveyRecord]:
        query = select(SurveyRow).where(SurveyRow.case_id == case_id)
        if kind is not None:
            query = query.where(SurveyRow.kind == kind)
        rows = self.session.scalars(query.order_by(SurveyRow.at, SurveyRow.id))
        return [to_domain(SurveyRecord, r) for r in rows]

    def tally(self, start: datetime, end: datetime) -> dict[str, int]:
        """Surveys in ``[start, end)``: ``satisfied``, ``rated`` (answered with a satisfaction
        answer: the rate's denominator), and the count of each :class:`FeedbackResult`."""
        rows = self.session.execute(
            select(SurveyRow.result, SurveyRow.satisfied, func.count())
            .where(SurveyRow.at >= start, SurveyRow.at < end, SurveyRow.kind == "feedback")
            .group_by(SurveyRow.result, SurveyRow.satisfied)
        )
        counts = {"satisfied": 0, "rated": 0, **{r.value: 0 for r in FeedbackResult}}
        for result, satisfied, n in rows:
            counts[result] = counts.get(result, 0) + n
            if result == FeedbackResult.ANSWERED.value and satisfied is not None:
                counts["rated"] += n
                if satisfied:
                    counts["satisfied"] += n
        return counts
