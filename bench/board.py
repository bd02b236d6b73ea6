"""Benchmark of the live dispatch board: figures, not tests.

Runs the real application (``python -m callcenter``) in a pseudo-terminal of 160×45 on a
SQLite database of 100,000 cases of which N = 100 / 1,000 / 5,000 are open, and prints for
each N:

* first paint: seconds from spawning the process until the board's frame (its column header)
  is written to the terminal, the median of ``--starts`` starts (default 5: one start varies
  by a third on a shared machine; the range is printed too);
* populated: seconds until the first case number is written (the median likewise);
* CPU % of one core (``utime + stime`` from ``/proc/PID/stat``) and bytes per second written
  to the terminal, over ``--seconds`` (default 20) of idle 1 Hz countdowns;
* RSS (``VmRSS`` from ``/proc/PID/status``) at the end of that window.

The application's modules are byte-compiled first, as an installed package's are (and the
child may write bytecode even where the environment sets ``PYTHONDONTWRITEBYTECODE``).

The alert phase (its own row, "alerts firing"): one start of the board as shipped (the SLA
watch every 15 s, the bell on) whose running arrival clocks cross their at-risk and late
instants one after the other, ``--alert-rate`` alerts a minute (default 12: six cases a minute
come within the at-risk window, six pass their promise) from the moment the board is settled;
bytes and CPU over ``--alert-seconds`` (default 60), and the alerts raised meanwhile counted
in the database. Alerts go to the inbox (F8) and one line of the strip above the footer: a
burst costs that line, not a repaint of the board.

``--compare DIR`` runs another checkout's board (e.g. ``git worktree add --detach /tmp/before
main``) in the same run, before ours, phase for phase: before and after on the same load.

In the same run and the same terminal it measures a baseline — a stock Textual ``DataTable``
updating one countdown cell per row each second (``bench/baseline_datatable.py``) with the
same N rows — and ``htop -d 10`` when installed, and prints our figures as ratios to both.

    python -m bench.board                   # the full run (about 4 minutes)
    python -m bench.board --seconds 5 --sizes 1000 --no-baseline   # quick, while developing
    python -m bench.board --sizes 1000 --compare /tmp/before       # before/after, one run

The databases are built once with SQLAlchemy Core bulk inserts and cached under
``/tmp/callcenter-bench``; before each run the open cases get fresh promised arrival times
around the real clock (a spread of late, at-risk and on-track cases).
"""

from __future__ import annotations

import argparse
import fcntl
import os
import re
import select
import shutil
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(tempfile.gettempdir()) / "callcenter-bench"
TZ = ZoneInfo("Asia/Shanghai")
NUMBER_RE = re.compile(rb"\d{8}-\d{4}")
TARGETS_AT_1000 = {  # issue 17
    "first_paint": 0.30,
    "populated": 0.6,
    "cpu": 1.0,
    "bytes_per_s": 1500.0,
    "rss_mb": 60.0,
}

# --------------------------------------------------------------------------------------------
# The database


