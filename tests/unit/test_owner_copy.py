"""The owner's copy PDF of a service record (callcenter/records/pdf.py), read back as text."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from callcenter import i18n
from callcenter.domain.enums import RescuePlan
from callcenter.domain.model import Case
from callcenter.records.model import AcceptanceMethod, FeeKind, FeeLine, PartLine, ServiceRecord
from callcenter.records.pdf import (
    BOLD_FONT,
    FONT_DIR,
    MISSING_GLYPH,
    REGULAR_FONT,
    OwnerCopy,
    owner_copy_pdf,
    wrap_text,
)

pypdf = pytest.importorskip("pypdf")

T0 = datetime(2026, 3, 14, 1, 5, tzinfo=UTC)
CJK = re.compile(r"[\u2e80-\u9fff\uff00-\uffef]")


def record(**changes: object) -> ServiceRecord:
    base = ServiceRecord(
        case_id=1,
        crew_members="李强、王磊",
        work_started_at=T0 + timedelta(minutes=40),
        work_finished_at=T0 + timedelta(minutes=68),
        cause="蓄电池电压 9.8V，低于启动所需电压；车主夜间未关闭阅读灯导致亏电。",
        solution="搭电启动后更换同规格蓄电池，复测充电电压 14.2V 正常。",
        no_parts=False,
        parts=[
            PartLine("蓄电池 12V 60Ah", 1, "L2-400-VW", True),
            PartLine("电瓶桩头", 2, "N-0123", False),
        ],
        fees=[
            FeeLine(FeeKind.LABOUR, Decimal("80")),
            FeeLine(FeeKind.PARTS, Decimal("650.5")),
            FeeLine(FeeKind.TOWING, Decimal("120"), Decimal("3.5")),
        ],
        in_warranty=False,
        policy="道路救援标准2026",
        accepted=True,
        accepted_by="张伟",
        acceptance_method=AcceptanceMethod.SIGNED,
        accepted_at=T0 + timedelta(minutes=69),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def owner_copy(rec: ServiceRecord | None = None, **case_changes: object) -> OwnerCopy:
    case = Case(
        received_at=T0,
        caller_name="张伟",
        phone="+8613812345678",
        plate="京A12345",
        address="北京市朝阳区建国路88号",
        distance_km=Decimal("12.5"),
        fault_description="车辆无法启动",
        number="20260314-0007",
        vehicle_model="大众帕萨特",
        plan=RescuePlan.BATTERY,
        dispatched_at=T0 + timedelta(minutes=4),
        arrived_at=T0 + timedelta(minutes=38),
        completed_at=T0 + timedelta(minutes=70),
    )
    return OwnerCopy(
        case=replace(case, **case_changes),  # type: ignore[arg-type]
        record=rec or record(),
        crew_code="A03",
        crew_plate="京B99876",
        recorded_by_name="陈静",
        acceptance_recorded_by_name="刘洋",
        centre_name="东区救援中心",
        tz=ZoneInfo("Asia/Shanghai"),
        printed_at=T0 + timedelta(hours=2),
    )


def pages(pdf: bytes) -> list[str]:
    """Each page's text without whitespace. pypdf reads the two-byte codes of fpdf2's
    CID-keyed CFF fonts (an embedded CMap) one byte at a time: the high byte comes out as
    NUL, the low one as the right character (poppler and MuPDF read them whole)."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return ["".join(page.extract_text().replace("\x00", "").split()) for page in reader.pages]


def text(pdf: bytes) -> str:
    return "".join(pages(pdf))


def compact(value: str) -> str:
    return "".join(value.split())


def test_chinese_copy_prints_the_form() -> None:
    pdf = owner_copy_pdf(owner_copy())
    assert pdf.startswith(b"%PDF-")
    printed = text(pdf)
    for expected in (
        "救援服务记录单（现场服务登记表）",
        "顾客联",
        "20260314-0007",
        "打印时间：2026-03-1411:05",  # 03:05 UTC in Shanghai
        "京A12345",
        "13812345678",  # format_phone: 138 1234 5678
        "来电登记2026-03-1409:05",
        "开工时间2026-03-1409:45",
        "救援组编号A03",
        "京B99876",
        "故障原因分析",
        "阅读灯导致亏电",
        "处理方法",
        "更换零部件",
        "1蓄电池12V60Ah1L2-400-VW是",
        "电瓶桩头",
        "¥650.50",
        "拖车3.5公里",
        "合计¥850.50",
        "按收费标准道路救援标准2026",
        "保修期外",
        "顾客验收确认是",
        "现场签字",
        "验收人张伟",
        "验收登记人刘洋",
        "记录填写人陈静",
        "顾客签字",
        "救援人员签字",
        "东区救援中心",
    ):
        assert expected in printed, expected
    assert "无效服务" not in printed
    assert "作废" not in printed


