"""Data-quality findings as values with stable codes.

An :class:`Issue` is what the counter logic, the file readers and the accounts
report when data look wrong; nothing here raises. Codes are stable snake_case
keys translated in ``locales/{en,zh}.json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """How much an issue matters: ``info`` < ``warning`` < ``error`` < ``disqualifying``."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    DISQUALIFYING = "disqualifying"


class IssueCode(StrEnum):
    """Stable codes of data-quality findings (the keys of ``locales/*.json``)."""

    #: Two or more readings for one meter and timestamp with the same value.
    DUPLICATE_READING = "duplicate_reading"
    #: Two or more readings for one meter and timestamp with different values.
    DUPLICATE_CONFLICT = "duplicate_conflict"
    #: A register dropped for a few readings and came back to its old value.
    COUNTER_DROPOUT = "counter_dropout"
    #: A register restarted from a lower value (reset or replacement).
    COUNTER_RESET = "counter_reset"
    #: An explicit meter-replacement event was applied.
    METER_REPLACEMENT = "meter_replacement"
    #: A register passed its maximum and continued from zero.
    COUNTER_ROLLOVER = "counter_rollover"
    #: A register jumped to a new level that later readings confirm; energy unknown.
    COUNTER_JUMP = "counter_jump"
    #: A reading implies more power than the meter's rating and was rejected.
    SPIKE = "spike"
    #: A reading that cannot be a register value (negative, NaN, sentinel, > maximum).
    INVALID_READING = "invalid_reading"
    #: A low reading at the end of the data that later readings must confirm.
    UNCONFIRMED_DROP = "unconfirmed_drop"
    #: A meter's readings could not be turned into intervals (e.g. a spacing that fits no
    #: grid); the readings are kept, the meter has no intervals until that is resolved.
    UNDERIVABLE_SERIES = "underivable_series"
    #: Energy spread over a gap between readings (estimated).
    GAP_ESTIMATED = "gap_estimated"
    #: Missing interval energy filled from the meter's own profile (estimated).
    GAP_FILLED = "gap_filled"
    #: Missing interval energy that could not be estimated.
    GAP_UNFILLED = "gap_unfilled"
    #: A run of zeros treated as missing data (electricity: upstream zero-fill).
    ZERO_RUN_GAP = "zero_run_gap"
    #: A run of zeros that may be real or missing; kept as measured.
    ZERO_RUN_UNDECIDED = "zero_run_undecided"
    #: A negative interval value for a quantity that cannot be negative.
    NEGATIVE_INTERVAL = "negative_interval"
    #: Σ sub-meters differ from the parent by more than the allowed loss.
    BALANCE_GAP = "balance_gap"
    #: A row whose meter is not in the park description.
    UNKNOWN_METER = "unknown_meter"
    #: CBAM: a default value (or a ledger factor in place of supplier data) was used.
    CBAM_DEFAULT_USED = "cbam_default_used"
    #: CBAM: the default table gives no indirect value for a precursor; 0 was used.
    CBAM_DEFAULT_INDIRECT_MISSING = "cbam_default_indirect_missing"
    #: CBAM: installation emissions not attributed to any production process.
    CBAM_UNATTRIBUTED = "cbam_unattributed"
    #: CBAM: a ledger line of a gas outside Annex I of Reg. (EU) 2023/956 was left out.
    CBAM_EXCLUDED_GAS = "cbam_excluded_gas"
    #: CBAM: estimates exceed the allowed share of a complex good's SEE.
    CBAM_ESTIMATE_SHARE_HIGH = "cbam_estimate_share_high"
    #: PCF: emissions found in life-cycle stages outside the study's system boundary.
    PCF_BOUNDARY_MISMATCH = "pcf_boundary_mismatch"
    #: PCF: product inputs of background processes in the supply chain have no provider (cut off).
    PCF_UNLINKED_INPUTS = "pcf_unlinked_inputs"
    #: PCF: background data represent another geography or period than the study (proxy data).
    PCF_PROXY_DATA = "pcf_proxy_data"
    #: PCF: a breakdown does not add up to the CFP.
    PCF_BREAKDOWN_MISMATCH = "pcf_breakdown_mismatch"
    #: PCF: no exchange in the product system carries uncertainty; the range is zero-width.
    PCF_NO_UNCERTAINTY = "pcf_no_uncertainty"
    #: PCF: an exchange's distribution is inconsistent (e.g. triangular mode outside its
    #: range); the exchange was kept at its value in the Monte Carlo run.
    PCF_INVALID_UNCERTAINTY = "pcf_invalid_uncertainty"
    #: Battery CFP: emissions of the use stage left out of the declaration.
    BATTERY_USE_STAGE_EXCLUDED = "battery_use_stage_excluded"
    #: Alarm: a meter repeats exactly the same non-zero value for too long (stuck register).
    STUCK_VALUE = "stuck_value"
    #: Alarm: the night-time base load rose persistently above its reference level.
    BASE_LOAD_CREEP = "base_load_creep"
    #: Alarm: measured load outside the forecast's prediction interval for too long.
    FORECAST_RESIDUAL = "forecast_residual"
    #: Alarm: PV output below the expected output (performance ratio below the threshold).
    PV_UNDERPERFORMANCE = "pv_underperformance"
    #: M&V: too little or too patchy baseline data for a Guideline 14 baseline.
    MV_INSUFFICIENT_DATA = "mv_insufficient_data"
    #: M&V: the baseline model misses the ASHRAE Guideline 14 CV(RMSE)/NMBE bounds.
    MV_BASELINE_UNCALIBRATED = "mv_baseline_uncalibrated"


@dataclass(frozen=True, slots=True)
class Issue:
    """One data-quality finding.

    Parameters
    ----------
    code : IssueCode
        Stable key, see :class:`IssueCode`.
    severity : Severity
        How much it matters.
    message : str
        English explanation with the numbers that triggered it.
    subject : str
        What it is about, usually a meter id.
    start : str or None
        ISO-8601 UTC start of the affected span, if any.
    end : str or None
        ISO-8601 UTC end (exclusive) of the affected span, if any.
    data : dict
        Machine-readable details (values, thresholds).
    """

    code: IssueCode
    severity: Severity
    message: str
    subject: str = ""
    start: str | None = None
    end: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
