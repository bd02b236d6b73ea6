"""The one write path: permission, version check, event, audit row, change feed.

Every use-case family of :mod:`callcenter.services` derives from :class:`ServiceBase`; a
feature defined elsewhere writes through :meth:`ServiceBase.write`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from callcenter import permissions, sla
from callcenter.calls.model import CallAttempt, CallTask
from callcenter.clock import Clock
from callcenter.complaints.model import Escalation, EscalationKind
from callcenter.domain import (
    Case,
    CaseEvent,
    Crew,
    Customer,
    Role,
    Staff,
)
from callcenter.errors import (
    ConcurrencyConflict,
    NotFound,
    PermissionDenied,
)
from callcenter.i18n import _
from callcenter.ports import AuditEntry, UnitOfWork, UnitOfWorkFactory

T = TypeVar("T")
log = logging.getLogger(__name__)


class ServiceBase:
    """The one write path of a session, bound to its database, clock, user and settings.

    Every write of every feature goes through :meth:`write` (or ``_write``): the permission
    check, the version check of what it changes (``_case`` and the like raise
    :class:`ConcurrencyConflict`), the event, the audit row in the same transaction, and the
    change feed (written by the unit of work at commit). Use-case families derive from it.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        *,
        tz: ZoneInfo,
        policy: sla.Policy,
        actor: str,
        speed_kmh: float = 40.0,
        depot: tuple[float, float] = (22.5431, 114.0579),
        read_only: bool = False,
        staff: Staff | None = None,
        audit_details: dict[str, Any] | None = None,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.tz = tz
        self.policy = policy
        self.actor = actor
        self.speed_kmh = speed_kmh
        self.depot = depot
        self.read_only = read_only
        # The member of staff this session acts for (bootstrap identifies them). None is a
        # trusted internal caller (the sweep, the demo generator): no role is checked.
        self.staff = staff
        # Added to every audit row of this session (e.g. the real OS login).
        self.audit_details = dict(audit_details or {})
        self._local = threading.local()  # the write in progress on this thread
        self._names: dict[str, str] = {}

    # -- who may do what -------------------------------------------------------------
    @property
    def role(self) -> Role | None:
        return self.staff.role if self.staff is not None else None

    def may(self, action: str) -> bool:
        """Whether this session may take ``action`` now (for hiding keys; not the check)."""
        if self.read_only:
            return False
        if self.staff is None:
            return True
        return self.staff.active and permissions.is_allowed(self.staff.role, action)

    def require(
        self, action: str, *, entity: str = "", entity_id: int | None = None, **details: Any
    ) -> None:
        """Refuse ``action`` unless this session's role allows it.

        A refusal raises :class:`PermissionDenied` with the translated reason, goes to the
        application log, and to the audit log (``allowed=False``) once the write transaction
        it happened in has been rolled back. Call it inside a write (``_write``'s ``work``)
        or before one, e.g. ``services.require(Action.EXTEND_WITHOUT_FORCE_MAJEURE)``.
        """
        if self.read_only:
            self._refuse(
                action, _("This board is read-only."), "read_only", entity, entity_id, details
            )
        if self.staff is None:
            return
        if not self.staff.active:
            self._refuse(
                action,
                _("{user} is no longer active staff: ask an administrator.").format(
                    user=self.staff.username
                ),
                "inactive",
                entity,
                entity_id,
                details,
            )
        if not permissions.is_allowed(self.staff.role, action):
            self._refuse(
                action,
                permissions.refusal(self.staff.display_name, self.staff.role, action),
                "role",
                entity,
                entity_id,
                details,
            )

    def _refuse(
        self,
        action: str,
        reason: str,
        code: str,
        entity: str,
        entity_id: int | None,
        details: dict[str, Any],
    ) -> None:
        log.warning("refused %s to %s (%s): %s", action, self.actor, code, reason)
        exc = PermissionDenied(reason)
        entry = AuditEntry(
            at=self.clock.now(),
            actor=self.actor,
            action=str(action),
            entity=entity,
            entity_id=entity_id,
            allowed=False,
            details=_jsonable(
                {
                    **self.audit_details,
                    **details,
                    "refused": code,
                    "role": self.role.value if self.role else None,
                }
            ),
        )
        if self.read_only:
            raise exc  # nothing can be written: the application log has it
        if getattr(self._local, "depth", 0):
            exc.audit_entry = entry  # type: ignore[attr-defined]  # _write records it
            raise exc
        self._record_refusal(entry)
        raise exc

    def _record_refusal(self, entry: AuditEntry) -> None:
        """Write a refusal to the audit log in its own transaction."""
        try:
            with self.uow(write=True) as uow:
                uow.audit.append(entry)
                uow.commit()
        except Exception:  # the refusal itself must still reach the user
            log.exception("could not write the refusal of %s to the audit log", entry.action)

    def _refresh_staff(self, uow: UnitOfWork) -> None:
        """Re-read this session's role in the write transaction: changes apply at once."""
        if self.staff is None:
            return
        current = uow.staff.get(self.actor)
        if current is None:
            current = Staff(
                self.staff.username,
                self.staff.display_name,
                self.staff.role,
                active=False,
                id=self.staff.id,
            )
        self.staff = current
        self._names[current.username] = current.display_name

    def _note(self, action: str | None = None, **details: Any) -> None:
        """Inside a write: name the action taken (when the state decided it) and add details
        to its audit row."""
        if action is not None:
            self._local.action = str(action)
        self._local.details.update(details)

    def _who(self, uow: UnitOfWork, username: str | None) -> str:
        """A member of staff's display name (their username when they have none)."""
        if not username:
            return "?"
        if username not in self._names:
            staff = uow.staff.get(username)
            self._names[username] = (
                staff.display_name if staff and staff.display_name else (username)
            )
        return self._names[username]

    def display_name(self, username: str) -> str:
        """The display name of ``username`` for messages ("changed by 王芳 at 22:31")."""
        if username in self._names:
            return self._names[username]
        return self._read(lambda uow: self._who(uow, username))

    # -- helpers ---------------------------------------------------------------------
    def _write(
        self,
        work: Callable[[UnitOfWork], T],
        *,
        action: str | None = None,
        entity: str = "",
        entity_id: int | None = None,
    ) -> T:
        """Run ``work`` in one write transaction, after the permission check, and add the
        audit row of the change to the same transaction."""
        action = str(action or _action_name(work))
        if self.read_only:
            self.require(action, entity=entity, entity_id=entity_id)
        outer = not getattr(self._local, "depth", 0)
        if outer:
            self._local.depth = 0
            self._local.action = action
            self._local.details = {}
        self._local.depth += 1
        try:
            with self.uow(write=True) as uow:
                self._refresh_staff(uow)
                self.require(action, entity=entity, entity_id=entity_id)
                result = work(uow)
                if outer:
                    kind, ident = _entity_of(result)
                    uow.audit.append(
                        AuditEntry(
                            at=self.clock.now(),
                            actor=self.actor,
                            action=self._local.action,
                            entity=entity or kind,
                            entity_id=entity_id if entity_id is not None else ident,
                            allowed=True,
                            details=_jsonable({**self.audit_details, **self._local.details}),
                        )
                    )
                uow.commit()
                return result
        except PermissionDenied as exc:
            entry = getattr(exc, "audit_entry", None)
            if outer and entry is not None:
                del exc.audit_entry  # type: ignore[attr-defined]
                self._record_refusal(entry)
            raise
        finally:
            self._local.depth -= 1

    def read(self, work: Callable[[UnitOfWork], T]) -> T:
        """A read use-case defined outside this class, in one read transaction."""
        return self._read(work)

    def note(self, action: str | None = None, **details: Any) -> None:
        """Inside :meth:`write`: see :meth:`_note`."""
        self._note(action, **details)

    def audit_refusal(self, entry: AuditEntry) -> None:
        """Record a refusal decided outside the services (e.g. a session not opened)."""
        self._record_refusal(entry)

    def write(
        self,
        work: Callable[[UnitOfWork], T],
        *,
        action: str,
        entity: str = "",
        entity_id: int | None = None,
    ) -> T:
        """A write use-case defined outside this class (e.g. the staff directory, the call
        desk): checked, audited and committed like every other."""
        return self._write(work, action=action, entity=entity, entity_id=entity_id)

    def _read(self, work: Callable[[UnitOfWork], T]) -> T:
        with self.uow(write=False) as uow:
            return work(uow)

    # -- hooks of the use-case families (inside a write) ---------------------------------
    def after_call_attempt(self, uow: UnitOfWork, task: CallTask, attempt: CallAttempt) -> None:
        """The call desk recorded ``attempt`` of ``task`` (``task`` already updated): what it
        means beyond the desk (the feedback call stamps the case). Nothing by default."""

    def after_cancel(self, uow: UnitOfWork, case: Case) -> None:
        """``case`` was cancelled: close what it still had open. Nothing by default."""

    def after_take_call(self, uow: UnitOfWork, case: Case) -> None:
        """``case`` was just registered (it has its id and number). Nothing by default."""

    def raise_escalation(
        self,
        uow: UnitOfWork,
        kind: EscalationKind,
        key: str,
        summary: str,
        *,
        case_id: int | None = None,
        complaint_id: int | None = None,
        crew_id: int | None = None,
    ) -> Escalation | None:
        """Inside a write: send something to the supervisors at once (one line on every
        supervisor's board until one acknowledges it). Once per ``key``: None when it was
        raised before."""
        raised = uow.escalations.add_if_absent(
            Escalation(
                kind=kind,
                key=key[:80],
                raised_at=self.clock.now(),
                raised_by=self.actor,
                summary=summary[:1000],
                case_id=case_id,
                complaint_id=complaint_id,
                crew_id=crew_id,
            )
        )
        depth: int = getattr(self._local, "depth", 0)
        if raised is not None and depth:
            self._note(escalation=kind.value)
        return raised

    def _event(self, uow: UnitOfWork, case: Case, kind: str, **details: Any) -> None:
        assert case.id is not None
        uow.events.append(
            CaseEvent(case.id, self.clock.now(), self.actor, kind, _jsonable(details))
        )

    def case_event(self, uow: UnitOfWork, case_id: int, event: str, **details: Any) -> None:
        """Inside a write: add the line ``event`` to the timeline of case ``case_id``."""
        uow.events.append(
            CaseEvent(case_id, self.clock.now(), self.actor, event, _jsonable(details))
        )

    def _case(self, uow: UnitOfWork, case_id: int, version: int | None) -> Case:
        case = uow.cases.get(case_id)
        if case is None:
            raise NotFound(_("Case {id} not found.").format(id=case_id))
        if version is not None and case.version != version:
            who = self._who(uow, case.updated_by)
            raise ConcurrencyConflict(
                _("Case {number} was changed by {who} at {when}.").format(
                    number=case.number,
                    who=who,
                    when=self.local(case.updated_at) if case.updated_at else "?",
                ),
                changed_by=who,
                changed_at=case.updated_at,
            )
        return case

    def _touch(self, case: Case) -> None:
        case.updated_at = self.clock.now()
        case.updated_by = self.actor

    def _touch_crew(self, crew: Crew) -> None:
        """Stamp who changed ``crew`` and when (a conflict on the crew names them)."""
        crew.updated_at = self.clock.now()
        crew.updated_by = self.actor

    def local(self, instant: datetime, fmt: str = "%H:%M") -> str:
        return instant.astimezone(self.tz).strftime(fmt)


def _action_name(work: Callable[..., object]) -> str:
    """The use-case a ``work`` closure belongs to: ``Services.notify_delay.<locals>.work`` →
    ``notify_delay`` (the audit log's action when none is given)."""
    qualname = getattr(work, "__qualname__", "") or "write"
    return qualname.split(".<locals>", 1)[0].rsplit(".", 1)[-1]


def _entity_of(result: object) -> tuple[str, int | None]:
    """The audit log's (entity, id) of what a write returned."""
    kinds: tuple[tuple[type, str], ...] = (
        (Case, "case"),
        (Crew, "crew"),
        (Customer, "customer"),
        (Staff, "staff"),
    )
    for cls, name in kinds:
        if isinstance(result, cls):
            return name, getattr(result, "id", None)
    other = {
        "Alert": "alert",
        "CallTask": "call_task",
        "Complaint": "complaint",
        "Escalation": "escalation",
    }.get(type(result).__name__)
    if other is not None:
        return other, getattr(result, "id", None)
    return "", None


def _jsonable(details: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in details.items():
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, timedelta):
            value = value.total_seconds()
        out[key] = value
    return out
