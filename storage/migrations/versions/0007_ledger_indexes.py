"""indexes of the rescue ledger's filters

The ledger (救援登记台帐) is read newest first by received time, ties by case id, a page at
a time (keyset); each selective filter gets an index that serves that order directly, and the
free text a trigram index (PostgreSQL ``pg_trgm``, SQLite FTS5: storage/ledger_text.py). The
downgrade only drops indexes: no row is lost.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 16:50:00

"""

from collections.abc import Sequence

from alembic import op

from storage import ledger_text

revision: str = "0007"
down_revision: str | None = "0006"
#: What the downgrade drops: only indexes (the SQLite text index's tables are derived data).
DROPS: tuple[str, ...] = ()
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: name: columns (each ends with the ledger's order: received time, case id).
INDEXES = {
    "ix_ledger_entries_received_case": ["received_at", "case_id"],
    "ix_ledger_entries_crew_received": ["crew_code", "received_at", "case_id"],
    "ix_ledger_entries_operator_received": ["operator", "received_at", "case_id"],
    "ix_ledger_entries_delay_received": ["delay_reason", "received_at", "case_id"],
    "ix_ledger_entries_record_received": ["record_state", "received_at", "case_id"],
    "ix_ledger_entries_feedback_received": ["feedback_result", "received_at", "case_id"],
    "ix_ledger_entries_on_time_received": ["on_time", "received_at", "case_id"],
}


def upgrade() -> None:
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        for name, columns in INDEXES.items():
            batch_op.create_index(name, columns, unique=False)
    # The free text (caller, phone, plate, number, address): trigrams (storage/ledger_text.py).
    ledger_text.create(op.get_bind())


def downgrade() -> None:
    ledger_text.drop(op.get_bind())
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        for name in reversed(INDEXES):
            batch_op.drop_index(name)
