"""Staff: who works in the centre, in which role, and who this session is.

The session's user is the OS login, read from the password database by uid (never from
``LOGNAME``/``USER``): SSH keys are the authentication, so an operator's session is who logged
in. ``CALLCENTER_USER`` stands in for the login in tests and demos, and only for the account
that owns the database (``bootstrap.build`` refuses it otherwise); every audit row of such a
session also records the real login (``details["os_user"]``).

The first user of a database with no staff yet becomes its administrator, and is told so.
After that only an active administrator manages staff (``callcenter staff …``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from callcenter.domain import Role, Staff
from callcenter.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from callcenter.i18n import _
from callcenter.permissions import Action
from callcenter.ports import AuditEntry, UnitOfWork
from callcenter.services.base import ServiceBase

log = logging.getLogger(__name__)
USERNAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}$")
ROLE_NAMES: dict[str, Role] = {
    "operator": Role.OPERATOR,
    "supervisor": Role.SUPERVISOR,
    "admin": Role.ADMIN,
    "administrator": Role.ADMIN,
    "接线员": Role.OPERATOR,
    "主管": Role.SUPERVISOR,
    "管理员": Role.ADMIN,
}


class IdentityRefused(PermissionDenied):
    """Someone asked to act as another user (``CALLCENTER_USER``) without owning the
    database."""


class NotStaff(PermissionDenied):
    """The OS user is not active staff: the application does not open for them."""

    def __init__(self, username: str, disabled: bool = False) -> None:
        if disabled:
            message = _(
                "The staff account of {user} is disabled: ask an administrator to run "
                "callcenter staff add {user} --name NAME --role operator"
            ).format(user=username)
        else:
            message = _(
                "You are not on the staff of this call centre (user {user}): ask an "
                "administrator to run callcenter staff add {user} --name NAME --role operator"
            ).format(user=username)
        super().__init__(message)
        self.username = username
        self.disabled = disabled


@dataclass(frozen=True)
class Identity:
    """Who this session acts for; ``first_admin`` when this start made them administrator."""

    staff: Staff
    first_admin: bool = False


def parse_role(text: str) -> Role:
    role = ROLE_NAMES.get(text.strip().lower())
    if role is None:
        raise ValidationError(
            "role", _("Unknown role {role!r}: operator, supervisor or admin.").format(role=text)
        )
    return role


def check_username(text: str) -> str:
    name = text.strip()
    if not USERNAME.match(name):
        raise ValidationError(
            "username",
            _("{user!r} is not a login name (letters, digits, _ . @ -; at most 64).").format(
                user=text
            ),
        )
    return name


def check_display_name(text: str) -> str:
    from callcenter.validation import check_text

    check_text("display_name", text, 1000)  # control characters before split() hides them
    name = " ".join(text.split())
    if not name or len(name) > 100:
        raise ValidationError("display_name", _("A display name has 1 to 100 characters."))
    return name


def claim_first_admin(services: ServiceBase, username: str) -> Staff | None:
    """On a database without staff, make ``username`` its administrator; None otherwise."""
    if services.read_only:
        return None

    def work(uow: UnitOfWork) -> Staff | None:
        if uow.staff.list():
            return None
        return uow.staff.add(Staff(username, username, Role.ADMIN))

    if services.read(lambda uow: bool(uow.staff.list())):
        return None
    return services.write(work, action=Action.MANAGE_STAFF, entity="staff")


def identify(services: ServiceBase, username: str, *, read_only: bool = False) -> Identity:
    """The active member of staff ``username``, or :class:`NotStaff` (logged and audited).

    A database without any staff makes ``username`` its first administrator (not a
    read-only session: it cannot write).
    """
    first = None if read_only else claim_first_admin(services, username)
    if first is not None:
        return Identity(first, first_admin=True)
    staff = services.read(lambda uow: uow.staff.get(username))
    if staff is not None and staff.active:
        return Identity(staff)
    refused = NotStaff(username, disabled=staff is not None)
    if not read_only:
        _audit_refused_session(services, username, refused)
    log.warning("refused a session to %s: %s", username, refused)
    raise refused


def _audit_refused_session(services: ServiceBase, username: str, refused: NotStaff) -> None:
    entry = AuditEntry(
        at=services.clock.now(),
        actor=username,
        action="open_session",
        entity="staff",
        allowed=False,
        details={
            **services.audit_details,
            "refused": "disabled" if refused.disabled else "not_staff",
        },
    )
    services.audit_refusal(entry)


class StaffUseCases(ServiceBase):
    """Staff use-cases every session has."""

    def ensure_staff(self, username: str, display_name: str, role: Role) -> Staff:
        def work(uow: UnitOfWork) -> Staff:
            existing = uow.staff.get(username)
            if existing:
                return existing
            return uow.staff.add(Staff(username, display_name, role))

        return self._write(work, action=Action.MANAGE_STAFF)


class StaffDirectory:
    """The staff use-cases (administrator only): add, list, disable, change a role."""

    def __init__(self, services: ServiceBase) -> None:
        self.services = services

    def list(self) -> list[Staff]:
        self.services.require(Action.MANAGE_STAFF, entity="staff")
        return self.services.read(lambda uow: uow.staff.list())

    def add(self, username: str, display_name: str = "", role: Role = Role.OPERATOR) -> Staff:
        """Add a member of staff; an account that was disabled is enabled again."""
        username = check_username(username)
        display_name = check_display_name(display_name or username)

        def work(uow: UnitOfWork) -> Staff:
            existing = uow.staff.get(username)
            if existing is not None and existing.active:
                raise InvalidTransition(
                    _("{user} is already staff ({role}).").format(
                        user=username, role=existing.role.label
                    )
                )
            if existing is not None:
                existing.display_name, existing.role, existing.active = display_name, role, True
                self.services.note(enabled_again=True, role=role.value)
                return uow.staff.save(existing)
            self.services.note(role=role.value, display_name=display_name)
            return uow.staff.add(Staff(username, display_name, role))

        return self.services.write(work, action=Action.MANAGE_STAFF, entity="staff")

    def disable(self, username: str) -> Staff:
        def work(uow: UnitOfWork) -> Staff:
            staff = self._get(uow, username)
            if not staff.active:
                raise InvalidTransition(_("{user} is already disabled.").format(user=username))
            self._keep_an_admin(uow, staff, active=False, role=staff.role)
            staff.active = False
            self.services.note(disabled=True)
            return uow.staff.save(staff)

        return self.services.write(work, action=Action.MANAGE_STAFF, entity="staff")

    def set_role(self, username: str, role: Role) -> Staff:
        def work(uow: UnitOfWork) -> Staff:
            staff = self._get(uow, username)
            self._keep_an_admin(uow, staff, active=staff.active, role=role)
            self.services.note(role=role.value, previous=staff.role.value)
            staff.role = role
            return uow.staff.save(staff)

        return self.services.write(work, action=Action.MANAGE_STAFF, entity="staff")

    @staticmethod
    def _get(uow: UnitOfWork, username: str) -> Staff:
        staff = uow.staff.get(username.strip())
        if staff is None:
            raise NotFound(_("{user} is not staff.").format(user=username))
        return staff

    @staticmethod
    def _keep_an_admin(uow: UnitOfWork, staff: Staff, *, active: bool, role: Role) -> None:
        """The centre always keeps one active administrator."""
        if staff.role is not Role.ADMIN or not staff.active or (active and role is Role.ADMIN):
            return
        others = [
            s
            for s in uow.staff.list()
            if s.active and s.role is Role.ADMIN and s.username != staff.username
        ]
        if not others:
            raise InvalidTransition(
                _(
                    "{user} is the last active administrator: make someone else "
                    "administrator first."
                ).format(user=staff.username)
            )


def describe(staff: Staff) -> str:
    """One line of ``callcenter staff list``."""
    from callcenter.text import visible

    state = _("active") if staff.active else _("disabled")
    columns = ((staff.username, 16), (staff.role.label, 10), (state, 8))
    # Padded by display cells (a Chinese role or state is two cells a character).
    padded = "".join(text + " " * max(width - _cells(text), 0) + " " for text, width in columns)
    return padded + visible(staff.display_name)


def _cells(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
