"""The activity ledger: manual records kept in the store, plus records from the meters.

Manual records are imported from files (validated whole, then written in one
transaction: a file with a bad row changes nothing) and kept by ``record_id``
(re-importing a record replaces it). :func:`enterprise_records` joins them with
the meter-derived records of :mod:`zeropark.accounting.sources`.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from pathlib import Path

import pandas as pd

from zeropark.accounting.activity import ActivityRecord, read_activity_file, record_from_mapping
from zeropark.accounting.sources import meter_activity
from zeropark.errors import InputError
from zeropark.model import Park
from zeropark.store.duckdb import DuckDBStore


def import_activity(store: DuckDBStore, park: Park, path: str | Path) -> int:
    """Validate an activity file and store its records (all or nothing).

    Parameters
    ----------
    store : DuckDBStore
    park : Park
        Records must name enterprises of this park.
    path : str or pathlib.Path
        CSV or ``.xlsx`` file, see :func:`zeropark.accounting.activity.read_activity_file`.

    Returns
    -------
    int
        Records stored.

    Raises
    ------
    InputError
        For the first bad row (file, row, field), an unknown enterprise or a
        record id starting with ``meter:`` (reserved for meter records).
    """
    records = read_activity_file(path)
    known = {e.enterprise_id for e in park.enterprises}
    for number, record in enumerate(records, start=2):
        if record.enterprise_id not in known:
            raise InputError(f"unknown enterprise {record.enterprise_id!r} (not in park "
                             f"{park.park_id!r})", path=str(path), location=f"row {number}",
                             field="enterprise_id")
        if record.record_id.startswith("meter:"):
            raise InputError("record ids starting with 'meter:' are reserved for meter "
                             "records", path=str(path), location=f"row {number}",
                             field="record_id")
    rows = pd.DataFrame([{
        "record_id": r.record_id, "enterprise_id": r.enterprise_id,
        "period_start": r.period_start, "period_end": r.period_end,
        "record_json": json.dumps(asdict(r), default=str, ensure_ascii=False),
    } for r in records], columns=["record_id", "enterprise_id", "period_start", "period_end",
                                  "record_json"])
    return store.put_activity(park.park_id, rows, imported_from=str(path))


def enterprise_records(store: DuckDBStore, park: Park, enterprise_id: str, *, start: date,
                       end: date, meters: bool = True) -> tuple[ActivityRecord, ...]:
    """All activity records of an enterprise for local dates [start, end).

    Parameters
    ----------
    meters : bool
        Include the records derived from the enterprise's meters.

    Raises
    ------
    InputError
        For an enterprise that is not in the park.
    """
    if enterprise_id not in {e.enterprise_id for e in park.enterprises}:
        raise InputError(f"unknown enterprise {enterprise_id!r} in park {park.park_id!r}",
                         field="enterprise_id")
    stored = store.activity(park.park_id, enterprise_id, start, end)
    records = [record_from_mapping(json.loads(text), path=str(origin), location=rid)
               for rid, text, origin in stored.itertuples(index=False)]
    if meters:
        records.extend(meter_activity(store, park, enterprise_id, start=start, end=end))
    return tuple(records)
