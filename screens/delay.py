"""The delay call (MISSION "The call", step 5) in the running application.

* :class:`DelayCallsMixin` — mixed into :class:`screens.app.CallCenterApp`: the SLA watch
  loop (an APScheduler ``AsyncIOScheduler`` running a :class:`~callcenter.watch.Sweeper`
  every ``sweep_seconds``, which judges the cases whose time has come), the open delay-call prompts
  (reloaded after every sweep and whenever the change feed reports an alert or a case, so a
  prompt reaches every operator's application, not only the one that swept it), a toast and
  one terminal bell per new alert, the prompt strip on every full screen, the owner-notice
  state of the cases (``app.owner_notices``) and the F3 key.
* :class:`PromptStrip` — one docked line above the footer: how many owners to call, and the
  first call to make. It never takes focus, so a form being typed keeps every keystroke.
* :class:`DelayCallsScreen` — the list of open prompts with who has taken each; Enter takes
  the selected call (one operator only: a second is told who has it and since when).
* :class:`DelayCallForm` — the call itself: owner reached, reason, new expected arrival.

Caller text (plate, names) is data: it is shown through :class:`~textual.content.Content` or
:class:`rich.text.Text`, and every notification goes out with ``markup=False``.
"""

from __future__ import annotations

import itertools
import logging
import math
import threading
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import (
    Button,
    DataTable,
    Input,
    RadioButton,
    RadioSet,
    Select,
    Static,
)
from textual.worker import Worker

from callcenter.domain import AlertKind, Case, CaseEvent, Change, DelayReason
from callcenter.errors import (
    CallCenterError,
    ConcurrencyConflict,
    DatabaseUnavailable,
    ValidationError,
)
from callcenter.i18n import N_, _
from screens.format import local_time
from screens.i18n_bindings import translate_bindings
from screens.messages import AlertsRaised, DelayPromptsChanged, own_screens
from screens.widgets.form import Form, RadioField, SelectField

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from callcenter.delays import DelayCallResult, DelayCalls, DelayPrompt, OwnerNotice
    from callcenter.services import Services
    from callcenter.settings import Settings
    from callcenter.watch import Sweeper, SweepResult

log = logging.getLogger(__name__)


def _not_needed() -> OwnerNotice:
    # callcenter.delays (with the SLA watch and phone formatting) loads after the first
    # frame: the board paints before it is needed.
    from callcenter.delays import OwnerNotice

    return OwnerNotice.NOT_NEEDED


#: How long a delay-call toast stays (seconds): long enough to be read between two keys.
PROMPT_TOAST_S = 30.0
#: At most this many toasts at once; the rest are summed up in one more.
MAX_TOASTS = 3
#: A new expected arrival further away than this is almost surely a typing slip (a time of
#: day already passed rolls over to tomorrow).
MAX_ETA_AHEAD = timedelta(hours=12)

# The timeline events of the delay call (callcenter.delays, callcenter.watch), for the case
# detail screen.
DELAY_EVENT_LABELS: dict[str, str] = {
    "alert_raised": N_("SLA alert"),
    "delay_call": N_("Delay call to the owner"),
    "deadline_extended": N_("Promised arrival extended"),
}

_OUTCOMES: dict[str, str] = {
    "missed": N_("over before it was seen"),
    "owner_told": N_("owner told"),
    "covered": N_("covered by another call"),
    "already_told": N_("owner already told"),
    "clock_stopped": N_("no longer needed"),
    "superseded": N_("promise extended meanwhile"),
}


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


def display_name(services: Services, username: str) -> str:
    """The display name of ``username`` (in a thread: may read the staff table once)."""
    reader = getattr(services, "display_name", None)
    return reader(username) if reader is not None else username


def late_text(prompt: DelayPrompt) -> str:
    if prompt.late_minutes:
        return _("about {n} min").format(n=prompt.late_minutes)
    return _("late") if prompt.kind is AlertKind.ARRIVAL_LATE else _("at risk")


def taken_text(prompt: DelayPrompt, names: dict[str, str], actor: str, tz: tzinfo) -> str:
    """Who has taken the call and since when: "王芳 22:31", "you 22:31", or a dash."""
    if prompt.claimed_by is None:
        return "—"
    who = (
        _("you") if prompt.claimed_by == actor else names.get(prompt.claimed_by, prompt.claimed_by)
    )
    return f"{who} {local_time(prompt.claimed_at, tz)}"  # type: ignore[arg-type]


