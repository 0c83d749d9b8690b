"""Derivation state per meter, for derivations that append instead of starting over.

``derive_state`` holds, per (park, meter), where the last derivation stopped: the last
reading's ``seq``, timestamp [ns since the UTC epoch] and value, the interval step and
the nominal reading spacing [ns], and whether the next derivation may append
(:meth:`zeropark.store.postgres.PostgresStore.write_derived` upserts it,
:meth:`~zeropark.store.postgres.PostgresStore.derive_states` reads it).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``derive_state`` (byte-ordered text keys, like every table of 0001)."""
    op.execute("""
        CREATE TABLE derive_state (
            park_id TEXT COLLATE "C" NOT NULL, meter_id TEXT COLLATE "C" NOT NULL,
            last_seq BIGINT, last_ts BIGINT, last_value DOUBLE PRECISION, step_ns BIGINT,
            nominal_ns BIGINT, appendable BOOLEAN, PRIMARY KEY (park_id, meter_id))
    """)


def downgrade() -> None:
    """Drop ``derive_state``."""
    op.execute("DROP TABLE IF EXISTS derive_state")
