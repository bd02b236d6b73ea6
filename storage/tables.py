"""Typed declarative rows. Converted to and from domain dataclasses in ``repository``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import TZDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


#: ``cases.watch_at`` of a case the sweep has not judged since it last changed.
WATCH_AT_ONCE = datetime(1970, 1, 1, tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: TZDateTime()}


class StaffRow(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime | None]

    __table_args__ = (CheckConstraint("role IN ('operator', 'supervisor', 'admin')", name="role"),)


class CustomerRow(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(20), index=True)
    phone_ext: Mapped[str] = mapped_column(String(10), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    category: Mapped[str] = mapped_column(String(16), default="general")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)
    wanted_service: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))
    #: The customer's other numbers (E.164, comma-separated): found like ``phone``.
    other_phones: Mapped[str] = mapped_column(String(200), default="", server_default=text("''"))
    updated_at: Mapped[datetime | None]
    updated_by: Mapped[str] = mapped_column(String(64), default="", server_default=text("''"))

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}
    __table_args__ = (Index("ix_customers_created_at", "created_at"),)


class VehicleRow(Base):
    __tablename__ = "vehicles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    plate: Mapped[str] = mapped_column(String(16), unique=True)
    model: Mapped[str] = mapped_column(String(100), default="")
    vehicle_type: Mapped[str] = mapped_column(String(16), default="car")
    purchase_date: Mapped[date | None] = mapped_column(Date)
    running_hours: Mapped[int | None]
    mileage_km: Mapped[int | None]
    reading_on: Mapped[date | None] = mapped_column(Date)
    maintained_hours: Mapped[int | None]
    maintained_on: Mapped[date | None] = mapped_column(Date)


class CrewRow(Base):
    __tablename__ = "crews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(20))
    vehicle_plate: Mapped[str] = mapped_column(String(16))
    vehicle_kind: Mapped[str] = mapped_column(String(32), default="")
    status: Mapped[str] = mapped_column(String(16), default="available")
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    position_at: Mapped[datetime | None]
    # No foreign key: cases already point at crews; the unique key keeps a crew on one case.
    current_case_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    status_reason: Mapped[str] = mapped_column(String(500), default="", server_default="")
    updated_at: Mapped[datetime | None]
    updated_by: Mapped[str] = mapped_column(String(64), default="", server_default="")
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class CaseRow(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    policy: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime]
    caller_name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(20), index=True)
    phone_ext: Mapped[str] = mapped_column(String(10), default="")
    plate: Mapped[str] = mapped_column(String(16), index=True)
    vehicle_model: Mapped[str] = mapped_column(String(100), default="")
    vehicle_type: Mapped[str] = mapped_column(String(16), default="car")
    address: Mapped[str] = mapped_column(String(300))
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    distance_km: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    fault_description: Mapped[str] = mapped_column(Text)
    fault_category: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(16))
    plan: Mapped[str] = mapped_column(String(16))
    fee_quote: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    fee_agreed: Mapped[bool] = mapped_column(Boolean, default=False)
    fee_agreed_at: Mapped[datetime | None]
    agreed_arrival_at: Mapped[datetime | None]
    promised_arrival_at: Mapped[datetime | None]
    original_promised_at: Mapped[datetime | None]
    notes: Mapped[str] = mapped_column(Text, default="")
    dispatched_at: Mapped[datetime | None]
    en_route_at: Mapped[datetime | None]
    arrived_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    reported_back_at: Mapped[datetime | None]
    feedback_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    owner_notified_at: Mapped[datetime | None]
    #: Where the case's service record stands (``callcenter.records.RecordState``): the
    #: board shows an invalid service without reading the records.
    service_state: Mapped[str] = mapped_column(
        String(16), default="none", server_default=text("'none'")
    )
    crew_id: Mapped[int | None] = mapped_column(ForeignKey("crews.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicles.id"))
    created_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime | None]
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    #: The SLA sweep's schedule (not part of the domain Case): the instant from which the
    #: sweep must look at this case again. A new case, and every save, set it back to
    #: WATCH_AT_ONCE (the epoch): the next sweep judges it. See ``SqlWatchRepository`` and
    #: ``callcenter.watch``.
    watch_at: Mapped[datetime] = mapped_column(
        default=lambda: WATCH_AT_ONCE, server_default=text("'1970-01-01 00:00:00'")
    )

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}
    __table_args__ = (
        CheckConstraint("distance_km >= 0 AND distance_km <= 1000", name="distance_range"),
        CheckConstraint("fee_quote >= 0", name="fee_positive"),
        Index("ix_cases_open_promised", "is_open", "promised_arrival_at"),
        # The monthly report: the cases received in a month (migration 0012).
        Index("ix_cases_received_at", "received_at"),
        # The sweep's schedule: the open cases whose watch time has come. is_open leads, so
        # that SQLite's planner, without statistics, takes it over the one above. Partial
        # (WHERE is_open) as migration 0004 makes it; its ``postgresql_where`` is left out
        # here because naming it loads SQLAlchemy's PostgreSQL dialect (2 MB, 30 ms) in every
        # session, SQLite ones too. The schema comes from the migrations, never from here.
        Index("ix_cases_watch", "is_open", "watch_at"),
    )


class AssignmentRow(Base):
    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    crew_id: Mapped[int] = mapped_column(ForeignKey("crews.id"), index=True)
    assigned_at: Mapped[datetime]
    assigned_by: Mapped[str] = mapped_column(String(64))
    released_at: Mapped[datetime | None]


class CaseEventRow(Base):
    """Append-only: rows are inserted, never updated or deleted."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    # The monthly report's repeated repairs and delay reasons, by kind (migration 0012).
    __table_args__ = (Index("ix_case_events_kind_case", "kind", "case_id"),)


