"""The Textual application: one per operator or supervisor session."""

from __future__ import annotations

import asyncio
import contextlib
import faulthandler
import gc
import logging
import os
import signal
import termios
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from textual import work
from textual.actions import ActionParseResult
from textual.app import App
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from callcenter.clock import Clock, SystemClock
from callcenter.domain import Case, Change, Crew, lifecycle
from callcenter.drafts import DraftStore, new_session
from callcenter.errors import CallCenterError, DatabaseUnavailable
from callcenter.i18n import N_, _
from callcenter.permissions import Action
from callcenter.settings import Settings, state_dir
from screens.board.board import BoardScreen
from screens.desk import DelayCallsMixin
from screens.kit.actions import READ_ONLY_ACTIONS
from screens.kit.format import error_text, safe_text
from screens.kit.i18n_bindings import translate_bindings
from screens.kit.messages import DatabaseState, DataChanged, own_screens
from screens.kit.textual_private import drain_dead_output, install_text_guard
from screens.kit.textual_private import install as install_partial_updates
from screens.kit.textual_words import key_description
from screens.palette import LocalPaletteMixin

if TYPE_CHECKING:  # loaded after the first frame (see callcenter.cli)
    from callcenter.calls.model import DeskItem
    from callcenter.complaints.model import Complaint
    from callcenter.ports import ChangeFeed  # the ports import every feature's model
    from callcenter.services import Services
    from callcenter.services.calls import CallDesk
    from callcenter.services.delays import DelayCallResult, DelayCalls, DelayPrompt
    from callcenter.watch import Sweeper

log = logging.getLogger(__name__)
install_partial_updates()  # the countdown writes only the characters that change
install_text_guard()  # no stored text ever writes a control character to a terminal
# A hang-up: how often the terminal is checked, and how long the exit may take before the
# process leaves without its normal clean-up (the draft is on disk by then).
HANGUP_POLL_S = 0.5
EXIT_DEADLINE_S = 2.5

#: What may run while the session is still connecting (the board's frame is up, no data).
CONNECTING_ACTIONS = frozenset({"help", "quit"})

#: The longest the feed worker blocks in ``feed.wait`` before it looks whether to stop.
FEED_WAIT_S = 0.5
#: While the feed cannot even be opened: first and longest pause between attempts.
FEED_RETRY_FIRST_S = 0.25
FEED_RETRY_MAX_S = 5.0
#: The SLA watch starts when the board is loaded, or at the latest this many seconds after
#: the session is connected.
DELAY_START_MAX_S = 3.0
#: After this many seconds the objects of the started app are left out of garbage collection.
GC_FREEZE_AFTER_S = 1.0


@dataclass
class Session:
    """What a session needs from the database side, built by the composition root
    (:func:`callcenter.bootstrap.session`)."""

    services: Services
    feed_factory: Callable[[], ChangeFeed]
    notices: list[str] = field(default_factory=list)
    delay_calls: DelayCalls | None = None
    #: The call desk (F3): every kind of outbound call, the delay calls among them.
    call_desk: CallDesk | None = None
    sweeper: Callable[[], Sweeper] | None = None
    #: The open cases and the crews, read while connecting (the board's first reading),
    #: and the change feed, opened before that reading so that no change falls between.
    board: tuple[list[Case], list[Crew]] | None = None
    feed: ChangeFeed | None = None


class Connected(Message):
    """The session was built in the background (``connect``), or could not be."""

    def __init__(self, session: Session | None, error: BaseException | None) -> None:
        super().__init__()
        self.session = session
        self.error = error


class FeedRead(Message):
    """The feed worker read what other sessions changed; the app tells every screen."""

    def __init__(self, changed: DataChanged) -> None:
        super().__init__()
        self.changed = changed


class ActionsProvider(Provider):
    """Every action of the application, searchable in the command palette."""

    def _commands(self) -> Iterable[tuple[str, str, Callable[[], object]]]:
        app = self.app
        assert isinstance(app, CallCenterApp)
        yield _("Help: show the keys"), _("List every key of this screen"), app.action_help
        yield _("Quit"), _("Leave the application"), app.action_quit
        yield _("Refresh the board"), _("Re-read every open case"), app.action_refresh
        yield (
            _("KPI dashboard (F10)"),
            _("This month against last month and last year, with charts and their cases"),
            app.action_dashboard,
        )
        yield (
            _("Shift handover (F12)"),
            _("What the next shift must know since the shift began; mark it read"),
            app.action_handover,
        )
        if app.connected:
            yield (
                _("Crews: duty, position, reassignment (F11)"),
                _("Off duty, out of service, back on duty; a crew's position (supervisors)"),
                app.open_crews,
            )
            yield (
                _("Tariff and policy in force"),
                _("Every SLA clock and the fee per rescue plan, read only"),
                app.open_policy,
            )
        if not app.read_only:
            yield (
                _("Import an old ledger (F9)"),
                _("Bring an Excel or CSV ledger in as closed cases (supervisors)"),
                app.action_ledger_import,
            )

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)


