"""The monthly report's reads (``callcenter.ports.ReportRepository``, issue 14).

Every case received in the month is read from ``cases`` — every call, open ones included —
with what the later stages left:

* the service record's fee (``service_records``), else the ledger entry's (an imported
  historical case has no record row); the record's state is the case's ``service_state``;
* the delay reason from the ledger entry (``ledger_entries``, written from the report-back
  on), else, for a case without one (still open), from its timeline's delay events, as
  :func:`callcenter.records.ledger.delay_reason` takes it;
* the feedback result and satisfaction of the case's last feedback survey (``surveys``),
  else the ledger entry's (imported cases);
* whether intake flagged it as a repeated repair (a ``repeat_repair`` event).

The month's cases are found by ``ix_cases_received_at`` (migration 0012); each join is by
the case id.

The report itself reads :meth:`SqlReportRepository.month_tally`: the same facts, counted by
the database (one grouped query, :data:`FIGURES` the SQL twin of
``callcenter.reports.monthly.CASE_FIGURES``) plus the month's response times — a few hundred
rows where :meth:`~SqlReportRepository.month_cases` (the drill-down's read) reads every case.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, and_, case, cast, exists, func, literal, select, text
from sqlalchemy.orm import Session

from callcenter.records.ledger import DELAY_EVENTS
from callcenter.reports.monthly import (
    ACCEPTED,
    ANSWERED,
    COUNTED,
    NOT_ACCEPTED,
    NOT_REACHED,
    REFUSED,
    VOIDED,
    WRONG_NUMBER,
    CaseFacts,
    CaseTally,
    ComplaintFacts,
)
from storage.repositories._common import _micros_of
from storage.tables import (
    CaseEventRow,
    CaseRow,
    ComplaintRow,
    CrewRow,
    LedgerRow,
    ServiceRecordRow,
    SurveyRow,
)

REPEAT_EVENT = "repeat_repair"

#: Each key of ``callcenter.reports.monthly.COUNTED`` → its predicate over the columns of
#: :meth:`SqlReportRepository._facts` (one row per case, what ``CaseFacts`` holds): the same
#: figure counted by the database. A comparison with NULL is not true, as in ``CaseFacts``.
FIGURES: dict[str, Callable[[Any], Any]] = {
    "calls": lambda f: literal(True),
    "dispatched": lambda f: f.dispatched_at.is_not(None),
    "arrived": lambda f: f.arrived_at.is_not(None),
    "completed": lambda f: f.completed_at.is_not(None),
    "cancelled": lambda f: f.cancelled_at.is_not(None),
    "open": lambda f: f.is_open.is_(True),
    "response": lambda f: f.dispatched_at.is_not(None),
    "on_time": lambda f: f.arrived_at <= f.promised_at,
    "arrived_with_promise": lambda f: and_(f.arrived_at.is_not(None), f.promised_at.is_not(None)),
    "late": lambda f: f.arrived_at > f.promised_at,
    "on_time_original": lambda f: f.arrived_at <= f.original_promise,
    "late_original": lambda f: and_(f.promised_at.is_not(None), f.arrived_at > f.original_promise),
    "extended": lambda f: f.promised_at > f.original_promised_at,
    "satisfied": lambda f: and_(f.feedback_result == ANSWERED, f.satisfied.is_(True)),
    "dissatisfied": lambda f: and_(f.feedback_result == ANSWERED, f.satisfied.is_(False)),
    "not_rated": lambda f: and_(f.feedback_result == ANSWERED, f.satisfied.is_(None)),
    "refused": lambda f: f.feedback_result == REFUSED,
    "not_reached": lambda f: f.feedback_result == NOT_REACHED,
    "wrong_number": lambda f: f.feedback_result == WRONG_NUMBER,
    "no_survey": lambda f: and_(f.completed_at.is_not(None), f.feedback_result == ""),
    "repeat_repairs": lambda f: f.repeat_repair.is_(True),
    "fees": lambda f: f.record_state == ACCEPTED,
    "invalid_records": lambda f: f.record_state == NOT_ACCEPTED,
    "voided_records": lambda f: f.record_state == VOIDED,
}
assert tuple(FIGURES) == COUNTED, "FIGURES must count what CASE_FIGURES counts"


class SqlReportRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def month_tally(
        self, start: datetime, end: datetime, response_clock: Callable[[str, str], int | None]
    ) -> CaseTally:
        """What the cases received in [start, end) add up to (``month_cases`` counted)."""
        c = CaseRow.__table__.c
        # The month's case ids lie between these (ids are given at intake, so a month's are
        # close together): the rows joined to the month's cases are read by that id range
        # (a filter that changes nothing, as each join is by the case id) rather than
        # whole tables of a million rows hashed for the 4 % that are the month's.
        first, last = (
            self.session.connection()
            .execute(
                select(func.min(c.id), func.max(c.id)).where(
                    c.received_at >= start, c.received_at < end
                )
            )
            .one()
        )
        if self.session.get_bind().dialect.name == "postgresql":
            # The planner's cost of the two dozen sums over a month of cases is high enough
            # for PostgreSQL to compile the query to machine code first (JIT): a second of
            # compiling for a read that runs in a quarter of one. Off for this transaction.
            self.session.execute(text("SET LOCAL jit = off"))
        f = self._facts(start, end, (first or 0, last or 0))
        fee_cents = case((f.c.record_state == ACCEPTED, func.round(f.c.fee_total * 100)), else_=0)
        cancel_reason = case((f.c.cancelled_at.is_not(None), f.c.cancel_reason))
        groups = self.session.connection().execute(
            select(
                f.c.delay_reason,
                f.c.plan,
                cancel_reason,
                cast(func.sum(fee_cents), BigInteger),
                *(func.sum(case((FIGURES[key](f.c), 1), else_=0)) for key in COUNTED),
            ).group_by(f.c.delay_reason, f.c.plan, cancel_reason)
        )
        counts = dict.fromkeys(COUNTED, 0)
        late: Counter[str] = Counter()
        extended: Counter[str] = Counter()
        cancellations: Counter[str] = Counter()
        cents: Counter[str] = Counter()
        records: Counter[str] = Counter()
        for reason, plan, cancelled_for, fee, *sums in groups:
            figures = dict(zip(COUNTED, sums, strict=True))
            for key, n in figures.items():
                counts[key] += n
            late[reason] += figures["late"]
            extended[reason] += figures["extended"]
            if cancelled_for is not None:
                cancellations[" ".join(cancelled_for.split())] += figures["cancelled"]
            records[plan] += figures["fees"]
            cents[plan] += fee or 0
        minutes, within, clocks = self._responses(start, end, response_clock)
        return CaseTally(
            counts=counts,
            response_minutes=minutes,
            response_within=within,
            response_clocks=clocks,
            late_by_reason=dict(+late),
            extended_by_reason=dict(+extended),
            cancellations=dict(+cancellations),
            fees_by_plan={p: Decimal(cents[p]).scaleb(-2) for p in +records},
            records_by_plan=dict(+records),
        )

    def _facts(self, start: datetime, end: datetime, ids: tuple[int, int]) -> Any:
        """One row per case received in [start, end): what ``CaseFacts`` holds of it (the
        same sources as :meth:`month_cases`), as a subquery. ``ids``: the least and the
        greatest id of those cases."""
        cases = CaseRow.__table__
        c = cases.c
        led = LedgerRow.__table__.c
        rec = ServiceRecordRow.__table__.c
        s = SurveyRow.__table__.c
        e = CaseEventRow.__table__.c
        in_month = and_(c.received_at >= start, c.received_at < end)
        # Each case's last feedback survey.
        ranked = (
            select(
                s.case_id,
                s.result,
                s.satisfied,
                func.row_number()
                .over(partition_by=s.case_id, order_by=(s.at.desc(), s.id.desc()))
                .label("nth"),
            )
            .where(s.case_id.between(*ids), s.kind == "feedback")
            .subquery("surveys_ranked")
        )
        surveys = (
            select(ranked.c.case_id, ranked.c.result, ranked.c.satisfied)
            .where(ranked.c.nth == 1)
            .subquery("last_survey")
        )
        # The last reason given in the delay events of a case without a ledger entry (a
        # subquery run for those few cases only).
        said = CaseEventRow.__table__.c.details["reason"].as_string()
        event_reason = (
            select(said)
            .where(e.case_id == c.id, e.kind.in_(DELAY_EVENTS), said != "")
            .order_by(e.at.desc(), e.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        return (
            select(
                c.dispatched_at,
                c.arrived_at,
                c.completed_at,
                c.cancelled_at,
                func.coalesce(c.cancel_reason, "").label("cancel_reason"),
                c.promised_arrival_at.label("promised_at"),
                c.original_promised_at,
                func.coalesce(c.original_promised_at, c.promised_arrival_at).label(
                    "original_promise"
                ),
                c.plan,
                c.is_open,
                c.service_state.label("record_state"),
                func.coalesce(rec.fee_total, led.fee_total, 0).label("fee_total"),
                case(
                    (led.case_id.is_(None), func.coalesce(event_reason, "")),
                    else_=func.coalesce(led.delay_reason, ""),
                ).label("delay_reason"),
                case(
                    (surveys.c.case_id.is_not(None), surveys.c.result),
                    else_=func.coalesce(led.feedback_result, ""),
                ).label("feedback_result"),
                case(
                    (surveys.c.case_id.is_not(None), surveys.c.satisfied),
                    else_=led.satisfied,
                ).label("satisfied"),
                exists().where(e.case_id == c.id, e.kind == REPEAT_EVENT).label("repeat_repair"),
            )
            .select_from(
                cases.outerjoin(
                    LedgerRow.__table__, and_(led.case_id == c.id, led.case_id.between(*ids))
                )
                .outerjoin(
                    ServiceRecordRow.__table__, and_(rec.case_id == c.id, rec.case_id.between(*ids))
                )
                .outerjoin(surveys, surveys.c.case_id == c.id)
            )
            .where(in_month)
            .subquery("facts")
        )

    def _responses(
        self, start: datetime, end: datetime, response_clock: Callable[[str, str], int | None]
    ) -> tuple[tuple[float, ...], int, tuple[int, ...]]:
        """The response times (minutes, ascending) of the month's dispatched cases; how many
        were within their response clock; the clocks."""
        c = CaseRow.__table__.c
        us = _micros_of(self.session)
        micros = (us(c.dispatched_at) - us(c.received_at)).label("micros")
        rows = (
            self.session.connection()
            .execute(
                select(c.policy, c.priority, micros)
                .where(c.received_at >= start, c.received_at < end, c.dispatched_at.is_not(None))
                .order_by(micros)
            )
            .all()
        )
        clocks: dict[tuple[str, str], int | None] = {}
        minutes: list[float] = []
        within = 0
        for policy, priority, us_taken in rows:
            key = (policy, priority)
            if key not in clocks:
                clocks[key] = response_clock(policy, priority)
            # As CaseFacts.response_minutes: timedelta.total_seconds() / 60, bit for bit.
            m = us_taken / 1_000_000 / 60
            minutes.append(m)
            clock = clocks[key]
            if clock is not None and m <= clock:
                within += 1
        return tuple(minutes), within, tuple(sorted({v for v in clocks.values() if v is not None}))

    def month_cases(
        self, start: datetime, end: datetime, response_clock: Callable[[str, str], int | None]
    ) -> list[CaseFacts]:
        c = CaseRow.__table__.c
        led = LedgerRow.__table__.c
        rec = ServiceRecordRow.__table__.c
        in_month = (c.received_at >= start, c.received_at < end)
        rows = self.session.execute(
            select(
                c.id,
                c.number,
                c.received_at,
                c.dispatched_at,
                c.arrived_at,
                c.completed_at,
                c.cancelled_at,
                c.cancel_reason,
                c.promised_arrival_at,
                c.original_promised_at,
                c.plan,
                c.is_open,
                c.service_state,
                c.policy,
                c.priority,
                rec.fee_total,
                led.case_id,
                led.delay_reason,
                led.fee_total,
                led.feedback_result,
                led.satisfied,
            )
            .select_from(
                CaseRow.__table__.outerjoin(LedgerRow.__table__, led.case_id == c.id).outerjoin(
                    ServiceRecordRow.__table__, rec.case_id == c.id
                )
            )
            .where(*in_month)
        ).all()

        surveys = self._surveys(start, end)
        repeats = self._repeats(start, end)
        without_ledger = [r[0] for r in rows if r[16] is None]
        reasons = self._delay_reasons(start, end) if without_ledger else {}
        clocks: dict[tuple[str, str], int | None] = {}
        found: list[CaseFacts] = []
        zero = Decimal("0")
        for r in rows:
            (case_id, number, received, dispatched, arrived, completed, cancelled) = r[:7]
            (reason, promised, original, plan, is_open, state, policy, priority) = r[7:15]
            rec_fee, ledger_id, l_delay, l_fee, l_result, l_satisfied = r[15:21]
            key = (policy, priority)
            if key not in clocks:
                clocks[key] = response_clock(policy, priority)
            survey = surveys.get(case_id)
            if survey is not None:
                result, satisfied = survey
            else:
                result, satisfied = l_result or "", l_satisfied
            found.append(
                CaseFacts(
                    case_id=case_id,
                    number=number,
                    received_at=received,
                    dispatched_at=dispatched,
                    arrived_at=arrived,
                    completed_at=completed,
                    cancelled_at=cancelled,
                    cancel_reason=reason or "",
                    promised_at=promised,
                    original_promised_at=original,
                    plan=plan,
                    is_open=bool(is_open),
                    record_state=state or "none",
                    fee_total=Decimal(rec_fee if rec_fee is not None else (l_fee or zero)),
                    delay_reason=(l_delay or "")
                    if ledger_id is not None
                    else reasons.get(case_id, ""),
                    feedback_result=result,
                    satisfied=satisfied,
                    repeat_repair=case_id in repeats,
                    response_clock_minutes=clocks[key],
                )
            )
        return found

    def _surveys(self, start: datetime, end: datetime) -> dict[int, tuple[str, bool | None]]:
        """Each case's last feedback survey: (result, satisfied)."""
        c = CaseRow.__table__.c
        s = SurveyRow.__table__.c
        rows = self.session.execute(
            select(s.case_id, s.result, s.satisfied)
            .select_from(SurveyRow.__table__.join(CaseRow.__table__, c.id == s.case_id))
            .where(c.received_at >= start, c.received_at < end, s.kind == "feedback")
            .order_by(s.case_id, s.at, s.id)
        )
        return {case_id: (result, satisfied) for case_id, result, satisfied in rows}

    def _repeats(self, start: datetime, end: datetime) -> set[int]:
        c = CaseRow.__table__.c
        e = CaseEventRow.__table__.c
        return set(
            self.session.scalars(
                select(e.case_id)
                .select_from(CaseEventRow.__table__.join(CaseRow.__table__, c.id == e.case_id))
                .where(e.kind == REPEAT_EVENT, c.received_at >= start, c.received_at < end)
            )
        )

    def _delay_reasons(self, start: datetime, end: datetime) -> dict[int, str]:
        """The last delay reason of each case of the month without a ledger entry."""
        c = CaseRow.__table__.c
        e = CaseEventRow.__table__.c
        led = LedgerRow.__table__.c
        rows = self.session.execute(
            select(e.case_id, e.details)
            .select_from(
                CaseEventRow.__table__.join(CaseRow.__table__, c.id == e.case_id).outerjoin(
                    LedgerRow.__table__, led.case_id == e.case_id
                )
            )
            .where(
                e.kind.in_(DELAY_EVENTS),
                c.received_at >= start,
                c.received_at < end,
                led.case_id.is_(None),
            )
            .order_by(e.case_id, e.at, e.id)
        )
        found: dict[int, str] = {}
        for case_id, details in rows:
            if isinstance(details, dict) and details.get("reason"):
                found[case_id] = str(details["reason"])
        return found

    def month_complaints(self, start: datetime, end: datetime) -> list[ComplaintFacts]:
        co = ComplaintRow.__table__.c
        cr = CrewRow.__table__.c
        rows = self.session.execute(
            select(
                co.id,
                co.number,
                co.received_at,
                co.category,
                co.is_open,
                co.resolved_at,
                co.resolve_due_at,
                co.crew_member,
                cr.code,
            )
            .select_from(ComplaintRow.__table__.outerjoin(CrewRow.__table__, cr.id == co.crew_id))
            .where(co.received_at >= start, co.received_at < end)
        )
        return [
            ComplaintFacts(
                complaint_id=i,
                number=number,
                received_at=received,
                category=category,
                is_open=bool(is_open),
                resolved_at=resolved,
                resolve_due_at=due,
                crew=" ".join(p for p in ((code or "").strip(), (member or "").strip()) if p),
            )
            for i, number, received, category, is_open, resolved, due, member, code in rows
        ]
