"""Benchmark of the import of an old ledger (issue 12 §3). Figures, not tests.

    python bench/ledger_import.py                      # SQLite (a temp file), 20,000 rows
    python bench/ledger_import.py --rows 5000 --pg postgresql+psycopg://postgres@127.0.0.1:5432/test

It writes a ledger of ``--rows`` rows as another centre keeps it (.xlsx, no case numbers: each
row keyed by its content), then times on an empty database: the dry run, the import (batches
of 500, each through the one write path with its audit rows and timeline lines), and the same
file imported again (nothing changes). PostgreSQL runs in a fresh schema dropped afterwards.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from callcenter import bootstrap  # noqa: E402
from callcenter.services.ledger_import import LedgerImport  # noqa: E402
from callcenter.settings import Settings  # noqa: E402

HEADER = [
    "序号",
    "报修时间",
    "车主",
    "电话",
    "车牌号码",
    "救援地点",
    "故障现象",
    "维修人员",
    "费用(元)",
]


def write_ledger(path: Path, rows: int) -> Path:
    import xlsxwriter

    rng = random.Random(7)
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("台帐")
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    sheet.write_string(0, 0, "救援登记台帐")
    sheet.write_row(1, 0, HEADER)
    start = datetime(2024, 1, 1, 8, 0)
    for i in range(rows):
        r = i + 2
        sheet.write_number(r, 0, i + 1)
        sheet.write_datetime(r, 1, start + timedelta(minutes=37 * i), when)
        sheet.write_string(r, 2, f"客户{i}")
        sheet.write_number(r, 3, float(f"13{rng.randint(100000000, 999999999)}"))
        sheet.write_string(r, 4, f"{rng.choice('粤京沪浙苏鲁')}B{i % 100000:05d}")
        sheet.write_string(r, 5, f"深圳市某区某路{i}号")
        sheet.write_string(r, 6, rng.choice(["爆胎", "没电", "无法启动", "没油"]))
        sheet.write_string(r, 7, rng.choice(["李强", "王磊", "赵刚"]))
        sheet.write_number(r, 8, rng.randint(50, 900))
    book.close()
    return path


def run(url: str, path: Path) -> None:
    bootstrap.upgrade(url)
    container = bootstrap.build(Settings(database_url=url, language="en", user="bench"))
    try:
        importer = LedgerImport(container.services)
        for label, dry in (("dry run", True), ("import", False), ("again", False)):
            start = time.perf_counter()
            report = importer.run(path, dry_run=dry)
            took = time.perf_counter() - start
            per_row = took / max(report.rows, 1) * 1000
            print(f"  {label:8} {took:7.2f} s  ({per_row:.2f} ms/row)  {report.summary()}")
    finally:
        container.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--pg", help="a PostgreSQL URL (a fresh schema is made and dropped)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = write_ledger(Path(folder) / "ledger.xlsx", args.rows)
        print(f"SQLite, {args.rows} rows:")
        run(f"sqlite:///{Path(folder) / 'bench.sqlite3'}", path)
        if args.pg:
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            engine = create_engine(args.pg)
            with engine.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            url = make_url(args.pg)
            query = {**url.query, "options": f"-csearch_path={schema}"}
            try:
                print(f"PostgreSQL, {args.rows} rows:")
                run(url.set(query=query).render_as_string(hide_password=False), path)
            finally:
                with engine.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                engine.dispose()


if __name__ == "__main__":
    main()
