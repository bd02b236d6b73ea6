"""The SLA watch: one sweep over the open cases raises every alert that is due.

The rules (:class:`RuleBook`, :func:`due_alerts`) are pure: from a case's clock columns, its
policy and the instant they say which alerts are due. The sweep (:func:`sweep`) reads every
open case in one lean query (instants as integer microseconds, see
:class:`~callcenter.ports.CaseClockView`), applies the rules in Python and inserts what is
new. The application and ``callcenter watch`` keep a :class:`Sweeper`, which follows the
change feed between full reads and judges again only the cases that changed or came due;
:func:`callcenter.scheduler.make_scheduler` runs it on an interval.

For the UI: ``sweeper = watch.sweeper_for(container)`` (close it on exit); each
:class:`SweepResult` lists the alerts raised (``result.prompts``: those that ask an operator
to phone an owner, one bell each); :func:`describe` makes one line of an alert.

Which alert for which clock (deadlines from :mod:`callcenter.sla`):

=================  ==========================================================================
alert              due when
=================  ==========================================================================
response overdue   the response clock is late (no crew dispatched by its deadline)
arrival at risk    the arrival clock has at most the at-risk window left, or is late
arrival late       the promised arrival passed and the crew is not on scene
repair overdue     the minor-repair clock (or the "completion" clock of a policy such as
                   ``priority``) is late
feedback overdue   the feedback-call clock is late (completed, no feedback call in 24 h)
=================  ==========================================================================

Exactly once: the deadline stored on an alert is its clock's deadline, and the database's
unique key (case, kind, deadline) decides that an alert exists once, whatever the number of
sessions sweeping; an extended promise is a new deadline and so gives new alerts.

Catching up: the rules look at the state of each case *now*, so a sweep after a pause raises
every deadline that passed meanwhile. A clock that already stopped late before any sweep saw
it (crew dispatched or on scene after the deadline, repair or feedback call done late) still
gets its alert, raised already resolved with outcome :data:`OUTCOME_MISSED`: the breach is on
record, and nobody is asked to call an owner whose crew has arrived.

The sweep also closes what no longer needs anyone: an unresolved, unclaimed alert whose clock
stopped (:data:`OUTCOME_CLOCK_STOPPED`) or whose arrival deadline was replaced by an extended
promise (:data:`OUTCOME_SUPERSEDED`). An arrival-late alert for a deadline the owner was
already told about in a delay call is raised resolved (:data:`OUTCOME_ALREADY_TOLD`).

The arrival at-risk window is the policy's (``at_risk_minutes`` of its arrival clock) when the
policy sets one other than the built-in default, else the configured ``at_risk`` (setting
``at_risk_minutes``, default 10), as the dispatch board uses.
"""

from __future__ import annotations

import gc
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, Protocol

from callcenter import sla
from callcenter.clock import Clock
from callcenter.domain import Alert, AlertKind, Case, CaseEvent, Priority, RescuePlan
from callcenter.errors import CallCenterError, ValidationError
from callcenter.i18n import _
from callcenter.ports import AlertKey, CaseClockView, ChangeFeed, UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

SYSTEM_ACTOR = "watch"

#: The clock had already stopped, late, when the sweep first saw the breach.
OUTCOME_MISSED = "missed"
#: An operator phoned the owner and reached them (set by :mod:`callcenter.delays`).
OUTCOME_OWNER_TOLD = "owner_told"
#: Closed together with a sibling alert of the same case by one delay call.
OUTCOME_COVERED = "covered"
#: Raised after the owner had already been told about this very deadline.
OUTCOME_ALREADY_TOLD = "already_told"
#: Closed by the sweep: the clock stopped (dispatched, on scene, completed, feedback made).
OUTCOME_CLOCK_STOPPED = "clock_stopped"
#: Closed by the sweep: the promise was extended, this deadline no longer holds.
OUTCOME_SUPERSEDED = "superseded"

