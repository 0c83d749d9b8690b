"""Specific embedded emissions (SEE): the pure functions of the CBAM methodology.

One function per formula of Commission Implementing Regulation (EU) 2023/1773,
Annex III (transitional period), which the definitive-period methodology (IR (EU)
2025/2547) keeps in substance. Quantities are floats or numpy arrays; masses in
t, energy in MWh (electricity) and TJ or GJ (heat, as named), emissions in t CO2e.

Sign conventions: every flow argument is ≥ 0 and its direction is in its name
(``heat_imported_tj``, ``heat_exported_tj``); the functions subtract exports.

Section letters refer to IR 2023/1773 Annex III as summarised in the
Commission's guidance for installation operators (2023, section 6); the
equation numbers of the Official Journal text were not checked.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from zeropark.errors import InputError

Numeric = float | npt.NDArray[np.float64]


def attributed_direct_emissions(direct_emissions_t: Numeric, *, heat_imported_tj: Numeric = 0.0,
                                ef_heat_imported_t_per_tj: Numeric = 0.0,
                                heat_exported_tj: Numeric = 0.0,
                                ef_heat_exported_t_per_tj: Numeric = 0.0,
                                waste_gas_correction_imported_t: Numeric = 0.0,
                                waste_gas_correction_exported_t: Numeric = 0.0,
                                electricity_exported_mwh: Numeric = 0.0,
                                ef_electricity_exported_t_per_mwh: Numeric = 0.0) -> Numeric:
    """Attributed direct emissions of a production process.

    Parameters
    ----------
    direct_emissions_t : numeric
        DirEm*: direct emissions of the process (source streams attributed to it,
        CO2 and the good's other Annex I gases). [t CO2e]
    heat_imported_tj, heat_exported_tj : numeric
        Measurable heat entering / leaving the process boundary. [TJ]
    ef_heat_imported_t_per_tj, ef_heat_exported_t_per_tj : numeric
        Emission factors of that heat (of its production). [t CO2/TJ]
    waste_gas_correction_imported_t, waste_gas_correction_exported_t : numeric
        WG_corr of waste gases consumed / exported. [t CO2]
    electricity_exported_mwh : numeric
        Electricity produced in the process and exported from it. [MWh]
    ef_electricity_exported_t_per_mwh : numeric
        Emission factor of that electricity's production. [t CO2/MWh]

    Returns
    -------
    numeric
        AttrEm_Dir. [t CO2e]

    Notes
    -----
    AttrEm_Dir = DirEm* + Em_H,imp − Em_H,exp + WG_corr,imp − WG_corr,exp − Em_el,exp,
    with Em_H = Q_H · EF_H and Em_el,exp = E_el,exp · EF_el (IR (EU) 2023/1773
    Annex III, section F.1, attribution of emissions to production processes).

    Examples
    --------
    100 t CO2 of burners, 0.2 TJ of heat exported at 62.3 t/TJ:

    >>> round(attributed_direct_emissions(100.0, heat_exported_tj=0.2,
    ...                                   ef_heat_exported_t_per_tj=62.3), 6)
    87.54
    """
    em_heat_imp = np.multiply(heat_imported_tj, ef_heat_imported_t_per_tj)
    em_heat_exp = np.multiply(heat_exported_tj, ef_heat_exported_t_per_tj)
    em_el_exp = np.multiply(electricity_exported_mwh, ef_electricity_exported_t_per_mwh)
    result = (np.add(direct_emissions_t, em_heat_imp) - em_heat_exp
              + waste_gas_correction_imported_t - waste_gas_correction_exported_t - em_el_exp)
    return float(result) if np.ndim(result) == 0 else np.asarray(result, dtype=float)


def indirect_emissions(electricity_consumed_mwh: Numeric,
                       ef_electricity_t_per_mwh: Numeric) -> Numeric:
    """Indirect emissions of a process: electricity consumed times its emission factor.

    Parameters
    ----------
    electricity_consumed_mwh : numeric
        Electricity consumed by the process (grid and own generation). [MWh]
    ef_electricity_t_per_mwh : numeric
        Emission factor of that electricity. [t CO2/MWh]

    Returns
    -------
    numeric
        AttrEm_Indir = Em_el,cons = E_el · EF_el. [t CO2]

    Notes
    -----
    IR (EU) 2023/1773 Annex III, sections D (electricity) and F.1. In the
    transitional period the grid factor may be the IEA-based default of the country
    or, with evidence, another published factor (here: the MEE/NBS grid factor of
    the zeropark factor library).

    Examples
    --------
    >>> round(indirect_emissions(200.0, 0.5366), 6)
    107.32
    """
    result = np.multiply(electricity_consumed_mwh, ef_electricity_t_per_mwh)
    return float(result) if np.ndim(result) == 0 else np.asarray(result, dtype=float)


def _check_level(activity_level_t: Numeric) -> None:
    if np.any(np.asarray(activity_level_t) <= 0):
        raise InputError("activity level must be > 0 t", field="activity_level_t")


def see_simple(attributed_emissions_t: Numeric, activity_level_t: Numeric) -> Numeric:
    """Specific embedded emissions of a simple good (no relevant precursors).

    Parameters
    ----------
    attributed_emissions_t : numeric
        AttrEm of the process (direct or indirect). [t CO2e]
    activity_level_t : numeric
        AL: goods produced by the process in the reporting period, > 0. [t]

    Returns
    -------
    numeric
        SEE_g = AttrEm_g / AL_g. [t CO2e/t]

    Raises
    ------
    InputError
        If `activity_level_t` ≤ 0.

    Notes
    -----
    IR (EU) 2023/1773 Annex III, section F.2 (simple goods); applied separately to
    direct and indirect attributed emissions.

    Examples
    --------
    >>> see_simple(250.0, 100.0)
    2.5
    """
    _check_level(activity_level_t)
    result = np.divide(attributed_emissions_t, activity_level_t)
    return float(result) if np.ndim(result) == 0 else np.asarray(result, dtype=float)


def embedded_precursor_emissions(precursor_mass_t: Sequence[float] | npt.ArrayLike,
                                 precursor_see_t_per_t: Sequence[float] | npt.ArrayLike
                                 ) -> float:
    """Emissions embedded in the precursors consumed by a process.

    Parameters
    ----------
    precursor_mass_t : array-like, shape (n_precursors,)
        M_i: mass of each relevant precursor consumed in the period. [t]
    precursor_see_t_per_t : array-like, shape (n_precursors,)
        SEE_i of each precursor (direct, or indirect). [t CO2e/t]

    Returns
    -------
    float
        EE_InpMat = Σ_i M_i · SEE_i. [t CO2e]

    Examples
    --------
    >>> embedded_precursor_emissions([110.0, 5.0], [2.0, 1.5])
    227.5
    """
    mass = np.asarray(precursor_mass_t, dtype=float)
    see = np.asarray(precursor_see_t_per_t, dtype=float)
    if mass.shape != see.shape:
        raise InputError(f"precursor masses {mass.shape} and SEE {see.shape} differ in shape",
                         field="precursors")
    if np.any(mass < 0) or np.any(see < 0):
        raise InputError("precursor masses and SEE must be ≥ 0", field="precursors")
    return float(np.dot(mass, see))


def see_complex(attributed_emissions_t: float, activity_level_t: float, *,
                precursor_mass_t: Sequence[float] | npt.ArrayLike,
                precursor_see_t_per_t: Sequence[float] | npt.ArrayLike) -> float:
    """Specific embedded emissions of a complex good.

    Parameters
    ----------
    attributed_emissions_t : float
        AttrEm_g of the process producing the good. [t CO2e]
    activity_level_t : float
        AL_g: goods produced, > 0. [t]
    precursor_mass_t : array-like, shape (n_precursors,)
        M_i consumed by the process in the period. [t]
    precursor_see_t_per_t : array-like, shape (n_precursors,)
        SEE_i of each precursor (own production, supplier's actual value, or a
        default). [t CO2e/t]

    Returns
    -------
    float
        SEE_g = (AttrEm_g + Σ_i M_i · SEE_i) / AL_g. [t CO2e/t]

    Notes
    -----
    IR (EU) 2023/1773 Annex III, section G (complex goods); applied separately to
    direct (with SEE_i,Dir) and indirect (with SEE_i,Indir) emissions.

    Examples
    --------
    >>> see_complex(30.0, 100.0, precursor_mass_t=[110.0], precursor_see_t_per_t=[2.0])
    2.5
    """
    _check_level(activity_level_t)
    embedded = embedded_precursor_emissions(precursor_mass_t, precursor_see_t_per_t)
    return (attributed_emissions_t + embedded) / activity_level_t


def heat_emission_factor_from_fuel(ef_fuel_t_per_tj: float, efficiency: float) -> float:
    """Emission factor of measurable heat produced by burning one fuel.

    Parameters
    ----------
    ef_fuel_t_per_tj : float
        Emission factor of the fuel (or fuel mix). [t CO2/TJ]
    efficiency : float
        Thermal efficiency of heat production, 0–1. [-]

    Returns
    -------
    float
        EF_H = EF_fuel / η. [t CO2/TJ]

    Notes
    -----
    IR (EU) 2023/1773 Annex III, section C (heat flows). When the producer's data
    are missing, the annex prescribes natural gas (56.1 t CO2/TJ) at a reference
    efficiency of 90 %, i.e. 62.3 t CO2/TJ (values from project notes; not checked
    against the OJ text).

    Examples
    --------
    >>> round(heat_emission_factor_from_fuel(56.1, 0.9), 1)
    62.3
    """
    if not 0 < efficiency <= 1:
        raise InputError(f"efficiency is a fraction in (0, 1], got {efficiency}",
                         field="efficiency")
    return ef_fuel_t_per_tj / efficiency


def estimate_share(estimated_t: float, total_t: float) -> float:
    """Share of embedded emissions that rests on estimates (defaults, gap-filled data).

    IR (EU) 2023/1773 Art. 5: from 1 July 2024, estimates (including default
    values) may make up at most 20 % of the total specific embedded emissions of
    complex goods (threshold as summarised in project notes; not checked against
    the OJ text).

    Examples
    --------
    >>> estimate_share(50.0, 250.0)
    0.2
    """
    return 0.0 if total_t <= 0 else estimated_t / total_t