def test_english_copy_has_english_labels_and_no_chinese_ones() -> None:
    copy = owner_copy(
        record(
            crew_members="Li Qiang",
            cause="Battery at 9.8 V.",
            solution="Jump start.",
            parts=[PartLine("Battery", 1, "L2-400", True)],
            policy="roadside",
            accepted_by="Zhang Wei",
        ),
        caller_name="张伟",  # data stays as it is
        plate="B-12345",
        address="88 Jianguo Road",
        fault_description="Does not start",
        vehicle_model="Passat",
    )
    copy = replace(copy, crew_plate="B-99876", centre_name="East", recorded_by_name="Chen")
    copy = replace(copy, acceptance_recorded_by_name="Liu")
    printed = text(owner_copy_pdf(copy, lang="en"))
    for expected in (
        "Rescueservicerecord",
        "Owner'scopy",
        "CaseNo.20260314-0007",
        "Faultcauseanalysis",
        "Partsreplaced",
        "Total¥850.50",
        "TariffappliedRoadsiderescue",
        "Outofwarranty",
        "OwneracceptedYes",
        "Signedonsite",
        "Owner'ssignature",
        "Battery",
    ):
        assert expected in printed, expected
    assert CJK.findall(printed.replace("张伟", "")) == []


def test_language_is_the_callers_afterwards() -> None:
    i18n.set_language("en")
    owner_copy_pdf(owner_copy(), lang="zh_CN")
    assert i18n.current_language() == "en"
    assert i18n._("Fees") == "Fees"
    with pytest.raises(ValueError):
        owner_copy_pdf(owner_copy(), lang="fr")


def test_not_accepted_says_the_service_is_invalid() -> None:
    rec = record(accepted=False, accepted_by="", acceptance_method=None, accepted_at=None)
    printed = text(owner_copy_pdf(owner_copy(rec)))
    assert "无顾客验收确认属无效服务" in printed
    assert "顾客验收确认否" in printed
    english = text(owner_copy_pdf(owner_copy(rec), lang="en"))
    assert "Notacceptedbytheowner:invalidservice" in english


def test_voided_prints_voided_and_the_reason() -> None:
    rec = record(voided_at=T0 + timedelta(days=1), voided_by="sup", void_reason="重复登记")
    printed = text(owner_copy_pdf(owner_copy(rec)))
    assert "已作废（2026-03-1509:05）：重复登记" in printed
    assert "作废原因重复登记" in printed
    english = text(owner_copy_pdf(owner_copy(rec), lang="en"))
    assert "VOIDEDon2026-03-1509:05:重复登记" in english


def test_no_parts_replaced() -> None:
    printed = text(owner_copy_pdf(owner_copy(record(no_parts=True, parts=[]))))
    assert "无更换零部件" in printed
    english = text(owner_copy_pdf(owner_copy(record(no_parts=True, parts=[])), lang="en"))
    assert "Nopartsreplaced" in english


def test_a_long_cause_wraps_over_pages_without_loss() -> None:
    steps = [f"检查第{i:03d}号部位，结果正常；" for i in range(400)] + ["word " * 30]
    pdf = owner_copy_pdf(owner_copy(record(cause="".join(steps))))
    per_page = pages(pdf)
    assert len(per_page) >= 3
    # Drop what a page break puts in the middle of the text: the footer, the heading again.
    body = "".join(
        re.sub(r"^案件20260314-0007·第\d+页，共\d+页", "", page).replace("故障原因分析（续）", "")
        for page in per_page
    )
    assert compact("".join(steps)) in body
    assert "处理方法" in per_page[-1] and "顾客签字" in per_page[-1]


