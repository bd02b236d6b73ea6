"""The delay call (MISSION "The call", step 5): tell the owner when the crew will be late.

An arrival alert raised by the sweep (:mod:`callcenter.watch`) is a *prompt* in every
operator's application until one of them claims it and records the call:

* :meth:`DelayCalls.open_prompts` — the prompts to show now, one per case, with what the
  operator needs to phone (plate, owner's number, crew, expected lateness);
* :meth:`DelayCalls.claim` / :meth:`DelayCalls.release_claim` — one operator at a time; a
  second claim is refused with a :class:`~callcenter.errors.ConcurrencyConflict` naming who
  has the call and since when;
* :meth:`DelayCalls.record_delay_call` — the call, into the case's timeline with operator and
  time. Owner reached: the owner is marked told (``owner_notified_at``); for force majeure
  (traffic jam, traffic control, accident, road works) the promised arrival is extended to
  the new expected arrival, the first promise kept in ``original_promised_at``; for other
  reasons the promise stands and the case stays late. Owner not reached: the prompt is
  released and comes back after ``renotify`` (5 min by default, setting
  ``renotify_minutes``).
* :func:`owner_notice` / :meth:`DelayCalls.notices` — for the board: has the owner of a late
  case been told?

A prompt belongs to a case's *current* promise: alerts about a promise since extended, or of
a crew already on scene, are not prompts (and the next sweep closes them).

An owner told of a delay is not phoned again within ``renotify`` of that call, whatever
the sweep raised meanwhile: a promise just extended (often only minutes away, inside the
at-risk window) is at risk by the same rule as any promise, and is prompted once the quiet
interval after the call is over.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from callcenter.calls.model import Claimable
from callcenter.clock import Clock
from callcenter.dispatching import crew_distance_km
from callcenter.domain import Alert, AlertKind, Case, CaseEvent, Crew, DelayReason, OwnerNotice
from callcenter.errors import (
    ConcurrencyConflict,
    InvalidTransition,
    NotFound,
    ValidationError,
)
from callcenter.i18n import _
from callcenter.permissions import Action
from callcenter.ports import UnitOfWork
from callcenter.services.base import ServiceBase
from callcenter.validation import check_text, format_phone, parse_local_datetime
from callcenter.watch import (
    ARRIVAL_ALERTS,
    OUTCOME_ALREADY_TOLD,
    OUTCOME_COVERED,
    OUTCOME_OWNER_TOLD,
)

T = TypeVar("T")

DEFAULT_RENOTIFY = timedelta(minutes=5)
#: The longest a delay may be announced for: beyond, the case needs a supervisor, not a call.
MAX_DELAY = timedelta(hours=24)
MAX_REASON_TEXT = 500
#: A new expected arrival further away than this is almost surely a typing slip (a time of
#: day already passed rolls over to tomorrow).
MAX_ETA_AHEAD = timedelta(hours=12)
_TOLD = frozenset({OUTCOME_OWNER_TOLD, OUTCOME_COVERED, OUTCOME_ALREADY_TOLD})


@dataclass(frozen=True)
class DelayPrompt(Claimable):
    """One case whose owner should be phoned about a late crew."""

    alert_id: int
    alert_version: int  # pass to claim / record_delay_call
    kind: AlertKind  # ARRIVAL_AT_RISK or ARRIVAL_LATE
    deadline: datetime  # the promised arrival the call is about
    raised_at: datetime
    case_id: int
    case_number: str
    plate: str
    owner_name: str
    owner_phone: str  # formatted for reading aloud, e.g. "138 1234 5678"
    crew_code: str  # "" when no crew is dispatched yet
    expected_arrival: datetime | None  # the crew's ETA from its last position, if known
    late_minutes: int  # expected lateness (from the ETA, else from the promise); 0: may be late
    claimed_by: str | None = None
    claimed_at: datetime | None = None

    @property
    def message(self) -> str:
        """The prompt, translated: "Call the owner of 粤B12345 (138 1234 5678): crew 3 will
        be about 15 min late". Plain text: show it as data, never as markup."""
        values = {
            "plate": self.plate,
            "phone": self.owner_phone,
            "crew": self.crew_code,
            "minutes": self.late_minutes,
        }
        if not self.crew_code:
            if self.late_minutes:
                text = _(
                    "Call the owner of {plate} ({phone}): no crew dispatched yet, "
                    "about {minutes} min late"
                )
            else:
                text = _("Call the owner of {plate} ({phone}): no crew dispatched yet")
        elif self.late_minutes:
            text = _(
                "Call the owner of {plate} ({phone}): crew {crew} will be about {minutes} min late"
            )
        else:
            text = _("Call the owner of {plate} ({phone}): crew {crew} may be late")
        return text.format(**values)


