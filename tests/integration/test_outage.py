"""The database goes away and comes back while the application runs.

Every session says so in a banner, keeps what is being typed, saves nothing half-way and
carries on by itself when the database returns.

The PostgreSQL test stops a throw-away server of its own (never the shared one on 5432) for
30 seconds; it needs the PostgreSQL server binaries (``initdb``, ``pg_ctl``) and, when run as
root, the ``postgres`` OS user. The SQLite tests give the application a feed that fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from textual.app import ComposeResult
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input, Static
from textual.worker import WorkerState

from callcenter import bootstrap
from callcenter.clock import ManualClock
from callcenter.domain import Change
from callcenter.errors import DatabaseUnavailable
from callcenter.i18n import set_language
from callcenter.settings import Settings
from screens.board.board import BoardScreen
from screens.help.help import HelpScreen
from storage.engine import make_engine
from storage.feed import PollingChangeFeed
from storage.tables import CaseRow
from storage.uow import SqlUnitOfWork
from tests.conftest import FIXED_NOW
from tests.factories import intake

#: How long the PostgreSQL server stays down (the issue says 30 s).
OUTAGE_S = 30.0
BANNER_EN = "Database connection lost — retrying… Nothing you have typed is lost."
BANNER_ZH = "数据库连接中断 — 正在重试… 已输入的内容不会丢失"


# -- helpers ----------------------------------------------------------------------------------


async def until(pilot: Pilot[Any], condition: Callable[[], object], timeout: float) -> None:
    """Let the app run until ``condition()`` holds (the database works on wall-clock time)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"still not true after {timeout} s"
        await pilot.pause(0.05)


def banner_text(screen: Any) -> str | None:
    banners = screen.query_children("#db-banner")
    if not banners:
        return None
    banner = banners.first(Static)
    return str(banner.render())


def on_board(board: BoardScreen, case_id: int | None) -> bool:
    """Whether the board shows this case (its table, or its ``cases`` before the rewrite)."""
    cases = getattr(board, "cases", None)
    if isinstance(cases, dict):
        return case_id in cases
    return board.query_one("#cases").case(case_id) is not None  # type: ignore[attr-defined]


class TypingForm(Screen[None]):
    """A screen an operator types into (the banner must leave it alone)."""

    def compose(self) -> ComposeResult:
        yield Input(id="caller-name")


def notifications(app: Any) -> list[str]:
    return [str(n.message) for n in app._notifications]


