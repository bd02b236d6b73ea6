"""``python -m callcenter`` in a real pseudo-terminal, for the tests that need one (a hang-up,
the interactive start)."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import threading
import time
from pathlib import Path

ROWS, COLS = 40, 120
# CSI, OSC/DCS/APC strings, and two-character escapes: what Textual writes around the text.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b[\]P^_][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC, DCS, PM, APC
    r"|\x1b[@-Z\\-_]|\x1b[()][0-9A-Za-z]"  # two-character escapes, charsets
)


def plain(data: bytes) -> str:
    return _ESCAPES.sub("", data.decode("utf-8", errors="replace"))


class Terminal:
    """``python -m callcenter`` in a pseudo-terminal, its output collected by a thread."""

    def __init__(self, args: list[str], env: dict[str, str], shell: str = "") -> None:
        command = [sys.executable, "-m", "callcenter", *args]
        if shell:  # run under a shell (the session leader) that does this first
            command = ["/bin/sh", "-c", f'{shell}; "$@"', "sh", *command]
        pid, master = pty.fork()
        if pid == 0:  # the child: its own session, the pty's slave as controlling terminal
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
                os.execve(command[0], command, env)
            finally:
                os._exit(127)
        self.pid = pid
        self.master: int | None = master
        self.output = bytearray()
        self._lock = threading.Lock()
        self.status: int | None = None
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            fd = self.master
            if fd is None:
                return
            try:
                ready, _, _ = select.select([fd], [], [], 0.1)
                if not ready:
                    continue
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the child closed its side; EBADF: we hung up
                return
            if not chunk:
                return
            with self._lock:
                self.output += chunk

    def text(self) -> str:
        with self._lock:
            return plain(bytes(self.output))

    def wait_for(self, needle: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.text():
                return
            if self.poll() is not None:
                break
            time.sleep(0.05)
        tail = self.text()[-3000:]
        raise AssertionError(f"{needle!r} never appeared (exit status {self.status}):\n{tail}")

    def type(self, *keys: str) -> None:
        """Type like a fast operator: a key every 30 ms."""
        assert self.master is not None
        for key in keys:
            os.write(self.master, key.encode("utf-8"))
            time.sleep(0.03)

    def burst(self, text: str) -> None:
        """Many keys in one read, as type-ahead arrives over a slow SSH link."""
        assert self.master is not None
        os.write(self.master, text.encode("utf-8"))

    def hang_up(self) -> None:
        """What sshd does when the connection drops: close the master side."""
        fd, self.master = self.master, None
        assert fd is not None
        os.close(fd)

    def poll(self) -> int | None:
        if self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = status
        return self.status

    def wait_exit(self, timeout: float) -> float | None:
        """Seconds until the child ended, or None if it was still running after ``timeout``."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if self.poll() is not None:
                return time.monotonic() - start
            time.sleep(0.02)
        return None

    def kill(self) -> None:
        if self.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        if self.master is not None:
            os.close(self.master)
            self.master = None


def terminal_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a test's application: its own directories, user tester, English."""
    values = dict(os.environ)
    values.update(
        TERM="xterm-256color",
        COLORTERM="truecolor",
        CALLCENTER_STATE_DIR=str(tmp_path / "state"),
        CALLCENTER_DATA_DIR=str(tmp_path / "data"),
        CALLCENTER_CONFIG_DIR=str(tmp_path / "config"),
        CALLCENTER_USER="tester",
        CALLCENTER_LANG="en",
        PYTHONUNBUFFERED="1",
    )
    for name in ("CALLCENTER_DATABASE_URL", "TEXTUAL", "TEXTUAL_DRIVER", "COLUMNS", "LINES"):
        values.pop(name, None)
    return values