@dataclass(frozen=True)
class DelayCallResult:
    alert: Alert
    case: Case
    extended: bool  # the promise was extended (force majeure, owner reached)


def told_lately(case: Case, now: datetime, renotify: timedelta) -> bool:
    """The owner was told of a delay less than ``renotify`` ago: no new call yet."""
    told = case.owner_notified_at
    return told is not None and now < told + renotify


def owner_notice(
    case: Case, alerts: Iterable[Alert], now: datetime, renotify: timedelta = DEFAULT_RENOTIFY
) -> OwnerNotice:
    """Whether the owner of ``case`` was told about its current promise (pure)."""
    promise = case.promised_arrival_at
    if not case.is_open or case.arrived_at is not None or promise is None:
        return OwnerNotice.NOT_NEEDED
    current = [a for a in alerts if a.kind in ARRIVAL_ALERTS and a.deadline == promise]
    if any(a.outcome in _TOLD for a in current):
        return OwnerNotice.TOLD
    live = [a for a in current if a.resolved_at is None]
    if any(a.claimed_by for a in live):
        return OwnerNotice.CALLING
    if live and told_lately(case, now, renotify):
        return OwnerNotice.TOLD  # an extension just agreed: not asked again so soon
    if any(a.snooze_until is not None and a.snooze_until > now for a in live):
        return OwnerNotice.NOT_REACHED
    if live or now > promise:
        return OwnerNotice.DUE
    return OwnerNotice.NOT_NEEDED


