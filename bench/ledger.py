"""Benchmark of the rescue ledger (救援登记台帐, issue 12). Figures, not tests.

    python bench/ledger.py                       # SQLite (a temp file), 1,000,000 cases
    python bench/ledger.py --cases 100000        # a smaller run
    python bench/ledger.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test
    CALLCENTER_TEST_DATABASE_URL=... python bench/ledger.py   # the same, PostgreSQL too

For each backend it builds ``--cases`` closed cases over a year, each with its ledger row
(bulk inserts through SQLAlchemy Core, not through the services), then times through the
repository as the ledger screen reads it (``SqlLedgerRepository.page``, 100 rows):

* the first page with no filter, and the first page after each filter change (date range,
  crew, operator, plan, late, delay reason, record state, feedback result, free text — a
  common name, a rare plate and phone, an address about 1 row in 500 holds —, and two
  combined), ``--repeat`` times each: p50 and p95. Targets at 1,000,000 cases: p95
  ≤ 100 ms on PostgreSQL, ≤ 300 ms on SQLite;
* a page deep down (after scrolling 200 pages): keyset paging costs what the first page does;
* the export of (at least) the newest 100,000 rows to XLSX in a fresh process, through the
  service the CLI calls: seconds and CPU seconds, the median of ``--export-runs`` runs
  (default 5), RSS growth (VmHWM at the end less VmRSS before), and the seconds of reading
  the same rows alone. Targets: ≤ 5 s, ≤ 50 MB. The same rows to CSV, for comparison.

PostgreSQL runs in a fresh schema that is dropped afterwards. Figures vary with the machine
and its load; run it on a quiet one, and quote ``cat /proc/loadavg`` with them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from callcenter import bootstrap  # noqa: E402
from callcenter.clock import ManualClock  # noqa: E402
from callcenter.records.ledger_query import LedgerCursor, LedgerFilter, cursor_of  # noqa: E402
from storage.engine import make_engine  # noqa: E402
from storage.tables import CaseRow, LedgerRow  # noqa: E402
from storage.uow import SqlUnitOfWorkFactory  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
PLANS = ["towing", "onsite_repair", "battery", "tyre", "fuel", "lockout"]
CREWS = [f"R{n:02d}" for n in range(1, 41)]
OPERATORS = [f"op{n:02d}" for n in range(1, 21)]
DELAYS = ["traffic_jam", "traffic_control", "accident", "road_works", "weather"]
FEEDBACK = ["answered"] * 80 + ["refused"] * 8 + ["not_reached"] * 10 + ["wrong_number"] * 2
NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄勇", "周杰", "吴霞"]
STREETS = ["深南大道", "滨河大道", "北环大道", "南海大道", "宝安大道", "龙岗大道"]
PAGE = 100


# --------------------------------------------------------------------------------------------
# Data


def _rows(total: int, seed: int = 12) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(case, ledger row) pairs, received over the year before NOW, oldest first; every
    100th shares its received time with the one before (ties for the keyset)."""
    rng = random.Random(seed)
    span = 365 * 86400
    step = span / total
    received = NOW - timedelta(days=365)
    for i in range(1, total + 1):
        if i % 100:
            received = NOW - timedelta(seconds=span - i * step + rng.random())
            received = received.replace(microsecond=0)
        km = rng.choice([5.0, 8.0, 12.0, 18.0, 25.0])
        promise = received + timedelta(minutes=40 if km <= 10 else 60)
        arrived = received + timedelta(minutes=rng.uniform(15, 75))
        late = arrived > promise
        completed = arrived + timedelta(minutes=rng.uniform(10, 120))
        back = completed + timedelta(minutes=40)
        feedback = completed + timedelta(hours=rng.uniform(1, 30))
        name = rng.choice(NAMES)
        plate = f"粤B{rng.randrange(100000):05d}"
        phone = f"+86138{rng.randrange(100_000_000):08d}"
        address = f"深圳市{rng.choice(STREETS)}{rng.randrange(1, 9999)}号"
        number = f"{(received.astimezone(TZ)).strftime('%Y%m%d')}-{i % 10000:04d}"
        plan = rng.choice(PLANS)
        crew = rng.choice(CREWS)
        operator = rng.choice(OPERATORS)
        record_state = "accepted" if rng.random() > 0.03 else rng.choice(["not_accepted", "voided"])
        result = rng.choice(FEEDBACK)
        case = {
            "id": i,
            "number": number,
            "policy": "roadside",
            "status": "closed",
            "received_at": received,
            "caller_name": name,
            "phone": phone,
            "phone_ext": "",
            "plate": plate,
            "vehicle_model": "",
            "vehicle_type": "car",
            "address": address,
            "lat": None,
            "lon": None,
            "distance_km": Decimal(str(km)),
            "fault_description": "车辆无法启动",
            "fault_category": "other",
            "priority": "general",
            "plan": plan,
            "fee_quote": Decimal("150"),
            "fee_agreed": True,
            "fee_agreed_at": received,
            "agreed_arrival_at": None,
            "promised_arrival_at": promise,
            "original_promised_at": promise,
            "notes": "",
            "dispatched_at": received + timedelta(minutes=3),
            "en_route_at": received + timedelta(minutes=3),
            "arrived_at": arrived,
            "completed_at": completed,
            "reported_back_at": back,
            "feedback_at": feedback,
            "closed_at": feedback,
            "cancelled_at": None,
            "cancel_reason": "",
            "owner_notified_at": None,
            "crew_id": None,
            "customer_id": None,
            "vehicle_id": None,
            "created_by": operator,
            "updated_at": feedback,
            "updated_by": operator,
            "is_open": False,
            "version": 1,
        }
        ledger = {
            "case_id": i,
            "number": number,
            "received_at": received,
            "caller_name": name,
            "phone": phone,
            "plate": plate,
            "vehicle_model": "比亚迪 秦",
            "address": address,
            "distance_km": Decimal(str(km)),
            "fault_category": "other",
            "fault_description": "车辆无法启动",
            "plan": plan,
            "priority": "general",
            "crew_code": crew,
            "crew_members": "李师傅、王师傅",
            "dispatched_at": received + timedelta(minutes=3),
            "en_route_at": received + timedelta(minutes=3),
            "arrived_at": arrived,
            "completed_at": completed,
            "reported_back_at": back,
            "back_at": back,
            "feedback_at": feedback,
            "closed_at": feedback,
            "promised_arrival_at": promise,
            "original_promised_at": promise,
            "on_time": not late,
            "on_time_original": not late,
            "delay_reason": rng.choice(DELAYS) if late and rng.random() < 0.3 else "",
            "fee_quote": Decimal("150"),
            "fee_total": Decimal(str(150 + rng.randrange(0, 400))),
            "km_driven": Decimal(str(km * 2)),
            "expenses": Decimal("20"),
            "equipment_returned": True,
            "crew_notes": "",
            "follow_up": "",
            "record_state": record_state,
            "accepted": record_state == "accepted",
            "feedback_result": result,
            "satisfied": True if result == "answered" else None,
            "operator": operator,
            "updated_at": feedback,
            "extra": {},
        }
        yield case, ledger