ARRIVAL_ALERTS = frozenset({AlertKind.ARRIVAL_AT_RISK, AlertKind.ARRIVAL_LATE})

_OVERDUE_KIND: dict[sla.ClockKind, AlertKind] = {
    sla.ClockKind.RESPONSE: AlertKind.RESPONSE_OVERDUE,
    sla.ClockKind.ARRIVAL: AlertKind.ARRIVAL_LATE,
    sla.ClockKind.REPAIR: AlertKind.REPAIR_OVERDUE,
    sla.ClockKind.COMPLETION: AlertKind.REPAIR_OVERDUE,
    sla.ClockKind.FEEDBACK: AlertKind.FEEDBACK_OVERDUE,
}

#: The event (a :class:`CaseClockView` field) that stops the clock an alert is about.
_STOPPED_BY: dict[str, str] = {
    AlertKind.RESPONSE_OVERDUE.value: "dispatched",
    AlertKind.ARRIVAL_AT_RISK.value: "arrived",
    AlertKind.ARRIVAL_LATE.value: "arrived",
    AlertKind.REPAIR_OVERDUE.value: "completed",
    AlertKind.FEEDBACK_OVERDUE.value: "feedback",
}

_FIELDS = CaseClockView._fields
_STOPPED_INDEX = {kind: _FIELDS.index(name) for kind, name in _STOPPED_BY.items()}
_PROMISED = _FIELDS.index("promised")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MINUTE = 60_000_000


def to_micros(instant: datetime) -> int:
    """An aware datetime as integer microseconds since the epoch (the view's unit)."""
    delta = instant - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def clock_view(case: Case) -> CaseClockView:
    """The sweep's view of a domain :class:`Case` (tests, and cases already in memory)."""

    def us(instant: datetime | None) -> int | None:
        return None if instant is None else to_micros(instant)

    assert case.id is not None
    return CaseClockView(
        case.id,
        case.policy,
        case.priority.value,
        case.plan.value,
        to_micros(case.received_at),
        us(case.dispatched_at),
        us(case.arrived_at),
        us(case.completed_at),
        us(case.feedback_at),
        us(case.promised_arrival_at),
    )


# --------------------------------------------------------------------------------------------
# The rules (pure)


@dataclass(frozen=True, slots=True)
class DueAlert:
    """An alert the rules say should exist. ``missed``: its clock already stopped, late."""

    case_id: int
    kind: AlertKind
    deadline: datetime
    missed: bool = False


#: A due alert as the hot loop makes it: (case id, kind value, deadline in µs, missed); its
#: first three items are the alert's unique key.
_Due = tuple[int, str, int, bool]
_AT_RISK = AlertKind.ARRIVAL_AT_RISK.value


@dataclass(frozen=True, slots=True)
class _Check:
    """One clock of one (policy, priority, plan), ready for the hot loop."""

    overdue: str  # the kind of alert (its value) raised when the clock is late
    start: int  # index in CaseClockView of the start event
    end: int  # index of the end event
    fixed: int | None  # deadline = start + fixed (µs); None: office hours or arrival
    window: int  # arrival only: the at-risk window (µs); 0 = no at-risk alert
    arrival: bool
    rule: sla.ClockRule


