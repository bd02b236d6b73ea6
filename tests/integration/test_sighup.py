"""A real hang-up: the application in a pseudo-terminal whose master side is closed.

Operators work over SSH. When the link drops, sshd closes the pseudo-terminal's master and
the kernel sends SIGHUP to the session. The application must write the half-typed call to
its draft, exit within 5 seconds without spinning, and offer the draft back at the next start.
"""

from __future__ import annotations

import json
import os
import pty
import signal
import time
from pathlib import Path

import pytest

from tests.integration.pty_terminal import Terminal

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(pty, "fork"), reason="needs POSIX pseudo-terminals"),
]

EXIT_LIMIT_S = 5.0


def start(
    terminals: list[Terminal], tmp_path: Path, env: dict[str, str], shell: str = ""
) -> Terminal:
    url = f"sqlite:///{tmp_path / 'data' / 'callcenter.sqlite3'}"
    terminal = Terminal(["--database-url", url], env, shell)
    terminals.append(terminal)
    return terminal


def draft_of(tmp_path: Path) -> dict[str, object]:
    found = sorted((tmp_path / "state" / "drafts").glob("draft-tester~*.json"))
    assert len(found) == 1, f"drafts: {sorted(p.name for p in tmp_path.rglob('*'))}"
    path = found[0]  # the session's own draft
    record = json.loads(path.read_text(encoding="utf-8"))
    return record["data"]


def open_the_form(terminal: Terminal, timeout: float = 30.0) -> None:
    """Wait for the first paint, then press ``n`` (new call) until the form shows."""
    deadline = time.monotonic() + timeout
    while b"\x1b[?1049h" not in terminal.output or len(terminal.output) < 4000:
        assert time.monotonic() < deadline, terminal.text()[-3000:]
        assert terminal.poll() is None, terminal.text()[-3000:]
        time.sleep(0.05)
    time.sleep(1.0)  # the board is mounted and painted
    while "Customer service record" not in terminal.text():
        assert time.monotonic() < deadline, terminal.text()[-3000:]
        terminal.type("n")
        for _ in range(60):
            if "Customer service record" in terminal.text():
                break
            time.sleep(0.05)
    time.sleep(0.2)


def type_a_call(terminal: Terminal) -> None:
    open_the_form(terminal)
    terminal.type(*"Zhang Wei", "\t", *"13923456780", "\t")
    # The rest in one burst: each key must still land in its own field.
    terminal.burst("粤B8K7J6\t\tSylphy")
    terminal.wait_for("Sylphy")


@pytest.mark.parametrize("how", ["close-the-master", "sighup"])
def test_a_hang_up_keeps_the_draft_and_exits_at_once(
    tmp_path: Path, env: dict[str, str], terminals: list[Terminal], how: str
) -> None:
    terminal = start(terminals, tmp_path, env)
    type_a_call(terminal)

    if how == "close-the-master":
        terminal.hang_up()
    else:
        os.kill(terminal.pid, signal.SIGHUP)
    took = terminal.wait_exit(timeout=EXIT_LIMIT_S + 5)

    assert took is not None, "still running 10 s after the hang-up"
    print(f"\n{how}: exited {took:.2f} s after the hang-up")
    assert took < EXIT_LIMIT_S
    assert terminal.status is not None
    assert os.WIFEXITED(terminal.status), f"killed by signal {os.WTERMSIG(terminal.status)}"
    assert os.WEXITSTATUS(terminal.status) == 128 + signal.SIGHUP
    draft = draft_of(tmp_path)
    assert draft["caller_name"] == "Zhang Wei"
    assert draft["phone"] == "13923456780"
    assert draft["plate"] == "粤B8K7J6"
    assert draft["vehicle_model"] == "Sylphy"

    # The next start offers the call back; restoring it shows what was typed.
    again = start(terminals, tmp_path, env)
    again.wait_for("An unfinished call was kept")
    again.wait_for("Zhang Wei · 13923456780 · 粤B8K7J6")
    again.type("r")
    again.wait_for("Customer service record")
    again.wait_for("Sylphy")
    # A second hang-up with the restored form open: the draft survives again.
    again.hang_up()
    took = again.wait_exit(timeout=EXIT_LIMIT_S + 5)
    assert took is not None and took < EXIT_LIMIT_S
    assert draft_of(tmp_path)["caller_name"] == "Zhang Wei"


def test_sigterm_keeps_the_draft_and_restores_the_terminal(
    tmp_path: Path, env: dict[str, str], terminals: list[Terminal]
) -> None:
    terminal = start(terminals, tmp_path, env)
    type_a_call(terminal)
    os.kill(terminal.pid, signal.SIGTERM)
    took = terminal.wait_exit(timeout=EXIT_LIMIT_S + 5)
    assert took is not None and took < EXIT_LIMIT_S
    assert os.WIFEXITED(terminal.status or 0)
    assert draft_of(tmp_path)["plate"] == "粤B8K7J6"
    time.sleep(0.2)  # the last bytes of output
    assert b"\x1b[?1049l" in terminal.output  # the alternate screen was left


def session_members(sid: int) -> list[int]:
    """The processes still alive in session ``sid`` (Linux /proc)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_a_hang_up_that_sends_no_sighup_is_noticed(
    tmp_path: Path, env: dict[str, str], terminals: list[Terminal]
) -> None:
    """The session leader is a shell that ignores SIGHUP and does not pass it on (as
    ``nohup``-style wrappers do): the kernel's SIGHUP never reaches the application, whose
    terminal is nevertheless dead. It must notice, keep the draft and leave, not spin."""
    terminal = start(terminals, tmp_path, env, shell="trap '' HUP")
    type_a_call(terminal)
    terminal.hang_up()
    took = terminal.wait_exit(timeout=EXIT_LIMIT_S + 5)
    assert took is not None, f"still running: {session_members(terminal.pid)}"
    print(f"\nno SIGHUP: the shell and the application ended {took:.2f} s after the hang-up")
    assert took < EXIT_LIMIT_S
    assert session_members(terminal.pid) == []
    assert draft_of(tmp_path)["vehicle_model"] == "Sylphy"
