"""Demo data: a believable night at a Shenzhen roadside-rescue call centre.

:func:`generate` fills an empty database through the repositories: operators, rescue crews,
a customer archive with vehicles, about 90 days of closed rescues with full timelines, and a
live board of open cases in every state (some on track, some at risk, some late) at ``now``,
and what came after the work: every finished case's service record (closed ones accepted by
the owner, a few open ones not), the crew's report-back into the rescue ledger, the feedback
call with its tries and survey (mostly satisfied, some not, some refused or never reached),
and the escalation calls of the owners who were very dissatisfied; the follow-up calls: the
revisits of services three months old (due, overdue, tried, answered) and promised call-backs
(due, overdue, later, tried, kept).

Everything comes from ``random.Random(seed)`` and ``now``: the same seed and instant give the
same data, to the second. Nothing here reads the real clock or the global random generator.
The names, places and faults are data (Simplified Chinese), not interface text.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from callcenter import sla
from callcenter.archive.maintenance import add_months
from callcenter.calls.callback import NAME as CALLBACK_KIND
from callcenter.calls.model import SWEEP_ACTOR, CallAttempt, CallTask, Outcome, TaskState
from callcenter.calls.revisit import NAME as REVISIT_KIND
from callcenter.calls.revisit import SURVEY as REVISIT_SURVEY
from callcenter.calls.revisit import RevisitRules
from callcenter.calls.revisit import due_at as revisit_due_at
from callcenter.calls.revisit import unique_key as revisit_unique_key
from callcenter.domain import (
    Assignment,
    Case,
    CaseEvent,
    CaseStatus,
    Crew,
    CrewStatus,
    Customer,
    CustomerCategory,
    FaultCategory,
    Priority,
    RescuePlan,
    Role,
    Staff,
    Vehicle,
    VehicleType,
)
from callcenter.errors import CallCenterError
from callcenter.i18n import _
from callcenter.ports import UnitOfWork, UnitOfWorkFactory
from callcenter.records.ledger import ledger_entry
from callcenter.records.model import (
    AcceptanceMethod,
    FeedbackResult,
    FeeKind,
    FeeLine,
    PartLine,
    RecordVersion,
    ReportBack,
    ServiceRecord,
    SurveyRecord,
)
from callcenter.services.records import ESCALATION_KIND, FEEDBACK_KIND

HISTORY_DAYS = 90
CUSTOMERS = 50


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`generate` wrote."""

    staff: int
    crews: int
    customers: int
    vehicles: int
    open_cases: int
    open_by_status: dict[str, int]
    closed_cases: int
    cancelled_cases: int
    events: int
    assignments: int
    history_since: datetime | None
    records: int = 0
    not_accepted: int = 0  # records the owner has not accepted (invalid services)
    ledger_entries: int = 0
    surveys: dict[str, int] = field(default_factory=dict)  # FeedbackResult value: count
    satisfied: int = 0  # this month's satisfied owners (in the centre's time zone) ...
    answered: int = 0  # ... out of this month's answered surveys
    open_feedback_calls: int = 0
    open_escalations: int = 0
    complaints: dict[str, int] = field(default_factory=dict)  # Status value: count
    open_revisits: int = 0
    open_callbacks: int = 0

    def __str__(self) -> str:
        statuses = ", ".join(f"{k} {v}" for k, v in self.open_by_status.items())
        surveys = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in self.surveys.items())
        rate = f"{100 * self.satisfied / self.answered:.1f}%" if self.answered else "—"
        return (
            f"{self.crews} crews, {self.customers} customers ({self.vehicles} vehicles), "
            f"{self.open_cases} open cases ({statuses}), {self.closed_cases} closed and "
            f"{self.cancelled_cases} cancelled cases, {self.events} events; "
            f"{self.records} service records ({self.not_accepted} not accepted), "
            f"{self.ledger_entries} ledger entries, {sum(self.surveys.values())} surveys "
            f"({surveys}), satisfied this month {rate} ({self.satisfied}/{self.answered}), "
            f"{self.open_feedback_calls} feedback calls, {self.open_escalations} "
            f"escalations, {self.open_revisits} revisits and {self.open_callbacks} promised "
            f"call-backs open; {sum(self.complaints.values())} complaints"
        )