class RuleBook:
    """The alert rules of one policy, compiled per (priority, plan) on first use.

    ``at_risk`` is the configured arrival at-risk window, used when the policy's arrival
    clock keeps the built-in default (see the module docstring).
    """

    def __init__(self, policy: sla.Policy, tz: tzinfo, at_risk: timedelta) -> None:
        self.policy = policy
        self.tz = tz
        self.at_risk = at_risk
        self._checks: dict[tuple[str, str], tuple[_Check, ...]] = {}

    def arrival_window(self, rule: sla.ClockRule) -> timedelta:
        if rule.at_risk != timedelta(minutes=sla.DEFAULT_AT_RISK_MINUTES):
            return rule.at_risk
        return self.at_risk

    def checks(self, priority: str, plan: str) -> tuple[_Check, ...]:
        found = self._checks.get((priority, plan))
        if found is None:
            found = self._checks[(priority, plan)] = self._compile(priority, plan)
        return found

    def _compile(self, priority: str, plan: str) -> tuple[_Check, ...]:
        checks = []
        for rule in self.policy.rules(Priority(priority)):
            if not rule.applies_to(RescuePlan(plan)):
                continue
            arrival = rule.kind is sla.ClockKind.ARRIVAL
            fixed = None
            if not arrival and not rule.business_hours and rule.minutes is not None:
                fixed = rule.minutes * _MINUTE
            window = self.arrival_window(rule) if arrival else timedelta(0)
            checks.append(
                _Check(
                    overdue=_OVERDUE_KIND[rule.kind].value,
                    start=_FIELDS.index(rule.start.value),
                    end=_FIELDS.index(rule.end.value),
                    fixed=fixed,
                    window=window // timedelta(microseconds=1),
                    arrival=arrival,
                    rule=rule,
                )
            )
        return tuple(checks)

    def slow_deadline(self, case: CaseClockView, check: _Check) -> int | None:
        """A deadline on office hours: the SLA engine does the calendar work."""
        row: tuple[Any, ...] = case
        started = row[check.start]
        if started is None:
            return None
        assert check.rule.minutes is not None and self.policy.business_hours is not None
        due = sla.add_business_time(
            from_micros(started),
            timedelta(minutes=check.rule.minutes),
            self.policy.business_hours,
            self.tz,
        )
        return to_micros(due)

    def due(self, case: CaseClockView, now: datetime) -> list[DueAlert]:
        """The alerts due for ``case`` at ``now`` (raised or not), in clock order.

        A case without a promised arrival gets no arrival alerts here; :func:`sweep` works
        such a case's arrival deadline out from the whole case.
        """
        found: list[_Due] = []
        _scan(lambda _name: self, [case], to_micros(now), found, [])
        return [DueAlert(c, AlertKind(k), from_micros(d), m) for c, k, d, m in found]


def _scan(
    book_of: Callable[[str], RuleBook | None],
    cases: Iterable[CaseClockView],
    now: int,
    out: list[_Due],
    unpromised: list[CaseClockView],
    horizons: dict[int, int] | None = None,
) -> None:
    """Append to ``out`` the alerts due for ``cases`` at ``now``: the hot loop of the sweep.

    With ``horizons``, also note for each case the next instant at which, the case staying
    as it is, another alert could fall due (absent: none ever will).

    Kept flat on purpose (no call per clock, no enum in sight): it runs 10,000 times a sweep.
    """
    add = out.append
    name = None
    book: RuleBook | None = None
    for case in cases:
        if case.policy != name:
            name = case.policy
            book = book_of(name)
        if book is None:
            continue
        row: tuple[Any, ...] = case  # indexed by position: typed loosely, read fast
        case_id = row[0]
        horizon = _NEVER
        for check in book.checks(case.priority, case.plan):
            if check.arrival:
                deadline = row[_PROMISED]
                if deadline is None:
                    unpromised.append(case)
                    horizon = now + 1  # judged apart, every time
                    continue
            elif check.fixed is not None:
                started = row[check.start]
                if started is None:
                    continue
                deadline = started + check.fixed
            else:
                deadline = book.slow_deadline(case, check)
                if deadline is None:
                    continue
            ended = row[check.end]
            if ended is not None:
                if ended > deadline:  # MISSED before any sweep saw it: raised for the record
                    if check.window:
                        add((case_id, _AT_RISK, deadline, True))
                    add((case_id, check.overdue, deadline, True))
                continue
            window = check.window
            if window:
                if now >= deadline - window:
                    add((case_id, _AT_RISK, deadline, False))
                elif deadline - window < horizon:
                    horizon = deadline - window
            if now > deadline:
                add((case_id, check.overdue, deadline, False))
            elif deadline + 1 < horizon:
                horizon = deadline + 1
        if horizons is not None and horizon != _NEVER:
            horizons[case_id] = horizon


