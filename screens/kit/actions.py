"""One vocabulary of actions: every action our screens bind to a key, a link or a palette
entry, with the :class:`~callcenter.permissions.Action` it performs — the one the services
check and the audit log records — or None when it writes nothing.

A read-only session (the supervisor board) runs exactly the actions mapped to None here; an
action of our screens named nowhere here is refused there too (it may write). Textual's own
actions and widgets' keys are not ours: the app allows those (``CallCenterApp.allows_action``).
"""

from __future__ import annotations

from collections.abc import Mapping

from callcenter.permissions import Action

#: The lifecycle steps run on a case (the board's selected case, the case detail's case).
CASE_STEPS: Mapping[str, Action] = {
    "en_route": Action.EN_ROUTE,
    "arrive": Action.ARRIVE,
    "complete": Action.COMPLETE,
    "report_back": Action.REPORT_BACK,
    "close_case": Action.CLOSE,  # not "close": that one closes a window
    "cancel": Action.CANCEL,
    "agree_fee": Action.AGREE_FEE,
}

#: Every screen action → the write it performs (None: it only reads, moves or closes).
SCREEN_ACTIONS: Mapping[str, Action | None] = {
    "new_call": Action.TAKE_CALL,
    "dispatch": Action.DISPATCH,
    **CASE_STEPS,
    "delay_calls": Action.NOTIFY_DELAY,
    "edit_record": Action.RECORD_SERVICE,
    "void_record": Action.VOID_RECORD,
    "print_record": None,  # reads the record; writes a file, not the database
    "take": Action.CLAIM_ALERT,
    "edit": Action.EDIT_CUSTOMER,  # the customer archive's entry
    "add_vehicle": Action.EDIT_CUSTOMER,
    "edit_vehicle": Action.EDIT_CUSTOMER,
    "add_to_archive": Action.EDIT_CUSTOMER,  # intake: a known plate's new caller
    # complaints (F6) and the escalations to the supervisors
    "new_complaint": Action.RECORD_COMPLAINT,
    "edit_complaint": Action.RECORD_COMPLAINT,
    "notified": Action.RECORD_COMPLAINT,
    "plan": Action.RECORD_COMPLAINT,
    "resolve": Action.RECORD_COMPLAINT,
    "satisfied": Action.RECORD_COMPLAINT,
    "unsatisfied": Action.RECORD_COMPLAINT,
    "close_complaint": Action.CLOSE_COMPLAINT,
    "acknowledge": Action.ACKNOWLEDGE_ESCALATION,
    # the supervisor's decisions about crews and promises (the crews screen, the case)
    "reassign": Action.REASSIGN_CREW,
    "extend_promise": Action.EXTEND_WITHOUT_FORCE_MAJEURE,
    "off_duty": Action.SET_CREW_DUTY,
    "on_duty": Action.SET_CREW_DUTY,
    "out_of_service": Action.SET_CREW_DUTY,
    "set_position": Action.UPDATE_CREW,  # radioed in by the crew: everyday work
    "crews_desk": None,  # the crews screen (F12)
    "policy": None,  # the tariff and policy in force (read only)
    "complaints": None,
    # the shift-handover digest (F12)
    "handover": None,
    "mark_read": Action.READ_HANDOVER,
    "open_only": None,
    "next_field": None,
    "previous_field": None,
    # reading, moving about, closing a window
    "help": None,
    "quit": None,
    "refresh": None,
    "back": None,
    "dismiss": None,
    "dismiss_none": None,
    "close": None,
    "open": None,
    "open_case": None,
    "search": None,
    "crews": None,
    "filter": None,
    "late_only": None,
    "clear_filter": None,
    "ledger": None,  # the rescue ledger (F4): reads; its export writes a file, not the database
    "export": None,
    "stop_export": None,
    "to_table": None,
    "archive": None,  # the customer archive (F5)
    "incomplete": None,
    "audit_log": None,  # the audit log (F7): the services refuse operators
    "more": None,
    "to_results": None,
    # the KPI dashboard (F10): reads only
    "dashboard": None,
    "previous_month": None,
    "next_month": None,
    "this_month": None,
    "pick": None,
    "move": None,
}

#: What a read-only session may still run.
READ_ONLY_ACTIONS: frozenset[str] = frozenset(
    name for name, action in SCREEN_ACTIONS.items() if action is None
)
#: The actions that write: hidden on a read-only board.
WRITE_ACTIONS: frozenset[str] = frozenset(
    name for name, action in SCREEN_ACTIONS.items() if action is not None
)


def writes(name: str) -> Action | None:
    """The Action that screen action ``name`` performs (None: none, or not ours)."""
    return SCREEN_ACTIONS.get(name)
