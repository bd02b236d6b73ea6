"""The Textual application: one per operator or supervisor session."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from functools import partial

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.worker import Worker, WorkerState

from callcenter.clock import Clock
from callcenter.errors import DatabaseUnavailable
from callcenter.i18n import _
from callcenter.ports import ChangeFeed
from callcenter.services import Services
from callcenter.settings import Settings
from screens.board import BoardScreen
from screens.help import HelpScreen
from screens.i18n_bindings import translate_bindings
from screens.messages import DataChanged, DatabaseState

log = logging.getLogger(__name__)


class ActionsProvider(Provider):
    """Every action of the application, searchable in the command palette."""

    def _commands(self) -> Iterable[tuple[str, str, Callable[[], object]]]:
        app = self.app
        assert isinstance(app, CallCenterApp)
        yield _("Help: show the keys"), _("List every key of this screen"), app.action_help
        yield _("Quit"), _("Leave the application"), app.action_quit
        yield _("Refresh the board"), _("Re-read every open case"), app.action_refresh

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)


class CallCenterApp(App[int]):
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {ActionsProvider}
    BINDINGS = [Binding("f1", "help", "Help", show=False)]
    ENABLE_COMMAND_PALETTE = True

    def __init__(
        self,
        services: Services,
        feed_factory: Callable[[], ChangeFeed],
        settings: Settings,
        *,
        notices: Iterable[str] = (),
        feed_interval: float = 0.25,
    ) -> None:
        super().__init__()
        translate_bindings(self)
        self.services = services
        self.settings = settings
        self.clock: Clock = services.clock
        self.tz = services.tz
        self.at_risk = timedelta(minutes=settings.at_risk_minutes)
        self._feed_factory = feed_factory
        self._feed: ChangeFeed | None = None
        self._feed_interval = feed_interval
        self._notices = list(notices)
        self.db_error: str | None = None
        self.title = _("24-hour Rescue Call Centre")
        self.sub_title = settings.user

    def clock_now(self) -> datetime:
        return self.clock.now()

    def on_mount(self) -> None:
        self.push_screen(BoardScreen())
        for notice in self._notices:
            self.notify(notice)
        self._feed = self._feed_factory()
        self.set_interval(self._feed_interval, self.poll_feed)

    def on_unmount(self) -> None:
        if self._feed is not None:
            self._feed.close()

    @work(thread=True, exclusive=True, group="feed", exit_on_error=False)
    def poll_feed(self) -> None:
        """Read what other sessions committed; post the changed cases and crews."""
        assert self._feed is not None
        try:
            changes = self._feed.poll()
        except DatabaseUnavailable as exc:
            self.post_message(DatabaseState(str(exc)))
            return
        if self.db_error is not None:
            self.post_message(DatabaseState(None))
        if not changes:
            return
        case_ids = sorted({c.entity_id for c in changes if c.entity == "case"})
        cases = self.services.cases_by_ids(case_ids) if case_ids else []
        crews = self.services.crews() if any(c.entity == "crew" for c in changes) else []
        self.call_from_thread(self._broadcast, DataChanged(cases, crews, changes))

    def _broadcast(self, message: DataChanged) -> None:
        for screen in self.screen_stack:
            screen.post_message(
                DataChanged(message.cases, message.crews, message.changes)
            )

    def on_database_state(self, message: DatabaseState) -> None:
        if message.error and self.db_error is None:
            self.notify(message.error, severity="error", timeout=10)
        elif message.error is None and self.db_error is not None:
            self.notify(_("The database is back."))
        self.db_error = message.error

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            log.error("worker %s failed", event.worker.name, exc_info=event.worker.error)
            self.notify(str(event.worker.error), severity="error", timeout=10)

    def action_help(self) -> None:
        keys = [
            (b.key_display or self.get_key_display(b), b.description)
            for (_node, b, _enabled, _tooltip) in self.screen.active_bindings.values()
            if b.description
        ]
        self.push_screen(HelpScreen(keys))

    def action_refresh(self) -> None:
        screen = self.screen
        if isinstance(screen, BoardScreen):
            screen.load()


def run_callable(fn: Callable[..., object], *args: object) -> Callable[[], object]:
    return partial(fn, *args)
