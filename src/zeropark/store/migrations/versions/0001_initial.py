"""Initial schema of the PostgreSQL store: the tables of zeropark.store.base, partitioned.

``readings`` and ``intervals`` are partitioned by RANGE on their UTC timestamp, one
partition per calendar month (``readings_p202401`` …). Partitions are attached on
demand by the store before it writes a month it has not seen
(:meth:`zeropark.store.postgres.PostgresStore.ensure_partitions`); there is no default
partition, so attaching never has to scan one.

Revision ID: 0001
Revises:
Create Date: 2025-06-01
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = """
CREATE TABLE parks (
    park_id TEXT PRIMARY KEY, name TEXT, timezone TEXT, model_toml TEXT, saved_at TIMESTAMP);
CREATE TABLE meters (
    park_id TEXT, meter_id TEXT, medium TEXT, quantity TEXT, unit TEXT,
    canonical_unit TEXT, kind TEXT, direction TEXT, building_id TEXT,
    enterprise_id TEXT, submeter_of TEXT, is_virtual BOOLEAN,
    PRIMARY KEY (park_id, meter_id));
CREATE TABLE ingest_files (
    park_id TEXT, sha256 TEXT, path TEXT, n_rows BIGINT, n_new BIGINT,
    ingested_at TIMESTAMP, PRIMARY KEY (park_id, sha256));
CREATE SEQUENCE reading_seq;
CREATE TABLE readings (
    park_id TEXT NOT NULL, meter_id TEXT NOT NULL, ts TIMESTAMP NOT NULL,
    value DOUBLE PRECISION, value_raw DOUBLE PRECISION, unit_raw TEXT, source TEXT,
    source_row BIGINT, ingested_at TIMESTAMP NOT NULL, seq BIGINT NOT NULL)
    PARTITION BY RANGE (ts);
CREATE INDEX readings_meter_ts ON readings (park_id, meter_id, ts);
CREATE TABLE intervals (
    park_id TEXT NOT NULL, meter_id TEXT NOT NULL, interval_start TIMESTAMP NOT NULL,
    duration_s INTEGER NOT NULL, energy DOUBLE PRECISION, estimated BOOLEAN NOT NULL,
    flags TEXT, PRIMARY KEY (park_id, meter_id, interval_start))
    PARTITION BY RANGE (interval_start);
CREATE TABLE rollups (
    park_id TEXT NOT NULL, meter_id TEXT NOT NULL, period TEXT NOT NULL,
    period_start TIMESTAMP NOT NULL, energy DOUBLE PRECISION,
    estimated_energy DOUBLE PRECISION, n_intervals INTEGER, n_missing INTEGER,
    PRIMARY KEY (park_id, meter_id, period, period_start));
CREATE INDEX rollups_period ON rollups (park_id, period, period_start);
CREATE TABLE activity_records (
    park_id TEXT NOT NULL, record_id TEXT NOT NULL, enterprise_id TEXT NOT NULL,
    period_start DATE NOT NULL, period_end DATE NOT NULL, record_json TEXT NOT NULL,
    imported_from TEXT, imported_at TIMESTAMP, PRIMARY KEY (park_id, record_id));
CREATE TABLE quality_issues (
    park_id TEXT NOT NULL, meter_id TEXT NOT NULL, code TEXT NOT NULL,
    severity TEXT, message TEXT, start_ts TEXT, end_ts TEXT, data_json TEXT);
CREATE INDEX quality_issues_meter ON quality_issues (park_id, meter_id);
CREATE TABLE dead_letters (
    park_id TEXT NOT NULL, received_at TIMESTAMP NOT NULL, source TEXT NOT NULL,
    payload BYTEA, reason TEXT NOT NULL);
CREATE TABLE stream_events (
    park_id TEXT NOT NULL, received_at TIMESTAMP NOT NULL, source TEXT NOT NULL,
    event TEXT NOT NULL, data_json TEXT);
CREATE TABLE derive_pending (
    park_id TEXT NOT NULL, meter_id TEXT NOT NULL, PRIMARY KEY (park_id, meter_id));
CREATE TABLE users (
    username TEXT PRIMARY KEY, password_hash TEXT NOT NULL, role TEXT NOT NULL,
    park_id TEXT, enterprise_id TEXT, expires_at TIMESTAMP, disabled BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL);
CREATE TABLE api_tokens (
    token_id TEXT PRIMARY KEY, token_sha256 TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    park_id TEXT NOT NULL, scope TEXT NOT NULL, created_at TIMESTAMP NOT NULL,
    revoked BOOLEAN NOT NULL);
CREATE TABLE audit_log (
    ts TIMESTAMP NOT NULL, actor TEXT, role TEXT, method TEXT NOT NULL,
    route TEXT, path TEXT NOT NULL, park_id TEXT, enterprise_id TEXT,
    meter_id TEXT, status INTEGER NOT NULL, action TEXT NOT NULL);
CREATE TABLE indicator_inputs (
    park_id TEXT, year INTEGER, level TEXT, subject TEXT, field TEXT,
    value DOUBLE PRECISION, unit TEXT, source TEXT, note TEXT, imported_from TEXT,
    PRIMARY KEY (park_id, year, level, subject, field));
"""

DROPS = ("indicator_inputs", "audit_log", "api_tokens", "users", "derive_pending",
         "stream_events", "dead_letters", "quality_issues", "activity_records", "rollups",
         "intervals", "readings", "ingest_files", "meters", "parks")


def upgrade() -> None:
    """Create every table, the reading sequence and the partitioned parents.

    Text columns use the ``"C"`` collation: byte order, as DuckDB sorts, so both
    back-ends return rows in the same order whatever the server's locale.
    """
    for statement in TABLES.replace(" TEXT", ' TEXT COLLATE "C"').split(";"):
        if statement.strip():
            op.execute(statement)


def downgrade() -> None:
    """Drop everything (partitions go with their parents)."""
    for table in DROPS:
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    op.execute("DROP SEQUENCE IF EXISTS reading_seq")
