"""The CBAM transitional quarterly report as XML (QReport schema 17.03) and its validation.

The structure follows IR (EU) 2023/1773 Annex I (Table 1, report structure) as
encoded in the Commission's XSD ``QReport_17.03.xsd`` + ``stypes.xsd``. The
schema is not shipped with zeropark: :func:`load_schema` reads it from
``$ZEROPARK_DATA_DIR/cbam/`` or downloads it pinned and checksummed (manifest
``cbam/data/qreport_manifest.json``; source GitHub JNDUNLAP/cbam-api, MIT; the
schema is the European Commission's). The current official version is 23.00;
17.03 is what is openly available.

Code values: the schema only fixes their length. The codes below (measurement
units ``01``/``EMU1``, determination types ``01``/``02``, methodology ``TOM01``,
electricity source ``SOE01``, procedure ``40``, coordinates ``01``) are taken
from the Commission's sample report; their meanings in the registry's code lists
were not verified — check them before submitting.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from zeropark.cbam.installation import Address
from zeropark.cbam.pipeline import InstallationResult
from zeropark.errors import InputError

NAMESPACE = "http://xmlns.ec.eu/BusinessObjects/CBAM/Types/V1"
SCHEMA_FILE = "QReport_17.03.xsd"

#: Code values used (see the module note: from the Commission's sample, not verified).
CODES = {
    "mass_unit": "01",  # MeasurementUnit of net mass (sample: "01" with NetMass in t)
    "emission_unit": "EMU1",  # t CO2e per t (sample)
    "determination_actual": "01",
    "determination_default": "02",
    "methodology": "TOM01",
    "electricity_source": "SOE01",
    "emission_factor_source": "01",
    "procedure": "40",  # release for free circulation (customs procedure code)
    "coordinates": "01",
}


@dataclass(frozen=True, slots=True)
class Party:
    """Declarant or importer: EORI-like identification number, name, address, role."""

    identification_number: str
    name: str
    address: Address
    role: str = "01"


@dataclass(frozen=True, slots=True)
class ReportHeader:
    """Report-level data of a quarterly report.

    Attributes
    ----------
    draft_report_id : str
        1–22 characters.
    period : str
        ``"Q1"`` … ``"Q4"``.
    year : int
    submission : datetime
        UTC submission time.
    declarant : Party
    competent_authority : str
        Reference number of the national competent authority.
    signature_place, signatory, signatory_position : str
    importer : Party or None
    """

    draft_report_id: str
    period: str
    year: int
    submission: datetime
    declarant: Party
    competent_authority: str
    signature_place: str
    signatory: str
    signatory_position: str
    importer: Party | None = None
    remarks: str = ""


@dataclass(frozen=True, slots=True)
class ImportedLine:
    """Goods of one CN code from one installation imported in the quarter.

    Attributes
    ----------
    cn_code : str
    net_mass_t : float
        [t]
    result : InstallationResult
        The producing installation's SEE.
    origin_country : str
        ISO alpha-2; default the installation's country.
    """

    cn_code: str
    net_mass_t: float
    result: InstallationResult
    origin_country: str = ""
    codes: dict[str, str] = field(default_factory=dict)


def _dec(value: float, digits: int) -> str:
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _sub(parent: ET.Element, tag: str, text: Any = None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{NAMESPACE}}}{tag}")
    if text is not None:
        element.text = str(text)
    return element


def _address(parent: ET.Element, tag: str, address: Address) -> None:
    node = _sub(parent, tag)
    _sub(node, "Country", address.country)
    for name, value in (("SubDivision", address.subdivision), ("City", address.city),
                        ("Street", address.street), ("Number", address.number),
                        ("Postcode", address.postcode)):
        if value or name == "City":
            _sub(node, name, value[:70] if name == "Street" else value[:35])


def build_qreport(header: ReportHeader, lines: Sequence[ImportedLine]) -> bytes:
    """The quarterly report as UTF-8 XML bytes (QReport 17.03 element order).

    Parameters
    ----------
    header : ReportHeader
    lines : sequence of ImportedLine
        One ``ImportedGood`` each, with one ``GoodsEmissions`` from its installation.

    Returns
    -------
    bytes

    Raises
    ------
    InputError
        For no lines, a period other than Q1–Q4, or a CN code the installation does
        not produce.

    Notes
    -----
    Per good (IR 2023/1773 Annex I): EmissionsPerUnit = SEE_dir + SEE_ind [t CO2e/t];
    TotalDirect = M · SEE_dir; TotalIndirect = M · SEE_ind; OverallEmissions = their
    sum [t CO2e]. ``InstallationEmissions`` carries the installation's attributed
    direct and indirect emissions of the period; ``ElectricityConsumed`` the process's
    specific electricity [MWh/t]. ``TotalImported`` is the number of goods items
    (interpretation, not verified).
    """
    if not lines:
        raise InputError("a quarterly report needs at least one imported good", field="lines")
    if header.period not in ("Q1", "Q2", "Q3", "Q4"):
        raise InputError(f"period must be Q1–Q4, got {header.period!r}", field="period")
    ET.register_namespace("", NAMESPACE)
    root = ET.Element(f"{{{NAMESPACE}}}QReport")
    _sub(root, "SubmissionDate", header.submission.strftime("%Y-%m-%dT%H:%M:%SZ"))
    _sub(root, "DraftReportId", header.draft_report_id)
    _sub(root, "ReportingPeriod", header.period)
    _sub(root, "Year", header.year)
    _sub(root, "TotalImported", len(lines))
    totals = []
    for line in lines:
        good = line.result.good(line.cn_code)
        totals.append(line.net_mass_t * good.see_total_t_per_t)
    _sub(root, "TotalEmissions", _dec(sum(totals), 7))
    decl = _sub(root, "Declarant")
    _sub(decl, "IdentificationNumber", header.declarant.identification_number)
    _sub(decl, "Name", header.declarant.name[:70])
    _sub(decl, "Role", header.declarant.role)
    _address(decl, "ActorAddress", header.declarant.address)
    if header.importer is not None:
        imp = _sub(root, "Importer")
        _sub(imp, "IdentificationNumber", header.importer.identification_number)
        _sub(imp, "Name", header.importer.name[:70])
        _address(imp, "ImporterAddress", header.importer.address)
    _sub(_sub(root, "NationalCompetentAuth"), "ReferenceNumber", header.competent_authority)
    conf = _sub(_sub(root, "Signatures"), "ReportConfirmation")
    _sub(conf, "GlobalDataConfirmation", "true")
    _sub(conf, "UseOfDataConfirmation", "true")
    _sub(conf, "SignatureDate", header.submission.strftime("%Y%m%d"))
    _sub(conf, "SignaturePlace", header.signature_place)
    _sub(conf, "Signature", header.signatory)
    _sub(conf, "PositionOfPersonSending", header.signatory_position)
    if header.remarks:
        _sub(_sub(root, "Remarks"), "AdditionalInformation", header.remarks[:512])
    for number, line in enumerate(lines, start=1):
        _imported_good(root, number, line)
    ET.indent(root)
    xml: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return xml


def _imported_good(root: ET.Element, number: int, line: ImportedLine) -> None:
    codes = {**CODES, **line.codes}
    result = line.result
    inst = result.installation
    good = result.good(line.cn_code)
    cbam_good = next(g for g in good.goods
                     if g.cn_code == "".join(c for c in line.cn_code if c.isdigit()))
    process = next(p for p in result.processes if p.process_id == good.process_id)
    mass = line.net_mass_t
    item = _sub(root, "ImportedGood")
    _sub(item, "ItemNumber", number)
    commodity = _sub(item, "CommodityCode")
    _sub(commodity, "HsCode", cbam_good.hs_code)
    _sub(commodity, "CnCode", cbam_good.cn_code[6:8])
    _sub(_sub(commodity, "CommodityDetails"), "Description", cbam_good.description[:512])
    _sub(_sub(item, "OriginCountry"), "Country", line.origin_country or inst.address.country)
    quantity = _sub(item, "ImportedQuantity")
    _sub(quantity, "SequenceNumber", 1)
    _sub(_sub(quantity, "Procedure"), "RequestedProc", codes["procedure"])
    _sub(_sub(quantity, "ImportArea"), "ImportArea", "EU")
    measure = _sub(quantity, "MeasureProcedureImported")
    _sub(measure, "Indicator", 0)
    _sub(measure, "NetMass", _dec(mass, 6))
    _sub(measure, "MeasurementUnit", codes["mass_unit"])
    imported = _sub(item, "MeasureImported")
    _sub(imported, "NetMass", _dec(mass, 6))
    _sub(imported, "MeasurementUnit", codes["mass_unit"])
    total = _sub(item, "TotalEmissions")
    _sub(total, "EmissionsPerUnit", _dec(good.see_total_t_per_t, 7))
    _sub(total, "OverallEmissions", _dec(mass * good.see_total_t_per_t, 7))
    _sub(total, "TotalDirect", _dec(mass * good.see_direct_t_per_t, 7))
    _sub(total, "TotalIndirect", _dec(mass * good.see_indirect_t_per_t, 7))
    _sub(total, "MeasurementUnit", codes["emission_unit"])
    ge = _sub(item, "GoodsEmissions")
    _sub(ge, "SequenceNumber", 1)
    _sub(ge, "ProductionCountry", inst.address.country)
    op = _sub(ge, "InstallationOperator")
    _sub(op, "OperatorId", inst.operator.operator_id[:17])
    _sub(op, "OperatorName", inst.operator.name[:70])
    _address(op, "OperatorAddress", inst.operator.address)
    contact = _sub(op, "ContactDetails")
    _sub(contact, "Name", inst.operator.contact_name or inst.operator.name[:70])
    _sub(contact, "Phone", inst.operator.phone or "-")
    _sub(contact, "Email", inst.operator.email or "-")
    node = _sub(ge, "Installation")
    _sub(node, "InstallationId", inst.installation_id[:17])
    _sub(node, "InstallationName", inst.name[:256])
    if inst.economic_activity:
        _sub(node, "EconomicActivity", inst.economic_activity[:256])
    addr = _sub(node, "Address")
    _sub(addr, "EstablishmentCountry", inst.address.country)
    for name, value in (("SubDivision", inst.address.subdivision), ("City", inst.address.city),
                        ("Street", inst.address.street), ("Number", inst.address.number),
                        ("Postcode", inst.address.postcode), ("Latitude", inst.latitude),
                        ("Longitude", inst.longitude)):
        if value:
            _sub(addr, name, value)
    if inst.latitude and inst.longitude:
        _sub(addr, "CoordinatesType", codes["coordinates"])
    produced = _sub(ge, "ProducedMeasure")
    _sub(produced, "NetMass", _dec(good.activity_level_t, 6))
    _sub(produced, "MeasurementUnit", codes["mass_unit"])
    ie = _sub(ge, "InstallationEmissions")
    _sub(ie, "OverallEmissions", _dec(result.total_direct_t + result.total_indirect_t, 7))
    _sub(ie, "TotalDirect", _dec(result.total_direct_t, 7))
    _sub(ie, "TotalIndirect", _dec(result.total_indirect_t, 7))
    _sub(ie, "MeasurementUnit", codes["emission_unit"])
    uses_default = any(s.origin == "default" for _, _, s in good.precursors)
    direct = _sub(ge, "DirectEmissions")
    _sub(direct, "DeterminationType", codes["determination_default" if uses_default
                                             else "determination_actual"])
    _sub(direct, "ApplicableReportingTypeMethodology", codes["methodology"])
    _sub(direct, "ApplicableReportingMethodology",
         "Commission Implementing Regulation (EU) 2023/1773, Annex III")
    _sub(direct, "SpecificEmbeddedEmissions", _dec(good.see_direct_t_per_t, 7))
    _sub(direct, "MeasurementUnit", codes["emission_unit"])
    indirect = _sub(ge, "IndirectEmissions")
    _sub(indirect, "DeterminationType", codes["determination_actual"])
    _sub(indirect, "EmissionFactorSource", codes["emission_factor_source"])
    _sub(indirect, "EmissionFactor", _dec(process.ef_electricity_t_per_mwh, 5))
    _sub(indirect, "SpecificEmbeddedEmissions", _dec(good.see_indirect_t_per_t, 7))
    _sub(indirect, "MeasurementUnit", codes["emission_unit"])
    specific_mwh = process.electricity_mwh / good.activity_level_t
    if specific_mwh < 1e5:
        _sub(indirect, "ElectricityConsumed", _dec(specific_mwh, 2))
    _sub(indirect, "ElectricitySource", codes["electricity_source"])
    if inst.ef_electricity_source:
        _sub(indirect, "EmissionFactorSourceValue", inst.ef_electricity_source[:512])
    qp = _sub(ge, "ProdMethodQualifyingParams")
    _sub(qp, "SequenceNumber", 1)
    _sub(qp, "MethodId", codes.get("method_id", "P99"))
    _sub(qp, "MethodName", (good.route or good.category)[:256])
    proc = inst.process(good.process_id)
    for seq, (key, value) in enumerate(proc.qualifying_parameters, start=1):
        param = _sub(qp, "DirectQualifyingParameters")
        _sub(param, "SequenceNumber", seq)
        _sub(param, "DeterminationType", codes["determination_actual"])
        _sub(param, "ParameterId", key[:5])
        _sub(param, "ParameterName", key[:256])
        _sub(param, "ParameterValueType", "TEXT")
        _sub(param, "ParameterValue", value[:256])


@dataclass(frozen=True, slots=True)
class SchemaFinding:
    """One XSD validation error: the XPath of the failing element and why."""

    path: str
    reason: str
    message: str


def schema_dir(data_dir: Path | None = None, cache_dir: Path | None = None) -> Path:
    """Folder holding ``QReport_17.03.xsd`` + ``stypes.xsd``.

    Read from ``<data_dir>/cbam/`` (``ZEROPARK_DATA_DIR``) or downloaded into the
    cache, pinned and checksummed (:func:`zeropark.demo.datasets.locate_dataset`).

    Raises
    ------
    DataNotFoundError
        If neither works.
    """
    import json
    from importlib import resources

    from zeropark.demo.datasets import locate_dataset
    from zeropark.settings import Settings

    settings = Settings()
    doc = json.loads(resources.files("zeropark.cbam").joinpath(
        "data/qreport_manifest.json").read_text(encoding="utf-8"))
    return locate_dataset(doc, data_dir=data_dir if data_dir is not None else settings.data_dir,
                          cache_dir=cache_dir or settings.cache_dir)


def load_schema(folder: Path | None = None) -> Any:
    """The QReport schema as an ``xmlschema.XMLSchema`` (from :func:`schema_dir` by default)."""
    import xmlschema

    folder = folder or schema_dir()
    return xmlschema.XMLSchema(str(Path(folder) / SCHEMA_FILE))


def validate_qreport(document: bytes | str | Path, schema: Any | None = None
                     ) -> tuple[SchemaFinding, ...]:
    """Validate a quarterly report against the QReport XSD.

    Parameters
    ----------
    document : bytes, str or pathlib.Path
        XML bytes/text, or a file path.
    schema : xmlschema.XMLSchema, optional
        Default :func:`load_schema`.

    Returns
    -------
    tuple of SchemaFinding
        Empty when valid; otherwise one finding per error with the XPath of the
        failing element (``/QReport/ImportedGood/CommodityCode/CnCode``).
    """
    import xmlschema

    schema = schema or load_schema()
    source: Any = str(document) if isinstance(document, Path) else document
    if isinstance(source, bytes):
        source = source.decode("utf-8")
    try:
        errors = list(schema.iter_errors(source))
    except xmlschema.XMLSchemaException as err:  # not well-formed XML
        return (SchemaFinding("/", "not well-formed XML", str(err)),)
    except ET.ParseError as err:
        return (SchemaFinding("/", "not well-formed XML", str(err)),)
    return tuple(SchemaFinding(str(e.path or "/"), str(e.reason or e.message), str(e.message))
                 for e in errors)