class AlertRow(Base):
    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    deadline: Mapped[datetime]
    raised_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    snooze_until: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}
    __table_args__ = (UniqueConstraint("case_id", "kind", "deadline"),)


class CallTaskRow(Base):
    """A call owed on the call desk (``callcenter.calls``), of a kind not raised by the sweep."""

    __tablename__ = "call_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    due_at: Mapped[datetime]
    next_try_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(Text, default="")
    contact_name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    contact_phone: Mapped[str] = mapped_column(String(20), default="", server_default="")
    # One task per key at most (e.g. "revisit:case:12"); NULL for tasks without such a rule.
    unique_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(16), default="open")
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    #: A task owed by the system once per key (e.g. ``maintenance:<vehicle>:<hours>``).
    dedupe_key: Mapped[str | None] = mapped_column(String(64), unique=True)

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}
    __table_args__ = (
        CheckConstraint("attempts >= 0", name="attempts_positive"),
        # The desk's read: the open tasks whose next try has come.
        Index("ix_call_tasks_due", "is_open", "next_try_at"),
    )


class CallAttemptRow(Base):
    """Append-only: one row per try of a call task."""

    __tablename__ = "call_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("call_tasks.id"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ServiceRecordRow(Base):
    """The service record of a case (现场服务登记表): one per case, versioned."""

    __tablename__ = "service_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    crew_members: Mapped[str] = mapped_column(String(100))
    work_started_at: Mapped[datetime]
    work_finished_at: Mapped[datetime]
    cause: Mapped[str] = mapped_column(Text)
    solution: Mapped[str] = mapped_column(Text)
    no_parts: Mapped[bool] = mapped_column(Boolean)
    parts: Mapped[list[Any]] = mapped_column(JSON, default=list)
    fees: Mapped[list[Any]] = mapped_column(JSON, default=list)
    fee_total: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=0)
    in_warranty: Mapped[bool] = mapped_column(Boolean)
    policy: Mapped[str] = mapped_column(String(32))
    accepted: Mapped[bool] = mapped_column(Boolean)
    accepted_by: Mapped[str] = mapped_column(String(100), default="")
    acceptance_method: Mapped[str | None] = mapped_column(String(16))
    accepted_at: Mapped[datetime | None]
    acceptance_recorded_by: Mapped[str] = mapped_column(String(64), default="")
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime | None]
    voided_at: Mapped[datetime | None]
    voided_by: Mapped[str] = mapped_column(String(64), default="")
    void_reason: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class ServiceRecordVersionRow(Base):
    """Append-only: every saved version of a service record (who, when, what changed)."""

    __tablename__ = "service_record_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("service_records.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (UniqueConstraint("record_id", "version"),)


class LedgerRow(Base):
    """The rescue ledger (救援登记台帐): one row per case, written at report-back and kept up
    to date (acceptance, feedback, closing)."""

    __tablename__ = "ledger_entries"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    number: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(index=True)
    caller_name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(20))
    plate: Mapped[str] = mapped_column(String(16))
    vehicle_model: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(String(200))
    distance_km: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    fault_category: Mapped[str] = mapped_column(String(16))
    fault_description: Mapped[str] = mapped_column(Text)
    plan: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(16))
    crew_code: Mapped[str] = mapped_column(String(20), default="")
    crew_members: Mapped[str] = mapped_column(String(100), default="")
    dispatched_at: Mapped[datetime | None]
    en_route_at: Mapped[datetime | None]
    arrived_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    reported_back_at: Mapped[datetime | None]
    back_at: Mapped[datetime | None]
    feedback_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    promised_arrival_at: Mapped[datetime | None]
    original_promised_at: Mapped[datetime | None]
    on_time: Mapped[bool | None]
    on_time_original: Mapped[bool | None]
    delay_reason: Mapped[str] = mapped_column(String(32), default="")
    fee_quote: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=0)
    fee_total: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=0)
    km_driven: Mapped[Decimal] = mapped_column(Numeric(7, 2), default=0)
    expenses: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=0)
    equipment_returned: Mapped[bool] = mapped_column(Boolean, default=False)
    crew_notes: Mapped[str] = mapped_column(Text, default="")
    follow_up: Mapped[str] = mapped_column(Text, default="")
    record_state: Mapped[str] = mapped_column(String(16), default="none")
    accepted: Mapped[bool] = mapped_column(Boolean, default=False)
    feedback_result: Mapped[str] = mapped_column(String(16), default="")
    satisfied: Mapped[bool | None]
    operator: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime | None]
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    # The ledger screen's order (newest received first, ties by case id), and each selective
    # filter in that order (migration 0007).
    __table_args__ = (
        Index("ix_ledger_entries_received_case", "received_at", "case_id"),
        Index("ix_ledger_entries_crew_received", "crew_code", "received_at", "case_id"),
        Index("ix_ledger_entries_operator_received", "operator", "received_at", "case_id"),
        Index("ix_ledger_entries_delay_received", "delay_reason", "received_at", "case_id"),
        Index("ix_ledger_entries_record_received", "record_state", "received_at", "case_id"),
        Index("ix_ledger_entries_feedback_received", "feedback_result", "received_at", "case_id"),
        Index("ix_ledger_entries_on_time_received", "on_time", "received_at", "case_id"),
    )