def handling_text(who: str | None, since: datetime | None, tz: tzinfo) -> str:
    """The line saying who has the call: ``who`` None is this operator."""
    when = local_time(since, tz)  # type: ignore[arg-type]
    if who is None:
        return _("You are handling this call (since {when}).").format(when=when)
    return _("{who} is handling this call (since {when}).").format(who=who, when=when)


def delay_event_details(event: CaseEvent, local: Callable[[Any], str]) -> str:
    """The details of a delay-call timeline event, in words (``local`` shows an instant)."""
    details = event.details
    parts: list[str] = []
    if event.kind == "alert_raised":
        kind = details.get("kind", "")
        try:
            parts.append(AlertKind(kind).label)
        except ValueError:
            parts.append(str(kind))
        if details.get("deadline"):
            parts.append(_("deadline {time}").format(time=local(details["deadline"])))
        outcome = details.get("outcome")
        if outcome:
            parts.append(_(_OUTCOMES.get(outcome, outcome)))
    elif event.kind == "delay_call":
        parts.append(_("owner reached") if details.get("reached") else _("owner not reached"))
        reason = details.get("reason", "")
        try:
            parts.append(_("reason: {reason}").format(reason=DelayReason(reason).label))
        except ValueError:
            parts.append(_("reason: {reason}").format(reason=reason))
        if details.get("reason_text"):
            parts.append(str(details["reason_text"]))
        if details.get("new_eta"):
            parts.append(_("new expected arrival {time}").format(time=local(details["new_eta"])))
        if details.get("late_minutes"):
            parts.append(_("about {n} min late").format(n=details["late_minutes"]))
    elif event.kind == "deadline_extended":
        parts.append(
            _("from {previous} to {promised}").format(
                previous=local(details.get("previous")), promised=local(details.get("promised"))
            )
        )
        if details.get("original"):
            parts.append(_("original promise {time} kept").format(time=local(details["original"])))
        reason = details.get("reason", "")
        with suppress(ValueError):
            parts.append(_("reason: {reason}").format(reason=DelayReason(reason).label))
    return _("; ").join(parts)


# --------------------------------------------------------------------------------------------
# The prompt strip