_NEVER = 1 << 62


def _judge(
    case_id: int, check: _Check, deadline: int, ended: int | None, now: int, out: list[_Due]
) -> None:
    """:func:`_scan`'s judgement of one clock, for the rare cases judged one by one."""
    if ended is not None:
        if ended > deadline:
            if check.window:
                out.append((case_id, _AT_RISK, deadline, True))
            out.append((case_id, check.overdue, deadline, True))
        return
    if check.window and now >= deadline - check.window:
        out.append((case_id, _AT_RISK, deadline, False))
    if now > deadline:
        out.append((case_id, check.overdue, deadline, False))


def due_alerts(
    policy: sla.Policy,
    case: CaseClockView,
    now: datetime,
    tz: tzinfo,
    *,
    at_risk: timedelta = timedelta(minutes=sla.DEFAULT_AT_RISK_MINUTES),
) -> list[DueAlert]:
    """The alerts due for one case at ``now`` (a convenience over :class:`RuleBook`)."""
    return RuleBook(policy, tz, at_risk).due(case, now)


# --------------------------------------------------------------------------------------------
# The sweep


@dataclass(frozen=True)
class RaisedAlert:
    """An alert this sweep inserted, with the case number to show it by."""

    alert: Alert
    case_number: str

    @property
    def kind(self) -> AlertKind:
        return self.alert.kind

    @property
    def missed(self) -> bool:
        """Raised already resolved: the clock had stopped late (or the owner was told)."""
        return self.alert.resolved_at is not None

    @property
    def is_prompt(self) -> bool:
        """Whether it asks an operator to phone the owner (bell, prompt)."""
        return self.alert.kind in ARRIVAL_ALERTS and self.alert.resolved_at is None


@dataclass(frozen=True)
class SweepResult:
    at: datetime  # the instant swept (the injected clock)
    raised: tuple[RaisedAlert, ...] = ()  # inserted by this sweep, by deadline
    open_cases: int = 0
    due: int = 0  # alerts due at ``at``, raised now or before
    closed: int = 0  # stale alerts this sweep resolved (clock stopped, promise extended)
    problems: tuple[str, ...] = ()  # e.g. a policy file that cannot be loaded
    duration: float = 0.0  # seconds of wall time
    query_seconds: float = 0.0  # of which reading
    write_seconds: float = 0.0  # of which writing
    full: bool = True  # read every open case (False: only what the change feed reported)

    @property
    def counts(self) -> dict[AlertKind, int]:
        return dict(Counter(r.kind for r in self.raised))

    @property
    def prompts(self) -> list[RaisedAlert]:
        """New alerts that ask an operator to call an owner (one bell each)."""
        return [r for r in self.raised if r.is_prompt]


PolicyLookup = Callable[[str], sla.Policy]


def policy_lookup(config_dir: Path | None = None) -> PolicyLookup:
    """``name -> Policy`` from the presets and the site's config directory (cached)."""

    def lookup(name: str) -> sla.Policy:
        return sla.load_policy(name, config_dir)

    return lookup


