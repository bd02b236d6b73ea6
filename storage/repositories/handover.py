"""The shift-handover digest's reads (``callcenter.ports.HandoverRepository``): what the
other repositories do not already read, and who read each shift's handover."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from callcenter.complaints.model import Complaint
from callcenter.domain import CaseEvent
from callcenter.handover import DELAY_EVENT, HandoverRead
from callcenter.records.model import FeedbackResult, SurveyRecord
from storage.convert import to_domain, to_row
from storage.repositories._common import Touch, _chunks
from storage.tables import CaseEventRow, ComplaintRow, HandoverReadRow, SurveyRow


class SqlHandoverRepository:
    def __init__(self, session: Session, touch: Touch) -> None:
        self.session = session
        self.touch = touch

    def last_delay_calls(self, case_ids: Iterable[int]) -> dict[int, CaseEvent]:
        found: dict[int, CaseEvent] = {}
        for chunk in _chunks(sorted(set(case_ids))):
            rows = self.session.scalars(
                select(CaseEventRow)
                .where(CaseEventRow.case_id.in_(chunk), CaseEventRow.kind == DELAY_EVENT)
                .order_by(CaseEventRow.at, CaseEventRow.id)
            )
            for row in rows:
                found[row.case_id] = to_domain(CaseEvent, row)  # the last one wins
        return found

    def unanswered_surveys(self, since: datetime) -> list[SurveyRecord]:
        rows = self.session.scalars(
            select(SurveyRow)
            .where(
                SurveyRow.at >= since,
                SurveyRow.kind == "feedback",
                SurveyRow.result != FeedbackResult.ANSWERED.value,
            )
            .order_by(SurveyRow.at, SurveyRow.id)
        )
        return [to_domain(SurveyRecord, r) for r in rows]

    def complaints_new_or_open(self, since: datetime) -> list[Complaint]:
        rows = self.session.scalars(
            select(ComplaintRow)
            .where((ComplaintRow.received_at >= since) | ComplaintRow.is_open.is_(True))
            .order_by(ComplaintRow.received_at, ComplaintRow.id)
            .limit(2000)
        )
        return [to_domain(Complaint, r) for r in rows]

    def reads(self, shift_start: datetime) -> list[HandoverRead]:
        rows = self.session.scalars(
            select(HandoverReadRow)
            .where(HandoverReadRow.shift_start == shift_start)
            .order_by(HandoverReadRow.read_at, HandoverReadRow.id)
        )
        return [to_domain(HandoverRead, r) for r in rows]

    def add_read(self, read: HandoverRead) -> HandoverRead | None:
        exists = self.session.scalar(
            select(HandoverReadRow.id).where(
                HandoverReadRow.shift_start == read.shift_start,
                HandoverReadRow.username == read.username,
            )
        )
        if exists is not None:
            return None
        row = HandoverReadRow()
        to_row(read, row, skip=("id",))
        try:
            with self.session.begin_nested():
                self.session.add(row)
                self.session.flush()
        except IntegrityError:  # another session of the same reader, at the same moment
            return None
        read.id = row.id
        self.touch("handover_read", row.id)
        return read
