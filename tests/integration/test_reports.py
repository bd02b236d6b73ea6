"""The monthly report (issue 14) of a hand-made month, built through the services with the
ManualClock, on SQLite and PostgreSQL; and the CLI (text, XLSX read back, PDF read back)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from callcenter import bootstrap, cli, watch
from callcenter.clock import ManualClock
from callcenter.complaints.model import ComplaintInput
from callcenter.domain import DelayReason, Role
from callcenter.errors import PermissionDenied, ValidationError
from callcenter.services import Checklist, Services
from callcenter.services.delays import DelayCalls
from callcenter.services.staff import StaffDirectory
from callcenter.settings import Settings
from tests.factories import add_crew, feedback_reached, finish_job, intake

SAFE = Checklist(hazard_lights=True, warning_sign=True, night_lights=True)
# October 2026 in Asia/Shanghai (UTC+8, no DST): [2026-09-30 16:00Z, 2026-10-31 16:00Z).
OCT_START = datetime(2026, 9, 30, 16, 0, tzinfo=UTC)
OCT_END = datetime(2026, 10, 31, 16, 0, tzinfo=UTC)


def _sweep(container: bootstrap.Container) -> watch.SweepResult:
    return watch.sweep(
        container.uow,
        container.clock,
        tz=container.settings.tz,
        at_risk=timedelta(minutes=10),
        policies=watch.policy_lookup(None),
    )


@pytest.fixture
def month(migrated_url: str, clock: ManualClock) -> Iterator[dict[str, object]]:
    """A hand-made October, with cases either side of its midnights."""
    clock.set(OCT_START - timedelta(minutes=30))
    settings = Settings(database_url=migrated_url, language="en", user="boss")
    container = bootstrap.build(settings, clock=clock)
    s: Services = container.services
    StaffDirectory(s).add("chenjun", "陈军", Role.SUPERVISOR)
    StaffDirectory(s).add("wangfang", "王芳", Role.OPERATOR)
    crew = add_crew(s, "救援1组")
    assert crew.id is not None
    made: dict[str, str] = {}

    def call(name: str, at: datetime, plate: str) -> int:
        clock.set(at)
        case = s.take_call(intake(plate=plate))
        assert case.id is not None
        made[name] = case.number
        return case.id

    def job(case_id: int, dispatch_after: float, arrive_after: float) -> None:
        """Dispatch and arrive ``…_after`` minutes after the call, then finish and report."""
        received = s.case(case_id).received_at
        clock.set(received + timedelta(minutes=dispatch_after))
        s.dispatch(case_id, crew.id)
        s.en_route(case_id)
        clock.set(received + timedelta(minutes=arrive_after))
        s.arrive(case_id, SAFE)
        clock.advance(timedelta(minutes=20))
        finish_job(s, case_id)

    # 23:59 on 30 September in Shanghai (15:59Z): September's, not October's.
    before = call("before", OCT_START - timedelta(minutes=1), "粤B00001")
    job(before, 2, 20)
    # 00:30 on 1 October in Shanghai (but 30 September UTC): October's. Response 3 min.
    first = call("first", OCT_START + timedelta(minutes=30), "粤B00002")
    job(first, 3, 20)
    feedback_reached(s, first, satisfied=True)
    # Response 3 min again (a tie), on time; the owner not satisfied.
    second = call("second", datetime(2026, 10, 5, 2, 0, tzinfo=UTC), "粤B00003")
    job(second, 3, 30)
    feedback_reached(s, second, satisfied=False)
    # Response 8 min (over the 5-min clock); arrives 50 min after the call: late (promise 40).
    late = call("late", datetime(2026, 10, 10, 2, 0, tzinfo=UTC), "粤B00004")
    job(late, 8, 50)
    # Extended: at risk after 31 min, the owner told of a traffic jam and a new time 25 min
    # later; arrives at 55 min: on time against the extension, late against the original.
    extended = call("extended", datetime(2026, 10, 15, 2, 0, tzinfo=UTC), "粤B00005")
    clock.advance(timedelta(minutes=1))
    s.dispatch(extended, crew.id)
    s.en_route(extended)
    clock.set(s.case(extended).received_at + timedelta(minutes=31))
    _sweep(container)
    delays = DelayCalls.from_services(s, renotify_minutes=5)
    prompt = next(p for p in delays.open_prompts() if p.case_id == extended)
    alert = delays.claim(prompt.alert_id, prompt.alert_version)
    promised = s.case(extended).promised_arrival_at
    assert promised is not None
    delays.record_delay_call(
        alert.id,
        reached=True,
        reason=DelayReason.TRAFFIC_JAM,
        new_eta=promised + timedelta(minutes=25),
        version=alert.version,
    )
    clock.set(s.case(extended).received_at + timedelta(minutes=55))
    s.arrive(extended, SAFE)
    # Still open at the end of the month (arrived, no record: no ledger entry yet).
    clock.advance(timedelta(minutes=20))
    # Cancelled before dispatch.
    cancelled = call("cancelled", datetime(2026, 10, 20, 2, 0, tzinfo=UTC), "粤B00006")
    s.cancel(cancelled, "车主自行修好")
    # Received at 23:50 on 31 October in Shanghai (15:50Z): October's, still open.
    call("last", OCT_END - timedelta(minutes=10), "粤B00007")
    # 00:10 on 1 November in Shanghai (but 31 October UTC): November's.
    call("after", OCT_END + timedelta(minutes=10), "粤B00008")
    # Complaints: one against the crew, resolved in time; one open; one in November.
    clock.set(datetime(2026, 10, 12, 3, 0, tzinfo=UTC))
    resolved = s.record_complaint(
        ComplaintInput(
            channel="phone",
            customer_name="张伟",
            phone="138 1234 5678",
            crew_code="救援1组",
            crew_member="李强",
            category="quarrel",
            description="救援人员与我发生口角",
        )
    )
    assert resolved.id is not None
    clock.advance(timedelta(hours=1))
    s.start_handling(resolved.id, "道歉")
    clock.advance(timedelta(hours=1))
    s.resolve_complaint(resolved.id, "当事人已道歉")
    clock.set(datetime(2026, 10, 25, 3, 0, tzinfo=UTC))
    s.record_complaint(
        ComplaintInput(
            channel="phone",
            customer_name="李娜",
            phone="138 1234 5679",
            category="fees",
            description="收费太高",
        )
    )
    clock.set(OCT_END + timedelta(hours=3))
    s.record_complaint(
        ComplaintInput(
            channel="phone",
            customer_name="王芳",
            phone="138 1234 5670",
            category="fees",
            description="收费太高",
        )
    )
    clock.set(datetime(2026, 11, 3, 1, 0, tzinfo=UTC))
    yield {"container": container, "numbers": made, "settings": settings}
    container.close()


def test_every_figure_of_a_hand_made_month(month: dict[str, object]) -> None:
    container = month["container"]
    assert isinstance(container, bootstrap.Container)
    n: dict[str, str] = month["numbers"]  # type: ignore[assignment]
    report = container.services.monthly_report("2026-10")
    assert (report.start, report.end) == (OCT_START, OCT_END)
    # first, second, late, extended, cancelled, last
    assert report.calls == 6
    assert report.dispatched == 4
    assert report.arrived == 4
    assert report.completed == 3
    assert report.cancelled == 1
    assert report.still_open == 5  # not closed: all but the cancelled one
    r = report.response
    # 3, 3, 8, 1 minutes → sorted 1, 3, 3, 8
    assert r.count == 4
    assert r.p50 == pytest.approx(3.0)
    assert r.p90 == pytest.approx(6.5)  # 3 + 0.7 × (8 − 3)
    assert r.max == pytest.approx(8.0)
    assert (r.within.count, r.within.of) == (3, 4)
    assert r.clock_minutes == (5,)
    assert (report.on_time.count, report.on_time.of) == (3, 4)
    assert (report.on_time_original.count, report.on_time_original.of) == (2, 4)
    assert report.late == 1 and report.extended == 1
    assert [(d.reason, d.late, d.extended) for d in report.delays] == [
        ("traffic_jam", 0, 1),
        ("", 1, 0),
    ]
    sat = report.satisfaction
    assert (sat.rate.count, sat.rate.of) == (1, 2)
    assert sat.target_percent == 97
    assert sat.meets_target is False
    assert (sat.refused, sat.not_reached, sat.wrong_number) == (0, 0, 0)
    assert sat.no_survey == 1  # the late case
    com = report.complaints
    assert (com.received, com.resolved_in_time, com.resolved_late, com.open) == (2, 1, 0, 2)
    assert com.by_category == {"fees": 1, "quarrel": 1}
    assert com.by_crew == {"救援1组 李强": 1}
    assert report.repeat_repairs == 0
    assert report.cancellations == {"车主自行修好": 1}
    assert report.fees.total == Decimal("450")  # 150 labour × 3 accepted records
    assert report.fees.by_plan == {"towing": Decimal("450")}
    assert report.fees.records_by_plan == {"towing": 3}
    assert report.invalid_records == 0

    s = container.services
    assert s.report_cases("2026-10", "calls") == [
        n["first"],
        n["second"],
        n["late"],
        n["extended"],
        n["cancelled"],
        n["last"],
    ]
    assert s.report_cases("2026-10", "late") == [n["late"]]
    assert s.report_cases("2026-10", "late_original") == [n["late"], n["extended"]]
    assert s.report_cases("2026-10", "delay:traffic_jam") == [n["extended"]]
    assert s.report_cases("2026-10", "response_over") == [n["late"]]
    assert s.report_cases("2026-10", "cancel:车主自行修好") == [n["cancelled"]]
    assert len(s.report_cases("2026-10", "complaints_open")) == 2
    with pytest.raises(KeyError):
        s.report_cases("2026-10", "nonsense")
    # The months either side hold the cases across the midnights.
    assert s.report_cases("2026-09", "calls") == [n["before"]]
    assert s.report_cases("2026-11", "calls") == [n["after"]]
    empty = s.monthly_report("2025-01")
    assert empty.calls == 0 and empty.response.p50 is None and empty.on_time.percent is None


def test_a_report_after_new_writes_includes_them(month: dict[str, object]) -> None:
    container = month["container"]
    assert isinstance(container, bootstrap.Container)
    s = container.services
    before = s.monthly_report("2026-10")
    clock = container.clock
    assert isinstance(clock, ManualClock)
    clock.set(datetime(2026, 10, 28, 2, 0, tzinfo=UTC))
    case = s.take_call(intake(plate="粤B00099"))
    assert case.id is not None
    s.cancel(case.id, "重复来电")
    after = s.monthly_report("2026-10")
    assert after.calls == before.calls + 1
    assert after.cancellations == {**before.cancellations, "重复来电": 1}


def test_who_may_read_the_report(month: dict[str, object], clock: ManualClock) -> None:
    settings = month["settings"]
    assert isinstance(settings, Settings)
    operator = bootstrap.build(replace(settings, user="wangfang"), clock=clock)
    supervisor = bootstrap.build(replace(settings, user="chenjun"), clock=clock)
    board = bootstrap.build(replace(settings, user="chenjun"), clock=clock, read_only=True)
    try:
        with pytest.raises(PermissionDenied):
            operator.services.monthly_report("2026-10")
        assert supervisor.services.monthly_report("2026-10").calls == 6
        assert board.services.monthly_report("2026-10").calls == 6
        with pytest.raises(ValidationError):
            supervisor.services.monthly_report("2026-13")
    finally:
        for c in (operator, supervisor, board):
            c.close()


# -- the CLI ---------------------------------------------------------------------------------


def _cli(month: dict[str, object], *args: str, capsys: pytest.CaptureFixture[str]) -> str:
    settings = month["settings"]
    assert isinstance(settings, Settings)
    code = cli.main(["--database-url", settings.database_url, *args])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CALLCENTER_USER", "boss")
    monkeypatch.setenv("CALLCENTER_TIMEZONE", "Asia/Shanghai")
    for name in ("STATE", "DATA", "CONFIG"):
        monkeypatch.setenv(f"CALLCENTER_{name}_DIR", str(tmp_path / name.lower()))


@pytest.mark.usefixtures("cli_env")
def test_cli_text_in_both_languages(
    month: dict[str, object], capsys: pytest.CaptureFixture[str]
) -> None:
    zh = _cli(month, "--lang", "zh_CN", "report", "monthly", "--month", "2026-10", capsys=capsys)
    lines = zh.splitlines()
    assert "准时到达率 75.0%（3/4）" in lines
    assert "响应时长 p50 3.0 分钟" in lines
    assert "来电 6" in lines
    en = _cli(
        month, "report", "monthly", "--month", "2026-10", "--lang", "en", capsys=capsys
    ).splitlines()
    assert "On-time arrival rate 75.0% (3/4)" in en
    assert "Response p50 3.0 min" in en
    assert "Response p90 6.5 min" in en
    assert "Calls received 6" in en
    assert not any(
        "\u4e00" <= ch <= "\u9fff"
        for ch in "".join(en[:-9]).replace("车主自行修好", "").replace("救援1组 李强", "")
    )


@pytest.mark.usefixtures("cli_env")
def test_cli_bad_month_is_one_line(
    month: dict[str, object], capsys: pytest.CaptureFixture[str]
) -> None:
    settings = month["settings"]
    assert isinstance(settings, Settings)
    code = cli.main(
        ["--database-url", settings.database_url, "report", "monthly", "--month", "2026-1x"]
    )
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--month" in err


@pytest.mark.usefixtures("cli_env")
def test_cli_xlsx_and_pdf(
    month: dict[str, object], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    calamine = pytest.importorskip("python_calamine")
    pypdf = pytest.importorskip("pypdf")
    book = tmp_path / "m.xlsx"
    _cli(month, "report", "monthly", "--month", "2026-10", "-o", str(book), capsys=capsys)
    workbook = calamine.CalamineWorkbook.from_path(str(book))
    assert workbook.sheet_names == [
        "来电与救援",
        "响应时间",
        "准时到达",
        "延误原因",
        "满意度",
        "客户投诉",
        "重复维修、取消与收费",
        "口径说明",
    ]
    rows = workbook.get_sheet_by_name("准时到达").to_python()
    assert rows[2][:4] == ["指标", "数值", "计数", "总数"]
    assert rows[3][0] == "准时到达率" and rows[3][1] == pytest.approx(0.75)
    assert rows[3][2:4] == [3, 4]
    pdf = tmp_path / "m.pdf"
    _cli(
        month,
        "report",
        "monthly",
        "--month",
        "2026-10",
        "-o",
        str(pdf),
        "--lang",
        "en",
        capsys=capsys,
    )
    text = _pdf_text(pypdf, pdf)
    assert "Monthlyreport2026-10" in text
    assert "75.0%(3/4)" in text
    assert "Definitions" in text
    zh_pdf = tmp_path / "zh.pdf"
    _cli(
        month,
        "report",
        "monthly",
        "--month",
        "2026-10",
        "--format",
        "pdf",
        "-o",
        str(zh_pdf),
        capsys=capsys,
    )
    zh_text = _pdf_text(pypdf, zh_pdf)
    assert "准时到达率" in zh_text and "75.0%（3/4）" in zh_text and "口径说明" in zh_text


def _pdf_text(pypdf: object, path: Path) -> str:
    """The PDF's text without spaces (pypdf spaces CJK glyphs apart)."""
    reader = pypdf.PdfReader(io.BytesIO(path.read_bytes()))  # type: ignore[attr-defined]
    return "".join("".join(p.extract_text().replace("\x00", "").split()) for p in reader.pages)
