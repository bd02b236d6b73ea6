"""The audit log viewer: who did (or tried to do) what, when — for supervisors and
administrators. Operators keep each case's timeline."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from callcenter import permissions, validation
from callcenter.errors import PermissionDenied, ValidationError, ValidationErrors
from callcenter.i18n import _
from callcenter.permissions import Action
from callcenter.ports import AuditEntry, AuditQuery, UnitOfWork
from callcenter.services.base import ServiceBase

PAGE = 100
_DAY_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


class AuditUseCases(ServiceBase):
    """Reading the general audit log."""

    def open_audit_log(self) -> None:
        """Refuse (and audit the refusal) unless this session may read the audit log."""
        self._may_read()

    def _may_read(self) -> None:
        """A read: the supervisor's read-only board may do it too (its role decides; a
        refusal there goes to the application log only, nothing can be written)."""
        if self.read_only and self.staff is not None:
            if self.staff.active and permissions.is_allowed(self.staff.role, Action.READ_AUDIT_LOG):
                return
            raise PermissionDenied(
                permissions.refusal(self.staff.display_name, self.staff.role, Action.READ_AUDIT_LOG)
            )
        self.require(Action.READ_AUDIT_LOG)

    def audit_query(
        self,
        *,
        person: str = "",
        action: str = "",
        since: str = "",
        until: str = "",
        refused_only: bool = False,
    ) -> AuditQuery:
        """The filter as typed: a person (username or display name), an action name, days
        ``since``..``until`` inclusive in the centre's zone (YYYY-MM-DD)."""
        errors: list[ValidationError] = []
        start = end = None
        try:
            start = self._day("since", since)
        except ValidationError as exc:
            errors.append(exc)
        try:
            end = self._day("until", until)
        except ValidationError as exc:
            errors.append(exc)
        if start and end and end < start:
            errors.append(ValidationError("until", _("The end is before the start.")))
        person = validation._nfkc(person).strip()
        action = validation._nfkc(action).strip().lower().replace(" ", "_")
        if errors:
            raise ValidationErrors(errors)
        return AuditQuery(
            actor=self._username(person) if person else "",
            action=action,
            since=datetime.combine(start, time.min, self.tz) if start else None,
            until=datetime.combine(end + timedelta(days=1), time.min, self.tz) if end else None,
            refused_only=refused_only,
        )

    def audit_page(self, query: AuditQuery, limit: int = PAGE) -> list[AuditEntry]:
        """One page of the audit log, newest first (keyset: ``query.before``)."""
        self._may_read()
        return self._read(lambda uow: uow.audit.page(query, limit))

    def _day(self, field: str, text: str) -> date | None:
        raw = validation._nfkc(text).strip()
        if not raw:
            return None
        match = _DAY_RE.fullmatch(raw)
        try:
            if match is None:
                raise ValueError
            return date(*(int(g) for g in match.groups()))
        except ValueError:
            raise ValidationError(field, _("A date is YYYY-MM-DD, e.g. 2026-03-15.")) from None

    def _username(self, person: str) -> str:
        def work(uow: UnitOfWork) -> str:
            for staff in uow.staff.list():
                if person in (staff.username, staff.display_name):
                    return staff.username
            return person

        return self._read(work)
