"""Enumerations of the domain, each with a label marked for translation."""

from __future__ import annotations

from enum import StrEnum

from callcenter.i18n import N_, _


class Labelled(StrEnum):
    """A string enum whose members carry an English label, translated on display."""

    @property
    def label(self) -> str:
        # Keyed by class too: str enums of different classes with one value compare equal.
        return _(_LABELS[type(self), self.value])


class CaseStatus(Labelled):
    RECEIVED = "received"  # 已登记, waiting for dispatch
    DISPATCHED = "dispatched"  # 已派车
    EN_ROUTE = "en_route"  # 途中
    ON_SCENE = "on_scene"  # 到达现场
    COMPLETED = "completed"  # 救援完成
    REPORTED_BACK = "reported_back"  # 已回厂
    CLOSED = "closed"  # 已结案
    CANCELLED = "cancelled"  # 已取消

    @property
    def is_open(self) -> bool:
        return self not in (CaseStatus.CLOSED, CaseStatus.CANCELLED)


OPEN_STATUSES = tuple(s for s in CaseStatus if s.is_open)


class Priority(Labelled):
    URGENT = "urgent"  # 紧急 (vehicle unusable)
    SEVERE = "severe"  # 严重
    GENERAL = "general"  # 一般

    @property
    def rank(self) -> int:
        return {"urgent": 0, "severe": 1, "general": 2}[self.value]


class RescuePlan(Labelled):
    TOWING = "towing"  # 拖车
    ONSITE_REPAIR = "onsite_repair"  # 现场抢修
    BATTERY = "battery"  # 搭电/换电瓶
    TYRE = "tyre"  # 换胎
    FUEL = "fuel"  # 送油
    LOCKOUT = "lockout"  # 开锁
    OTHER = "other"


class FaultCategory(Labelled):
    ENGINE = "engine"
    ELECTRICAL = "electrical"
    TYRE = "tyre"
    BRAKES = "brakes"
    TRANSMISSION = "transmission"
    FUEL = "fuel"
    LOCKOUT = "lockout"
    ACCIDENT = "accident"
    OTHER = "other"


class VehicleType(Labelled):
    CAR = "car"  # 小型轿车
    SUV = "suv"
    VAN = "van"  # 面包车/客车
    TRUCK = "truck"  # 货车
    BUS = "bus"  # 大客车
    NEW_ENERGY = "new_energy"  # 新能源车
    MOTORCYCLE = "motorcycle"
    MACHINERY = "machinery"  # 工程机械


class CrewStatus(Labelled):
    AVAILABLE = "available"  # 待命
    DISPATCHED = "dispatched"  # 已派出
    EN_ROUTE = "en_route"  # 途中
    ON_SCENE = "on_scene"  # 现场作业
    RETURNING = "returning"  # 返程
    OFF_DUTY = "off_duty"  # 下班
    OUT_OF_SERVICE = "out_of_service"  # 停用: vehicle broken down, crew unfit (a supervisor's call)


#: A crew that cannot be sent: off duty or out of service (a supervisor's decision).
NOT_ON_DUTY = frozenset({CrewStatus.OFF_DUTY, CrewStatus.OUT_OF_SERVICE})


class CustomerCategory(Labelled):
    GENERAL = "general"  # 一般客户
    SPECIAL = "special"  # 特殊客户
    GROUP = "group"  # 集团客户
    NEW_PRODUCT = "new_product"  # 新产品客户


class Role(Labelled):
    OPERATOR = "operator"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class AlertKind(Labelled):
    RESPONSE_OVERDUE = "response_overdue"
    ARRIVAL_AT_RISK = "arrival_at_risk"
    ARRIVAL_LATE = "arrival_late"
    REPAIR_OVERDUE = "repair_overdue"
    FEEDBACK_OVERDUE = "feedback_overdue"


class DelayReason(Labelled):
    TRAFFIC_JAM = "traffic_jam"  # 交通堵塞
    TRAFFIC_CONTROL = "traffic_control"  # 交通管制
    ACCIDENT = "accident"  # 交通事故
    ROAD_WORKS = "road_works"  # 道路施工
    WEATHER = "weather"
    CREW_BREAKDOWN = "crew_breakdown"
    OTHER = "other"

    @property
    def is_force_majeure(self) -> bool:
        return self in FORCE_MAJEURE


class OwnerNotice(Labelled):
    """Whether the owner of a case has been told its crew will be late (for the board)."""

    NOT_NEEDED = "not_needed"  # not at risk, on scene, or closed
    DUE = "due"  # at risk or late, and nobody has phoned the owner yet
    CALLING = "calling"  # an operator has claimed the call
    NOT_REACHED = "not_reached"  # the last call did not reach the owner; it will prompt again
    TOLD = "told"  # the owner was told about the current promise


