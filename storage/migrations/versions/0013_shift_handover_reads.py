"""shift-handover reads

Who read the shift-handover digest (交接班) of which shift, and when: one row per shift and
reader. The downgrade drops the table: it refuses while it holds a row, so that none is lost
silently.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 16:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0013"
down_revision: str | None = "0012"
#: What the downgrade drops (``db downgrade`` counts and asks; tests check the list).
DROPS: tuple[str, ...] = ("handover_reads",)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "handover_reads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shift_start", storage.types.TZDateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("read_at", storage.types.TZDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handover_reads")),
        sa.UniqueConstraint(
            "shift_start", "username", name=op.f("uq_handover_reads_shift_start_username")
        ),
    )
    with op.batch_alter_table("handover_reads", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_handover_reads_shift_start"), ["shift_start"], unique=False
        )


def downgrade() -> None:
    from alembic import context

    bind = op.get_bind()
    agreed = context.config.attributes.get("drop_data", False)  # db downgrade --yes
    if not agreed:
        held = bind.execute(sa.text("SELECT count(*) FROM handover_reads")).scalar() or 0
        if held:
            raise RuntimeError(
                f"handover_reads holds {held} row(s): a downgrade below 0013 would drop them. "
                "Export or delete them first."
            )
    with op.batch_alter_table("handover_reads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handover_reads_shift_start"))
    op.drop_table("handover_reads")
