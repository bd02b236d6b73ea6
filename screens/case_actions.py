"""The lifecycle steps of a case, shared by the board and the case detail (the app runs them:
``Host.run_case_action``).

:func:`run_action` asks what it must (safety checklist, cancel reason, confirmation), calls
the service in a thread with the version the operator saw, and reports the outcome with a
notification. It needs a worker to wait for its modals: called from a worker it runs
inline, otherwise it starts one on ``screen`` and returns at once (the outcome is notified).

Each step is one entry of :data:`STEPS`, keyed by the :class:`~callcenter.permissions.Action`
the services check and the audit log records.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from textual.app import App
from textual.screen import Screen
from textual.worker import NoActiveWorker, get_current_worker

from callcenter.domain import Case
from callcenter.domain.lifecycle import TRANSITIONS, allows
from callcenter.errors import CallCenterError
from callcenter.i18n import N_, _
from callcenter.permissions import Action
from callcenter.services import Checklist, Services, is_night
from screens.kit.format import conflict_message, error_text, fee_text
from screens.kit.host import Host, host
from screens.widgets.modals import CancelReasonModal, ChecklistModal, ConfirmModal

# Cancel reasons typed but not saved (the save failed), offered again on the next try.
_reason_drafts: dict[int, str] = {}


@dataclass
class Run:
    """One run of a step: the case as the operator saw it, where to ask, whom to tell."""

    app: App[Any]
    session: Host
    case: Case

    def refuse(self, message: str) -> None:
        self.app.notify(message, severity="error", timeout=8)

    async def call(self, fn: Callable[..., Case], *args: Any) -> Case | None:
        try:
            return await asyncio.to_thread(fn, *args)
        except CallCenterError as exc:
            self.refuse(error_text(exc, self.session.tz))
            return None


#: What a step asks before it writes: the use case's arguments after the case id (the
#: version is added last), or None when the operator gave up or the step cannot run.
Ask = Callable[[Run], Awaitable[tuple[Any, ...] | None]]


async def _nothing(_run: Run) -> tuple[Any, ...] | None:
    return ()


async def _confirm_en_route(run: Run) -> tuple[Any, ...] | None:
    """The crew radioed that it set off: a stray ``r`` must not say so."""
    case = run.case
    if not allows(Action.EN_ROUTE, case.status):
        run.refuse(
            _("Case {number} is {status}: cannot mark it {target}.").format(
                number=case.number,
                status=case.status.label,
                target=TRANSITIONS[Action.EN_ROUTE].target.label,
            )
        )
        return None
    question = _("Has the crew set off for case {number}?").format(number=case.number)
    if not await run.app.push_screen_wait(ConfirmModal(question, _("Crew en route"))):
        return None
    return ()


async def _checklist(run: Run) -> tuple[Any, ...] | None:
    case, session = run.case, run.session
    assert case.id is not None
    fresh = await run.call(session.services.case, case.id)
    if fresh is None:
        return None
    arrive = TRANSITIONS[Action.ARRIVE]
    if not allows(Action.ARRIVE, fresh.status):
        run.refuse(
            _("Case {number} is {status}: cannot mark it {target}.").format(
                number=fresh.number, status=fresh.status.label, target=arrive.target.label
            )
        )
        return None
    if fresh.version != case.version:
        run.refuse(conflict_message(fresh, session.tz))
        return None
    night = is_night(session.clock_now(), session.tz)
    checklist: Checklist | None = await run.app.push_screen_wait(ChecklistModal(case.number, night))
    return None if checklist is None else (checklist,)


async def _reason(run: Run) -> tuple[Any, ...] | None:
    case = run.case
    assert case.id is not None
    fresh = await run.call(run.session.services.case, case.id)
    if fresh is None:
        return None
    if not allows(Action.CANCEL, fresh.status):
        run.refuse(
            _("Case {number} is already {status}.").format(
                number=fresh.number, status=fresh.status.label
            )
        )
        return None
    reason: str | None = await run.app.push_screen_wait(
        CancelReasonModal(case.number, _reason_drafts.get(case.id, ""))
    )
    if reason is None:
        return None
    _reason_drafts[case.id] = reason
    return (reason,)


async def _confirm_close(run: Run) -> tuple[Any, ...] | None:
    assert run.case.id is not None
    try:
        missing = await asyncio.to_thread(run.session.services.closing_blockers, run.case.id)
    except CallCenterError as exc:
        run.refuse(error_text(exc, run.session.tz))
        return None
    if missing:
        run.refuse(
            _("Case {number} cannot be closed yet: {missing}.").format(
                number=run.case.number, missing="; ".join(missing)
            )
        )
        return None
    question = _("Close case {number}? A closed case cannot be reopened.").format(
        number=run.case.number
    )
    if not await run.app.push_screen_wait(ConfirmModal(question, _("Close the case"))):
        return None
    return ()


async def _confirm_fee(run: Run) -> tuple[Any, ...] | None:
    case = run.case
    if case.fee_agreed:
        run.app.notify(
            _("{number}: the owner's agreement to the fee is already recorded.").format(
                number=case.number
            ),
            severity="warning",
        )
        return None
    if not case.is_open:
        run.refuse(
            _("Case {number} is already {status}.").format(
                number=case.number, status=case.status.label
            )
        )
        return None
    question = _(
        "Has the owner agreed to the fee of {fee} ({plan})? Record the agreement for case {number}."
    ).format(fee=fee_text(case.fee_quote), plan=case.plan.label, number=case.number)
    if not await run.app.push_screen_wait(ConfirmModal(question, _("Owner agrees"))):
        return None
    return ()


@dataclass(frozen=True)
class Step:
    """A lifecycle step as the operator runs it."""

    use_case: Callable[[Services], Callable[..., Case]]
    ask: Ask
    done: str  # msgid: "{number}: …"


#: The steps an operator runs on a case, keyed by the Action they perform.
STEPS: Mapping[Action, Step] = {
    Action.EN_ROUTE: Step(lambda s: s.en_route, _confirm_en_route, N_("{number}: crew en route.")),
    Action.ARRIVE: Step(lambda s: s.arrive, _checklist, N_("{number}: crew arrived on scene.")),
    Action.CLOSE: Step(lambda s: s.close_case, _confirm_close, N_("{number}: case closed.")),
    Action.CANCEL: Step(lambda s: s.cancel, _reason, N_("{number}: case cancelled.")),
    Action.AGREE_FEE: Step(
        lambda s: s.agree_fee,
        _confirm_fee,
        N_("{number}: the owner's agreement to the fee is recorded."),
    ),
}


def success_message(action: str, number: str) -> str:
    return _(STEPS[Action(action)].done).format(number=number)


async def run_action(screen: Screen[Any], action: str, case: Case) -> None:
    """Run lifecycle ``action`` (an :class:`Action` value) on ``case`` for the operator of
    ``screen``'s app."""
    if action not in STEPS:
        raise ValueError(f"unknown case action {action!r}")
    try:
        get_current_worker()
    except NoActiveWorker:
        screen.run_worker(
            _perform(screen, Action(action), case),
            name=f"case-{action}",
            group="case-action",
            exit_on_error=False,
        )
        return
    await _perform(screen, Action(action), case)


async def _perform(screen: Screen[Any], action: Action, case: Case) -> None:
    run = Run(screen.app, host(screen), case)
    assert case.id is not None
    step = STEPS[action]
    asked = await step.ask(run)
    if asked is None:
        return
    result = await run.call(step.use_case(run.session.services), case.id, *asked, case.version)
    if result is None:
        return
    if action is Action.CANCEL:
        _reason_drafts.pop(case.id, None)
    run.app.notify(success_message(action, result.number))
