"""Dispatch and the case lifecycle: dispatch, reassign, en route, arrive, cancel. (Completing,
reporting back and closing are :mod:`callcenter.services.records`: each needs its form.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from callcenter.dispatching import CrewOption, rank_crews
from callcenter.domain import (
    Assignment,
    Case,
    CaseStatus,
    Crew,
    CrewStatus,
)
from callcenter.domain.lifecycle import TRANSITIONS, allows
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
from callcenter.validation import check_text

#: A cancel or reassignment reason.
MAX_REASON = 500

T = TypeVar("T")


@dataclass(frozen=True)
class Checklist:
    """The on-scene safety checklist (seed 000)."""

    hazard_lights: bool = False
    warning_sign: bool = False  # 50–100 m behind the vehicle
    night_lights: bool = False  # position and rear lights, at night

    def missing(self, night: bool) -> list[str]:
        items = []
        if not self.hazard_lights:
            items.append(_("hazard lights"))
        if not self.warning_sign:
            items.append(_("warning sign 50–100 m behind"))
        if night and not self.night_lights:
            items.append(_("position and rear lights"))
        return items


def is_night(instant: datetime, tz: ZoneInfo) -> bool:
    hour = instant.astimezone(tz).hour
    return hour >= 19 or hour < 6


class LifecycleUseCases(ServiceBase):
    """A case from dispatch to closing."""

    def crew_options(self, case: Case) -> list[CrewOption]:
        crews = self._read(lambda uow: uow.crews.list())
        return rank_crews(case, crews, self.clock.now(), speed_kmh=self.speed_kmh, depot=self.depot)

    def dispatch(
        self,
        case_id: int,
        crew_id: int,
        *,
        case_version: int | None = None,
        crew_version: int | None = None,
    ) -> Case:
        def work(uow: UnitOfWork) -> Case:
            case = self._case(uow, case_id, case_version)
            if not allows(Action.DISPATCH, case.status):
                raise InvalidTransition(
                    _("Case {number} is {status}; only a received case can be dispatched.").format(
                        number=case.number, status=case.status.label
                    )
                    + self._dispatched_by(uow, case)
                )
            if not case.fee_agreed:
                raise InvalidTransition(
                    _("Record the owner's agreement to the fee before dispatching.")
                )
            crew = self._crew(uow, crew_id, crew_version)
            if crew.status is not CrewStatus.AVAILABLE or crew.current_case_id is not None:
                raise InvalidTransition(
                    _("Crew {code} is {status}, not available.").format(
                        code=crew.code, status=crew.status.label
                    )
                    + self._taken_by(uow, crew)
                )
            now = self.clock.now()
            case.status = CaseStatus.DISPATCHED
            case.dispatched_at = now
            case.crew_id = crew.id
            self._touch(case)
            crew.status = CrewStatus.DISPATCHED
            crew.current_case_id = case.id
            uow.cases.save(case)
            self._touch_crew(crew)
            uow.crews.save(crew)
            assert case.id is not None and crew.id is not None
            uow.assignments.add(Assignment(case.id, crew.id, now, self.actor))
            self._event(uow, case, "dispatched", crew=crew.code, crew_id=crew.id)
            self._note(crew=crew.code, crew_id=crew.id)
            return case

        return self._write(work, action=Action.DISPATCH)

    def reassign(
        self,
        case_id: int,
        crew_id: int,
        *,
        case_version: int,
        crew_version: int | None = None,
        reason: str = "",
    ) -> Case:
        """Give a dispatched case another crew (supervisor): the old crew is released.

        The version of the case the supervisor saw is required: a reassignment never
        overwrites a change made meanwhile. The first promise to the owner stands.
        """
        reason = check_text("reason", reason, MAX_REASON, required=False)

        def work(uow: UnitOfWork) -> Case:
            case = self._case(uow, case_id, case_version)
            self.require(Action.REASSIGN_CREW, entity="case", entity_id=case_id)
            if not allows(Action.REASSIGN_CREW, case.status) or (case.crew_id is None):
                raise InvalidTransition(
                    _(
                        "Case {number} is {status}: only a case a crew is on its way to can be "
                        "given another crew."
                    ).format(number=case.number, status=case.status.label)
                )
            if case.crew_id == crew_id:
                raise InvalidTransition(_("That crew is already on this case."))
            # Lock both crews in id order: two reassignments never wait on each other.
            crews: dict[int, Crew] = {}
            for cid in sorted((case.crew_id, crew_id)):
                crews[cid] = self._crew(uow, cid, crew_version if cid == crew_id else None)
            old, new = crews[case.crew_id], crews[crew_id]
            if new.status is not CrewStatus.AVAILABLE or new.current_case_id is not None:
                raise InvalidTransition(
                    _("Crew {code} is {status}, not available.").format(
                        code=new.code, status=new.status.label
                    )
                    + self._taken_by(uow, new)
                )
            now = self.clock.now()
            assert case.id is not None and new.id is not None
            if old.current_case_id == case.id:
                old.status = CrewStatus.AVAILABLE
                old.current_case_id = None
                self._touch_crew(old)
                uow.crews.save(old)
            uow.assignments.release(case.id, now)
            case.status = CaseStatus.DISPATCHED
            case.en_route_at = None
            case.crew_id = new.id
            self._touch(case)
            uow.cases.save(case)
            new.status = CrewStatus.DISPATCHED
            new.current_case_id = case.id
            self._touch_crew(new)
            uow.crews.save(new)
            uow.assignments.add(Assignment(case.id, new.id, now, self.actor))
            self._event(
                uow,
                case,
                "reassigned",
                crew=new.code,
                crew_id=new.id,
                previous=old.code,
                previous_id=old.id,
                reason=reason,
            )
            self._note(crew=new.code, previous=old.code)
            return case

        return self._write(work, action=Action.REASSIGN_CREW, entity="case", entity_id=case_id)

    def _crew(self, uow: UnitOfWork, crew_id: int, version: int | None) -> Crew:
        crew = uow.crews.get(crew_id)
        if crew is None:
            raise NotFound(_("Crew {id} not found.").format(id=crew_id))
        if version is not None and crew.version != version:
            # changed_by stays empty: it marks a conflict on the case itself (screens).
            raise ConcurrencyConflict(
                _("Crew {code} was changed by someone else.").format(code=crew.code)
                + self._taken_by(uow, crew)
            )
        return crew

    def _assignment_text(self, uow: UnitOfWork, case_id: int) -> tuple[str, str, str] | None:
        """(case number, who, when) of the crew assignment now on ``case_id``."""
        assignment = uow.assignments.current_for_case(case_id)
        if assignment is None:
            return None
        found = uow.cases.list_by_ids([case_id])  # unlocked: never wait on another case
        number = found[0].number if found else str(case_id)
        return number, self._who(uow, assignment.assigned_by), self.local(assignment.assigned_at)

    def _taken_by(self, uow: UnitOfWork, crew: Crew) -> str:
        """ " Dispatched to case N by WHO at HH:MM." for a crew on a case, else ""."""
        if crew.current_case_id is None:
            return ""
        found = self._assignment_text(uow, crew.current_case_id)
        if found is None:
            return ""
        number, who, when = found
        return " " + _("Dispatched to case {number} by {who} at {when}.").format(
            number=number, who=who, when=when
        )

    def _dispatched_by(self, uow: UnitOfWork, case: Case) -> str:
        """ " Crew C was dispatched by WHO at HH:MM." for a case with a crew, else ""."""
        if case.crew_id is None or case.id is None:
            return ""
        assignment = uow.assignments.current_for_case(case.id)
        if assignment is None:
            return ""
        crew = uow.crews.get(case.crew_id)
        return " " + _("Crew {crew} was dispatched by {who} at {when}.").format(
            crew=crew.code if crew else case.crew_id,
            who=self._who(uow, assignment.assigned_by),
            when=self.local(assignment.assigned_at),
        )

    def _advance(
        self,
        case_id: int,
        version: int | None,
        stamp: str,
        crew_status: CrewStatus | None,
        event: str,
        release: bool = False,
        *,
        action: str,
        **details: Any,
    ) -> Case:
        step = TRANSITIONS[action]  # the statuses it starts from and leads to: one table
        target = step.target

        def work(uow: UnitOfWork) -> Case:
            case = self._case(uow, case_id, version)
            if case.status not in step.sources:
                raise InvalidTransition(
                    _("Case {number} is {status}: cannot mark it {target}.").format(
                        number=case.number, status=case.status.label, target=target.label
                    )
                )
            now = self.clock.now()
            case.status = target
            setattr(case, stamp, now)
            self._touch(case)
            uow.cases.save(case)
            if case.crew_id is not None and crew_status is not None:
                crew = self._crew(uow, case.crew_id, None)
                crew.status = crew_status
                if release:
                    crew.current_case_id = None
                self._touch_crew(crew)
                uow.crews.save(crew)
                if release:
                    assert case.id is not None
                    uow.assignments.release(case.id, now)
            self._event(uow, case, event, **details)
            return case

        return self._write(work, action=action)

    def en_route(self, case_id: int, version: int | None = None) -> Case:
        return self._advance(
            case_id,
            version,
            "en_route_at",
            CrewStatus.EN_ROUTE,
            "en_route",
            action=Action.EN_ROUTE,
        )

    def arrive(self, case_id: int, checklist: Checklist, version: int | None = None) -> Case:
        missing = checklist.missing(is_night(self.clock.now(), self.tz))
        if missing:
            raise ValidationError(
                "checklist",
                _("Safety checklist incomplete: {items}.").format(items=", ".join(missing)),
            )
        return self._advance(
            case_id,
            version,
            "arrived_at",
            CrewStatus.ON_SCENE,
            "arrived",
            action=Action.ARRIVE,
            checklist={k: getattr(checklist, k) for k in checklist.__dataclass_fields__},
        )

    def cancel(self, case_id: int, reason: str, version: int | None = None) -> Case:
        if not reason.strip():
            raise ValidationError("cancel_reason", _("Give the reason for cancelling."))
        reason = check_text("cancel_reason", reason, MAX_REASON)

        def work(uow: UnitOfWork) -> Case:
            case = self._case(uow, case_id, version)
            if not case.is_open:
                raise InvalidTransition(
                    _("Case {number} is already {status}.").format(
                        number=case.number, status=case.status.label
                    )
                )
            if case.status is not CaseStatus.RECEIVED or case.crew_id is not None:
                # A crew is on it: only a supervisor calls it off.
                self.require(
                    Action.CANCEL_DISPATCHED,
                    entity="case",
                    entity_id=case_id,
                    status=case.status.value,
                )
                self._note(action=Action.CANCEL_DISPATCHED)
            now = self.clock.now()
            case.status = CaseStatus.CANCELLED
            case.cancelled_at = now
            case.cancel_reason = reason
            self._touch(case)
            uow.cases.save(case)
            if case.crew_id is not None:
                crew = self._crew(uow, case.crew_id, None)
                if crew.current_case_id == case.id:
                    crew.status = CrewStatus.AVAILABLE
                    crew.current_case_id = None
                    self._touch_crew(crew)
                    uow.crews.save(crew)
                assert case.id is not None
                uow.assignments.release(case.id, now)
            self._event(uow, case, "cancelled", reason=reason)
            self.after_cancel(uow, case)
            self._note(reason=reason)
            return case

        return self._write(work, action=Action.CANCEL)
