"""The SLA watch: one sweep over the open cases raises every alert that is due.

The rules (:class:`RuleBook`, :func:`due_alerts`) are pure: from a case's clock columns, its
policy and the instant they say which alerts are due, and when something more can next fall
due (the case's horizon). The sweep (:class:`Sweeper`, :func:`sweep`) reads the open cases
whose time has come by the schedule the database keeps (instants as integer microseconds,
see :class:`~callcenter.ports.CaseClockView`), applies the rules in Python, inserts what is
new and schedules the next look at each case. The application and ``callcenter watch`` run a
sweeper on an interval (:func:`callcenter.scheduler.make_scheduler`).

For the UI: ``sweeper = watch.sweeper_for(container)``; each
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

import dataclasses
import gc
import hashlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
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
from callcenter.ports import AlertKey, CaseClockView, UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

SYSTEM_ACTOR = "watch"
#: How often (seconds) a sweeper schedules the calls the calendar owes (maintenance).
FOLLOW_UPS_EVERY_S = 900.0

#: The clock had already stopped, late, when the sweep first saw the breach.
OUTCOME_MISSED = "missed"
#: An operator phoned the owner and reached them (set by :mod:`callcenter.services.delays`).
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
        case.version,
        _AT_ONCE,
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

    With ``horizons``, also note for each case judged the next instant at which, the case
    staying as it is, another alert could fall due (:data:`_NEVER`: none ever will; a case
    whose policy cannot be loaded is not judged and gets none).

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
        if horizons is not None:
            horizons[case_id] = horizon


#: The horizon of a case for which nothing more can fall due while it stays as it is: a
#: date the schedule can store (``watch_at``), after every deadline.
_NEVER = (datetime(9999, 1, 1, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(
    microseconds=1
)


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
    judged: int = 0  # open cases whose time had come (every one, the first time)
    closed: int = 0  # stale alerts this sweep resolved (clock stopped, promise extended)
    problems: tuple[str, ...] = ()  # e.g. a policy file that cannot be loaded
    duration: float = 0.0  # seconds of wall time
    query_seconds: float = 0.0  # of which reading
    write_seconds: float = 0.0  # of which writing
    #: Alerts of the complaints' clocks this sweep raised (callcenter.complaints.sweep).
    complaint_alerts: tuple[Any, ...] = ()

    @property
    def counts(self) -> dict[AlertKind, int]:
        return dict(Counter(r.kind for r in self.raised))

    @property
    def prompts(self) -> list[RaisedAlert]:
        """New alerts that ask an operator to call an owner (one bell each)."""
        return [r for r in self.raised if r.is_prompt]


class PolicyLookup(Protocol):
    """The SLA policies a sweeper judges by: ``name -> Policy``, and every name there is."""

    def __call__(self, name: str) -> sla.Policy: ...
    def names(self) -> list[str]: ...


@dataclass(frozen=True)
class Policies:
    """The presets and the site's policies (``<config dir>/policies``), loaded on demand
    (:func:`callcenter.sla.load_policy` caches each file until it changes)."""

    config_dir: Path | None = None

    def __call__(self, name: str) -> sla.Policy:
        return sla.load_policy(name, self.config_dir)

    def names(self) -> list[str]:
        return sla.available_policies(self.config_dir)


def policy_lookup(config_dir: Path | None = None) -> PolicyLookup:
    """``name -> Policy`` from the presets and the site's config directory (cached)."""
    return Policies(config_dir)


#: ``watch`` of a case scheduled at once (the epoch, ``storage.tables.WATCH_AT_ONCE``).
_AT_ONCE = 0


