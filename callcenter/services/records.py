"""After the work (MISSION "The call", steps 6–8; seeds 000, 002, 004): the service record
the owner accepts, the crew's report-back into the rescue ledger, the feedback call's outcome,
and the rules for closing a case.

* Saving the first record of a case on scene completes the case (``completed_at`` is the save)
  and owes the owner a feedback call, due at once, within the policy's feedback clock.
* A record without the owner's acceptance is an invalid service (seed 004): the case cannot
  close until the acceptance is added (later, or during the feedback call). A supervisor may
  void a record, with a reason. Every saved version of a record is kept.
* A case closes when its record is accepted and its feedback call is finished: answered,
  refused, or not reached after the last try (or a wrong number).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from callcenter.calls.model import CallAttempt, CallTask, Outcome, TaskState
from callcenter.domain import Case, CaseStatus, CrewStatus
from callcenter.domain.lifecycle import allows
from callcenter.errors import ConcurrencyConflict, InvalidTransition, NotFound, ValidationError
from callcenter.i18n import _
from callcenter.permissions import Action
from callcenter.ports import UnitOfWork
from callcenter.records.ledger import ledger_entry
from callcenter.records.model import (
    AcceptanceMethod,
    FeedbackResult,
    LedgerEntry,
    RecordState,
    RecordVersion,
    ReportBack,
    ServiceRecord,
    SurveyRecord,
)
from callcenter.records.parse import (
    AcceptanceInput,
    RecordInput,
    ReportBackInput,
    parse_acceptance,
    parse_record,
    parse_report_back,
    tariff_fees,
)
from callcenter.records.pdf import OwnerCopy
from callcenter.services.base import ServiceBase
from callcenter.validation import check_text

#: The call desk's kinds this module owes calls of (see ``callcenter.calls``).
FEEDBACK_KIND = "feedback"
ESCALATION_KIND = "escalation"
REVISIT_KIND = "revisit"
MAX_REASON = 500

#: Statuses a case may have its first record saved in: on scene (the record completes it),
#: or already completed / reported back without one (a case completed before records existed).
_FIRST_RECORD = frozenset({CaseStatus.ON_SCENE, CaseStatus.COMPLETED, CaseStatus.REPORTED_BACK})
_EDITABLE = frozenset({CaseStatus.COMPLETED, CaseStatus.REPORTED_BACK})


class RecordUseCases(ServiceBase):
    """The service record, the report-back, the feedback call's outcome, closing."""

    # -- reading -------------------------------------------------------------------------
    def service_record(self, case_id: int) -> ServiceRecord | None:
        return self._read(lambda uow: uow.records.for_case(case_id))

    def record_versions(self, case_id: int) -> list[RecordVersion]:
        return self._read(lambda uow: uow.records.versions(case_id))

    def ledger_entry(self, case_id: int) -> LedgerEntry | None:
        return self._read(lambda uow: uow.ledger.get(case_id))

    def surveys(self, case_id: int, kind: str | None = FEEDBACK_KIND) -> list[SurveyRecord]:
        """The surveys of ``case_id`` taken in calls of ``kind`` (None: every kind)."""
        return self._read(lambda uow: uow.surveys.for_case(case_id, kind))

    def feedback_tasks(self, case_id: int) -> list[CallTask]:
        return self._read(lambda uow: uow.calls.for_case(case_id, FEEDBACK_KIND))

    def satisfaction(self, at: datetime | None = None) -> dict[str, int]:
        """This month's survey tally (in the centre's time zone): ``satisfied``, ``rated``
        (surveys answered with a satisfaction answer: the rate is satisfied ÷ rated) and each
        :class:`FeedbackResult`'s count (``answered``, ``refused``, ``not_reached``, …)."""
        start, end = self.month_of(at or self.clock.now())
        return self._read(lambda uow: uow.surveys.tally(start, end))

    def month_of(self, at: datetime) -> tuple[datetime, datetime]:
        """The calendar month around ``at`` in the centre's time zone, as UTC bounds."""
        local = at.astimezone(self.tz)
        first = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        following = (first + timedelta(days=32)).replace(day=1)
        return first, following

    def case_by_number(self, number: str) -> Case:
        found = self._read(lambda uow: uow.cases.by_number(number.strip()))
        if found is None:
            raise NotFound(_("Case {number} not found.").format(number=number.strip()))
        return found

    def owner_copy(self, case_id: int, *, centre_name: str = "") -> OwnerCopy:
        """What the owner's copy of ``case_id``'s service record prints (seed 000:
        向车主提供汽车维修救援服务记录单); render it with
        :func:`callcenter.records.pdf.owner_copy_pdf`."""

        def work(uow: UnitOfWork) -> OwnerCopy:
            case = self._case(uow, case_id, None)
            record = uow.records.for_case(case_id)
            if record is None:
                raise NotFound(
                    _("Case {number} has no service record yet.").format(number=case.number)
                )
            crew = uow.crews.get(case.crew_id) if case.crew_id is not None else None
            return OwnerCopy(
                case=case,
                record=record,
                crew_code=crew.code if crew is not None else "",
                crew_plate=crew.vehicle_plate if crew is not None else "",
                recorded_by_name=self._who(uow, record.recorded_by),
                acceptance_recorded_by_name=self._who(uow, record.acceptance_recorded_by)
                if record.acceptance_recorded_by
                else "",
                centre_name=centre_name,
                tz=self.tz,
                printed_at=self.clock.now(),
            )

        return self._read(work)

    def record_form(self, case: Case) -> RecordInput:
        """What the record form starts with for ``case``: the saved record as text, or the
        times known, the crew, the fees of the policy's tariff and the caller as acceptor."""
        record = self.service_record(case.id) if case.id is not None else None
        fmt = "%Y-%m-%d %H:%M"
        if record is not None:
            parts = "\n".join(
                f"{p.name}, {p.quantity}, {p.part_number}, {_('yes') if p.genuine else _('no')}"
                for p in record.parts
            )
            fees = {line.kind.value: line for line in record.fees}

            def amount(kind: str) -> str:
                return f"{fees[kind].amount:.2f}" if kind in fees else ""

            towing = fees.get("towing")
            return RecordInput(
                crew_members=record.crew_members,
                work_started=self.local(record.work_started_at, fmt),
                work_finished=self.local(record.work_finished_at, fmt),
                cause=record.cause,
                solution=record.solution,
                no_parts=record.no_parts,
                parts=parts,
                fee_labour=amount("labour"),
                fee_parts=amount("parts"),
                fee_towing=amount("towing"),
                towing_km=f"{towing.km}" if towing is not None and towing.km is not None else "",
                fee_other=amount("other"),
                warranty="in" if record.in_warranty else "out",
                acceptance=AcceptanceInput(
                    "yes" if record.accepted else "no",
                    record.accepted_by,
                    record.acceptance_method.value if record.acceptance_method else "",
                    self.local(record.accepted_at, fmt) if record.accepted_at else "",
                ),
            )
        now = self.clock.now()
        crew_id = case.crew_id
        crew = self._read(lambda uow: uow.crews.get(crew_id)) if crew_id is not None else None
        tariff = tariff_fees(case.plan, dict(self.policy.tariff))
        return RecordInput(
            crew_members=crew.name if crew is not None else "",
            work_started=self.local(case.arrived_at, fmt) if case.arrived_at else "",
            work_finished=self.local(now, fmt),
            towing_km=f"{case.distance_km}" if case.plan.value == "towing" else "0",
            acceptance=AcceptanceInput("", case.caller_name, "", self.local(now, fmt)),
            fee_labour=tariff["fee_labour"],
            fee_parts=tariff["fee_parts"],
            fee_towing=tariff["fee_towing"],
            fee_other=tariff["fee_other"],
        )

    # -- the service record --------------------------------------------------------------
    def save_record(
        self,
        case_id: int,
        raw: RecordInput,
        *,
        case_version: int | None = None,
        record_version: int | None = None,
    ) -> ServiceRecord:
        """Save the service record of ``case_id`` as typed: the first save completes a case on
        scene; a later one is an edit of the version the operator saw (``record_version``)."""

        def work(uow: UnitOfWork) -> ServiceRecord:
            case = self._case(uow, case_id, case_version)
            existing = uow.records.for_case(case_id)
            now = self.clock.now()
            allowed = _FIRST_RECORD if existing is None else _EDITABLE
            if case.status not in allowed:
                raise InvalidTransition(
                    _("Case {number} is {status}: its service record cannot be saved.").format(
                        number=case.number, status=case.status.label
                    )
                )
            policy = self.policy.name
            record = parse_record(raw, case=case, policy=policy, tz=self.tz, now=now)
            if existing is None:
                record.recorded_by, record.recorded_at = self.actor, now
                if record.accepted:
                    record.acceptance_recorded_by = self.actor
                uow.records.add(record)
                action = "created"
                changes: dict[str, Any] = {}
            else:
                self._record_version(uow, existing, record_version)
                before = existing.snapshot()
                record.id, record.version = existing.id, existing.version
                record.recorded_by, record.recorded_at = existing.recorded_by, existing.recorded_at
                record.updated_by, record.updated_at = self.actor, now
                same_acceptance = (
                    record.accepted == existing.accepted
                    and record.accepted_by == existing.accepted_by
                    and record.acceptance_method == existing.acceptance_method
                    and record.accepted_at == existing.accepted_at
                )
                record.acceptance_recorded_by = (
                    existing.acceptance_recorded_by
                    if same_acceptance
                    else (self.actor if record.accepted else "")
                )
                uow.records.save(record)
                changes = _changes(before, record.snapshot())
                if not changes:
                    return existing
                action = "edited"
            self._keep_version(uow, record, action, changes, now)
            if case.status is CaseStatus.ON_SCENE:
                self._complete(uow, case, now)
            case.service_state = record.state.value
            self._touch(case)
            uow.cases.save(case)
            self._event(
                uow,
                case,
                "service_recorded" if action == "created" else "service_edited",
                state=record.state.value,
                version=record.version,
                total=str(record.total),
                changed=sorted(changes),
            )
            self._note(record_version=record.version, state=record.state.value)
            self._owe_feedback_call(uow, case, now)
            self._refresh_ledger(uow, case)
            return record

        return self._write(work, action=Action.RECORD_SERVICE, entity="case", entity_id=case_id)

    def _complete(self, uow: UnitOfWork, case: Case, now: datetime) -> None:
        if not allows(Action.COMPLETE, case.status):
            return
        case.status = CaseStatus.COMPLETED
        case.completed_at = now
        if case.crew_id is not None:
            crew = uow.crews.get(case.crew_id)
            if crew is not None and crew.current_case_id == case.id:
                crew.status = CrewStatus.RETURNING
                self._touch_crew(crew)
                uow.crews.save(crew)
        self._event(uow, case, "completed")

    def _owe_feedback_call(self, uow: UnitOfWork, case: Case, now: datetime) -> None:
        """The feedback call, due at once (its deadline is the policy's feedback clock); one
        per case."""
        assert case.id is not None
        if case.feedback_at is not None or uow.calls.for_case(case.id, FEEDBACK_KIND):
            return
        uow.calls.add(
            CallTask(
                kind=FEEDBACK_KIND,
                due_at=now,
                created_at=now,
                created_by=self.actor,
                case_id=case.id,
                note="",
            )
        )
        self.case_event(uow, case.id, "call_scheduled", kind=FEEDBACK_KIND, due=now)

    def _record_version(self, uow: UnitOfWork, record: ServiceRecord, version: int | None) -> None:
        if version is not None and record.version != version:
            who = self._who(uow, record.updated_by or record.recorded_by)
            when = record.updated_at or record.recorded_at
            raise ConcurrencyConflict(
                _("The service record was changed by {who} at {when}.").format(
                    who=who, when=self.local(when) if when else "?"
                ),
                changed_by=who,
                changed_at=when,
            )

    def _keep_version(
        self,
        uow: UnitOfWork,
        record: ServiceRecord,
        action: str,
        changes: dict[str, Any],
        now: datetime,
    ) -> None:
        assert record.id is not None
        uow.records.add_version(
            RecordVersion(
                record_id=record.id,
                case_id=record.case_id,
                version=record.version,
                at=now,
                actor=self.actor,
                action=action,
                changes=changes,
                snapshot=record.snapshot(),
            )
        )

    def accept_record(
        self, case_id: int, raw: AcceptanceInput, *, record_version: int | None = None
    ) -> ServiceRecord:
        """Add the owner's acceptance to a record saved without it."""

        def work(uow: UnitOfWork) -> ServiceRecord:
            record = self._existing(uow, case_id)
            self._record_version(uow, record, record_version)
            self._accept(uow, record, raw)
            return record

        return self._write(work, action=Action.RECORD_SERVICE, entity="case", entity_id=case_id)

    def _accept(self, uow: UnitOfWork, record: ServiceRecord, raw: AcceptanceInput) -> None:
        now = self.clock.now()
        if record.voided_at is not None:
            raise InvalidTransition(_("This service record was voided: record it again."))
        if record.accepted:
            raise InvalidTransition(_("The owner has already accepted this service record."))
        accepted, by, method, at = parse_acceptance(
            raw, tz=self.tz, now=now, after=record.work_started_at
        )
        if not accepted:
            raise ValidationError("accepted", _("Say whether the owner accepted the service."))
        before = record.snapshot()
        record.accepted, record.accepted_by = True, by
        record.acceptance_method, record.accepted_at = method, at
        record.acceptance_recorded_by = self.actor
        record.updated_by, record.updated_at = self.actor, now
        uow.records.save(record)
        self._keep_version(uow, record, "accepted", _changes(before, record.snapshot()), now)
        self._record_state_changed(uow, record, "service_accepted", by=by)

    def void_record(
        self, case_id: int, reason: str, *, record_version: int | None = None
    ) -> ServiceRecord:
        """A supervisor voids a record, with a reason (audited): the service counts as invalid
        until the record is saved again."""
        text = check_text("void_reason", reason, MAX_REASON)

        def work(uow: UnitOfWork) -> ServiceRecord:
            self.require(Action.VOID_RECORD, entity="case", entity_id=case_id)
            record = self._existing(uow, case_id)
            self._record_version(uow, record, record_version)
            if record.voided_at is not None:
                raise InvalidTransition(_("This service record is already voided."))
            now = self.clock.now()
            before = record.snapshot()
            record.voided_at, record.voided_by, record.void_reason = now, self.actor, text
            record.updated_by, record.updated_at = self.actor, now
            uow.records.save(record)
            self._keep_version(uow, record, "voided", _changes(before, record.snapshot()), now)
            self._record_state_changed(uow, record, "service_voided", reason=text)
            self._note(reason=text)
            return record

        return self._write(work, action=Action.VOID_RECORD, entity="case", entity_id=case_id)

    def _existing(self, uow: UnitOfWork, case_id: int) -> ServiceRecord:
        record = uow.records.for_case(case_id)
        if record is None:
            raise NotFound(_("This case has no service record yet."))
        return record

    def _record_state_changed(
        self, uow: UnitOfWork, record: ServiceRecord, event: str, **details: Any
    ) -> None:
        case = self._case(uow, record.case_id, None)
        if not case.is_open and case.status is CaseStatus.CANCELLED:
            return
        case.service_state = record.state.value
        self._touch(case)
        uow.cases.save(case)
        self._event(uow, case, event, state=record.state.value, version=record.version, **details)
        self._refresh_ledger(uow, case)

    # -- the report-back -----------------------------------------------------------------
    def report_back_form(self, case: Case) -> ReportBackInput:
        return ReportBackInput(
            back_at=self.local(self.clock.now(), "%Y-%m-%d %H:%M"),
            km_driven=f"{(case.distance_km * 2):.1f}",
            expenses="0",
            equipment_returned=True,
        )

    def save_report_back(
        self, case_id: int, raw: ReportBackInput, *, version: int | None = None
    ) -> Case:
        """The crew is back at base (回厂报告): the case is reported back, the crew free, and
        the case's ledger entry written."""

        def work(uow: UnitOfWork) -> Case:
            case = self._case(uow, case_id, version)
            if not allows(Action.REPORT_BACK, case.status):
                raise InvalidTransition(
                    _(
                        "Case {number} is {status}: the crew can report back once it is completed."
                    ).format(number=case.number, status=case.status.label)
                )
            now = self.clock.now()
            report = parse_report_back(raw, tz=self.tz, now=now, completed_at=case.completed_at)
            case.status = CaseStatus.REPORTED_BACK
            case.reported_back_at = now
            self._touch(case)
            uow.cases.save(case)
            if case.crew_id is not None:
                crew = uow.crews.get(case.crew_id)
                if crew is not None and crew.current_case_id == case.id:
                    crew.status = CrewStatus.AVAILABLE
                    crew.current_case_id = None
                    self._touch_crew(crew)
                    uow.crews.save(crew)
                assert case.id is not None
                uow.assignments.release(case.id, now)
            self._event(
                uow,
                case,
                "reported_back",
                back_at=report.back_at,
                km=str(report.km_driven),
                expenses=str(report.expenses),
                equipment_returned=report.equipment_returned,
                notes=report.crew_notes,
                follow_up=report.follow_up,
            )
            self._refresh_ledger(uow, case, report)
            return case

        return self._write(work, action=Action.REPORT_BACK, entity="case", entity_id=case_id)

    def _refresh_ledger(
        self, uow: UnitOfWork, case: Case, report: ReportBack | None = None
    ) -> None:
        """Write the case's ledger entry anew (from the report-back on; before it, only when
        a report is given)."""
        assert case.id is not None
        previous = uow.ledger.get(case.id)
        if previous is None and report is None:
            return
        crew = uow.crews.get(case.crew_id) if case.crew_id is not None else None
        surveys = uow.surveys.for_case(case.id)
        uow.ledger.put(
            ledger_entry(
                case,
                crew=crew,
                record=uow.records.for_case(case.id),
                report=report,
                survey=surveys[-1] if surveys else None,
                events=uow.events.for_case(case.id),
                previous=previous,
                now=self.clock.now(),
            )
        )

    # -- closing -------------------------------------------------------------------------
    def closing_blockers(self, case_id: int) -> list[str]:
        """What keeps ``case_id`` from closing, in words (empty: it may close)."""
        return self._read(lambda uow: self._blockers(uow, self._case(uow, case_id, None)))

    def _blockers(self, uow: UnitOfWork, case: Case) -> list[str]:
        assert case.id is not None
        missing = []
        if not allows(Action.CLOSE, case.status):
            missing.append(
                _("the crew has not reported back (the case is {status})").format(
                    status=case.status.label
                )
            )
        record = uow.records.for_case(case.id)
        if record is None:
            missing.append(_("no service record"))
        elif record.state is RecordState.VOIDED:
            missing.append(_("the service record was voided: record it again"))
        elif not record.accepted:
            missing.append(_("the owner has not accepted the service record"))
        tasks = uow.calls.for_case(case.id, FEEDBACK_KIND)
        if any(t.is_open for t in tasks):
            missing.append(_("the feedback call is not finished"))
        elif not tasks and case.feedback_at is None:
            missing.append(_("no feedback call"))
        return missing

    def close_case(self, case_id: int, version: int | None = None) -> Case:
        """Close a case whose record is accepted and whose feedback call is finished;
        otherwise refused with what is missing."""

        def work(uow: UnitOfWork) -> Case:
            case = self._case(uow, case_id, version)
            missing = self._blockers(uow, case)
            if missing:
                raise InvalidTransition(
                    _("Case {number} cannot be closed yet: {missing}.").format(
                        number=case.number, missing="; ".join(missing)
                    )
                )
            case.status = CaseStatus.CLOSED
            case.closed_at = self.clock.now()
            self._touch(case)
            uow.cases.save(case)
            self._event(uow, case, "closed")
            self._refresh_ledger(uow, case)
            return case

        return self._write(work, action=Action.CLOSE, entity="case", entity_id=case_id)

    def close_open_calls(self, uow: UnitOfWork, case: Case, reason: str) -> int:
        """Inside a write: cancel the open call tasks of ``case`` (it was cancelled)."""
        assert case.id is not None
        now = self.clock.now()
        closed = 0
        for task in uow.calls.for_case(case.id):
            if not task.is_open:
                continue
            task.state = TaskState.CANCELLED
            task.claimed_by = task.claimed_at = None
            task.closed_at, task.closed_by = now, self.actor
            task.result = {"cancel_reason": reason}
            uow.calls.save(task)
            closed += 1
        return closed

    def after_cancel(self, uow: UnitOfWork, case: Case) -> None:
        """A cancelled case closes its open call tasks and its unresolved alerts."""
        assert case.id is not None
        closed = self.close_open_calls(uow, case, _("the case was cancelled"))
        now = self.clock.now()
        resolved = 0
        for alert in uow.alerts.for_case(case.id):
            if alert.resolved_at is None:
                alert.resolved_at, alert.resolved_by = now, self.actor
                alert.claimed_by = alert.claimed_at = None
                alert.outcome = "case_cancelled"
                uow.alerts.save(alert)
                resolved += 1
        if closed or resolved:
            self._note(calls_closed=closed, alerts_resolved=resolved)

    # -- the feedback call (the call desk's hook) ----------------------------------------
    def after_call_attempt(self, uow: UnitOfWork, task: CallTask, attempt: CallAttempt) -> None:
        """Inside the call desk's write: what a feedback call's attempt means for the case."""
        if task.kind not in (FEEDBACK_KIND, REVISIT_KIND) or task.case_id is None:
            return
        case = self._case(uow, task.case_id, None)
        now = attempt.at
        reached = attempt.outcome in (Outcome.REACHED, Outcome.REFUSED)
        survey = _survey_of(task, attempt, self.actor)
        if survey is None:
            return  # another try is scheduled
        result = survey.result
        uow.surveys.add(survey)
        if task.kind == REVISIT_KIND:
            # The revisit months later: its own line, never the case's feedback result.
            self._event(
                uow,
                case,
                "revisit",
                result=result.value,
                satisfied=survey.satisfied,
                escalations=survey.escalations,
            )
            if survey.escalations:
                self._escalate(uow, case, survey, now)
            return
        if reached and case.feedback_at is None:
            case.feedback_at = now
        self._touch(case)
        uow.cases.save(case)
        self._event(
            uow,
            case,
            "feedback",
            result=result.value,
            satisfied=survey.satisfied,
            escalations=survey.escalations,
        )
        if survey.escalations:
            self._escalate(uow, case, survey, now)
        accept_by = str((attempt.payload or {}).get("accept_by") or "").strip()
        if accept_by and attempt.outcome is Outcome.REACHED:
            record = uow.records.for_case(case.id or 0)
            if record is not None and not record.accepted and record.voided_at is None:
                self._accept(
                    uow,
                    record,
                    AcceptanceInput(
                        "yes", accept_by, AcceptanceMethod.PHONE.value, self.local(now, "%H:%M")
                    ),
                )
                return  # _accept refreshed the ledger
        self._refresh_ledger(uow, case)

    def _escalate(self, uow: UnitOfWork, case: Case, survey: SurveyRecord, now: datetime) -> None:
        """A very dissatisfied owner or an open fault: a call on the desk for a supervisor,
        listed first (seed 004: 发现重大质量问题及客户非常不满意的状况应在第一时间上报)."""
        assert case.id is not None
        self._escalate_to_supervisors(uow, case, survey)
        if any(t.is_open for t in uow.calls.for_case(case.id, ESCALATION_KIND)):
            return
        uow.calls.add(
            CallTask(
                kind=ESCALATION_KIND,
                due_at=now,
                created_at=now,
                created_by=self.actor,
                case_id=case.id,
                note=", ".join(survey.escalations)[:500],
            )
        )
        self._event(uow, case, "escalated", reasons=survey.escalations)
        self._note(escalated=survey.escalations)

    def _escalate_to_supervisors(self, uow: UnitOfWork, case: Case, survey: SurveyRecord) -> None:
        """One line on every supervisor's board per escalation of the survey."""
        from callcenter.complaints.model import EscalationKind
        from callcenter.survey import OPEN_FAULT

        for code in survey.escalations:
            kind = (
                EscalationKind.OPEN_FAULT
                if code == OPEN_FAULT
                else EscalationKind.VERY_DISSATISFIED
            )
            self.raise_escalation(
                uow,
                kind,
                f"survey:{case.id}:{survey.task_id}:{code}",
                f"{case.number}|{case.caller_name}",
                case_id=case.id,
                crew_id=case.crew_id,
            )


