"""Benchmark: a change in one session → visible on another session's board (issue 5).

Figures, not tests.

    python bench/propagation.py                      # SQLite (a temp file)
    python bench/propagation.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test
    CALLCENTER_TEST_DATABASE_URL=... python bench/propagation.py   # the same, PostgreSQL too

For each backend, a database with ``--open`` open cases is built; then this process runs the
real application (``CallCenterApp`` under Textual's ``run_test``: the real feed thread at the
real pace, the real board) while a second process, a headless operator session, takes
``--changes`` calls through ``Services.take_call`` one after another, ``--gap`` ms apart
(± 50 %). Each new case is timed until the board screen has applied the ``DataChanged``
message that carries it (the repaint follows on the next frame). Both processes read
``time.monotonic()``, one clock for the whole machine on Linux.

Measures (ms; p50, p95, max):

* commit → board — the headline: from the writer's commit returning (the change is in the
  database, visible to every session) to the other board having applied it. Targets:
  PostgreSQL ≤ 50 ms p95 (LISTEN/NOTIFY), SQLite ≤ 300 ms p95 (``data_version`` polled every
  0.1 s).
* commit → feed — to the reader's feed thread holding the change, before it reads the case.
* COMMIT → board — from the writer's unit of work starting to commit (every statement of
  the use-case sent; the change rows, the notification and COMMIT itself follow), so it
  includes the database's own commit time (the WAL flush).
* save → board — from the writer starting ``take_call`` (validation, recognition, every
  INSERT): what the other operator sees after the first one pressed "save".
* commit (writer), save (writer) — how long the commit and the whole ``take_call`` take in
  the writer.

The machine's load shows in the tails: run it on a quiet machine for figures to compare.

PostgreSQL runs in a fresh schema that is dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from callcenter import bootstrap  # noqa: E402
from callcenter.services import Intake  # noqa: E402
from callcenter.settings import Settings  # noqa: E402

USER = "bench"
PG_TARGET_MS = 50.0
SQLITE_TARGET_MS = 300.0


def settings_for(url: str) -> Settings:
    return Settings(database_url=url, language="en", user=USER, bell=False)


def call(i: int) -> Intake:
    return Intake(
        caller_name="张伟",
        phone=f"139{i % 100_000_000:08d}",
        plate=f"粤B{i % 100_000:05d}",
        vehicle_model="丰田卡罗拉",
        address="深圳市福田区深南大道6008号",
        distance_km="8",
        fault_description="车辆无法启动",
        fee_quote="150",
        fee_agreed=True,
    )


# -- the writer process -----------------------------------------------------------------------


def writer(url: str, changes: int, gap_ms: float, first: int) -> int:
    """Take ``changes`` calls; print one JSON line per call. Waits for "go" on stdin."""
    from storage.uow import SqlUnitOfWork

    container = bootstrap.build(settings_for(url))
    commits: list[tuple[float, float]] = []
    real_commit = SqlUnitOfWork.commit

    def timed_commit(self: SqlUnitOfWork) -> None:
        started = time.monotonic()  # every statement sent; the change rows and COMMIT next
        real_commit(self)
        commits.append((started, time.monotonic()))

    SqlUnitOfWork.commit = timed_commit  # type: ignore[method-assign]
    print(json.dumps({"ready": True}), flush=True)
    if sys.stdin.readline().strip() != "go":
        return 1
    rng = random.Random(11)
    try:
        for n in range(changes):
            time.sleep(gap_ms / 1000 * rng.uniform(0.5, 1.5))
            commits.clear()
            started = time.monotonic()
            case = container.services.take_call(call(first + n))
            saved = time.monotonic()
            record = {
                "case": case.id,
                "started": started,
                "commit": commits[-1][0],
                "committed": commits[-1][1],
                "saved": saved,
            }
            print(json.dumps(record), flush=True)
    finally:
        container.close()
    print(json.dumps({"done": True}), flush=True)
    return 0


# -- the reader: the real application ---------------------------------------------------------


def seed(url: str, open_cases: int) -> None:
    container = bootstrap.build(settings_for(url))
    try:
        for n in range(open_cases):
            container.services.take_call(call(90_000 + n))
    finally:
        container.close()


async def measure(url: str, args: argparse.Namespace) -> dict[str, list[float]]:
    from screens.app import CallCenterApp
    from screens.board.board import BoardScreen

    on_board: dict[int, float] = {}
    on_feed: dict[int, float] = {}
    real_apply = BoardScreen.on_data_changed
    real_read = CallCenterApp._read_changed

    def timed_apply(self: BoardScreen, message: Any) -> None:
        real_apply(self, message)
        now = time.monotonic()
        for case in message.cases:
            on_board.setdefault(case.id, now)

    def timed_read(self: CallCenterApp, changes: Any) -> Any:
        now = time.monotonic()
        for change in changes:
            if change.entity == "case":
                on_feed.setdefault(change.entity_id, now)
        return real_read(self, changes)

    BoardScreen.on_data_changed = timed_apply  # type: ignore[method-assign]
    CallCenterApp._read_changed = timed_read  # type: ignore[method-assign]
    container = bootstrap.build(settings_for(url))
    app = bootstrap.make_app(container)
    sent: list[dict[str, Any]] = []
    try:
        async with app.run_test(size=(160, 50)) as pilot:
            await pilot.pause(1.0)  # the board has loaded
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--writer",
                url,
                "--changes",
                str(args.changes),
                "--gap",
                str(args.gap),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
            assert proc.stdin is not None and proc.stdout is not None
            assert json.loads(await proc.stdout.readline()).get("ready")
            proc.stdin.write(b"go\n")
            await proc.stdin.drain()
            while True:
                line = await proc.stdout.readline()
                if not line:
                    break
                record = json.loads(line)
                if record.get("done"):
                    break
                sent.append(record)
            await proc.wait()
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and not all(r["case"] in on_board for r in sent):
                await pilot.pause(0.05)
    finally:
        BoardScreen.on_data_changed = real_apply  # type: ignore[method-assign]
        CallCenterApp._read_changed = real_read  # type: ignore[method-assign]
        container.close()
    missing = [r["case"] for r in sent if r["case"] not in on_board]
    if missing:
        print(f"  {len(missing)} changes never reached the board: {missing[:10]}")
    seen = [r for r in sent if r["case"] in on_board]
    return {
        "commit → board": [(on_board[r["case"]] - r["committed"]) * 1000 for r in seen],
        "commit → feed": [
            (on_feed[r["case"]] - r["committed"]) * 1000 for r in seen if r["case"] in on_feed
        ],
        "COMMIT → board": [(on_board[r["case"]] - r["commit"]) * 1000 for r in seen],
        "save → board": [(on_board[r["case"]] - r["started"]) * 1000 for r in seen],
        "commit (writer)": [(r["committed"] - r["commit"]) * 1000 for r in sent],
        "save (writer)": [(r["saved"] - r["started"]) * 1000 for r in sent],
    }


# -- PostgreSQL schema ------------------------------------------------------------------------


def fresh_pg_schema(base: str) -> tuple[str, str]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    url = make_url(base)
    query = dict(url.query)
    query["options"] = f"-csearch_path={schema}"
    return url.set(query=query).render_as_string(hide_password=False), schema


def drop_pg_schema(base: str, schema: str) -> None:
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


# -- report -----------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def report(results: list[tuple[str, float, dict[str, list[float]]]]) -> None:
    print()
    print(
        f"{'backend':<12}{'measure':<17}{'n':>5}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}"
        f"{'target':>12}"
    )
    for name, target, figures in results:
        for label, values in figures.items():
            if not values:
                continue
            goal = ""
            if label == "commit → board":
                ok = pct(values, 0.95) <= target
                goal = f"≤{target:.0f} {'ok' if ok else 'MISSED'}"
            print(
                f"{name:<12}{label:<17}{len(values):>5}{statistics.median(values):>9.1f}"
                f"{pct(values, 0.95):>9.1f}{max(values):>9.1f}{goal:>12}"
            )
    print()
    print(
        f"targets (p95, commit → board): PostgreSQL ≤ {PG_TARGET_MS:.0f} ms, "
        f"SQLite ≤ {SQLITE_TARGET_MS:.0f} ms"
    )


def bench(
    name: str, url: str, target: float, args: argparse.Namespace
) -> tuple[str, float, dict[str, Any]]:
    if url.startswith("postgresql"):
        bootstrap.upgrade(url)
    print(
        f"{name}: {args.open} open cases, {args.changes} changes ~{args.gap:g} ms apart ...",
        flush=True,
    )
    seed(url, args.open)
    return name, target, asyncio.run(measure(url, args))


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--pg",
        default=os.environ.get("CALLCENTER_TEST_DATABASE_URL", ""),
        help="PostgreSQL URL (default $CALLCENTER_TEST_DATABASE_URL)",
    )
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--open", type=int, default=100, help="open cases on the board")
    parser.add_argument("--gap", type=float, default=100.0, help="ms between changes (± 50 %%)")
    parser.add_argument("--writer", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.writer:
        return writer(args.writer, args.changes, args.gap, first=0)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_sqlite:
            url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
            results.append(bench("SQLite", url, SQLITE_TARGET_MS, args))
        if args.pg:
            url, schema = fresh_pg_schema(args.pg)
            try:
                results.append(bench("PostgreSQL", url, PG_TARGET_MS, args))
            finally:
                drop_pg_schema(args.pg, schema)
    report(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
