"""the sweep's schedule

``cases.watch_at``: the instant from which the SLA sweep must look at a case again (the epoch:
not judged since its last change), with a partial index of the open cases; ``watch_state``: the
fingerprint of the rules that schedule was computed with (one row). The sweep reads only the
cases whose time has come, so ix_cases_open_clock (every open case's clocks, for a sweep that
read them all) goes. Existing cases start unscheduled: the first sweep judges them all.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 17:42:30.920191

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = '0004'
down_revision: str | None = '0003'
#: What the downgrade drops (tables, and ``table.column``): ``callcenter db downgrade`` counts
#: their rows and asks before it runs; tests check the list against the real downgrade.
DROPS: tuple[str, ...] = ("watch_state", "cases.watch_at")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_CLOCK_COLUMNS = [
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
    watch_state = op.create_table(
        'watch_state',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('rules', sa.String(length=64), nullable=False),
        sa.Column('changed_at', storage.types.TZDateTime(timezone=True), nullable=True),
        sa.Column('changed_by', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_watch_state')),
    )
    op.bulk_insert(watch_state, [{'id': 1, 'rules': '', 'changed_by': ''}])
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'watch_at',
                storage.types.TZDateTime(timezone=True),
                server_default=sa.text("'1970-01-01 00:00:00'"),
                nullable=False,
            )
        )
        batch_op.drop_index('ix_cases_open_clock')
        batch_op.create_index(
            'ix_cases_watch',
            ['is_open', 'watch_at'],
            unique=False,
            sqlite_where=sa.text('is_open IS 1'),
            postgresql_where=sa.text('is_open IS true'),
        )


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_watch')
        batch_op.create_index(
            'ix_cases_open_clock',
            OPEN_CLOCK_COLUMNS,
            unique=False,
            sqlite_where=sa.text('is_open IS 1'),
            postgresql_where=sa.text('is_open IS true'),
        )
        batch_op.drop_column('watch_at')
    op.drop_table('watch_state')