def _survey_of(task: CallTask, attempt: CallAttempt, actor: str) -> SurveyRecord | None:
    """The survey an attempt of a feedback or revisit call leaves: answered, refused, a
    wrong number, or not reached after the last try; None while another try is due."""
    assert task.case_id is not None
    result: FeedbackResult | None = None
    if attempt.outcome is Outcome.REACHED:
        result = FeedbackResult.ANSWERED
    elif attempt.outcome is Outcome.REFUSED:
        result = FeedbackResult.REFUSED
    elif attempt.outcome is Outcome.WRONG_NUMBER:
        result = FeedbackResult.WRONG_NUMBER
    elif task.state is TaskState.GIVEN_UP:
        result = FeedbackResult.NOT_REACHED
    if result is None:
        return None
    payload = attempt.payload or {}
    return SurveyRecord(
        case_id=task.case_id,
        task_id=task.id,
        at=attempt.at,
        actor=actor,
        result=result,
        template=str(payload.get("template", "")),
        answers={str(k): int(v) for k, v in (payload.get("answers") or {}).items()},
        reasons={str(k): str(v) for k, v in (payload.get("reasons") or {}).items()},
        comment=str(payload.get("comment", "")),
        satisfied=payload.get("satisfied") if result is FeedbackResult.ANSWERED else None,
        escalations=[str(e) for e in payload.get("escalations") or []],
        kind=task.kind,
    )


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The fields that differ: ``field: [before, after]``."""
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }
