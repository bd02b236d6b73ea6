"""After the work: the service record (《现场服务登记表》 / 救援服务记录单) the owner accepts,
the crew's report-back (回厂报告) and the rescue-ledger entry (救援登记台帐) — plain data.

Every datetime is timezone-aware UTC; money is ``Decimal`` yuan; distances are km.

Seed 004: the record is filled in completely ("不得留有空格，尤其是故障原因分析和更换零部件
记录") and without the owner's acceptance the service is invalid ("无顾客验收确认属无效服务").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from callcenter.domain.enums import _LABELS, Labelled
from callcenter.i18n import N_

__all__ = [
    "AcceptanceMethod",
    "FeeKind",
    "FeeLine",
    "FeedbackResult",
    "LedgerEntry",
    "PartLine",
    "RecordState",
    "RecordVersion",
    "ReportBack",
    "ServiceRecord",
    "SurveyRecord",
]


class FeeKind(Labelled):
    LABOUR = "labour"  # 工时费
    PARTS = "parts"  # 配件费
    TOWING = "towing"  # 拖车费 (with km)
    OTHER = "other"  # 其他


class AcceptanceMethod(Labelled):
    SIGNED = "signed"  # 现场签字
    PHONE = "phone"  # 电话确认


class RecordState(Labelled):
    """Where a case's service record stands (board, detail, ledger)."""

    NONE = "none"  # no record yet
    ACCEPTED = "accepted"  # the owner accepted it: a valid service
    NOT_ACCEPTED = "not_accepted"  # 无顾客验收确认属无效服务
    VOIDED = "voided"  # a supervisor voided it, with a reason


_LABELS.update(
    {
        (FeeKind, "labour"): N_("Labour"),
        (FeeKind, "parts"): N_("Parts"),
        (FeeKind, "towing"): N_("Towing"),
        (FeeKind, "other"): N_("Other charges"),
        (AcceptanceMethod, "signed"): N_("Signed on site"),
        (AcceptanceMethod, "phone"): N_("Confirmed by phone"),
        (RecordState, "none"): N_("No service record"),
        (RecordState, "accepted"): N_("Accepted by the owner"),
        (RecordState, "not_accepted"): N_("Not accepted: invalid service"),
        (RecordState, "voided"): N_("Voided"),
    }
)


@dataclass(frozen=True)
class PartLine:
    """One part replaced: name, quantity, part number, genuine (原厂) or not."""

    name: str
    quantity: int
    part_number: str
    genuine: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "quantity": self.quantity,
            "part_number": self.part_number,
            "genuine": self.genuine,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PartLine:
        return cls(
            str(data["name"]),
            int(data["quantity"]),
            str(data["part_number"]),
            bool(data["genuine"]),
        )


@dataclass(frozen=True)
class FeeLine:
    """One line of the fees charged (towing also gives its km)."""

    kind: FeeKind
    amount: Decimal
    km: Decimal | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind.value, "amount": str(self.amount)}
        if self.km is not None:
            data["km"] = str(self.km)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeeLine:
        km = data.get("km")
        return cls(FeeKind(data["kind"]), Decimal(str(data["amount"])), Decimal(km) if km else None)


@dataclass
class ServiceRecord:
    """The service record of one case: what was done, what it cost, whether the owner
    accepted it. One per case; every saved version is kept (:class:`RecordVersion`)."""

    case_id: int
    crew_members: str
    work_started_at: datetime
    work_finished_at: datetime
    cause: str  # 故障原因分析
    solution: str  # 处理方法
    no_parts: bool  # the explicit "no parts replaced" choice
    parts: list[PartLine]
    fees: list[FeeLine]
    in_warranty: bool  # 保修期内 / 保修期外
    policy: str  # whose tariff was applied
    accepted: bool
    accepted_by: str = ""  # the owner's (or their agent's) name
    acceptance_method: AcceptanceMethod | None = None
    accepted_at: datetime | None = None
    acceptance_recorded_by: str = ""  # the operator who recorded the acceptance
    recorded_by: str = ""
    recorded_at: datetime | None = None
    updated_by: str = ""
    updated_at: datetime | None = None
    voided_at: datetime | None = None
    voided_by: str = ""
    void_reason: str = ""
    version: int = 0
    id: int | None = None

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.fees), Decimal("0"))

    def fee(self, kind: FeeKind) -> FeeLine | None:
        return next((line for line in self.fees if line.kind is kind), None)

    @property
    def state(self) -> RecordState:
        if self.voided_at is not None:
            return RecordState.VOIDED
        return RecordState.ACCEPTED if self.accepted else RecordState.NOT_ACCEPTED

    @property
    def is_valid(self) -> bool:
        """A service the owner accepted and nobody voided (seed 004)."""
        return self.state is RecordState.ACCEPTED

    def snapshot(self) -> dict[str, Any]:
        """The record as JSON-ready data (kept for every version)."""

        def when(value: datetime | None) -> str | None:
            return value.isoformat() if value is not None else None

        return {
            "crew_members": self.crew_members,
            "work_started_at": when(self.work_started_at),
            "work_finished_at": when(self.work_finished_at),
            "cause": self.cause,
            "solution": self.solution,
            "no_parts": self.no_parts,
            "parts": [p.as_dict() for p in self.parts],
            "fees": [f.as_dict() for f in self.fees],
            "total": str(self.total),
            "in_warranty": self.in_warranty,
            "policy": self.policy,
            "accepted": self.accepted,
            "accepted_by": self.accepted_by,
            "acceptance_method": self.acceptance_method.value if self.acceptance_method else None,
            "accepted_at": when(self.accepted_at),
            "acceptance_recorded_by": self.acceptance_recorded_by,
            "voided_at": when(self.voided_at),
            "voided_by": self.voided_by,
            "void_reason": self.void_reason,
        }


