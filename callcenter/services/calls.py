"""The call desk's use-cases (F3): every kind of outbound call, one way of working.

:class:`CallDesk` lists what is to be called now across every registered kind
(:mod:`callcenter.calls.kinds`), gives one operator at a time a call (an exclusive claim that
names who holds it and since when), records each attempt with its outcome, schedules the next
try by the kind's retry schedule, and keeps the kind's result. The delay call's tasks are the
SLA sweep's arrival alerts, handled by :class:`~callcenter.services.delays.DelayCalls`; the
other kinds' tasks are rows of the desk's own table. Every write goes through the session's
one write path (:class:`~callcenter.services.base.ServiceBase`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from callcenter.calls import callback as callback_kind
from callcenter.calls import delay as delay_kind
from callcenter.calls import kinds
from callcenter.calls import revisit as revisit_kind
from callcenter.calls.model import (
    SWEEP_ACTOR,
    CallAttempt,
    CallKind,
    CallTask,
    CustomerCall,
    DeskItem,
    Outcome,
    Subject,
    TaskState,
)
from callcenter.domain import AlertKind, CaseEvent, DelayReason
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
from callcenter.services.delays import DelayCallResult, DelayCalls, DelayPrompt
from callcenter.validation import check_text, format_phone, parse_phone

log = logging.getLogger(__name__)

#: The longest a call may be scheduled ahead (a follow-up months after a sale fits).
MAX_AHEAD = timedelta(days=800)
MAX_NOTE = 500
MAX_CONTACT_NAME = 100
#: The revisit sweep looks again at most this often per session (the database decides
#: what exists: any number of sessions may sweep at once).
REVISIT_SWEEP_EVERY = timedelta(minutes=5)
#: At most this many revisits made by one sweep (the first sweep of a large archive is
#: spread over a few).
REVISIT_BATCH = 500


class CallDesk:
    """The call desk of one session (same database, clock and user as its services)."""

    def __init__(self, services: ServiceBase, delay_calls: DelayCalls) -> None:
        self.services = services
        self.delays = delay_calls
        self._followups = FollowUpSweep(services)

    @property
    def actor(self) -> str:
        return self.services.actor

    def kinds(self) -> list[CallKind]:
        return kinds.all_kinds()

    # -- reading -----------------------------------------------------------------------
    def open_items(self, now: datetime | None = None) -> list[DeskItem]:
        """What is to be called now, every kind: the urgent first, then by due time."""
        at = now or self.services.clock.now()
        items = [delay_item(p) for p in self.delays.open_prompts(at)]
        return sort_items(items + self.task_items(at))

    def task_items(self, now: datetime | None = None) -> list[DeskItem]:
        """What is to be called now of the kinds kept on the desk's own table (every kind
        but the delay call, whose prompts :class:`DelayCalls` reads)."""
        at = now or self.services.clock.now()
        own = [k.name for k in kinds.all_kinds() if not k.external]
        if not own:
            return []
        return sort_items(self.services.read(lambda uow: self._task_items(uow, own, at)))

    def _task_items(self, uow: UnitOfWork, names: list[str], at: datetime) -> list[DeskItem]:
        tasks = uow.calls.open_due(at, names)
        case_ids = {t.case_id for t in tasks if t.case_id is not None}
        cases = {c.id: c for c in uow.cases.list_by_ids(case_ids)} if case_ids else {}
        # A task about a case is shown with its case: only the others need their customer.
        customer_ids = {
            t.customer_id for t in tasks if t.customer_id is not None and t.case_id is None
        }
        customers = {i: uow.customers.get(i) for i in customer_ids}  # each once
        items = []
        for task in tasks:
            assert task.id is not None
            kind = kinds.get(task.kind)
            case = cases.get(task.case_id) if task.case_id is not None else None
            customer = customers.get(task.customer_id) if task.customer_id is not None else None
            if case is not None:
                about, plate, name = case.number, case.plate, case.caller_name
                phone = format_phone(case.phone, case.phone_ext)
            elif customer is not None:
                about, plate, name = customer.name, "", customer.name
                phone = format_phone(customer.phone, customer.phone_ext)
            elif task.contact_phone:
                name = task.contact_name
                phone = format_phone(task.contact_phone)
                about, plate = name or phone, ""
            else:
                about = plate = name = phone = ""
            message = _("{kind}: call {name} ({phone})").format(
                kind=kind.title, name=name or "?", phone=phone or "?"
            )
            if task.note:
                message += " — " + task.shown_note
            items.append(
                DeskItem(
                    kind=task.kind,
                    ref=task.id,
                    version=task.version,
                    due_at=task.try_at,
                    about=about,
                    plate=plate,
                    name=name,
                    phone=phone,
                    message=message,
                    attempts=task.attempts,
                    urgent=kind.urgent,
                    overdue=is_overdue(task, kind, at),
                    created_by=task.created_by,
                    case_id=task.case_id,
                    customer_id=task.customer_id,
                    claimed_by=task.claimed_by,
                    claimed_at=task.claimed_at,
                )
            )
        return items

    def customer_calls(self, customer_id: int, *, limit: int = 200) -> list[CustomerCall]:
        """Every call owed to or made to customer ``customer_id``, newest first: about them,
        about one of their cases, or promised to their phone number; each with its attempts
        and results (what the customer's archive shows)."""

        def work(uow: UnitOfWork) -> list[CustomerCall]:
            customer = uow.customers.get(customer_id)
            if customer is None:
                raise NotFound(_("Customer {id} not found.").format(id=customer_id))
            found = uow.calls.for_customer(customer_id, customer.phone, limit)
            return [CustomerCall(t, tuple(a), number) for t, a, number in found]

        return self.services.read(work)

    def task(self, task_id: int) -> CallTask:
        return self.services.read(lambda uow: self._task(uow, task_id, None))

    def attempts(self, task_id: int) -> list[CallAttempt]:
        return self.services.read(lambda uow: uow.calls.attempts(task_id))

    # -- scheduling --------------------------------------------------------------------
    def schedule(
        self,
        kind: str,
        *,
        due_at: datetime,
        case_id: int | None = None,
        customer_id: int | None = None,
        note: str = "",
    ) -> CallTask:
        """Owe a call of ``kind`` about a case or a customer, due at ``due_at``."""
        spec = _kind(kind)
        if spec.external:
            raise InvalidTransition(_("Calls of this kind are raised by the system."))
        if due_at.tzinfo is None or due_at.utcoffset() is None:
            raise ValueError("due_at must be a timezone-aware datetime")
        text = check_text("note", note, MAX_NOTE, required=False)
        about = case_id if spec.subject is Subject.CASE else customer_id
        if about is None:
            field = "case" if spec.subject is Subject.CASE else "customer"
            raise ValidationError(field, _("Say whom the call is about."))
        now = self.services.clock.now()
        if due_at > now + MAX_AHEAD:
            raise ValidationError("due_at", _("A call is scheduled at most 800 days ahead."))

        def work(uow: UnitOfWork) -> CallTask:
            if case_id is not None and uow.cases.get(case_id) is None:
                raise NotFound(_("Case {id} not found.").format(id=case_id))
            if customer_id is not None and uow.customers.get(customer_id) is None:
                raise NotFound(_("Customer {id} not found.").format(id=customer_id))
            task = uow.calls.add(
                CallTask(
                    kind=spec.name,
                    due_at=due_at,
                    created_at=now,
                    created_by=self.actor,
                    case_id=case_id,
                    customer_id=customer_id,
                    note=text,
                )
            )
            self.services.note(kind=spec.name, due_at=due_at)
            if case_id is not None:
                self.services.case_event(uow, case_id, "call_scheduled", kind=spec.name, due=due_at)
            return task

        return self.services.write(work, action=Action.SCHEDULE_CALL, entity="call_task")

    # -- promised call-backs -----------------------------------------------------------
    def promise(
        self,
        *,
        when: str,
        what: str,
        case_id: int | None = None,
        customer_id: int | None = None,
        name: str = "",
        phone: str = "",
    ) -> CallTask:
        """Promise to call a customer back (seed 004: 约定期间内做回访): about a case, a
        customer of the archive, or a phone number (and a name) with neither. ``when`` is
        typed text (:func:`callcenter.calls.callback.parse_when`), ``what`` what was
        promised; the promise names who made it. Raises ValidationErrors naming the fields
        (``when``, ``what``, ``name``, ``phone``)."""
        spec = kinds.get(callback_kind.NAME)
        now = self.services.clock.now()
        errors: list[ValidationError] = []
        due_at: datetime | None = None
        try:
            due_at = callback_kind.parse_when(when, self.services.tz, now)
        except ValidationError as exc:
            errors.append(exc)
        text = _collect(errors, lambda: check_text("what", what, MAX_NOTE))
        contact = _collect(
            errors, lambda: check_text("name", name, MAX_CONTACT_NAME, required=False)
        )
        e164 = ""
        if case_id is None and customer_id is None:
            if not phone.strip():
                errors.append(ValidationError("phone", _("Enter the number to call back.")))
            else:
                try:
                    e164 = parse_phone(phone).e164
                except ValidationError as exc:
                    errors.append(ValidationError("phone", exc.message))
        if errors:
            raise ValidationErrors(errors)
        assert due_at is not None

        def work(uow: UnitOfWork) -> CallTask:
            about_customer = customer_id
            if case_id is not None:
                case = uow.cases.get(case_id)
                if case is None:
                    raise NotFound(_("Case {id} not found.").format(id=case_id))
                about_customer = about_customer or case.customer_id
            elif customer_id is not None:
                if uow.customers.get(customer_id) is None:
                    raise NotFound(_("Customer {id} not found.").format(id=customer_id))
            else:
                known = uow.customers.find_by_phone(e164)
                about_customer = known.id if known is not None else None
            task = uow.calls.add(
                CallTask(
                    kind=spec.name,
                    due_at=due_at,
                    created_at=now,
                    created_by=self.actor,
                    case_id=case_id,
                    customer_id=about_customer,
                    note=text,
                    contact_name=contact,
                    contact_phone=e164 if about_customer is None else "",
                )
            )
            self.services.note(kind=spec.name, due_at=due_at, promised=text)
            if case_id is not None:
                self.services.case_event(
                    uow, case_id, "call_scheduled", kind=spec.name, due=due_at, note=text
                )
            return task

        return self.services.write(work, action=Action.SCHEDULE_CALL, entity="call_task")

    # -- the revisits the sweep owes ---------------------------------------------------
    def sweep_followups(self, now: datetime | None = None, *, force: bool = False) -> int:
        """Owe the revisits that have fallen due (one per closed case with a service record,
        ``months`` after it; :mod:`callcenter.calls.revisit`). At most every few minutes
        per session unless ``force``; returns how many were added. Idempotent: the unique
        key of each revisit decides, whatever the number of sessions sweeping at once."""
        return self._followups(now or self.services.clock.now(), force=force)

    # -- claiming ----------------------------------------------------------------------
    def claim(self, kind: str, ref: int, version: int | None = None) -> DeskItem | CallTask:
        """Take the call. Refused (ConcurrencyConflict naming who and since when) if another
        operator has it or it was handled; claiming one's own claim again is harmless."""
        if _kind(kind).external:
            return self.delays.claim(ref, version)  # type: ignore[return-value]

        def work(uow: UnitOfWork) -> CallTask:
            task = self._task(uow, ref, version, open_only=True)
            if task.claimed_by == self.actor:
                return task
            task.claimed_by, task.claimed_at = self.actor, self.services.clock.now()
            return uow.calls.save(task)

        return self.services.write(
            work, action=Action.CLAIM_CALL, entity="call_task", entity_id=ref
        )

    def release(
        self, kind: str, ref: int, version: int | None = None, *, force: bool = False
    ) -> Any:
        """Give the call back to everyone. Only its holder may, unless ``force`` (a
        supervisor freeing a call an absent operator kept)."""
        if _kind(kind).external:
            return self.delays.release_claim(ref, version, force=force)

        def work(uow: UnitOfWork) -> CallTask:
            task = self._task(uow, ref, None)
            if task.claimed_by is None or not task.is_open:
                return task
            if task.claimed_by != self.actor:
                if not force:
                    raise self._held(task)
                self.services.require(Action.RELEASE_OTHERS_CALL, entity="call_task", entity_id=ref)
            if version is not None and task.version != version:
                raise ConcurrencyConflict(_("This call changed meanwhile; look at it again."))
            task.claimed_by = task.claimed_at = None
            return uow.calls.save(task)

        return self.services.write(
            work, action=Action.CLAIM_CALL, entity="call_task", entity_id=ref
        )

    # -- the call ----------------------------------------------------------------------
    def record(
        self,
        kind: str,
        ref: int,
        *,
        outcome: Outcome,
        note: str = "",
        fields: Mapping[str, str] | None = None,
        version: int | None = None,
    ) -> CallTask | DelayCallResult:
        """Record one attempt of the call ``ref`` of ``kind``; ``fields`` is the kind's
        result as typed (raw text by field name), checked by the kind when the outcome
        finishes the call. Raises ValidationError(s) naming the fields."""
        spec = _kind(kind)
        raw = dict(fields or {})
        if outcome not in spec.outcomes:
            raise ValidationError("outcome", _("Choose what came of the call."))
        if spec.external:
            return self.delays.record_delay_call_text(
                ref,
                reached=outcome is Outcome.REACHED,
                reason=_delay_reason(raw.get("reason", "")),
                reason_text=raw.get("reason_text", ""),
                eta_text=raw.get("new_eta", ""),
                version=version,
            )
        text = check_text("note", note, MAX_NOTE, required=False, multiline=True)
        payload = spec.parse_result(raw) if outcome in spec.done_on else {}

        def work(uow: UnitOfWork) -> CallTask:
            task = self._task(uow, ref, version, open_only=True)
            now = self.services.clock.now()
            assert task.id is not None
            attempt = uow.calls.add_attempt(
                CallAttempt(task.id, now, self.actor, outcome, text, payload)
            )
            task.attempts += 1
            state, next_try = spec.after(outcome, task.attempts, now)
            task.state = state
            task.claimed_by = task.claimed_at = None
            if state is TaskState.OPEN:
                task.next_try_at = next_try
            else:
                task.closed_at, task.closed_by = now, self.actor
                task.result = payload
            self.services.note(kind=spec.name, outcome=outcome.value, state=state.value)
            if task.case_id is not None:
                self.services.case_event(
                    uow,
                    task.case_id,
                    "call_attempt",
                    kind=spec.name,
                    outcome=outcome.value,
                    state=state.value,
                    note=text,
                    **{f"result_{k}": v for k, v in payload.items()},
                )
            saved = uow.calls.save(task)
            self.services.after_call_attempt(uow, saved, attempt)
            return saved

        return self.services.write(
            work, action=Action.RECORD_CALL, entity="call_task", entity_id=ref
        )

    def cancel(self, kind: str, ref: int, reason: str, version: int | None = None) -> CallTask:
        """The call is no longer owed (e.g. the customer came in)."""
        if _kind(kind).external:
            raise InvalidTransition(_("Calls of this kind close by themselves."))
        text = check_text("reason", reason, MAX_NOTE)

        def work(uow: UnitOfWork) -> CallTask:
            task = self._task(uow, ref, version, open_only=True)
            now = self.services.clock.now()
            task.state = TaskState.CANCELLED
            task.claimed_by = task.claimed_at = None
            task.closed_at, task.closed_by = now, self.actor
            task.result = {"cancel_reason": text}
            self.services.note(reason=text)
            return uow.calls.save(task)

        return self.services.write(
            work, action=Action.RECORD_CALL, entity="call_task", entity_id=ref
        )

    # -- helpers -----------------------------------------------------------------------
    def _held(self, task: CallTask) -> ConcurrencyConflict:
        who = self.services.display_name(task.claimed_by or "?")
        return ConcurrencyConflict(
            _("{who} has taken this call (since {when}).").format(
                who=who, when=self.services.local(task.claimed_at) if task.claimed_at else "?"
            ),
            changed_by=who,
            changed_at=task.claimed_at,
        )

    def _task(
        self, uow: UnitOfWork, task_id: int, version: int | None, *, open_only: bool = False
    ) -> CallTask:
        task = uow.calls.get(task_id)
        if task is None:
            raise NotFound(_("Call {id} not found.").format(id=task_id))
        if open_only and not task.is_open:
            who = self.services.display_name(task.closed_by or "?")
            raise ConcurrencyConflict(
                _("This call was already handled by {who} at {when}.").format(
                    who=who, when=self.services.local(task.closed_at) if task.closed_at else "?"
                ),
                changed_by=who,
                changed_at=task.closed_at,
            )
        if open_only and task.claimed_by is not None and task.claimed_by != self.actor:
            raise self._held(task)
        if version is not None and task.version != version and task.claimed_by != self.actor:
            raise ConcurrencyConflict(_("This call changed meanwhile; look at it again."))
        return task


class FollowUpSweep:
    """The follow-up calls the sweep owes (the revisits), at most every
    :data:`REVISIT_SWEEP_EVERY` per session: :class:`callcenter.watch.Sweeper` calls it
    after each SLA sweep."""

    def __init__(self, services: ServiceBase, every: timedelta = REVISIT_SWEEP_EVERY) -> None:
        self.services = services
        self.every = every
        self.swept_at: datetime | None = None

    def __call__(self, now: datetime, *, force: bool = False) -> int:
        last = self.swept_at
        if not force and last is not None and last <= now < last + self.every:
            return 0
        self.swept_at = now
        added = sweep_revisits(self.services, now)
        if added:
            log.info("follow-up sweep: %d revisit(s) owed", added)
        return added


def is_overdue(task: CallTask, kind: CallKind, now: datetime) -> bool:
    """Whether ``task`` waited longer than its kind allows past its (next) try time."""
    return task.is_open and now > task.try_at + kind.overdue_after


def sweep_revisits(services: ServiceBase, now: datetime) -> int:
    """Add every revisit due at ``now`` that does not exist yet (see
    :meth:`CallDesk.sweep_followups`). Written by the sweep's actor, each with a line on its
    case's timeline; nothing is written when nothing is due."""
    rules = revisit_kind.site_rules()
    tz = services.tz
    low = revisit_kind.completed_after(now, rules)
    high = revisit_kind.completed_before(now, rules)
    found = services.read(
        lambda uow: uow.calls.revisit_candidates(low, high, revisit_kind.NAME, REVISIT_BATCH)
    )
    due = []
    for case_id, customer_id, completed_at in found:
        at = revisit_kind.due_at(completed_at, rules, tz)
        if at <= now and now - at <= timedelta(days=rules.skip_after_days):
            due.append((case_id, customer_id, at))
    if not due:
        return 0
    added = 0
    with services.uow(write=True) as uow:
        for case_id, customer_id, at in due:
            task = uow.calls.add_unique(
                CallTask(
                    kind=revisit_kind.NAME,
                    due_at=at,
                    created_at=now,
                    created_by=SWEEP_ACTOR,
                    case_id=case_id,
                    customer_id=customer_id,
                    unique_key=revisit_kind.unique_key(case_id),
                )
            )
            if task is not None:
                added += 1
                uow.events.append(
                    CaseEvent(
                        case_id,
                        now,
                        SWEEP_ACTOR,
                        "call_scheduled",
                        {"kind": revisit_kind.NAME, "due": at.isoformat()},
                    )
                )
        uow.commit()
    return added


def _collect(errors: list[ValidationError], check: Callable[[], str]) -> str:
    try:
        return check()
    except ValidationError as exc:
        errors.append(exc)
        return ""


def sort_items(items: list[DeskItem]) -> list[DeskItem]:
    """The desk's order: the urgent first, then by due time."""
    return sorted(items, key=lambda i: (not i.urgent, i.due_at, i.kind, i.ref))


def delay_item(prompt: DelayPrompt) -> DeskItem:
    """A delay prompt as a line of the desk."""
    return DeskItem(
        kind=delay_kind.NAME,
        ref=prompt.alert_id,
        version=prompt.alert_version,
        due_at=prompt.deadline,
        about=prompt.case_number,
        plate=prompt.plate,
        name=prompt.owner_name,
        phone=prompt.owner_phone,
        message=prompt.message,
        urgent=prompt.kind is AlertKind.ARRIVAL_LATE,
        case_id=prompt.case_id,
        claimed_by=prompt.claimed_by,
        claimed_at=prompt.claimed_at,
    )


def _kind(name: str) -> CallKind:
    try:
        return kinds.get(name)
    except KeyError:
        raise ValidationErrors(
            [ValidationError("kind", _("Unknown kind of call: {kind}.").format(kind=name))]
        ) from None


def _delay_reason(text: str) -> DelayReason:
    try:
        return DelayReason(text.strip() or DelayReason.OTHER.value)
    except ValueError:
        raise ValidationError("reason", _("Choose the reason for the delay.")) from None
