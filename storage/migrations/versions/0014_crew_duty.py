"""crew duty: a supervisor takes a crew off duty or out of service, with a reason

The crews get the reason of their status (``status_reason``: why a supervisor took the crew
off duty or out of service) and who changed them last and when (``updated_by``,
``updated_at``: a second supervisor's change is refused naming the first). A crew may now be
``out_of_service``. The downgrade drops these columns: it refuses while a crew is out of
service or keeps a reason, unless the data may go (``db downgrade --yes``), when crews out of
service become off duty.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 16:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types


revision: str = "0014"
down_revision: str | None = "0013"
#: What the downgrade drops (``db downgrade`` counts and asks; tests check the list).
DROPS: tuple[str, ...] = (
    "crews.status_reason",
    "crews.updated_at",
    "crews.updated_by",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("crews", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status_reason", sa.String(length=500), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("updated_at", storage.types.TZDateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("updated_by", sa.String(length=64), server_default="", nullable=False)
        )


def downgrade() -> None:
    from alembic import context

    bind = op.get_bind()
    agreed = context.config.attributes.get("drop_data", False)  # db downgrade --yes
    if not agreed:
        where = "status = 'out_of_service' OR status_reason <> ''"
        held = bind.execute(sa.text(f"SELECT count(*) FROM crews WHERE {where}")).scalar() or 0
        if held:
            raise RuntimeError(
                f"crews holds {held} row(s) out of service or with a duty reason: a downgrade "
                "below 0014 would drop them. Put the crews back on duty first."
            )
    bind.execute(sa.text("UPDATE crews SET status = 'off_duty' WHERE status = 'out_of_service'"))
    with op.batch_alter_table("crews", schema=None) as batch_op:
        batch_op.drop_column("updated_by")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("status_reason")