def cases_with_plate(url: str, plate: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return (
                conn.scalar(select(func.count()).select_from(CaseRow).where(CaseRow.plate == plate))
                or 0
            )
    finally:
        engine.dispose()


# -- a throw-away PostgreSQL server -----------------------------------------------------------


def _server_binaries() -> Path | None:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda d: int(Path(d).parent.name) if Path(d).parent.name.isdigit() else 0,
    )
    for directory in reversed(found):
        if (Path(directory) / "pg_ctl").exists() and (Path(directory) / "initdb").exists():
            return Path(directory)
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl and shutil.which("initdb"):
        return Path(pg_ctl).parent
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ThrowawayPostgres:
    """A PostgreSQL cluster in a temporary directory on a free port, started and stopped at
    will. The server refuses to run as root, so as root it runs as the ``postgres`` user."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.dir = Path(tempfile.mkdtemp(prefix="callcenter-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self.running = False
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bindir / program), *args]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{program} failed: {done.stdout}\n{done.stderr}")

    def init(self) -> None:
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.dir / "server.log"),
            "-w",
            "-t",
            "60",
            "-o",
            options,
            "start",
        )
        self.running = True

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")
        self.running = False

    def remove(self) -> None:
        if self.running:
            with contextlib.suppress(RuntimeError):
                self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def throwaway_pg() -> Iterator[ThrowawayPostgres]:
    bindir = _server_binaries()
    if bindir is None:
        pytest.skip("the PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' OS user to run the server")
        if shutil.which("runuser") is None:
            pytest.skip("running as root and 'runuser' is missing")
    server = ThrowawayPostgres(bindir)
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.remove()


# -- PostgreSQL: 30 seconds without a server --------------------------------------------------


@pytest.mark.slow
async def test_postgresql_stopped_for_30_seconds_and_started_again(
    throwaway_pg: ThrowawayPostgres, monkeypatch: pytest.MonkeyPatch
) -> None:
    pg = throwaway_pg
    bootstrap.upgrade(pg.url)
    settings = Settings(database_url=pg.url, language="en", user="tester", bell=False)
    container = bootstrap.build(settings, clock=ManualClock(FIXED_NOW))
    other = bootstrap.build(settings, clock=ManualClock(FIXED_NOW))  # another session
    app = bootstrap.make_app(container)

    # The server stops in the middle of a save: every INSERT sent, COMMIT not yet.
    stop_before_commit = threading.local()
    real_commit = SqlUnitOfWork.commit

    def commit(self: SqlUnitOfWork) -> None:
        if getattr(stop_before_commit, "armed", False):
            stop_before_commit.armed = False
            session_commit = self.session.commit

            def stop_then_commit() -> None:
                self.session.flush()
                pg.stop()
                session_commit()

            self.session.commit = stop_then_commit  # type: ignore[method-assign]
        real_commit(self)

    monkeypatch.setattr(SqlUnitOfWork, "commit", commit)

    def save_when_the_server_stops() -> None:
        stop_before_commit.armed = True
        other.services.take_call(intake(plate="粤B4H4LF", caller_name="半途"))

    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, BoardScreen), 10)
            board = app.screen
            assert isinstance(board, BoardScreen)
            before = await asyncio.to_thread(other.services.take_call, intake(plate="粤B10001"))
            await until(pilot, lambda: on_board(board, before.id), 5)

            # An operator is typing a call.
            form = TypingForm()
            await app.push_screen(form)
            field = form.query(Input).first()
            field.focus()
            await pilot.press(*"王先生")
            typed = field.value
            assert typed.endswith("王先生")

            with pytest.raises(DatabaseUnavailable):
                await asyncio.to_thread(save_when_the_server_stops)
            stopped_at = time.monotonic()
            assert not pg.running

            # Every screen says so; the form is untouched.
            await until(pilot, lambda: banner_text(form) == BANNER_EN, 10)
            assert banner_text(board) == BANNER_EN
            assert app.screen is form and field.value == typed
            await until(pilot, lambda: any("cannot be reached" in n for n in notifications(app)), 5)

            # Saving fails at once with the domain's error; the app stays responsive.
            with pytest.raises(DatabaseUnavailable, match="cannot be reached"):
                await asyncio.to_thread(
                    app.services.take_call, intake(plate="粤B10002", caller_name=typed)
                )
            await pilot.press(*"X")
            assert field.value == typed + "X"
            await pilot.press("f1")
            await until(pilot, lambda: isinstance(app.screen, HelpScreen), 5)
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is form, 5)

            while time.monotonic() - stopped_at < OUTAGE_S:
                await pilot.pause(1.0)
                assert app.is_running and app.db_error is not None
                assert banner_text(form) == BANNER_EN
            await asyncio.to_thread(pg.start)

            # Back: the banner goes by itself, the typed text is still there.
            await until(pilot, lambda: app.db_error is None, 20)
            await until(pilot, lambda: banner_text(form) is None, 5)
            assert banner_text(board) is None
            await until(pilot, lambda: "The database is back." in notifications(app), 5)
            assert app.screen is form and field.value == typed + "X"

            # The application resumes: another session's new case reaches this board, and
            # this session saves again.
            after = await asyncio.to_thread(other.services.take_call, intake(plate="粤B10003"))
            await until(pilot, lambda: on_board(board, after.id), 5)
            mine = await asyncio.to_thread(app.services.take_call, intake(plate="粤B10004"))
            await until(pilot, lambda: on_board(board, mine.id), 5)
            assert not [w for w in app.workers if w.state is WorkerState.ERROR]

        # Nothing was saved half-way.
        assert cases_with_plate(pg.url, "粤B4H4LF") == 0
        assert cases_with_plate(pg.url, "粤B10002") == 0
        assert cases_with_plate(pg.url, "粤B10001") == 1
        assert cases_with_plate(pg.url, "粤B10003") == 1
    finally:
        container.close()
        other.close()


# -- SQLite: the banner with a feed that fails ------------------------------------------------


class SwitchableFeed:
    """A real feed that can be made to fail as if the database had gone away."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.down = False

    def _fail(self) -> None:
        raise DatabaseUnavailable("The database cannot be reached: test outage")

    def poll(self) -> Sequence[Change]:
        if self.down:
            self._fail()
        return list(self.real.poll())

    def wait(self, timeout: float) -> Sequence[Change]:
        if self.down:
            time.sleep(min(timeout, 0.05))
            self._fail()
        return list(self.real.wait(timeout))

    def close(self) -> None:
        self.real.close()


