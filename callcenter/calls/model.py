"""The call desk's domain: kinds of outbound call, call tasks and their attempts (pure).

A *call task* is one call the centre owes someone: a delay call to an owner whose crew is
late, the feedback call after a job, a follow-up, a promised call-back, a complaint
call-back. Every kind works the same way at the desk:

* it is about a case or a customer, and falls due at a time;
* one operator at a time holds it (an exclusive claim showing who and since when);
* each try is an *attempt* with an :class:`Outcome` (reached, not reached, busy, wrong
  number, refused) and a note;
* an attempt that does not finish the task schedules the next try by the kind's retry
  schedule; after ``max_attempts`` unsuccessful tries (or an outcome that makes further tries
  pointless, such as a wrong number) the task is given up;
* a successful attempt carries the kind's result payload, checked by the kind.

A kind is data (:class:`CallKind`) plus, where it has a result, one function that checks the
result's raw text. :mod:`callcenter.calls.kinds` holds the registry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from callcenter.i18n import N_, _

#: Who owes the calls the sweep adds (the revisits): not a member of staff.
SWEEP_ACTOR = "watch"


class Outcome(StrEnum):
    """What came of one attempt to phone someone."""

    REACHED = "reached"
    NOT_REACHED = "not_reached"  # no answer
    BUSY = "busy"
    WRONG_NUMBER = "wrong_number"
    REFUSED = "refused"  # reached, but would not talk

    @property
    def label(self) -> str:
        return _(_OUTCOME_LABELS[self])


_OUTCOME_LABELS = {
    Outcome.REACHED: N_("Reached"),
    Outcome.NOT_REACHED: N_("No answer"),
    Outcome.BUSY: N_("Line busy"),
    Outcome.WRONG_NUMBER: N_("Wrong number"),
    Outcome.REFUSED: N_("Refused to talk"),
}


class TaskState(StrEnum):
    OPEN = "open"  # to be called (now, or at its next try)
    DONE = "done"  # an attempt finished it
    GIVEN_UP = "given_up"  # no more tries: wrong number, refused, or too many attempts
    CANCELLED = "cancelled"  # no longer needed (e.g. the case was cancelled)

    @property
    def label(self) -> str:
        return _(_STATE_LABELS[self])

    @property
    def is_open(self) -> bool:
        return self is TaskState.OPEN


_STATE_LABELS = {
    TaskState.OPEN: N_("To call"),
    TaskState.DONE: N_("Done"),
    TaskState.GIVEN_UP: N_("Given up"),
    TaskState.CANCELLED: N_("Cancelled"),
}


class Subject(StrEnum):
    """What a call task is about."""

    CASE = "case"
    CUSTOMER = "customer"


@dataclass(frozen=True)
class ResultField:
    """One field of a kind's result form: its name (the payload key), its label (marked with
    ``N_``), whether it is required and whether it takes several lines."""

    name: str
    label: str
    required: bool = True
    multiline: bool = False


#: Checks a kind's result, typed as raw text by field name; returns the payload to store or
#: raises :class:`~callcenter.errors.ValidationError` naming the field.
ResultParser = Callable[[Mapping[str, str]], dict[str, Any]]


def no_result(_raw: Mapping[str, str]) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class CallKind:
    """A kind of outbound call, as data."""

    name: str  # stored in call_tasks.kind; at most 24 characters
    label: str  # marked with N_(), translated on display
    subject: Subject
    outcomes: tuple[Outcome, ...] = tuple(Outcome)
    #: Outcomes that finish the task (with the result payload).
    done_on: frozenset[Outcome] = frozenset({Outcome.REACHED})
    #: Outcomes after which trying again is pointless: the task is given up at once.
    give_up_on: frozenset[Outcome] = frozenset({Outcome.WRONG_NUMBER, Outcome.REFUSED})
    #: The wait before the next try after the n-th unsuccessful attempt (the last repeats).
    retry_after: tuple[timedelta, ...] = (timedelta(minutes=30),)
    #: Unsuccessful attempts after which the task is given up.
    max_attempts: int = 3
    result_fields: tuple[ResultField, ...] = ()
    parse_result: ResultParser = no_result
    #: The task's tasks live somewhere else than the call desk's own table (the delay kind:
    #: the SLA sweep's arrival alerts).
    external: bool = False
    #: Its calls are listed first on the desk, due or not yet (an escalation).
    urgent: bool = False
    #: A call not tried this long after its (next) try time is flagged overdue on the desk.
    overdue_after: timedelta = timedelta(minutes=30)
    #: The survey template its reached calls ask (``callcenter/surveys/<name>.toml``); None:
    #: the generic call form with :attr:`result_fields`.
    survey: str | None = None

    def __post_init__(self) -> None:
        if not self.name or len(self.name) > 24:
            raise ValueError(f"a call kind's name has 1 to 24 characters: {self.name!r}")
        if not self.retry_after or any(t <= timedelta(0) for t in self.retry_after):
            raise ValueError(f"{self.name}: retry_after must be positive waits")
        if self.overdue_after < timedelta(0):
            raise ValueError(f"{self.name}: overdue_after cannot be negative")
        if self.max_attempts < 1:
            raise ValueError(f"{self.name}: max_attempts must be at least 1")
        if self.done_on & self.give_up_on:
            raise ValueError(f"{self.name}: an outcome cannot both finish and give up")
        if not (self.done_on | self.give_up_on) <= set(self.outcomes):
            raise ValueError(f"{self.name}: done_on and give_up_on must be among the outcomes")

    @property
    def title(self) -> str:
        return _(self.label)

    def after(self, outcome: Outcome, attempts: int, at: datetime) -> tuple[TaskState, datetime]:
        """The task's state after its ``attempts``-th attempt ended with ``outcome`` at
        ``at``, and the time of its next try (``at`` when it is closed)."""
        if outcome in self.done_on:
            return TaskState.DONE, at
        if outcome in self.give_up_on or attempts >= self.max_attempts:
            return TaskState.GIVEN_UP, at
        wait = self.retry_after[min(attempts, len(self.retry_after)) - 1]
        return TaskState.OPEN, at + wait


@dataclass
class CallAttempt:
    task_id: int
    at: datetime
    actor: str
    outcome: Outcome
    note: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    id: int | None = None


@dataclass
class CallTask:
    """One call owed to someone (see the module docstring)."""

    kind: str
    due_at: datetime
    created_at: datetime
    created_by: str
    case_id: int | None = None
    customer_id: int | None = None
    note: str = ""  # why the call is owed, e.g. "call back about the invoice"
    #: Whom to call when the task is about neither a case nor a known customer (a promised
    #: call-back to a phone number): the name and the number (E.164) as given.
    contact_name: str = ""
    contact_phone: str = ""
    #: One task per key, at most (the database's unique key decides): e.g. ``revisit:case:12``
    #: for the one revisit of case 12. None: no such rule.
    unique_key: str | None = None
    state: TaskState = TaskState.OPEN
    next_try_at: datetime | None = None  # None: at due_at
    attempts: int = 0
    claimed_by: str | None = None
    claimed_at: datetime | None = None
    result: dict[str, Any] = field(default_factory=dict)
    closed_at: datetime | None = None
    closed_by: str | None = None
    version: int = 0
    id: int | None = None
    #: What makes a task owed by the system unique (the maintenance call's vehicle and due
    #: point): a second one with the same key is never created, whoever sweeps.
    dedupe_key: str | None = None

    @property
    def is_open(self) -> bool:
        return self.state.is_open

    @property
    def try_at(self) -> datetime:
        """When the task is to be called next."""
        return self.next_try_at or self.due_at

    @property
    def shown_note(self) -> str:
        """The note as the user reads it: an escalation call's note holds the survey's codes
        (``very_dissatisfied:q2``, ``open_fault``), shown in the interface language."""
        if self.kind != "escalation" or not self.note:
            return self.note
        from callcenter.survey import escalation_text

        return ", ".join(escalation_text(code.strip()) for code in self.note.split(","))


@dataclass(frozen=True)
class CustomerCall:
    """One call owed to or made to a customer, for the customer's history (the archive):
    the task with its attempts, and the case it was about (its number), if any."""

    task: CallTask
    attempts: tuple[CallAttempt, ...]
    case_number: str = ""

    @property
    def last_at(self) -> datetime:
        return self.attempts[-1].at if self.attempts else self.task.created_at


class Claimable:
    """Something one operator at a time holds (``claimed_by``): a desk line, a delay prompt."""

    claimed_by: str | None

    @property
    def is_claimed(self) -> bool:
        return self.claimed_by is not None

    def claimed_by_other(self, actor: str) -> bool:
        return self.claimed_by is not None and self.claimed_by != actor


@dataclass(frozen=True)
class DeskItem(Claimable):
    """One line of the call desk (F3), whatever its kind: what the operator needs to phone."""

    kind: str
    ref: int  # the task's id (for the delay kind: the alert's)
    version: int  # pass to claim / record
    due_at: datetime
    about: str  # the case number, or the customer's name
    plate: str
    name: str  # whom to call
    phone: str  # formatted for reading aloud
    message: str  # translated, plain text: show it as data, never as markup
    attempts: int = 0
    urgent: bool = False  # an escalation, a crew already late: listed first
    #: Not tried for longer than its kind's ``overdue_after`` past its time: flagged.
    overdue: bool = False
    #: Who owed the call (the operator who promised a call-back; the sweep's actor for one
    #: it owed).
    created_by: str = ""
    case_id: int | None = None
    customer_id: int | None = None
    claimed_by: str | None = None
    claimed_at: datetime | None = None