class Sweeper:
    """Sweeps again and again, doing only the work of what changed or came due.

    The first sweep (and every ``resync_every``-th after it, and any sweep after an error)
    reads every open case and the keys of their alerts, as :func:`sweep` does. In between,
    the change feed (``feed``: the ``ChangeFeed`` port, one per sweeper) says which cases and
    alerts other sessions changed, and only those are read again; the rules judge again only
    the cases that changed or reached their *horizon* (the next instant at which anything can
    fall due for them), the others keep what was judged. Before anything is written, the
    cases with new alerts are read again from the database and judged afresh, and the unique
    key has the last word. Without ``feed`` every sweep reads and judges everything.

    Not thread-safe: one sweep at a time (the scheduler runs it with ``max_instances=1``).
    """

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        *,
        tz: tzinfo,
        at_risk: timedelta,
        policies: PolicyLookup,
        actor: str = SYSTEM_ACTOR,
        feed: Callable[[], ChangeFeed] | None = None,
        resync_every: int = 20,
    ) -> None:
        self.uow = uow_factory
        self.clock = clock
        self.tz = tz
        self.at_risk = at_risk
        self.policies = policies
        self.actor = actor
        self._feed_factory = feed
        self._feed: ChangeFeed | None = None
        self._resync_every = max(1, resync_every)
        self._sweeps_since_full: int | None = None  # None: the next sweep reads everything
        self._views: dict[int, CaseClockView] = {}
        # (case, kind, deadline) of every alert of the open cases
        self._known: set[tuple[int, str, int]] = set()
        self._unresolved: dict[int, AlertKey] = {}
        self._told: set[tuple[int, int]] = set()  # (case, deadline) the owner was told of
        self._books: dict[str, RuleBook | None] = {}
        self._policy_errors: dict[str, str] = {}
        #: case id -> (the view judged, valid until (µs), the alerts then due)
        self._memo: dict[int, tuple[CaseClockView, int, list[_Due]]] = {}
        self._due_count = 0
        self._pending: list[_Due] = []  # due, not known, not inserted by us (someone's?)
        self._dirty: set[int] = set()  # cases whose view or alerts changed this sweep

    # -- the sweep -------------------------------------------------------------------------
    def __call__(self) -> SweepResult:
        try:
            with _collector_paused():
                return self._sweep()
        except BaseException:
            self._sweeps_since_full = None  # start afresh next time
            raise

    def close(self) -> None:
        if self._feed is not None:
            self._feed.close()
            self._feed = None

    def _sweep(self) -> SweepResult:
        started = time.perf_counter()
        now = self.clock.now().astimezone(UTC)
        now_us = to_micros(now)
        full = (
            self._feed_factory is None
            or self._sweeps_since_full is None
            or self._sweeps_since_full + 1 >= self._resync_every
        )
        self._dirty = set()
        with self.uow(write=False) as uow:
            if full:
                self._read_everything(uow)
            else:
                self._read_changes(uow)
            read = time.perf_counter()
            judged = self._judge(uow, now_us)
        known = self._known
        new = [d for d in judged + self._pending if d[:3] not in known]
        if new and not full:
            # The cache found candidates; the cases, read again, decide (the unique key then
            # has the last word).
            ids = {d[0] for d in new}
            with self.uow(write=False) as uow:
                self._refresh_cases(uow, ids)
                judged = self._judge(uow, now_us)
            new = [d for d in judged if d[:3] not in known]
        unresolved: Iterable[AlertKey] = self._unresolved.values()
        if not full:  # only a change (of a case, or of its alerts) makes an alert stale
            dirty = self._dirty
            unresolved = [k for k in unresolved if k.case_id in dirty]
        stale = _stale(unresolved, self._views)
        computed = time.perf_counter()
        raised, closed = self._write(new, stale, now) if new or stale else ([], 0)
        self._pending = [d for d in new if d[:3] not in known]
        done = time.perf_counter()
        self._sweeps_since_full = 0 if full else (self._sweeps_since_full or 0) + 1
        return SweepResult(
            at=now,
            raised=tuple(raised),
            open_cases=len(self._views),
            due=self._due_count,
            closed=closed,
            problems=tuple(self._policy_errors.values()),
            duration=done - started,
            query_seconds=read - started,
            write_seconds=done - computed,
            full=full,
        )

    # -- reading ---------------------------------------------------------------------------
    def _read_everything(self, uow: UnitOfWork) -> None:
        if self._feed_factory is not None:
            if self._feed is None:
                self._feed = self._feed_factory()  # before reading: no change falls between
            else:
                self._feed.poll()  # what it reports is in the full read below
        self._books = {}
        self._memo = {}
        self._pending = []
        self._views = {v.id: v for v in uow.cases.open_clock_view()}
        keys = uow.alerts.keys_of_open_cases()
        # What _remember does key by key, in bulk (every case is judged after a full read:
        # none needs marking dirty).
        self._known = {k[1:4] for k in keys}  # (case_id, kind, deadline)
        self._unresolved = {k.id: k for k in keys if not k.resolved}
        self._told = {
            (k.case_id, k.deadline)
            for k in keys
            if k.outcome == OUTCOME_OWNER_TOLD and k.kind in _ARRIVAL_VALUES
        }

    def _read_changes(self, uow: UnitOfWork) -> None:
        assert self._feed is not None
        cases: set[int] = set()
        alerts: set[int] = set()
        for change in self._feed.poll():
            if change.entity == "case":
                cases.add(change.entity_id)
            elif change.entity == "alert":
                alerts.add(change.entity_id)
        if cases:
            self._refresh_cases(uow, cases)
        if alerts:
            self._remember(uow.alerts.keys_by_ids(alerts))

    def _refresh_cases(self, uow: UnitOfWork, ids: set[int]) -> None:
        for case_id in ids:
            self._views.pop(case_id, None)
        self._views.update((v.id, v) for v in uow.cases.open_clock_view(ids))
        self._dirty |= ids

    def _remember(self, keys: Iterable[AlertKey]) -> None:
        for key in keys:
            self._known.add((key.case_id, key.kind, key.deadline))
            self._dirty.add(key.case_id)
            if key.resolved:
                self._unresolved.pop(key.id, None)
            else:
                self._unresolved[key.id] = key
            if key.outcome == OUTCOME_OWNER_TOLD and key.kind in _ARRIVAL_VALUES:
                self._told.add((key.case_id, key.deadline))

    # -- judging ---------------------------------------------------------------------------
    def _book(self, name: str) -> RuleBook | None:
        try:
            return self._books[name]
        except KeyError:
            pass
        book: RuleBook | None
        try:
            book = RuleBook(self.policies(name), self.tz, self.at_risk)
        except CallCenterError as exc:
            book = None
            self._policy_errors[name] = f"policy {name!r}: {exc}"
            log.error("SLA sweep: cases of policy %r are not watched: %s", name, exc)
        else:
            self._policy_errors.pop(name, None)
        self._books[name] = book
        return book

    def _judge(self, uow: UnitOfWork, now: int) -> list[_Due]:
        """Judge again the cases that changed or reached their horizon; return what is due
        for them (the others' alerts due were judged before: see the memo)."""
        memo = self._memo
        again: list[CaseClockView] = []
        count = 0
        if memo:
            for case in self._views.values():
                seen = memo.get(case.id)
                if seen is not None and seen[0] is case and now < seen[1]:
                    count += len(seen[2])
                else:
                    again.append(case)
            for case_id in [i for i in memo if i not in self._views]:
                del memo[case_id]  # closed, or gone
        else:  # after a full read
            again = list(self._views.values())
        # Without a feed every sweep reads and judges everything: nothing to remember.
        keep = self._feed_factory is not None
        judged: list[_Due] = []
        if again:
            unpromised: list[CaseClockView] = []
            horizons: dict[int, int] | None = {} if keep else None
            _scan(self._book, again, now, judged, unpromised, horizons)
            if unpromised:  # no promised arrival (rare): the SLA engine works it out
                _scan_unpromised(uow, self._books, unpromised, now, self.tz, judged)
            if horizons is not None:
                by_case: dict[int, list[_Due]] = {}
                for item in judged:
                    by_case.setdefault(item[0], []).append(item)
                for case in again:
                    memo[case.id] = (case, horizons.get(case.id, _NEVER), by_case.get(case.id, []))
        self._due_count = count + len(judged)
        return judged

    # -- writing ---------------------------------------------------------------------------
    def _write(
        self, new: list[_Due], stale: dict[str, list[int]], now: datetime
    ) -> tuple[list[RaisedAlert], int]:
        alerts = sorted(
            (_new_alert(d, now, self.actor, self._told) for d in new),
            key=lambda a: (a.case_id, a.kind.value, a.deadline),
        )
        closed: list[tuple[int, str]] = []
        with self.uow(write=True) as uow:
            for outcome, ids in stale.items():
                done = uow.alerts.resolve_unclaimed(ids, at=now, by=self.actor, outcome=outcome)
                closed.extend((i, outcome) for i in done)
            inserted = uow.alerts.insert_new(alerts)
            uow.events.append_many([_raised_event(a, now, self.actor) for a in inserted])
            numbers = uow.cases.numbers(a.case_id for a in inserted) if inserted else {}
            uow.commit()
        self._remember(
            AlertKey(
                a.id,
                a.case_id,
                a.kind.value,
                to_micros(a.deadline),
                a.resolved_at is not None,
                a.outcome,
            )
            for a in inserted
            if a.id is not None
        )
        # Only unresolved alerts are closed: their keys are there.
        self._remember(self._unresolved[i]._replace(resolved=True, outcome=o) for i, o in closed)
        raised = [RaisedAlert(a, numbers.get(a.case_id, "?")) for a in inserted]
        raised.sort(key=lambda r: (r.alert.deadline, r.alert.case_id, _KIND_ORDER[r.kind]))
        return raised, len(closed)


