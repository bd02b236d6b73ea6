"""index of the open cases' clocks

Everything the SLA sweep reads of the open cases, in one partial index
(storage.tables.CaseRow, ix_cases_open_clock): the full sweep reads the index alone.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 22:26:31.960957

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
#: What the downgrade drops (tables, and ``table.column``): ``callcenter db downgrade`` counts
#: their rows and asks before it runs; tests check the list against the real downgrade.
DROPS: tuple[str, ...] = ()
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = [
    'is_open',
    'id',
    'policy',
    'priority',
    'plan',
    'received_at',
    'dispatched_at',
    'arrived_at',
    'completed_at',
    'feedback_at',
    'promised_arrival_at',
]


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(
            'ix_cases_open_clock',
            COLUMNS,
            unique=False,
            sqlite_where=sa.text('is_open IS 1'),
            postgresql_where=sa.text('is_open IS true'),
        )


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_open_clock')