_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐"
_GIVEN = ("伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "杰", "涛", "明", "超")
_PLACES = (
    "福田区深南大道与彩田路交叉口",
    "南山区科技园南区高新南一道",
    "宝安区机场T3航站楼停车场",
    "龙岗区布吉街道龙岗大道",
    "罗湖区东门北路",
    "沈海高速K2315+300处",
    "广深沿江高速福永出口",
    "盐田区沙头角海景路",
)
_FAULTS = (
    "无法启动，仪表盘无显示",
    "右前轮爆胎",
    "电瓶亏电",
    "钥匙锁在车内",
    "油箱见底",
    "发动机异响",
)
_OPEN_STATUSES = (
    # (status, share of the open cases) — about 55 % have a running arrival clock
    ("received", 15),
    ("dispatched", 15),
    ("en_route", 25),
    ("on_scene", 20),
    ("completed", 15),
    ("reported_back", 10),
)


def database_path(total: int, n_open: int) -> Path:
    return CACHE / f"board-{total}-{n_open}.sqlite3"


def _plate(i: int) -> str:
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    return f"粤{letters[i % 6]}{(i * 7919) % 100000:05d}"


def build_database(total: int, n_open: int, *, quiet: bool = False) -> Path:
    """The cached database for (total, n_open); built with Core bulk inserts when missing."""
    path = database_path(total, n_open)
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    for leftover in CACHE.glob(partial.name + "*"):
        leftover.unlink()
    url = f"sqlite:///{partial}"
    started = time.perf_counter()

    from sqlalchemy import insert

    from callcenter import bootstrap
    from storage.engine import make_engine
    from storage.tables import CaseRow, CrewRow

    bootstrap.upgrade(url)
    engine = make_engine(url)
    now = datetime.now(UTC).replace(microsecond=0)
    crews = [
        {
            "code": f"救援{i + 1}组",
            "name": _SURNAMES[i % len(_SURNAMES)] + _GIVEN[i % len(_GIVEN)],
            "phone": f"+86138{i:08d}",
            "vehicle_plate": _plate(900000 + i),
            "vehicle_kind": "tow truck" if i % 2 else "service van",
            "status": "available",
            "version": 1,
        }
        for i in range(60)
    ]
    per_day: dict[str, int] = {}
    rows: list[dict[str, object]] = []
    closed = total - n_open
    history = timedelta(days=1000)
    open_statuses = [s for s, share in _OPEN_STATUSES for _ in range(share)]
    with engine.begin() as conn:
        conn.execute(insert(CrewRow), crews)
        for i in range(total):
            is_open = i >= closed
            if is_open:
                k = i - closed
                received = now - timedelta(seconds=(k * 37) % 7200)
                status = open_statuses[k % len(open_statuses)]
            else:
                received = now - history + history * i / max(closed, 1) - timedelta(hours=3)
                status = "cancelled" if i % 20 == 0 else "closed"
            received = received.replace(microsecond=0)
            day = received.astimezone(TZ).strftime("%Y%m%d")
            per_day[day] = per_day.get(day, 0) + 1
            distance = Decimal((i * 13) % 190 + 5) / 10
            promised = received + timedelta(minutes=40 if distance <= 10 else 60)
            row: dict[str, object] = {
                "number": f"{day}-{per_day[day]:04d}",
                "policy": "roadside",
                "status": status,
                "received_at": received,
                "caller_name": _SURNAMES[i % len(_SURNAMES)] + _GIVEN[(i // 7) % len(_GIVEN)],
                "phone": f"+86139{i:08d}",
                "phone_ext": "",
                "plate": _plate(i),
                "vehicle_model": "比亚迪 秦PLUS",
                "vehicle_type": "car",
                "address": _PLACES[i % len(_PLACES)],
                "lat": None,
                "lon": None,
                "distance_km": distance,
                "fault_description": _FAULTS[i % len(_FAULTS)],
                "fault_category": "other",
                "priority": ("urgent", "severe", "general", "general")[i % 4],
                "plan": "towing",
                "fee_quote": Decimal("0"),
                "fee_agreed": i % 9 != 0,
                "fee_agreed_at": received,
                "agreed_arrival_at": None,
                "promised_arrival_at": promised,
                "original_promised_at": promised,
                "notes": "",
                "dispatched_at": None,
                "en_route_at": None,
                "arrived_at": None,
                "completed_at": None,
                "reported_back_at": None,
                "feedback_at": None,
                "closed_at": None,
                "cancelled_at": None,
                "cancel_reason": "",
                "owner_notified_at": None,
                "crew_id": None,
                "customer_id": None,
                "vehicle_id": None,
                "created_by": "bench",
                "updated_at": received,
                "updated_by": "bench",
                "is_open": is_open,
                "version": 1,
            }
            if status == "cancelled":
                row["cancelled_at"] = received + timedelta(minutes=4)
                row["cancel_reason"] = "车主自行解决"
            elif status not in ("received",):
                row["dispatched_at"] = received + timedelta(minutes=3)
                if status not in ("dispatched", "en_route"):
                    arrived = received + timedelta(minutes=20 + (i * 11) % 50)
                    row["en_route_at"] = received + timedelta(minutes=4)
                    row["arrived_at"] = arrived
                    if status in ("completed", "reported_back", "closed"):
                        row["completed_at"] = arrived + timedelta(minutes=35)
                    if status in ("reported_back", "closed"):
                        row["reported_back_at"] = arrived + timedelta(minutes=80)
                    if status == "closed":
                        row["feedback_at"] = arrived + timedelta(hours=5)
                        row["closed_at"] = arrived + timedelta(hours=5)
                elif status == "en_route":
                    row["en_route_at"] = received + timedelta(minutes=4)
            rows.append(row)
            if len(rows) == 10_000:
                conn.execute(insert(CaseRow), rows)
                rows.clear()
        if rows:
            conn.execute(insert(CaseRow), rows)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    for suffix in ("-wal", "-shm"):
        Path(str(partial) + suffix).unlink(missing_ok=True)
    partial.rename(path)
    if not quiet:
        print(
            f"built {path} ({total:,} cases, {n_open:,} open) "
            f"in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
    return path


def refresh_promises(
    path: Path,
    now: datetime,
    user: str = "bench",
    *,
    alerts_per_minute: float | None = None,
    lead: float = 0.0,
) -> None:
    """Give the running clocks of the open cases fresh deadlines around ``now``.

    A spread from 10 minutes late to 110 minutes ahead (1 in 12 late, 1 in 12 at risk), so
    that the board shows late, at-risk and on-track cases whatever the day it was built.
    ``user`` is made a member of the staff (the application refuses anyone else).

    ``alerts_per_minute``: the alert phase instead. The promises follow one another, one
    every ``120 / alerts_per_minute`` seconds from ``now + lead`` on, so that from then on
    ``alerts_per_minute / 2`` cases a minute come within the at-risk window (10 minutes
    before the promise) and as many pass their promise: a steady rate of alerts (an
    arrival-at-risk and an arrival-late alert per case) for the hour and more that 1,000
    open cases last.
    """
    from sqlalchemy import bindparam, insert, select, update

    from storage.engine import make_engine
    from storage.tables import WATCH_AT_ONCE, CaseRow, StaffRow

    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        if conn.scalar(select(StaffRow.id).where(StaffRow.username == user)) is None:
            conn.execute(
                insert(StaffRow),
                [{"username": user, "display_name": user, "role": "admin", "active": True}],
            )
        found = conn.execute(
            select(CaseRow.id, CaseRow.arrived_at.is_(None))
            .where(CaseRow.is_open.is_(True))
            .order_by(CaseRow.id)
        ).all()
        ids = [case_id for case_id, _running in found]
        start = now.replace(microsecond=0)
        offsets = [(case_id * 7919) % 7200 - 600 for case_id in ids]
        if alerts_per_minute:  # the running arrival clocks, one after the other
            step = 120.0 / alerts_per_minute
            running = [i for i, (_id, is_running) in enumerate(found) if is_running]
            for k, i in enumerate(running):
                offsets[i] = lead + step * k
        values = [
            {"b_id": case_id, "b_promised": start + timedelta(seconds=offset)}
            for case_id, offset in zip(ids, offsets, strict=True)
        ]
        if values:
            conn.execute(
                update(CaseRow)
                .where(CaseRow.id == bindparam("b_id"))
                # judged by the next sweep, as when the application saves a case (else
                # the schedule of an earlier run says when to look, and no alert is due)
                # a fresh promise is the original one (else every open case reads as
                # extended, and the desk reads 550 owner notices instead of the few due)
                .values(
                    promised_arrival_at=bindparam("b_promised"),
                    original_promised_at=bindparam("b_promised"),
                    watch_at=WATCH_AT_ONCE,
                ),
                values,
            )
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()


def alerts_raised(path: Path, since: datetime, until: datetime) -> int:
    """How many SLA alerts were raised in [since, until] (by every session and watch)."""
    from sqlalchemy import func, select

    from storage.engine import make_engine
    from storage.tables import AlertRow

    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            return (
                conn.scalar(
                    select(func.count(AlertRow.id)).where(
                        AlertRow.raised_at >= since, AlertRow.raised_at <= until
                    )
                )
                or 0
            )
    finally:
        engine.dispose()


# --------------------------------------------------------------------------------------------
# Running a program in a pseudo-terminal


@dataclass
class Figures:
    name: str
    first_paint: float | None
    populated: float | None
    cpu: float
    bytes_per_s: float
    rss_mb: float
    total_bytes: int
    # CPU seconds the process had used at first paint and when populated: what the wall
    # times would be on an idle machine, and much less sensitive to a busy one.
    first_paint_cpu: float | None = None
    populated_cpu: float | None = None
    # The idle window in the real clock (UTC), to count the alerts raised meanwhile.
    window_from: datetime | None = None
    window_to: datetime | None = None
    alerts: int | None = None  # SLA alerts raised during the window (the alert phase)


def _spawn(argv: list[str], env: dict[str, str], cols: int, rows: int) -> tuple[int, int]:
    """Start ``argv`` on a new pseudo-terminal of cols×rows; (pid, master fd). It runs in
    the directory ``PYTHONPATH`` names (``python -m`` puts the working directory first on
    the path: the checkout measured is the one given)."""
    cwd = env.get("PYTHONPATH", "").split(os.pathsep)[0] or None
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    pid = os.fork()
    if pid == 0:  # the child: its own session, the pty as controlling terminal
        try:
            os.close(master)
            if cwd:
                os.chdir(cwd)
            os.setsid()
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
            for fd in (0, 1, 2):
                os.dup2(slave, fd)
            if slave > 2:
                os.close(slave)
            os.execvpe(argv[0], argv, env)
        finally:
            os._exit(127)
    os.close(slave)
    return pid, master


def _cpu_ticks(pid: int) -> int:
    with open(f"/proc/{pid}/stat", "rb") as f:
        fields = f.read().rsplit(b")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def measure(
    name: str,
    argv: list[str],
    env: dict[str, str],
    *,
    first_paint: bytes | re.Pattern[bytes],
    populated: bytes | re.Pattern[bytes],
    seconds: float,
    settle: float = 2.0,
    cols: int = 160,
    rows: int = 45,
    timeout: float = 60.0,
) -> Figures:
    """Run ``argv`` in a pty; time the two markers, then measure an idle window."""
    hz = os.sysconf("SC_CLK_TCK")
    started = time.perf_counter()
    pid, master = _spawn(argv, env, cols, rows)
    seen = bytearray()
    t_paint: float | None = None
    t_populated: float | None = None
    paint_cpu: float | None = None
    populated_cpu: float | None = None
    window_bytes = 0
    window_start: float | None = None
    window_from: datetime | None = None
    cpu_start = 0
    deadline = started + timeout

    def found(marker: bytes | re.Pattern[bytes]) -> bool:
        if isinstance(marker, bytes):
            return marker in seen
        return marker.search(seen) is not None

    def read(wait: float) -> bytes:
        ready, _, _ = select.select([master], [], [], wait)
        if not ready:
            return b""
        try:
            return os.read(master, 65536)
        except OSError:  # the child exited
            raise EOFError from None

    try:
        while True:
            now = time.perf_counter()
            if window_start is not None and now - window_start >= seconds:
                break
            if now > deadline:
                raise TimeoutError(
                    f"{name}: no board after {timeout:.0f} s; output: {bytes(seen[-800:])!r}"
                )
            chunk = read(0.005)
            stamp = time.perf_counter()
            if not chunk:
                if (
                    t_populated is not None
                    and window_start is None
                    and stamp - started - t_populated >= settle
                ):
                    window_start = stamp
                    window_from = datetime.now(UTC)
                    window_bytes = 0
                    cpu_start = _cpu_ticks(pid)
                continue
            if window_start is not None:
                window_bytes += len(chunk)
                continue
            seen.extend(chunk)
            if t_paint is None and found(first_paint):
                t_paint = stamp - started
                paint_cpu = _cpu_ticks(pid) / hz
            if t_paint is not None and t_populated is None and found(populated):
                t_populated = stamp - started
                populated_cpu = _cpu_ticks(pid) / hz
        elapsed = time.perf_counter() - (window_start or started)
        window_to = datetime.now(UTC)
        cpu = (_cpu_ticks(pid) - cpu_start) / hz / elapsed * 100
        rss = _rss_mb(pid)
    finally:
        _stop(pid, master)
    return Figures(
        name,
        t_paint,
        t_populated,
        cpu,
        window_bytes / elapsed,
        rss,
        window_bytes,
        paint_cpu,
        populated_cpu,
        window_from,
        window_to,
    )


def _stop(pid: int, master: int) -> None:
    try:
        os.write(master, b"\x11")  # ctrl+q
        os.write(master, b"q")  # htop
    except OSError:
        pass
    end = time.time() + 3
    while time.time() < end:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            break
        if done:
            break
        try:
            while select.select([master], [], [], 0.05)[0]:
                if not os.read(master, 65536):
                    break
        except OSError:
            pass
    else:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.kill(pid, sig)
                os.waitpid(pid, 0)
                break
            except (ProcessLookupError, ChildProcessError):
                break
    os.close(master)


# --------------------------------------------------------------------------------------------
# The run


def _env(home: Path, root: Path = ROOT) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CALLCENTER_", "TEXTUAL", "COLORTERM", "NO_COLOR"))
        and k != "PYTHONDONTWRITEBYTECODE"  # an installed application has its bytecode
    }
    env.update(
        TERM="xterm-256color",
        LANG="C.UTF-8",
        LC_ALL="C.UTF-8",
        HOME=str(home),
        CALLCENTER_CONFIG_DIR=str(home / "config"),
        CALLCENTER_DATA_DIR=str(home / "data"),
        CALLCENTER_STATE_DIR=str(home / "state"),
        CALLCENTER_USER="bench",
        PYTHONPATH=str(root),
    )
    return env


def _header_marker(language: str) -> bytes:
    from callcenter.i18n import _, set_language

    set_language(language)
    return _("Time left").encode()


def _quiet_home(base: Path) -> Path:
    """A home whose config slows the SLA watch to one sweep an hour and silences the bell.

    The delay-call prompts of the SLA watch (toasts, bell, the prompt bar) repaint much of
    the screen when many cases are late; this variant shows what the board itself costs.
    """
    home = base / "quiet"
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text("sweep_seconds = 3600\nbell = false\n")
    return home


def _load() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} (1 / 5 min) on {os.cpu_count()} CPUs"


MEDIAN_FIELDS = ("first_paint", "populated", "first_paint_cpu", "populated_cpu")


def _median(runs: list[Figures], field: str) -> float | None:
    values = [getattr(r, field) for r in runs if getattr(r, field) is not None]
    return statistics.median(values) if values else None


def _spread(runs: list[Figures]) -> str:
    if len(runs) < 2:
        return ""
    paints = [r.first_paint for r in runs if r.first_paint is not None]
    filled = [r.populated for r in runs if r.populated is not None]
    return (
        f"  [{len(runs)} starts: paint {min(paints):.2f}–{max(paints):.2f},"
        f" populated {min(filled):.2f}–{max(filled):.2f}]"
    )


@dataclass
class Row:
    n: int
    ours: Figures
    quiet: Figures | None
    base: Figures | None
    alerts: Figures | None = None
    #: The same runs of the checkout given with ``--compare`` (e.g. as shipped).
    before: Figures | None = None
    before_alerts: Figures | None = None


def compile_sources(*roots: Path) -> None:
    """Byte-compile the application, as ``pip install`` does for an installed package (an
    editable install compiles on the first start instead): without it, a machine that sets
    ``PYTHONDONTWRITEBYTECODE`` would compile every module at every start."""
    import compileall

    for root in roots:
        for package in ("callcenter", "screens", "storage"):
            compileall.compile_dir(root / package, quiet=1)


def _alert_home(base: Path) -> Path:
    """A home like a new operator's (the SLA watch every 15 s, the bell on): the alert phase."""
    home = base / "alerts"
    (home / "config").mkdir(parents=True, exist_ok=True)
    return home


def run(args: argparse.Namespace) -> int:
    sizes = [int(s) for s in args.sizes.split(",")]
    compare = Path(args.compare).resolve() if args.compare else None
    compile_sources(ROOT, *([compare] if compare else []))
    base_home = Path(tempfile.mkdtemp(prefix="callcenter-bench-home-"))
    env = _env(base_home)
    quiet_env = _env(_quiet_home(base_home))
    marker = _header_marker(args.lang)
    rows: list[Row] = []
    htop: Figures | None = None
    loads = [_load()]
    size = {"cols": args.cols, "rows": args.rows, "seconds": args.seconds}

    def board(name: str, path: Path, environ: dict[str, str]) -> Figures:
        """``--starts`` starts: the median of their first paint and populated times (one
        start varies by a third on a shared machine), the idle window of the last one."""
        argv = [sys.executable, "-m", "callcenter", "--database-url", f"sqlite:///{path}"]
        starts = []
        for i in range(args.starts):
            refresh_promises(path, datetime.now(UTC))
            last = i == args.starts - 1
            starts.append(
                measure(
                    name,
                    [*argv, "--lang", args.lang],
                    environ,
                    first_paint=marker,
                    populated=NUMBER_RE,
                    **(size if last else {**size, "seconds": 0.05, "settle": 0.2}),
                )
            )
        figures = replace(starts[-1], **{k: _median(starts, k) for k in MEDIAN_FIELDS})
        print(_line(figures) + _spread(starts), flush=True)
        return figures

    def alert_phase(name: str, path: Path, root: Path) -> Figures:
        """One start whose open cases cross their at-risk and late instants at a steady
        ``--alert-rate`` a minute from the moment the board is settled, the SLA watch
        sweeping every 15 s as shipped; bytes and CPU over ``--alert-seconds``."""
        settle = 5.0  # the first sweep (what was at risk at the start) before the window
        refresh_promises(
            path, datetime.now(UTC), alerts_per_minute=args.alert_rate, lead=settle + 10.0
        )
        argv = [sys.executable, "-m", "callcenter", "--database-url", f"sqlite:///{path}"]
        figures = measure(
            name,
            [*argv, "--lang", args.lang],
            _env(_alert_home(base_home / root.name), root),
            first_paint=marker,
            populated=NUMBER_RE,
            **{**size, "seconds": args.alert_seconds},
            settle=settle,
            timeout=60.0 + settle + args.alert_seconds,
        )
        assert figures.window_from is not None and figures.window_to is not None
        figures.alerts = alerts_raised(path, figures.window_from, figures.window_to)
        print(_line(figures), flush=True)
        return figures

    try:
        for n in sizes:
            path = build_database(args.total, n)
            before = before_alerts = None
            if compare is not None:
                before = board(f"compare N={n}", path, _env(base_home / "compare", compare))
            ours = board(f"board N={n}", path, env)
            quiet = None if args.no_quiet else board(f"board N={n} quiet", path, quiet_env)
            alerts = None
            if not args.no_alerts:
                if compare is not None:
                    before_alerts = alert_phase(f"compare N={n} alerts", path, compare)
                alerts = alert_phase(f"board N={n} alerts", path, ROOT)
            base = None
            if not args.no_baseline:
                base = measure(
                    f"DataTable N={n}",
                    [sys.executable, "-m", "bench.baseline_datatable", "--rows", str(n)],
                    env,
                    first_paint=b"Time left",
                    populated=NUMBER_RE,
                    **size,
                )
                print(_line(base), flush=True)
            rows.append(Row(n, ours, quiet, base, alerts, before, before_alerts))
        if not args.no_htop and shutil.which("htop"):
            htop = measure(
                "htop -d 10",
                ["htop", "-d", "10"],
                env,
                first_paint=b"PID",
                populated=b"PID",
                **size,
            )
            print(_line(htop), flush=True)
    finally:
        shutil.rmtree(base_home, ignore_errors=True)
    loads.append(_load())
    print()
    print(_table(rows, htop, args, loads))
    return 0


def _fmt(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _line(f: Figures) -> str:
    alerts = "" if f.alerts is None else f", {f.alerts} alerts raised in the window"
    return (
        f"  {f.name:<20} first paint {_fmt(f.first_paint)} s (CPU {_fmt(f.first_paint_cpu)} s), "
        f"populated {_fmt(f.populated)} s (CPU {_fmt(f.populated_cpu)} s), "
        f"CPU {f.cpu:.2f} %, {f.bytes_per_s:,.0f} B/s, RSS {f.rss_mb:.1f} MB{alerts}"
    )


def _alert_label(label: str, f: Figures, seconds: float) -> str:
    if f.alerts is None:
        return label
    return f"{label}, alerts firing ({f.alerts} in {seconds:g} s)"


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "—"
    return f"{a / b:.2f}×"


def _figures_row(label: str, n: int, f: Figures, base: Figures | None, htop: Figures | None) -> str:
    return (
        f"| {label} | {n:,} | {_fmt(f.first_paint)} ({_fmt(f.first_paint_cpu)}) "
        f"| {_fmt(f.populated)} ({_fmt(f.populated_cpu)}) | {f.cpu:.2f} "
        f"| {f.bytes_per_s:,.0f} | {f.rss_mb:.1f} "
        f"| {_ratio(f.bytes_per_s, base.bytes_per_s if base else None)} "
        f"| {_ratio(f.bytes_per_s, htop.bytes_per_s if htop else None)} "
        f"| {_ratio(f.cpu, base.cpu if base else None)} "
        f"| {_ratio(f.cpu, htop.cpu if htop else None)} "
        f"| {_ratio(f.rss_mb, base.rss_mb if base else None)} |"
    )


def _table(
    rows: list[Row], htop: Figures | None, args: argparse.Namespace, loads: list[str]
) -> str:
    lines = [
        f"Board in a {args.cols}×{args.rows} pty, {args.total:,} cases, "
        f"{args.seconds:g} s idle window, TERM=xterm-256color, --lang {args.lang}",
        f"Machine: {loads[0]} before, {loads[-1]} after.",
        "",
        "First paint and populated: wall seconds from spawn (CPU seconds used by then).",
        "",
        "| program | N open | first paint s | populated s | CPU % | bytes/s | RSS MB "
        "| bytes/s ÷ DataTable | bytes/s ÷ htop | CPU ÷ DataTable | CPU ÷ htop "
        "| RSS ÷ DataTable |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    compared = Path(args.compare).name if args.compare else ""
    for row in rows:
        if row.before:
            label = f"before ({compared})"
            lines.append(_figures_row(label, row.n, row.before, row.base, htop))
        if row.before_alerts:
            label = _alert_label(f"before ({compared})", row.before_alerts, args.alert_seconds)
            lines.append(_figures_row(label, row.n, row.before_alerts, row.base, htop))
        lines.append(_figures_row("callcenter", row.n, row.ours, row.base, htop))
        if row.quiet:
            lines.append(_figures_row("callcenter, watch quiet", row.n, row.quiet, row.base, htop))
        if row.alerts:
            label = _alert_label("callcenter", row.alerts, args.alert_seconds)
            lines.append(_figures_row(label, row.n, row.alerts, row.base, htop))
    for row in rows:
        if row.base:
            lines.append(_figures_row("stock DataTable", row.n, row.base, None, htop))
    if htop:
        lines.append(
            f"| htop -d 10 | — | {_fmt(htop.first_paint)} ({_fmt(htop.first_paint_cpu)}) | — "
            f"| {htop.cpu:.2f} "
            f"| {htop.bytes_per_s:,.0f} | {htop.rss_mb:.1f} | | | | | |"
        )
    at_1000 = next((row for row in rows if row.n == 1000), None)
    if at_1000:
        lines += ["", "Targets at N = 1,000 (callcenter as shipped; watch quiet in brackets):"]
        for key, target in TARGETS_AT_1000.items():
            value = getattr(at_1000.ours, key)
            quiet = getattr(at_1000.quiet, key) if at_1000.quiet else None
            verdict = "met" if value is not None and value <= target else "NOT MET"
            extra = ""
            if key in ("first_paint", "populated"):
                extra = f", CPU seconds by then {_fmt(getattr(at_1000.ours, key + '_cpu'))}"
            lines.append(
                f"  {key:<12} {_fmt(value)} [{_fmt(quiet)}] (target ≤ {target:g}) {verdict}{extra}"
            )
        if at_1000.alerts:
            value = at_1000.alerts.bytes_per_s
            target = TARGETS_AT_1000["bytes_per_s"]
            verdict = "met" if value <= target else "NOT MET"
            lines.append(
                f"  bytes/s with alerts firing {value:,.0f} (target ≤ {target:,.0f}) {verdict}; "
                f"CPU {at_1000.alerts.cpu:.2f} %"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100,1000,5000", help="open cases, comma-separated")
    parser.add_argument("--total", type=int, default=100_000, help="cases in the database")
    parser.add_argument("--seconds", type=float, default=20.0, help="idle window per program")
    parser.add_argument(
        "--starts", type=int, default=5, help="starts of the board timed (median; default 5)"
    )
    parser.add_argument("--cols", type=int, default=160)
    parser.add_argument("--rows", type=int, default=45)
    parser.add_argument("--lang", default="zh_CN", choices=("zh_CN", "en"))
    parser.add_argument("--no-baseline", action="store_true", help="skip the stock DataTable")
    parser.add_argument("--no-htop", action="store_true", help="skip htop")
    parser.add_argument(
        "--no-quiet", action="store_true", help="skip the run with the SLA watch slowed down"
    )
    parser.add_argument(
        "--no-alerts", action="store_true", help="skip the phase with alerts firing"
    )
    parser.add_argument(
        "--alert-rate",
        type=float,
        default=12.0,
        help="alerts a minute in the alert phase (half at risk, half late; default 12)",
    )
    parser.add_argument(
        "--alert-seconds", type=float, default=60.0, help="window of the alert phase (s)"
    )
    parser.add_argument(
        "--compare",
        metavar="DIR",
        help="also run the board of another checkout (e.g. a worktree of main: before/after "
        "in the same run, on the same machine load)",
    )
    parser.add_argument("--build-only", action="store_true", help="build the databases and stop")
    args = parser.parse_args(argv)
    if args.build_only:
        for n in (int(s) for s in args.sizes.split(",")):
            build_database(args.total, n)
        return 0
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
