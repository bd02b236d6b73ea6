"""Complaints (客户投诉, seeds 001, 002, 003), repeated repairs, and the escalations to the
supervisors (MISSION "Complaints", "Follow-up"; issue 13 §1 and §3).

* A complaint is recorded from the board (F6), a case (K) or the CLI: channel, customer,
  optionally the case and the crew it is against, category, what the customer says, the
  responsible department and person. Its three deadlines come from the policy's
  ``[complaints]`` table (tell the responsible person, make a plan, resolve and call back).
* 受理 → 处理中 (a plan) → 已解决 (a resolution; a complaint call-back is owed on the call
  desk at once) → 已回访确认 (the customer, called back, is satisfied). A customer who is not
  satisfied sends it back to 处理中 ("处理到客户满意为止"). Only a supervisor closes a
  complaint (已关闭); closing one whose customer is not satisfied takes a reason.
* A second complaint against one crew within the policy's window, and a complaint past a
  deadline (the sweep, :mod:`callcenter.complaints.sweep`), go to the supervisors at once as
  escalations, each acknowledged once (who and when).
* A new case for the same plate and fault category within the policy's window of a completed
  one is a repeated repair: flagged at intake (a ``repeat_repair`` event) and counted.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from callcenter import validation
from callcenter.calls.model import CallAttempt, CallTask, Outcome, TaskState
from callcenter.complaints.model import (
    Category,
    Channel,
    Clock,
    Complaint,
    ComplaintAlert,
    ComplaintInput,
    CrewComplaints,
    Escalation,
    EscalationKind,
    Status,
    deadlines,
)
from callcenter.domain import Case
from callcenter.errors import (
    ConcurrencyConflict,
    InvalidTransition,
    NotFound,
    ValidationError,
    ValidationErrors,
)
from callcenter.i18n import _
from callcenter.permissions import Action
from callcenter.ports import UnitOfWork
from callcenter.services.base import ServiceBase
from callcenter.validation import check_text

#: The call desk's kind of the complaint call-back (``callcenter.calls.complaint``).
CALLBACK_KIND = "complaint_callback"
REPEAT_EVENT = "repeat_repair"
MAX_NAME = 100
MAX_TEXT = 2000


@dataclass(frozen=True)
class ComplaintSummary:
    """Complaints received in a period and how they stand (the monthly report's line)."""

    received: int
    against_crews: int
    resolved: int  # resolved, confirmed or closed
    confirmed: int  # the customer, called back, was satisfied
    still_open: int
    by_category: dict[str, int]
    repeat_repairs: int


class ComplaintUseCases(ServiceBase):
    """Complaints, repeated repairs and escalations."""

    # -- reading -------------------------------------------------------------------------
    def complaints(self, *, open_only: bool = False, crew_id: int | None = None) -> list[Complaint]:
        return self._read(lambda uow: uow.complaints.find(open_only=open_only, crew_id=crew_id))

    def complaint(self, complaint_id: int) -> Complaint:
        return self._read(lambda uow: self._complaint(uow, complaint_id, None))

    def complaint_alerts(self, ids: list[int]) -> list[ComplaintAlert]:
        return self._read(lambda uow: uow.complaint_alerts.for_complaints(ids))

    def complaint_alerts_by_id(self, ids: list[int]) -> list[tuple[ComplaintAlert, str]]:
        """The complaint alerts ``ids`` (as the change feed names them) with the numbers."""
        return self._read(lambda uow: uow.complaint_alerts.by_ids(ids))

    def crew_complaint_counts(self, now: datetime | None = None) -> dict[int, CrewComplaints]:
        """Complaints against each crew in the last 30 and 90 days (the crews screen, the
        monthly report)."""
        at = now or self.clock.now()
        rows = self._read(
            lambda uow: uow.complaints.crew_counts(
                at, at - timedelta(days=30), at - timedelta(days=90)
            )
        )
        return {r.crew_id: r for r in rows}

    def complaint_summary(self, start: datetime, end: datetime) -> ComplaintSummary:
        """Complaints received in [start, end) and how they stand now; repeated repairs
        flagged in the same period (the monthly report)."""

        def work(uow: UnitOfWork) -> ComplaintSummary:
            found = [c for c in uow.complaints.find(limit=100_000) if start <= c.received_at < end]
            by_category: dict[str, int] = {}
            for c in found:
                by_category[c.category.value] = by_category.get(c.category.value, 0) + 1
            return ComplaintSummary(
                received=len(found),
                against_crews=sum(1 for c in found if c.crew_id is not None),
                resolved=sum(1 for c in found if c.resolved_at is not None or c.closed_at),
                confirmed=sum(1 for c in found if c.status is Status.CONFIRMED),
                still_open=sum(1 for c in found if c.is_open),
                by_category=by_category,
                repeat_repairs=uow.complaints.count_events(REPEAT_EVENT, start, end),
            )

        return self._read(work)

    def repeat_repair_of(self, plate: str, fault_category: str) -> tuple[int, str] | None:
        """The completed case this would repeat (same plate and fault category within the
        policy's window): (id, number); None when it is no repeat. Quiet on bad input."""
        try:
            norm = validation.normalize_plate(plate)
        except ValidationError:
            return None
        now = self.clock.now()
        since = now - timedelta(days=self.policy.complaints.repeat_repair_days)
        return self._read(lambda uow: uow.complaints.repeat_of(norm, fault_category, since, now))

    def repeat_repairs(self, start: datetime, end: datetime) -> int:
        return self._read(lambda uow: uow.complaints.count_events(REPEAT_EVENT, start, end))

    def escalations(self, *, unacknowledged_only: bool = False) -> list[Escalation]:
        """The last day's escalations and every one not yet acknowledged, newest first."""
        since = self.clock.now() - timedelta(days=1)
        return self._read(
            lambda uow: uow.escalations.recent(since, unacknowledged_only=unacknowledged_only)
        )

    # -- the intake's hook ---------------------------------------------------------------
    def after_take_call(self, uow: UnitOfWork, case: Case) -> None:
        """A new case for a plate and fault category completed within the window: flagged."""
        super().after_take_call(uow, case)
        now = self.clock.now()
        since = now - timedelta(days=self.policy.complaints.repeat_repair_days)
        found = uow.complaints.repeat_of(case.plate, str(case.fault_category), since, now)
        if found is None or found[0] == case.id:
            return
        self._event(uow, case, REPEAT_EVENT, previous=found[1], previous_id=found[0])
        self._note(repeat_of=found[1])

    # -- recording -----------------------------------------------------------------------
    def record_complaint(self, raw: ComplaintInput, *, case_id: int | None = None) -> Complaint:
        """Record a complaint (受理). ``case_id``: from a case (its caller and crew are the
        defaults). Raises ValidationErrors naming every wrong field."""
        now = self.clock.now()

        def work(uow: UnitOfWork) -> Complaint:
            case = self._case(uow, case_id, None) if case_id is not None else None
            values = self._check(uow, raw, case)
            policy = self.policy.complaints
            due = deadlines(now, policy)
            complaint = Complaint(
                received_at=now,
                created_by=self.actor,
                notify_due_at=due[Clock.NOTIFY],
                plan_due_at=due[Clock.PLAN],
                resolve_due_at=due[Clock.RESOLVE],
                policy=self.policy.name,
                updated_at=now,
                updated_by=self.actor,
                **values,
            )
            day = now.astimezone(self.tz)
            start = day.replace(hour=0, minute=0, second=0, microsecond=0)
            seq = uow.complaints.count_received_between(start, start + timedelta(days=1)) + 1
            complaint.number = f"TS{day:%Y%m%d}-{seq:03d}"
            uow.complaints.add(complaint)
            if complaint.case_id is not None:
                self.case_event(
                    uow,
                    complaint.case_id,
                    "complaint",
                    number=complaint.number,
                    category=complaint.category.value,
                )
            self._crew_repeat(uow, complaint)
            self._note(number=complaint.number, category=complaint.category.value)
            return complaint

        return self._write(work, action=Action.RECORD_COMPLAINT, entity="complaint")

    def complaint_form(self, case_id: int | None) -> ComplaintInput:
        """What the complaint form starts with: from a case, its caller and crew."""
        if case_id is None:
            return ComplaintInput()

        def work(uow: UnitOfWork) -> ComplaintInput:
            case = self._case(uow, case_id, None)
            crew = uow.crews.get(case.crew_id) if case.crew_id is not None else None
            return ComplaintInput(
                customer_name=case.caller_name,
                phone=validation.format_phone(case.phone, case.phone_ext),
                case_number=case.number,
                crew_code=crew.code if crew is not None else "",
                crew_member=crew.name if crew is not None else "",
            )

        return self._read(work)

    def as_input(self, complaint: Complaint) -> ComplaintInput:
        """A saved complaint as the form's text."""

        def work(uow: UnitOfWork) -> ComplaintInput:
            case = uow.cases.get(complaint.case_id) if complaint.case_id is not None else None
            crew = uow.crews.get(complaint.crew_id) if complaint.crew_id is not None else None
            return ComplaintInput(
                channel=complaint.channel.value,
                customer_name=complaint.customer_name,
                phone=validation.format_phone(complaint.phone) if complaint.phone else "",
                case_number=case.number if case is not None else "",
                crew_code=crew.code if crew is not None else "",
                crew_member=complaint.crew_member,
                category=complaint.category.value,
                description=complaint.description,
                department=complaint.department,
                responsible=complaint.responsible,
            )

        return self._read(work)

    def update_complaint(
        self, complaint_id: int, raw: ComplaintInput, *, version: int | None = None
    ) -> Complaint:
        """Correct what was recorded (an open complaint)."""

        def work(uow: UnitOfWork) -> Complaint:
            complaint = self._open(uow, complaint_id, version)
            case = None
            values = self._check(uow, raw, case)
            before_crew = complaint.crew_id
            for key, value in values.items():
                setattr(complaint, key, value)
            self._touch_complaint(complaint)
            uow.complaints.save(complaint)
            if complaint.crew_id is not None and complaint.crew_id != before_crew:
                self._crew_repeat(uow, complaint)
            return complaint

        return self._write(
            work, action=Action.RECORD_COMPLAINT, entity="complaint", entity_id=complaint_id
        )

    def _check(self, uow: UnitOfWork, raw: ComplaintInput, case: Case | None) -> dict[str, Any]:
        errors: list[ValidationError] = []

        def attempt(fn: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except ValidationError as exc:
                errors.append(exc)
                return None

        channel = _choice(Channel, raw.channel, "channel", errors, _("Choose how it came."))
        category = _choice(Category, raw.category, "category", errors, _("Choose a category."))
        name = attempt(check_text, "customer_name", raw.customer_name, MAX_NAME)
        phone_e164 = ""
        if raw.phone.strip():
            phone = attempt(validation.parse_phone, raw.phone)
            phone_e164 = phone.e164 if phone is not None else ""
        elif channel is Channel.PHONE:
            errors.append(ValidationError("phone", _("Enter the customer's phone number.")))
        description = attempt(check_text, "description", raw.description, MAX_TEXT, multiline=True)
        department = attempt(check_text, "department", raw.department, MAX_NAME, required=False)
        responsible = attempt(check_text, "responsible", raw.responsible, MAX_NAME, required=False)
        member = attempt(check_text, "crew_member", raw.crew_member, MAX_NAME, required=False)
        case_id = case.id if case is not None else None
        if raw.case_number.strip() and case is None:
            found = uow.cases.by_number(raw.case_number.strip().upper())
            if found is None:
                errors.append(
                    ValidationError(
                        "case_number",
                        _("Case {number} not found.").format(number=raw.case_number.strip()),
                    )
                )
            else:
                case = found
                case_id = found.id
        crew_id = None
        code = raw.crew_code.strip()
        if code:
            crews = [c for c in uow.crews.list() if c.code.casefold() == code.casefold()]
            if not crews:
                errors.append(
                    ValidationError(
                        "crew_code",
                        _("No crew {code}; choose one of the crews on the board.").format(
                            code=code
                        ),
                    )
                )
            else:
                crew_id = crews[0].id
        if errors:
            raise ValidationErrors(errors)
        customer_id = case.customer_id if case is not None else None
        if customer_id is None and phone_e164:
            customer = uow.customers.find_by_phone(phone_e164)
            customer_id = customer.id if customer is not None else None
        return {
            "channel": channel,
            "category": category,
            "customer_name": name,
            "phone": phone_e164,
            "description": description,
            "department": department,
            "responsible": responsible,
            "crew_member": member,
            "case_id": case_id,
            "crew_id": crew_id,
            "customer_id": customer_id,
        }

    def _crew_repeat(self, uow: UnitOfWork, complaint: Complaint) -> None:
        """A second complaint against one crew within the policy's window: escalated."""
        if complaint.crew_id is None:
            return
        days = self.policy.complaints.crew_repeat_days
        since = complaint.received_at - timedelta(days=days)
        found = [c for c in uow.complaints.against_crew_since(complaint.crew_id, since)]
        if len(found) < 2:
            return
        crew = uow.crews.get(complaint.crew_id)
        code = crew.code if crew is not None else "?"
        self.raise_escalation(
            uow,
            EscalationKind.CREW_REPEAT,
            f"crew_repeat:{complaint.crew_id}:{complaint.id}",
            f"{code}|{len(found)}|{days}|{complaint.number}",
            case_id=complaint.case_id,
            complaint_id=complaint.id,
            crew_id=complaint.crew_id,
        )

    # -- handling ------------------------------------------------------------------------
    def mark_notified(self, complaint_id: int, *, version: int | None = None) -> Complaint:
        """The responsible person has been told (the first clock stops)."""

        def work(uow: UnitOfWork) -> Complaint:
            complaint = self._open(uow, complaint_id, version)
            if complaint.notified_at is None:
                complaint.notified_at = self.clock.now()
                self._touch_complaint(complaint)
                uow.complaints.save(complaint)
            return complaint

        return self._write(
            work, action=Action.RECORD_COMPLAINT, entity="complaint", entity_id=complaint_id
        )

    def start_handling(
        self, complaint_id: int, plan: str, *, version: int | None = None
    ) -> Complaint:
        """处理中: the plan of what will be done (stops the first two clocks)."""
        text = check_text("plan", plan, MAX_TEXT, multiline=True)

        def work(uow: UnitOfWork) -> Complaint:
            complaint = self._open(uow, complaint_id, version)
            now = self.clock.now()
            complaint.plan = text
            complaint.planned_at = complaint.planned_at or now
            complaint.notified_at = complaint.notified_at or now
            if complaint.status is Status.RECEIVED:
                complaint.status = Status.HANDLING
            self._touch_complaint(complaint)
            return uow.complaints.save(complaint)

        return self._write(
            work, action=Action.RECORD_COMPLAINT, entity="complaint", entity_id=complaint_id
        )

    def resolve_complaint(
        self, complaint_id: int, resolution: str, *, version: int | None = None
    ) -> Complaint:
        """已解决: what was done. The customer is owed a call-back on the desk at once, to
        ask whether they are satisfied."""
        text = check_text("resolution", resolution, MAX_TEXT, multiline=True)

        def work(uow: UnitOfWork) -> Complaint:
            complaint = self._open(uow, complaint_id, version)
            if complaint.status is Status.RESOLVED:
                raise InvalidTransition(
                    _("Complaint {number} is already resolved.").format(number=complaint.number)
                )
            now = self.clock.now()
            complaint.resolution = text
            complaint.status = Status.RESOLVED
            complaint.resolved_at, complaint.resolved_by = now, self.actor
            complaint.notified_at = complaint.notified_at or now
            complaint.planned_at = complaint.planned_at or now
            complaint.satisfied = None
            if complaint.callback_task_id is not None:
                task = uow.calls.get(complaint.callback_task_id)
                if task is not None and task.is_open:
                    complaint.callback_task_id = task.id  # still owed: keep it
                else:
                    complaint.callback_task_id = None
            if complaint.callback_task_id is None:
                task = uow.calls.add(
                    CallTask(
                        kind=CALLBACK_KIND,
                        due_at=now,
                        created_at=now,
                        created_by=self.actor,
                        case_id=complaint.case_id,
                        customer_id=complaint.customer_id,
                        note=_("complaint {number}: {name} {phone}")
                        .format(
                            number=complaint.number,
                            name=complaint.customer_name,
                            phone=validation.format_phone(complaint.phone)
                            if complaint.phone
                            else "",
                        )
                        .strip(),
                    )
                )
                complaint.callback_task_id = task.id
            self._touch_complaint(complaint)
            return uow.complaints.save(complaint)

        return self._write(
            work, action=Action.RECORD_COMPLAINT, entity="complaint", entity_id=complaint_id
        )

    def confirm_complaint(
        self, complaint_id: int, satisfied: bool, *, version: int | None = None
    ) -> Complaint:
        """Whether the customer is satisfied with the resolution (asked in person or by a
        call outside the desk). Satisfied: 已回访确认; not: back to 处理中."""

        def work(uow: UnitOfWork) -> Complaint:
            complaint = self._open(uow, complaint_id, version)
            self._satisfaction(uow, complaint, satisfied)
            return complaint

        return self._write(
            work, action=Action.RECORD_COMPLAINT, entity="complaint", entity_id=complaint_id
        )

    def _satisfaction(self, uow: UnitOfWork, complaint: Complaint, satisfied: bool) -> None:
        if complaint.status is not Status.RESOLVED:
            raise InvalidTransition(
                _("Complaint {number} is {status}: resolve it before asking the customer.").format(
                    number=complaint.number, status=complaint.status.label
                )
            )
        now = self.clock.now()
        complaint.satisfied = satisfied
        if satisfied:
            complaint.status = Status.CONFIRMED
            complaint.confirmed_at = now
        else:
            complaint.status = Status.HANDLING  # 处理到客户满意为止
            complaint.resolved_at = None
        self._touch_complaint(complaint)
        uow.complaints.save(complaint)
        self._note(satisfied=satisfied, status=complaint.status.value)

    def close_complaint(
        self, complaint_id: int, reason: str = "", *, version: int | None = None
    ) -> Complaint:
        """已关闭, by a supervisor. A complaint whose customer has not said they are
        satisfied closes only with a reason."""
        text = check_text("close_reason", reason, MAX_TEXT, required=False, multiline=True)

        def work(uow: UnitOfWork) -> Complaint:
            self.require(Action.CLOSE_COMPLAINT, entity="complaint", entity_id=complaint_id)
            complaint = self._complaint(uow, complaint_id, version)
            if complaint.status is Status.CLOSED:
                raise InvalidTransition(
                    _("Complaint {number} is already closed.").format(number=complaint.number)
                )
            if complaint.satisfied is not True and not text:
                raise ValidationError(
                    "close_reason",
                    _(
                        "The customer has not said they are satisfied: give the reason "
                        "for closing it anyway."
                    ),
                )
            now = self.clock.now()
            complaint.status = Status.CLOSED
            complaint.closed_at, complaint.closed_by = now, self.actor
            complaint.close_reason = text
            self._touch_complaint(complaint)
            uow.complaints.save(complaint)
            if complaint.callback_task_id is not None:
                task = uow.calls.get(complaint.callback_task_id)
                if task is not None and task.is_open:
                    task.state = TaskState.CANCELLED
                    task.claimed_by = task.claimed_at = None
                    task.closed_at, task.closed_by = now, self.actor
                    task.result = {"cancel_reason": "complaint_closed"}
                    uow.calls.save(task)
            self._note(reason=text, satisfied=complaint.satisfied)
            return complaint

        return self._write(
            work, action=Action.CLOSE_COMPLAINT, entity="complaint", entity_id=complaint_id
        )

    # -- the call desk's hook ------------------------------------------------------------
    def after_call_attempt(self, uow: UnitOfWork, task: CallTask, attempt: CallAttempt) -> None:
        super().after_call_attempt(uow, task, attempt)
        if task.kind != CALLBACK_KIND or task.id is None:
            return
        if attempt.outcome is not Outcome.REACHED:
            return
        complaint = uow.complaints.by_task(task.id)
        if complaint is None or complaint.status is not Status.RESOLVED:
            return
        satisfied = bool((attempt.payload or {}).get("satisfied"))
        self._satisfaction(uow, complaint, satisfied)

    # -- escalations ---------------------------------------------------------------------
    def acknowledge_escalation(
        self, escalation_id: int, *, version: int | None = None
    ) -> Escalation:
        """A supervisor has seen it: who and when are kept (once)."""

        def work(uow: UnitOfWork) -> Escalation:
            found = uow.escalations.get(escalation_id)
            if found is None:
                raise NotFound(_("Escalation {id} not found.").format(id=escalation_id))
            if found.acknowledged_at is not None:
                who = self._who(uow, found.acknowledged_by)
                raise ConcurrencyConflict(
                    _("{who} acknowledged it at {when}.").format(
                        who=who, when=self.local(found.acknowledged_at)
                    ),
                    changed_by=who,
                    changed_at=found.acknowledged_at,
                )
            if version is not None and found.version != version:
                raise ConcurrencyConflict(_("This escalation changed meanwhile; look again."))
            found.acknowledged_by, found.acknowledged_at = self.actor, self.clock.now()
            return uow.escalations.save(found)

        return self._write(
            work,
            action=Action.ACKNOWLEDGE_ESCALATION,
            entity="escalation",
            entity_id=escalation_id,
        )

    # -- helpers -------------------------------------------------------------------------
    def _complaint(self, uow: UnitOfWork, complaint_id: int, version: int | None) -> Complaint:
        complaint = uow.complaints.get(complaint_id)
        if complaint is None:
            raise NotFound(_("Complaint {id} not found.").format(id=complaint_id))
        if version is not None and complaint.version != version:
            who = self._who(uow, complaint.updated_by)
            raise ConcurrencyConflict(
                _("Complaint {number} was changed by {who} at {when}.").format(
                    number=complaint.number,
                    who=who,
                    when=self.local(complaint.updated_at) if complaint.updated_at else "?",
                ),
                changed_by=who,
                changed_at=complaint.updated_at,
            )
        return complaint

    def _open(self, uow: UnitOfWork, complaint_id: int, version: int | None) -> Complaint:
        complaint = self._complaint(uow, complaint_id, version)
        if not complaint.is_open:
            raise InvalidTransition(
                _("Complaint {number} is {status}.").format(
                    number=complaint.number, status=complaint.status.label
                )
            )
        return complaint

    def _touch_complaint(self, complaint: Complaint) -> None:
        complaint.updated_at = self.clock.now()
        complaint.updated_by = self.actor


def _choice(enum: Any, text: str, field: str, errors: list[ValidationError], message: str) -> Any:
    value = (text or "").strip()
    with contextlib.suppress(ValueError):
        return enum(value)
    errors.append(ValidationError(field, message))
    return None
