"""CBAM installation files kept in the park store (for the API).

The API cannot read installation files from the server's disk, so they are
uploaded (park-admin or a user of the installation's enterprise) and kept as
their TOML text in the table ``cbam_installations``, one row per
(park, enterprise, installation id). The text is validated on upload with
:func:`~zeropark.cbam.installation.parse_installation`; the
``[installation] enterprise_id`` must be the enterprise it is uploaded for.

Emissions then come from the park store, as with ``zeropark cbam see --park``:
the enterprise's ledger (imported activity records) and the records derived
from its meters for the reporting period (:func:`stored_result`). A
``[reporting] activity_file`` in the text is ignored.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from zeropark.cbam.installation import Installation, parse_installation
from zeropark.cbam.pipeline import InstallationResult, compute_installation, installation_inventory
from zeropark.errors import InputError
from zeropark.model import Park
from zeropark.store.duckdb import DuckDBStore

_TABLE = """
CREATE TABLE IF NOT EXISTS cbam_installations (
    park_id VARCHAR, enterprise_id VARCHAR, installation_id VARCHAR, name VARCHAR,
    toml VARCHAR, uploaded_at TIMESTAMP, uploaded_by VARCHAR,
    PRIMARY KEY (park_id, enterprise_id, installation_id))
"""
#: Largest installation file accepted. [bytes]
MAX_BYTES = 1_000_000


def _source(park_id: str, enterprise_id: str, installation_id: str = "upload") -> str:
    return f"cbam installation {park_id}/{enterprise_id}/{installation_id}"


def _has_table(store: DuckDBStore) -> bool:
    found = store.query("SELECT count(*) AS n FROM information_schema.tables "
                        "WHERE table_name = 'cbam_installations'")
    return int(found["n"].iloc[0]) > 0


def save_installation(store: DuckDBStore, park: Park, enterprise_id: str, text: str, *,
                      uploaded_by: str) -> Installation:
    """Validate an installation file and keep its text (insert or replace).

    Parameters
    ----------
    store : DuckDBStore
    park : Park
    enterprise_id : str
        The enterprise it is uploaded for; must equal ``[installation] enterprise_id``.
    text : str
        TOML text (see docs/cbam.md).
    uploaded_by : str
        User name, kept with the row.

    Returns
    -------
    Installation

    Raises
    ------
    InputError
        For invalid TOML or content, a file over :data:`MAX_BYTES`, or another
        enterprise's installation.
    """
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise InputError(f"installation file over {MAX_BYTES} bytes", field="body")
    inst = parse_installation(text, source=_source(park.park_id, enterprise_id))
    if inst.enterprise_id != enterprise_id:
        raise InputError(f"[installation] enterprise_id is {inst.enterprise_id!r}, but the file "
                         f"is uploaded for enterprise {enterprise_id!r}",
                         field="enterprise_id")
    if enterprise_id not in {e.enterprise_id for e in park.enterprises}:
        raise InputError(f"unknown enterprise {enterprise_id!r} in park {park.park_id!r}",
                         field="enterprise_id")
    now = datetime.now(UTC).replace(tzinfo=None)
    with store.transaction():
        store.con.execute(_TABLE)
        store.con.execute("DELETE FROM cbam_installations WHERE park_id = ? AND "
                          "enterprise_id = ? AND installation_id = ?",
                          [park.park_id, enterprise_id, inst.installation_id])
        store.con.execute("INSERT INTO cbam_installations VALUES (?, ?, ?, ?, ?, ?, ?)",
                          [park.park_id, enterprise_id, inst.installation_id, inst.name, text,
                           now, uploaded_by])
    return inst


def list_installations(store: DuckDBStore, park_id: str, enterprise_id: str
                       ) -> list[dict[str, Any]]:
    """Installations kept for an enterprise: id, name, upload time (UTC) and user."""
    if not _has_table(store):
        return []
    frame = store.query("SELECT installation_id, name, strftime(uploaded_at, "
                        "'%Y-%m-%dT%H:%M:%S.%fZ') AS uploaded_at, uploaded_by FROM "
                        "cbam_installations WHERE park_id = ? AND enterprise_id = ? "
                        "ORDER BY installation_id", [park_id, enterprise_id])
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def installation_text(store: DuckDBStore, park_id: str, enterprise_id: str,
                      installation_id: str) -> str | None:
    """The kept TOML text, or None when there is no such installation."""
    if not _has_table(store):
        return None
    frame = store.query("SELECT toml FROM cbam_installations WHERE park_id = ? AND "
                        "enterprise_id = ? AND installation_id = ?",
                        [park_id, enterprise_id, installation_id])
    return None if frame.empty else str(frame["toml"].iloc[0])


def load_installation(store: DuckDBStore, park_id: str, enterprise_id: str,
                      installation_id: str) -> Installation | None:
    """The kept installation, parsed, or None when there is none."""
    text = installation_text(store, park_id, enterprise_id, installation_id)
    if text is None:
        return None
    return parse_installation(text, source=_source(park_id, enterprise_id, installation_id))


def delete_installation(store: DuckDBStore, park_id: str, enterprise_id: str,
                        installation_id: str) -> bool:
    """Remove a kept installation; returns whether one was there."""
    if installation_text(store, park_id, enterprise_id, installation_id) is None:
        return False
    with store.transaction():
        store.con.execute("DELETE FROM cbam_installations WHERE park_id = ? AND "
                          "enterprise_id = ? AND installation_id = ?",
                          [park_id, enterprise_id, installation_id])
    return True


def stored_result(store: DuckDBStore, park: Park, installation: Installation, *,
                  year: int | None = None) -> InstallationResult:
    """SEE of an installation from the park store's ledger and meter records.

    Same as ``zeropark cbam see FILE --park P --store S``: the enterprise's activity
    records and meter records for [period_start, period_end) →
    :func:`installation_inventory` → :func:`compute_installation`.
    """
    from zeropark.accounting.ledger import enterprise_records

    records = enterprise_records(store, park, installation.enterprise_id,
                                 start=installation.period_start, end=installation.period_end)
    return compute_installation(installation, installation_inventory(installation, records),
                                year=year)