@pytest.fixture
def sqlite_sessions(tmp_path: Path) -> Iterator[tuple[bootstrap.Container, bootstrap.Container]]:
    url = f"sqlite:///{tmp_path / 'callcenter.sqlite3'}"
    settings = Settings(database_url=url, language="en", user="tester", bell=False)
    mine = bootstrap.build(settings, clock=ManualClock(FIXED_NOW))
    other = bootstrap.build(settings, clock=ManualClock(FIXED_NOW))
    yield mine, other
    mine.close()
    other.close()


async def test_sqlite_banner_follows_the_feed_and_the_board_reloads_once(
    sqlite_sessions: tuple[bootstrap.Container, bootstrap.Container],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    container, other = sqlite_sessions
    loads: list[int] = []
    real_load = BoardScreen.load

    def counting_load(self: BoardScreen) -> None:
        loads.append(1)
        real_load(self)

    monkeypatch.setattr(BoardScreen, "load", counting_load)
    unreachable = make_engine(f"sqlite:///{tmp_path / 'gone' / 'callcenter.sqlite3'}")
    opened: list[SwitchableFeed] = []
    attempts: list[int] = []
    real_factory = container.change_feed

    def feed_factory() -> SwitchableFeed:
        attempts.append(1)
        if len(attempts) == 1:
            PollingChangeFeed(unreachable)  # the file cannot be opened: raises
        opened.append(SwitchableFeed(real_factory()))
        return opened[-1]

    container.change_feed = feed_factory  # type: ignore[method-assign]
    app = bootstrap.make_app(container)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            # The feed could not even be opened at start: the banner, then recovery.
            await until(pilot, lambda: opened, 10)
            await until(pilot, lambda: app.db_error is None and app.screen.is_mounted, 5)
            board = app.screen
            assert isinstance(board, BoardScreen)
            await until(pilot, lambda: banner_text(board) is None, 5)
            await until(pilot, lambda: any("cannot be reached" in n for n in notifications(app)), 5)
            await until(pilot, lambda: "The database is back." in notifications(app), 5)
            reloads = len(loads)

            # The database goes away while the app runs.
            opened[-1].down = True
            await until(pilot, lambda: banner_text(board) == BANNER_EN, 5)
            banner = board.query_one("#db-banner")
            await until(pilot, lambda: banner.region.width == 120, 5)
            assert banner.region.y == 0  # docked on top, the whole width
            # A screen opened during the outage shows it too; a modal shows the one below.
            form = TypingForm()
            await app.push_screen(form)
            await until(pilot, lambda: banner_text(form) == BANNER_EN, 5)
            field = form.query(Input).first()
            field.focus()
            await pilot.press(*"李")
            typed = field.value
            await pilot.press("f1")
            await until(pilot, lambda: isinstance(app.screen, HelpScreen), 5)
            assert banner_text(app.screen) is None
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is form, 5)
            assert len(loads) == reloads  # nothing reloaded while down

            # Back.
            opened[-1].down = False
            await until(pilot, lambda: banner_text(form) is None, 5)
            assert banner_text(board) is None
            assert field.value == typed
            assert len(loads) == reloads + 1  # the board re-read its open cases once
            assert len(opened) == 1  # the feed object carried on; it was not rebuilt

            # Changes flow again.
            case = await asyncio.to_thread(other.services.take_call, intake(plate="粤B20001"))
            await until(pilot, lambda: on_board(board, case.id), 5)
            assert not [w for w in app.workers if w.state is WorkerState.ERROR]
    finally:
        unreachable.dispose()


async def test_the_banner_speaks_chinese(
    sqlite_sessions: tuple[bootstrap.Container, bootstrap.Container],
) -> None:
    container, _other = sqlite_sessions
    set_language("zh_CN")
    feeds: list[SwitchableFeed] = []

    def feed_factory() -> SwitchableFeed:
        feeds.append(SwitchableFeed(PollingChangeFeed(container.engine)))
        feeds[-1].down = True
        return feeds[-1]

    container.change_feed = feed_factory  # type: ignore[method-assign]
    app = bootstrap.make_app(container)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: feeds and isinstance(app.screen, BoardScreen), 5)
        board = app.screen
        await until(pilot, lambda: banner_text(board) == BANNER_ZH, 5)
        feeds[-1].down = False
        await until(pilot, lambda: app.db_error is None, 5)
        await until(pilot, lambda: banner_text(board) is None, 5)
        await until(pilot, lambda: "数据库已恢复连接。" in notifications(app), 5)
