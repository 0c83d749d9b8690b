"""Park indicators: pure KPI functions, definitions as data, manual inputs and the pipeline.

- :mod:`zeropark.indicators.kpi`: one pure function per KPI.
- :mod:`zeropark.indicators.specs`: indicator sets from ``data/*.yaml`` and the formula registry.
- :mod:`zeropark.indicators.manual`: hand-entered inputs (value added, waste, water, heat,
  certificates), file format and validation.
- :mod:`zeropark.indicators.buildings`: green-building savings and the social-contribution card.
- :mod:`zeropark.indicators.evaluate`: :func:`evaluate` (one result per indicator and subject).
- :mod:`zeropark.indicators.report`: :func:`indicators_report` (everything, JSON-ready).
"""

from zeropark.indicators.specs import FORMULAS, all_specs, get_spec, indicator_sets

__all__ = ["FORMULAS", "all_specs", "get_spec", "indicator_sets"]
