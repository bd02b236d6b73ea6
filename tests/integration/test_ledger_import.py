"""Importing an old ledger (issue 12 §3) on SQLite and PostgreSQL: a messy ledger from another
centre in .xlsx, .xls and .csv (BOM, GB18030), the dry run, the import, a second import that
changes nothing, the refused rows' side file, the permission and the audit rows, the CLI, and
the round trip of our own export into an empty database."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from callcenter import bootstrap
from callcenter.clock import ManualClock
from callcenter.domain import CaseStatus, Role
from callcenter.errors import PermissionDenied
from callcenter.i18n import language
from callcenter.records.ledger_columns import LEDGER_COLUMNS, cell_text
from callcenter.records.ledger_file import LedgerFileError
from callcenter.records.model import LedgerEntry
from callcenter.services.ledger_import import LedgerImport, refused_path
from callcenter.services.lifecycle import Checklist
from callcenter.services.staff import StaffDirectory
from callcenter.settings import Settings
from storage.tables import LedgerRow
from tests.conftest import drop_postgres_schema, fresh_postgres_url
from tests.factories import add_crew, feedback_reached, finish_job, intake
from tests.ledger_files import (
    BAD_ROWS,
    GOOD_ROWS,
    export_csv,
    export_xlsx,
    messy_csv,
    messy_xls,
    messy_xlsx,
)

Session = Callable[..., bootstrap.Container]
SAFE = Checklist(hazard_lights=True, warning_sign=True, night_lights=True)

MAKERS: dict[str, Callable[[Path], Path]] = {
    "xlsx": lambda d: messy_xlsx(d / "其他中心台帐.xlsx"),
    "xls": lambda d: messy_xls(d / "其他中心台帐.xls"),
    "csv-bom": lambda d: messy_csv(d / "其他中心台帐.csv", "utf-8-sig"),
    "csv-gb18030": lambda d: messy_csv(d / "其他中心台帐.csv", "gb18030"),
}


@pytest.fixture
def session(migrated_url: str, clock: ManualClock) -> Iterator[Session]:
    made: list[bootstrap.Container] = []

    def factory(user: str, url: str = migrated_url) -> bootstrap.Container:
        container = bootstrap.build(
            Settings(database_url=url, language="en", user=user), clock=clock
        )
        made.append(container)
        return container

    yield factory
    for container in made:
        container.close()


@pytest.fixture
def centre(session: Session) -> dict[str, bootstrap.Container]:
    admin = session("boss")
    staff = StaffDirectory(admin.services)
    staff.add("wangfang", "王芳", Role.OPERATOR)
    staff.add("chenjun", "陈军", Role.SUPERVISOR)
    return {"admin": admin, "operator": session("wangfang"), "supervisor": session("chenjun")}


def ledger(container: bootstrap.Container) -> list[LedgerEntry]:
    from sqlalchemy import select

    from storage.convert import to_domain

    with container.uow(write=False) as uow:
        session = uow.session  # type: ignore[attr-defined]
        rows = session.scalars(select(LedgerRow).order_by(LedgerRow.number)).all()
        return [to_domain(LedgerEntry, row) for row in rows]


def import_audit(container: bootstrap.Container) -> list:
    with container.uow(write=False) as uow:
        return [e for e in uow.audit.recent(limit=1000) if e.action == "import_ledger"]


@pytest.mark.parametrize("kind", list(MAKERS))
def test_a_messy_ledger_is_read_dry_run_then_imported_and_a_second_import_changes_nothing(
    centre: dict[str, bootstrap.Container], tmp_path: Path, kind: str
) -> None:
    if kind == "xls":
        pytest.importorskip("xlwt")  # writes the .xls (a test dependency)
    path = MAKERS[kind](tmp_path)
    supervisor = centre["supervisor"]
    importer = LedgerImport(supervisor.services)

    dry = importer.run(path, dry_run=True)
    assert (dry.imported, dry.updated, dry.unchanged) == (3, 0, 0)
    assert [r.row for r in dry.refused] == list(BAD_ROWS)
    reasons = {r.row: r.reason for r in dry.refused}
    assert reasons[8].startswith("电话: ")
    assert reasons[9].startswith("车牌号码: ")
    assert reasons[10].startswith("报修时间: ")
    assert ledger(supervisor) == []  # a dry run writes nothing
    assert not refused_path(path).exists()

    report = importer.run(path)
    assert (report.imported, report.updated, report.unchanged) == (3, 0, 0)
    assert [r.row for r in report.refused] == list(BAD_ROWS)
    entries = {e.extra["source_row"]: e for e in ledger(supervisor)}
    assert sorted(entries) == list(GOOD_ROWS)
    first, second, third = entries[5], entries[6], entries[7]
    # The phone Excel turned into a number, the full-width plate, the serial date (noon).
    assert (first.phone, first.plate, first.caller_name) == ("+8613800138000", "粤B12345", "张三")
    assert cell_text(first, _col("received_at"), supervisor.settings.tz) == "2026-10-05 12:00"
    assert first.fee_total == 350 and first.crew_members == "李强" and first.crew_notes == "夜间"
    # A landline with its extension, a new-energy plate with a dot, a date cell.
    assert (second.phone, second.plate) == ("+8675588886666", "粤BD12345")
    assert cell_text(second, _col("received_at"), supervisor.settings.tz) == "2026-10-03 09:15"
    # A date as Chinese text, a lower-case plate, an amount with ¥ and a thousands comma.
    assert (third.plate, str(third.fee_total)) == ("京A12345", "1200.50")
    assert cell_text(third, _col("received_at"), supervisor.settings.tz) == "2026-10-05 14:30"
    # Each row is a closed historical case, marked as imported.
    services = supervisor.services
    case = services.case_by_number(second.number)
    assert case.status is CaseStatus.CLOSED and case.phone_ext == "123"
    assert not any(c.number == second.number for c in services.open_cases())
    assert second.extra["imported_from"] == path.name
    assert second.extra["imported_by"] == "chenjun"
    assert services.timeline(case.id)[-1].kind == "imported"
    # The audit log: one row per case naming the file and the operator, one per batch.
    audit = import_audit(supervisor)
    per_case = [e for e in audit if e.entity == "case"]
    assert len(per_case) == 3 and {e.actor for e in audit} == {"chenjun"}
    assert {e.details["note"] for e in per_case} == {f"imported from {path.name}"}
    assert {e.details["row"] for e in per_case} == set(GOOD_ROWS)
    # The refused rows, as read, with the reason, for correction.
    side = refused_path(path)
    with side.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][0] == "Row" and rows[0][-1] == "Reason refused"
    assert [int(r[0]) for r in rows[1:]] == list(BAD_ROWS)
    assert rows[1][4] == "12345" and rows[1][-1] == reasons[8]

    again = importer.run(path)
    assert (again.imported, again.updated, again.unchanged) == (0, 0, 3)
    assert len(import_audit(supervisor)) == len(audit)  # nothing written, not even a batch row
    assert ledger(supervisor) == list(entries.values()) or sorted(
        e.number for e in ledger(supervisor)
    ) == sorted(e.number for e in entries.values())


def _col(key: str):
    return next(c for c in LEDGER_COLUMNS if c.key == key)


def test_a_changed_row_updates_its_case_and_says_what_changed(
    centre: dict[str, bootstrap.Container], tmp_path: Path
) -> None:
    supervisor = centre["supervisor"]
    importer = LedgerImport(supervisor.services, batch_size=2)  # two batches
    path = messy_csv(tmp_path / "台帐.csv", "utf-8-sig")
    assert importer.run(path).imported == 3
    text = path.read_text(encoding="utf-8-sig").replace("电瓶没电", "电瓶亏电，已搭电")
    path.write_text(text, encoding="utf-8-sig")
    report = importer.run(path)
    assert (report.imported, report.updated, report.unchanged) == (0, 1, 2)
    updated = [e for e in ledger(supervisor) if e.extra["source_row"] == 6]
    assert updated[0].fault_description == "电瓶亏电，已搭电"
    last = next(e for e in import_audit(supervisor) if e.entity == "case")  # newest first
    assert last.details["change"] == "updated" and last.details["changed"] == ["fault_description"]


def test_an_operator_is_refused_and_the_refusal_is_audited(
    centre: dict[str, bootstrap.Container], tmp_path: Path
) -> None:
    operator = centre["operator"]
    path = messy_xlsx(tmp_path / "台帐.xlsx")
    with pytest.raises(PermissionDenied, match="import a ledger"):
        LedgerImport(operator.services).run(path, dry_run=True)
    assert not LedgerImport(operator.services).may_import()
    with pytest.raises(PermissionDenied):
        LedgerImport(operator.services).run(path)
    assert ledger(operator) == []
    with operator.uow(write=False) as uow:
        refused = uow.audit.recent(limit=10, allowed=False)
    assert [(e.actor, e.action) for e in refused][:2] == [("wangfang", "import_ledger")] * 2


def test_a_case_taken_here_is_never_overwritten_by_an_import(
    centre: dict[str, bootstrap.Container], tmp_path: Path
) -> None:
    supervisor = centre["supervisor"]
    services = supervisor.services
    case = services.take_call(intake())
    tz = supervisor.settings.tz
    path = tmp_path / "ours.csv"
    with language("zh_CN"), path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["案件编号", "日期", "车主", "电话", "车牌", "地址", "故障"])
        writer.writerow(
            [case.number, case.received_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
             "别人", "13800138000", "粤B12345", "别处", "别的故障"]
        )  # fmt: skip
    report = LedgerImport(services).run(path)
    assert report.imported == 0 and [r.row for r in report.refused] == [2]
    assert "taken in this centre" in report.refused[0].reason
    assert services.case_by_number(case.number).caller_name == "张伟"


def test_a_mapping_file_names_unusual_headers(
    centre: dict[str, bootstrap.Container], tmp_path: Path
) -> None:
    path = tmp_path / "odd.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["求助时刻", "贵姓", "号码", "车号", "在哪", "啥毛病", "序号"])
        writer.writerow(
            ["2026-10-01 08:00", "周九", "13800138000", "粤B12345", "深圳", "爆胎", "1"]
        )
    supervisor = centre["supervisor"]
    with pytest.raises(LedgerFileError, match="no header row"):
        LedgerImport(supervisor.services).run(path, dry_run=True)
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        '[columns]\n"求助时刻" = "received_at"\n"贵姓" = "caller_name"\n"号码" = "phone"\n'
        '"车号" = "plate"\n"在哪" = "address"\n"啥毛病" = "fault_description"\n',
        encoding="utf-8",
    )
    report = LedgerImport(supervisor.services).run(path, mapping=mapping)
    assert report.imported == 1 and not report.refused
    bad = tmp_path / "bad.toml"
    bad.write_text('[columns]\n"贵姓" = "surname"\n', encoding="utf-8")
    with pytest.raises(LedgerFileError, match="not a field of the ledger"):
        LedgerImport(supervisor.services).run(path, mapping=bad)


def test_a_missing_or_unreadable_file_is_one_clear_error(
    centre: dict[str, bootstrap.Container], tmp_path: Path
) -> None:
    importer = LedgerImport(centre["supervisor"].services)
    with pytest.raises(LedgerFileError, match="No such file"):
        importer.run(tmp_path / "none.xlsx")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"this is not a spreadsheet")
    with pytest.raises(LedgerFileError, match="Cannot read"):
        importer.run(broken)
    with pytest.raises(LedgerFileError, match=r"read \.xlsx, \.xls and \.csv"):
        importer.run(tmp_path / "notes.docx")


# -- the command line ----------------------------------------------------------------------------


def cli(url: str, user: str, *args: str, lang: str = "en") -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CALLCENTER_USER": user,
        "CALLCENTER_LANG": lang,
        "CALLCENTER_DATABASE_URL": url,
    }
    return subprocess.run(
        [sys.executable, "-m", "callcenter", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_the_cli_dry_run_prints_counts_and_each_refused_row_then_imports(
    migrated_url: str, tmp_path: Path
) -> None:
    path = messy_xlsx(tmp_path / "台帐.xlsx")
    assert (
        cli(migrated_url, "boss", "staff", "add", "chenjun", "--role", "supervisor").returncode == 0
    )
    assert cli(migrated_url, "boss", "staff", "add", "wangfang").returncode == 0

    dry = cli(migrated_url, "chenjun", "ledger", "import", str(path), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    lines = dry.stdout.strip().splitlines()
    assert lines[0] == ("台帐.xlsx: 3 rows would be imported, 0 updated, 0 unchanged, 4 refused.")
    refused = [line for line in lines if line.startswith("row ")]
    assert [line.split(":")[0] for line in refused] == [f"row {n}" for n in BAD_ROWS]
    assert dry.stderr == ""  # no progress when stderr is not a terminal

    done = cli(migrated_url, "chenjun", "ledger", "import", str(path), lang="zh_CN")
    assert done.returncode == 0, done.stderr
    assert "3" in done.stdout.splitlines()[0]
    assert refused_path(path).exists()
    assert str(refused_path(path)) in done.stdout

    denied = cli(migrated_url, "wangfang", "ledger", "import", str(path), "--dry-run")
    assert denied.returncode != 0 and "Traceback" not in denied.stderr
    assert len(denied.stderr.strip().splitlines()) == 1

    missing = cli(migrated_url, "chenjun", "ledger", "import", str(tmp_path / "nope.xlsx"))
    assert missing.returncode != 0 and "Traceback" not in missing.stderr
    assert missing.stderr.strip().splitlines() == [
        f"callcenter: No such file: {tmp_path / 'nope.xlsx'}"
    ]


# -- the round trip ------------------------------------------------------------------------------


@pytest.fixture
def empty_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A second, empty database on the same backend."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        bootstrap.upgrade(url)
        yield url
        return
    url = fresh_postgres_url()
    bootstrap.upgrade(url)
    yield url
    drop_postgres_schema(url)


def _a_month_of_work(container: bootstrap.Container, clock: ManualClock) -> None:
    """Cases through the whole lifecycle, with a delay, a dissatisfied owner and a tow."""
    services = container.services
    crew = add_crew(services, "救援1组")
    for index, (plate, satisfied) in enumerate(
        [("粤B12345", True), ("粤BD12345", False), ("京A·12345", True)]
    ):
        case = services.take_call(
            intake(plate=plate, phone=f"138 0013 800{index}", fault_description=f"故障{index}")
        )
        assert case.id is not None
        clock.advance(timedelta(minutes=5))
        case = services.dispatch(case.id, crew.id)
        case = services.en_route(case.id, case.version)
        clock.advance(timedelta(minutes=20 + 40 * index))
        case = services.arrive(case.id, SAFE, case.version)
        clock.advance(timedelta(minutes=30))
        finish_job(services, case.id)
        feedback_reached(services, case.id, satisfied=satisfied)
        if satisfied:
            services.close_case(case.id)
        clock.advance(timedelta(hours=3))


def _texts(entries: list[LedgerEntry], tz) -> list[list[str]]:
    with language("zh_CN"):
        return [[cell_text(e, c, tz) for c in LEDGER_COLUMNS] for e in entries]


@pytest.mark.parametrize(("fmt", "lang"), [("csv", "zh_CN"), ("xlsx", "en"), ("xlsx", "zh_CN")])
def test_an_export_imported_into_an_empty_database_gives_the_same_ledger(
    centre: dict[str, bootstrap.Container],
    clock: ManualClock,
    empty_url: str,
    session: Session,
    tmp_path: Path,
    fmt: str,
    lang: str,
) -> None:
    source = centre["supervisor"]
    _a_month_of_work(source, clock)
    original = ledger(source)
    assert len(original) == 3
    tz = source.settings.tz
    path = (export_csv if fmt == "csv" else export_xlsx)(
        tmp_path / f"ledger.{fmt}", original, tz, lang
    )
    target = session("boss", empty_url)  # the first user of the empty database: its admin
    report = LedgerImport(target.services).run(path)
    assert (report.imported, report.refused) == (3, [])
    assert _texts(ledger(target), tz) == _texts(original, tz)
    again = LedgerImport(target.services).run(path)
    assert (again.imported, again.updated, again.unchanged) == (0, 0, 3)
    # Read back into the centre it came from, the export matches every case: nothing changes.
    home = LedgerImport(source.services).run(path)
    assert (home.imported, home.updated, home.unchanged, home.refused) == (0, 0, 3, [])


def test_two_centres_ledgers_numbered_alike_never_overwrite_each_other(
    centre: dict[str, bootstrap.Container], tmp_path: Path
) -> None:
    importer = LedgerImport(centre["supervisor"].services)
    header = ["编号", "日期", "车主", "电话", "车牌", "地址", "故障"]

    def ledger_file(name: str, caller: str, plate: str, fault: str) -> Path:
        path = tmp_path / name
        with path.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(header)
            writer.writerow(["1", "2026-10-01 08:00", caller, "13800138000", plate, "深圳", fault])
        return path

    first = ledger_file("南山.csv", "张三", "粤B12345", "爆胎")
    assert importer.run(first).imported == 1
    other = importer.run(ledger_file("福田.csv", "李四", "粤B54321", "没电"))
    assert other.imported == 0 and other.updated == 0
    assert "belongs to another call, imported from 南山.csv" in other.refused[0].reason
    # The same file corrected updates its own case.
    fixed = importer.run(ledger_file("南山.csv", "张三", "粤B12345", "左前轮爆胎"))
    assert fixed.updated == 1