@dataclass
class RecordVersion:
    """One saved version of a service record: who, when, what changed, and the whole of it."""

    record_id: int
    case_id: int
    version: int
    at: datetime
    actor: str
    action: str  # "created", "edited", "accepted", "voided"
    changes: dict[str, Any]  # field: [before, after]
    snapshot: dict[str, Any]
    id: int | None = None


@dataclass
class ReportBack:
    """The crew's report on return to base (回厂报告)."""

    back_at: datetime
    km_driven: Decimal
    expenses: Decimal  # tolls and other expenses of the trip, yuan
    equipment_returned: bool
    crew_notes: str = ""
    follow_up: str = ""  # anything left for follow-up ("" = nothing)


@dataclass
class LedgerEntry:
    """One row of the rescue ledger (救援登记台帐), written at report-back and kept up to
    date afterwards (acceptance, feedback). Every column the seeds' ledger needs."""

    case_id: int
    number: str
    received_at: datetime
    caller_name: str
    phone: str
    plate: str
    vehicle_model: str
    address: str
    distance_km: Decimal
    fault_category: str
    fault_description: str
    plan: str
    priority: str
    crew_code: str
    crew_members: str
    dispatched_at: datetime | None
    en_route_at: datetime | None
    arrived_at: datetime | None
    completed_at: datetime | None
    reported_back_at: datetime | None
    back_at: datetime | None
    feedback_at: datetime | None
    closed_at: datetime | None
    promised_arrival_at: datetime | None
    original_promised_at: datetime | None
    on_time: bool | None  # against the promise in force (None: no promise / not arrived)
    on_time_original: bool | None  # against the first promise
    delay_reason: str  # the last delay reason given ("" = none)
    fee_quote: Decimal
    fee_total: Decimal
    km_driven: Decimal
    expenses: Decimal
    equipment_returned: bool
    crew_notes: str
    follow_up: str
    record_state: str  # RecordState value
    accepted: bool
    feedback_result: str  # FeedbackResult value ("" = no call yet)
    satisfied: bool | None
    operator: str  # who took the call
    updated_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class FeedbackResult(Labelled):
    """What came of a case's feedback call (回访), for the ledger and the reports."""

    ANSWERED = "answered"  # the survey was done
    REFUSED = "refused"  # reached, would not answer
    NOT_REACHED = "not_reached"  # no answer after the last try
    WRONG_NUMBER = "wrong_number"


_LABELS.update(
    {
        (FeedbackResult, "answered"): N_("Survey answered"),
        (FeedbackResult, "refused"): N_("Refused the survey"),
        (FeedbackResult, "not_reached"): N_("Owner not reached"),
        (FeedbackResult, "wrong_number"): N_("Wrong number"),
    }
)


@dataclass
class SurveyRecord:
    """The outcome of a case's feedback call: the answers when the survey was done.

    ``satisfied`` is None when the survey was not answered (refused, not reached) or its
    satisfaction question was answered "not applicable": such surveys are counted apart,
    never as satisfied."""

    case_id: int
    task_id: int | None
    at: datetime
    actor: str
    result: FeedbackResult
    template: str = ""
    answers: dict[str, int] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    comment: str = ""
    satisfied: bool | None = None
    escalations: list[str] = field(default_factory=list)
    #: The call it was taken in: ``feedback`` (the case's feedback result, the satisfaction
    #: rate) or ``revisit`` (months later: it changes neither).
    kind: str = "feedback"
    id: int | None = None