class PromptStrip(Static):
    """How many owners to call and the first call to make, docked above the footer.

    Mounted by the application on every full screen while a call waits (like the outage
    banner); never focusable. A click opens the delay calls.
    """

    DEFAULT_CSS = """
    PromptStrip {
        dock: bottom;
        margin-bottom: 1;
        width: 100%;
        height: auto;
        max-height: 2;
        padding: 0 1;
        background: $warning-muted;
        color: $text;
    }
    PromptStrip.-late {
        background: $error-muted;
    }
    """

    def __init__(self, content: Content, late: bool) -> None:
        super().__init__(content, markup=False)
        self._content = content
        self.set_class(late, "-late")

    def show(self, content: Content, late: bool) -> None:
        """Say ``content``. Asked after every sweep: the same text costs nothing, and a new
        one a layout only when it needs another number of lines (a layout repaints the
        whole screen, tens of kilobytes to an operator over SSH)."""
        self.set_class(late, "-late")
        if content == self._content:
            return
        layout = self._lines(content) != self._lines(self._content)
        self._content = content
        self.update(content, layout=layout)

    def _lines(self, content: Content) -> int:
        width = self.content_region.width
        if width <= 0:
            return 0
        return min(2, -(-content.cell_length // width) or 1)

    async def on_click(self) -> None:
        await self.app.run_action("app.delay_calls")


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
        Binding("f3", "delay_calls", N_("Delay calls"), show=False),
    ]

    # Provided by CallCenterApp.
    services: Services
    settings: Settings
    tz: Any
    at_risk: timedelta

    delay_calls: DelayCalls | None = None
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
        self.delay_prompts = []
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

    @property
    def _read_only_session(self) -> bool:
        """The supervisor board (``read_only`` is CallCenterApp's): no sweep, no prompt."""
        return bool(getattr(self, "read_only", False))

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
                self._sweep_and_read,
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
    def _sweep_and_read(self) -> tuple[SweepResult, DeskState]:
        """One sweep, then the prompts as they now stand (runs in a thread)."""
        assert self._sweeper_factory is not None
        with self._sweep_lock:  # the scheduler's sweeps and sweep_now take turns
            if self._sweeper is None:
                self._sweeper = self._sweeper_factory()
            result = self._sweeper()
        return result, self._read_desk(initial=False)

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
        def __init__(self, result: SweepResult, state: DeskState) -> None:
            super().__init__()
            self.result = result
            self.state = state

    class SweepFailed(Message):
        def __init__(self, error: BaseException) -> None:
            super().__init__()
            self.error = error

    def _scheduled_sweep_done(self, done: tuple[SweepResult, DeskState]) -> None:
        self._sweep_done(*done)

    @on(SweepDone)
    def _on_sweep_done(self, message: SweepDone) -> None:
        self._sweep_done(message.result, message.state)

    @on(SweepFailed)
    def _on_sweep_failed(self, message: SweepFailed) -> None:
        self._sweep_failed(message.error)

    def _sweep_done(self, result: SweepResult, state: DeskState) -> None:
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
        now = self.clock_now()
        prompts = calls.open_prompts(now)
        reader = getattr(self.services, "cases_for_notice", None)
        candidates = reader(now, self.at_risk) if reader is not None else self.services.open_cases()
        cases = notice_candidates(candidates, now, self.at_risk)
        notices = {
            case_id: notice
            for case_id, notice in (calls.notices(cases, now).items() if cases else ())
            if notice is not _not_needed()
        }
        names = {
            p.claimed_by: display_name(self.services, p.claimed_by)
            for p in prompts
            if p.claimed_by is not None
        }
        return DeskState(seq, now, prompts, notices, names, initial)

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
        known = set(self.owner_notices) | {p.case_id for p in self.delay_prompts}
        if any(
            change.entity == "alert" or (change.entity == "case" and change.entity_id in known)
            for change in changes
        ):
            self.refresh_prompts()

    def owner_notice(self, case_id: int) -> OwnerNotice:
        """Whether the owner of ``case_id`` was told its crew will be late (for the board)."""
        notice = self.owner_notices.get(case_id)
        return notice if notice is not None else _not_needed()

    # -- showing the prompts -----------------------------------------------------------------
    def _apply_desk(self, state: DeskState) -> None:
        if state.seq <= self._applied_seq:
            return  # an older reading finished late
        self._applied_seq = state.seq
        shown = {p.alert_id for p in self.delay_prompts}
        self.delay_prompts = list(state.prompts)
        self.owner_notices = dict(state.notices)
        self.staff_names.update(state.names)
        if not self._read_only_session:
            self._announce(state, shown)
        for screen in own_screens(self.screen_stack):
            screen.post_message(
                DelayPromptsChanged(self.delay_prompts, self.owner_notices, self.staff_names)
            )
        self._place_prompt_strips()

    def _announce(self, state: DeskState, shown: set[int]) -> None:
        """A toast for each prompt that appears; the bell once for each alert never seen."""
        appeared = [p for p in state.prompts if p.alert_id not in shown and not p.is_claimed]
        new = [p for p in appeared if p.alert_id not in self._seen_alerts]
        self._seen_alerts.update(p.alert_id for p in state.prompts)
        if not appeared:
            return
        if state.initial:
            self.notify(
                _("Owners to call about late crews: {n}. Press F3 for the delay calls.").format(
                    n=len(appeared)
                ),
                title=_("Delay calls"),
                severity="warning",
                timeout=PROMPT_TOAST_S,
                markup=False,
            )
            return
        shown_toasts = appeared if len(appeared) <= MAX_TOASTS else appeared[: MAX_TOASTS - 1]
        for prompt in shown_toasts:
            again = prompt not in new
            title = _("Delay call again — {number}") if again else _("Delay call — {number}")
            self.notify(
                prompt.message,
                title=title.format(number=prompt.case_number),
                severity="error" if prompt.kind is AlertKind.ARRIVAL_LATE else "warning",
                timeout=PROMPT_TOAST_S,
                markup=False,
            )
        if len(appeared) > len(shown_toasts):
            self.notify(
                _("…and {n} more owners to call. Press F3 for the delay calls.").format(
                    n=len(appeared) - len(shown_toasts)
                ),
                severity="warning",
                timeout=PROMPT_TOAST_S,
                markup=False,
            )
        if self.settings.bell:
            for _alert in new:
                self.bell()

    def _place_prompt_strips(self, _screen: Screen[Any] | None = None) -> None:
        """The prompt strip on every full screen while a call waits (modals show the one of
        the screen below). Nothing is focused, nothing pushed: typing goes on."""
        shown = None if self._read_only_session else strip_content(self.delay_prompts)
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

    # -- the key and the palette -------------------------------------------------------------
    def action_delay_calls(self) -> None:
        """Open the delay calls (F3), from any screen."""
        if self.delay_calls is None:
            self.notify(_("This screen is not available yet."), severity="error", markup=False)
            return
        if any(
            isinstance(screen, DelayCallsScreen | DelayCallForm) for screen in self.screen_stack
        ):
            return
        self.push_screen(DelayCallsScreen())

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if self.delay_calls is not None and not self._read_only_session:
            yield SystemCommand(
                _("Delay calls (F3)"),
                _("Owners to phone about a late crew; take a call and record it"),
                self.action_delay_calls,
            )


def _desk(widget: Widget) -> DelayCallsMixin:
    app = widget.app
    assert isinstance(app, DelayCallsMixin)
    return app


# --------------------------------------------------------------------------------------------
# The list of delay calls


class DelayCallsScreen(ModalScreen[None]):
    """The open prompts, live: who has taken each; Enter takes the selected call."""

    CSS_PATH = "delay.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", N_("Close")),
    ]

    class Claimed(Message):
        def __init__(self, prompt: DelayPrompt, version: int) -> None:
            super().__init__()
            self.prompt = prompt
            self.version = version

    class Refused(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)
        self._taking = False

    @property
    def desk(self) -> DelayCallsMixin:
        return _desk(self)

    def compose(self) -> ComposeResult:
        with Vertical(id="dc-box", classes="dc-box"):
            yield Static(Content(_("Delay calls — owners to phone")), classes="dc-title")
            table: DataTable[Text] = DataTable(id="dc-table", cursor_type="row", zebra_stripes=True)
            yield table
            yield Static(Content(_("No owner to call right now.")), id="dc-empty")
            yield Static("", id="dc-detail")
            yield Static(
                Content(_("Enter takes the selected call · Esc closes")), classes="dc-hint"
            )

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column(Text(_("Case No.")), key="number")
        table.add_column(Text(_("Plate")), key="plate")
        table.add_column(Text(_("Owner phone")), key="phone")
        table.add_column(Text(_("Crew")), key="crew")
        table.add_column(Text(_("Delay")), key="late")
        table.add_column(Text(_("Taken by")), key="taken")
        self.show_prompts(self.desk.delay_prompts)
        table.focus()
        self.desk.refresh_prompts()

    # -- the list ----------------------------------------------------------------------------
    def prompts(self) -> list[DelayPrompt]:
        return list(self._prompts)

    def show_prompts(self, prompts: Sequence[DelayPrompt]) -> None:
        table = self.query_one(DataTable)
        selected = self.selected()
        self._prompts = list(prompts)
        desk = self.desk
        actor = desk.services.actor
        table.clear()
        row_of = None
        for index, prompt in enumerate(self._prompts):
            style = "bold" if prompt.kind is AlertKind.ARRIVAL_LATE else ""
            taken = taken_text(prompt, desk.staff_names, actor, desk.tz)
            table.add_row(
                Text(prompt.case_number, style=style),
                Text(prompt.plate),
                Text(prompt.owner_phone),
                Text(prompt.crew_code or "—"),
                Text(late_text(prompt), style="bold red" if style else "yellow"),
                Text(taken, style="dim" if prompt.is_claimed else ""),
                key=str(prompt.alert_id),
            )
            if selected is not None and prompt.case_id == selected.case_id:
                row_of = index
        if row_of is not None:
            table.move_cursor(row=row_of, animate=False)
        empty = not self._prompts
        table.display = not empty
        self.query_one("#dc-empty").display = empty
        self._show_detail()

    def selected(self) -> DelayPrompt | None:
        prompts = getattr(self, "_prompts", [])
        if not prompts:
            return None
        row = self.query_one(DataTable).cursor_row
        return prompts[row] if 0 <= row < len(prompts) else None

    def _show_detail(self) -> None:
        prompt = self.selected()
        detail = self.query_one("#dc-detail", Static)
        if prompt is None:
            detail.update("")
            return
        tz = self.desk.tz
        line = _("{kind} · promised {promised} · owner {name}").format(
            kind=prompt.kind.label,
            promised=local_time(prompt.deadline, tz),
            name=prompt.owner_name,
        )
        content = Content.assemble((prompt.message, "bold"), "\n", line)
        if prompt.claimed_by is not None:
            who: str | None = self.desk.staff_names.get(prompt.claimed_by, prompt.claimed_by)
            if prompt.claimed_by == self.desk.services.actor:
                who = None
            content = Content.assemble(
                content, "\n", (handling_text(who, prompt.claimed_at, tz), "italic")
            )
        detail.update(content)

    @on(DataTable.RowHighlighted)
    def _highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def on_delay_prompts_changed(self, message: DelayPromptsChanged) -> None:
        self.show_prompts(message.prompts)

    # -- taking a call -----------------------------------------------------------------------
    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_take()

    def action_take(self) -> None:
        prompt = self.selected()
        if prompt is None or self._taking:
            return
        self._taking = True
        self._claim(prompt)

    @work(thread=True, group="delay-claim", exit_on_error=False)
    def _claim(self, prompt: DelayPrompt) -> None:
        desk = self.desk
        calls = desk.delay_calls
        assert calls is not None
        try:
            alert = calls.claim(prompt.alert_id, prompt.alert_version)
        except ConcurrencyConflict as exc:
            self.post_message(self.Refused(self._conflict_text(calls, prompt, exc)))
        except CallCenterError as exc:
            self.post_message(self.Refused(str(exc)))
        except Exception as exc:  # a bug: say so rather than leave the list stuck
            log.exception("taking a delay call failed")
            self.post_message(self.Refused(str(exc) or type(exc).__name__))
        else:
            self.post_message(self.Claimed(prompt, alert.version))

    def _conflict_text(
        self, calls: DelayCalls, prompt: DelayPrompt, exc: ConcurrencyConflict
    ) -> str:
        """Who has the call and since when, if someone has it; else the service's reason."""
        desk = self.desk
        try:
            now = calls.open_prompts()
        except CallCenterError:
            return str(exc)
        current = next((p for p in now if p.alert_id == prompt.alert_id), None)
        if current is None or current.claimed_by is None:
            return str(exc)
        who = display_name(desk.services, current.claimed_by)
        return handling_text(who, current.claimed_at, desk.tz)

    @on(Refused)
    def _refused(self, message: Refused) -> None:
        self._taking = False
        self.notify(message.text, severity="error", timeout=10, markup=False)
        self.desk.refresh_prompts()

    @on(Claimed)
    def _claimed(self, message: Claimed) -> None:
        self._taking = False
        self.desk.refresh_prompts()  # the others see it taken through the feed; so do we
        self.app.push_screen(DelayCallForm(message.prompt, message.version), self._form_done)

    def _form_done(self, result: DelayCallResult | None) -> None:
        self.desk.refresh_prompts()
        if result is not None:
            self.notify(outcome_text(result, self.desk.tz), timeout=15, markup=False)
        self.query_one(DataTable).focus()

    def action_close(self) -> None:
        self.dismiss(None)