def fill(url: str, total: int) -> float:
    bootstrap.upgrade(url)
    engine = make_engine(url)
    started = time.perf_counter()
    rows = _rows(total)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        while batch := list(islice(rows, 10_000)):
            conn.execute(insert(CaseRow.__table__), [c for c, _ in batch])
            conn.execute(insert(LedgerRow.__table__), [ledger for _, ledger in batch])
            done = batch[-1][0]["id"]
            if done % 100_000 == 0:
                print(f"  {done:,} ({time.perf_counter() - started:.0f} s)", flush=True)
        if engine.dialect.name == "postgresql":
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence('cases', 'id'), :n)"), {"n": total}
            )
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    else:
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return time.perf_counter() - started


# --------------------------------------------------------------------------------------------
# Measures


def filters() -> dict[str, LedgerFilter]:
    day = NOW.astimezone(TZ).date()
    month_ago = day - timedelta(days=30)
    half_year = day - timedelta(days=180)
    return {
        "first page (no filter)": LedgerFilter(zone=TZ),
        "last 30 days": LedgerFilter(date_from=month_ago, date_to=day, zone=TZ),
        "a month half a year ago": LedgerFilter(
            date_from=half_year, date_to=half_year + timedelta(days=30), zone=TZ
        ),
        "crew R07": LedgerFilter(crew="R07", zone=TZ),
        "operator op13": LedgerFilter(operator="op13", zone=TZ),
        "plan towing": LedgerFilter(plan="towing", zone=TZ),
        "late": LedgerFilter(on_time=False, zone=TZ),
        "delay reason weather": LedgerFilter(delay_reason="weather", zone=TZ),
        "record voided": LedgerFilter(record_state="voided", zone=TZ),
        "feedback wrong number": LedgerFilter(feedback_result="wrong_number", zone=TZ),
        "text: name 王芳": LedgerFilter(text="王芳", zone=TZ),
        "text: plate 粤B12345": LedgerFilter(text="粤B12345", zone=TZ),
        "text: phone 13800138": LedgerFilter(text="13800138", zone=TZ),
        "text: address 深南大道12 (~0.2%)": LedgerFilter(text="深南大道12", zone=TZ),
        "crew R07 + late + 2025-12": LedgerFilter(
            crew="R07",
            on_time=False,
            date_from=date(2025, 12, 1),
            date_to=date(2025, 12, 31),
            zone=TZ,
        ),
        "voided + operator op02": LedgerFilter(record_state="voided", operator="op02", zone=TZ),
    }


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def time_pages(url: str, repeat: int) -> dict[str, tuple[float, float, int]]:
    engine = make_engine(url)
    uow = SqlUnitOfWorkFactory(engine, ManualClock(NOW))

    def page(flt: LedgerFilter, after: LedgerCursor | None = None) -> list[Any]:
        with uow(write=False) as work:
            return work.ledger.page(flt, after, PAGE)

    found: dict[str, tuple[float, float, int]] = {}
    for name, flt in filters().items():
        page(flt)  # warm the plan cache as a session does
        runs = []
        rows: list[Any] = []
        for _ in range(repeat):
            started = time.perf_counter()
            rows = page(flt)
            runs.append(time.perf_counter() - started)
        found[name] = (statistics.median(runs), _p95(runs), len(rows))
    # Deep down: scroll 200 pages, then time the next one.
    flt = LedgerFilter(zone=TZ)
    after = None
    for _ in range(200):
        rows = page(flt, after)
        after = cursor_of(rows[-1])
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        rows = page(flt, after)
        runs.append(time.perf_counter() - started)
    found["page 201 (after scrolling)"] = (statistics.median(runs), _p95(runs), len(rows))
    engine.dispose()
    return found


