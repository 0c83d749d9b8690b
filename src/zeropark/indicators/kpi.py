"""Park indicators: one pure function per KPI, on numbers (floats or numpy arrays).

Every function takes the quantities in their canonical units (named in the
parameter and given in brackets in the docstring) and returns the indicator.
Shares are fractions 0–1, never percent. A denominator of zero gives NaN (the
indicator is undefined), never 0 or infinity; the pipeline turns NaN into the
status ``no_data``. None of these functions knows a threshold: targets live in
``indicators/data/*.yaml`` with their sources.

Sources of the definitions (the exact clause texts were not seen; see each
set's YAML notes):

- National zero-carbon parks, "1+5" indicators: 国家发展改革委 工业和信息化部
  国家能源局《关于开展零碳园区建设的通知》(发改环资〔2025〕910号).
- Jiangsu: 《江苏省(近)零碳产业园区建设指南(暂行)》 (2024), 20 indicators in 7 categories.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Numeric = float | npt.NDArray[np.float64]


def _ratio(numerator: Numeric, denominator: Numeric) -> Numeric:
    """Numerator / denominator, NaN where the denominator is 0 (undefined)."""
    num = np.asarray(numerator, dtype="float64")
    den = np.asarray(denominator, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(den != 0.0, num / np.where(den != 0.0, den, 1.0), np.nan)
    return float(out) if out.ndim == 0 else out


def co2_per_energy(co2_t: Numeric, energy_tce: Numeric) -> Numeric:
    """Core zero-carbon-park indicator 单位能耗碳排放: CO2 per tonne of standard coal.

    Parameters
    ----------
    co2_t : numeric
        Energy-related CO2 of the boundary in the period (fossil fuel combustion
        plus purchased electricity and heat; CO2 only, no other gases). [t CO2]
    energy_tce : numeric
        Total energy consumption (综合能耗) in standard coal equivalent, with the
        electricity convention stated by the caller (当量值/等价值). [tce]

    Returns
    -------
    numeric
        ``co2_t / energy_tce``; NaN where ``energy_tce`` is 0. [t CO2/tce]

    Notes
    -----
    The electricity convention changes the denominator: a kWh is 0.1229 kgce
    on the calorific basis (当量值, GB/T 2589-2020) and the supply coal rate
    (about 0.3 kgce/kWh) on the equivalent basis (等价值), so for an all-electric
    park the indicator differs by the ratio of the two (≈2.4×).

    References
    ----------
    .. [1] 发改环资〔2025〕910号《关于开展零碳园区建设的通知》, 零碳园区建设指标体系,
       核心指标 单位能耗碳排放 (clause text not seen; reproduced by third parties).

    Examples
    --------
    >>> round(co2_per_energy(550.0, 122.9), 6)
    4.475183
    """
    return _ratio(co2_t, energy_tce)


def clean_energy_share(clean_energy_tce: Numeric, energy_tce: Numeric) -> Numeric:
    """Guiding indicator 清洁能源消费占比: clean energy over total energy, both in tce.

    Parameters
    ----------
    clean_energy_tce : numeric
        Clean energy consumed: on-site renewables, certified green electricity and,
        by the statistical convention the caller chooses, natural gas. [tce]
    energy_tce : numeric
        Total energy consumption. [tce]

    Returns
    -------
    numeric
        Fraction 0–1; NaN where ``energy_tce`` is 0. [-]

    References
    ----------
    .. [1] 发改环资〔2025〕910号, 引导性指标 清洁能源消费占比 (clause text not seen).

    Examples
    --------
    >>> clean_energy_share(90.0, 100.0)
    0.9
    """
    return _ratio(clean_energy_tce, energy_tce)


def renewable_electricity_share(renewable_kwh: Numeric, electricity_kwh: Numeric, *,
                                gec_kwh: Numeric = 0.0) -> Numeric:
    """可再生电力消费占比(含绿证): renewable electricity incl. green certificates.

    Parameters
    ----------
    renewable_kwh : numeric
        On-site renewable generation consumed (PV). [kWh]
    electricity_kwh : numeric
        Total electricity consumption: grid import − export + on-site generation. [kWh]
    gec_kwh : numeric
        Green electricity certificates (绿证) and green-power trades retired for the
        period, converted at 1 certificate = 1 MWh. [kWh]

    Returns
    -------
    numeric
        ``min(renewable_kwh + gec_kwh, electricity_kwh) / electricity_kwh``,
        fraction 0–1 (certificates beyond the consumption do not count twice);
        NaN where ``electricity_kwh`` is 0. [-]

    References
    ----------
    .. [1] 《江苏省(近)零碳产业园区建设指南(暂行)》, 能源供给零碳化, indicator 8
       (reproduced by tanpaifang.com 2024-07-16; official text not seen).

    Examples
    --------
    >>> renewable_electricity_share(100.0, 1000.0, gec_kwh=200.0)
    0.3
    """
    total = np.minimum(np.asarray(renewable_kwh, dtype="float64")
                       + np.asarray(gec_kwh, dtype="float64"),
                       np.asarray(electricity_kwh, dtype="float64"))
    return _ratio(total, electricity_kwh)


def non_fossil_share(non_fossil_tce: Numeric, energy_tce: Numeric) -> Numeric:
    """非化石能源消费占比: non-fossil energy over total energy, both in tce.

    Parameters
    ----------
    non_fossil_tce : numeric
        Non-fossil energy consumed: on-site renewables, certified green electricity
        and, if the caller states one, the non-fossil part of grid electricity. [tce]
    energy_tce : numeric
        Total energy consumption. [tce]

    Returns
    -------
    numeric
        Fraction 0–1; NaN where ``energy_tce`` is 0. [-]

    References
    ----------
    .. [1] 《江苏省(近)零碳产业园区建设指南(暂行)》, 能源供给零碳化, indicator 7.

    Examples
    --------
    >>> non_fossil_share(25.0, 100.0)
    0.25
    """
    return _ratio(non_fossil_tce, energy_tce)


def terminal_electrification_rate(electricity_tce: Numeric, energy_tce: Numeric) -> Numeric:
    """终端电气化率: electricity's share of final energy consumption, in tce.

    Parameters
    ----------
    electricity_tce : numeric
        Electricity consumed (grid and on-site), in standard coal. [tce]
    energy_tce : numeric
        Total final energy consumption. [tce]

    Returns
    -------
    numeric
        Fraction 0–1; NaN where ``energy_tce`` is 0. [-]

    Notes
    -----
    Depends on the electricity convention as strongly as the core indicator: the
    same park is far more "electrified" on the equivalent (等价值) basis.

    References
    ----------
    .. [1] 《江苏省(近)零碳产业园区建设指南(暂行)》, 能源供给零碳化, indicator 9.

    Examples
    --------
    >>> terminal_electrification_rate(60.0, 100.0)
    0.6
    """
    return _ratio(electricity_tce, energy_tce)


def unit_value_added_energy(energy_tce: Numeric, value_added_10k_cny: Numeric) -> Numeric:
    """单位工业增加值综合能耗: energy per 10 000 CNY of industrial value added.

    Parameters
    ----------
    energy_tce : numeric
        Total energy consumption, calorific basis (当量值) for the Jiangsu guide. [tce]
    value_added_10k_cny : numeric
        Industrial value added of the period, entered by hand. [10⁴ CNY]

    Returns
    -------
    numeric
        [tce/10⁴ CNY]; NaN where the value added is 0.

    References
    ----------
    .. [1] 《江苏省(近)零碳产业园区建设指南(暂行)》, 能效水平标杆化, indicator 1.

    Examples
    --------
    >>> unit_value_added_energy(35.0, 100.0)
    0.35
    """
    return _ratio(energy_tce, value_added_10k_cny)


def unit_value_added_co2(co2_t: Numeric, value_added_10k_cny: Numeric) -> Numeric:
    """单位工业增加值二氧化碳排放量: CO2 per 10 000 CNY of industrial value added.

    Parameters
    ----------
    co2_t : numeric
        Energy-related CO2. [t CO2]
    value_added_10k_cny : numeric
        Industrial value added, entered by hand. [10⁴ CNY]

    Returns
    -------
    numeric
        [t CO2/10⁴ CNY]; NaN where the value added is 0.

    References
    ----------
    .. [1] 《江苏省(近)零碳产业园区建设指南(暂行)》, 能效水平标杆化, indicator 2.

    Examples
    --------
    >>> unit_value_added_co2(60.0, 100.0)
    0.6
    """
    return _ratio(co2_t, value_added_10k_cny)


def green_building_share(green_building_area_m2: Numeric,
                         new_building_area_m2: Numeric) -> Numeric:
    """新建建筑中二星及以上绿色建筑占比: floor-area share of new buildings rated ≥ 2 stars.

    Parameters
    ----------
    green_building_area_m2 : numeric
        Floor area of new buildings certified two stars or more (GB/T 50378). [m²]
    new_building_area_m2 : numeric
        Floor area of all new buildings. [m²]

    Returns
    -------
    numeric
        Fraction 0–1; NaN where there is no new building area. [-]

    Notes
    -----
    Computed on floor area; whether the guide counts area or buildings was not
    verified.

    Examples
    --------
    >>> green_building_share(6000.0, 10000.0)
    0.6
    """
    return _ratio(green_building_area_m2, new_building_area_m2)


def solid_waste_utilisation_rate(solid_waste_utilised_t: Numeric,
                                 solid_waste_generated_t: Numeric) -> Numeric:
    """工业固体废物综合利用率: solid waste utilised over solid waste generated.

    Parameters
    ----------
    solid_waste_utilised_t : numeric
        Industrial solid waste utilised in the period (incl. stock from earlier
        years where the park reports it so). [t]
    solid_waste_generated_t : numeric
        Industrial solid waste generated (plus earlier stock utilised). [t]

    Returns
    -------
    numeric
        Fraction; NaN where nothing was generated. [-]

    Examples
    --------
    >>> solid_waste_utilisation_rate(80.0, 100.0)
    0.8
    """
    return _ratio(solid_waste_utilised_t, solid_waste_generated_t)


def waste_heat_utilisation_rate(waste_heat_recovered_gj: Numeric,
                                waste_heat_available_gj: Numeric) -> Numeric:
    """余热/余冷/余压综合利用率: recovered over recoverable waste heat, cold and pressure.

    Parameters
    ----------
    waste_heat_recovered_gj : numeric
        Waste heat, cold and pressure energy recovered. [GJ]
    waste_heat_available_gj : numeric
        Recoverable waste heat, cold and pressure energy (the park's audit value). [GJ]

    Returns
    -------
    numeric
        Fraction; NaN where nothing is recoverable. [-]

    Examples
    --------
    >>> waste_heat_utilisation_rate(50.0, 100.0)
    0.5
    """
    return _ratio(waste_heat_recovered_gj, waste_heat_available_gj)


def water_reuse_rate(water_reused_m3: Numeric, water_fresh_m3: Numeric) -> Numeric:
    """工业用水重复利用率: reused water over total water use (reused + fresh intake).

    Parameters
    ----------
    water_reused_m3 : numeric
        Water reused (recirculated and cascaded) in the period. [m³]
    water_fresh_m3 : numeric
        Fresh water taken in (取水量). [m³]

    Returns
    -------
    numeric
        ``reused / (reused + fresh)``; NaN where both are 0. [-]

    Examples
    --------
    >>> water_reuse_rate(80.0, 20.0)
    0.8
    """
    total = np.asarray(water_reused_m3, dtype="float64") + np.asarray(water_fresh_m3,
                                                                      dtype="float64")
    return _ratio(water_reused_m3, total)


def product_energy_vs_limit(product_energy_kgce_per_unit: Numeric,
                            product_limit_kgce_per_unit: Numeric) -> Numeric:
    """园区企业产出产品单位能耗 relative to the national limit (grade 2) of the product.

    Parameters
    ----------
    product_energy_kgce_per_unit : numeric
        Measured specific energy consumption of the product. [kgce/unit]
    product_limit_kgce_per_unit : numeric
        Grade-2 value of the product's national energy-consumption limit standard
        (GB 能耗限额), entered with its citation. [kgce/unit]

    Returns
    -------
    numeric
        Ratio; ≤ 1 means at or better than the grade-2 value. [-]

    Examples
    --------
    >>> product_energy_vs_limit(95.0, 100.0)
    0.95
    """
    return _ratio(product_energy_kgce_per_unit, product_limit_kgce_per_unit)


def energy_saving_rate(energy_kwh: Numeric, baseline_kwh: Numeric) -> Numeric:
    """Energy saved relative to a baseline: ``1 − energy / baseline``.

    Parameters
    ----------
    energy_kwh : numeric
        Metered energy use in the period. [kWh]
    baseline_kwh : numeric
        Baseline use for the same period (reference building or metered
        pre-retrofit baseline × floor area). [kWh]

    Returns
    -------
    numeric
        Fraction (negative if use exceeds the baseline); NaN where the baseline is 0. [-]

    Examples
    --------
    >>> energy_saving_rate(40.0, 100.0)
    0.6
    """
    return 1.0 - _ratio(energy_kwh, baseline_kwh)