class CallCenterApp(DelayCallsMixin, LocalPaletteMixin, App[int]):
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {ActionsProvider}
    BINDINGS = [
        Binding("f1", "help", "Help", show=False),
        Binding("f9", "ledger_import", N_("Import a ledger"), show=False),
        Binding("f5", "archive", N_("Customer archive"), show=False),
        Binding("f7", "audit_log", N_("Audit log"), show=False),
        Binding("f6", "complaints", N_("Complaints"), show=False),
        Binding("f12", "handover", N_("Shift handover"), show=False),
        Binding("f11", "crews_desk", N_("Crews: duty and position"), show=False),
        Binding("f10", "dashboard", N_("KPI dashboard"), show=False),
    ]
    ENABLE_COMMAND_PALETTE = True

    def __init__(
        self,
        settings: Settings,
        *,
        session: Session | None = None,
        connect: Callable[[], Session] | None = None,
        clock: Clock | None = None,
        feed_interval: float | None = None,
        drafts: DraftStore | None = None,
        read_only: bool = False,
        watch: bool | None = None,
    ) -> None:
        """A session's application: either ``session`` (already connected: the tests), or
        ``connect``, which builds it in a thread once the first frame is on the screen (an
        interactive start: the board's frame shows before the database layer is even
        imported). If ``connect`` fails, the application exits and ``startup_error`` holds
        why, for the command line to print."""
        super().__init__()
        if (session is None) == (connect is None):
            raise TypeError("give either session or connect")
        # The supervisor board: no action that writes (see ``allows_action``).
        self.read_only = read_only or (session is not None and session.services.read_only)
        translate_bindings(self)
        self.settings = settings
        self.clock: Clock = clock or (session.services.clock if session else SystemClock())
        self.tz = settings.tz
        self.at_risk = timedelta(minutes=settings.at_risk_minutes)
        self._connect = connect
        self.connected = False
        self.startup_error: BaseException | None = None
        self._feed_factory: Callable[[], ChangeFeed] | None = None
        self._feed: ChangeFeed | None = None
        # None: the feed's own pace (PostgreSQL: at once; SQLite: every 0.1 s).
        self._feed_interval = feed_interval
        self._feed_stop = threading.Event()
        self._notices: list[str] = []
        self._first_reading: tuple[list[Case], list[Crew]] | None = None
        self.db_error: str | None = None
        self.title = _("24-hour Rescue Call Centre")
        self.sub_title = settings.user  # with the name and role once connected
        # The half-typed call of this operator, kept on disk (screens/intake/intake.py).
        # One per session: the same operator in two terminals keeps both half-typed calls.
        self.drafts = (
            drafts
            if drafts is not None
            else DraftStore(state_dir() / "drafts", settings.user or "operator", new_session())
        )
        self.drafts.hold()
        self._previous_signal_handlers: dict[int, object] = {}
        self._stopping_on_signal = False
        self._terminal_watch_stop = threading.Event()
        # The SLA watch loop and the delay-call prompts (screens/desk.py).
        self.init_delay_calls(None, None, watch)
        if session is not None:
            self._attach_session(session)

    def _attach_session(self, session: Session) -> None:
        self._first_reading = session.board
        self._feed = session.feed
        self.services = session.services
        self.clock = session.services.clock
        self.read_only = self.read_only or session.services.read_only
        self._feed_factory = session.feed_factory
        self._notices = list(session.notices)
        self.delay_calls = session.delay_calls
        self.call_desk = session.call_desk
        self._sweeper_factory = session.sweeper
        self.sub_title = session_title(session.services, self.settings.user, self.read_only)
        self.connected = True

    def clock_now(self) -> datetime:
        return self.clock.now()

    def on_mount(self) -> None:
        if self.read_only:  # its filter's widgets (Select, Checkbox …): not an operator's
            from screens.board.supervisor import SupervisorBoardScreen

            self.push_screen(SupervisorBoardScreen())
        else:
            self.push_screen(BoardScreen())
        self._install_signal_handlers()
        self.screen_change_signal.subscribe(self, self.show_banner)
        if self.connected:
            self._start_session()
        else:
            # The frame first; then the database layer is imported and connected in a thread.
            self.call_after_refresh(self._connect_in_background)

    def _start_session(self) -> None:
        """Connected: the draft offer, notices, the change feed, the SLA watch, the data."""
        if not self.read_only:
            self.offer_draft()
        for notice in self._notices:  # the first start's: in the alerts (F8), read there
            self.tell(notice, title=_("Start"), severity="information")
        threading.Thread(target=self.follow_feed, name="change-feed", daemon=True).start()
        # A full collection walks every object of Textual, Rich and SQLAlchemy and holds the
        # GIL for up to hundreds of ms on a loaded machine, stalling the feed thread and the
        # keys. Objects alive once the app has started stay for good: leave them out.
        self.set_timer(GC_FREEZE_AFTER_S, gc.freeze)
        self.refresh_bindings()
        first, self._first_reading = self._first_reading, None
        for screen in self.screen_stack:
            if isinstance(screen, BoardScreen) and screen.is_mounted and not screen.loaded:
                screen.load(first)
        # The SLA watch and the delay desk read the database too: they start once the board
        # has its cases (``board_loaded``), so that the board is filled first; at the latest
        # after DELAY_START_MAX_S.
        self.set_timer(DELAY_START_MAX_S, self.board_loaded)

    def board_loaded(self) -> None:
        """The board read its cases (or failed to): start the SLA watch and the delay desk."""
        if self.connected and not self._delay_started:
            self.start_delay_calls()

    @work(thread=True, exclusive=True, group="connect", exit_on_error=False)
    def _connect_in_background(self) -> None:
        assert self._connect is not None
        started = time.perf_counter()
        try:
            session = self._connect()
        except Exception as exc:  # reported by the command line once the screen is restored
            self.post_message(Connected(None, exc))
            return
        log.info("session connected in %.3f s", time.perf_counter() - started)
        self.post_message(Connected(session, None))

    def on_connected(self, message: Connected) -> None:
        if message.session is None:
            self.startup_error = message.error
            log.error("could not start the session: %s", message.error)
            self.exit(None, 1)
            return
        # The command line starts with garbage collection off (callcenter.cli._run_app): on
        # again, with the objects of the start-up left out, or the first collection would
        # walk all of them before the board shows its cases.
        gc.freeze()
        gc.enable()
        self._attach_session(message.session)
        self._start_session()

    def on_unmount(self) -> None:
        self._restore_signal_handlers()
        self._feed_stop.set()  # the feed thread closes the feed
        gc.unfreeze()  # collectable again (many apps run one after another in the tests)
        gc.enable()
        self.stop_delay_calls()
        self.drafts.let_go()  # what is left in it is offered at the next start

    # -- drafts, hang-up (the intake form: screens/intake.py) --------------------------
    def offer_draft(self) -> None:
        """Calls left half-typed (closed terminal, dropped SSH), in this session's draft or in
        one no running session holds, are offered back at start, one after the other."""
        offers = [self.drafts] if self.drafts.session is None else []
        offers += DraftStore.orphans(
            self.drafts.directory, self.drafts.user, besides=self.drafts.path
        )
        self._offer_next(offers)

    def _offer_next(self, offers: list[DraftStore]) -> None:
        if self.drafts.session is not None and self.drafts.exists():
            return  # a restored call is kept as this session's draft: the rest at next start
        while offers:
            store = offers.pop(0)
            try:
                draft = store.load()
                stamp = store.saved_at()
            except OSError as exc:
                log.error("cannot read the draft %s: %s", store.path, exc)
                continue
            if draft:
                break
        else:
            return

        def chosen(choice: str | None) -> None:
            if choice == "restore":
                from screens.intake.intake import IntakeScreen

                if store is not self.drafts:  # another session's: this session's from now on
                    try:
                        self.drafts.save(draft)
                        store.clear()
                    except OSError as exc:
                        log.error("cannot move the draft %s: %s", store.path, exc)
                self.push_screen(IntakeScreen(draft), lambda _result: self._offer_next(offers))
                return
            if choice == "discard":
                store.clear()
            self._offer_next(offers)

        from screens.intake.draft_offer import DraftOfferScreen, saved_time

        self.push_screen(DraftOfferScreen(draft, saved_time(stamp, self.tz)), chosen)

    def action_new_call(self) -> None:
        """Open the intake form (the form restores a kept draft itself)."""
        if self.read_only:
            return
        if not isinstance(self.screen, BoardScreen):
            return
        self.open_intake()

    # -- navigation: the only place that opens screens (see screens/kit/host.py) -------------
    def open_case(self, case_id: int) -> None:
        """The case in full."""
        from screens.case.detail import CaseDetailScreen

        self.push_screen(CaseDetailScreen(case_id))

    def open_intake(self, done: Callable[[int | None], None] | None = None) -> None:
        """The intake form, unless one is open already; ``done`` gets the saved case's id."""
        from screens.intake.intake import IntakeScreen

        if any(isinstance(screen, IntakeScreen) for screen in self.screen_stack):
            return
        self.push_screen(IntakeScreen(), done)

    def open_dispatch(self, case: Case, done: Callable[[int | None], None] | None = None) -> None:
        """The crew list for ``case``; ``done`` gets the case's id once a crew is sent."""
        from screens.case.dispatch import DispatchScreen

        self.push_screen(DispatchScreen(case), done)

    def open_reassign(self, case: Case, done: Callable[[int | None], None] | None = None) -> None:
        """The crew list for giving ``case`` another crew (a supervisor)."""
        from screens.case.dispatch import DispatchScreen

        self.push_screen(DispatchScreen(case, reassign=True), done)

    def open_crews(self) -> None:
        """The crews (F11), from any screen, once."""
        from screens.crews.crews import CrewsScreen

        if self.connected and not any(isinstance(s, CrewsScreen) for s in self.screen_stack):
            self.push_screen(CrewsScreen())

    def action_crews_desk(self) -> None:
        self.open_crews()

    def open_policy(self) -> None:
        """The tariff and policy in force (read only), once."""
        from screens.policy.policy import PolicyScreen

        if self.connected and not any(isinstance(s, PolicyScreen) for s in self.screen_stack):
            self.push_screen(PolicyScreen())

    def open_search(self, done: Callable[[int | None], None] | None = None) -> None:
        """The case search; ``done`` gets the chosen case's id."""
        from screens.search.search import SearchScreen

        self.push_screen(SearchScreen(), done)

    def open_delay_calls(self) -> None:
        """The delay calls (F3), from any screen, once."""
        from screens.calls.call_form import CallForm
        from screens.calls.delay_form import DelayCallForm
        from screens.calls.delay_list import DelayCallsScreen
        from screens.calls.survey_form import SurveyCallForm

        if self.delay_calls is None:
            self.notify(_("This screen is not available yet."), severity="error", markup=False)
            return
        if any(
            isinstance(screen, DelayCallsScreen | DelayCallForm | CallForm | SurveyCallForm)
            for screen in self.screen_stack
        ):
            return
        self.push_screen(DelayCallsScreen())

    def open_ledger(self) -> None:
        """The rescue ledger (F4), from any screen, once."""
        from screens.ledger.export import ExportScreen
        from screens.ledger.ledger import LedgerScreen

        if any(isinstance(screen, LedgerScreen | ExportScreen) for screen in self.screen_stack):
            return
        self.push_screen(LedgerScreen())

    def open_delay_call(
        self,
        prompt: DelayPrompt,
        version: int,
        done: Callable[[DelayCallResult | None], None] | None = None,
    ) -> None:
        """The form of a delay call this operator has taken."""
        from screens.calls.delay_form import DelayCallForm

        self.push_screen(DelayCallForm(prompt, version), done)

    def open_call(
        self, item: DeskItem, version: int, done: Callable[[Any], None] | None = None
    ) -> None:
        """The form of a call of the desk (not a delay call) this operator has taken: the
        feedback call's survey, or the kind's generic form."""
        from callcenter.calls import feedback as feedback_kind
        from callcenter.calls import kinds
        from screens.calls.call_form import CallForm
        from screens.calls.survey_form import SurveyCallForm

        if kinds.get(item.kind).survey is not None:  # the feedback call, the revisit

            async def survey() -> None:
                missing = False
                if item.case_id is not None and item.kind == feedback_kind.NAME:
                    record = await asyncio.to_thread(self.services.service_record, item.case_id)
                    missing = record is not None and not record.accepted
                self.push_screen(SurveyCallForm(item, version, acceptance_missing=missing), done)

            self.run_worker(survey(), group="open-call", exclusive=True)
            return
        self.push_screen(CallForm(item, version), done)

    def open_promise(
        self,
        *,
        case_id: int | None = None,
        customer_id: int | None = None,
        name: str = "",
        phone: str = "",
        about: str = "",
        done: Callable[[Any], None] | None = None,
    ) -> None:
        """The form promising a call-back; once saved, the operator is told when."""
        from screens.calls.promise_form import PromiseForm, PromiseTarget, promised_text

        if self.call_desk is None:
            self.notify(_("This screen is not available yet."), severity="error", markup=False)
            return

        def saved(task: Any) -> None:
            if task is not None:
                self.notify(promised_text(task, self.tz), timeout=10, markup=False)
                self.refresh_prompts()
            if done is not None:
                done(task)

        target = PromiseTarget(case_id, customer_id, name, phone, about)
        self.push_screen(PromiseForm(target), saved)

    def open_record(self, case: Case, done: Callable[[Any], None] | None = None) -> None:
        """The service record of ``case``: read in a worker, then the form."""
        self.run_worker(self._open_record(case, done), group="open-record", exclusive=True)

    async def _open_record(self, case: Case, done: Callable[[Any], None] | None) -> None:
        from screens.records.record_form import Opened, RecordScreen

        def read() -> Opened:
            assert case.id is not None
            fresh = self.services.case(case.id)
            return Opened(
                fresh,
                self.services.service_record(case.id),
                self.services.record_form(fresh),
                DraftStore(self.drafts.directory / "records", f"{fresh.number}-record"),
            )

        try:
            opened = await asyncio.to_thread(read)
        except CallCenterError as exc:
            self.notify(error_text(exc, self.tz), severity="error", markup=False)
            return
        allowed = ("on_scene", "completed", "reported_back")
        if opened.record is None and opened.case.status.value not in allowed:
            self.notify(
                _("Case {number} is {status}: the service record is written on scene.").format(
                    number=opened.case.number, status=opened.case.status.label
                ),
                severity="error",
                markup=False,
            )
            return
        self.push_screen(RecordScreen(opened), done)

    def open_report_back(self, case: Case, done: Callable[[Any], None] | None = None) -> None:
        """The crew's report-back of ``case``."""
        from screens.records.report_back import ReportBackScreen

        if not lifecycle.allows(Action.REPORT_BACK, case.status):
            self.notify(
                _(
                    "Case {number} is {status}: the crew can report back once it is completed."
                ).format(number=case.number, status=case.status.label),
                severity="error",
                markup=False,
            )
            return
        self.push_screen(ReportBackScreen(case, self.services.report_back_form(case)), done)

    def open_ledger_import(self) -> None:
        """The import of an old ledger (F9), once; not on the read-only board."""
        from screens.ledger_import.ledger_import import LedgerImportScreen

        if self.read_only or not self.connected:
            return
        if any(isinstance(screen, LedgerImportScreen) for screen in self.screen_stack):
            return
        self.push_screen(LedgerImportScreen())

    def action_ledger_import(self) -> None:
        self.open_ledger_import()

    def open_archive(self) -> None:
        """The customer archive (F5), from any screen, once."""
        from screens.archive.customer import CustomerScreen
        from screens.archive.listing import ArchiveScreen

        if not self.connected:
            return
        if any(isinstance(s, ArchiveScreen | CustomerScreen) for s in self.screen_stack):
            return
        self.push_screen(ArchiveScreen())

    def action_archive(self) -> None:
        self.open_archive()

    def open_audit_log(self) -> None:
        """The audit log (F7): refused with a clear message unless supervisor or admin."""
        self.run_worker(self._open_audit_log(), group="open-audit", exclusive=True)

    async def _open_audit_log(self) -> None:
        from screens.audit.audit_log import AuditLogScreen

        if not self.connected:
            return
        if any(isinstance(s, AuditLogScreen) for s in self.screen_stack):
            return
        try:
            await asyncio.to_thread(self.services.open_audit_log)
        except CallCenterError as exc:
            self.notify(error_text(exc, self.tz), severity="error", markup=False)
            return
        self.push_screen(AuditLogScreen())

    def action_audit_log(self) -> None:
        self.open_audit_log()

    def action_dashboard(self) -> None:
        """The KPI dashboard (F10), from any screen, once."""
        self.open_dashboard()

    def open_dashboard(self) -> None:
        # Imported here: the dashboard and its charts stay off the board's start-up path.
        from screens.dashboard.dashboard import DashboardScreen
        from screens.dashboard.drill import CasesBehindScreen

        if not self.connected:
            self.notify(_("This screen is not available yet."), severity="error", markup=False)
            return
        if any(isinstance(s, DashboardScreen | CasesBehindScreen) for s in self.screen_stack):
            return
        self.push_screen(DashboardScreen())

    def action_complaints(self) -> None:
        """The complaints and escalations (F6), from any screen."""
        self.open_complaints()

    def action_handover(self) -> None:
        """The shift-handover digest (F12), from any screen."""
        self.open_handover()

    def open_handover(self) -> None:
        """The shift-handover digest (交接班), once."""
        from screens.handover.handover import HandoverScreen

        if not self.connected:
            self.notify(_("This screen is not available yet."), severity="error", markup=False)
            return
        if any(isinstance(s, HandoverScreen) for s in self.screen_stack):
            return
        self.push_screen(HandoverScreen())

    def open_complaints(self, *, crew_id: int | None = None) -> None:
        from screens.complaints.complaint_form import ComplaintForm
        from screens.complaints.complaint_list import ComplaintsScreen

        if not self.connected:
            self.notify(_("This screen is not available yet."), severity="error", markup=False)
            return
        if any(isinstance(s, ComplaintsScreen | ComplaintForm) for s in self.screen_stack):
            return
        self.push_screen(ComplaintsScreen(crew_id=crew_id))

    def open_complaint_form(
        self,
        *,
        case_id: int | None = None,
        complaint: Complaint | None = None,
        done: Callable[[Any], None] | None = None,
    ) -> None:
        """The complaint form: read what it starts with in a worker, then the form."""

        async def read() -> None:
            from screens.complaints.complaint_form import ComplaintForm

            try:
                if complaint is not None:
                    initial = await asyncio.to_thread(self.services.as_input, complaint)
                else:
                    initial = await asyncio.to_thread(self.services.complaint_form, case_id)
            except CallCenterError as exc:
                self.notify(error_text(exc, self.tz), severity="error", markup=False)
                return
            self.push_screen(ComplaintForm(initial, case_id=case_id, complaint=complaint), done)

        self.run_worker(read(), group="open-complaint", exclusive=True)

    def open_help(self) -> None:
        """Every key of the current screen, in the interface language (Textual's own keys
        of the focused widget too: screens/kit/textual_words.py)."""
        screen = self.screen
        textual_keys = {
            key for b in Screen.BINDINGS if isinstance(b, Binding) for key in b.key.split(",")
        }
        found = []
        for key, (node, b, _enabled, _tooltip) in screen.active_bindings.items():
            text = key_description(b.description) if b.description else None
            if text and b.action in ("app.help", "help"):
                text = _("Help")  # the footer may call it "More" where room is short
            if text:
                # The screen's own keys first, then the application's, then the focused
                # widget's and Textual's (moving, editing, Tab).
                own = node is screen and key not in textual_keys
                rank = 0 if own else 1 if node is self else 2
                found.append((rank, b.key_display or self.get_key_display(b), text))
        found.sort(key=lambda item: item[0])  # stable: each group in its own order
        from screens.help.help import HelpScreen

        self.push_screen(HelpScreen([(key, text) for _rank, key, text in found]))

    async def run_case_action(self, screen: Screen[Any], action: str, case: Case) -> None:
        """A lifecycle step of ``case`` for the operator of ``screen`` (screens/case_actions.py)."""
        from screens.case_actions import run_action

        await run_action(screen, action, case)

    def _unblock_output(self) -> None:
        """If Textual's output thread died on the dead terminal (EIO) before the hang-up
        reached us, its bounded queue fills and the next screen update blocks the event loop
        for good. Drain the queue so the application can finish its exit normally."""
        drain_dead_output(self)

    def exit(self, *args: Any, **kwargs: Any) -> None:
        """Leave the application; an open intake form writes its draft first (quit, hang-up)."""
        self.save_drafts()
        super().exit(*args, **kwargs)

    def save_drafts(self) -> None:
        """Write every open intake form's draft now, synchronously."""
        from screens.intake.intake import IntakeScreen

        for screen in list(self.screen_stack):
            if isinstance(screen, IntakeScreen):
                try:
                    screen.save_draft()
                except Exception:  # never let one form stop the others being saved
                    log.exception("saving a draft failed")

    def _install_signal_handlers(self) -> None:
        """SIGHUP (the SSH link dropped) and SIGTERM: keep the draft, leave within seconds.

        A plain ``signal.signal`` handler, not ``loop.add_signal_handler``: it runs in the
        main thread even if the event loop is blocked (e.g. on a write to a dead terminal).
        A watcher thread also notices a terminal that hung up without a SIGHUP reaching us
        (a shell that ignores or does not forward it): Textual's input thread would spin on
        the end-of-file of the dead terminal forever.
        """
        if self.is_headless or threading.current_thread() is not threading.main_thread():
            return
        self._loop_for_signals = asyncio.get_running_loop()
        for sig in (getattr(signal, "SIGHUP", None), signal.SIGTERM):
            if sig is not None:
                self._previous_signal_handlers[sig] = signal.signal(sig, self._on_signal)
        if hasattr(signal, "SIGHUP") and terminal_alive():
            threading.Thread(target=self._watch_terminal, name="hang-up-watch", daemon=True).start()

    def _watch_terminal(self) -> None:
        """Twice a second: is the terminal still there? If not, hang up as SIGHUP would."""
        while not self._terminal_watch_stop.wait(HANGUP_POLL_S):
            if not terminal_alive():
                if not self._stopping_on_signal:
                    log.warning("the terminal hung up without a SIGHUP")
                    os.kill(os.getpid(), signal.SIGHUP)
                return

    def _restore_signal_handlers(self) -> None:
        self._terminal_watch_stop.set()
        for sig, handler in self._previous_signal_handlers.items():
            with contextlib.suppress(ValueError, TypeError):
                signal.signal(sig, handler)  # type: ignore[arg-type]
        self._previous_signal_handlers.clear()

    def _on_signal(self, signum: int, _frame: object) -> None:
        if self._stopping_on_signal:
            return
        self._stopping_on_signal = True
        log.warning("signal %s: saving drafts and exiting", signum)
        self.save_drafts()
        if signum == getattr(signal, "SIGHUP", None):
            detach_from_terminal()
            self._unblock_output()
        # If the exit below cannot finish, leave anyway: the draft is already on disk.
        watchdog = threading.Timer(EXIT_DEADLINE_S, exit_now, args=(128 + signum,))
        watchdog.daemon = True
        watchdog.start()
        self._loop_for_signals.call_soon_threadsafe(partial(self.exit, None, 128 + signum))

    def follow_feed(self) -> None:
        """Wait for what other sessions commit; post the changed cases and crews.

        Runs in its own daemon thread as long as the app, not as a Textual worker: it never
        finishes, and ``app.workers.wait_for_complete()`` must still return. While the
        database is away it says so once (``DatabaseState(error)``), lets the feed back off
        and reconnect, and says when the database is back (``DatabaseState(None)``); it never
        ends on a database error.
        """
        stop = self._feed_stop
        retry = FEED_RETRY_FIRST_S
        down = False
        try:
            while not stop.is_set():
                try:
                    if self._feed is None:
                        assert self._feed_factory is not None
                        self._feed = self._feed_factory()
                    if self._feed_interval is None:
                        changes = self._feed.wait(FEED_WAIT_S)
                    elif stop.wait(self._feed_interval):
                        break
                    else:
                        changes = self._feed.poll()
                    read = self._read_changed(changes) if changes else None
                except DatabaseUnavailable as exc:
                    if not down:
                        self.post_message(DatabaseState(str(exc)))
                        down = True
                    if self._feed is None:  # not even opened: the feed has no backoff yet
                        stop.wait(retry)
                        retry = min(FEED_RETRY_MAX_S, retry * 2)
                    continue
                except Exception:  # a bug must not stop the live board for good
                    log.exception("the change feed failed")
                    stop.wait(FEED_RETRY_MAX_S)
                    continue
                retry = FEED_RETRY_FIRST_S
                if down:
                    down = False
                    self.post_message(DatabaseState(None))
                if read is not None:
                    self.post_message(FeedRead(read))
        finally:
            feed, self._feed = self._feed, None
            if feed is not None:
                feed.close()

    def _read_changed(self, changes: Sequence[Change]) -> DataChanged:
        case_ids = sorted({c.entity_id for c in changes if c.entity == "case"})
        cases = self.services.cases_by_ids(case_ids) if case_ids else []
        crews = self.services.crews() if any(c.entity == "crew" for c in changes) else []
        return DataChanged(cases, crews, changes)

    def on_feed_read(self, message: FeedRead) -> None:
        changed = message.changed
        for screen in own_screens(self.screen_stack):
            screen.post_message(DataChanged(changed.cases, changed.crews, changed.changes))
        self.delay_calls_feed(changed.changes)

    def on_database_state(self, message: DatabaseState) -> None:
        was_down = self.db_error is not None
        self.db_error = message.error
        self.show_banner()
        if message.error and not was_down:
            self.notify(message.error, severity="error", timeout=10, markup=False)
        elif message.error is None and was_down:
            self.notify(_("The database is back."))
            self.reload_boards()

    def show_banner(self, _screen: Screen[object] | None = None) -> None:
        """The outage banner at the top of every full screen while the database is away.

        Forms are left alone, so what is being typed stays; a modal shows the banner of the
        screen below it.
        """
        for screen in own_screens(self.screen_stack):
            if isinstance(screen, ModalScreen) or not screen.is_mounted:
                continue
            banners = screen.query_children("#db-banner")
            if self.db_error is None:
                banners.remove()
            elif not banners:
                banner = Static(
                    _("Database connection lost — retrying… Nothing you have typed is lost."),
                    id="db-banner",
                    markup=False,
                )
                screen.mount(banner)

    def reload_boards(self) -> None:
        """After an outage: re-read the open cases once, in case a change was missed."""
        for screen in self.screen_stack:
            if isinstance(screen, BoardScreen) and screen.is_mounted:
                try:
                    screen.load()
                except DatabaseUnavailable as exc:  # gone again: the feed will say so
                    log.warning("reloading the board failed: %s", exc)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            log.error("worker %s failed", event.worker.name, exc_info=event.worker.error)
            self.notify(str(event.worker.error), severity="error", timeout=10, markup=False)

    # -- read-only sessions (``callcenter board``) ---------------------------------------
    def allows_action(self, namespace: object, action: str) -> bool:
        """Whether ``action`` of ``namespace`` may run in this session."""
        if not self.connected:
            return action in CONNECTING_ACTIONS or _textual_own(namespace, action)
        if not self.read_only or action in READ_ONLY_ACTIONS:
            return True
        if isinstance(namespace, Widget) and not isinstance(namespace, Screen):
            return True  # a widget's own keys move a cursor or edit a field; screens write
        if getattr(namespace, "read_only_safe", False):
            return True  # a screen that declares it never writes (e.g. the filter modal)
        return _textual_own(namespace, action)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.allows_action(self, action):
            return False
        return super().check_action(action, parameters)

    def _check_action_state(self, action: str, default_namespace: DOMNode) -> bool | None:
        # Hides the keys of write actions from every footer of a read-only session; while
        # connecting, the keys are shown dimmed.
        target, name, _params = self._parse_action(action, default_namespace)
        if not self.allows_action(target, name):
            return None if not self.connected else False
        return super()._check_action_state(action, default_namespace)

    async def run_action(
        self,
        action: str | ActionParseResult,
        default_namespace: DOMNode | None = None,
        namespaces: Mapping[str, DOMNode] | None = None,
    ) -> bool:
        """Every key, link and ``run_action`` passes here: a read-only session refuses
        writes (the services refuse them again, and the database itself is read-only), and
        nothing that needs the database runs before the session is connected."""
        if self.read_only or not self.connected:
            target, name, _params = self._parse_action(
                action, self if default_namespace is None else default_namespace, namespaces
            )
            if not self.allows_action(target, name):
                if not self.connected:
                    self.notify(_("Connecting to the database…"), severity="warning")
                    return True
                log.warning("read-only session %s: refused action %s", self.settings.user, name)
                self.notify(_("This board is read-only."), severity="warning")
                return True
        return await super().run_action(action, default_namespace, namespaces)

    def action_help(self) -> None:
        self.open_help()

    def action_refresh(self) -> None:
        screen = self.screen
        if isinstance(screen, BoardScreen):
            screen.load()


