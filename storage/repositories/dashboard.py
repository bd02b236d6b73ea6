"""The KPI dashboard's reads (``callcenter.ports.DashboardRepository``): one month of cases,
their feedback surveys and the complaints, as the plain facts the arithmetic of
``callcenter.reports.dashboard`` takes. Read-only; three or four short queries a month."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.records.ledger import DELAY_EVENTS
from callcenter.reports.dashboard import CaseFact, ComplaintFact, SurveyFact
from storage.repositories._common import _micros_of
from storage.tables import CaseEventRow, CaseRow, ComplaintRow, LedgerRow, SurveyRow


class SqlDashboardRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def case_facts(self, start: datetime, end: datetime) -> list[CaseFact]:
        # The instants as integer microseconds, computed by the database (as the sweep reads
        # them): no datetime is parsed for the 25,000 cases of three busy months.
        us = _micros_of(self.session)
        stmt = (
            select(
                CaseRow.id,
                CaseRow.number,
                us(CaseRow.received_at),
                us(CaseRow.dispatched_at),
                us(CaseRow.arrived_at),
                us(CaseRow.promised_arrival_at),
                us(CaseRow.original_promised_at),
                LedgerRow.delay_reason,
                LedgerRow.on_time,
                LedgerRow.on_time_original,
            )
            .outerjoin(LedgerRow, LedgerRow.case_id == CaseRow.id)
            .where(CaseRow.received_at >= start, CaseRow.received_at < end)
            .order_by(CaseRow.received_at, CaseRow.id)
        )
        rows = self.session.connection().execute(stmt).all()
        reasons = self._delay_reasons(start, end)
        of = CaseFact.from_micros
        return [
            of(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                r[5],
                r[6],
                delay_reason=reasons.get(r[0]) or r[7] or "",
                ledger_on_time=None if r[8] is None else bool(r[8]),
                ledger_on_time_original=None if r[9] is None else bool(r[9]),
            )
            for r in rows
        ]

    def _delay_reasons(self, start: datetime, end: datetime) -> dict[int, str]:
        """Case id → the last delay reason its timeline gives (as the ledger's is made)."""
        rows = self.session.execute(
            select(CaseEventRow.case_id, CaseEventRow.details)
            .join(CaseRow, CaseRow.id == CaseEventRow.case_id)
            .where(
                CaseRow.received_at >= start,
                CaseRow.received_at < end,
                CaseEventRow.kind.in_(DELAY_EVENTS),
            )
            .order_by(CaseEventRow.at, CaseEventRow.id)
        )
        reasons: dict[int, str] = {}
        for case_id, details in rows:
            reason = (details or {}).get("reason")
            if reason:
                reasons[case_id] = str(reason)
        return reasons

    def survey_facts(self, start: datetime, end: datetime) -> list[SurveyFact]:
        rows = self.session.connection().execute(
            select(SurveyRow.case_id, SurveyRow.result, SurveyRow.satisfied)
            .join(CaseRow, CaseRow.id == SurveyRow.case_id)
            .where(
                CaseRow.received_at >= start,
                CaseRow.received_at < end,
                SurveyRow.kind == "feedback",
            )
            .order_by(SurveyRow.at, SurveyRow.id)
        )
        facts = [
            SurveyFact(case_id, result, None if satisfied is None else bool(satisfied))
            for case_id, result, satisfied in rows
        ]
        # An imported old ledger's rows carry the result without a survey of their own.
        surveyed = {f.case_id for f in facts}
        ledger = self.session.connection().execute(
            select(LedgerRow.case_id, LedgerRow.feedback_result, LedgerRow.satisfied).where(
                LedgerRow.received_at >= start,
                LedgerRow.received_at < end,
                LedgerRow.feedback_result != "",
            )
        )
        extra = [
            SurveyFact(case_id, result, None if satisfied is None else bool(satisfied))
            for case_id, result, satisfied in ledger
            if case_id not in surveyed
        ]
        return extra + facts

    def complaint_facts(self, start: datetime, end: datetime) -> list[ComplaintFact]:
        rows = self.session.execute(
            select(
                ComplaintRow.id,
                ComplaintRow.number,
                ComplaintRow.received_at,
                ComplaintRow.case_id,
                CaseRow.number,
            )
            .outerjoin(CaseRow, CaseRow.id == ComplaintRow.case_id)
            .where(ComplaintRow.received_at >= start, ComplaintRow.received_at < end)
            .order_by(ComplaintRow.received_at, ComplaintRow.id)
        )
        return [
            ComplaintFact(
                id=r[0], number=r[1], received_at=r[2], case_id=r[3], case_number=r[4] or ""
            )
            for r in rows
        ]
