"""Many boards at once: figures, not tests.

Starts ``--sessions`` (default 20) real operator boards (``python -m callcenter``) on one
SQLite database of 100,000 cases of which 1,000 are open (``bench.board``'s cached database,
copied with SQLite's backup API so that other runs are left alone), each in its own
pseudo-terminal of 160×45 with TERM=xterm-256color and its own config/state/data dirs. Once
every board has painted its cases, for a window of ``--seconds`` (default 20) it

* samples each process's CPU (``utime + stime`` from ``/proc/PID/stat``) once a second and
  prints, per session, the mean CPU % of one core over the window and the highest one-second
  figure, and its RSS at the end;
* in session 1, sends ``Down`` (``ESC [ B``) every ``--interval`` ms (default 200), up to
  ``--presses`` (default 50) times, and measures keystroke-to-screen latency: from writing
  the key to the pty until the first output bytes that follow. Before each key the session's
  output is drained and a quiet gap of ``--quiet-ms`` (default 30) is awaited, so that a
  countdown repaint is not mistaken for the answer; the end of the burst that follows (no
  output for that gap) is printed too.

All the other sessions' output is read all along, so that none of them blocks on a full pty.

``--watch-quiet`` gives every session ``bench.board``'s quiet config (one sweep an hour, no
bell), as when ``callcenter watch`` runs as a service beside the boards.

    python -m bench.sessions                          # 20 sessions, 20 s window
    python -m bench.sessions --sessions 5 --seconds 5 # quick, while developing
    python -m bench.sessions --watch-quiet            # the sessions leave the sweep to a service

Ctrl+C stops the run; every child is asked to quit (Ctrl+Q) and then killed, within a few
seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import select
import shutil
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.board import (
    NUMBER_RE,
    _cpu_ticks,
    _env,
    _header_marker,
    _load,
    _rss_mb,
    _spawn,
    build_database,
    refresh_promises,
)

TARGET_P95_MS = 50.0
DOWN = b"\x1b[B"


@dataclass
class Session:
    index: int
    pid: int
    master: int
    started: float
    tail: bytearray = field(default_factory=bytearray)
    painted: float | None = None
    populated: float | None = None
    total_bytes: int = 0
    window_bytes: int = 0
    cpu_start: int = 0
    cpu_last: int = 0
    samples: list[float] = field(default_factory=list)  # one-second CPU %
    cpu_mean: float = 0.0
    rss_mb: float = 0.0
    alive: bool = True


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _copy_database(source: Path, target: Path) -> None:
    """A consistent copy, WAL included, whoever else has the source open."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


class Runner:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.sessions: list[Session] = []
        self.by_fd: dict[int, Session] = {}
        self.answer_bytes: list[int] = []  # bytes written by session 1 after each key

    # -- reading --------------------------------------------------------------------------

    def _read(self, s: Session) -> int:
        try:
            chunk = os.read(s.master, 65536)
        except OSError:
            chunk = b""
        if not chunk:
            self._gone(s)
            return 0
        s.total_bytes += len(chunk)
        s.window_bytes += len(chunk)
        if s.populated is None:
            s.tail.extend(chunk)
        return len(chunk)

    def _gone(self, s: Session) -> None:
        if s.alive:
            s.alive = False
            self.by_fd.pop(s.master, None)

    def pump(self, wait: float, watch: Session | None = None) -> float | None:
        """Read whatever is ready within ``wait`` s; when ``watch`` wrote, the first stamp."""
        first: float | None = None
        end = time.perf_counter() + wait
        while True:
            left = max(0.0, end - time.perf_counter())
            fds = list(self.by_fd)
            if not fds:
                time.sleep(left)
                return first
            ready, _, _ = select.select(fds, [], [], left)
            stamp = time.perf_counter()
            for fd in ready:
                s = self.by_fd.get(fd)
                if s is None:
                    continue
                if self._read(s) and s is watch and first is None:
                    first = stamp
            if first is not None or not ready or time.perf_counter() >= end:
                return first

    # -- the run --------------------------------------------------------------------------

    def start(self, path: Path, home_base: Path) -> None:
        argv = [
            sys.executable,
            "-m",
            "callcenter",
            "--database-url",
            f"sqlite:///{path}",
            "--lang",
            self.args.lang,
        ]
        for i in range(self.args.sessions):
            home = home_base / f"s{i + 1:02d}"
            for sub in ("config", "data", "state"):
                (home / sub).mkdir(parents=True, exist_ok=True)
            if self.args.watch_quiet:  # one sweep an hour, no bell (bench.board's quiet home)
                (home / "config" / "config.toml").write_text("sweep_seconds = 3600\nbell = false\n")
            env = _env(home)  # CALLCENTER_USER=bench, made staff by refresh_promises
            pid, master = _spawn(argv, env, self.args.cols, self.args.rows)
            os.set_blocking(master, False)
            s = Session(i + 1, pid, master, time.perf_counter())
            self.sessions.append(s)
            self.by_fd[master] = s

    def wait_painted(self, marker: bytes) -> float:
        started = time.perf_counter()
        deadline = started + self.args.timeout
        while True:
            self.pump(0.05)
            now = time.perf_counter()
            for s in self.sessions:
                if s.painted is None and marker in s.tail:
                    s.painted = now - s.started
                if s.painted is not None and s.populated is None and NUMBER_RE.search(s.tail):
                    s.populated = now - s.started
                    s.tail.clear()
                elif len(s.tail) > 1 << 20:
                    del s.tail[: len(s.tail) - (1 << 16)]
            dead = [s for s in self.sessions if not s.alive and s.populated is None]
            if dead:
                output = bytes(dead[0].tail[-800:])
                raise RuntimeError(f"session {dead[0].index} exited before painting: {output!r}")
            if all(s.populated is not None for s in self.sessions):
                return now - started
            if now > deadline:
                waiting = [s.index for s in self.sessions if s.populated is None]
                raise TimeoutError(f"no board after {self.args.timeout:.0f} s in {waiting}")

    def settle(self, seconds: float) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            self.pump(end - time.perf_counter())

    def window(self) -> tuple[list[float], list[float], float]:
        """The measuring window: CPU samples for all, keystrokes into session 1."""
        args = self.args
        hz = os.sysconf("SC_CLK_TCK")
        quiet = args.quiet_ms / 1000
        interval = args.interval / 1000
        target = self.sessions[0]
        first_ms: list[float] = []
        burst_ms: list[float] = []
        for s in self.sessions:
            s.window_bytes = 0
            s.cpu_start = s.cpu_last = _cpu_ticks(s.pid)
        start = last_sample = time.perf_counter()
        end = start + args.seconds
        next_key = start + interval

        def sample(now: float) -> None:
            nonlocal last_sample
            if now - last_sample < 1.0:
                return
            for s in self.sessions:
                if not s.alive:
                    continue
                try:
                    ticks = _cpu_ticks(s.pid)
                except OSError:
                    continue
                s.samples.append((ticks - s.cpu_last) / hz / (now - last_sample) * 100)
                s.cpu_last = ticks
            last_sample = now

        while time.perf_counter() < end:
            now = time.perf_counter()
            sample(now)
            if len(first_ms) >= args.presses or now < next_key or not target.alive:
                self.pump(min(0.05, max(0.0, min(end, next_key) - now)))
                continue
            # drain session 1 until it has been quiet for the gap (bounded: 1 s)
            give_up = time.perf_counter() + 1.0
            while time.perf_counter() < give_up:
                if self.pump(quiet, watch=target) is None:
                    break
            before = target.window_bytes
            sent = time.perf_counter()
            try:
                os.write(target.master, DOWN)
            except OSError:
                break
            got = None
            while got is None and time.perf_counter() - sent < 2.0:
                got = self.pump(2.0 - (time.perf_counter() - sent), watch=target)
            if got is None:
                first_ms.append(float("inf"))
                burst_ms.append(float("inf"))
            else:
                first_ms.append((got - sent) * 1000)
                last = got
                while time.perf_counter() - sent < 2.0:
                    more = self.pump(quiet, watch=target)
                    if more is None:
                        break
                    last = more
                burst_ms.append((last - sent) * 1000)
                self.answer_bytes.append(target.window_bytes - before)
            next_key = max(sent + interval, time.perf_counter())
            sample(time.perf_counter())
        elapsed = time.perf_counter() - start
        for s in self.sessions:
            try:
                s.cpu_mean = (_cpu_ticks(s.pid) - s.cpu_start) / hz / elapsed * 100
                s.rss_mb = _rss_mb(s.pid)
            except OSError:
                pass
        return first_ms, burst_ms, elapsed

    def stop(self, grace: float = 4.0) -> None:
        """Ctrl+Q to all, then SIGTERM, then SIGKILL; bounded in time."""
        for s in self.sessions:
            with contextlib.suppress(OSError):
                os.write(s.master, b"\x11")
        pending = {s.pid for s in self.sessions}
        for sig, wait in ((None, grace), (signal.SIGTERM, 2.0), (signal.SIGKILL, 2.0)):
            if sig is not None:
                for pid in pending:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, sig)
            end = time.monotonic() + wait
            while pending and time.monotonic() < end:
                for pid in list(pending):
                    try:
                        done, _ = os.waitpid(pid, os.WNOHANG)
                    except ChildProcessError:
                        done = pid
                    if done:
                        pending.discard(pid)
                if pending:
                    try:
                        self.pump(0.05)
                    except OSError:
                        time.sleep(0.05)
            if not pending:
                break
        for s in self.sessions:
            with contextlib.suppress(OSError):
                os.close(s.master)
        self.by_fd.clear()


def _fmt(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def report(
    runner: Runner,
    first_ms: list[float],
    burst_ms: list[float],
    elapsed: float,
    loads: list[str],
    startup: float,
) -> None:
    args = runner.args
    sessions = runner.sessions
    print()
    print(
        f"{args.sessions} boards in {args.cols}×{args.rows} ptys, {args.total:,} cases "
        f"({args.open:,} open), {elapsed:.1f} s window, TERM=xterm-256color, --lang {args.lang}"
    )
    print(f"Machine: {loads[0]} before, {loads[-1]} after.")
    print(f"All boards populated {startup:.1f} s after the last one was started.")
    print()
    print(
        f"{'session':<9}{'populated s':>12}{'CPU % mean':>12}{'CPU % max 1 s':>15}"
        f"{'RSS MB':>9}{'bytes/s':>10}"
    )
    for s in sessions:
        peak = max(s.samples) if s.samples else None
        role = " *" if s.index == 1 else ""
        print(
            f"{str(s.index) + role:<9}{_fmt(s.populated):>12}{s.cpu_mean:>12.2f}"
            f"{_fmt(peak):>15}{s.rss_mb:>9.1f}{s.window_bytes / elapsed:>10,.0f}"
        )
    cpus = [s.cpu_mean for s in sessions]
    peaks = [max(s.samples) for s in sessions if s.samples]
    rss = [s.rss_mb for s in sessions]
    others = [s.cpu_mean for s in sessions if s.index != 1]
    print()
    print(
        f"CPU % of one core per session: mean {statistics.mean(cpus):.2f}, "
        f"max {max(cpus):.2f} (highest one-second sample {_fmt(max(peaks) if peaks else None)}); "
        f"idle sessions only: mean {_fmt(statistics.mean(others) if others else None)}; "
        f"all sessions together {sum(cpus):.1f} % of one core "
        f"({sum(cpus) / (os.cpu_count() or 1):.1f} % of the machine's {os.cpu_count()} CPUs)"
    )
    print(
        f"RSS per session: mean {statistics.mean(rss):.1f} MB, max {max(rss):.1f} MB, "
        f"total {sum(rss):.0f} MB"
    )
    print()
    print(f"* session 1 receives the keystrokes (Down, every {args.interval:g} ms)")
    if not first_ms:
        print("no keystrokes were sent")
        return
    finite = [v for v in first_ms if v != float("inf")]
    lost = len(first_ms) - len(finite)
    print(
        f"{'keystroke → screen':<26}{'n':>5}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'target':>14}"
    )
    for label, values in (("first bytes", first_ms), ("end of burst", burst_ms)):
        goal = ""
        if label == "first bytes":
            ok = pct(values, 0.95) <= TARGET_P95_MS
            goal = f"≤{TARGET_P95_MS:.0f} {'ok' if ok else 'MISSED'}"
        print(
            f"{label:<26}{len(values):>5}{statistics.median(values):>9.1f}"
            f"{pct(values, 0.95):>9.1f}{max(values):>9.1f}{goal:>14}"
        )
    if runner.answer_bytes:
        print(
            f"bytes written in answer to a keystroke: mean "
            f"{statistics.mean(runner.answer_bytes):,.0f}, min {min(runner.answer_bytes):,}"
        )
    if lost:
        print(f"{lost} keystroke(s) got no output within 2 s (counted as infinite)")
    print(f"target: keystroke-to-screen p95 ≤ {TARGET_P95_MS:.0f} ms while the others run")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sessions", type=int, default=20, help="boards at once")
    parser.add_argument("--seconds", type=float, default=20.0, help="measuring window")
    parser.add_argument("--open", type=int, default=1000, help="open cases")
    parser.add_argument("--total", type=int, default=100_000, help="cases in the database")
    parser.add_argument("--presses", type=int, default=50, help="keystrokes into session 1")
    parser.add_argument("--interval", type=float, default=200.0, help="ms between keystrokes")
    parser.add_argument("--quiet-ms", type=float, default=30.0, help="quiet gap before a key")
    parser.add_argument("--settle", type=float, default=3.0, help="s after all have painted")
    parser.add_argument("--timeout", type=float, default=300.0, help="s for all to paint")
    parser.add_argument("--cols", type=int, default=160)
    parser.add_argument("--rows", type=int, default=45)
    parser.add_argument("--lang", default="zh_CN", choices=("zh_CN", "en"))
    parser.add_argument(
        "--watch-quiet",
        action="store_true",
        help="the sessions sweep once an hour (as when `callcenter watch` runs beside them)",
    )
    args = parser.parse_args(argv)

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    source = build_database(args.total, args.open)
    tmp = Path(tempfile.mkdtemp(prefix="callcenter-bench-sessions-"))
    runner = Runner(args)
    try:
        path = tmp / "board.sqlite3"
        _copy_database(source, path)
        refresh_promises(path, datetime.now(UTC))
        marker = _header_marker(args.lang)
        loads = [_load()]
        print(f"{loads[0]}; starting {args.sessions} boards ...", flush=True)
        runner.start(path, tmp / "homes")
        startup = runner.wait_painted(marker)
        print(f"all {args.sessions} populated after {startup:.1f} s; settling ...", flush=True)
        runner.settle(args.settle)
        print(f"measuring for {args.seconds:g} s ...", flush=True)
        first_ms, burst_ms, elapsed = runner.window()
        loads.append(_load())
    except KeyboardInterrupt:
        print("interrupted; stopping the boards ...", file=sys.stderr, flush=True)
        return 130
    finally:
        runner.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    report(runner, first_ms, burst_ms, elapsed, loads, startup)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
