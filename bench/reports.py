"""Benchmark of the monthly report (issue 14 §4). Figures, not tests.

    python bench/reports.py                       # SQLite (a temp file), 1,000,000 cases
    python bench/reports.py --cases 200000        # a smaller run
    python bench/reports.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test
    CALLCENTER_TEST_DATABASE_URL=... python bench/reports.py   # the same, PostgreSQL too

For each backend it builds ``--cases`` cases over 24 months (bulk inserts through SQLAlchemy
Core, not through the services): each with its ledger row and service record (3 % not
accepted), a feedback survey for 95 % (80 % answered), a delay event for late ones, a
repeated-repair event for 2 %, and a complaint for 1 %. Then it times the monthly report of
a month in the middle through the service (``Services.monthly_report``: the reads and the
arithmetic), ``--repeat`` times: min and median. Targets: ≤ 1 s on PostgreSQL, ≤ 3 s on
SQLite. PostgreSQL runs in a fresh schema dropped afterwards. Quote ``uptime`` with them.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from callcenter import bootstrap  # noqa: E402
from callcenter.clock import ManualClock  # noqa: E402
from callcenter.settings import Settings  # noqa: E402
from storage.engine import make_engine  # noqa: E402
from storage.tables import (  # noqa: E402
    CaseEventRow,
    CaseRow,
    ComplaintRow,
    LedgerRow,
    ServiceRecordRow,
    SurveyRow,
)

NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
SPAN = timedelta(days=730)
PLANS = ["towing", "onsite_repair", "battery", "tyre", "fuel", "lockout"]
DELAYS = ["traffic_jam", "traffic_control", "accident", "road_works", "weather"]
CATEGORIES = ["attitude", "quarrel", "lateness", "fees", "quality", "other"]
FEEDBACK = ["answered"] * 80 + ["refused"] * 8 + ["not_reached"] * 10 + ["wrong_number"] * 2
MONTH = "2025-12"


def _rows(total: int, seed: int = 14) -> Iterator[dict[str, list[dict[str, Any]]]]:
    rng = random.Random(seed)
    step = SPAN.total_seconds() / total
    start = NOW - SPAN
    complaint = 0
    for i in range(1, total + 1):
        received = (start + timedelta(seconds=i * step)).replace(microsecond=0)
        km = rng.choice([5.0, 8.0, 12.0, 18.0])
        promise = received + timedelta(minutes=40 if km <= 10 else 60)
        cancelled = rng.random() < 0.02
        dispatched = received + timedelta(minutes=rng.uniform(0.5, 9))
        arrived = received + timedelta(minutes=rng.uniform(15, 75))
        completed = arrived + timedelta(minutes=rng.uniform(10, 120))
        extended = not cancelled and arrived > promise and rng.random() < 0.2
        reason = rng.choice(DELAYS) if not cancelled and arrived > promise else ""
        plan = rng.choice(PLANS)
        state = "accepted" if rng.random() > 0.03 else "not_accepted"
        fee = Decimal(150 + rng.randrange(0, 400))
        number = f"C{i:08d}"
        out: dict[str, list[dict[str, Any]]] = {
            "cases": [
                {
                    "id": i,
                    "number": number,
                    "policy": "roadside",
                    "status": "cancelled" if cancelled else "closed",
                    "received_at": received,
                    "caller_name": "张伟",
                    "phone": "+8613800138000",
                    "plate": f"粤B{i % 100000:05d}",
                    "address": "深圳市深南大道1号",
                    "distance_km": Decimal(str(km)),
                    "fault_description": "车辆无法启动",
                    "fault_category": "other",
                    "priority": "general",
                    "plan": plan,
                    "fee_quote": Decimal("150"),
                    "promised_arrival_at": promise + timedelta(minutes=30) if extended else promise,
                    "original_promised_at": promise,
                    "dispatched_at": None if cancelled else dispatched,
                    "arrived_at": None if cancelled else arrived,
                    "completed_at": None if cancelled else completed,
                    "cancelled_at": received + timedelta(minutes=2) if cancelled else None,
                    "cancel_reason": rng.choice(["车主自行修好", "重复来电"]) if cancelled else "",
                    "service_state": "none" if cancelled else state,
                    "created_by": "op01",
                    "is_open": False,
                    "version": 1,
                }
            ]
        }
        if cancelled:
            yield out
            continue
        result = rng.choice(FEEDBACK)
        satisfied = (rng.random() < 0.97) if result == "answered" else None
        out["ledger"] = [
            {
                "case_id": i,
                "number": number,
                "received_at": received,
                "caller_name": "张伟",
                "phone": "+8613800138000",
                "plate": f"粤B{i % 100000:05d}",
                "address": "深圳市深南大道1号",
                "distance_km": Decimal(str(km)),
                "fault_category": "other",
                "fault_description": "车辆无法启动",
                "plan": plan,
                "priority": "general",
                "crew_code": f"R{rng.randrange(1, 41):02d}",
                "dispatched_at": dispatched,
                "arrived_at": arrived,
                "completed_at": completed,
                "promised_arrival_at": promise,
                "original_promised_at": promise,
                "on_time": arrived <= promise,
                "on_time_original": arrived <= promise,
                "delay_reason": reason,
                "fee_total": fee,
                "record_state": state,
                "accepted": state == "accepted",
                "feedback_result": result,
                "satisfied": satisfied,
                "extra": {},
            }
        ]
        out["records"] = [
            {
                "case_id": i,
                "crew_members": "李师傅",
                "work_started_at": arrived,
                "work_finished_at": completed,
                "cause": "亏电",
                "solution": "搭电",
                "no_parts": True,
                "parts": [],
                "fees": [],
                "fee_total": fee,
                "in_warranty": False,
                "policy": "",
                "accepted": state == "accepted",
                "recorded_by": "op01",
                "recorded_at": completed,
                "version": 1,
            }
        ]
        if rng.random() < 0.95:
            out["surveys"] = [
                {
                    "case_id": i,
                    "at": completed + timedelta(hours=3),
                    "actor": "op01",
                    "result": result,
                    "kind": "feedback",
                    "satisfied": satisfied,
                    "answers": {},
                    "reasons": {},
                    "escalations": [],
                }
            ]
        events = []
        if reason:
            events.append(
                {
                    "case_id": i,
                    "at": arrived,
                    "actor": "op01",
                    "kind": "deadline_extended" if extended else "delay_call",
                    "details": {"reason": reason},
                }
            )
        if rng.random() < 0.02:
            events.append(
                {
                    "case_id": i,
                    "at": received,
                    "actor": "op01",
                    "kind": "repeat_repair",
                    "details": {},
                }
            )
        if events:
            out["events"] = events
        if rng.random() < 0.01:
            complaint += 1
            resolved = received + timedelta(hours=rng.uniform(2, 100))
            out["complaints"] = [
                {
                    "number": f"T{complaint:08d}",
                    "received_at": received + timedelta(hours=1),
                    "channel": "phone",
                    "customer_name": "张伟",
                    "case_id": i,
                    "crew_member": "李师傅",
                    "category": rng.choice(CATEGORIES),
                    "description": "服务态度差",
                    "status": "closed" if resolved < NOW else "handling",
                    "is_open": resolved >= NOW,
                    "notify_due_at": received + timedelta(hours=2),
                    "plan_due_at": received + timedelta(hours=4),
                    "resolve_due_at": received + timedelta(hours=73),
                    "resolved_at": resolved if resolved < NOW else None,
                    "created_by": "op01",
                    "version": 1,
                }
            ]
        yield out


TABLES = {
    "cases": CaseRow.__table__,
    "ledger": LedgerRow.__table__,
    "records": ServiceRecordRow.__table__,
    "surveys": SurveyRow.__table__,
    "events": CaseEventRow.__table__,
    "complaints": ComplaintRow.__table__,
}


def _filled(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM cases")).scalar_one())
    finally:
        engine.dispose()


def fill(url: str, total: int) -> float:
    bootstrap.upgrade(url)
    if _filled(url) == total:  # a kept database (--keep) of that size: not built again
        return 0.0
    engine = make_engine(url)
    started = time.perf_counter()
    rows = _rows(total)
    done = 0
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        while batch := list(islice(rows, 10_000)):
            for key, table in TABLES.items():
                found = [r for item in batch for r in item.get(key, ())]
                if found:
                    conn.execute(insert(table), found)
            done += len(batch)
            if done % 100_000 == 0:
                print(f"  {done:,} ({time.perf_counter() - started:.0f} s)", flush=True)
        if engine.dialect.name == "postgresql":
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence('cases', 'id'), :n)"), {"n": total}
            )
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
        else:
            conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return time.perf_counter() - started


def time_report(url: str, repeat: int) -> tuple[float, float, Any]:
    settings = Settings(database_url=url, language="zh_CN", user="bench")
    container = bootstrap.build(settings, clock=ManualClock(NOW))
    try:
        services = container.services
        services.staff = None  # a trusted caller: the role is not what is measured
        report = services.monthly_report(MONTH)  # warm: plans, policy and template caches
        runs = []
        for _ in range(repeat):
            started = time.perf_counter()
            report = services.monthly_report(MONTH)
            runs.append(time.perf_counter() - started)
    finally:
        container.close()
    return min(runs), statistics.median(runs), report


def run(url: str, total: int, repeat: int, label: str) -> None:
    print(f"{label}: building {total:,} cases over 24 months …", flush=True)
    built = fill(url, total)
    print(f"  built in {built:.0f} s" if built else "  kept from an earlier run")
    best, median, report = time_report(url, repeat)
    print(
        f"  monthly report {MONTH} ({report.calls:,} cases, {report.complaints.received:,} "
        f"complaints): min {best * 1000:.0f} ms, median {median * 1000:.0f} ms "
        f"(of {repeat}); target ≤ {1000 if 'PostgreSQL' in label else 3000} ms"
    )
    print(
        f"  on time {report.on_time.percent:.1f}%, response p50 {report.response.p50:.2f} min, "
        f"p90 {report.response.p90:.2f} min, satisfaction {report.satisfaction.rate.percent:.1f}%"
    )


def _pg_schema_url(base: str, schema: str = "") -> tuple[str, str]:
    schema = schema or f"bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
    engine.dispose()
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False), schema


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pg", default=os.environ.get("CALLCENTER_TEST_DATABASE_URL"))
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument(
        "--keep",
        metavar="DIR",
        default="",
        help="keep the databases for another run: the SQLite file in DIR, the PostgreSQL "
        "schema named after the size (dropped by hand); a kept one of that size is reused",
    )
    args = parser.parse_args()
    print(f"load: {Path('/proc/loadavg').read_text().strip()}")
    if not args.no_sqlite:
        if args.keep:
            Path(args.keep).mkdir(parents=True, exist_ok=True)
            path = Path(args.keep).resolve() / f"bench_reports_{args.cases}.sqlite3"
            run(f"sqlite:///{path}", args.cases, args.repeat, "SQLite")
        else:
            with tempfile.TemporaryDirectory() as tmp:
                run(f"sqlite:///{tmp}/bench.sqlite3", args.cases, args.repeat, "SQLite")
    if args.pg:
        kept = f"bench_reports_{args.cases}" if args.keep else ""
        url, schema = _pg_schema_url(args.pg, kept)
        try:
            run(url, args.cases, args.repeat, "PostgreSQL")
        finally:
            if not kept:
                engine = create_engine(args.pg)
                with engine.begin() as conn:
                    conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
                engine.dispose()
    print(f"load: {Path('/proc/loadavg').read_text().strip()}")


if __name__ == "__main__":
    main()