def outcome_text(result: DelayCallResult, tz: tzinfo) -> str:
    """What became of the call, for the operator who made it."""
    case = result.case
    if result.extended:
        return _(
            "Promised arrival extended to {new}; the original promise {original} is kept."
        ).format(
            new=local_time(case.promised_arrival_at, tz),  # type: ignore[arg-type]
            original=local_time(case.original_promised_at, tz),  # type: ignore[arg-type]
        )
    if result.alert.outcome == "owner_told":
        return _("Owner told. The promise {promised} stands: case {number} stays late.").format(
            promised=local_time(case.promised_arrival_at, tz),  # type: ignore[arg-type]
            number=case.number,
        )
    return _("Owner not reached: you will be prompted again at {time}.").format(
        time=local_time(result.alert.snooze_until, tz)  # type: ignore[arg-type]
    )


# --------------------------------------------------------------------------------------------
# The call


def suggested_eta(prompt: DelayPrompt, now: datetime) -> datetime:
    """A starting value for the new expected arrival: the crew's ETA (else the promise plus
    the expected lateness), rounded up to five minutes, never in the past."""
    eta = prompt.expected_arrival or prompt.deadline + timedelta(minutes=prompt.late_minutes)
    eta = max(eta, now + timedelta(minutes=5))
    step = 300
    return datetime.fromtimestamp(math.ceil(eta.timestamp() / step) * step, eta.tzinfo)


