"""The life of a case, as one table: which statuses are open, which step leads from which
statuses to which, and what the board calls "waiting for the crew".

The steps are named as the permissions and the audit log name them
(:class:`callcenter.permissions.Action` values: ``"arrive"``, ``"close"``, …), so a step and
the action that performs it are one word. Screens ask :func:`allows` to spare an operator a
modal for a step the services would refuse anyway; the services decide.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from callcenter.domain.enums import OPEN_STATUSES, CaseStatus

__all__ = [
    "ARRIVAL_PENDING",
    "OPEN_STATUSES",
    "TRANSITIONS",
    "Transition",
    "allows",
    "steps_from",
]


@dataclass(frozen=True)
class Transition:
    """A step of a case: the statuses it may start from, the status it leads to."""

    sources: frozenset[CaseStatus]
    target: CaseStatus


def _step(sources: tuple[CaseStatus, ...], target: CaseStatus) -> Transition:
    return Transition(frozenset(sources), target)


S = CaseStatus
#: The one table of a case's steps (keys: ``permissions.Action`` values).
TRANSITIONS: Mapping[str, Transition] = {
    "dispatch": _step((S.RECEIVED,), S.DISPATCHED),
    "reassign_crew": _step((S.DISPATCHED, S.EN_ROUTE), S.DISPATCHED),
    "en_route": _step((S.DISPATCHED,), S.EN_ROUTE),
    "arrive": _step((S.DISPATCHED, S.EN_ROUTE), S.ON_SCENE),
    "complete": _step((S.ON_SCENE,), S.COMPLETED),
    "report_back": _step((S.COMPLETED,), S.REPORTED_BACK),
    "close": _step((S.REPORTED_BACK,), S.CLOSED),
    # Any open case; once a crew was sent it takes a supervisor (Action.CANCEL_DISPATCHED).
    "cancel": _step(OPEN_STATUSES, S.CANCELLED),
}

#: The crew is not on scene yet: the promised arrival is still running.
ARRIVAL_PENDING: frozenset[CaseStatus] = frozenset({S.RECEIVED, S.DISPATCHED, S.EN_ROUTE})


def allows(step: str, status: CaseStatus) -> bool:
    """Whether ``step`` may start from ``status``."""
    return status in TRANSITIONS[step].sources


def steps_from(status: CaseStatus) -> list[str]:
    """The steps that may start from ``status``, in the table's order."""
    return [step for step, transition in TRANSITIONS.items() if status in transition.sources]