class Sweeper:
    """Sweeps again and again; each sweep judges only the cases whose time has come.

    The database keeps the schedule (the :class:`~callcenter.ports.WatchRepository` port,
    ``cases.watch_at``): for each open case, the instant from which something new can fall
    due for it, the case staying as it is (its *horizon*, see :func:`_scan`). Adding or
    saving a case schedules it at once. A sweep reads the cases scheduled up to now and the
    keys of their alerts, judges them, and in one transaction inserts the new alerts, closes
    the stale ones and writes each judged case's next look, unless the case was saved
    meanwhile (then it stays scheduled at once). So a sweep costs what changed or came due,
    whether this process swept before or not: the database remembers, not the process, as
    the next run time of a job does in APScheduler's job stores. The first sweep of a new
    (or newly migrated) database judges every open case.

    The schedule holds for the rules it was computed with: a fingerprint of the policies,
    the at-risk window and the time zone (:meth:`fingerprint`) is kept beside it, and a
    sweeper whose rules differ schedules every open case at once before it sweeps (after an
    edited policy file, say, the next sweep judges everything again).

    A case scheduled at once stays so while it needs a look at every sweep: no promised
    arrival to measure against (its deadline is worked out from the whole case each time),
    or a stale alert to close (an operator may hold it: it is closed once let go).

    One sweep at a time (the scheduler runs it with ``max_instances=1``); any number of
    processes may sweep the same database at once.
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
        follow_ups: Callable[[], object] | None = None,
        follow_ups_every: float = FOLLOW_UPS_EVERY_S,
        followups: Callable[[datetime], int] | None = None,
    ) -> None:
        self.uow = uow_factory
        # Work owed by the calendar rather than by a case's clock (the maintenance calls of
        # the customer archive): after a sweep, at most once every ``follow_ups_every`` s.
        self._follow_ups = follow_ups
        self._follow_ups_every = follow_ups_every
        self._follow_ups_next = 0.0
        #: Run after each sweep: owes the follow-up calls that fell due (the revisits);
        #: a failure is logged, never stops the SLA sweep.
        self.followups = followups
        self.clock = clock
        self.tz = tz
        self.at_risk = at_risk
        self.policies = policies
        self.actor = actor
        self._books: dict[str, RuleBook | None] = {}
        self._policy_errors: dict[str, str] = {}
        self._rules = ""  # the fingerprint the books were made for
        self._adopted = ""  # the fingerprint this sweeper last wrote to the database
        self._fingerprinted: tuple[list[tuple[str, sla.Policy | str]], str] | None = None

    def __call__(self) -> SweepResult:
        with _collector_paused():
            result = self._sweep()
        self._run_follow_ups()
        if self.followups is not None:
            try:
                self.followups(result.at)
            except Exception:
                log.exception("the follow-up calls' sweep failed")
        return result

    def _run_follow_ups(self) -> None:
        if self._follow_ups is None or time.monotonic() < self._follow_ups_next:
            return
        self._follow_ups_next = time.monotonic() + self._follow_ups_every
        try:
            self._follow_ups()
        except Exception:  # the SLA sweep's own result must still reach the desk
            log.exception("scheduling the follow-up calls failed")

    def fingerprint(self) -> str:
        """The rules this sweeper judges by, as a short hash: the time zone, the at-risk
        window and every policy's clocks and office hours (or why it cannot be loaded).

        Worked out again only when a policy was loaded anew (a file changed: the loader
        caches each file until then) or failed."""
        loaded: list[tuple[str, sla.Policy | str]] = []
        for name in self.policies.names():
            try:
                loaded.append((name, self.policies(name)))
            except CallCenterError as exc:
                loaded.append((name, str(exc)))
        seen = self._fingerprinted
        if (
            seen is not None
            and len(seen[0]) == len(loaded)
            and all(
                a == b and (p is q or p == q)
                for (a, p), (b, q) in zip(seen[0], loaded, strict=True)
            )
        ):
            return seen[1]
        parts = [f"tz={self.tz}", f"at_risk={self.at_risk}"]
        for name, policy in loaded:
            if isinstance(policy, str):
                parts.append(f"{name}: {policy}")
            else:
                rules = _canonical((policy.business_hours, policy.by_priority))
                parts.append(f"{name}: {rules!r}")
        digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]
        self._fingerprinted = (loaded, digest)
        return digest

    def _sweep(self) -> SweepResult:
        started = time.perf_counter()
        now = self.clock.now().astimezone(UTC)
        now_us = to_micros(now)
        rules = self.fingerprint()
        if rules != self._rules:  # first sweep, or a policy file changed
            self._books, self._rules = {}, rules
        problems: list[str] = []
        with self.uow(write=False) as uow:
            if uow.watch.rules() != rules:
                uow.rollback()
                problems.extend(self._adopt(rules, now))
            views = uow.watch.due(now)
            keys = uow.alerts.keys_of_cases(v.id for v in views) if views else []
            read = time.perf_counter()
            judged: list[_Due] = []
            horizons: dict[int, int] = {}
            unpromised: list[CaseClockView] = []
            _scan(self._book, views, now_us, judged, unpromised, horizons)
            if unpromised:  # no promised arrival (rare): the SLA engine works it out
                _scan_unpromised(uow, self._books, unpromised, now_us, self.tz, judged)
        known = {k[1:4] for k in keys}  # (case_id, kind, deadline)
        new = [d for d in judged if d[:3] not in known]
        by_id = {v.id: v for v in views}
        stale = _stale((k for k in keys if not k.resolved), by_id)
        # The next look at each judged case: its horizon, or at once when it needs a look
        # at every sweep (no promise: "now + 1"). Cases of a policy that cannot be loaded
        # have no horizon: they stay as they are.
        plan = {i: _AT_ONCE if h <= now_us + 1 else h for i, h in horizons.items()}
        computed = time.perf_counter()
        raised: list[RaisedAlert] = []
        closed = 0
        if new or stale or any(by_id[i].watch != w for i, w in plan.items()):
            raised, closed = self._write(new, stale, plan, by_id, keys, now)
        complaint_alerts = self._sweep_complaints(now, problems)
        done = time.perf_counter()
        problems.extend(self._policy_errors.values())
        return SweepResult(
            complaint_alerts=tuple(complaint_alerts),
            at=now,
            raised=tuple(raised),
            judged=len(views),
            closed=closed,
            problems=tuple(problems),
            duration=done - started,
            query_seconds=read - started,
            write_seconds=done - computed,
        )

    def _sweep_complaints(self, now: datetime, problems: list[str]) -> list[Any]:
        """The complaints' clocks (:mod:`callcenter.complaints.sweep`); a failure there is a
        problem of this sweep, not the end of it."""
        from callcenter.complaints.sweep import sweep_complaints

        try:
            return sweep_complaints(self.uow, now, self.policies, actor=self.actor, tz=self.tz)
        except CallCenterError as exc:
            log.error("SLA sweep: complaints: %s", exc)
            problems.append(_("The complaints could not be swept: {error}").format(error=exc))
            return []

    def _adopt(self, rules: str, now: datetime) -> list[str]:
        """Schedule every open case at once for ``rules``; say so when another sweeper had
        replaced the rules this one recorded (sessions with different rules)."""
        clash = self._adopted == rules
        with self.uow(write=True) as uow:
            count = uow.watch.adopt(rules, at=now, by=self.actor)
            if count is not None:  # None: another sweeper with these rules was first
                uow.commit()
        self._adopted = rules  # recorded, by this sweeper or one with the same rules
        if count is None:
            return []
        log.info("SLA sweep: new rules %s: %d open cases judged afresh", rules, count)
        if not clash:
            return []
        problem = _(
            "Another session sweeps this database with different SLA rules (policy files, "
            "at-risk minutes or time zone): every sweep judges every open case again."
        )
        log.warning("SLA sweep: %s", problem)
        return [problem]

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

    def _write(
        self,
        new: list[_Due],
        stale: dict[str, list[int]],
        plan: dict[int, int],
        views: dict[int, CaseClockView],
        keys: list[AlertKey],
        now: datetime,
    ) -> tuple[list[RaisedAlert], int]:
        told = {
            (k.case_id, k.deadline)
            for k in keys
            if k.outcome == OUTCOME_OWNER_TOLD and k.kind in _ARRIVAL_VALUES
        }
        alerts = sorted(
            (_new_alert(d, now, self.actor, told) for d in new),
            key=lambda a: (a.case_id, a.kind.value, a.deadline),
        )
        # A case with a stale alert is looked at again at the next sweep, which finds it
        # closed (or still held by an operator, who may let go of it).
        for ids in stale.values():
            plan.update((case_id, _AT_ONCE) for case_id in _cases_of(ids, keys))
        changed = [
            (i, views[i].version, from_micros(w)) for i, w in plan.items() if views[i].watch != w
        ]
        closed = 0
        with self.uow(write=True) as uow:
            # The cases first (in the order of their ids), then the alerts: an operator's
            # transaction takes an alert then its case (a delay call), or a case alone, and
            # closing takes only the alerts nobody holds (SKIP LOCKED), so none waits for
            # the other in a circle.
            uow.watch.schedule(changed)
            for outcome, ids in stale.items():
                closed += len(
                    uow.alerts.resolve_unclaimed(ids, at=now, by=self.actor, outcome=outcome)
                )
            inserted = uow.alerts.insert_new(alerts)
            uow.events.append_many([_raised_event(a, now, self.actor) for a in inserted])
            numbers = uow.cases.numbers(a.case_id for a in inserted) if inserted else {}
            uow.commit()
        raised = [RaisedAlert(a, numbers.get(a.case_id, "?")) for a in inserted]
        raised.sort(key=lambda r: (r.alert.deadline, r.alert.case_id, _KIND_ORDER[r.kind]))
        return raised, closed


def sweep(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    *,
    tz: tzinfo,
    at_risk: timedelta,
    policies: PolicyLookup,
    actor: str = SYSTEM_ACTOR,
) -> SweepResult:
    """One sweep: raise every alert due now that does not exist yet (``watch --once``).

    Reads the cases whose time has come and the keys of their alerts (no write transaction
    unless there is something to write), applies the rules in Python, then inserts only the
    new alerts, each with an ``alert_raised`` event on its case (and a change in the feed),
    closes stale ones and schedules the next look at each case. Any number of processes may
    sweep the same database at once: the unique key (case, kind, deadline) decides.
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
    @property
    def services(self) -> Any: ...


