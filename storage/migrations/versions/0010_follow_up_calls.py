"""follow-up calls: revisits and promised call-backs

The call desk's tasks get whom to call when they are about no case nor known customer
(``contact_name``, ``contact_phone``: a promised call-back to a phone number) and a unique
key (``unique_key``: one revisit per case, whatever the number of sessions sweeping); the
surveys say which call took them (``kind``: feedback or revisit). The downgrade drops these
columns: it refuses while a task or a survey holds what they keep.

Revision ID: 0010
Revises: 0006
Create Date: 2026-12-03 16:50:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0010"
down_revision: str | None = "0009"
#: What the downgrade drops (``db downgrade`` counts and asks; tests check the list).
DROPS: tuple[str, ...] = (
    "surveys.kind",
    "call_tasks.unique_key",
    "call_tasks.contact_phone",
    "call_tasks.contact_name",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("call_tasks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("contact_name", sa.String(length=100), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("contact_phone", sa.String(length=20), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("unique_key", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_call_tasks_unique_key"), ["unique_key"]
        )
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), server_default="feedback", nullable=False)
        )


def downgrade() -> None:
    from alembic import context

    bind = op.get_bind()
    agreed = context.config.attributes.get("drop_data", False)  # db downgrade --yes
    checks = {} if agreed else {
        "call_tasks": "unique_key IS NOT NULL OR contact_phone <> '' OR contact_name <> ''",
        "surveys": "kind <> 'feedback'",
    }
    for table, where in checks.items():
        held = bind.execute(sa.text(f"SELECT count(*) FROM {table} WHERE {where}")).scalar() or 0
        if held:
            raise RuntimeError(
                f"{table} holds {held} row(s) of follow-up calls: a downgrade below 0010 "
                "would drop them. Export or delete them first."
            )
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.drop_column("kind")
    with op.batch_alter_table("call_tasks", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_call_tasks_unique_key"), type_="unique")
        batch_op.drop_column("unique_key")
        batch_op.drop_column("contact_phone")
        batch_op.drop_column("contact_name")