def generate(
    uow_factory: UnitOfWorkFactory,
    *,
    now: datetime,
    tz: ZoneInfo,
    seed: int = 7,
    policy_name: str = "roadside",
    depot: tuple[float, float] = (22.5431, 114.0579),
) -> DemoSummary:
    """Fill an empty database with demo data as it would look at ``now``.

    Raises :class:`CallCenterError` if the database already holds cases, crews or customers
    (reset it first; staff accounts are kept and reused).
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    plan = _Planner(
        random.Random(seed), now.astimezone(UTC), tz, sla.load_policy(policy_name), depot
    )
    plan.build()
    return _write(uow_factory, plan)


# --------------------------------------------------------------------------------------------
# Data: people, places, vehicles, faults

# fmt: off
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许邓冯韩曹曾彭萧蔡潘田董袁于余叶蒋杜苏魏"
    "程吕丁沈任姚卢钟姜崔谭廖范汪陆金石戴贾韦夏邱方侯邹熊孟秦白江薛尹段雷黎史龙陶贺顾毛郝龚邵"
)
_GIVEN = (
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
    "明", "超", "秀英", "华", "建华", "志强", "俊", "海燕", "小红", "婷", "雪梅", "辉", "鹏",
    "浩然", "宇航", "晨", "欣怡", "子轩", "梓涵", "国庆", "建国", "文斌", "丽华", "晓东",
    "振宇", "嘉豪", "淑贞", "美玲", "家乐", "伟强", "少华", "永康", "志明", "锦荣", "慧敏",
)
_MOBILE_PREFIXES = (
    "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "156", "158", "159",
    "176", "177", "180", "181", "182", "183", "185", "186", "187", "188", "189", "199",
)
_PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O on Chinese plates
_OTHER_REGIONS = ("粤S", "粤L", "湘A", "湘L", "赣A", "赣B", "桂A", "桂K")


@dataclass(frozen=True)
class _District:
    name: str
    km: tuple[float, float]  # road distance from the depot (Futian)
    bearing: tuple[float, float]  # degrees clockwise from north; may wrap past 360
    roads: tuple[str, ...]
    places: tuple[str, ...]
    estates: tuple[str, ...]
    highways: tuple[str, ...] = ()


_DISTRICTS = (
    _District(
        "福田", (1, 7), (-90, 90),
        ("深南大道", "福华三路", "彩田路", "新洲路", "滨河大道", "红荔路", "益田路", "皇岗路",
         "北环大道", "香蜜湖路", "金田路", "福强路"),
        ("会展中心", "购物公园", "市民中心", "车公庙地铁站", "华强北", "香蜜湖"),
        ("莲花北村", "景田小区", "天健世纪花园", "彩田村", "皇岗花园", "香蜜湖1号"),
    ),
    _District(
        "罗湖", (6, 12), (75, 100),
        ("人民南路", "东门中路", "解放路", "宝安南路", "布心路", "深南东路", "爱国路", "太宁路",
         "文锦中路", "笋岗路"),
        ("万象城", "东门步行街", "罗湖火车站", "国贸大厦", "翠竹公园"),
        ("翠竹苑", "百仕达花园", "东湖丽苑", "金城华庭", "鹿丹村"),
    ),
    _District(
        "南山", (8, 20), (250, 285),
        ("南海大道", "科苑路", "后海大道", "沙河西路", "深湾一路", "滨海大道", "南山大道",
         "留仙大道", "月亮湾大道", "侨香路"),
        ("海岸城", "深圳湾公园", "科技园", "欢乐谷", "南山书城", "蛇口港"),
        ("蔚蓝海岸", "桃源村", "南油小区", "海月花园", "前海时代", "华侨城锦绣花园"),
        ("南坪快速路", "沙河西路快速段"),
    ),
    _District(
        "龙华", (12, 24), (340, 375),
        ("民治大道", "梅龙大道", "人民路", "龙华大道", "东环一路", "布龙路", "观澜大道",
         "龙观大道", "和平路"),
        ("深圳北站", "红山6979", "观澜湖", "龙华汽车站"),
        ("水榭春天", "锦绣江南", "万科城", "中航天逸", "龙华新城"),
        ("梅观高速", "南光高速"),
    ),
    _District(
        "龙岗", (12, 35), (30, 60),
        ("龙岗大道", "深惠路", "龙翔大道", "吉华路", "五和大道", "坂雪岗大道", "龙城大道",
         "布澜路", "黄阁路"),
        ("大运中心", "龙岗万达广场", "布吉街道办", "坂田华为基地", "横岗大厦"),
        ("中海怡翠山庄", "大运城邦", "星河时代", "万科四季花城", "龙珠花园"),
        ("水官高速", "机荷高速", "深汕高速"),
    ),
    _District(
        "宝安", (18, 35), (280, 315),
        ("宝安大道", "新安六路", "创业一路", "广深公路", "西乡大道", "航城大道", "新沙路",
         "福永大道", "宝源路"),
        ("宝安国际机场T3航站楼", "宝安中心区", "西乡立交", "福永码头", "沙井大街"),
        ("碧海花园", "新安湖花园", "海滨广场", "宝城37区", "西城上筑"),
        ("广深沿江高速", "机荷高速", "沈海高速广深段"),
    ),
    _District(
        "盐田", (18, 26), (78, 98),
        ("盐田路", "深盐路", "海景二路", "东海道", "盐梅路", "沙盐路", "北山道"),
        ("大梅沙海滨公园", "盐田港", "沙头角口岸", "小梅沙"),
        ("东海岸花园", "海港城", "金港湾"),
        ("盐坝高速", "盐排高速"),
    ),
    _District(
        "光明", (26, 35), (320, 340),
        ("光明大道", "华夏路", "公常路", "东长路", "光侨路", "观光路", "松白路"),
        ("光明农场大观园", "光明新城公园", "公明广场"),
        ("光明城", "公明上村", "汇宾广场花园"),
        ("南光高速", "龙大高速"),
    ),
    _District(
        "坪山", (30, 35), (58, 70),
        ("坪山大道", "深汕路", "东纵路", "金牛路", "锦龙大道", "丹梓大道"),
        ("坪山高铁站", "坪山中心公园", "坑梓老街"),
        ("六和城", "坪山花园", "聚龙山花园"),
        ("深汕高速", "坪盐通道"),
    ),
)
_DIRECTIONS = ("往市区方向", "往机场方向", "往东莞方向", "往惠州方向", "出城方向")


@dataclass(frozen=True)
class _Model:
    name: str
    kind: VehicleType
    energy: str = ""  # "D" battery-electric, "F" plug-in hybrid (green 8-character plate)


_PRIVATE_MODELS = (
    _Model("丰田卡罗拉", VehicleType.CAR),
    _Model("大众帕萨特", VehicleType.CAR),
    _Model("本田雅阁", VehicleType.CAR),
    _Model("吉利星瑞", VehicleType.CAR),
    _Model("日产轩逸", VehicleType.CAR),
    _Model("大众朗逸", VehicleType.CAR),
    _Model("别克英朗", VehicleType.CAR),
    _Model("奥迪A4L", VehicleType.CAR),
    _Model("宝马3系", VehicleType.CAR),
    _Model("长安CS75", VehicleType.SUV),
    _Model("本田CR-V", VehicleType.SUV),
    _Model("哈弗H6", VehicleType.SUV),
    _Model("大众途观L", VehicleType.SUV),
    _Model("五菱宏光", VehicleType.VAN),
    _Model("别克GL8", VehicleType.VAN),
    _Model("比亚迪汉", VehicleType.NEW_ENERGY, "D"),
    _Model("特斯拉Model 3", VehicleType.NEW_ENERGY, "D"),
    _Model("比亚迪秦PLUS DM-i", VehicleType.NEW_ENERGY, "F"),
    _Model("广汽埃安S", VehicleType.NEW_ENERGY, "D"),
    _Model("小鹏P7", VehicleType.NEW_ENERGY, "D"),
    _Model("比亚迪宋PLUS DM-i", VehicleType.NEW_ENERGY, "F"),
    _Model("理想L7", VehicleType.NEW_ENERGY, "F"),
)
_NEW_PRODUCT_MODELS = (
    _Model("比亚迪汉", VehicleType.NEW_ENERGY, "D"),
    _Model("比亚迪海豹", VehicleType.NEW_ENERGY, "D"),
    _Model("问界M7", VehicleType.NEW_ENERGY, "F"),
    _Model("吉利星瑞", VehicleType.CAR),
    _Model("长安CS75", VehicleType.SUV),
)
_FLEETS: tuple[tuple[str, tuple[_Model, ...]], ...] = (
    ("深圳市鹏程物流有限公司", (_Model("福田欧马可", VehicleType.TRUCK),
                              _Model("江淮骏铃", VehicleType.TRUCK))),
    ("深圳市安达出租汽车有限公司", (_Model("比亚迪e6", VehicleType.NEW_ENERGY, "D"),
                                  _Model("比亚迪秦PLUS EV", VehicleType.NEW_ENERGY, "D"))),
    ("顺捷快运(深圳)有限公司", (_Model("五十铃KV100", VehicleType.TRUCK),
                              _Model("长安睿行M80", VehicleType.VAN))),
    ("深圳市南粤建设工程有限公司", (_Model("江淮骏铃", VehicleType.TRUCK),
                                  _Model("五菱宏光", VehicleType.VAN))),
    ("深圳市大鹏旅游客运有限公司", (_Model("宇通ZK6120", VehicleType.BUS),
                                  _Model("别克GL8", VehicleType.VAN))),
    ("深圳市前海供应链管理有限公司", (_Model("福田欧马可", VehicleType.TRUCK),
                                    _Model("五十铃KV100", VehicleType.TRUCK))),
    ("深圳市鹏城出租车服务有限公司", (_Model("比亚迪e6", VehicleType.NEW_ENERGY, "D"),
                                    _Model("丰田卡罗拉", VehicleType.CAR))),
    ("深圳市绿源环保科技有限公司", (_Model("五菱宏光", VehicleType.VAN),
                                  _Model("长安睿行M80", VehicleType.VAN))),
)
_SPECIAL_NOTES = (
    "VIP客户，优先派车",
    "老年车主，听力不好，请放慢语速",
    "残障人士车主，需协助上下车",
    "长期合作车主，熟悉救援流程",
    "孕妇车主，优先安排",
    "车主要求到场前电话联系",
)


@dataclass(frozen=True)
class _Fault:
    text: str
    category: FaultCategory
    plan: RescuePlan
    priority: Priority = Priority.GENERAL
    fits: str = "any"  # "any", "fuel" (has a fuel tank), "ev" (battery-electric / hybrid)


_FAULTS = (
    _Fault("车辆无法启动，打火没反应，仪表灯很暗", FaultCategory.ELECTRICAL, RescuePlan.BATTERY),
    _Fault("电瓶亏电，停了两天车打不着火", FaultCategory.ELECTRICAL, RescuePlan.BATTERY),
    _Fault("忘关大灯一整晚，电瓶亏电无法启动", FaultCategory.ELECTRICAL, RescuePlan.BATTERY),
    _Fault("左前轮爆胎，车上有备胎但不会换", FaultCategory.TYRE, RescuePlan.TYRE),
    _Fault("右后轮爆胎，车停在应急车道", FaultCategory.TYRE, RescuePlan.TYRE, Priority.SEVERE),
    _Fault("轮胎被钉子扎破漏气，胎压报警", FaultCategory.TYRE, RescuePlan.TYRE),
    _Fault("钥匙锁车内，车主在车旁等候", FaultCategory.LOCKOUT, RescuePlan.LOCKOUT),
    _Fault("钥匙锁车内，车内有小孩，天气炎热", FaultCategory.LOCKOUT, RescuePlan.LOCKOUT,
           Priority.URGENT),
    _Fault("燃油耗尽，车辆熄火停在路边", FaultCategory.FUEL, RescuePlan.FUEL, fits="fuel"),
    _Fault("油表报警后继续行驶，现已没油熄火", FaultCategory.FUEL, RescuePlan.FUEL, fits="fuel"),
    _Fault("发动机异响冒烟，已熄火不敢再启动", FaultCategory.ENGINE, RescuePlan.TOWING,
           Priority.SEVERE, fits="fuel"),
    _Fault("水温过高开锅，仪表水温报警", FaultCategory.ENGINE, RescuePlan.ONSITE_REPAIR,
           fits="fuel"),
    _Fault("车辆无法启动，启动机咔咔响", FaultCategory.ENGINE, RescuePlan.ONSITE_REPAIR,
           fits="fuel"),
    _Fault("变速箱故障，挂不上挡，仪表故障灯亮", FaultCategory.TRANSMISSION, RescuePlan.TOWING),
    _Fault("行驶中顿挫后无法前进，疑似变速箱故障", FaultCategory.TRANSMISSION,
           RescuePlan.TOWING, Priority.SEVERE),
    _Fault("追尾事故，车头受损无法行驶，已报交警", FaultCategory.ACCIDENT, RescuePlan.TOWING,
           Priority.URGENT),
    _Fault("被后车追尾，车尾受损，交警要求拖离现场", FaultCategory.ACCIDENT, RescuePlan.TOWING,
           Priority.SEVERE),
    _Fault("刹车踏板变软，刹车异响，不敢继续行驶", FaultCategory.BRAKES, RescuePlan.TOWING,
           Priority.SEVERE),
    _Fault("动力电池电量耗尽，无法行驶", FaultCategory.ELECTRICAL, RescuePlan.TOWING, fits="ev"),
    _Fault("仪表提示高压系统故障，车辆无法上电", FaultCategory.ELECTRICAL, RescuePlan.TOWING,
           Priority.SEVERE, fits="ev"),
)
_FUEL_PRICE = Decimal("7.90")  # yuan per litre of 92 petrol
_WORK_MINUTES = {
    RescuePlan.TOWING: (30, 80),
    RescuePlan.ONSITE_REPAIR: (25, 70),
    RescuePlan.BATTERY: (8, 20),
    RescuePlan.TYRE: (15, 35),
    RescuePlan.FUEL: (8, 15),
    RescuePlan.LOCKOUT: (8, 30),
    RescuePlan.OTHER: (15, 40),
}
_CANCEL_REASONS = (
    "车主自行启动成功，取消救援",
    "车主已联系保险公司救援",
    "车主朋友送来汽油，无需救援",
    "车主已自行叫拖车",
    "车辆已恢复正常，车主继续行驶",
)
_DELAY_NOTES = (
    "途中遇交通堵塞，已致电车主告知晚到",
    "前方交通事故封路绕行，已通知车主",
    "道路施工绕行，已电话告知车主预计到达时间",
    "交通管制，已通知车主",
)

_DAY_OPERATORS = ("zhangli", "wangfang", "liuyang")
_NIGHT_OPERATORS = ("night1", "night2")
_STAFF = (
    ("zhangli", "张丽", Role.OPERATOR),
    ("wangfang", "王芳", Role.OPERATOR),
    ("liuyang", "刘洋", Role.OPERATOR),
    ("night1", "陈静", Role.OPERATOR),
    ("night2", "赵磊", Role.OPERATOR),
    ("chenjun", "陈军", Role.SUPERVISOR),
)
_CREW_KINDS = ("拖车", "服务车", "清障车", "服务车", "拖车", "服务车", "服务车", "清障车",
               "服务车", "拖车", "服务车", "服务车")
_TOW_KINDS = frozenset({"拖车", "清障车"})

# The open cases on the board at ``now``: (status, distance band, timing). Timing: "new" just
# received; "unagreed" fee not yet agreed; "waiting" not dispatched for too long; "fresh" just
# dispatched; "ok" / "risk" / "late" where the arrival promise stands at ``now``; "met" /
# "missed" whether the crew arrived in time.
_OPEN_CASES = (
    (CaseStatus.RECEIVED, "near", "new"),
    (CaseStatus.RECEIVED, "mid", "new"),
    (CaseStatus.RECEIVED, "far", "new"),
    (CaseStatus.RECEIVED, "near", "unagreed"),
    (CaseStatus.RECEIVED, "near", "waiting"),
    (CaseStatus.DISPATCHED, "near", "fresh"),
    (CaseStatus.DISPATCHED, "mid", "fresh"),
    (CaseStatus.EN_ROUTE, "near", "risk"),
    (CaseStatus.EN_ROUTE, "mid", "risk"),
    (CaseStatus.EN_ROUTE, "near", "late"),
    (CaseStatus.EN_ROUTE, "mid", "late"),
    (CaseStatus.EN_ROUTE, "far", "ok"),
    (CaseStatus.ON_SCENE, "near", "met"),
    (CaseStatus.ON_SCENE, "mid", "missed"),
    (CaseStatus.COMPLETED, "near", "met"),
    (CaseStatus.REPORTED_BACK, "near", "met"),
    (CaseStatus.REPORTED_BACK, "mid", "met"),
    (CaseStatus.REPORTED_BACK, "far", "met"),
    (CaseStatus.REPORTED_BACK, "near", "missed"),
)
_HOLDS_CREW = (
    CaseStatus.DISPATCHED,
    CaseStatus.EN_ROUTE,
    CaseStatus.ON_SCENE,
    CaseStatus.COMPLETED,
)
_CREW_STATUS = {
    CaseStatus.DISPATCHED: CrewStatus.DISPATCHED,
    CaseStatus.EN_ROUTE: CrewStatus.EN_ROUTE,
    CaseStatus.ON_SCENE: CrewStatus.ON_SCENE,
    CaseStatus.COMPLETED: CrewStatus.RETURNING,
}
_FAR_DATE = datetime.max.replace(tzinfo=UTC)
_LONG_AGO = datetime.min.replace(tzinfo=UTC)

# After the work: what the crew found and did, by fault (the fault's text is the key). Each
# option: (weight, cause 故障原因分析, solution 处理方法, parts). A part: (name, quantity,
# part number, genuine, unit price in yuan). "{litres}" is the fuel delivered.
_Part = tuple[str, int, str, bool, Decimal]
_Work = tuple[int, str, str, tuple[_Part, ...]]
_BATTERY = ("蓄电池", 1, "6-QW-60", False, Decimal("480"))
_BATTERY_SMALL = ("蓄电池", 1, "6-QW-45", False, Decimal("390"))
_PLUG = ("补胎蘑菇钉", 1, "MG-6", False, Decimal("30"))
_AFTER_WORK: dict[str, tuple[_Work, ...]] = {
    "车辆无法启动，打火没反应，仪表灯很暗": (
        (6, "蓄电池亏电，静态电压仅10.9V，无法带动启动机", "搭电启动，检测发电机充电电压14.1V正常，"
         "建议车主连续行驶30分钟以上为蓄电池充电", ()),
        (2, "蓄电池老化（已使用4年以上），存电能力下降，搭电后电压仍不稳定",
         "现场更换蓄电池，测试启动及充电系统正常", (_BATTERY,)),
    ),
    "电瓶亏电，停了两天车打不着火": (
        (5, "车辆停放时间较长，蓄电池自放电导致亏电", "搭电启动，检查无漏电，"
         "提醒车主长时间停放时断开蓄电池负极或定期启动车辆", ()),
        (1, "蓄电池亏电，行车记录仪停车监控长时间耗电", "搭电启动，关闭停车监控功能，"
         "检测充电电压正常", ()),
        (1, "蓄电池极板硫化，无法正常充电", "现场更换蓄电池，测试启动正常", (_BATTERY_SMALL,)),
    ),
    "忘关大灯一整晚，电瓶亏电无法启动": (
        (1, "大灯未关闭一整晚，蓄电池电量耗尽", "搭电启动成功，检测蓄电池及充电系统正常，"
         "提醒车主下车前确认灯光关闭", ()),
    ),
    "左前轮爆胎，车上有备胎但不会换": (
        (3, "左前轮胎侧被路面尖锐物划破爆胎，胎侧损伤无法修补", "拆下左前轮，更换备胎并将胎压"
         "调至2.5bar，提醒车主备胎限速80km/h，尽快更换新胎", ()),
        (1, "左前轮胎压不足行驶导致胎侧碾压爆胎", "更换备胎，检查其余三条轮胎胎压并补气", ()),
    ),
    "右后轮爆胎，车停在应急车道": (
        (1, "右后轮胎冠被异物扎穿后高速行驶爆胎", "在车后150米放置警示牌，引导车主至护栏外等候，"
         "更换备胎并检查其余轮胎胎压正常", ()),
    ),
    "轮胎被钉子扎破漏气，胎压报警": (
        (3, "轮胎扎钉漏气，胎压降至1.3bar", "更换备胎，检查其余轮胎胎压正常，"
         "提醒车主尽快修补原胎", ()),
        (2, "轮胎胎冠扎入螺丝钉，慢漏气", "现场拔钉，用蘑菇钉内补并充气至2.4bar，"
         "涂肥皂水检查无漏气", (_PLUG,)),
    ),
    "钥匙锁车内，车主在车旁等候": (
        (1, "车钥匙遗留车内，车门自动落锁", "核对车主身份证及行驶证后，使用专业工具无损开启"
         "车门，交还钥匙", ()),
    ),
    "钥匙锁车内，车内有小孩，天气炎热": (
        (1, "车钥匙遗留车内，车门落锁，车内有儿童", "到场后立即无损开启车门，儿童状态良好，"
         "启动空调降温，核对车主证件后交车", ()),
    ),
    "燃油耗尽，车辆熄火停在路边": (
        (1, "燃油耗尽导致发动机熄火", "现场加注92号汽油{litres}升，启动车辆正常，"
         "提醒车主就近加油站加满", ()),
    ),
    "油表报警后继续行驶，现已没油熄火": (
        (1, "油表报警后继续行驶，燃油耗尽熄火", "现场加注92号汽油{litres}升，排空油路空气后"
         "启动正常，提醒车主及时加油", ()),
    ),
    "发动机异响冒烟，已熄火不敢再启动": (
        (2, "发动机内部异响，机油压力报警，疑似连杆轴瓦损坏，无法现场维修", "发动机无法启动需"
         "进厂检修，拖至指定维修厂", ()),
        (1, "发动机缺机油导致异响冒烟，存在拉缸风险", "建议不再启动，拖至车主指定的4S店检修", ()),
    ),
    "水温过高开锅，仪表水温报警": (
        (2, "水箱下水管卡箍松动渗漏，冷却液不足导致水温过高", "待发动机冷却后紧固卡箍，补加冷却液，"
         "怠速及试车水温正常", (("发动机冷却液", 2, "G13-4L", True, Decimal("65")),)),
        (1, "电子风扇继电器烧坏，风扇不转导致水温过高", "现场更换风扇继电器，补加冷却液，"
         "试车风扇运转正常", (("电子风扇继电器", 1, "JD1914", False, Decimal("45")),
                              ("发动机冷却液", 1, "G13-4L", True, Decimal("65")))),
        (1, "节温器卡滞，冷却液小循环无法打开", "补加冷却液后低速行驶至维修厂，"
         "建议尽快更换节温器", ()),
    ),
    "车辆无法启动，启动机咔咔响": (
        (2, "启动机线束插头松动，接触不良导致启动无力", "重新插紧并紧固启动机线束插头及蓄电池"
         "桩头，启动正常", ()),
        (1, "蓄电池桩头氧化腐蚀，电流不足", "清理蓄电池桩头氧化物并紧固，涂抹凡士林，启动正常",
         ()),
        (1, "启动机电磁开关触点烧蚀", "现场更换启动机总成，测试启动五次均正常",
         (("启动机总成", 1, "QDY1265A", True, Decimal("680")),)),
    ),
    "变速箱故障，挂不上挡，仪表故障灯亮": (
        (1, "变速箱换挡电磁阀故障，读取故障码P0750，无法挂挡行驶", "发动机可启动但无法行驶，"
         "拖至指定维修厂检修变速箱", ()),
    ),
    "行驶中顿挫后无法前进，疑似变速箱故障": (
        (1, "变速箱内部离合器片打滑，车辆无法前进", "需进厂拆检变速箱，拖至品牌4S店检修", ()),
    ),
    "追尾事故，车头受损无法行驶，已报交警": (
        (1, "追尾事故导致前保险杠、水箱框架受损，水箱漏水，无法行驶", "配合交警处理完毕后，"
         "将车辆拖至车主指定的定损维修厂", ()),
    ),
    "被后车追尾，车尾受损，交警要求拖离现场": (
        (1, "车尾被撞，后保险杠脱落，后尾灯破损", "清理现场散落部件，按交警要求拖离现场，"
         "拖至保险公司指定定损点", ()),
    ),
    "刹车踏板变软，刹车异响，不敢继续行驶": (
        (1, "刹车片严重磨损，制动盘有划痕，制动液液位偏低，存在安全隐患", "建议不再行驶，"
         "拖至指定维修厂检修制动系统", ()),
    ),
    "动力电池电量耗尽，无法行驶": (
        (1, "动力电池电量耗尽（剩余电量0%），车辆无法行驶", "拖至最近的公共充电站，"
         "协助车主连接充电桩开始充电", ()),
    ),
    "仪表提示高压系统故障，车辆无法上电": (
        (1, "高压系统绝缘故障，车辆无法上电，现场无法处理", "断开低压蓄电池负极，"
         "拖至品牌售后服务中心检修", ()),
    ),
}
_CREW_NOTES = (
    "拖车钩及绑带已清点归位",
    "搭电线夹头松动，已报修",
    "返程途中顺路补充随车冷却液",
    "警示牌已清洁归位",
    "作业前已放置警示牌并开启双闪，现场无二次事故",
)
_FOLLOW_UPS: dict[RescuePlan, tuple[str, ...]] = {
    RescuePlan.TYRE: ("提醒车主三日内到店修补或更换原胎", "备胎为非全尺寸备胎，已提醒限速行驶"),
    RescuePlan.BATTERY: ("建议车主近期到店检测并更换蓄电池",),
    RescuePlan.TOWING: ("需跟进维修厂检修结果", "车主要求告知定损进度"),
    RescuePlan.ONSITE_REPAIR: ("车主反映空调也有异响，建议到店检查", "建议尽快到店彻底检修"),
}
_EQUIPMENT_MISSING = "三角警示牌遗失一个，已登记补领"
_NOT_ACCEPTED_NOTE = "车主急于离开，未能现场签字确认，回访时电话确认"
# The feedback survey (回访): q1..q9 rated 1..5, except q6 (an open fault: 1 yes, 2 no);
# satisfied when q9 ≥ 4.
SURVEY_TEMPLATE = "default"
_SURVEY_QUESTIONS = tuple(f"q{i}" for i in range(1, 10))
_PRAISE = (
    "师傅很专业，速度很快",
    "感谢及时救援",
    "电话沟通很清楚，到场准时",
    "服务态度很好",
    "深夜也能及时到场，很满意",
)
_COMPLAINTS = (
    ("q2", "等待时间太长，超过承诺的到达时间"),
    ("q4", "救援人员态度一般，没有说明处理方案"),
    ("q5", "收费与电话里告知的不一致"),
    ("q7", "现场操作不够规范，车身有划痕"),
    ("q8", "维修后问题没有彻底解决"),
)
_FAULT_BACK = "服务很好，但第二天故障又出现了，希望再派人看看"
_ESCALATION_NOTES = (
    "已向车主致歉，安排维修厂免费复查",
    "已向车主解释收费标准并致歉，车主表示理解",
    "已安排原救援组上门复查，车主同意",
)
SUPERVISOR = "chenjun"
_RESULTS = (FeedbackResult.ANSWERED, FeedbackResult.REFUSED, FeedbackResult.NOT_REACHED)
_NO_ANSWER = (Outcome.NOT_REACHED, Outcome.NOT_REACHED, Outcome.BUSY)
_RETRY = timedelta(minutes=30)  # the call desk's wait before another try
_FINISHED = (CaseStatus.COMPLETED, CaseStatus.REPORTED_BACK)
_CENT = Decimal("0.01")
_TENTH = Decimal("0.1")
_ZERO = Decimal("0.00")
# fmt: on


# --------------------------------------------------------------------------------------------
# Planning: everything is decided in memory first, then written


@dataclass
class _Planned:
    case: Case
    customer: int  # index into the planned customers
    vehicle: int  # index into that customer's vehicles
    crew: int | None = None  # index into the planned crews
    events: list[tuple[datetime, str, str, dict[str, Any]]] = field(default_factory=list)
    after: _After | None = None  # what came after the work (finished cases)
    #: Follow-up calls about the case (revisits, promised call-backs) with their tries, and
    #: the revisit's survey if one was taken.
    calls: list[tuple[CallTask, list[CallAttempt]]] = field(default_factory=list)
    revisit_survey: SurveyRecord | None = None


@dataclass
class _After:
    """The after-work of one case, written with it (ids are filled in on writing)."""

    record: ServiceRecord
    report: ReportBack | None = None
    feedback: CallTask | None = None
    attempts: list[CallAttempt] = field(default_factory=list)
    survey: SurveyRecord | None = None
    escalation: CallTask | None = None
    escalation_attempts: list[CallAttempt] = field(default_factory=list)


class _Planner:
    def __init__(
        self,
        rng: random.Random,
        now: datetime,
        tz: tzinfo,
        policy: sla.Policy,
        depot: tuple[float, float],
    ) -> None:
        self.rng = rng
        self.now = now
        self.tz = tz
        self.policy = policy
        self.depot = depot
        self.phones: set[str] = set()
        self.plates: set[str] = set()
        self.names: set[str] = set()
        self.customers: list[Customer] = []
        self.crews: list[Crew] = []
        self.history: list[_Planned] = []
        self.open: list[_Planned] = []
        self.crew_free_at: list[datetime] = []
        self.vehicle_free_at: dict[tuple[int, int], datetime] = {}
        self.mates: dict[int, str] = {}  # each crew's second member
        #: Promised call-backs to numbers with no case, with their tries.
        self.contact_calls: list[tuple[CallTask, list[CallAttempt]]] = []

    def build(self) -> None:
        self._make_crews()
        self._make_customers()
        self._archive_details()
        self._make_history()
        self._make_open()
        self._number()
        self._place_crews()
        self._after_work()
        self._follow_ups()

    # -- small random helpers --------------------------------------------------------------
    def _minutes(self, low: float, high: float) -> timedelta:
        return timedelta(seconds=self.rng.randint(int(low * 60), int(high * 60)))

    def _name(self) -> str:
        for _attempt in range(100):
            name = self.rng.choice(_SURNAMES) + self.rng.choice(_GIVEN)
            if name not in self.names:
                self.names.add(name)
                return name
        raise RuntimeError("ran out of demo names")

    def _mobile(self) -> str:
        while True:
            number = f"+86{self.rng.choice(_MOBILE_PREFIXES)}{self.rng.randint(0, 99_999_999):08d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def _plate(self, energy: str = "", region: str | None = None) -> str:
        rng = self.rng
        while True:
            if region is None:
                roll = rng.random()
                prefix = "粤B" if roll < 0.86 else rng.choice(_OTHER_REGIONS)
            else:
                prefix = region
            if energy:
                second = rng.choice(_PLATE_LETTERS + "0123456789")
                plate = f"{prefix}{energy}{second}{rng.randint(0, 9999):04d}"
            else:
                chars = [str(rng.randint(0, 9)) for _i in range(5)]
                letters = rng.choices((0, 1, 2), weights=(40, 45, 15))[0]
                for pos in rng.sample(range(5), letters):
                    chars[pos] = rng.choice(_PLATE_LETTERS)
                plate = prefix + "".join(chars)
            if plate not in self.plates:
                self.plates.add(plate)
                return plate

    def _district(self, km: float) -> _District:
        fitting = [d for d in _DISTRICTS if d.km[0] <= km <= d.km[1]]
        return self.rng.choice(fitting)

    def _point(self, district: _District, km: float) -> tuple[float, float]:
        bearing = math.radians(self.rng.uniform(*district.bearing) % 360)
        straight = km / self.rng.uniform(1.2, 1.4)  # roads are longer than the crow flies
        return self._offset(self.depot, bearing, straight)

    @staticmethod
    def _offset(origin: tuple[float, float], bearing: float, km: float) -> tuple[float, float]:
        lat, lon = origin
        dlat = km * math.cos(bearing) / 111.0
        dlon = km * math.sin(bearing) / (111.0 * math.cos(math.radians(lat)))
        return round(lat + dlat, 5), round(lon + dlon, 5)

    def _distance(self, band: str) -> Decimal:
        low, high = {"near": (1.0, 10.0), "mid": (10.1, 20.0), "far": (20.5, 35.0)}[band]
        return Decimal(str(round(self.rng.uniform(low, high), 1)))

    def _band(self) -> str:
        return self.rng.choices(("near", "mid", "far"), weights=(55, 33, 12))[0]

    def _roadside(self, district: _District, band: str) -> str:
        rng = self.rng
        if district.highways and rng.random() < {"near": 0.0, "mid": 0.15, "far": 0.45}[band]:
            where = f"K{rng.randint(2, 68)}+{rng.randrange(0, 1000, 100):03d}"
            return f"{rng.choice(district.highways)}({rng.choice(_DIRECTIONS)}){where}应急车道"
        style = rng.random()
        if style < 0.45:
            return f"{district.name}区{rng.choice(district.roads)}{rng.randint(1, 399)}号附近"
        if style < 0.75:
            a, b = rng.sample(district.roads, 2)
            return f"{district.name}区{a}与{b}交叉口"
        return f"{district.name}区{rng.choice(district.places)}停车场"

    def _operator(self, instant: datetime) -> str:
        hour = instant.astimezone(self.tz).hour
        return self.rng.choice(_DAY_OPERATORS if 8 <= hour < 20 else _NIGHT_OPERATORS)

    def _is_night(self, instant: datetime) -> bool:
        hour = instant.astimezone(self.tz).hour
        return hour >= 19 or hour < 6

    # -- crews and customers ---------------------------------------------------------------
    def _make_crews(self) -> None:
        for kind in _CREW_KINDS:
            self._add_crew(kind)

    def _add_crew(self, kind: str) -> None:
        self.crews.append(
            Crew(
                code=f"救援{len(self.crews) + 1}组",
                name=self._name(),
                phone=self._mobile(),
                vehicle_plate=self._plate(region="粤B"),
                vehicle_kind=kind,
                status=CrewStatus.AVAILABLE,
                lat=self.depot[0],
                lon=self.depot[1],
            )
        )
        self.crew_free_at.append(_LONG_AGO)

    def _make_customers(self) -> None:
        rng = self.rng
        categories = (
            [CustomerCategory.GROUP] * len(_FLEETS)
            + [CustomerCategory.SPECIAL] * 6
            + [CustomerCategory.NEW_PRODUCT] * 6
        )
        categories += [CustomerCategory.GENERAL] * (CUSTOMERS - len(categories))
        rng.shuffle(categories)
        fleets = iter(_FLEETS)
        for category in categories:
            district = rng.choice(_DISTRICTS)
            road = rng.choice(district.roads)
            since = self.now - self._minutes(60 * 24 * 95, 60 * 24 * 1200)
            notes = ""
            if category is CustomerCategory.GROUP:
                name, models = next(fleets)
                contact = self._name()
                notes = f"车队联系人：{contact}"
                place = rng.choice(("物流园A区", "大厦8楼", "停车场办公室", "产业园3栋"))
                address = f"深圳市{district.name}区{road}{rng.randint(1, 399)}号{place}"
                picks = [rng.choice(models) for _i in range(2)]
            else:
                name = self._name()
                estate = rng.choice(district.estates)
                room = f"{rng.randint(1, 32)}{rng.randint(1, 8):02d}"
                address = (
                    f"深圳市{district.name}区{road}{rng.randint(1, 399)}号"
                    f"{estate}{rng.randint(1, 12)}栋{room}"
                )
                count = 2 if rng.random() < 0.3 else 1
                pool = (
                    _NEW_PRODUCT_MODELS
                    if category is CustomerCategory.NEW_PRODUCT
                    else _PRIVATE_MODELS
                )
                picks = [rng.choice(pool) for _i in range(count)]
                if category is CustomerCategory.SPECIAL:
                    notes = rng.choice(_SPECIAL_NOTES)
                elif category is CustomerCategory.NEW_PRODUCT:
                    since = self.now - self._minutes(60 * 24 * 20, 60 * 24 * 80)
                    bought = since.astimezone(self.tz)
                    notes = f"{bought.year}年{bought.month}月购新车，首保期内"
            vehicles = [
                Vehicle(plate=self._plate(m.energy), model=m.name, vehicle_type=m.kind)
                for m in picks
            ]
            self.customers.append(
                Customer(
                    name=name,
                    phone=self._mobile(),
                    address=address,
                    category=category,
                    notes=notes,
                    created_at=since,
                    vehicles=vehicles,
                )
            )

    def _archive_details(self) -> None:
        """The archive's details (客户档案): what each customer wants, when each vehicle was
        bought, its mileage or running hours and last maintenance. Some entries stay
        incomplete (listed for completion), some vehicles are due for maintenance, a few
        overdue. A random generator of its own: the rest of the demo is unchanged."""
        rng = random.Random(int(self.now.timestamp()) // 86400)
        today = self.now.astimezone(self.tz).date()
        wants = ("定期保养提醒", "年检到期提醒", "优惠活动通知", "免费检测", "上门保养服务")
        overdue = 0
        for customer in self.customers:
            group = customer.category is CustomerCategory.GROUP
            if rng.random() < 0.85:
                customer.wanted_service = (
                    "车队月度对账，保养集中安排" if group else rng.choice(wants)
                )
            since = (customer.created_at or self.now).astimezone(self.tz).date()
            for vehicle in customer.vehicles:
                if rng.random() < 0.12:
                    continue  # not asked yet: the entry is incomplete
                if customer.category is CustomerCategory.NEW_PRODUCT:
                    vehicle.purchase_date = since
                    days = max(1, (today - since).days)
                    vehicle.running_hours = days * rng.randint(3, 9)
                    vehicle.reading_on = today - timedelta(days=rng.randint(1, 6))
                    if vehicle.running_hours >= 100 and rng.random() < 0.7:
                        vehicle.maintained_hours = 100
                        vehicle.maintained_on = since + timedelta(days=rng.randint(8, 12))
                        if overdue < 3:  # past 600 h without its service
                            overdue += 1
                            vehicle.running_hours = max(vehicle.running_hours, 600 + days)
                    continue
                if rng.random() < 0.25:  # a quarterly point within the next days: due
                    soon = today + timedelta(days=rng.randint(1, 10))
                    vehicle.purchase_date = add_months(soon, -3 * rng.randint(6, 14))
                else:
                    vehicle.purchase_date = since - timedelta(days=rng.randint(0, 1100))
                years = max(0.1, (today - vehicle.purchase_date).days / 365)
                if vehicle.vehicle_type in (VehicleType.TRUCK, VehicleType.MACHINERY):
                    vehicle.running_hours = int(years * rng.randint(900, 1600))
                else:
                    vehicle.mileage_km = int(years * rng.randint(8000, 20000))
                vehicle.reading_on = today - timedelta(days=rng.randint(0, 30))

    def _caller(self, customer: Customer) -> str:
        if customer.category is CustomerCategory.GROUP:
            return customer.notes.split("：", 1)[1]
        return customer.name

    def _pick_vehicle(self, at: datetime, taken: set[int] | None = None) -> tuple[int, int]:
        rng = self.rng
        weights = [4 if c.category is CustomerCategory.GROUP else 1 for c in self.customers]
        for _attempt in range(200):
            ci = rng.choices(range(len(self.customers)), weights=weights)[0]
            customer = self.customers[ci]
            if taken is not None and ci in taken:
                continue
            assert customer.created_at is not None
            if customer.created_at > at:
                continue
            vi = rng.randrange(len(customer.vehicles))
            if self.vehicle_free_at.get((ci, vi), _LONG_AGO) > at:
                continue
            return ci, vi
        raise RuntimeError("no demo vehicle free")

    def _fault(self, vehicle: Vehicle, plans: Sequence[RescuePlan] | None = None) -> _Fault:
        electric = vehicle.vehicle_type is VehicleType.NEW_ENERGY
        pure_ev = electric and vehicle.plate[2:3] == "D"
        options = [
            f
            for f in _FAULTS
            if (f.fits == "any" or (f.fits == "ev") == electric)
            and not (f.fits == "fuel" and pure_ev)
            and (plans is None or f.plan in plans)
        ]
        return self.rng.choice(options)

    def _fee(self, plan: RescuePlan) -> tuple[Decimal, str]:
        fee = self.policy.tariff[plan]  # the policy's [tariff] (seed 000: free towing)
        if plan is RescuePlan.FUEL:
            litres = self.rng.choice((5, 10))
            return fee + _FUEL_PRICE * litres, f"送油{litres}升92号汽油，油费按实收取"
        return fee, ""

    # -- one case --------------------------------------------------------------------------
    def _new_case(
        self,
        ci: int,
        vi: int,
        received: datetime,
        band: str,
        fault: _Fault | None = None,
    ) -> Case:
        customer = self.customers[ci]
        vehicle = customer.vehicles[vi]
        fault = fault or self._fault(vehicle)
        km = self._distance(band)
        district = self._district(float(km))
        lat, lon = self._point(district, float(km))
        address = self._roadside(district, band)
        fee, note = self._fee(fault.plan)
        priority = fault.priority
        if priority is Priority.GENERAL and "应急车道" in address:
            priority = Priority.SEVERE
        return Case(
            received_at=received,
            caller_name=self._caller(customer),
            phone=customer.phone,
            plate=vehicle.plate,
            address=address,
            distance_km=km,
            fault_description=fault.text,
            policy=self.policy.name,
            vehicle_model=vehicle.model,
            vehicle_type=vehicle.vehicle_type,
            lat=lat,
            lon=lon,
            fault_category=fault.category,
            priority=priority,
            plan=fault.plan,
            fee_quote=fee,
            notes=note,
        )

    def _needs_agreed(self, case: Case) -> bool:
        return sla.requires_agreed_time(self.policy, case.distance_km, case.priority)

    def _arrival_span(self, case: Case) -> timedelta | None:
        """How long after the call the policy promises the crew (bands without agreement)."""
        due = sla.arrival_deadline(
            self.policy,
            received_at=self.now,
            distance_km=case.distance_km,
            priority=case.priority,
            tz=self.tz,
        )
        return None if due is None else due - self.now

    def _agreed_after(self, received: datetime, km: Decimal) -> datetime:
        """An arrival time a dispatcher would agree with the owner for a long drive."""
        drive = 8 + float(km) / 40 * 60 + self.rng.randint(10, 30)
        return _ceil5(received + timedelta(minutes=drive))

    def _promise(self, case: Case) -> None:
        promised = sla.arrival_deadline(
            self.policy,
            received_at=case.received_at,
            distance_km=case.distance_km,
            agreed_arrival_at=case.agreed_arrival_at,
            priority=case.priority,
            tz=self.tz,
        )
        case.promised_arrival_at = case.original_promised_at = promised

    def _stamps_to_dispatch(self, case: Case, agreed: bool = True) -> None:
        received = case.received_at
        if agreed:
            case.fee_agreed = True
            case.fee_agreed_at = received + self._minutes(0.5, 2.5)
        case.dispatched_at = (case.fee_agreed_at or received) + self._minutes(1, 5.5)
        case.en_route_at = case.dispatched_at + self._minutes(1, 4)

    def _arrival(self, case: Case, late: bool) -> datetime:
        """When the crew arrives: in time, or late, but never faster than the roads allow."""
        assert case.en_route_at is not None
        drive = round(float(case.distance_km) / 55 * 3600) + 120  # 55 km/h, then park
        earliest = case.en_route_at + timedelta(seconds=drive)
        due = case.promised_arrival_at
        if due is None:
            return earliest + self._minutes(0, 20)
        if late:
            return max(due + self._minutes(3, 30), earliest)
        latest = due - timedelta(minutes=1)
        if latest <= earliest:
            return earliest
        span = int((latest - earliest).total_seconds())
        return earliest + timedelta(seconds=self.rng.randint(span // 3, span))

    def _finish(self, case: Case, arrived: datetime) -> None:
        case.arrived_at = arrived
        case.completed_at = arrived + self._minutes(*_WORK_MINUTES[case.plan])
        case.reported_back_at = case.completed_at + self._minutes(15, 50)

    def _timeline(self, planned: _Planned) -> None:
        case = planned.case
        events: list[tuple[datetime, str, str, dict[str, Any]]] = []
        promised = case.promised_arrival_at.isoformat() if case.promised_arrival_at else None
        events.append(
            (case.received_at, self._operator(case.received_at), "received", {"promised": promised})
        )
        if case.fee_agreed_at:
            events.append(
                (case.fee_agreed_at, events[0][1], "fee_agreed", {"fee": str(case.fee_quote)})
            )
        steps: list[tuple[datetime | None, str, dict[str, Any]]] = [
            (case.dispatched_at, "dispatched", {}),
            (case.en_route_at, "en_route", {}),
            (case.arrived_at, "arrived", {}),
            (case.completed_at, "completed", {}),
            (case.reported_back_at, "reported_back", {}),
            (case.closed_at, "closed", {}),
            (case.cancelled_at, "cancelled", {"reason": case.cancel_reason}),
        ]
        for at, kind, details in steps:
            if at is None:
                continue
            if kind == "arrived":
                details = {
                    "checklist": {
                        "hazard_lights": True,
                        "warning_sign": True,
                        "night_lights": self._is_night(at),
                    }
                }
            events.append((at, self._operator(at), kind, details))
        events.sort(key=lambda e: e[0])
        planned.events = events
        case.created_by = events[0][1]
        case.updated_at, case.updated_by = events[-1][0], events[-1][1]

    def _assign_crew(self, case: Case, until: datetime) -> int:
        """A free crew able to do the job (towing needs a tow truck), busy until ``until``.

        When every suitable crew is out, the centre has one more crew on call.
        """
        assert case.dispatched_at is not None
        towing = case.plan is RescuePlan.TOWING
        free = [
            i
            for i, crew in enumerate(self.crews)
            if self.crew_free_at[i] <= case.dispatched_at
            and (crew.vehicle_kind in _TOW_KINDS) == towing
        ]
        if free:
            chosen = self.rng.choice(free)
        else:
            chosen = len(self.crews)
            self._add_crew("拖车" if towing else "服务车")
        self.crew_free_at[chosen] = until
        return chosen

    # -- closed history --------------------------------------------------------------------
    def _make_history(self) -> None:
        rng = self.rng
        today = self.now.astimezone(self.tz).date()
        hours = list(range(24))
        weights = [2, 1, 1, 1, 1, 2, 3, 6, 8, 6, 5, 5, 5, 5, 5, 5, 6, 8, 9, 7, 5, 4, 3, 3]
        latest = self.now - timedelta(hours=6)
        for back in range(HISTORY_DAYS, -1, -1):
            day = today - timedelta(days=back)
            calls = []
            for _i in range(rng.randint(3, 6)):
                hour = rng.choices(hours, weights=weights)[0]
                local = datetime.combine(day, time(hour, rng.randint(0, 59), rng.randint(0, 59)))
                calls.append(local.replace(tzinfo=self.tz).astimezone(UTC))
            for received in sorted(calls):
                if received <= latest:
                    self.history.append(self._closed_case(received))

    def _closed_case(self, received: datetime) -> _Planned:
        rng = self.rng
        ci, vi = self._pick_vehicle(received)
        case = self._new_case(ci, vi, received, self._band())
        if self._needs_agreed(case):
            case.agreed_arrival_at = self._agreed_after(received, case.distance_km)
        self._promise(case)
        planned = _Planned(case, ci, vi)
        if rng.random() < 0.03:
            self._cancelled(planned)
        else:
            self._stamps_to_dispatch(case)
            self._finish(case, self._arrival(case, late=rng.random() < 0.10))
            assert case.reported_back_at is not None and case.arrived_at is not None
            due = case.promised_arrival_at
            if due is not None and case.arrived_at > due and rng.random() < 0.8:
                case.owner_notified_at = due - self._minutes(3, 10)
                case.notes = rng.choice(_DELAY_NOTES)
            case.feedback_at = case.reported_back_at + self._feedback_delay(case.reported_back_at)
            case.closed_at = case.feedback_at + self._minutes(1, 10)
            case.status = CaseStatus.CLOSED
            planned.crew = self._assign_crew(case, case.reported_back_at)
        self.vehicle_free_at[ci, vi] = case.closed_at or case.cancelled_at or received
        self._timeline(planned)
        return planned

    def _feedback_delay(self, reported_back: datetime) -> timedelta:
        """The call-back to the owner: soon in the day, next morning at night; within 24 h."""
        local = reported_back.astimezone(self.tz)
        if 9 <= local.hour < 20:
            delay = self._minutes(20, 180)
        else:
            morning = datetime.combine(local.date(), time(9), tzinfo=self.tz)
            if local.hour >= 20:
                morning += timedelta(days=1)
            delay = morning.astimezone(UTC) - reported_back + self._minutes(0, 120)
        ceiling = self.now - timedelta(minutes=15) - reported_back
        return min(delay, max(ceiling, timedelta(minutes=5)))

    def _cancelled(self, planned: _Planned) -> None:
        rng = self.rng
        case = planned.case
        case.status = CaseStatus.CANCELLED
        case.cancel_reason = rng.choice(_CANCEL_REASONS)
        if rng.random() < 0.5:  # cancelled before a crew was sent
            if case.fee_quote > 0 and rng.random() < 0.4:
                case.cancel_reason = "车主不接受收费标准，取消救援"
            else:
                case.fee_agreed = True
                case.fee_agreed_at = case.received_at + self._minutes(0.5, 2.5)
            case.cancelled_at = case.received_at + self._minutes(3, 8)
            return
        self._stamps_to_dispatch(case)
        assert case.en_route_at is not None
        case.cancelled_at = case.en_route_at + self._minutes(2, 15)
        planned.crew = self._assign_crew(case, case.cancelled_at)

    # -- the open board --------------------------------------------------------------------
    def _make_open(self) -> None:
        taken: set[int] = set()
        drafts = []
        for status, band, timing in _OPEN_CASES:
            ci, vi = self._pick_vehicle(self.now - timedelta(hours=4), taken)
            taken.add(ci)
            fault = self._fault(self.customers[ci].vehicles[vi])
            case = self._new_case(ci, vi, self.now, band, fault)
            self._open_times(case, status, timing)
            drafts.append(_Planned(case, ci, vi))
        for planned in sorted(drafts, key=lambda p: p.case.dispatched_at or _FAR_DATE):
            case = planned.case
            if case.dispatched_at is not None:
                until = case.reported_back_at if case.reported_back_at else _FAR_DATE
                planned.crew = self._assign_crew(case, until)
            self._timeline(planned)
        self.open = sorted(drafts, key=lambda p: p.case.received_at)

    def _open_times(self, case: Case, status: CaseStatus, timing: str) -> None:
        """Set the stamps of an open case so that it stands as ``timing`` says at ``now``."""
        now = self.now
        case.status = status
        agreed = self._needs_agreed(case)
        if status is CaseStatus.RECEIVED:
            ago = {"new": (1, 4), "unagreed": (1, 3), "waiting": (9, 15)}[timing]
            case.received_at = now - self._minutes(*ago)
            if agreed:
                case.agreed_arrival_at = self._agreed_after(case.received_at, case.distance_km)
            if timing != "unagreed":
                case.fee_agreed = True
                waited = int((now - case.received_at).total_seconds())
                case.fee_agreed_at = case.received_at + timedelta(
                    seconds=self.rng.randint(10, min(150, waited - 10))
                )
            self._promise(case)
            return
        if status is CaseStatus.DISPATCHED:
            dispatched = now - self._minutes(1, 3)
            case.received_at = dispatched - self._minutes(3, 8)
            if agreed:
                case.agreed_arrival_at = self._agreed_after(case.received_at, case.distance_km)
            self._promise(case)
            self._stamps_to_dispatch(case)
            case.dispatched_at, case.en_route_at = dispatched, None
            return
        if status is CaseStatus.EN_ROUTE:
            left = {"risk": (3, 8), "late": (-25, -6), "ok": (15, 35)}[timing]
            due = now + self._minutes(*left)
            if agreed:  # a round time that still leaves the intended minutes
                if timing == "risk":
                    due = _ceil5(now + timedelta(minutes=3))
                else:
                    due = _floor5(due) if timing == "late" else _ceil5(due)
                case.agreed_arrival_at = due
                case.received_at = due - self._minutes(80, 110)
            else:
                span = self._arrival_span(case) or timedelta(minutes=40)
                case.received_at = due - span
            self._promise(case)
            self._stamps_to_dispatch(case)
            return
        # The crew arrived: work back from the latest stamp to the call.
        if status is CaseStatus.ON_SCENE:  # at work, not for longer than the job takes
            arrived = now - self._minutes(2, _WORK_MINUTES[case.plan][1] * 0.8)
        else:
            if status is CaseStatus.COMPLETED:
                completed = now - self._minutes(3, 15)
            else:
                reported = now - self._minutes(5, 35)
                completed = reported - self._minutes(15, 40)
                case.reported_back_at = reported
            case.completed_at = completed
            arrived = completed - self._minutes(*_WORK_MINUTES[case.plan])
        case.arrived_at = arrived
        met = timing == "met"
        due = arrived + (self._minutes(2, 15) if met else -self._minutes(4, 20))
        if agreed:
            due = _ceil5(due) if met else _floor5(due)
            case.agreed_arrival_at = due
            case.received_at = due - self._minutes(70, 90)
        else:
            span = self._arrival_span(case) or timedelta(minutes=40)
            case.received_at = due - span
        self._promise(case)
        self._stamps_to_dispatch(case)

    # -- case numbers and crew positions ---------------------------------------------------
    def _number(self) -> None:
        per_day: Counter[str] = Counter()
        for planned in [*self.history, *self.open]:
            day = planned.case.received_at.astimezone(self.tz).strftime("%Y%m%d")
            per_day[day] += 1
            planned.case.number = f"{day}-{per_day[day]:04d}"

    def _place_crews(self) -> None:
        """Where each crew is at ``now``, with the status its open case implies."""
        rng = self.rng
        holding = {p.crew: p for p in self.open if p.case.status in _HOLDS_CREW}
        idle = [i for i in range(len(self.crews)) if i not in holding]
        off_duty = idle[-1] if len(idle) > 1 else None
        for i, crew in enumerate(self.crews):
            crew.position_at = self.now - self._minutes(0.5, 6)
            planned = holding.get(i)
            if planned is None:
                if i == off_duty:
                    crew.status = CrewStatus.OFF_DUTY
                    crew.lat, crew.lon = self.depot
                    crew.position_at = self.now - self._minutes(60, 240)
                else:
                    crew.status = CrewStatus.AVAILABLE
                    km = rng.uniform(1, 30)
                    crew.lat, crew.lon = self._point(self._district(km), km)
                continue
            case = planned.case
            assert case.lat is not None and case.lon is not None
            crew.status = _CREW_STATUS[case.status]
            start_km = rng.uniform(1, 12)
            start = self._point(self._district(start_km), start_km)
            share = {
                CaseStatus.DISPATCHED: rng.uniform(0.0, 0.15),
                CaseStatus.EN_ROUTE: rng.uniform(0.35, 0.85),
                CaseStatus.ON_SCENE: 1.0,
                CaseStatus.COMPLETED: 0.97,
            }[case.status]
            crew.lat = round(start[0] + (case.lat - start[0]) * share, 5)
            crew.lon = round(start[1] + (case.lon - start[1]) * share, 5)

    # -- after the work: records, report-backs, feedback calls, surveys --------------------
    def _after_work(self) -> None:
        """The service record, report-back, feedback call and survey of every finished case,
        drawn after everything else: the cases, crews and customers come out as they did
        before the after-work existed; it only sets each case's service state, adds timeline
        lines and clears the feedback time of an owner who was never reached."""
        rng = self.rng
        closed = [p for p in self.history if p.case.status is CaseStatus.CLOSED]
        for planned in closed:
            result = rng.choices(_RESULTS, weights=(86, 5, 9))[0]
            planned.after = self._closed_after(planned, result)
        unhappy = self._unhappy([p for p in closed if _result(p) is FeedbackResult.ANSWERED])
        for planned in closed:
            if _result(planned) is FeedbackResult.ANSWERED:
                self._answer(planned, unhappy.get(id(planned)))
        for planned in closed:
            self._escalation(planned)
        finished = [p for p in self.open if p.case.status in _FINISHED]
        back = [i for i, p in enumerate(finished) if p.case.reported_back_at is not None]
        unaccepted = set(rng.sample(range(len(finished)), min(2, len(finished))))
        tried = set(rng.sample(back, min(2, len(back))))
        for i, planned in enumerate(finished):
            planned.after = self._open_after(planned, i not in unaccepted, i in tried)
        for planned in [*closed, *finished]:
            _resort(planned)

    def _closed_after(self, planned: _Planned, result: FeedbackResult) -> _After:
        case = planned.case
        record = self._record(planned, accepted=True)
        after = _After(record, self._report(planned))
        self._recorded(planned, record)
        assert after.report is not None
        self._reported(planned, after.report)
        task, attempts = self._feedback_call(planned, result, record.recorded_by)
        after.feedback, after.attempts = task, attempts
        last = attempts[-1]
        after.survey = SurveyRecord(
            case_id=0, task_id=None, at=last.at, actor=last.actor, result=result
        )
        if result is FeedbackResult.NOT_REACHED:
            case.feedback_at = None  # nobody reached: the feedback clock did not stop
        else:
            case.feedback_at = last.at
        if result is not FeedbackResult.ANSWERED:
            self._surveyed(planned, after)  # the answered ones once their answers are drawn
        return after

    def _open_after(self, planned: _Planned, accepted: bool, tried: bool) -> _After:
        """A finished case on the board: its record (maybe without the owner's acceptance)
        and its feedback call, still to be made (one try made after the report-back)."""
        case = planned.case
        assert case.completed_at is not None
        record = self._record(planned, accepted)
        after = _After(record)
        self._recorded(planned, record)
        task = self._feedback_task(case, record.recorded_by)
        after.feedback = task
        if case.reported_back_at is not None:
            after.report = self._report(planned)
            if not accepted:
                after.report.crew_notes = _NOT_ACCEPTED_NOTE
            self._reported(planned, after.report)
            room = int((self.now - case.reported_back_at).total_seconds()) - 120
            if tried and room > 60:
                at = case.reported_back_at + timedelta(seconds=self.rng.randint(60, room))
                attempt = CallAttempt(0, at, self._operator(at), Outcome.NOT_REACHED, "无人接听")
                task.attempts, task.next_try_at = 1, at + _RETRY
                after.attempts.append(attempt)
                self._attempted(planned, FEEDBACK_KIND, attempt, TaskState.OPEN)
        return after

    def _record(self, planned: _Planned, accepted: bool) -> ServiceRecord:
        """The service record as the crew filled it in and the operator saved it at
        completion (the save completed the case)."""
        rng = self.rng
        case = planned.case
        assert planned.crew is not None
        assert case.arrived_at is not None and case.completed_at is not None
        options = _AFTER_WORK[case.fault_description]
        _weight, cause, solution, parts = rng.choices(options, [o[0] for o in options])[0]
        if case.plan is RescuePlan.FUEL:
            litres = (case.fee_quote - self.policy.tariff[case.plan]) / _FUEL_PRICE
            solution = solution.format(litres=int(litres))
        customer = self.customers[planned.customer]
        new_car = customer.category is CustomerCategory.NEW_PRODUCT
        in_warranty = rng.random() < (0.8 if new_car else 0.08)
        tariff = self.policy.tariff[case.plan].quantize(_CENT)
        towing = case.plan is RescuePlan.TOWING
        parts_fee = sum((p[4] * p[1] for p in parts), Decimal("0"))
        if in_warranty:
            parts_fee = Decimal("0")  # replaced free under the warranty
        tow_km = Decimal(str(round(rng.uniform(3, 25), 1))) if towing else Decimal("0")
        other = case.fee_quote - tariff if case.plan is RescuePlan.FUEL else Decimal("0")
        fees = [
            FeeLine(FeeKind.LABOUR, _ZERO if towing else tariff),
            FeeLine(FeeKind.PARTS, parts_fee.quantize(_CENT)),
            FeeLine(FeeKind.TOWING, tariff if towing else _ZERO, tow_km),
            FeeLine(FeeKind.OTHER, other.quantize(_CENT)),
        ]
        recorded_by = next(e[1] for e in planned.events if e[2] == "completed")
        started = _minute(case.arrived_at)
        finished = max(started, _minute(case.completed_at - self._minutes(0, 2)))
        crew = self.crews[planned.crew]
        if planned.crew not in self.mates:
            self.mates[planned.crew] = self._name()
        record = ServiceRecord(
            case_id=0,
            crew_members=f"{crew.name}、{self.mates[planned.crew]}",
            work_started_at=started,
            work_finished_at=finished,
            cause=cause,
            solution=solution,
            no_parts=not parts,
            parts=[PartLine(p[0], p[1], p[2], p[3]) for p in parts],
            fees=fees,
            in_warranty=in_warranty,
            policy=self.policy.name,
            accepted=accepted,
            recorded_by=recorded_by,
            recorded_at=case.completed_at,
        )
        if accepted:
            record.accepted_by = case.caller_name
            phone = rng.random() < 0.12
            record.acceptance_method = AcceptanceMethod.PHONE if phone else AcceptanceMethod.SIGNED
            record.accepted_at = _minute(case.completed_at)
            record.acceptance_recorded_by = recorded_by
        case.service_state = record.state.value
        return record

    def _report(self, planned: _Planned) -> ReportBack:
        """The crew's report on return to base."""
        rng = self.rng
        case = planned.case
        assert case.reported_back_at is not None and case.completed_at is not None
        back = max(_minute(case.reported_back_at - self._minutes(0, 3)), case.completed_at)
        km = (case.distance_km * 2 * Decimal(str(rng.uniform(0.95, 1.15)))).quantize(_TENTH)
        if "高速" in case.address:
            expenses = Decimal(rng.randrange(10, 45, 5))  # tolls
        else:
            expenses = Decimal(rng.choice((5, 10, 15))) if rng.random() < 0.15 else _ZERO
        returned = rng.random() > 0.02
        notes = ""
        if not returned:
            notes = _EQUIPMENT_MISSING
        elif rng.random() < 0.12:
            notes = rng.choice(_CREW_NOTES)
        follow = _FOLLOW_UPS.get(case.plan, ())
        follow_up = rng.choice(follow) if follow and rng.random() < 0.1 else ""
        return ReportBack(back, km, expenses.quantize(_CENT), returned, notes, follow_up)

    def _feedback_task(self, case: Case, actor: str) -> CallTask:
        assert case.completed_at is not None
        return CallTask(
            kind=FEEDBACK_KIND,
            due_at=case.completed_at,
            created_at=case.completed_at,
            created_by=actor,
        )

    def _feedback_call(
        self, planned: _Planned, result: FeedbackResult, actor: str
    ) -> tuple[CallTask, list[CallAttempt]]:
        """The feedback call of a closed case: the try that finished it at the case's
        feedback time, earlier unanswered tries before it (three when nobody answered)."""
        rng = self.rng
        case = planned.case
        assert case.feedback_at is not None and case.reported_back_at is not None
        earliest = case.reported_back_at + timedelta(minutes=1)
        tries = (
            3 if result is FeedbackResult.NOT_REACHED else rng.choices((1, 2, 3), (75, 18, 7))[0]
        )
        times = [case.feedback_at]
        while len(times) < tries:
            gap = self._minutes(30, 90)
            if times[0] - gap < earliest:
                if result is not FeedbackResult.NOT_REACHED:
                    break
                gap = (times[0] - earliest) / 2
            times.insert(0, times[0] - gap)
        attempts = []
        for n, at in enumerate(times, start=1):
            if n < len(times) or result is FeedbackResult.NOT_REACHED:
                outcome = rng.choice(_NO_ANSWER)
                note = "无人接听" if outcome is Outcome.NOT_REACHED else "占线"
            elif result is FeedbackResult.REFUSED:
                outcome, note = Outcome.REFUSED, "车主表示很忙，不愿接受回访"
            else:
                outcome, note = Outcome.REACHED, ""
            attempts.append(CallAttempt(0, at, self._operator(at), outcome, note))
        task = self._feedback_task(case, actor)
        task.attempts = len(attempts)
        last = attempts[-1]
        task.state = TaskState.DONE if last.outcome is Outcome.REACHED else TaskState.GIVEN_UP
        task.closed_at, task.closed_by = last.at, last.actor
        if len(attempts) > 1:
            task.next_try_at = attempts[-2].at + _RETRY
        for attempt in attempts:
            state = TaskState.OPEN if attempt is not last else task.state
            self._attempted(planned, FEEDBACK_KIND, attempt, state)
        return task, attempts

    def _unhappy(self, answered: list[_Planned]) -> dict[int, str]:
        """Which answered surveys are not plain satisfied ones: 2–5 % of each month's (the
        month of the call, in the centre's time zone) are dissatisfied ("unhappy"), so a
        month's rate lands near the 97 % target. One survey of the last two days is escalated:
        a dissatisfied owner ("escalate") once the month has enough surveys for one not to
        sink its rate, before that a satisfied owner whose fault came back ("fault")."""
        rng = self.rng
        months: dict[tuple[int, int], list[_Planned]] = {}
        for planned in answered:
            local = _survey_at(planned).astimezone(self.tz)
            months.setdefault((local.year, local.month), []).append(planned)
        current = self.now.astimezone(self.tz)
        unhappy: dict[int, str] = {}
        for month, planned_list in months.items():
            picks = rng.sample(planned_list, round(len(planned_list) * rng.uniform(0.02, 0.05)))
            unhappy.update((id(p), "unhappy") for p in picks)
            if month != (current.year, current.month):
                continue
            recent = [p for p in planned_list if _survey_at(p) >= self.now - timedelta(days=2)]
            if not recent:
                continue
            escalated = rng.choice(recent)
            if len(planned_list) >= 20:
                if id(escalated) not in unhappy and picks:
                    del unhappy[id(picks[0])]  # the month keeps its count
                unhappy[id(escalated)] = "escalate"
            else:
                unhappy[id(escalated)] = "fault"
        return unhappy

    def _answer(self, planned: _Planned, unhappy: str | None) -> None:
        """The survey's answers: satisfied (``unhappy`` None), dissatisfied ("unhappy"; with a
        rating of 1: "escalate"), or satisfied yet with the fault back ("fault")."""
        rng = self.rng
        after = planned.after
        assert after is not None and after.survey is not None and after.feedback is not None
        answers = {q: rng.choices((5, 4, 3), (72, 24, 4))[0] for q in _SURVEY_QUESTIONS}
        answers["q6"] = 2  # no fault left open
        answers["q9"] = rng.choices((5, 4), (80, 20))[0]
        reasons: dict[str, str] = {}
        comment = rng.choice(_PRAISE) if rng.random() < 0.2 else ""
        if unhappy == "fault":
            answers["q6"], answers["q8"] = 1, 3
            comment = _FAULT_BACK
        elif unhappy is not None:
            question, why = rng.choice(_COMPLAINTS)
            answers[question] = 1 if unhappy == "escalate" or rng.random() < 0.4 else 2
            answers["q9"] = rng.choices((1, 2, 3), (2, 3, 3))[0]
            if question == "q8" and rng.random() < 0.6:
                answers["q6"] = 1  # the fault is back
            reasons = {q: why for q, v in answers.items() if q != "q6" and v <= 2}
            comment = why
        escalations = [f"very_dissatisfied:{q}" for q, v in answers.items() if q != "q6" and v == 1]
        if answers["q6"] == 1:
            escalations.append("open_fault")
        survey = after.survey
        survey.template, survey.answers, survey.reasons = SURVEY_TEMPLATE, answers, reasons
        survey.comment, survey.satisfied = comment, answers["q9"] >= 4
        survey.escalations = escalations
        payload: dict[str, Any] = {
            "template": SURVEY_TEMPLATE,
            "answers": answers,
            "reasons": reasons,
            "comment": comment,
            "satisfied": survey.satisfied,
            "escalations": escalations,
        }
        after.attempts[-1].payload = payload
        after.feedback.result = payload
        # The finishing try's timeline line carries the result (as the call desk writes it).
        for i, event in enumerate(planned.events):
            if event[2] == "call_attempt" and event[0] == survey.at:
                details = {**event[3], **{f"result_{k}": v for k, v in payload.items()}}
                planned.events[i] = (event[0], event[1], event[2], details)
        self._surveyed(planned, after)

    def _escalation(self, planned: _Planned) -> None:
        """A very dissatisfied owner or an open fault: a call for a supervisor, made within
        hours, or still open when recent."""
        after = planned.after
        assert after is not None and after.survey is not None
        survey = after.survey
        if not survey.escalations:
            return
        task = CallTask(
            kind=ESCALATION_KIND,
            due_at=survey.at,
            created_at=survey.at,
            created_by=survey.actor,
            note=", ".join(survey.escalations)[:500],
        )
        after.escalation = task
        planned.events.append(
            (survey.at, survey.actor, "escalated", {"reasons": survey.escalations})
        )
        if survey.at >= self.now - timedelta(days=3):
            return  # on the desk, listed first
        at = survey.at + self._minutes(20, 180)
        attempt = CallAttempt(
            0, at, SUPERVISOR, Outcome.REACHED, self.rng.choice(_ESCALATION_NOTES)
        )
        task.state, task.attempts = TaskState.DONE, 1
        task.closed_at, task.closed_by = at, SUPERVISOR
        after.escalation_attempts.append(attempt)
        self._attempted(planned, ESCALATION_KIND, attempt, TaskState.DONE)

    # -- follow-up calls (issue 13 §2) ------------------------------------------------------
    def _follow_ups(self) -> None:
        """Revisits and promised call-backs, drawn last from their own generator (the rest of
        the data comes out as before): a few services three months old and more, whose
        revisit fell due (one within its week, some overdue, one tried, one answered), and
        promises from open cases and to numbers with no case (due, overdue, later today, one
        tried, one kept)."""
        main, self.rng = self.rng, random.Random(self.rng.random())
        vehicles, crews = self.vehicle_free_at, self.crew_free_at
        self.vehicle_free_at, self.crew_free_at = {}, [_LONG_AGO] * len(self.crews)
        try:
            self._old_services()
            self._promises()
        finally:
            self.rng = main
            self.vehicle_free_at = vehicles
            self.crew_free_at = crews

    def _old_services(self) -> None:
        """Six closed rescues 93–108 days ago and their revisits (seed 004: 销售后3个月以上)."""
        rules = RevisitRules()
        per_day: Counter[str] = Counter()
        for days, state in zip(
            (108, 104, 101, 99, 96, 93),
            ("overdue", "overdue", "answered", "tried", "due", "due"),
            strict=True,
        ):
            local = (self.now - timedelta(days=days)).astimezone(self.tz)
            received = local.replace(hour=self.rng.randint(8, 18)).astimezone(UTC)
            planned = self._closed_case(received)
            if planned.case.status is not CaseStatus.CLOSED:
                continue
            planned.after = self._closed_after(planned, FeedbackResult.ANSWERED)
            self._answer(planned, None)
            day = planned.case.received_at.astimezone(self.tz).strftime("%Y%m%d")
            per_day[day] += 1
            planned.case.number = f"{day}-{per_day[day]:04d}"
            assert planned.case.completed_at is not None
            due = revisit_due_at(planned.case.completed_at, rules, self.tz)
            if due > self.now:
                due = self.now - self._minutes(60, 600)
            task = CallTask(
                kind=REVISIT_KIND,
                due_at=due,
                created_at=due,
                created_by=SWEEP_ACTOR,
                unique_key=revisit_unique_key(0),  # the case's id, once written
            )
            planned.events.append(
                (due, SWEEP_ACTOR, "call_scheduled", {"kind": REVISIT_KIND, "due": due.isoformat()})
            )
            attempts: list[CallAttempt] = []
            if state == "tried":
                at = due + self._minutes(30, 240)
                attempts.append(
                    CallAttempt(0, at, self._operator(at), Outcome.NOT_REACHED, "无人接听")
                )
                task.attempts, task.next_try_at = 1, at + timedelta(days=1)
                self._attempted(planned, REVISIT_KIND, attempts[-1], TaskState.OPEN)
            elif state == "answered":
                at = due + self._minutes(30, 300)
                answers = {q: self.rng.choice((4, 5)) for q in _SURVEY_QUESTIONS}
                answers["q6"] = 2
                payload: dict[str, Any] = {
                    "template": REVISIT_SURVEY,
                    "answers": answers,
                    "reasons": {},
                    "comment": "设备使用正常，感谢回访",
                    "satisfied": answers["q9"] >= 4,
                    "escalations": [],
                }
                attempt = CallAttempt(0, at, self._operator(at), Outcome.REACHED, "", payload)
                attempts.append(attempt)
                task.attempts, task.state, task.result = 1, TaskState.DONE, payload
                task.closed_at, task.closed_by = at, attempt.actor
                self._attempted(planned, REVISIT_KIND, attempt, TaskState.DONE)
                planned.revisit_survey = SurveyRecord(
                    case_id=0,
                    task_id=None,
                    at=at,
                    actor=attempt.actor,
                    result=FeedbackResult.ANSWERED,
                    template=REVISIT_SURVEY,
                    answers=answers,
                    comment=payload["comment"],
                    satisfied=payload["satisfied"],
                    kind=REVISIT_KIND,
                )
                planned.events.append(
                    (
                        at,
                        attempt.actor,
                        "revisit",
                        {"result": "answered", "satisfied": True, "escalations": []},
                    )
                )
            planned.calls.append((task, attempts))
            _resort(planned)
            self.history.append(planned)

    def _promises(self) -> None:
        """Promised call-backs (约定期间内做回访): from open cases and to numbers alone."""
        rng = self.rng
        waiting = [p for p in self.open if p.case.status is not CaseStatus.CANCELLED]
        rng.shuffle(waiting)
        plans = [  # (minutes from now to its time, what was promised, tries made)
            (-95, "回电告知配件到货时间", 0),
            (-8, "确认拖车到达修理厂后车主是否满意", 0),
            (-50, "告知保险报案号", 1),
            (150, "回电确认明早上门检修时间", 0),
        ]
        for (offset, what, tries), planned in zip(plans, waiting, strict=False):
            case = planned.case
            due = _floor5(self.now + timedelta(minutes=offset))
            made = min(case.received_at + self._minutes(2, 20), self.now - timedelta(minutes=1))
            actor = self._operator(made)
            task = CallTask(
                kind=CALLBACK_KIND, due_at=due, created_at=made, created_by=actor, note=what
            )
            planned.events.append(
                (
                    made,
                    actor,
                    "call_scheduled",
                    {"kind": CALLBACK_KIND, "due": due.isoformat(), "note": what},
                )
            )
            attempts = []
            if tries:
                at = due + timedelta(minutes=2)
                attempts.append(CallAttempt(0, at, self._operator(at), Outcome.BUSY, "占线"))
                task.attempts, task.next_try_at = 1, at + timedelta(minutes=15)
                self._attempted(planned, CALLBACK_KIND, attempts[-1], TaskState.OPEN)
            planned.calls.append((task, attempts))
            _resort(planned)
        # Numbers with no case: a caller asking about a quote, another about a claim.
        for offset, name, what, done in (
            (-35, "黄先生", "查询年检代办价格后回电", False),
            (-24 * 60, "林女士", "回电告知理赔材料清单", True),
        ):
            due = _floor5(self.now + timedelta(minutes=offset))
            made = due - self._minutes(30, 180)
            actor = self._operator(made)
            phone = self._mobile()
            task = CallTask(
                kind=CALLBACK_KIND,
                due_at=due,
                created_at=made,
                created_by=actor,
                note=what,
                contact_name=name,
                contact_phone=phone,
            )
            attempts = []
            if done:
                at = due + self._minutes(1, 10)
                answer = "已告知所需材料：保单、驾驶证、事故认定书"
                attempt = CallAttempt(
                    0, at, self._operator(at), Outcome.REACHED, "", {"answer": answer}
                )
                attempts.append(attempt)
                task.attempts, task.state, task.result = 1, TaskState.DONE, {"answer": answer}
                task.closed_at, task.closed_by = at, attempt.actor
            self.contact_calls.append((task, attempts))

    # -- the timeline lines of the after-work (as the services write them) ---------------
    def _recorded(self, planned: _Planned, record: ServiceRecord) -> None:
        assert record.recorded_at is not None
        details: dict[str, Any] = {
            "state": record.state.value,
            "version": 1,
            "total": str(record.total),
            "changed": [],
        }
        planned.events.append((record.recorded_at, record.recorded_by, "service_recorded", details))
        due = record.recorded_at.isoformat()
        planned.events.append(
            (
                record.recorded_at,
                record.recorded_by,
                "call_scheduled",
                {"kind": FEEDBACK_KIND, "due": due},
            )
        )

    def _reported(self, planned: _Planned, report: ReportBack) -> None:
        """The report-back's line carries what the crew reported."""
        for i, event in enumerate(planned.events):
            if event[2] == "reported_back":
                details = {
                    "back_at": report.back_at.isoformat(),
                    "km": str(report.km_driven),
                    "expenses": str(report.expenses),
                    "equipment_returned": report.equipment_returned,
                    "notes": report.crew_notes,
                    "follow_up": report.follow_up,
                }
                planned.events[i] = (event[0], event[1], event[2], details)

    def _attempted(
        self, planned: _Planned, kind: str, attempt: CallAttempt, state: TaskState
    ) -> None:
        details = {
            "kind": kind,
            "outcome": attempt.outcome.value,
            "state": state.value,
            "note": attempt.note,
        }
        planned.events.append((attempt.at, attempt.actor, "call_attempt", details))

    def _surveyed(self, planned: _Planned, after: _After) -> None:
        survey = after.survey
        assert survey is not None
        details = {
            "result": survey.result.value,
            "satisfied": survey.satisfied,
            "escalations": survey.escalations,
        }
        planned.events.append((survey.at, survey.actor, "feedback", details))


def _ceil5(instant: datetime) -> datetime:
    """``instant`` rounded up to whole five minutes (agreed times are round numbers)."""
    return datetime.fromtimestamp(math.ceil(instant.timestamp() / 300) * 300, UTC)


def _floor5(instant: datetime) -> datetime:
    """``instant`` rounded down to whole five minutes."""
    return datetime.fromtimestamp(math.floor(instant.timestamp() / 300) * 300, UTC)


def _minute(instant: datetime) -> datetime:
    """``instant`` to the whole minute (times typed into a form have no seconds)."""
    return instant.replace(second=0, microsecond=0)


def _result(planned: _Planned) -> FeedbackResult | None:
    after = planned.after
    return after.survey.result if after is not None and after.survey is not None else None


def _survey_at(planned: _Planned) -> datetime:
    assert planned.after is not None and planned.after.survey is not None
    return planned.after.survey.at


def _resort(planned: _Planned) -> None:
    """The timeline in time order (lines of one instant keep the order they were written
    in); the case was last changed by its last line."""
    planned.events.sort(key=lambda e: e[0])
    case = planned.case
    case.updated_at, case.updated_by = planned.events[-1][0], planned.events[-1][1]


# --------------------------------------------------------------------------------------------
# Writing


def _write(uow_factory: UnitOfWorkFactory, plan: _Planner) -> DemoSummary:
    staff_added = 0
    with uow_factory(write=True) as uow:
        if uow.cases.count() or uow.customers.count() or uow.crews.list():
            raise CallCenterError(
                _("The database already holds data: add --reset to replace it with demo data.")
            )
        for username, display_name, role in _STAFF:
            if uow.staff.get(username) is None:
                uow.staff.add(Staff(username, display_name, role))
                staff_added += 1
        placed = [(c.status, c.lat, c.lon, c.position_at) for c in plan.crews]
        since = plan.now - timedelta(days=HISTORY_DAYS + 1)
        for crew in plan.crews:
            crew.status, crew.lat, crew.lon, crew.position_at = (
                CrewStatus.AVAILABLE,
                plan.depot[0],
                plan.depot[1],
                since,
            )
            uow.crews.add(crew)
        for customer in plan.customers:
            uow.customers.add(customer)
        uow.commit()

    counts: Counter[str] = Counter()
    events: list[CaseEvent] = []  # each transaction's timelines, inserted at once
    with uow_factory(write=True) as uow:
        for planned in plan.history:
            _write_case(uow, plan, planned, counts, events)
        uow.events.append_many(events)
        uow.commit()

    with uow_factory(write=True) as uow:
        events = []
        for planned in plan.open:
            _write_case(uow, plan, planned, counts, events)
        uow.events.append_many(events)
        for task, attempts in plan.contact_calls:
            _write_call(uow, task, attempts)
            counts[f"open_{task.kind}"] += task.is_open
        by_case = {p.crew: p.case.id for p in plan.open if p.case.status in _HOLDS_CREW}
        for i, (crew, (status, lat, lon, at)) in enumerate(zip(plan.crews, placed, strict=True)):
            crew.status, crew.lat, crew.lon, crew.position_at = status, lat, lon, at
            crew.current_case_id = by_case.get(i)
            uow.crews.save(crew)
        uow.commit()

    with uow_factory(write=True) as uow:
        complaints = _write_complaints(uow, plan)
        uow.commit()

    history = [p.case for p in plan.history]
    afters = [p.after for p in [*plan.history, *plan.open] if p.after is not None]
    surveys = [a.survey for a in afters if a.survey is not None]
    results = Counter(s.result for s in surveys)
    local = plan.now.astimezone(plan.tz)
    month = [
        s
        for s in surveys
        if s.result is FeedbackResult.ANSWERED
        and (s.at.astimezone(plan.tz).year, s.at.astimezone(plan.tz).month)
        == (local.year, local.month)
    ]
    open_by_status = Counter(p.case.status.value for p in plan.open)
    return DemoSummary(
        staff=staff_added,
        crews=len(plan.crews),
        customers=len(plan.customers),
        vehicles=sum(len(c.vehicles) for c in plan.customers),
        open_cases=len(plan.open),
        open_by_status={s.value: open_by_status[s.value] for s in CaseStatus if s.is_open},
        closed_cases=sum(1 for c in history if c.status is CaseStatus.CLOSED),
        cancelled_cases=sum(1 for c in history if c.status is CaseStatus.CANCELLED),
        events=counts["events"],
        assignments=counts["assignments"],
        history_since=min((c.received_at for c in history), default=None),
        records=counts["records"],
        not_accepted=sum(1 for a in afters if not a.record.accepted),
        ledger_entries=counts["ledger"],
        surveys={r.value: results[r] for r in FeedbackResult if results[r]},
        satisfied=sum(1 for s in month if s.satisfied),
        answered=sum(1 for s in month if s.satisfied is not None),
        open_feedback_calls=sum(1 for a in afters if a.feedback and a.feedback.is_open),
        open_escalations=sum(1 for a in afters if a.escalation and a.escalation.is_open),
        complaints=complaints,
        open_revisits=counts[f"open_{REVISIT_KIND}"],
        open_callbacks=counts[f"open_{CALLBACK_KIND}"],
    )


def _write_case(
    uow: UnitOfWork,
    plan: _Planner,
    planned: _Planned,
    counts: Counter[str],
    events: list[CaseEvent],
) -> None:
    case = planned.case
    customer = plan.customers[planned.customer]
    case.customer_id = customer.id
    case.vehicle_id = customer.vehicles[planned.vehicle].id
    crew = plan.crews[planned.crew] if planned.crew is not None else None
    case.crew_id = crew.id if crew else None
    uow.cases.add(case)
    assert case.id is not None
    written: list[CaseEvent] = []
    for at, actor, kind, details in planned.events:
        if kind == "dispatched" and crew is not None:
            details = {"crew": crew.code, "crew_id": crew.id}
            assert crew.id is not None and case.dispatched_at is not None
            released = case.reported_back_at or case.cancelled_at
            uow.assignments.add(Assignment(case.id, crew.id, case.dispatched_at, actor, released))
            counts["assignments"] += 1
        written.append(CaseEvent(case.id, at, actor, kind, details))
        counts["events"] += 1
    events.extend(written)
    if planned.after is not None:
        _write_after(uow, case, crew, planned.after, written, counts)
    for task, attempts in planned.calls:
        task.case_id, task.customer_id = case.id, customer.id
        if task.unique_key is not None:
            task.unique_key = revisit_unique_key(case.id)
        _write_call(uow, task, attempts)
        counts[f"open_{task.kind}"] += task.is_open
        if planned.revisit_survey is not None and task.kind == REVISIT_KIND:
            planned.revisit_survey.case_id, planned.revisit_survey.task_id = case.id, task.id
            uow.surveys.add(planned.revisit_survey)


def _write_call(uow: UnitOfWork, task: CallTask, attempts: list[CallAttempt]) -> None:
    uow.calls.add(task)
    assert task.id is not None
    for attempt in attempts:
        attempt.task_id = task.id
        uow.calls.add_attempt(attempt)


def _write_after(
    uow: UnitOfWork,
    case: Case,
    crew: Crew | None,
    after: _After,
    events: list[CaseEvent],
    counts: Counter[str],
) -> None:
    """The record and its first version, the calls and their tries, the survey, the ledger
    entry of a finished case (just written as ``case``)."""
    assert case.id is not None
    record = after.record
    record.case_id = case.id
    uow.records.add(record)
    assert record.id is not None and record.recorded_at is not None
    uow.records.add_version(
        RecordVersion(
            record_id=record.id,
            case_id=case.id,
            version=record.version,
            at=record.recorded_at,
            actor=record.recorded_by,
            action="created",
            changes={},
            snapshot=record.snapshot(),
        )
    )
    counts["records"] += 1
    for task, attempts in (
        (after.feedback, after.attempts),
        (after.escalation, after.escalation_attempts),
    ):
        if task is None:
            continue
        task.case_id = case.id
        uow.calls.add(task)
        assert task.id is not None
        for attempt in attempts:
            attempt.task_id = task.id
            uow.calls.add_attempt(attempt)
        counts["calls"] += 1
    if after.survey is not None:
        after.survey.case_id = case.id
        after.survey.task_id = after.feedback.id if after.feedback is not None else None
        uow.surveys.add(after.survey)
        counts["surveys"] += 1
    if after.report is not None:
        assert case.updated_at is not None
        uow.ledger.put(
            ledger_entry(
                case,
                crew=crew,
                record=record,
                report=after.report,
                survey=after.survey,
                events=events,
                now=case.updated_at,
            )
        )
        counts["ledger"] += 1


# --------------------------------------------------------------------------------------------
# Complaints (客户投诉): some in each status, one past its first deadline, one crew twice

#: (hours ago, status, category, channel, crew: index into the crews or None, what they say,
#: plan, resolution, satisfied, close reason)
_ComplaintRow = tuple[float, str, str, str, int | None, str, str, str, bool | None, str]
_DEMO_COMPLAINTS: tuple[_ComplaintRow, ...] = (
    (
        24 * 60,
        "closed",
        "attitude",
        "phone",
        0,
        "救援人员态度生硬，不耐烦回答问题",
        "向客户致歉，对当事人批评教育",
        "当事人已电话致歉，客户表示接受",
        True,
        "",
    ),
    (
        24 * 41,
        "closed",
        "repeat_repair",
        "visit",
        1,
        "电瓶问题一个月内第二次叫救援，同一问题重复修理",
        "安排技术主管复检",
        "更换发电机调节器",
        False,
        "客户拒绝再次沟通，主管决定关闭",
    ),
    (
        24 * 20,
        "confirmed",
        "lateness",
        "phone",
        3,
        "承诺40分钟到达，实际等了一个半小时",
        "核实派车记录",
        "延误属实，已向客户道歉并免收服务费",
        True,
        "",
    ),
    (
        24 * 10,
        "handling",
        "soliciting",
        "letter",
        2,
        "救援人员暗示要红包才肯快点修",
        "约谈当事人，调查取证",
        "",
        None,
        "",
    ),
    (
        50,
        "resolved",
        "fees",
        "phone",
        None,
        "拖车收费与电话里说的不一致",
        "核对收费标准",
        "多收的80元已退回客户",
        None,
        "",
    ),
    (
        30,
        "handling",
        "quality",
        "phone",
        None,
        "补胎后第二天又漏气",
        "安排服务车上门复查",
        "",
        None,
        "",
    ),
    (2, "received", "quarrel", "phone", 2, "救援人员与我发生口角，顶撞用户", "", "", None, ""),
    (
        0.3,
        "received",
        "not_served",
        "visit",
        5,
        "接单后很久没人联系，因个人原因未及时服务",
        "",
        "",
        None,
        "",
    ),
)


def _write_complaints(uow: UnitOfWork, plan: _Planner) -> dict[str, int]:
    """The demo's complaints, as the services would have left them (their call-backs, the
    escalation of a crew complained about twice in 30 days); the sweep raises the alerts of
    the one past its first deadline on the first run."""
    from callcenter.complaints.model import (
        Category,
        Channel,
        Complaint,
        Escalation,
        EscalationKind,
        Status,
        deadlines,
    )
    from callcenter.complaints.model import Clock as ComplaintClock

    policy = plan.policy.complaints
    counts: Counter[str] = Counter()
    by_crew: dict[int, list[Complaint]] = {}
    customers = [c for c in plan.customers if c.id is not None]
    per_day: Counter[str] = Counter()
    for i, row in enumerate(_DEMO_COMPLAINTS):
        hours, status, category, channel, crew_index, says, plan_text, resolution = row[:8]
        satisfied, reason = row[8], row[9]
        received = _minute(plan.now - timedelta(hours=hours))
        customer = customers[(i * 7) % len(customers)]
        crew = plan.crews[crew_index] if crew_index is not None else None
        due = deadlines(received, policy)
        actor = plan._operator(received)
        day = received.astimezone(plan.tz).strftime("%Y%m%d")
        per_day[day] += 1
        complaint = Complaint(
            received_at=received,
            channel=Channel(channel),
            customer_name=customer.name,
            phone=customer.phone,
            category=Category(category),
            description=says,
            notify_due_at=due[ComplaintClock.NOTIFY],
            plan_due_at=due[ComplaintClock.PLAN],
            resolve_due_at=due[ComplaintClock.RESOLVE],
            created_by=actor,
            number=f"TS{day}-{per_day[day]:03d}",
            customer_id=customer.id,
            crew_id=crew.id if crew is not None else None,
            crew_member=crew.name if crew is not None else "",
            department="售后服务部" if crew is not None else "客服中心",
            responsible="刘经理" if crew is not None else "周主任",
            status=Status(status),
            policy=plan.policy.name,
            updated_at=received,
            updated_by=actor,
        )
        if status != "received":
            complaint.notified_at = received + timedelta(minutes=25)
            complaint.plan = plan_text
            complaint.planned_at = received + timedelta(minutes=100)
        if resolution:
            complaint.resolution = resolution
            complaint.resolved_at = received + timedelta(hours=20)
            complaint.resolved_by = actor
            complaint.updated_at = complaint.resolved_at
        if status == "resolved":
            assert complaint.resolved_at is not None
            task = uow.calls.add(
                CallTask(
                    kind="complaint_callback",
                    due_at=complaint.resolved_at,
                    created_at=complaint.resolved_at,
                    created_by=actor,
                    customer_id=customer.id,
                    note=f"投诉 {complaint.number}: {customer.name}",
                )
            )
            complaint.callback_task_id = task.id
        if satisfied is not None:
            complaint.satisfied = satisfied
            if satisfied:
                complaint.confirmed_at = received + timedelta(hours=30)
        if status == "closed":
            complaint.closed_at = received + timedelta(hours=40)
            complaint.closed_by = SUPERVISOR
            complaint.close_reason = reason
            complaint.updated_at, complaint.updated_by = complaint.closed_at, SUPERVISOR
        uow.complaints.add(complaint)
        counts[status] += 1
        if crew is not None and crew.id is not None:
            earlier = [
                c
                for c in by_crew.get(crew.id, [])
                if c.received_at >= received - timedelta(days=policy.crew_repeat_days)
            ]
            by_crew.setdefault(crew.id, []).append(complaint)
            if earlier:
                uow.escalations.add_if_absent(
                    Escalation(
                        EscalationKind.CREW_REPEAT,
                        f"crew_repeat:{crew.id}:{complaint.id}",
                        received,
                        actor,
                        f"{crew.code}|{len(earlier) + 1}|{policy.crew_repeat_days}|"
                        f"{complaint.number}",
                        complaint_id=complaint.id,
                        crew_id=crew.id,
                    )
                )
    return {s.value: counts[s.value] for s in Status if counts[s.value]}