def sweep(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    *,
    tz: tzinfo,
    at_risk: timedelta,
    policies: PolicyLookup,
    actor: str = SYSTEM_ACTOR,
) -> SweepResult:
    """One sweep from scratch: raise every alert due now that does not exist yet.

    Reads every open case and the keys of their alerts (two lean queries; no write
    transaction unless there is something to write), applies the rules in Python, then
    inserts only the new alerts, each with an ``alert_raised`` event on its case (and a
    change in the feed), and closes stale ones. Any number of processes may sweep the same
    database at once: the unique key (case, kind, deadline) decides.
    """
    return Sweeper(uow_factory, clock, tz=tz, at_risk=at_risk, policies=policies, actor=actor)()


def _scan_unpromised(
    uow: UnitOfWork,
    books: dict[str, RuleBook | None],
    views: list[CaseClockView],
    now: int,
    tz: tzinfo,
    out: list[_Due],
) -> None:
    """Arrival alerts of cases without a promised arrival, from the whole case."""
    for case in uow.cases.list_by_ids(v.id for v in views):
        book = books.get(case.policy)
        if book is None:
            continue
        try:
            deadline = sla.deadline(book.policy, case, sla.ClockKind.ARRIVAL, tz)
        except ValidationError:
            continue  # no agreed time on a case that needs one: nothing to measure against
        if deadline is None:
            continue
        for check in book.checks(case.priority.value, case.plan.value):
            if check.arrival:
                ended = None if case.arrived_at is None else to_micros(case.arrived_at)
                assert case.id is not None
                _judge(case.id, check, to_micros(deadline), ended, now, out)


