"""The shift-handover digest (交接班, issue 14 §3): read what the next shift must know, and
keep who read it.

* :meth:`HandoverUseCases.handover` — the digest since the current shift began (or since
  ``since``): one read transaction, then the pure builder :func:`callcenter.handover.build`.
* :meth:`HandoverUseCases.mark_handover_read` — this session's member of staff has read the
  current shift's handover: who and when are kept once (through the one write path: role,
  audit row, change feed); a second time changes nothing and says when it was read.

The shift boundaries are the setting ``shift_starts`` (bootstrap sets ``shift_starts``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from callcenter import handover as digest_mod
from callcenter import sla
from callcenter.handover import DEFAULT_SHIFT_STARTS, Digest, Facts, HandoverRead
from callcenter.permissions import Action
from callcenter.ports import UnitOfWork
from callcenter.services.base import ServiceBase


@dataclass(frozen=True)
class ReadResult:
    """What marking the handover read did: ``read`` is the reading kept; ``already`` is True
    when this reader had read that shift's handover before (nothing was written)."""

    read: HandoverRead
    already: bool


class HandoverUseCases(ServiceBase):
    """The shift-handover digest and who read it."""

    #: When the shifts begin, in the centre's zone (setting ``shift_starts``).
    shift_starts: tuple[time, ...] = DEFAULT_SHIFT_STARTS
    #: The arrival clock's at-risk window of the session (setting ``at_risk_minutes``).
    arrival_at_risk: timedelta | None = None

    def current_shift(self, now: datetime | None = None) -> tuple[datetime, datetime]:
        """(start, end) of the shift ``now`` falls in, UTC."""
        at = now or self.clock.now()
        start = digest_mod.shift_start(at, self.tz, self.shift_starts)
        return start, digest_mod.shift_after(start, self.tz, self.shift_starts)

    def handover_since(self, text: str) -> datetime:
        """``HH:MM`` typed in the centre's zone → the latest such instant not in the future.
        Raises ValidationError (field ``since``)."""
        return digest_mod.since_from_text(text, self.clock.now(), self.tz)

    def handover(self, *, since: datetime | None = None) -> Digest:
        """Everything the next shift must know since ``since`` (default: since the current
        shift began), with who has read the current shift's handover."""
        from callcenter.calls import kinds

        now = self.clock.now()
        start, end = self.current_shift(now)
        next_end = digest_mod.shift_after(end, self.tz, self.shift_starts)
        begin = since if since is not None else start
        own = [
            k
            for k in kinds.all_kinds()
            if not k.external and k.name not in digest_mod.LEFT_OUT_CALLS
        ]

        def work(uow: UnitOfWork) -> Facts:
            open_cases = uow.cases.list_open()
            ids = {c.id for c in open_cases if c.id is not None}
            facts = Facts(open_cases=open_cases)
            for case in open_cases:
                found = sla.next_due(
                    self.policy, case, self.tz, arrival_at_risk=self.arrival_at_risk
                )
                if found is not None and case.id is not None:
                    facts.due[case.id] = (found.kind.value, found.kind.label, found.deadline)
            late = [i for i, (_kind, _label, at) in facts.due.items() if at < now]
            facts.delay_calls = uow.handover.last_delay_calls(late) if late else {}
            facts.arrival_alerts = uow.alerts.unresolved_of_open_cases(digest_mod.ARRIVAL_KINDS)
            facts.tasks = uow.calls.open_due(next_end, [k.name for k in own])
            facts.task_titles = {k.name: k.title for k in own}
            facts.surveys = uow.handover.unanswered_surveys(begin)
            facts.complaints = uow.handover.complaints_new_or_open(begin)
            facts.escalations = uow.escalations.recent(now, unacknowledged_only=True)
            facts.crews = uow.crews.list()
            facts.unaccepted = [c for c in open_cases if c.service_state == "not_accepted"]
            wanted = {t.case_id for t in facts.tasks if t.case_id is not None}
            wanted |= {s.case_id for s in facts.surveys}
            wanted |= {c.case_id for c in facts.complaints if c.case_id is not None}
            wanted |= {e.case_id for e in facts.escalations if e.case_id is not None}
            wanted -= ids
            facts.other_cases = {c.id: c for c in uow.cases.list_by_ids(wanted) if c.id is not None}
            customer_ids = {
                t.customer_id
                for t in facts.tasks
                if t.customer_id is not None and t.case_id is None
            }
            if customer_ids:
                facts.customers = {
                    c.id: c.name for c in uow.customers.by_ids(customer_ids) if c.id is not None
                }
            facts.reads = uow.handover.reads(start)
            people = {r.username for r in facts.reads}
            people |= {a.claimed_by for a in facts.arrival_alerts if a.claimed_by}
            facts.names = {u: self._who(uow, u) for u in people}
            return facts

        facts = self._read(work)
        return digest_mod.build(facts, now=now, since=begin, shift_start=start, next_end=next_end)

    def handover_reads(self, shift_start: datetime | None = None) -> list[HandoverRead]:
        """Who read the handover of the shift that began at ``shift_start`` (default: the
        current shift)."""
        start = shift_start or self.current_shift()[0]
        return self._read(lambda uow: uow.handover.reads(start))

    def mark_handover_read(self) -> ReadResult:
        """This session's reader has read the current shift's handover: kept once, with the
        time; a second time writes nothing and returns the first reading (``already``)."""
        now = self.clock.now()
        start, _end = self.current_shift(now)

        def work(uow: UnitOfWork) -> ReadResult:
            added = uow.handover.add_read(HandoverRead(start, self.actor, now))
            if added is not None:
                self._note(shift_start=start)
                return ReadResult(added, False)
            first = next(r for r in uow.handover.reads(start) if r.username == self.actor)
            return ReadResult(first, True)

        # Already read: nothing to write (and no audit row); the write path checks the role.
        existing = next((r for r in self.handover_reads(start) if r.username == self.actor), None)
        if existing is not None and not self.read_only:
            return ReadResult(existing, True)
        return self._write(
            work, action=Action.READ_HANDOVER, entity="handover_read", entity_id=None
        )