def _textual_own(namespace: object, action: str) -> bool:
    """Whether ``action`` is one of Textual's own (cursor, scroll, focus, palette, quit):
    those never write."""
    method = getattr(namespace, f"_action_{action}", None) or getattr(
        namespace, f"action_{action}", None
    )
    return method is not None and getattr(method, "__module__", "").startswith("textual.")


def session_title(services: Services, user: str, read_only: bool) -> str:
    """ "王芳 (Operator)" and, on the supervisor board, "· read-only"."""
    staff = services.staff
    title = safe_text(f"{staff.display_name} ({staff.role.label})" if staff is not None else user)
    if read_only:
        return _("{who} · read-only").format(who=title)
    return title


def exit_now(code: int) -> None:
    """The exit after a hang-up is stuck: say where in the log, then leave at once."""
    log.error("the exit did not finish within %s s; leaving now", EXIT_DEADLINE_S)
    for handler in logging.getLogger().handlers:
        stream = getattr(handler, "stream", None)
        if stream is not None and hasattr(stream, "fileno"):
            with contextlib.suppress(Exception):
                stream.flush()
                faulthandler.dump_traceback(file=stream, all_threads=True)
    os._exit(code)


def terminal_alive(fd: int = 0) -> bool:
    """False once the terminal on ``fd`` hung up (its ioctls then fail with EIO)."""
    try:
        termios.tcgetattr(fd)
    except (termios.error, OSError, ValueError):
        return False
    return True


def detach_from_terminal() -> None:
    """The terminal hung up: point stdin, stdout and stderr at /dev/null.

    Textual's driver then writes its last screen and reset codes into nothing instead of
    failing (or blocking) on the dead pseudo-terminal, and its input thread reads EOF.
    """
    try:
        null = os.open(os.devnull, os.O_RDWR)
    except OSError:
        return
    for fd in (0, 1, 2):
        with contextlib.suppress(OSError):
            os.dup2(null, fd)
    os.close(null)