class _Parts(Protocol):
    @property
    def uow(self) -> Any: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def settings(self) -> Any: ...
    def change_feed(self) -> ChangeFeed: ...


def sweeper_for(
    container: _Parts, *, actor: str = SYSTEM_ACTOR, incremental: bool = True
) -> Sweeper:
    """The sweeper of a :class:`callcenter.bootstrap.Container`, configured from its settings.

    ``incremental``: between full reads it follows the container's change feed (the
    application, ``callcenter watch``); else every sweep reads everything (``--once``).
    Call it to sweep; close it when done.
    """
    settings = container.settings
    config_dir = settings.config_path.parent if settings.config_path else None
    return Sweeper(
        container.uow,
        container.clock,
        tz=settings.tz,
        at_risk=timedelta(minutes=settings.at_risk_minutes),
        policies=policy_lookup(config_dir),
        actor=actor,
        feed=container.change_feed if incremental else None,
    )


def describe(raised: RaisedAlert, tz: tzinfo) -> str:
    """One line for a raised alert: case number, kind, deadline in the centre's time zone."""
    deadline = raised.alert.deadline.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    line = f"{raised.case_number}  {raised.kind.label}  {deadline}"
    if raised.alert.outcome == OUTCOME_MISSED:
        line += "  " + _("(over before it was seen)")
    elif raised.alert.outcome == OUTCOME_ALREADY_TOLD:
        line += "  " + _("(owner already told)")
    return line


