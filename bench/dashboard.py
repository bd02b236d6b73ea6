"""Benchmark of the KPI dashboard (F10, issue 14 §2 and §4). Figures, not tests.

    python bench/dashboard.py                    # SQLite (a temp file), 100,000 cases
    python bench/dashboard.py --cases 1000000    # the size of issue 14 §4
    python bench/dashboard.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test

It fills ``--cases`` closed cases over the year before 1 December 2026 with their ledger rows
(the data of ``bench/ledger.py``: bulk inserts, not the services; the feedback results are the
ledger's), then times:

* the reading of a month (``Services.dashboard``: the month, the month before and the same
  month a year before, with the arithmetic), ``--repeat`` times: p50 and max;
* the first paint after the data: from F10 on a headless application (160×45) until the
  dashboard shows the month's figures and charts (its reading included), ``--repeat`` times.
  Target: ≤ 0.5 s. Then until the month before and the year before are in the headline too
  (read after the first paint).

Figures vary with the machine and its load: quote ``cat /proc/loadavg`` with them.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ledger import NOW, fill  # noqa: E402
from callcenter import bootstrap  # noqa: E402
from callcenter.clock import ManualClock  # noqa: E402
from callcenter.reports.dashboard import Month, Period  # noqa: E402
from callcenter.settings import Settings  # noqa: E402


def measure(url: str, cases: int, repeat: int) -> None:
    print(f"filling {cases:,} cases …", flush=True)
    print(f"  filled in {fill(url, cases):.1f} s")
    clock = ManualClock(NOW)
    settings = Settings(database_url=url, language="zh_CN", user="bench")
    container = bootstrap.build(settings, clock=clock)
    services = container.services
    month = Month(2026, 11)
    try:
        reads = []
        for _ in range(repeat):
            started = time.perf_counter()
            board = services.dashboard(month)
            reads.append(time.perf_counter() - started)
        head = board.headlines[Period.THIS]
        assert head is not None
        print(
            f"month {month}: {head.calls:,} calls, last month "
            f"{board.headlines[Period.LAST].calls if board.headlines[Period.LAST] else 0:,}"
        )
        print(
            f"  read (3 months + arithmetic): p50 {statistics.median(reads) * 1000:.0f} ms, "
            f"max {max(reads) * 1000:.0f} ms"
        )
        paints, compared = asyncio.run(_paints(container, repeat))
        print(
            f"  first paint after F10 (160x45, the month's reading included): p50 "
            f"{statistics.median(paints) * 1000:.0f} ms, max {max(paints) * 1000:.0f} ms "
            f"(target ≤ 500 ms)"
        )
        print(
            f"  … and the other months' headlines painted: p50 "
            f"{statistics.median(compared) * 1000:.0f} ms, max {max(compared) * 1000:.0f} ms"
        )
    finally:
        container.close()


async def _paints(container: bootstrap.Container, repeat: int) -> tuple[list[float], list[float]]:
    from screens.dashboard.dashboard import DashboardScreen

    app = bootstrap.make_app(container, watch=False, feed_interval=3600)
    times: list[float] = []
    compared: list[float] = []
    async with app.run_test(size=(160, 45)) as pilot:
        for _ in range(40):
            await pilot.pause()
            await app.workers.wait_for_complete()
        for _ in range(repeat):
            started = time.monotonic()
            await pilot.press("f10")
            screen = app.screen
            assert isinstance(screen, DashboardScreen)
            deadline = started + 60
            while screen.painted is None or not screen.compared:
                assert time.monotonic() < deadline, "the dashboard did not paint"
                await asyncio.sleep(0.002)
            compared.append(time.monotonic() - started)
            times.append(screen.painted - started)
            await pilot.press("escape")
            await pilot.pause(0.05)
    return times, compared


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--pg", default="", help="a PostgreSQL URL (a fresh schema is used)")
    args = parser.parse_args()
    print(f"load: {Path('/proc/loadavg').read_text().strip()}")
    if args.pg:
        import tests.conftest as conf

        conf.PG_URL = args.pg
        url = conf.fresh_postgres_url()
        try:
            print(f"PostgreSQL ({args.cases:,} cases)")
            measure(url, args.cases, args.repeat)
        finally:
            conf.drop_postgres_schema(url)
        return
    with tempfile.TemporaryDirectory() as tmp:
        print(f"SQLite ({args.cases:,} cases)")
        measure(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", args.cases, args.repeat)


if __name__ == "__main__":
    main()