class DelayCalls:
    """The delay-call use-cases of one session: the first kind of the call desk
    (:mod:`callcenter.calls`). Every write goes through the session's one write path
    (:class:`~callcenter.services.base.ServiceBase`): role checked, audited, fed."""

    def __init__(self, services: ServiceBase, *, renotify: timedelta = DEFAULT_RENOTIFY) -> None:
        if renotify <= timedelta(0):
            raise ValueError("renotify must be positive")
        self.services = services
        self.renotify = renotify

    @classmethod
    def from_services(cls, services: ServiceBase, *, renotify_minutes: int = 5) -> DelayCalls:
        """Bound to the same database, clock, user and settings as ``services``."""
        return cls(services, renotify=timedelta(minutes=renotify_minutes))

    @property
    def clock(self) -> Clock:
        return self.services.clock

    @property
    def tz(self) -> ZoneInfo:
        return self.services.tz

    @property
    def actor(self) -> str:
        return self.services.actor

    @property
    def read_only(self) -> bool:
        return self.services.read_only

    # -- helpers -----------------------------------------------------------------------
    def _write(
        self, work: Callable[[UnitOfWork], T], action: str = "", alert_id: int | None = None
    ) -> T:
        return self.services.write(work, action=action, entity="alert", entity_id=alert_id)

    def _read(self, work: Callable[[UnitOfWork], T]) -> T:
        return self.services.read(work)

    def local(self, instant: datetime | None) -> str:
        return instant.astimezone(self.tz).strftime("%H:%M") if instant else "?"

    def _alert(self, uow: UnitOfWork, alert_id: int, version: int | None) -> Alert:
        """The alert, still open and not someone else's; raises the conflict otherwise."""
        alert = uow.alerts.get(alert_id)
        if alert is None:
            raise NotFound(_("Alert {id} not found.").format(id=alert_id))
        if alert.resolved_at is not None:
            who = self.services._who(uow, alert.resolved_by)  # the person, as case conflicts
            raise ConcurrencyConflict(
                _("This call was already handled by {who} at {when}.").format(
                    who=who, when=self.local(alert.resolved_at)
                ),
                changed_by=who,
                changed_at=alert.resolved_at,
            )
        if alert.claimed_by is not None and alert.claimed_by != self.actor:
            raise self._held(uow, alert)
        if version is not None and alert.version != version and alert.claimed_by is None:
            raise ConcurrencyConflict(_("This prompt changed meanwhile; look at it again."))
        if alert.kind not in ARRIVAL_ALERTS:
            raise InvalidTransition(_("Only a late or at-risk arrival calls for a delay call."))
        return alert

    def _held(self, uow: UnitOfWork, alert: Alert) -> ConcurrencyConflict:
        """Someone else has taken the call: named as a person (display name), with since when."""
        who = self.services._who(uow, alert.claimed_by)
        return ConcurrencyConflict(
            _("{who} has taken this call (since {when}).").format(
                who=who, when=self.local(alert.claimed_at)
            ),
            changed_by=who,
            changed_at=alert.claimed_at,
        )

    def _event(self, uow: UnitOfWork, case_id: int, kind: str, **details: Any) -> None:
        clean = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in details.items()}
        uow.events.append(CaseEvent(case_id, self.clock.now(), self.actor, kind, clean))

    def _late_minutes(
        self, case: Case, crew: Crew | None, now: datetime
    ) -> tuple[int, datetime | None]:
        promise = case.promised_arrival_at
        if promise is None:
            return 0, None
        eta = None
        if crew is not None and crew.lat is not None and crew.lon is not None:
            km = crew_distance_km(crew, case, self.services.depot)
            eta = now + timedelta(hours=km / self.services.speed_kmh)
            late = eta - promise
        else:
            late = now - promise
        minutes = math.ceil(late / timedelta(minutes=1)) if late > timedelta(0) else 0
        return minutes, eta

    # -- reading -----------------------------------------------------------------------
    def open_prompts(self, now: datetime | None = None) -> list[DelayPrompt]:
        """The delay calls to make now: one per case, the most urgent first.

        A case is prompted while its crew is not on scene and it has an unresolved arrival
        alert about its current promise, unless the last call did not reach the owner less
        than ``renotify`` ago, or reached the owner less than ``renotify`` ago (a promise just
        extended). The prompt carries the claimed alert if someone has it.
        """
        at = now or self.clock.now()

        def work(uow: UnitOfWork) -> list[DelayPrompt]:
            alerts = uow.alerts.unresolved_of_open_cases(ARRIVAL_ALERTS)
            if not alerts:
                return []
            by_case: dict[int, list[Alert]] = {}
            for alert in alerts:
                by_case.setdefault(alert.case_id, []).append(alert)
            cases = {c.id: c for c in uow.cases.list_by_ids(by_case)}
            crews = {c.id: c for c in uow.crews.list()}
            prompts = []
            for case_id, found in by_case.items():
                case = cases.get(case_id)
                if case is None or case.arrived_at is not None or not case.is_open:
                    continue
                current = [a for a in found if a.deadline == case.promised_arrival_at]
                if not current:
                    continue
                claimed = [a for a in current if a.claimed_by]
                if not claimed and any(
                    a.snooze_until is not None and a.snooze_until > at for a in current
                ):
                    continue  # the owner was not reached a moment ago: later
                if not claimed and told_lately(case, at, self.renotify):
                    continue  # the owner was told (and agreed to a new time) a moment ago
                primary = (claimed or sorted(current, key=_urgency))[0]
                crew = crews.get(case.crew_id) if case.crew_id is not None else None
                prompts.append(self._prompt(primary, case, crew, at))
            return sorted(prompts, key=lambda p: (p.kind is not AlertKind.ARRIVAL_LATE, p.deadline))

        return self._read(work)

    def _prompt(self, alert: Alert, case: Case, crew: Crew | None, now: datetime) -> DelayPrompt:
        assert alert.id is not None and case.id is not None
        minutes, eta = self._late_minutes(case, crew, now)
        return DelayPrompt(
            alert_id=alert.id,
            alert_version=alert.version,
            kind=alert.kind,
            deadline=alert.deadline,
            raised_at=alert.raised_at,
            case_id=case.id,
            case_number=case.number,
            plate=case.plate,
            owner_name=case.caller_name,
            owner_phone=format_phone(case.phone, case.phone_ext),
            crew_code=crew.code if crew else "",
            expected_arrival=eta,
            late_minutes=minutes,
            claimed_by=alert.claimed_by,
            claimed_at=alert.claimed_at,
        )

    def notices(self, cases: Iterable[Case], now: datetime | None = None) -> dict[int, OwnerNotice]:
        """:func:`owner_notice` for each of ``cases`` (one query), by case id."""
        at = now or self.clock.now()
        wanted = {c.id: c for c in cases if c.id is not None}
        alerts = self._read(lambda uow: uow.alerts.for_cases(wanted, ARRIVAL_ALERTS))
        by_case: dict[int, list[Alert]] = {}
        for alert in alerts:
            by_case.setdefault(alert.case_id, []).append(alert)
        return {
            i: owner_notice(c, by_case.get(i, []), at, self.renotify) for i, c in wanted.items()
        }

    # -- claiming ----------------------------------------------------------------------
    def claim(self, alert_id: int, version: int | None = None) -> Alert:
        """Take the call. Refused (ConcurrencyConflict naming who and since when) if another
        operator has it or it was handled; claiming one's own claim again is harmless."""

        def work(uow: UnitOfWork) -> Alert:
            alert = self._alert(uow, alert_id, version)
            if alert.claimed_by == self.actor:
                return alert
            alert.claimed_by = self.actor
            alert.claimed_at = self.clock.now()
            return uow.alerts.save(alert)

        return self._write(work, Action.CLAIM_ALERT, alert_id)

    def release_claim(
        self, alert_id: int, version: int | None = None, *, force: bool = False
    ) -> Alert:
        """Give the call back to everyone. Only its claimer may, unless ``force`` (a
        supervisor freeing a call an absent operator kept)."""

        def work(uow: UnitOfWork) -> Alert:
            alert = uow.alerts.get(alert_id)
            if alert is None:
                raise NotFound(_("Alert {id} not found.").format(id=alert_id))
            if alert.claimed_by is None or alert.resolved_at is not None:
                return alert
            if alert.claimed_by != self.actor and force:
                self.services.require(
                    Action.RELEASE_OTHERS_CALL, entity="alert", entity_id=alert_id
                )
            elif alert.claimed_by != self.actor:
                raise self._held(uow, alert)
            if version is not None and alert.version != version:
                raise ConcurrencyConflict(_("This prompt changed meanwhile; look at it again."))
            alert.claimed_by = None
            alert.claimed_at = None
            return uow.alerts.save(alert)

        return self._write(work, Action.CLAIM_ALERT, alert_id)

    # -- the call ----------------------------------------------------------------------
    def check_call(
        self,
        *,
        reached: bool,
        reason: DelayReason,
        reason_text: str = "",
        new_eta: datetime | None = None,
    ) -> str:
        """Validate the form; returns the reason text, trimmed. Raises ValidationError
        naming the field (``reason_text`` or ``new_eta``)."""
        text = check_text("reason_text", reason_text, MAX_REASON_TEXT * 4, required=False)
        if reason is DelayReason.OTHER and not text:
            raise ValidationError("reason_text", _("Describe the reason for the delay."))
        if len(text) > MAX_REASON_TEXT:
            raise ValidationError(
                "reason_text",
                _("At most {max} characters.").format(max=MAX_REASON_TEXT),
            )
        if new_eta is None:
            if reached:
                raise ValidationError(
                    "new_eta", _("Enter the new expected arrival time told to the owner.")
                )
            return text
        if new_eta.tzinfo is None or new_eta.utcoffset() is None:
            raise ValueError("new_eta must be a timezone-aware datetime")
        now = self.clock.now()
        if new_eta <= now:
            raise ValidationError("new_eta", _("The new expected arrival must be later than now."))
        if new_eta > now + MAX_DELAY:
            raise ValidationError("new_eta", _("The new expected arrival must be within 24 hours."))
        return text

    def record_delay_call_text(
        self,
        alert_id: int,
        *,
        reached: bool,
        reason: DelayReason,
        reason_text: str = "",
        eta_text: str = "",
        version: int | None = None,
    ) -> DelayCallResult:
        """:meth:`record_delay_call` from the form's raw text: the new expected arrival as
        typed (``HH:MM`` …, in the centre's zone; required when the owner was reached, and at
        most 12 hours ahead)."""
        eta = None
        if eta_text.strip() or reached:
            now = self.clock.now()
            eta = parse_local_datetime(eta_text, self.tz, now, field="new_eta")
            if eta - now > MAX_ETA_AHEAD:
                raise ValidationError(
                    "new_eta",
                    _("{time} is more than 12 hours away: check the time.").format(
                        time=eta_text.strip()
                    ),
                )
        return self.record_delay_call(
            alert_id,
            reached=reached,
            reason=reason,
            reason_text=reason_text,
            new_eta=eta,
            version=version,
        )

    def record_delay_call(
        self,
        alert_id: int,
        *,
        reached: bool,
        reason: DelayReason,
        reason_text: str = "",
        new_eta: datetime | None = None,
        version: int | None = None,
    ) -> DelayCallResult:
        """Record the call made about ``alert_id`` (see the module docstring)."""
        text = self.check_call(
            reached=reached, reason=reason, reason_text=reason_text, new_eta=new_eta
        )

        def work(uow: UnitOfWork) -> DelayCallResult:
            alert = self._alert(uow, alert_id, version)
            case = uow.cases.get(alert.case_id)
            if case is None:
                raise NotFound(_("Case {id} not found.").format(id=alert.case_id))
            if not case.is_open:
                raise InvalidTransition(
                    _("Case {number} is {status}.").format(
                        number=case.number, status=case.status.label
                    )
                )
            assert case.id is not None
            now = self.clock.now()
            promise = case.promised_arrival_at
            late = None
            if new_eta is not None and promise is not None:
                late = max(0, math.ceil((new_eta - promise) / timedelta(minutes=1)))
            self._event(
                uow,
                case.id,
                "delay_call",
                alert_id=alert.id,
                alert_kind=alert.kind.value,
                deadline=alert.deadline,
                reached=reached,
                reason=reason.value,
                reason_text=text,
                new_eta=new_eta,
                late_minutes=late,
            )
            extended = False
            if reached:
                assert new_eta is not None
                case.owner_notified_at = now
                if reason.is_force_majeure and promise is not None and new_eta > promise:
                    if case.original_promised_at is None:
                        case.original_promised_at = promise
                    case.promised_arrival_at = new_eta
                    extended = True
                    self._event(
                        uow,
                        case.id,
                        "deadline_extended",
                        previous=promise,
                        promised=new_eta,
                        reason=reason.value,
                        original=case.original_promised_at,
                    )
                case.updated_at = now
                case.updated_by = self.actor
                uow.cases.save(case)
                alert.claimed_by = alert.claimed_by or self.actor
                alert.claimed_at = alert.claimed_at or now
                alert.resolved_at, alert.resolved_by = now, self.actor
                alert.outcome = OUTCOME_OWNER_TOLD
                alert = uow.alerts.save(alert)
                for other in uow.alerts.for_case(case.id):
                    if (
                        other.id != alert.id
                        and other.kind in ARRIVAL_ALERTS
                        and other.resolved_at is None
                    ):
                        other.resolved_at, other.resolved_by = now, self.actor
                        other.outcome = OUTCOME_COVERED
                        uow.alerts.save(other)
            else:
                alert.claimed_by = None
                alert.claimed_at = None
                alert.snooze_until = now + self.renotify
                alert = uow.alerts.save(alert)
            return DelayCallResult(alert, case, extended)

        return self._write(work, Action.NOTIFY_DELAY, alert_id)


def _urgency(alert: Alert) -> tuple[bool, datetime]:
    return (alert.kind is not AlertKind.ARRIVAL_LATE, alert.raised_at)
