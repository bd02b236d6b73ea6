"""The lifecycle actions of a case, shared by the board and the case detail.

:func:`run_action` asks what it must (safety checklist, cancel reason, confirmation), calls
the service in a thread with the version the operator saw, and reports the outcome with a
notification. It needs a worker to wait for its modals: called from a worker it runs
inline, otherwise it starts one on ``screen`` and returns at once (the outcome is notified).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from textual.screen import Screen
from textual.worker import NoActiveWorker, get_current_worker

from callcenter.domain import Case, CaseStatus
from callcenter.errors import CallCenterError
from callcenter.i18n import _
from callcenter.services import Checklist, is_night
from screens.kit.format import conflict_message, error_text, fee_text
from screens.kit.host import host
from screens.widgets.modals import CancelReasonModal, ChecklistModal, ConfirmModal

ACTIONS = ("en_route", "arrive", "complete", "report_back", "close", "cancel", "agree_fee")

# The states each step may start from (the services decide; this only spares the operator
# a modal for a step that would be refused anyway).
_ARRIVE_FROM = (CaseStatus.DISPATCHED, CaseStatus.EN_ROUTE)

# Cancel reasons typed but not saved (the save failed), offered again on the next try.
_reason_drafts: dict[int, str] = {}


def success_message(action: str, number: str) -> str:
    messages = {
        "en_route": _("{number}: crew en route."),
        "arrive": _("{number}: crew arrived on scene."),
        "complete": _("{number}: rescue completed."),
        "report_back": _("{number}: crew reported back."),
        "close": _("{number}: case closed."),
        "cancel": _("{number}: case cancelled."),
        "agree_fee": _("{number}: the owner's agreement to the fee is recorded."),
    }
    return messages[action].format(number=number)


async def run_action(screen: Screen[Any], action: str, case: Case) -> None:
    """Run lifecycle ``action`` on ``case`` for the operator of ``screen``'s app."""
    if action not in ACTIONS:
        raise ValueError(f"unknown case action {action!r}")
    try:
        get_current_worker()
    except NoActiveWorker:
        screen.run_worker(
            _perform(screen, action, case),
            name=f"case-{action}",
            group="case-action",
            exit_on_error=False,
        )
        return
    await _perform(screen, action, case)


async def _perform(screen: Screen[Any], action: str, case: Case) -> None:
    app = screen.app
    session = host(screen)
    services = session.services
    assert case.id is not None
    case_id = case.id

    def refuse(message: str) -> None:
        app.notify(message, severity="error", timeout=8)

    async def call(fn: Callable[..., Case], *args: Any) -> Case | None:
        try:
            return await asyncio.to_thread(fn, *args)
        except CallCenterError as exc:
            refuse(error_text(exc, session.tz))
            return None

    result: Case | None = None
    if action == "arrive":
        fresh = await call(services.case, case_id)
        if fresh is None:
            return
        if fresh.status not in _ARRIVE_FROM:
            refuse(
                _("Case {number} is {status}: cannot mark it {target}.").format(
                    number=fresh.number,
                    status=fresh.status.label,
                    target=CaseStatus.ON_SCENE.label,
                )
            )
            return
        if fresh.version != case.version:
            refuse(conflict_message(fresh, session.tz))
            return
        night = is_night(session.clock_now(), session.tz)
        checklist: Checklist | None = await app.push_screen_wait(ChecklistModal(case.number, night))
        if checklist is None:
            return
        result = await call(services.arrive, case_id, checklist, case.version)
    elif action == "cancel":
        fresh = await call(services.case, case_id)
        if fresh is None:
            return
        if not fresh.is_open:
            refuse(
                _("Case {number} is already {status}.").format(
                    number=fresh.number, status=fresh.status.label
                )
            )
            return
        reason: str | None = await app.push_screen_wait(
            CancelReasonModal(case.number, _reason_drafts.get(case_id, ""))
        )
        if reason is None:
            return
        _reason_drafts[case_id] = reason
        result = await call(services.cancel, case_id, reason, case.version)
        if result is not None:
            _reason_drafts.pop(case_id, None)
    elif action == "close":
        question = _("Close case {number}? A closed case cannot be reopened.").format(
            number=case.number
        )
        if not await app.push_screen_wait(ConfirmModal(question, _("Close the case"))):
            return
        result = await call(services.close, case_id, case.version)
    elif action == "agree_fee":
        if case.fee_agreed:
            app.notify(
                _("{number}: the owner's agreement to the fee is already recorded.").format(
                    number=case.number
                ),
                severity="warning",
            )
            return
        if not case.is_open:
            refuse(
                _("Case {number} is already {status}.").format(
                    number=case.number, status=case.status.label
                )
            )
            return
        question = _(
            "Has the owner agreed to the fee of {fee} ({plan})? Record the agreement for case "
            "{number}."
        ).format(fee=fee_text(case.fee_quote), plan=case.plan.label, number=case.number)
        if not await app.push_screen_wait(ConfirmModal(question, _("Owner agrees"))):
            return
        result = await call(services.agree_fee, case_id, case.version)
    else:
        step = {
            "en_route": services.en_route,
            "complete": services.complete,
            "report_back": services.report_back,
        }[action]
        result = await call(step, case_id, case.version)
    if result is not None:
        app.notify(success_message(action, result.number))
