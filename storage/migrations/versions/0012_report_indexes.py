"""indexes of the monthly report

The monthly report (issue 14) reads every case received in a month: ``cases`` gets an index
on the received time, and the repeated-repair and delay events of those cases are found by
kind (``case_events``: kind, case id). The downgrade only drops indexes: no row is lost.

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-05 10:00:00

"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0010"
#: What the downgrade drops: only indexes.
DROPS: tuple[str, ...] = ()
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: name: (table, columns)
INDEXES = {
    "ix_cases_received_at": ("cases", ["received_at"]),
    "ix_case_events_kind_case": ("case_events", ["kind", "case_id"]),
}


def upgrade() -> None:
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, (table, _columns) in reversed(INDEXES.items()):
        op.drop_index(name, table_name=table)
