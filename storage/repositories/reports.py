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
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.records.ledger import DELAY_EVENTS
from callcenter.reports.monthly import CaseFacts, ComplaintFacts
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


class SqlReportRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

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
