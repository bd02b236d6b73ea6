"""Who may do what: each role's allowed actions, as data.

The services check these (``Services.require``); screens may use :func:`is_allowed` to hide
what a role cannot do, but hiding a key is never the check itself. Every action name here is
also what the audit log records in its ``action`` column.

An action missing from every role's set is everyday work: the services allow it to every
active member of staff (see :func:`is_known`). New restricted actions must be added here.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from callcenter.domain import Role
from callcenter.i18n import N_, _


class Action(StrEnum):
    """Things that change the database (and the audit log's ``action`` column)."""

    # everyday work at the desk (operator)
    TAKE_CALL = "take_call"
    AGREE_FEE = "agree_fee"
    DISPATCH = "dispatch"
    EN_ROUTE = "en_route"
    ARRIVE = "arrive"
    COMPLETE = "complete"
    REPORT_BACK = "report_back"
    CLOSE = "close"
    CANCEL = "cancel"  # a case nobody was dispatched to yet
    NOTIFY_DELAY = "notify_delay"
    EXTEND_DEADLINE = "extend_deadline"  # with a force-majeure reason
    CLAIM_ALERT = "claim_alert"
    RESOLVE_ALERT = "resolve_alert"
    SCHEDULE_CALL = "schedule_call"  # owe a call on the desk (a promised call-back, ...)
    CLAIM_CALL = "claim_call"
    RECORD_CALL = "record_call"
    RECORD_SERVICE = "record_service"
    RECORD_FEEDBACK = "record_feedback"
    EDIT_CUSTOMER = "edit_customer"
    RECORD_COMPLAINT = "record_complaint"
    UPDATE_CREW = "update_crew"  # status and position radioed in by the crew
    READ_HANDOVER = "read_handover"  # the shift-handover digest read (who and when kept)
    # the supervisor's decisions
    REASSIGN_CREW = "reassign_crew"
    SET_CREW_DUTY = "set_crew_duty"  # off duty, out of service, back on duty: with a reason
    CANCEL_DISPATCHED = "cancel_dispatched"
    EXTEND_WITHOUT_FORCE_MAJEURE = "extend_without_force_majeure"
    EDIT_POLICY = "edit_policy"
    EDIT_TARIFF = "edit_tariff"
    CLOSE_COMPLAINT = "close_complaint"
    ACKNOWLEDGE_ESCALATION = "acknowledge_escalation"  # a supervisor has seen it
    RELEASE_OTHERS_CALL = "release_others_call"  # free a call an absent operator holds
    VOID_RECORD = "void_record"  # declare a service record void, with a reason
    IMPORT_LEDGER = "import_ledger"  # bring an old ledger's rows in as historical cases
    READ_AUDIT_LOG = "read_audit_log"  # the audit log viewer (a read, refused and audited)
    READ_REPORTS = "read_reports"  # the monthly report and the KPI dashboard (a read)
    # the administrator's
    MANAGE_STAFF = "manage_staff"


OPERATOR: frozenset[Action] = frozenset(
    {
        Action.TAKE_CALL,
        Action.AGREE_FEE,
        Action.DISPATCH,
        Action.EN_ROUTE,
        Action.ARRIVE,
        Action.COMPLETE,
        Action.REPORT_BACK,
        Action.CLOSE,
        Action.CANCEL,
        Action.NOTIFY_DELAY,
        Action.EXTEND_DEADLINE,
        Action.CLAIM_ALERT,
        Action.RESOLVE_ALERT,
        Action.SCHEDULE_CALL,
        Action.CLAIM_CALL,
        Action.RECORD_CALL,
        Action.RECORD_SERVICE,
        Action.RECORD_FEEDBACK,
        Action.EDIT_CUSTOMER,
        Action.RECORD_COMPLAINT,
        Action.UPDATE_CREW,
        Action.READ_HANDOVER,
    }
)
SUPERVISOR: frozenset[Action] = OPERATOR | {
    Action.REASSIGN_CREW,
    Action.SET_CREW_DUTY,
    Action.CANCEL_DISPATCHED,
    Action.EXTEND_WITHOUT_FORCE_MAJEURE,
    Action.EDIT_POLICY,
    Action.EDIT_TARIFF,
    Action.CLOSE_COMPLAINT,
    Action.ACKNOWLEDGE_ESCALATION,
    Action.RELEASE_OTHERS_CALL,
    Action.VOID_RECORD,
    Action.IMPORT_LEDGER,
    Action.READ_AUDIT_LOG,
    Action.READ_REPORTS,
}
ADMIN: frozenset[Action] = SUPERVISOR | {Action.MANAGE_STAFF}

#: The one table of permissions: role → the actions it may take.
ALLOWED: Mapping[Role, frozenset[Action]] = {
    Role.OPERATOR: OPERATOR,
    Role.SUPERVISOR: SUPERVISOR,
    Role.ADMIN: ADMIN,
}

#: What each restricted action is, for the refusal message ("… may not <what> …").
_WHAT: Mapping[Action, str] = {
    Action.REASSIGN_CREW: N_("reassign a crew"),
    Action.SET_CREW_DUTY: N_("take a crew off duty or out of service, or put it back on duty"),
    Action.CANCEL_DISPATCHED: N_("cancel a case a crew was dispatched to"),
    Action.EXTEND_WITHOUT_FORCE_MAJEURE: N_("extend a deadline without a force-majeure reason"),
    Action.EDIT_POLICY: N_("edit a service-level policy"),
    Action.EDIT_TARIFF: N_("edit the tariff"),
    Action.CLOSE_COMPLAINT: N_("close a complaint"),
    Action.ACKNOWLEDGE_ESCALATION: N_("acknowledge an escalation"),
    Action.RELEASE_OTHERS_CALL: N_("free a call another operator holds"),
    Action.VOID_RECORD: N_("void a service record"),
    Action.IMPORT_LEDGER: N_("import a ledger"),
    Action.READ_AUDIT_LOG: N_("read the audit log"),
    Action.READ_REPORTS: N_("read the monthly report"),
    Action.MANAGE_STAFF: N_("manage staff"),
}

_KNOWN = frozenset(a.value for a in Action)


def is_known(action: str) -> bool:
    return action in _KNOWN


def is_allowed(role: Role, action: str) -> bool:
    """True when ``role`` may take ``action``; unknown actions are everyday work."""
    if not is_known(action):
        return True
    return Action(action) in ALLOWED[role]


def required_role(action: str) -> Role:
    """The lowest role allowed to take ``action``."""
    for role in (Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN):
        if is_allowed(role, action):
            return role
    raise ValueError(action)  # pragma: no cover - ADMIN may do everything


def describe(action: str) -> str:
    """The translated description of ``action`` (its name when it has none)."""
    if is_known(action) and Action(action) in _WHAT:
        return _(_WHAT[Action(action)])
    return action.replace("_", " ")


def refusal(user: str, role: Role, action: str) -> str:
    """The translated one-line reason why ``user`` (of ``role``) may not take ``action``."""
    return _("{user} ({role}) may not {action}: that takes the role {required}.").format(
        user=user, role=role.label, action=describe(action), required=required_role(action).label
    )