def test_a_character_the_font_lacks_prints_as_a_box() -> None:
    pdf = owner_copy_pdf(owner_copy(caller_name="张𠀀龘"))
    printed = text(pdf)
    assert f"张{MISSING_GLYPH}龘" in printed  # 龘 is in GBK, 𠀀 (Extension B) is not
    assert "𠀀" not in printed
    odd = text(owner_copy_pdf(owner_copy(caller_name="李\t四\u200b😀\x07")))
    assert f"报案人李四{MISSING_GLYPH}联系电话" in odd  # tab a space, zero-width and BEL dropped


def test_fonts_are_embedded_as_subsets() -> None:
    pdf = owner_copy_pdf(owner_copy())
    assert len(pdf) < 300_000  # the shipped fonts are 6.7 MB
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    fonts = reader.pages[0]["/Resources"]["/Font"]
    names = []
    for ref in fonts.values():
        descendant = ref.get_object()["/DescendantFonts"][0].get_object()
        descriptor = descendant["/FontDescriptor"].get_object()
        assert "/FontFile3" in descriptor or "/FontFile2" in descriptor
        names.append(str(descendant["/BaseFont"]))
    assert names and all(re.match(r"/[A-Z]{6}\+", name) for name in names)


def test_the_fonts_and_their_licence_ship_in_the_package() -> None:
    assert REGULAR_FONT.is_file() and BOLD_FONT.is_file()
    assert REGULAR_FONT.stat().st_size + BOLD_FONT.stat().st_size < 8_000_000
    assert "SIL OPEN FONT LICENSE Version 1.1" in (FONT_DIR / "LICENSE-OFL.txt").read_text()


def test_importing_the_module_loads_no_fpdf() -> None:
    code = "import sys, callcenter.records.pdf; assert 'fpdf' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# -- line breaking


def width(text: str) -> float:
    """Two units a Chinese character, one anything else."""
    return sum(2.0 if CJK.match(c) else 1.0 for c in text)


def test_wrap_breaks_chinese_anywhere_and_words_at_spaces() -> None:
    assert wrap_text("一二三四五六七", 6, width) == ["一二三", "四五六", "七"]
    assert wrap_text("alpha beta gamma", 10, width) == ["alpha beta", "gamma"]
    assert wrap_text("电压 9.8V 正常", 8, width) == ["电压", "9.8V 正", "常"]
    assert wrap_text("电压 12.25V", 8, width) == ["电压", "12.25V"]


def test_wrap_keeps_punctuation_off_the_line_start_and_opening_marks_off_its_end() -> None:
    assert wrap_text("一二三，四", 6, width) == ["一二", "三，四"]
    assert wrap_text("一二（三）", 6, width) == ["一二", "（三）"]


def test_wrap_cuts_a_word_wider_than_the_line_and_keeps_newlines() -> None:
    assert wrap_text("abcdefghij", 4, width) == ["abcd", "efgh", "ij"]
    assert wrap_text("一\n\n二", 10, width) == ["一", "", "二"]
    assert wrap_text("", 10, width) == [""]


def test_wrap_loses_nothing() -> None:
    source = "经检测蓄电池电压 9.8V，低于启动所需电压（12V）；发电机“正常”。" * 20
    for limit in (5, 8, 13, 40):
        lines = wrap_text(source, limit, width)
        assert compact("".join(lines)) == compact(source)
        assert all(width(line) <= limit + 2 for line in lines)


# -- the language of one thread


def test_language_block_is_local_to_the_thread() -> None:
    i18n.set_language("zh_CN")
    seen: list[str] = []
    inside = threading.Event()
    done = threading.Event()

    def worker() -> None:
        with i18n.language("en"):
            seen.append(i18n._("Fees"))
            inside.set()
            done.wait(5)

    thread = threading.Thread(target=worker)
    thread.start()
    inside.wait(5)
    assert i18n._("Fees") == "收费"  # this thread keeps the interface language
    assert i18n.current_language() == "zh_CN"
    done.set()
    thread.join()
    assert seen == ["Fees"]
    with i18n.language("en"):
        assert i18n.current_language() == "en"
    assert i18n.current_language() == "zh_CN"
    i18n.set_language("en")