@dataclass(frozen=True)
class DelayCallValues:
    """What is on the delay-call form: the raw text and choices, as typed."""

    reached: bool
    reason: DelayReason
    reason_text: str
    eta_text: str


# TODO(lead): drop when record_delay_call_text lands
def record_delay_call_text(
    desk: DelayCallsMixin, alert_id: int, values: DelayCallValues, version: int | None
) -> DelayCallResult:
    """Record the call through the service, from the raw text of the form."""
    calls = desk.delay_calls
    assert calls is not None
    record = getattr(calls, "record_delay_call_text", None)
    if record is not None:
        return record(
            alert_id,
            reached=values.reached,
            reason=values.reason,
            reason_text=values.reason_text,
            eta_text=values.eta_text,
            version=version,
        )
    # Today's path: the form parses the new arrival and limits it (moves to the service).
    now = desk.clock_now()
    eta = None
    if values.eta_text.strip() or values.reached:
        from callcenter.validation import parse_local_datetime

        eta = parse_local_datetime(values.eta_text, desk.tz, now, field="new_eta")
        if eta - now > MAX_ETA_AHEAD:
            raise ValidationError(
                "new_eta",
                _("{time} is more than 12 hours away: check the time.").format(
                    time=values.eta_text.strip()
                ),
            )
    return calls.record_delay_call(
        alert_id,
        reached=values.reached,
        reason=values.reason,
        reason_text=values.reason_text,
        new_eta=eta,
        version=version,
    )


