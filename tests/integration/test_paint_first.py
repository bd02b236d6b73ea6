"""The interactive start paints the board before the database layer is loaded (callcenter.cli).

On a terminal ``callcenter`` starts the screen at once and builds the session (SQLAlchemy,
the schema check, the staff check) in a thread; what fails there ends the application and is
printed as one line once the screen is restored, with the exit code the command line gives
without a terminal. These run the real command in a pseudo-terminal.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from callcenter import bootstrap
from callcenter.clock import SystemClock
from callcenter.settings import Settings
from tests.factories import intake
from tests.integration.pty_terminal import Terminal

pytestmark = pytest.mark.slow


def _database(tmp_path: Path) -> str:
    """A database whose administrator is ``boss``, with one open case taken by ``tester``."""
    url = f"sqlite:///{tmp_path / 'data' / 'callcenter.sqlite3'}"
    (tmp_path / "data").mkdir(parents=True, exist_ok=True)
    settings = Settings(database_url=url, user="boss", language="en")
    boss = bootstrap.build(settings, clock=SystemClock())
    try:
        from callcenter.domain import Role

        boss.services.ensure_staff("tester", "Tester", Role.OPERATOR)
    finally:
        boss.close()
    operator = bootstrap.build(replace(settings, user="tester"), clock=SystemClock())
    try:
        operator.services.take_call(intake())
    finally:
        operator.close()
    return url


def test_the_board_paints_then_fills_then_quits(
    tmp_path: Path, env: dict[str, str], terminals: list[Terminal]
) -> None:
    url = _database(tmp_path)
    terminal = Terminal(["--database-url", url], env)
    terminals.append(terminal)
    terminal.wait_for("Left")  # the countdown column: "Time left", or "Left" when narrow
    terminal.wait_for("粤B12345")  # the case, read once the session is connected
    terminal.type("\x11")  # Ctrl+Q
    assert terminal.wait_exit(10) is not None
    assert os.WIFEXITED(terminal.status) and os.WEXITSTATUS(terminal.status) == 0


def test_a_stranger_sees_the_one_line_refusal_after_the_screen(
    tmp_path: Path, env: dict[str, str], terminals: list[Terminal]
) -> None:
    url = _database(tmp_path)
    terminal = Terminal(["--database-url", url], {**env, "CALLCENTER_USER": "bob"})
    terminals.append(terminal)
    assert terminal.wait_exit(30) is not None, terminal.text()[-2000:]
    assert os.WIFEXITED(terminal.status) and os.WEXITSTATUS(terminal.status) == 4
    output = bytes(terminal.output)
    restored = output.rsplit(b"\x1b[?1049l", 1)  # what follows leaving the alternate screen
    assert len(restored) == 2, terminal.text()[-2000:]
    after = restored[1].decode()
    assert "callcenter: You are not on the staff of this call centre (user bob)" in after
    assert "Traceback" not in terminal.text()


def test_an_unreachable_database_exits_3_with_one_line(
    env: dict[str, str], terminals: list[Terminal]
) -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:1/x"
    terminal = Terminal(["--database-url", url], env)
    terminals.append(terminal)
    assert terminal.wait_exit(30) is not None, terminal.text()[-2000:]
    assert os.WIFEXITED(terminal.status) and os.WEXITSTATUS(terminal.status) == 3
    assert "The database cannot be reached" in terminal.text()
    assert "Traceback" not in terminal.text()