FORCE_MAJEURE = frozenset(
    {
        DelayReason.TRAFFIC_JAM,
        DelayReason.TRAFFIC_CONTROL,
        DelayReason.ACCIDENT,
        DelayReason.ROAD_WORKS,
    }
)


_LABEL_LIST: list[tuple[Labelled, str]] = [
    (CaseStatus.RECEIVED, N_("Received")),
    (CaseStatus.DISPATCHED, N_("Dispatched")),
    (CaseStatus.EN_ROUTE, N_("En route")),
    (CaseStatus.ON_SCENE, N_("On scene")),
    (CaseStatus.COMPLETED, N_("Completed")),
    (CaseStatus.REPORTED_BACK, N_("Reported back")),
    (CaseStatus.CLOSED, N_("Closed")),
    (CaseStatus.CANCELLED, N_("Cancelled")),
    (Priority.URGENT, N_("Urgent")),
    (Priority.SEVERE, N_("Severe")),
    (Priority.GENERAL, N_("General")),
    (RescuePlan.TOWING, N_("Towing")),
    (RescuePlan.ONSITE_REPAIR, N_("On-site repair")),
    (RescuePlan.BATTERY, N_("Battery")),
    (RescuePlan.TYRE, N_("Tyre change")),
    (RescuePlan.FUEL, N_("Fuel delivery")),
    (RescuePlan.LOCKOUT, N_("Lock-out")),
    (RescuePlan.OTHER, N_("Other")),
    (FaultCategory.ENGINE, N_("Engine")),
    (FaultCategory.ELECTRICAL, N_("Electrical")),
    (FaultCategory.TYRE, N_("Tyre")),
    (FaultCategory.BRAKES, N_("Brakes")),
    (FaultCategory.TRANSMISSION, N_("Transmission")),
    (FaultCategory.FUEL, N_("Out of fuel")),
    (FaultCategory.LOCKOUT, N_("Locked out")),
    (FaultCategory.ACCIDENT, N_("Accident")),
    (FaultCategory.OTHER, N_("Other")),
    (VehicleType.CAR, N_("Car")),
    (VehicleType.SUV, N_("SUV")),
    (VehicleType.VAN, N_("Van")),
    (VehicleType.TRUCK, N_("Truck")),
    (VehicleType.BUS, N_("Bus")),
    (VehicleType.NEW_ENERGY, N_("New-energy vehicle")),
    (VehicleType.MOTORCYCLE, N_("Motorcycle")),
    (VehicleType.MACHINERY, N_("Machinery")),
    (CrewStatus.AVAILABLE, N_("Available")),
    (CrewStatus.DISPATCHED, N_("Dispatched")),
    (CrewStatus.EN_ROUTE, N_("En route")),
    (CrewStatus.ON_SCENE, N_("On scene")),
    (CrewStatus.RETURNING, N_("Returning")),
    (CrewStatus.OFF_DUTY, N_("Off duty")),
    (CrewStatus.OUT_OF_SERVICE, N_("Out of service")),
    (CustomerCategory.GENERAL, N_("General customer")),
    (CustomerCategory.SPECIAL, N_("Special customer")),
    (CustomerCategory.GROUP, N_("Group customer")),
    (CustomerCategory.NEW_PRODUCT, N_("New-product customer")),
    (Role.OPERATOR, N_("Operator")),
    (Role.SUPERVISOR, N_("Supervisor")),
    (Role.ADMIN, N_("Administrator")),
    (AlertKind.RESPONSE_OVERDUE, N_("Response overdue")),
    (AlertKind.ARRIVAL_AT_RISK, N_("Arrival at risk")),
    (AlertKind.ARRIVAL_LATE, N_("Arrival late")),
    (AlertKind.REPAIR_OVERDUE, N_("Repair overdue")),
    (AlertKind.FEEDBACK_OVERDUE, N_("Feedback call overdue")),
    (DelayReason.TRAFFIC_JAM, N_("Traffic jam")),
    (DelayReason.TRAFFIC_CONTROL, N_("Traffic control")),
    (DelayReason.ACCIDENT, N_("Traffic accident")),
    (DelayReason.ROAD_WORKS, N_("Road works")),
    (DelayReason.WEATHER, N_("Weather")),
    (DelayReason.CREW_BREAKDOWN, N_("Crew vehicle breakdown")),
    (DelayReason.OTHER, N_("Other reason")),
    (OwnerNotice.NOT_NEEDED, N_("No call needed")),
    (OwnerNotice.DUE, N_("Owner not told yet")),
    (OwnerNotice.CALLING, N_("Calling the owner")),
    (OwnerNotice.NOT_REACHED, N_("Owner not reached")),
    (OwnerNotice.TOLD, N_("Owner told")),
]

_LABELS: dict[tuple[type, str], str] = {(type(m), m.value): t for m, t in _LABEL_LIST}
