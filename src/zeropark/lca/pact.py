"""PACT ``ProductFootprint`` JSON (Technical Specifications for PCF Data Exchange v2.2.0).

Follows the data model of the PACT (Partnership for Carbon Transparency, WBCSD)
Technical Specifications for PCF Data Exchange, version 2.2.0 (release of 10 April 2024;
read from ``wbcsd/data-exchange-protocol`` ``spec/v2/index.bs``, sections "Data Type:
ProductFootprint", "CarbonFootprint", "DataQualityIndicators", "DeclaredUnit"). Rules
applied here:

- decimals (``unitaryProductAmount``, ``pCfExcludingBiogenic`` ...) are JSON *strings*;
  percentages (``primaryDataShare``, ``exemptedEmissionsPercent``) are JSON numbers;
- ``id`` is a UUID v4; ``created`` and reference periods are UTC ``...Z`` timestamps;
- values are per PACT declared unit (``kilogram``, ``liter``, ``cubic meter``, ``kilowatt
  hour``, ``megajoule``, ``ton kilometer``, ``square meter``): the CFP of one study declared
  unit divided by ``unitaryProductAmount`` (declared units in one product);
- the PACT framework is cradle-to-gate: the values are the study's raw-material and
  production stages only; later stages are left out and said so in ``comment``;
- exactly one of ``geographyCountry``, ``geographyRegionOrSubregion``,
  ``geographyCountrySubdivision`` (or none for global scope);
- ``characterizationFactors`` (deprecated but mandatory in 2.2) and
  ``ipccCharacterizationFactorsSources`` are both written.

Not followed: v2.3.0 (Oct 2024) renames ``crossSectoralStandardsUsed`` to
``crossSectoralStandards`` and adds ``productMassPerDeclaredUnit``; v3 drops several
mandatory properties. :data:`PACT_SCHEMA` is a JSON Schema *subset* written from the
v2.2.0 tables (types, required properties, enumerations, signs), not the official schema.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any, Final

from zeropark.errors import InputError
from zeropark.lca.matrices import LifeCycleStage
from zeropark.lca.pcf import PcfResult

__all__ = ["DECLARED_UNITS", "PACT_SCHEMA", "PACT_SPEC_VERSION", "pact_footprint",
           "validate_pact"]

#: Version of the PACT Technical Specifications followed.
PACT_SPEC_VERSION: Final = "2.2.0"
#: PACT v2 DeclaredUnit enumeration.
DECLARED_UNITS: Final = ("liter", "kilogram", "cubic meter", "kilowatt hour", "megajoule",
                         "ton kilometer", "square meter")
_CRADLE_TO_GATE = (LifeCycleStage.RAW_MATERIAL_ACQUISITION.value,
                   LifeCycleStage.PRODUCTION.value)
_DECIMAL = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$"}
_NONNEG = {"type": "string", "pattern": r"^\d+(\.\d+)?$"}
_NONPOS = {"type": "string", "pattern": r"^(-\d+(\.\d+)?|0+(\.0+)?)$"}
_DATETIME = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$"}
_URN = {"type": "string", "pattern": r"^urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}:\S+$"}
_DQR = {"type": "number", "minimum": 1, "maximum": 3}

#: JSON Schema (draft 2020-12) subset of the v2.2.0 ProductFootprint, written for this module.
PACT_SCHEMA: Final[dict[str, Any]] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "PACT ProductFootprint v2.2.0 (subset)",
    "type": "object",
    "required": ["id", "specVersion", "version", "created", "status", "companyName",
                 "companyIds", "productDescription", "productIds", "productCategoryCpc",
                 "productNameCompany", "comment", "pcf"],
    "properties": {
        "id": {"type": "string", "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-"
               "[89ab][0-9a-f]{3}-[0-9a-f]{12}$"},
        "specVersion": {"type": "string", "pattern": r"^2\.\d+\.\d+(-\d{8})?$"},
        "version": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
        "created": _DATETIME,
        "status": {"enum": ["Active", "Deprecated"]},
        "companyName": {"type": "string", "minLength": 1},
        "companyIds": {"type": "array", "minItems": 1, "items": _URN, "uniqueItems": True},
        "productDescription": {"type": "string"},
        "productIds": {"type": "array", "minItems": 1, "items": _URN, "uniqueItems": True},
        "productCategoryCpc": {"type": "string", "minLength": 1},
        "productNameCompany": {"type": "string", "minLength": 1},
        "comment": {"type": "string"},
        "pcf": {
            "type": "object",
            "required": ["declaredUnit", "unitaryProductAmount", "pCfExcludingBiogenic",
                         "fossilGhgEmissions", "fossilCarbonContent", "biogenicCarbonContent",
                         "characterizationFactors", "ipccCharacterizationFactorsSources",
                         "crossSectoralStandardsUsed", "boundaryProcessesDescription",
                         "referencePeriodStart", "referencePeriodEnd",
                         "exemptedEmissionsPercent", "exemptedEmissionsDescription",
                         "packagingEmissionsIncluded"],
            "properties": {
                "declaredUnit": {"enum": list(DECLARED_UNITS)},
                "unitaryProductAmount": {"type": "string",
                                         "pattern": r"^(0\.\d*[1-9]\d*|[1-9]\d*(\.\d+)?)$"},
                "pCfExcludingBiogenic": _NONNEG, "pCfIncludingBiogenic": _DECIMAL,
                "fossilGhgEmissions": _NONNEG, "fossilCarbonContent": _NONNEG,
                "biogenicCarbonContent": _NONNEG, "dLucGhgEmissions": _NONNEG,
                "landManagementGhgEmissions": _DECIMAL, "otherBiogenicGhgEmissions": _NONNEG,
                "iLucGhgEmissions": _NONNEG, "biogenicCarbonWithdrawal": _NONPOS,
                "aircraftGhgEmissions": _NONNEG, "packagingGhgEmissions": _NONNEG,
                "characterizationFactors": {"enum": ["AR5", "AR6"]},
                "ipccCharacterizationFactorsSources": {
                    "type": "array", "minItems": 1,
                    "items": {"type": "string", "pattern": r"^AR\d+$"}},
                "crossSectoralStandardsUsed": {
                    "type": "array", "minItems": 1,
                    "items": {"enum": ["GHG Protocol Product standard", "ISO Standard 14067",
                                       "ISO Standard 14044"]}},
                "productOrSectorSpecificRules": {"type": "array"},
                "biogenicAccountingMethodology": {"enum": ["PEF", "ISO", "GHGP", "Quantis"]},
                "boundaryProcessesDescription": {"type": "string"},
                "referencePeriodStart": _DATETIME, "referencePeriodEnd": _DATETIME,
                "geographyCountry": {"type": "string", "pattern": "^[A-Z]{2}$"},
                "geographyCountrySubdivision": {"type": "string",
                                                "pattern": "^[A-Z]{2}-[A-Z0-9]{1,3}$"},
                "geographyRegionOrSubregion": {"type": "string"},
                "secondaryEmissionFactorSources": {
                    "type": "array", "minItems": 1,
                    "items": {"type": "object", "required": ["name", "version"],
                              "properties": {"name": {"type": "string", "minLength": 1},
                                             "version": {"type": "string", "minLength": 1}}}},
                "exemptedEmissionsPercent": {"type": "number", "minimum": 0, "maximum": 5},
                "exemptedEmissionsDescription": {"type": "string"},
                "packagingEmissionsIncluded": {"type": "boolean"},
                "allocationRulesDescription": {"type": "string"},
                "uncertaintyAssessmentDescription": {"type": "string"},
                "primaryDataShare": {"type": "number", "minimum": 0, "maximum": 100},
                "dqi": {"type": "object", "properties": {
                    "coveragePercent": {"type": "number", "minimum": 0, "maximum": 100},
                    "technologicalDQR": _DQR, "temporalDQR": _DQR, "geographicalDQR": _DQR,
                    "completenessDQR": _DQR, "reliabilityDQR": _DQR}},
            },
        },
    },
}


def _dec(value: float, digits: int = 6) -> str:
    """A PACT Decimal string with at most `digits` decimals (no exponent, no ``-0``).

    Examples
    --------
    >>> _dec(18.234447), _dec(-0.0000001), _dec(2.0)
    ('18.234447', '0', '2')
    """
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _timestamp(day: date | None) -> str:
    if day is None:
        raise InputError("the study needs reference_period_start and reference_period_end "
                         "(PACT referencePeriodStart/End are mandatory)", field="reference_period")
    return datetime.combine(day, time(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def pact_footprint(result: PcfResult, config: Mapping[str, Any], *,
                   created: datetime | None = None, pf_id: str | None = None,
                   secondary_sources: tuple[tuple[str, str], ...] = (("USLCI", "FY18Q3"),)
                   ) -> dict[str, Any]:
    """The result as a PACT v2.2.0 ``ProductFootprint`` (cradle-to-gate values).

    Parameters
    ----------
    result : PcfResult
    config : Mapping
        The ``[pact]`` table of the model file: ``company_name``, ``company_ids``,
        ``product_ids``, ``product_category_cpc``, ``product_name_company``,
        ``product_description``, ``declared_unit`` (PACT enum), ``unitary_product_amount``
        (PACT declared units per study declared unit), ``fossil_carbon_content_kgc`` and
        ``biogenic_carbon_content_kgc`` [kg C per study declared unit],
        ``packaging_emissions_included``, one of ``geography_country`` /
        ``geography_country_subdivision`` / ``geography_region``; optional
        ``dqi`` (table), ``version``, ``comment``, ``exempted_emissions_percent``,
        ``exempted_emissions_description``, ``land_management_ghg_emissions``.
    created : datetime, optional
        Creation time (UTC); default now.
    pf_id : str, optional
        UUID v4; default a new random one.
    secondary_sources : tuple of (name, version)
        Secondary emission-factor databases used.

    Returns
    -------
    dict
        JSON-ready ``ProductFootprint``; check it with :func:`validate_pact`.

    Raises
    ------
    InputError
        A missing mandatory ``[pact]`` key, an unknown declared unit, or no reference period.
    """
    def need(key: str) -> Any:
        if key not in config or config[key] in ("", [], None):
            raise InputError(f"[pact] {key} is required", field=f"pact.{key}")
        return config[key]

    unit = str(need("declared_unit"))
    if unit not in DECLARED_UNITS:
        raise InputError(f"[pact] declared_unit {unit!r}: use one of {', '.join(DECLARED_UNITS)}",
                         field="pact.declared_unit")
    amount = float(need("unitary_product_amount"))
    if not amount > 0:
        raise InputError("[pact] unitary_product_amount must be > 0",
                         field="pact.unitary_product_amount")
    rows = [r for r in result.stages if r.stage in _CRADLE_TO_GATE]
    incl = sum(r.cfp_kgco2e for r in rows) / amount
    excl = sum(r.cfp_excl_biogenic_co2_kgco2e for r in rows) / amount
    fossil = sum(r.fossil_kgco2e for r in rows) / amount
    bio_em = sum(r.biogenic_emissions_kgco2e for r in rows) / amount
    bio_c = float(config.get("biogenic_carbon_content_kgc", 0.0)) / amount
    study = result.study
    packaging = bool(need("packaging_emissions_included"))
    later = [r for r in result.stages if r.stage not in _CRADLE_TO_GATE and r.cfp_kgco2e]
    comment = (f"Calculated with zeropark ({study.method_version or 'version n/a'}) per ISO "
               f"14067:2018; declared unit of the study: {study.declared_unit}. PACT values are "
               f"cradle-to-gate (raw material acquisition and production) per {unit}")
    if later:
        comment += ("; stages after the gate were left out: " + ", ".join(
            f"{r.stage} {r.cfp_kgco2e:.4g} kg CO2e" for r in later))
    comment += "." + (f" {config['comment']}" if config.get("comment") else "")
    pcf: dict[str, Any] = {
        "declaredUnit": unit, "unitaryProductAmount": _dec(amount),
        "pCfExcludingBiogenic": _dec(excl), "pCfIncludingBiogenic": _dec(incl),
        "fossilGhgEmissions": _dec(fossil),
        "fossilCarbonContent": _dec(float(config.get("fossil_carbon_content_kgc", 0.0)) / amount),
        "biogenicCarbonContent": _dec(bio_c),
        "otherBiogenicGhgEmissions": _dec(bio_em),
        "biogenicCarbonWithdrawal": _dec(-bio_c * 44.0 / 12.0),
        "characterizationFactors": "AR6" if "AR6" in study.gwp_set else "AR5",
        "ipccCharacterizationFactorsSources": ["AR6" if "AR6" in study.gwp_set else "AR5"],
        "crossSectoralStandardsUsed": ["ISO Standard 14067"],
        "productOrSectorSpecificRules": [],
        "biogenicAccountingMethodology": "ISO",
        "boundaryProcessesDescription": _boundary_text(result),
        "referencePeriodStart": _timestamp(study.reference_period_start),
        "referencePeriodEnd": _timestamp(study.reference_period_end),
        "secondaryEmissionFactorSources": [{"name": n, "version": v}
                                           for n, v in secondary_sources],
        "exemptedEmissionsPercent": float(config.get("exempted_emissions_percent", 0.0)),
        "exemptedEmissionsDescription": str(config.get("exempted_emissions_description", "")),
        "packagingEmissionsIncluded": packaging,
        "primaryDataShare": round(100.0 * _primary_share(result), 4),
    }
    if "land_management_ghg_emissions" in config:
        pcf["landManagementGhgEmissions"] = _dec(
            float(config["land_management_ghg_emissions"]) / amount)
    if packaging and "packaging_ghg_emissions" in config:
        pcf["packagingGhgEmissions"] = _dec(float(config["packaging_ghg_emissions"]) / amount)
    for key, name in (("geography_country", "geographyCountry"),
                      ("geography_country_subdivision", "geographyCountrySubdivision"),
                      ("geography_region", "geographyRegionOrSubregion")):
        if config.get(key):
            pcf[name] = str(config[key])
    if study.allocation is not None:
        a = study.allocation
        pcf["allocationRulesDescription"] = (
            f"Enterprise energy allocated to the product by {a.method.value} (share "
            f"{a.product_share:.4g}); background processes as in the database (no allocation "
            "applied by zeropark to background multi-output processes).")
    if result.uncertainty is not None:
        u = result.uncertainty
        pcf["uncertaintyAssessmentDescription"] = (
            f"Monte Carlo, {u.iterations} iterations, seed {u.seed}: 95 % interval "
            f"{u.p2_5:.4g} to {u.p97_5:.4g} kg CO2e per study declared unit (whole boundary).")
    if config.get("dqi"):
        pcf["dqi"] = {k: float(v) for k, v in dict(config["dqi"]).items()}
    return {
        "id": pf_id or str(uuid.uuid4()), "specVersion": PACT_SPEC_VERSION,
        "version": int(config.get("version", 0)),
        "created": (created or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "status": "Active", "companyName": str(need("company_name")),
        "companyIds": list(need("company_ids")),
        "productDescription": str(config.get("product_description", study.product)),
        "productIds": list(need("product_ids")),
        "productCategoryCpc": str(need("product_category_cpc")),
        "productNameCompany": str(config.get("product_name_company", study.product)),
        "comment": comment, "pcf": pcf,
    }


def _boundary_text(result: PcfResult) -> str:
    rows = {r.stage: r for r in result.stages}
    parts = [f"{i}) {name}: {rows[k].cfp_kgco2e:.4g} kg CO2e per study declared unit"
             for i, (k, name) in enumerate((
                 ("raw_material_acquisition", "Raw material acquisition (bill of materials, "
                  "inbound transport, background supply chains)"),
                 ("production", "Production (metered electricity and natural gas of the "
                  "enterprise, allocated)")), start=1) if k in rows]
    return "; ".join(parts)


def _primary_share(result: PcfResult) -> float:
    """Share of the cradle-to-gate CFP computed from the enterprise's own (metered) data.

    Taken as the production stage (metered energy × factors) over raw material + production:
    the PACT Framework counts emissions calculated from primary activity data (clause not
    verified); the factors themselves are secondary.
    """
    rows = {r.stage: r.cfp_kgco2e for r in result.stages}
    gate = sum(rows.get(k, 0.0) for k in _CRADLE_TO_GATE)
    return rows.get("production", 0.0) / gate if gate > 0 else 0.0


def validate_pact(doc: Mapping[str, Any]) -> list[str]:
    """Problems of `doc` against :data:`PACT_SCHEMA` plus the spec's cross-field rules.

    Returns
    -------
    list of str
        ``"<json path>: <message>"`` per problem; empty when valid.

    Examples
    --------
    >>> "$: 'id' is a required property" in validate_pact({"specVersion": "2.2.0"})
    True
    """
    import jsonschema

    validator = jsonschema.Draft202012Validator(PACT_SCHEMA)
    problems = [f"{e.json_path}: {e.message}" for e in sorted(
        validator.iter_errors(dict(doc)), key=lambda e: (e.json_path, e.message))]
    pcf = doc.get("pcf", {})
    if isinstance(pcf, Mapping):
        geo = [k for k in ("geographyCountry", "geographyCountrySubdivision",
                           "geographyRegionOrSubregion") if k in pcf]
        if len(geo) > 1:
            problems.append(f"$.pcf: only one geography property may be defined, got {geo}")
        if pcf.get("packagingEmissionsIncluded") is False and "packagingGhgEmissions" in pcf:
            problems.append("$.pcf.packagingGhgEmissions: must not be defined when "
                            "packagingEmissionsIncluded is false")
        start, end = pcf.get("referencePeriodStart"), pcf.get("referencePeriodEnd")
        if isinstance(start, str) and isinstance(end, str) and not start < end:
            problems.append("$.pcf.referencePeriodEnd: must be after referencePeriodStart")
        if isinstance(end, str) and end > "2025-01-01T00:00:00Z":
            missing = [k for k in ("pCfIncludingBiogenic", "dLucGhgEmissions",
                                   "landManagementGhgEmissions", "otherBiogenicGhgEmissions",
                                   "biogenicCarbonWithdrawal", "biogenicAccountingMethodology",
                                   "primaryDataShare", "dqi") if k not in pcf]
            if missing:
                problems.append(f"$.pcf: reference period reaches 2025, so these O* properties "
                                f"are mandatory: {', '.join(missing)}")
        if "primaryDataShare" not in pcf and "dqi" not in pcf:
            problems.append("$.pcf: primaryDataShare or dqi must be defined")
    return problems
