"""complaints, complaint alerts, escalations

Customer complaints (客户投诉) with their three clocks, the alerts the sweep raises on them
(once per complaint, kind and deadline), and the escalations to the supervisors with who
acknowledged them. The downgrade drops them: it refuses while complaints or escalations hold
a row, so none is lost silently.

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-03 16:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0009"
down_revision: str | None = "0008"
#: What the downgrade drops (``db downgrade`` counts and asks; tests check the list).
DROPS: tuple[str, ...] = ("complaints", "complaint_alerts", "escalations")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _at(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, storage.types.TZDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "complaints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        _at("received_at", False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("customer_name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("crew_id", sa.Integer(), nullable=True),
        sa.Column("crew_member", sa.String(length=100), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("department", sa.String(length=100), nullable=False),
        sa.Column("responsible", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("policy", sa.String(length=64), nullable=False),
        _at("notify_due_at", False),
        _at("plan_due_at", False),
        _at("resolve_due_at", False),
        _at("notified_at"),
        sa.Column("plan", sa.Text(), nullable=False),
        _at("planned_at"),
        sa.Column("resolution", sa.Text(), nullable=False),
        _at("resolved_at"),
        sa.Column("resolved_by", sa.String(length=64), nullable=True),
        sa.Column("satisfied", sa.Boolean(), nullable=True),
        sa.Column("callback_task_id", sa.Integer(), nullable=True),
        _at("confirmed_at"),
        _at("closed_at"),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.Column("close_reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        _at("updated_at"),
        sa.Column("updated_by", sa.String(length=64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["callback_task_id"],
            ["call_tasks.id"],
            name=op.f("fk_complaints_callback_task_id_call_tasks"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_complaints_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["crew_id"], ["crews.id"], name=op.f("fk_complaints_crew_id_crews")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_complaints_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
        sa.UniqueConstraint("number", name=op.f("uq_complaints_number")),
    )
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        for column in ("received_at", "customer_id", "case_id", "crew_id", "is_open"):
            batch_op.create_index(batch_op.f(f"ix_complaints_{column}"), [column], unique=False)

    op.create_table(
        "complaint_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        _at("deadline", False),
        _at("raised_at", False),
        _at("resolved_at"),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_complaint_alerts_complaint_id_complaints"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_alerts")),
        sa.UniqueConstraint(
            "complaint_id",
            "kind",
            "deadline",
            name=op.f("uq_complaint_alerts_complaint_id_kind_deadline"),
        ),
    )
    with op.batch_alter_table("complaint_alerts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_complaint_alerts_complaint_id"), ["complaint_id"], unique=False
        )

    op.create_table(
        "escalations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        _at("raised_at", False),
        sa.Column("raised_by", sa.String(length=64), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("complaint_id", sa.Integer(), nullable=True),
        sa.Column("crew_id", sa.Integer(), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=64), nullable=True),
        _at("acknowledged_at"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_escalations_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_escalations_complaint_id_complaints"),
        ),
        sa.ForeignKeyConstraint(
            ["crew_id"], ["crews.id"], name=op.f("fk_escalations_crew_id_crews")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalations")),
        sa.UniqueConstraint("key", name=op.f("uq_escalations_key")),
    )
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        for column in ("raised_at", "case_id", "complaint_id"):
            batch_op.create_index(batch_op.f(f"ix_escalations_{column}"), [column], unique=False)


def downgrade() -> None:
    from alembic import context

    bind = op.get_bind()
    agreed = context.config.attributes.get("drop_data", False)  # db downgrade --yes
    for table in () if agreed else ("escalations", "complaint_alerts", "complaints"):
        held = bind.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar() or 0
        if held:
            raise RuntimeError(
                f"{table} holds {held} row(s): a downgrade below 0009 would drop them. "
                "Export or delete them first."
            )
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        for column in ("raised_at", "case_id", "complaint_id"):
            batch_op.drop_index(batch_op.f(f"ix_escalations_{column}"))
    op.drop_table("escalations")
    with op.batch_alter_table("complaint_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaint_alerts_complaint_id"))
    op.drop_table("complaint_alerts")
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        for column in ("received_at", "customer_id", "case_id", "crew_id", "is_open"):
            batch_op.drop_index(batch_op.f(f"ix_complaints_{column}"))
    op.drop_table("complaints")