def sweeper_for(container: _Parts, *, actor: str = SYSTEM_ACTOR) -> Sweeper:
    """The sweeper of a :class:`callcenter.bootstrap.Container`, configured from its settings
    (the application, ``callcenter watch``). Call it to sweep."""
    from callcenter.services import Services
    from callcenter.services.calls import FollowUpSweep

    settings = container.settings
    config_dir = settings.config_path.parent if settings.config_path else None
    policies = policy_lookup(config_dir)
    # A trusted internal session (no staff: no role is checked), as the sweep's own writes.
    system = Services(
        container.uow,
        container.clock,
        tz=settings.tz,
        policy=getattr(container, "policy", None) or sla.load_policy(settings.policy, config_dir),
        actor=actor,
    )
    return Sweeper(
        container.uow,
        container.clock,
        tz=settings.tz,
        at_risk=timedelta(minutes=settings.at_risk_minutes),
        policies=policies,
        actor=actor,
        follow_ups=system.schedule_maintenance_calls,
        followups=FollowUpSweep(container.services),
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

    A sweep that judges every open case (the first on a database) makes tens of thousands
    of small objects (the views, the alert keys, what is due) that live until it ends; each
    collection meanwhile walks them again, and every few sweeps a full one walks every
    object of the process: in the benchmark that took 30-50 ms, as long as the reading.
    They form no cycles, so they are freed as usual once unused. Only the thread that
    switched the collector off switches it on again; one that found it off leaves it so.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _cases_of(alert_ids: list[int], keys: list[AlertKey]) -> set[int]:
    wanted = set(alert_ids)
    return {k.case_id for k in keys if k.id in wanted}


def _canonical(value: Any) -> Any:
    """``value`` (dataclasses, mappings, sets, sequences of them) in a form whose ``repr`` is
    the same in every process: sets are ordered (their order follows string hashes, which
    differ from one process to the next)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = dataclasses.fields(value)
        return (
            type(value).__name__,
            [(f.name, _canonical(getattr(value, f.name))) for f in fields],
        )
    if isinstance(value, Mapping):
        return sorted((repr(_canonical(k)), _canonical(v)) for k, v in value.items())
    if isinstance(value, set | frozenset):
        return sorted(repr(_canonical(v)) for v in value)
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return str(value)


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
