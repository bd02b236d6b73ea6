"""The delay-call desk: the application's half of the delay call (MISSION "The call", step 5).

Imported by ``screens/app.py`` only.

* :class:`DelayCallsMixin` — mixed into :class:`screens.app.CallCenterApp`: the SLA watch
  loop (an APScheduler ``AsyncIOScheduler`` running a :class:`~callcenter.watch.Sweeper`
  every ``sweep_seconds``, which judges the cases whose time has come), the open delay-call
  prompts (reloaded after every sweep and whenever the change feed reports an alert or a
  case, so a prompt reaches every operator's application, not only the one that swept it), one
  terminal bell per new alert, the prompt strip on every full screen, the owner-notice state
  of the cases (``app.owner_notices``) and the F3 key.
* Alerts (delay prompts, escalations, complaint clocks, the first start's messages) go to the
  alert inbox (F8, :mod:`screens.widgets.inbox`), never to a toast over the board.
* :class:`PromptStrip` — docked above the footer: how many owners to call and the first call
  to make, and the unread alerts. It never takes focus, so a form keeps every keystroke.

The desk's screens (the list of calls, the call form) are in ``screens/calls/``. Caller text
(plate, names) is data: it is shown through :class:`~textual.content.Content`, and every
notification goes out with ``markup=False``.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.worker import Worker

from callcenter.domain import AlertKind, Case, Change, OwnerNotice
from callcenter.errors import DatabaseUnavailable
from callcenter.i18n import N_, _
from screens.kit.delay_text import display_name
from screens.kit.messages import AlertsRaised, DelayPromptsChanged, own_screens
from screens.widgets.inbox import Inbox, InboxItem, InboxScreen, inbox_line
from screens.widgets.prompt_strip import PromptStrip

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from callcenter.calls.model import DeskItem
    from callcenter.complaints.model import Escalation
    from callcenter.services import Services
    from callcenter.services.calls import CallDesk
    from callcenter.services.delays import DelayCalls, DelayPrompt
    from callcenter.settings import Settings
    from callcenter.watch import Sweeper, SweepResult

log = logging.getLogger(__name__)

#: A scheduled sweep that raised and closed nothing reads the desk again only when the last
#: reading is this old (seconds): what only the passing time changes (minutes late, a snoozed
#: prompt back after ``renotify_minutes``) shows within a minute.
DESK_MAX_AGE_S = 60.0


# --------------------------------------------------------------------------------------------
# What the application knows of the delay calls


@dataclass(frozen=True)
class DeskState:
    """One reading of the delay calls: the prompts, the owner notices, the claimers' names."""

    seq: int  # readings are numbered as they start; an older one never replaces a newer
    at: datetime
    prompts: list[DelayPrompt]
    notices: dict[int, OwnerNotice]  # only cases whose notice is not NOT_NEEDED
    names: dict[str, str] = field(default_factory=dict)  # username -> display name
    initial: bool = False  # the reading at start: prompts already there ring no bell
    #: The desk's other calls due now (every kind but the delay call).
    items: list[DeskItem] = field(default_factory=list)
    #: The escalations to the supervisors nobody has acknowledged yet, newest first.
    escalations: list[Escalation] = field(default_factory=list)


def notice_candidates(cases: Iterable[Case], now: datetime, at_risk: timedelta) -> list[Case]:
    """The open cases whose owner notice may be other than NOT_NEEDED (for :meth:`notices`).

    A case whose crew is on scene, or with no promise, needs no call; nor does one whose
    promise is still further away than the at-risk window, unless its owner was already told
    of a delay or its promise was extended (the board shows both). The services' query
    :meth:`~callcenter.services.Services.cases_for_notice` is the same filter in SQL.
    """
    found = []
    for case in cases:
        promise = case.promised_arrival_at
        if case.arrived_at is not None or promise is None:
            continue
        extended = case.original_promised_at not in (None, promise)
        if now >= promise - at_risk or case.owner_notified_at or extended:
            found.append(case)
    return found


