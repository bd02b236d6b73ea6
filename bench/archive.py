"""Benchmark of the archive's reads (issue 12 §4–6). Figures, not tests.

    python bench/archive.py                       # SQLite (a temp file)
    python bench/archive.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test

Builds 100,000 customers with a vehicle each and 500,000 audit lines (bulk inserts), then
times (median and worst of ``--repeat`` runs, in ms): the archive's find by a phone fragment,
by a plate typed with a dot and in lower case, by a name; the incomplete entries; the audit
log's first page, one person's first page, and a page 2,000 lines deep (keyset). PostgreSQL
runs in a fresh schema that is dropped afterwards.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402

from bench.sweep import drop_pg_schema, fresh_pg_schema  # noqa: E402
from callcenter import bootstrap  # noqa: E402
from callcenter.clock import ManualClock  # noqa: E402
from callcenter.settings import Settings  # noqa: E402
from storage.tables import AuditRow, CustomerRow, VehicleRow  # noqa: E402

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
CUSTOMERS = 100_000
AUDIT = 500_000
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"


def fill(container: bootstrap.Container) -> None:
    rng = random.Random(7)
    customers, vehicles, audit = [], [], []
    for i in range(1, CUSTOMERS + 1):
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        customers.append(
            {
                "id": i,
                "name": name,
                "phone": f"+86139{i:08d}",
                "address": "深圳市南山区科技园" if i % 3 else "",
                "category": "general",
                "notes": "",
                "created_at": NOW - timedelta(days=rng.randint(0, 1500)),
                "version": 1,
                "wanted_service": "保养提醒" if i % 4 else "",
            }
        )
        vehicles.append(
            {"customer_id": i, "plate": f"粤B{i:05d}", "model": "卡罗拉", "vehicle_type": "car"}
        )
    people = [f"op{n:02d}" for n in range(40)]
    for i in range(AUDIT):
        audit.append(
            {
                "at": NOW - timedelta(seconds=i * 7),
                "actor": rng.choice(people),
                "action": rng.choice(("take_call", "dispatch", "arrive", "edit_customer")),
                "entity": "case",
                "entity_id": i,
                "allowed": rng.random() > 0.01,
                "details": {},
            }
        )
    with container.engine.begin() as conn:
        for rows, table in ((customers, CustomerRow), (vehicles, VehicleRow), (audit, AuditRow)):
            for start in range(0, len(rows), 20_000):
                conn.execute(insert(table.__table__), rows[start : start + 20_000])
    with container.engine.begin() as conn:
        conn.execute(text("ANALYZE"))  # fresh statistics, as a live database has them


def timed(fn, repeat: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), max(times)


def measure(url: str, repeat: int) -> None:
    settings = Settings(database_url=url, language="en", user="bench")
    bootstrap.upgrade(url)
    container = bootstrap.build(settings, clock=ManualClock(NOW))
    t0 = time.perf_counter()
    fill(container)
    print(f"  filled in {time.perf_counter() - t0:.1f} s")
    s = container.services
    query = s.audit_query()
    first = s.audit_page(query)
    deep = first
    for _ in range(20):
        deep = s.audit_page(type(query)(before=(deep[-1].at, deep[-1].id or 0)))
    cursor = (deep[-1].at, deep[-1].id or 0)
    cases = {
        "find by phone fragment '1390001 2345'": lambda: s.find_customers("1390001 2345"),
        "find by plate '粤b·00042'": lambda: s.find_customers("粤b·00042"),
        "find by name '王伟'": lambda: s.find_customers("王伟"),
        "incomplete entries (first 200)": lambda: s.incomplete_customers(),
        "audit: first page": lambda: s.audit_page(query),
        "audit: one person's first page": lambda: s.audit_page(s.audit_query(person="op07")),
        "audit: page 2,000 lines deep": lambda: s.audit_page(type(query)(before=cursor)),
    }
    for label, fn in cases.items():
        median, worst = timed(fn, repeat)
        print(f"  {label:<40} median {median:7.1f} ms   worst {worst:7.1f} ms")
    container.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg", help="a PostgreSQL URL (a fresh schema is used and dropped)")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            print(f"SQLite, {CUSTOMERS:,} customers, {AUDIT:,} audit lines")
            measure(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", args.repeat)
    if args.pg:
        url, schema = fresh_pg_schema(args.pg)
        try:
            print(f"PostgreSQL, {CUSTOMERS:,} customers, {AUDIT:,} audit lines")
            measure(url, args.repeat)
        finally:
            drop_pg_schema(args.pg, schema)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