class SurveyRow(Base):
    """The outcome of a case's feedback call (回访) and its survey answers."""

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("call_tasks.id"))
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(64))
    result: Mapped[str] = mapped_column(String(16))
    # The call it was taken in: "feedback" (counted in the satisfaction rate and the ledger)
    # or "revisit" (the revisit months later: never changes the case's feedback result).
    kind: Mapped[str] = mapped_column(String(16), default="feedback", server_default="feedback")
    template: Mapped[str] = mapped_column(String(32), default="")
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reasons: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    comment: Mapped[str] = mapped_column(Text, default="")
    satisfied: Mapped[bool | None]
    escalations: Mapped[list[Any]] = mapped_column(JSON, default=list)


class WatchStateRow(Base):
    """One row: the fingerprint of the SLA rules the sweep's schedule (``cases.watch_at``)
    was computed with. A sweeper with other rules (an edited policy file, another at-risk
    window or time zone) clears the schedule of every open case and records its own."""

    __tablename__ = "watch_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rules: Mapped[str] = mapped_column(String(64), default="")
    changed_at: Mapped[datetime | None]
    changed_by: Mapped[str] = mapped_column(String(64), default="")


class ChangeRow(Base):
    """The change feed: one row per committed change, read by other sessions."""

    __tablename__ = "changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]


class AuditRow(Base):
    """The general audit log: every change and every refused action, with who did it."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(48))
    entity: Mapped[str] = mapped_column(String(16), default="")
    entity_id: Mapped[int | None]
    allowed: Mapped[bool] = mapped_column(Boolean, default=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    # The audit viewer's filters: one person's or one action's lines, newest first.
    __table_args__ = (
        Index("ix_audit_log_actor_at", "actor", "at"),
        Index("ix_audit_log_action_at", "action", "at"),
    )


class ComplaintRow(Base):
    """A customer complaint (客户投诉, ``callcenter.complaints``)."""

    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    received_at: Mapped[datetime] = mapped_column(index=True)
    channel: Mapped[str] = mapped_column(String(16))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    customer_name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(20), default="")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    crew_id: Mapped[int | None] = mapped_column(ForeignKey("crews.id"), index=True)
    crew_member: Mapped[str] = mapped_column(String(100), default="")
    category: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    department: Mapped[str] = mapped_column(String(100), default="")
    responsible: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(16), default="received")
    is_open: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    policy: Mapped[str] = mapped_column(String(64), default="roadside")
    notify_due_at: Mapped[datetime]
    plan_due_at: Mapped[datetime]
    resolve_due_at: Mapped[datetime]
    notified_at: Mapped[datetime | None]
    plan: Mapped[str] = mapped_column(Text, default="")
    planned_at: Mapped[datetime | None]
    resolution: Mapped[str] = mapped_column(Text, default="")
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    satisfied: Mapped[bool | None]
    callback_task_id: Mapped[int | None] = mapped_column(ForeignKey("call_tasks.id"))
    confirmed_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(64))
    close_reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime | None]
    updated_by: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class ComplaintAlertRow(Base):
    """An alert of a complaint's clock, raised once per (complaint, kind, deadline)."""

    __tablename__ = "complaint_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    deadline: Mapped[datetime]
    raised_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(24), default="")

    __table_args__ = (UniqueConstraint("complaint_id", "kind", "deadline"),)


class EscalationRow(Base):
    """Something that goes to the supervisors at once, until one acknowledges it."""

    __tablename__ = "escalations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    key: Mapped[str] = mapped_column(String(80), unique=True)
    raised_at: Mapped[datetime] = mapped_column(index=True)
    raised_by: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text, default="")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"), index=True)
    crew_id: Mapped[int | None] = mapped_column(ForeignKey("crews.id"))
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    acknowledged_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class HandoverReadRow(Base):
    """Someone read the shift-handover digest of the shift that began at ``shift_start``."""

    __tablename__ = "handover_reads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shift_start: Mapped[datetime] = mapped_column(index=True)
    username: Mapped[str] = mapped_column(String(64))
    read_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("shift_start", "username"),)