def strip_content(prompts: Sequence[DelayPrompt]) -> tuple[Content, bool] | None:
    """What the strip says, and whether a crew is already late; None: nothing waits."""
    waiting = [p for p in prompts if not p.is_claimed]
    if not waiting:
        return None
    head = _("Owners to call: {n} — F3").format(n=len(waiting))
    content = Content.assemble((f"☎ {head}", "bold"), "  ", waiting[0].message)
    late = any(p.kind is AlertKind.ARRIVAL_LATE for p in waiting)
    return content, late


# --------------------------------------------------------------------------------------------
# The application's part


class DelayCallsMixin(App[int]):
    """The watch loop and the delay-call prompts of :class:`screens.app.CallCenterApp`.

    The app calls :meth:`init_delay_calls` in ``__init__``, :meth:`start_delay_calls` on
    mount, :meth:`stop_delay_calls` on unmount and :meth:`delay_calls_feed` with what the
    change feed read.

    ``watch``: True sweeps on an interval, False never (tests drive it with
    :meth:`sweep_now`), None (the default) sweeps unless the application runs headless
    (``run_test``, snapshots), so that tests stay deterministic unless they ask for it. A
    read-only session (the supervisor board) never sweeps and rings no bell.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f3", "delay_calls", N_("Call desk"), show=False),
        Binding("f8", "inbox", N_("Alerts"), show=False),
        Binding("f4", "ledger", N_("Ledger"), show=False),
    ]

    # Provided by CallCenterApp.
    services: Services
    settings: Settings
    tz: Any
    at_risk: timedelta
    read_only: bool

    delay_calls: DelayCalls | None = None
    #: The call desk: every kind of call (the delay calls are read through ``delay_calls``).
    call_desk: CallDesk | None = None
    #: The desk's other calls due now, the most urgent first.
    call_items: list[DeskItem]
    #: The prompts shown now (claimed ones included), the most urgent first.
    delay_prompts: list[DelayPrompt]
    #: Owner notice of each case that has one other than NOT_NEEDED (see :meth:`owner_notice`).
    owner_notices: dict[int, OwnerNotice]
    #: Display names of the operators who have taken calls.
    staff_names: dict[str, str]

    def clock_now(self) -> datetime:  # CallCenterApp's
        raise NotImplementedError

    # -- set-up ------------------------------------------------------------------------------
    def init_delay_calls(
        self,
        delay_calls: DelayCalls | None,
        sweeper: Callable[[], Sweeper] | None,
        watch: bool | None,
    ) -> None:
        self.delay_calls = delay_calls
        self.call_desk = None
        self.delay_prompts = []
        self.call_items = []
        self.owner_notices = {}
        self.staff_names = {}
        self._sweeper_factory = sweeper
        self._sweeper: Sweeper | None = None
        self._sweep_lock = threading.Lock()
        self._watch_wanted = watch
        self._scheduler: AsyncIOScheduler | None = None
        self._desk_seq = itertools.count(1)
        self._applied_seq = 0
        self._seen_alerts: set[int] = set()
        self._reading = False
        self._read_again = False
        self._sweep_error: str | None = None
        self._problems: tuple[str, ...] = ()
        self._delay_started = False
        self._telling_later = False
        self._desk_read_at = -DESK_MAX_AGE_S  # monotonic seconds of the last desk reading

    @property
    def _read_only_session(self) -> bool:
        """The supervisor board (``read_only`` is CallCenterApp's): no sweep, no prompt."""
        return self.read_only

    @property
    def delay_desk_ready(self) -> bool:
        """The delay desk has made its first reading (it starts once the board has its
        cases); prompts that appear after it are announced one by one."""
        return self._applied_seq > 0

    @property
    def watching(self) -> bool:
        """Whether the SLA watch loop runs in this session."""
        return self._scheduler is not None

    def start_delay_calls(self) -> None:
        """On mount: read the prompts, start the watch loop (inside the running loop)."""
        if self.delay_calls is None:
            return
        self._delay_started = True
        self.screen_change_signal.subscribe(self, self._place_prompt_strips)
        self.refresh_prompts(initial=True)
        wanted = self._watch_wanted
        if wanted is None:
            wanted = not self.is_headless
        if wanted and not self._read_only_session and self._sweeper_factory is not None:
            from callcenter.scheduler import make_scheduler

            self._scheduler = make_scheduler(
                self._scheduled_sweep,
                interval_seconds=self.settings.sweep_seconds,
                on_result=self._scheduled_sweep_done,
                on_error=self._sweep_failed,
            )
            self._scheduler.start()
            log.info("SLA watch: sweeping every %s s", self.settings.sweep_seconds)

    def stop_delay_calls(self) -> None:
        """On unmount: stop the watch loop."""
        if self._scheduler is not None:
            from callcenter.scheduler import shutdown

            shutdown(self._scheduler)
            self._scheduler = None

    # -- sweeping ----------------------------------------------------------------------------
    def _sweep_and_read(self, *, always: bool = True) -> tuple[SweepResult, DeskState | None]:
        """One sweep, then the prompts as they now stand (runs in a thread).

        A sweep with nothing due costs a few milliseconds; reading the desk again (the
        prompts, the owner notices, the calls, the escalations: five queries and hundreds of
        cases) costs ten times that. So a scheduled sweep (``always=False``) reads the desk
        only when it raised or closed alerts, or when the last reading is
        :data:`DESK_MAX_AGE_S` old (what only the passing time changes: minutes late, a
        snoozed prompt coming back). What other sessions change reaches this one through
        the change feed (:meth:`delay_calls_feed`), which reads the desk at once.
        """
        assert self._sweeper_factory is not None
        with self._sweep_lock:  # the scheduler's sweeps and sweep_now take turns
            if self._sweeper is None:
                self._sweeper = self._sweeper_factory()
            result = self._sweeper()
        stale = time.monotonic() - self._desk_read_at >= DESK_MAX_AGE_S
        if not (always or result.raised or result.closed or result.complaint_alerts or stale):
            return result, None
        return result, self._read_desk(initial=False)

    def _scheduled_sweep(self) -> tuple[SweepResult, DeskState | None]:
        return self._sweep_and_read(always=False)

    def sweep_now(self) -> Worker[None] | None:
        """One sweep now, in a worker (tests; and a way to catch up at once)."""
        if self._read_only_session or self._sweeper_factory is None or self.delay_calls is None:
            return None
        return self._sweep_worker()

    @work(thread=True, group="delay-sweep", exit_on_error=False)
    def _sweep_worker(self) -> None:
        try:
            result, state = self._sweep_and_read()
        except Exception as exc:
            log.exception("SLA sweep failed")
            self.post_message(self.SweepFailed(exc))
            return
        self.post_message(self.SweepDone(result, state))

    class SweepDone(Message):
        def __init__(self, result: SweepResult, state: DeskState | None) -> None:
            super().__init__()
            self.result = result
            self.state = state

    class SweepFailed(Message):
        def __init__(self, error: BaseException) -> None:
            super().__init__()
            self.error = error

    def _scheduled_sweep_done(self, done: tuple[SweepResult, DeskState | None]) -> None:
        self._sweep_done(*done)

    @on(SweepDone)
    def _on_sweep_done(self, message: SweepDone) -> None:
        self._sweep_done(message.result, message.state)

    @on(SweepFailed)
    def _on_sweep_failed(self, message: SweepFailed) -> None:
        self._sweep_failed(message.error)

    def _sweep_done(self, result: SweepResult, state: DeskState | None) -> None:
        if self._sweep_error is not None:
            self._sweep_error = None
            self.notify(_("The SLA watch is working again."), markup=False)
        if result.problems and result.problems != self._problems:
            for problem in result.problems:
                self.notify(problem, severity="warning", timeout=15, markup=False)
        self._problems = result.problems
        if result.raised:
            for screen in own_screens(self.screen_stack):
                screen.post_message(AlertsRaised(result.raised))
        if state is not None:
            self._apply_desk(state)

    def _sweep_failed(self, error: BaseException) -> None:
        """Logged where it happened (callcenter.scheduler, sweep_now); shown here once per
        streak of the same error."""
        text = str(error) or type(error).__name__
        if text == self._sweep_error:
            return
        self._sweep_error = text
        self.notify(
            _("The SLA watch failed: {error}").format(error=text),
            severity="error",
            timeout=15,
            markup=False,
        )

    # -- reading the prompts -----------------------------------------------------------------
    def _read_desk(self, *, initial: bool) -> DeskState:
        """The prompts and owner notices now (runs in a thread)."""
        calls = self.delay_calls
        assert calls is not None
        seq = next(self._desk_seq)
        self._desk_read_at = time.monotonic()
        now = self.clock_now()
        prompts = calls.open_prompts(now)
        candidates = self.services.cases_for_notice(now, self.at_risk)
        cases = notice_candidates(candidates, now, self.at_risk)
        notices: dict[int, OwnerNotice] = {
            case_id: notice
            for case_id, notice in (calls.notices(cases, now).items() if cases else ())
            if notice is not OwnerNotice.NOT_NEEDED
        }
        items = self.call_desk.task_items(now) if self.call_desk is not None else []
        escalations = self.services.escalations(unacknowledged_only=True)
        names = {
            p.claimed_by: display_name(self.services, p.claimed_by)
            for p in [*prompts, *items]
            if p.claimed_by is not None
        }
        return DeskState(seq, now, prompts, notices, names, initial, items, escalations)

    def refresh_prompts(self, *, initial: bool = False) -> None:
        """Read the prompts again (in a worker); readings asked for meanwhile make one more."""
        if self.delay_calls is None:
            return
        if self._reading:
            self._read_again = True
            return
        self._reading = True
        self._prompts_worker(initial)

    @work(thread=True, group="delay-prompts", exit_on_error=False)
    def _prompts_worker(self, initial: bool) -> None:
        try:
            state = self._read_desk(initial=initial)
        except Exception as exc:
            self.post_message(self.PromptsRead(None, exc))
            return
        self.post_message(self.PromptsRead(state, None))

    class PromptsRead(Message):
        def __init__(self, state: DeskState | None, error: BaseException | None) -> None:
            super().__init__()
            self.state = state
            self.error = error

    @on(PromptsRead)
    def _on_prompts_read(self, message: PromptsRead) -> None:
        self._reading = False
        if message.state is not None:
            self._apply_desk(message.state)
        elif isinstance(message.error, DatabaseUnavailable):
            log.warning("reading the delay calls failed: %s", message.error)  # the banner says
        elif message.error is not None:
            log.error("reading the delay calls failed", exc_info=message.error)
            self.notify(
                _("The delay calls cannot be read: {error}").format(error=message.error),
                severity="error",
                timeout=10,
                markup=False,
            )
        if self._read_again:
            self._read_again = False
            self.refresh_prompts()

    def delay_calls_feed(self, changes: Sequence[Change]) -> None:
        """The change feed read these changes: alerts changed, or cases that have a prompt or
        an owner notice, so may the prompts. Other case changes cannot make a prompt (a new
        prompt always comes with an alert change), so they cost no re-reading."""
        seen: set[int] = self.__dict__.setdefault("_seen_complaint_alerts", set())
        fresh_alerts = [
            c.entity_id
            for c in changes
            if c.entity == "complaint_alert" and c.entity_id not in seen
        ]
        if fresh_alerts:
            seen.update(fresh_alerts)
            self._complaint_alerts_worker(fresh_alerts)
        known = set(self.owner_notices) | {p.case_id for p in self.delay_prompts}
        if any(
            change.entity in ("alert", "call_task", "escalation")
            or (change.entity == "case" and change.entity_id in known)
            for change in changes
        ):
            self.refresh_prompts()

    @work(thread=True, group="complaint-alerts", exit_on_error=False)
    def _complaint_alerts_worker(self, ids: list[int]) -> None:
        """A complaint's clock at risk or overdue (any session's sweep): told on every
        session, once; the complaints list (F6) marks it too."""
        try:
            found = self.services.complaint_alerts_by_id(ids)
        except Exception as exc:  # a toast that cannot be read must never stop the feed
            log.warning("reading complaint alerts failed: %s", exc)
            return
        self.call_from_thread(self._tell_complaint_alerts, found)

    def _tell_complaint_alerts(self, found: list[tuple[Any, str]]) -> None:
        self._telling_later = True
        try:
            for alert, number in found:
                if alert.resolved_at is not None:
                    continue
                self.tell(
                    _("Complaint {number}: {what}").format(number=number, what=alert.kind.label),
                    title=_("Complaints (F6)"),
                    severity="error" if alert.kind.overdue else "warning",
                )
        finally:
            self._telling_later = False
        self._place_prompt_strips()

    def owner_notice(self, case_id: int) -> OwnerNotice:
        """Whether the owner of ``case_id`` was told its crew will be late (for the board)."""
        notice = self.owner_notices.get(case_id)
        return notice if notice is not None else OwnerNotice.NOT_NEEDED

    # -- showing the prompts -----------------------------------------------------------------
    def _apply_desk(self, state: DeskState) -> None:
        if state.seq <= self._applied_seq:
            return  # an older reading finished late
        self._applied_seq = state.seq
        shown = {p.alert_id for p in self.delay_prompts}
        self.delay_prompts = list(state.prompts)
        self.call_items = list(state.items)
        self.owner_notices = dict(state.notices)
        self.staff_names.update(state.names)
        # A burst of alerts (many cases crossing a deadline in one sweep) goes to the inbox
        # one by one, and costs one line of the strip, placed once below.
        self._telling_later = True
        try:
            if not self._read_only_session:
                self._announce(state, shown)
            else:
                self._announce_escalations(state)  # a supervisor watching sees them too
            self._announce_supervisor_escalations(state)
        finally:
            self._telling_later = False
        for screen in own_screens(self.screen_stack):
            screen.post_message(
                DelayPromptsChanged(self.delay_prompts, self.owner_notices, self.staff_names)
            )
        self._place_prompt_strips()

    def _announce_escalations(self, state: DeskState) -> None:
        """An escalation (a very dissatisfied owner, an open fault) is told once, at once, on
        every session (seed 004: 第一时间上报); it stays first on the desk until handled."""
        from callcenter.calls import kinds  # the kinds' modules: not on the first frame's path

        seen: set[int] = self.__dict__.setdefault("_seen_escalations", set())
        fresh = [
            item
            for item in state.items
            if kinds.get(item.kind).urgent and item.ref not in seen and not item.is_claimed
        ]
        seen.update(item.ref for item in state.items if kinds.get(item.kind).urgent)
        if state.initial:
            return  # those raised before the start are first on the desk (F3): no toast
        # each new one is told once, the moment another session raised it
        for item in fresh:
            self.tell(
                item.message,
                title=_("Escalation — {about}").format(about=item.about),
                severity="error",
            )
        if fresh and self.settings.bell:
            self.bell()

    def _announce_supervisor_escalations(self, state: DeskState) -> None:
        """Escalations to the supervisors (a complaint past its deadline, a crew complained
        about twice, a very dissatisfied owner, an open fault): each told once, at once, on
        every session; a line on the board of a supervisor until one acknowledges it."""
        from callcenter.complaints.model import describe  # not on the first frame's path

        seen: set[int] = self.__dict__.setdefault("_seen_supervisor_escalations", set())
        fresh = [e for e in state.escalations if e.id not in seen]
        seen.update(e.id for e in state.escalations if e.id is not None)
        self.escalations = list(state.escalations)
        if not state.initial:
            for item in fresh:
                self.tell(
                    describe(item),
                    title=_("To the supervisors — {kind}").format(kind=item.kind.label),
                    severity="error",
                )
        self._place_escalation_strips()

    @property
    def _supervises(self) -> bool:
        role = getattr(self.services, "role", None)
        return self._read_only_session or (role is not None and role.value != "operator")

    def _place_escalation_strips(self, _screen: Screen[Any] | None = None) -> None:
        """The escalation line on the boards of a supervisor's session (F6 to acknowledge)."""
        from callcenter.complaints.model import describe
        from screens.board.board import BoardScreen
        from screens.widgets.escalation_strip import EscalationStrip

        items = getattr(self, "escalations", [])
        content = None
        if items and self._supervises:
            first = items[0]
            content = Content(
                _("⚠ To the supervisors: {n} not acknowledged — {kind}: {summary} (F6)").format(
                    n=len(items), kind=first.kind.label, summary=describe(first)
                )
            )
        for screen in own_screens(self.screen_stack):
            if not isinstance(screen, BoardScreen) or not screen.is_mounted:
                continue
            strips = screen.query_children(EscalationStrip)
            if content is None:
                strips.remove()
            elif strips:
                strips.first(EscalationStrip).show(content)
            else:
                body = screen.query_children("#board-body")
                if body:
                    screen.mount(EscalationStrip(content), before=body.first())

    def _announce(self, state: DeskState, shown: set[int]) -> None:
        """A toast for each prompt that appears; the bell once for each alert never seen."""
        self._announce_escalations(state)
        appeared = [p for p in state.prompts if p.alert_id not in shown and not p.is_claimed]
        new = [p for p in appeared if p.alert_id not in self._seen_alerts]
        self._seen_alerts.update(p.alert_id for p in state.prompts)
        if not appeared:
            return
        if state.initial:
            self.tell(
                _("Owners to call about late crews: {n}. Press F3 for the delay calls.").format(
                    n=len(appeared)
                ),
                title=_("Delay calls"),
                severity="warning",
            )
            return
        for prompt in appeared:
            again = prompt not in new
            title = _("Delay call again — {number}") if again else _("Delay call — {number}")
            self.tell(
                prompt.message,
                title=title.format(number=prompt.case_number),
                severity="error" if prompt.kind is AlertKind.ARRIVAL_LATE else "warning",
            )
        if self.settings.bell:
            for _alert in new:
                self.bell()

    def _place_prompt_strips(self, _screen: Screen[Any] | None = None) -> None:
        """The prompt strip on every full screen while a call waits (modals show the one of
        the screen below). Nothing is focused, nothing pushed: typing goes on."""
        self._place_escalation_strips()
        shown = None if self._read_only_session else strip_content(self.delay_prompts)
        unread = inbox_line(self.inbox)
        if unread is not None:  # the alerts not read yet: one line, never a toast
            shown = (
                (Content("\n").join([shown[0], unread]), shown[1])
                if shown is not None
                else (unread, False)
            )
        for screen in own_screens(self.screen_stack):
            if isinstance(screen, ModalScreen):
                continue
            if not screen.is_mounted:
                screen.call_after_refresh(self._place_prompt_strips)
                continue
            strips = screen.query_children(PromptStrip)
            if shown is None:
                strips.remove()
            elif strips:
                strips.first(PromptStrip).show(*shown)
            else:
                screen.mount(PromptStrip(*shown))

    # -- the alert inbox (F8) -----------------------------------------------------------------
    @property
    def inbox(self) -> Inbox:
        found = self.__dict__.get("_inbox")
        if found is None:
            found = self.__dict__["_inbox"] = Inbox()
        return found

    def tell(self, message: str, *, title: str = "", severity: str = "warning") -> None:
        """An alert: into the inbox (F8) and the strip above the footer, never a toast over
        the board; the bell rings where the caller rings it (once per new alert)."""
        self.inbox.add(InboxItem(self.clock_now(), title, message, severity))
        if not self._telling_later:  # else the strips are placed once the burst is told
            self._place_prompt_strips()

    def action_inbox(self) -> None:
        """Every alert of the session, newest first; reading them clears the strip's line."""
        if any(isinstance(s, InboxScreen) for s in self.screen_stack):
            return
        self.inbox.read()
        self._place_prompt_strips()
        self.push_screen(InboxScreen(self.inbox.items, self.settings.tz))

    # -- the key and the palette -------------------------------------------------------------
    def action_delay_calls(self) -> None:
        """Open the delay calls (F3), from any screen."""
        self.open_delay_calls()

    def open_delay_calls(self) -> None:  # CallCenterApp's
        raise NotImplementedError

    def action_ledger(self) -> None:
        """Open the rescue ledger (F4), from any screen."""
        self.open_ledger()

    def open_ledger(self) -> None:  # CallCenterApp's
        raise NotImplementedError

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if self.delay_calls is not None and not self._read_only_session:
            yield SystemCommand(
                _("Call desk (F3)"),
                _("Delay, feedback and other calls to make; take one and record it"),
                self.action_delay_calls,
            )
        yield SystemCommand(
            _("Rescue ledger (F4)"),
            _("Every rescue, filtered by date, crew, operator …; export to Excel"),
            self.action_ledger,
        )
