"""customer archive

The customer archive (客户档案): what the customer wants, who last edited the entry; each
vehicle's purchase date, running hours or mileage (and when they were read) and its last
maintenance point; the key that keeps one maintenance call per vehicle and due point
(``call_tasks.dedupe_key``); the audit viewer's indexes (by person, by action). The downgrade drops
these columns: it refuses while any holds a value, so no archive detail is lost silently.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-03 16:50:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0008"
down_revision: str | None = "0007"
#: What the downgrade drops (``db downgrade`` counts and asks; tests check the list).
DROPS: tuple[str, ...] = (
    "customers.wanted_service",
    "customers.other_phones",
    "customers.updated_at",
    "customers.updated_by",
    "vehicles.purchase_date",
    "vehicles.running_hours",
    "vehicles.mileage_km",
    "vehicles.reading_on",
    "vehicles.maintained_hours",
    "vehicles.maintained_on",
    "call_tasks.dedupe_key",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The archive's columns whose values a downgrade would lose: (table, condition held).
HELD = (
    ("customers", "wanted_service <> '' OR other_phones <> ''"),
    (
        "vehicles",
        "purchase_date IS NOT NULL OR running_hours IS NOT NULL OR mileage_km IS NOT NULL"
        " OR reading_on IS NOT NULL OR maintained_hours IS NOT NULL"
        " OR maintained_on IS NOT NULL",
    ),
    ("call_tasks", "dedupe_key IS NOT NULL"),
)


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("wanted_service", sa.Text(), server_default=sa.text("''"), nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "other_phones", sa.String(length=200), server_default=sa.text("''"), nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("updated_at", storage.types.TZDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "updated_by", sa.String(length=64), server_default=sa.text("''"), nullable=False
            )
        )
        batch_op.create_index("ix_customers_created_at", ["created_at"], unique=False)

    with op.batch_alter_table("vehicles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purchase_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("running_hours", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("mileage_km", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reading_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("maintained_hours", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("maintained_on", sa.Date(), nullable=True))

    with op.batch_alter_table("call_tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dedupe_key", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_call_tasks_dedupe_key"), ["dedupe_key"])

    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_actor_at", ["actor", "at"], unique=False)
        batch_op.create_index("ix_audit_log_action_at", ["action", "at"], unique=False)


def downgrade() -> None:
    from alembic import context

    bind = op.get_bind()
    agreed = context.config.attributes.get("drop_data", False)  # db downgrade --yes
    for table, condition in () if agreed else HELD:
        held = bind.execute(sa.text(f"SELECT count(*) FROM {table} WHERE {condition}")).scalar()
        if held:
            raise RuntimeError(
                f"{table} holds archive details in {held} row(s): a downgrade below 0008 "
                "would drop them. Export or clear them first."
            )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_action_at")
        batch_op.drop_index("ix_audit_log_actor_at")

    with op.batch_alter_table("call_tasks", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_call_tasks_dedupe_key"), type_="unique")
        batch_op.drop_column("dedupe_key")

    with op.batch_alter_table("vehicles", schema=None) as batch_op:
        batch_op.drop_column("maintained_on")
        batch_op.drop_column("maintained_hours")
        batch_op.drop_column("reading_on")
        batch_op.drop_column("mileage_km")
        batch_op.drop_column("running_hours")
        batch_op.drop_column("purchase_date")

    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index("ix_customers_created_at")
        batch_op.drop_column("updated_by")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("other_phones")
        batch_op.drop_column("wanted_service")