_ARRIVAL_VALUES = frozenset(k.value for k in ARRIVAL_ALERTS)
_KIND_ORDER = {kind: i for i, kind in enumerate(AlertKind)}


def _new_alert(due: _Due, now: datetime, actor: str, told: set[tuple[int, int]]) -> Alert:
    case_id, kind_value, deadline, missed = due
    kind = AlertKind(kind_value)
    alert = Alert(case_id=case_id, kind=kind, deadline=from_micros(deadline), raised_at=now)
    outcome = ""
    if missed:
        outcome = OUTCOME_MISSED
    elif kind in ARRIVAL_ALERTS and (case_id, deadline) in told:
        outcome = OUTCOME_ALREADY_TOLD
    if outcome:
        alert.resolved_at, alert.resolved_by, alert.outcome = now, actor, outcome
    return alert


def _raised_event(alert: Alert, now: datetime, actor: str) -> CaseEvent:
    details: dict[str, Any] = {
        "alert_id": alert.id,
        "kind": alert.kind.value,
        "deadline": alert.deadline.isoformat(),
    }
    if alert.outcome:
        details["outcome"] = alert.outcome
    return CaseEvent(alert.case_id, now, actor, "alert_raised", details)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the duration of one sweep.

    A full read makes tens of thousands of small objects (the views, the alert keys, what
    is due) that live until the sweep ends; each collection meanwhile walks them again, and
    every few sweeps a full one walks every object of the process: in the benchmark that
    took 30-50 ms a sweep, as long as the sweep itself. They form no cycles, so they are
    freed as usual once unused. Only the thread that switched the collector off switches it
    on again; one that found it off leaves it so.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _stale(unresolved: Iterable[AlertKey], cases: dict[int, CaseClockView]) -> dict[str, list[int]]:
    """Unresolved alerts nobody needs any more, by the outcome to close them with."""
    stale: dict[str, list[int]] = {}
    for key in unresolved:
        case = cases.get(key.case_id)
        if case is None:
            continue
        index = _STOPPED_INDEX.get(key.kind)
        if index is not None and case[index] is not None:
            stale.setdefault(OUTCOME_CLOCK_STOPPED, []).append(key.id)
        elif (
            key.kind in _ARRIVAL_VALUES
            and case[_PROMISED] is not None
            and case[_PROMISED] != key.deadline
        ):
            stale.setdefault(OUTCOME_SUPERSEDED, []).append(key.id)
    return stale


__all__ = [
    "ARRIVAL_ALERTS",
    "OUTCOME_ALREADY_TOLD",
    "OUTCOME_CLOCK_STOPPED",
    "OUTCOME_COVERED",
    "OUTCOME_MISSED",
    "OUTCOME_OWNER_TOLD",
    "OUTCOME_SUPERSEDED",
    "SYSTEM_ACTOR",
    "DueAlert",
    "PolicyLookup",
    "RaisedAlert",
    "RuleBook",
    "SweepResult",
    "Sweeper",
    "clock_view",
    "describe",
    "due_alerts",
    "from_micros",
    "policy_lookup",
    "sweep",
    "sweeper_for",
    "to_micros",
]
