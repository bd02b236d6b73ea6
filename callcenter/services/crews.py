"""The supervisor's decisions about crews and promises (issue 15, point 6).

* :meth:`CrewUseCases.set_crew_duty` — a crew off duty, out of service, or back on duty, with
  the reason (supervisors: :data:`~callcenter.permissions.Action.SET_CREW_DUTY`);
* :meth:`CrewUseCases.set_crew_position` — where a crew is, as radioed in (everyday work:
  :data:`~callcenter.permissions.Action.UPDATE_CREW`);
* :meth:`CrewUseCases.extend_promise` — a later promised arrival without a force-majeure
  reason (supervisors: :data:`~callcenter.permissions.Action.EXTEND_WITHOUT_FORCE_MAJEURE`);
  the first promise is kept in ``original_promised_at``, as the delay call's force-majeure
  extension keeps it.

(Reassigning a case's crew is :meth:`LifecycleUseCases.reassign`.) Each change takes the
version the user saw: a second supervisor's change made meanwhile is refused, naming who made
it and when.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from callcenter.domain import NOT_ON_DUTY, Case, Crew, CrewStatus
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
from callcenter.validation import check_text, parse_coordinates, parse_local_datetime

#: A duty or extension reason.
MAX_REASON = 500
#: A promise further ahead than this is a typing mistake.
MAX_PROMISE_AHEAD = timedelta(hours=12)
#: What may be typed for a crew's position besides coordinates: the depot.
DEPOT_WORDS = frozenset({"depot", "基地", "站", "驻地"})


class CrewUseCases(ServiceBase):
    """Crews' duty and position, and the supervisor's extension of a promise."""

    # -- crews -----------------------------------------------------------------------
    def crew(self, crew_id: int) -> Crew:
        def read(uow: UnitOfWork) -> Crew:
            crew = uow.crews.get(crew_id)
            if crew is None:
                raise NotFound(_("Crew {id} not found.").format(id=crew_id))
            return crew

        return self._read(read)

    def set_crew_duty(
        self, crew_id: int, status: CrewStatus, reason: str = "", *, version: int | None
    ) -> Crew:
        """Take crew ``crew_id`` off duty or out of service (a reason is required), or put it
        back on duty (``AVAILABLE``; a reason is optional). A crew on a case is neither taken
        off duty nor out of service: its case is reassigned first."""
        if status not in (*NOT_ON_DUTY, CrewStatus.AVAILABLE):
            raise ValueError(status)
        if status in NOT_ON_DUTY and not reason.strip():
            raise ValidationError("reason", _("Give the reason."))
        reason = check_text("reason", reason, MAX_REASON, required=False)

        def work(uow: UnitOfWork) -> Crew:
            crew = self._crew_seen(uow, crew_id, version)
            if crew.status is status:
                raise InvalidTransition(
                    _("Crew {code} is already {status}.").format(
                        code=crew.code, status=status.label
                    )
                )
            if status is CrewStatus.AVAILABLE and crew.status not in NOT_ON_DUTY:
                raise InvalidTransition(
                    _("Crew {code} is {status}: it is on duty already.").format(
                        code=crew.code, status=crew.status.label
                    )
                )
            if status in NOT_ON_DUTY and crew.current_case_id is not None:
                found = uow.cases.list_by_ids([crew.current_case_id])
                number = found[0].number if found else str(crew.current_case_id)
                raise InvalidTransition(
                    _(
                        "Crew {code} is on case {number}: give the case another crew first "
                        "(R on the case)."
                    ).format(code=crew.code, number=number)
                )
            previous = crew.status
            crew.status = status
            crew.status_reason = reason
            self._touch_crew(crew)
            crew = uow.crews.save(crew)
            self._note(crew=crew.code, status=status.value, previous=previous.value, reason=reason)
            return crew

        return self._write(work, action=Action.SET_CREW_DUTY, entity="crew", entity_id=crew_id)

    def set_crew_position(self, crew_id: int, text: str, *, version: int | None) -> Crew:
        """Where crew ``crew_id`` is: ``latitude, longitude``, or the depot's word."""
        cleaned = text.strip()
        if not cleaned:
            raise ValidationError(
                "position", _("Enter the position: latitude, longitude, or “depot”.")
            )
        if cleaned.lower() in DEPOT_WORDS:
            lat, lon = self.depot
        else:
            position = parse_coordinates(cleaned, field="position")
            assert position is not None
            lat, lon = position

        def work(uow: UnitOfWork) -> Crew:
            crew = self._crew_seen(uow, crew_id, version)
            crew.lat, crew.lon = lat, lon
            crew.position_at = self.clock.now()
            self._touch_crew(crew)
            crew = uow.crews.save(crew)
            self._note(crew=crew.code, lat=lat, lon=lon)
            return crew

        return self._write(work, action=Action.UPDATE_CREW, entity="crew", entity_id=crew_id)

    def _crew_seen(self, uow: UnitOfWork, crew_id: int, version: int | None) -> Crew:
        """The crew, locked; refused naming who changed it when it is not the version seen."""
        crew = uow.crews.get(crew_id)
        if crew is None:
            raise NotFound(_("Crew {id} not found.").format(id=crew_id))
        if version is not None and crew.version != version:
            who = self._who(uow, crew.updated_by) if crew.updated_by else _("someone else")
            raise ConcurrencyConflict(
                _("Crew {code} was changed by {who} at {when}: it is now {status}.").format(
                    code=crew.code,
                    who=who,
                    when=self.local(crew.updated_at) if crew.updated_at else "?",
                    status=crew.status.label,
                ),
                changed_by=who,
                changed_at=crew.updated_at,
            )
        return crew

    # -- the promise -----------------------------------------------------------------
    def extend_promise(
        self, case_id: int, new_promise: str, reason: str, *, version: int | None
    ) -> Case:
        """Promise the owner a later arrival without a force-majeure reason (supervisors):
        ``new_promise`` as typed (``HH:MM`` …, in the centre's zone), later than the promise
        in force and at most 12 hours ahead. The first promise stays in
        ``original_promised_at``; the timeline and the audit log keep the reason."""
        now = self.clock.now()
        errors: list[ValidationError] = []
        promise: datetime | None = None
        try:
            promise = parse_local_datetime(new_promise, self.tz, now, field="promise")
            if promise - now > MAX_PROMISE_AHEAD:
                raise ValidationError(
                    "promise",
                    _("{time} is more than 12 hours away: check the time.").format(
                        time=new_promise.strip()
                    ),
                )
        except ValidationError as exc:
            errors.append(exc)
        if not reason.strip():
            errors.append(ValidationError("reason", _("Give the reason.")))
        else:
            try:
                reason = check_text("reason", reason, MAX_REASON)
            except ValidationError as exc:
                errors.append(exc)
        if errors:
            if len(errors) == 1:
                raise errors[0]
            raise ValidationErrors(errors)
        assert promise is not None

        def work(uow: UnitOfWork) -> Case:
            case = self._case(uow, case_id, version)
            if not case.is_open or case.arrived_at is not None:
                raise InvalidTransition(
                    _(
                        "Case {number} is {status}: only the promise of a crew not yet on "
                        "scene can be extended."
                    ).format(number=case.number, status=case.status.label)
                )
            previous = case.promised_arrival_at
            if previous is None:
                raise InvalidTransition(
                    _("Case {number} has no promised arrival to extend.").format(number=case.number)
                )
            if promise <= previous:
                raise ValidationError(
                    "promise",
                    _("The new promise must be later than the promise in force, {time}.").format(
                        time=self.local(previous)
                    ),
                )
            if case.original_promised_at is None:
                case.original_promised_at = previous
            case.promised_arrival_at = promise
            self._touch(case)
            uow.cases.save(case)
            self._event(
                uow,
                case,
                "promise_extended",
                previous=previous,
                promised=promise,
                original=case.original_promised_at,
                reason=reason,
            )
            self._note(previous=previous, promised=promise, reason=reason)
            return case

        return self._write(
            work, action=Action.EXTEND_WITHOUT_FORCE_MAJEURE, entity="case", entity_id=case_id
        )