class DelayCallForm(
    Form[DelayCallValues, "DelayCallResult"], ModalScreen["DelayCallResult | None"]
):
    """Record the call made to the owner. Dismisses with the result, or None (Esc gives the
    call back to everyone)."""

    CSS_PATH = "delay.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Save"), priority=True),
        Binding("escape", "back", N_("Give the call back")),
    ]
    FIELDS = ("reached", "reason", "reason_text", "new_eta")
    FIELD_ID = "dc-"
    ROW_ID = "dc-"
    OTHER_ERRORS = "new_eta"

    class Released(Message):
        def __init__(self, error: str | None) -> None:
            super().__init__()
            self.error = error

    def __init__(self, prompt: DelayPrompt, version: int) -> None:
        super().__init__()
        translate_bindings(self)
        self.prompt = prompt
        self.version = version
        self._releasing = False

    @property
    def desk(self) -> DelayCallsMixin:
        return _desk(self)

    # -- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        prompt = self.prompt
        desk = self.desk
        tz = desk.tz
        now = desk.clock_now()
        with Vertical(id="dc-form", classes="dc-box"):
            yield Static(
                Content(_("Delay call — case {number}").format(number=prompt.case_number)),
                classes="dc-title",
            )
            yield Static(Content(prompt.message), id="dc-message")
            eta = local_time(prompt.expected_arrival, tz) if prompt.expected_arrival else "—"
            yield Static(
                Content(
                    _("Owner {name} · promised {promised} · crew ETA {eta}").format(
                        name=prompt.owner_name,
                        promised=local_time(prompt.deadline, tz),
                        eta=eta,
                    )
                ),
                id="dc-info",
            )
            with (
                self.field_row("reached", _("The call")),
                RadioField(id="dc-reached", compact=True),
            ):
                yield RadioButton(_("Owner reached and told"), True, id="dc-reached-yes")
                yield RadioButton(_("Not reached"), id="dc-reached-no")
            with self.field_row("reason", _("Reason")):
                yield SelectField(
                    [(reason.label, reason) for reason in DelayReason],
                    value=DelayReason.TRAFFIC_JAM,
                    allow_blank=False,
                    compact=True,
                    id="dc-reason",
                )
                yield Static("", id="dc-reason-hint")
            yield self.field_row(
                "reason_text",
                _("Reason details"),
                Input(
                    placeholder=_("required for “Other reason”"),
                    max_length=500,
                    compact=True,
                    id="dc-reason_text",
                ),
            )
            yield self.field_row(
                "new_eta",
                _("New arrival"),
                Input(
                    local_time(suggested_eta(prompt, now), tz),
                    placeholder=_("HH:MM, e.g. 22:55"),
                    compact=True,
                    id="dc-new_eta",
                ),
            )
            with Horizontal(classes="dc-buttons"):
                yield Button(_("Save (Ctrl+S)"), variant="primary", compact=True, id="dc-save")
                yield Button(_("Give back (Esc)"), compact=True, id="dc-back")

    def on_mount(self) -> None:
        self._show_reason_hint()
        self.query_one("#dc-reached", RadioSet).focus()

    # -- values and hints --------------------------------------------------------------------
    def reached(self) -> bool:
        return self.query_one("#dc-reached-yes", RadioButton).value

    def reason(self) -> DelayReason:
        value = self.query_one("#dc-reason", Select).value
        return value if isinstance(value, DelayReason) else DelayReason.OTHER

    def reason_text(self) -> str:
        return self.query_one("#dc-reason_text", Input).value

    def eta_text(self) -> str:
        return self.query_one("#dc-new_eta", Input).value

    def form_values(self) -> DelayCallValues:
        return DelayCallValues(self.reached(), self.reason(), self.reason_text(), self.eta_text())

    def _show_reason_hint(self) -> None:
        reason = self.reason()
        if not self.reached():
            text = _("Not reached: the prompt comes back in {n} min.").format(
                n=int(self.desk.delay_calls.renotify.total_seconds() // 60)  # type: ignore[union-attr]
            )
        elif reason.is_force_majeure:
            text = _("Force majeure: the promised arrival moves to the new arrival.")
        else:
            text = _("Not force majeure: the promise stands and the case stays late.")
        self.query_one("#dc-reason-hint", Static).update(Content(text))

    @on(Select.Changed, "#dc-reason")
    def _reason_changed(self) -> None:
        self._show_reason_hint()
        self.clear_error("reason_text")

    @on(RadioSet.Changed)
    def _reached_changed(self) -> None:
        self._show_reason_hint()
        self.clear_error("new_eta")

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        self.clear_error((event.input.id or "").removeprefix(self.FIELD_ID))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "dc-new_eta":
            self.action_save()
        else:
            self.focus_next()

    @on(Button.Pressed, "#dc-save")
    def _save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_save()

    @on(Button.Pressed, "#dc-back")
    def _back_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_back()

    # -- saving ------------------------------------------------------------------------------
    def action_save(self) -> None:
        if not self._releasing:
            super().action_save()

    def form_saving(self, saving: bool) -> None:
        if saving:
            self.clear_errors()

    def submit(self, values: DelayCallValues) -> DelayCallResult:
        return record_delay_call_text(self.desk, self.prompt.alert_id, values, self.version)

    def form_failed(self, error: Exception) -> None:
        super().form_failed(error)
        if isinstance(error, ConcurrencyConflict):
            self.dismiss(None)  # the call is no longer ours: leave the form

    def form_saved(self, result: DelayCallResult) -> None:
        self.dismiss(result)

    # -- giving the call back ----------------------------------------------------------------
    def action_back(self) -> None:
        if self.saving or self._releasing:
            return
        self._releasing = True
        self._release()

    @work(thread=True, group="delay-call-release", exit_on_error=False)
    def _release(self) -> None:
        calls = self.desk.delay_calls
        assert calls is not None
        try:
            calls.release_claim(self.prompt.alert_id)
        except CallCenterError as exc:
            self.post_message(self.Released(str(exc)))
        except Exception as exc:
            log.exception("giving a delay call back failed")
            self.post_message(self.Released(str(exc) or type(exc).__name__))
        else:
            self.post_message(self.Released(None))

    @on(Released)
    def _released(self, message: Released) -> None:
        self._releasing = False
        if message.error:
            self.notify(message.error, severity="error", timeout=10, markup=False)
        self.dismiss(None)