def _status(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    return 0


def export_child(url: str, target: str, rows: int) -> None:
    """In a fresh process: export ``rows`` rows (XLSX or CSV, by ``target``'s extension)
    through the service the CLI calls (``Services.ledger_export``), print seconds, the RSS
    growth, and the seconds of reading the same rows alone (a second pass, as the export
    reads them)."""
    import rustpy_xlsxwriter  # noqa: F401  (loaded before the RSS is read, as the CLI has it)

    from callcenter.records.ledger_export import cell_query, export_format, fixed_offset
    from callcenter.settings import Settings

    settings = Settings(database_url=url, language="zh_CN", user="bench")
    container = bootstrap.build(settings, clock=ManualClock(NOW))
    services = container.services
    services.staff = None  # a trusted caller: the role is not what is measured
    # At least the newest ``rows`` rows: those received since the local day of the rows-th.
    engine = create_engine(url)
    with engine.connect() as conn:
        nth = conn.execute(
            select(LedgerRow.received_at)
            .order_by(LedgerRow.received_at.desc())
            .limit(1)
            .offset(rows - 1)
        ).scalar()
    engine.dispose()
    flt = LedgerFilter(date_from=nth.astimezone(TZ).date() if nth else None, zone=TZ)
    fmt = export_format(target)
    before = _status("VmRSS")
    started, cpu = time.perf_counter(), time.process_time()
    count = services.ledger_export(flt, Path(target), fmt)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    growth = _status("VmHWM") - before
    size = Path(target).stat().st_size
    started = time.perf_counter()
    if fmt.value == "xlsx":
        offset = fixed_offset(TZ, NOW - timedelta(days=366), NOW)
        assert offset is not None
        for _batch in services._ledger_cells(flt, cell_query(offset), 2000):
            pass
    else:
        for _batch in services.ledger_batches(flt):
            pass
    reading = time.perf_counter() - started
    print(
        json.dumps(
            {
                "rows": count,
                "seconds": seconds,
                "cpu": cpu,
                "reading": reading,
                "rss_growth": growth,
                "size": size,
            }
        )
    )
    container.close()


def time_export(
    url: str, rows: int, tmp: str, suffix: str = "xlsx", runs: int = 1
) -> dict[str, Any]:
    """The export in ``runs`` fresh processes: the run of median seconds, with the fastest
    and slowest (one run varies by a fifth on a shared machine)."""
    target = str(Path(tmp) / f"ledger.{suffix}")
    found = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, __file__, "--export-child", url, target, str(rows)],
            capture_output=True,
            text=True,
            check=True,
        )
        found.append(dict(json.loads(done.stdout.strip().splitlines()[-1])))
    found.sort(key=lambda run: float(run["seconds"]))
    median = found[len(found) // 2]
    median["range"] = (found[0]["seconds"], found[-1]["seconds"])
    median["runs"] = runs
    return median


# --------------------------------------------------------------------------------------------
# Backends and report


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


def bench(name: str, url: str, args: argparse.Namespace, tmp: str) -> dict[str, Any]:
    print(f"[{name}] building {args.cases:,} cases with their ledger rows ...", flush=True)
    build = fill(url, args.cases)
    print(f"[{name}] built in {build:.0f} s; timing pages ...", flush=True)
    pages = time_pages(url, args.repeat)
    export: dict[str, Any] = {}
    if args.export:
        print(f"[{name}] exporting {args.export:,} rows to XLSX ...", flush=True)
        export = time_export(url, args.export, tmp, runs=args.export_runs)
        export["csv"] = time_export(url, args.export, tmp, "csv")
    return {"name": name, "build": build, "pages": pages, "export": export}


def report(results: list[dict[str, Any]], cases: int) -> None:
    print()
    print(f"Rescue ledger, {cases:,} cases; page of {PAGE} rows; ms p50 / p95 (rows)")
    names = list(results[0]["pages"])
    width = max(len(n) for n in names) + 2
    print(" " * width + "".join(f"{r['name']:>26}" for r in results))
    for name in names:
        cells = []
        for result in results:
            p50, p95, count = result["pages"][name]
            cells.append(f"{p50 * 1000:8.1f} / {p95 * 1000:6.1f} ({count:3d})")
        print(f"{name:<{width}}" + "".join(f"{c:>26}" for c in cells))
    for result in results:
        worst = max(p95 for _p50, p95, _n in result["pages"].values())
        print(f"{result['name']}: worst p95 {worst * 1000:.1f} ms; build {result['build']:.0f} s")
        export = result["export"]
        if export:
            print(
                f"{result['name']}: XLSX export of {export['rows']:,} rows in "
                f"{export['seconds']:.2f} s (CPU {export['cpu']:.2f} s; median of "
                f"{export['runs']}, {export['range'][0]:.2f}–{export['range'][1]:.2f} s), "
                f"RSS growth {export['rss_growth'] / 2**20:.1f} MB, "
                f"file {export['size'] / 2**20:.1f} MB; "
                f"reading the same rows alone {export['reading']:.2f} s"
            )
            csv = export["csv"]
            print(
                f"{result['name']}: CSV export of the same rows in {csv['seconds']:.2f} s "
                f"(reading {csv['reading']:.2f} s), RSS growth {csv['rss_growth'] / 2**20:.1f} MB"
            )
    print("load:", Path("/proc/loadavg").read_text().strip())


def main() -> int:
    if len(sys.argv) == 5 and sys.argv[1] == "--export-child":
        export_child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return 0
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--pg",
        default=os.environ.get("CALLCENTER_TEST_DATABASE_URL", ""),
        help="PostgreSQL URL (default $CALLCENTER_TEST_DATABASE_URL)",
    )
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases built (1,000,000)")
    parser.add_argument("--repeat", type=int, default=20, help="timings of each page")
    parser.add_argument(
        "--export", type=int, default=100_000, help="rows exported to XLSX (0: skip)"
    )
    parser.add_argument(
        "--export-runs", type=int, default=5, help="XLSX exports timed (the median is shown)"
    )
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_sqlite:
            url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
            results.append(bench("SQLite", url, args, tmp))
        if args.pg:
            url, schema = fresh_pg_schema(args.pg)
            try:
                results.append(bench("PostgreSQL", url, args, tmp))
            finally:
                drop_pg_schema(args.pg, schema)
    report(results, args.cases)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
