"""Carbon-management conformance (碳管理体系贯标): a checklist engine.

Requirements of a management-system standard are data
(``data/conformance/*.yaml``: ISO 50001:2018 and ISO 14064-1:2018 clause lists
with short paraphrased titles). Each requirement may name *platform checks*:
evidence zeropark can see itself (metered energy for the year, a computed
inventory, cited factors, reviewed data quality, evidenced activity records).
An organisation adds a self-assessment (CSV) and evidence files; the assessment
combines both into a status per requirement, a gap list and a readiness score.

Rules (:func:`combine`):

- self-assessed ``met``: stays met only when every platform check passes and
  every evidence file it names is in the evidence store; otherwise ``partial``
  with the reason;
- not self-assessed: ``partial`` when the requirement has platform checks and
  all pass (platform evidence only), else ``not_met``;
- ``partial``/``not_met``/``not_applicable`` as self-assessed;
- readiness = 100 · Σ wᵢ·sᵢ / Σ wᵢ over applicable requirements, s = 1 (met),
  0.5 (partial), 0 (not met).
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from zeropark.errors import InputError, ParkError
from zeropark.model import Park
from zeropark.store.duckdb import DuckDBStore


class Status(StrEnum):
    """Conformance status of one requirement."""

    MET = "met"
    PARTIAL = "partial"
    NOT_MET = "not_met"
    NOT_APPLICABLE = "not_applicable"


_SCORE = {Status.MET: 1.0, Status.PARTIAL: 0.5, Status.NOT_MET: 0.0}


@dataclass(frozen=True, slots=True)
class Requirement:
    """One clause-level requirement of a standard, with the platform checks that evidence it."""

    requirement_id: str
    standard: str
    clause: str
    title_en: str
    title_zh: str
    weight: float
    checks: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SelfAssessment:
    """An organisation's own answer for a requirement; ``evidence`` names stored files."""

    requirement_id: str
    status: Status
    evidence: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class CheckResult:
    """Outcome of one platform check: passed or not, and why."""

    check: str
    passed: bool
    detail: str


@dataclass(frozen=True, slots=True)
class RequirementResult:
    """Status of one requirement with its reasons."""

    requirement: Requirement
    status: Status
    reasons: tuple[str, ...]
    checks: tuple[CheckResult, ...]
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Assessment:
    """The assessment of one organisation: results, gaps and readiness score [0–100]."""

    enterprise_id: str
    year: int
    results: tuple[RequirementResult, ...]
    readiness: float
    notes: tuple[str, ...] = field(default=())

    def gaps(self) -> tuple[RequirementResult, ...]:
        """Requirements that are not met or only partly met, heaviest first."""
        open_ = [r for r in self.results if r.status in (Status.PARTIAL, Status.NOT_MET)]
        return tuple(sorted(open_, key=lambda r: (-r.requirement.weight,
                                                  r.requirement.requirement_id)))

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        def row(r: RequirementResult) -> dict[str, Any]:
            req = r.requirement
            return {"requirement_id": req.requirement_id, "standard": req.standard,
                    "clause": req.clause, "title_en": req.title_en, "title_zh": req.title_zh,
                    "weight": req.weight, "status": r.status.value, "reasons": list(r.reasons),
                    "checks": [{"check": c.check, "passed": c.passed, "detail": c.detail}
                               for c in r.checks],
                    "evidence": list(r.evidence)}
        return {"enterprise_id": self.enterprise_id, "year": self.year,
                "readiness": round(self.readiness, 1), "notes": list(self.notes),
                "results": [row(r) for r in self.results],
                "gaps": [r.requirement.requirement_id for r in self.gaps()]}


def load_requirements(standards: tuple[str, ...] | None = None) -> tuple[Requirement, ...]:
    """Requirements of the shipped standards (``ISO 50001:2018``, ``ISO 14064-1:2018``).

    Examples
    --------
    >>> reqs = load_requirements(("ISO 14064-1:2018",))
    >>> reqs[0].requirement_id, reqs[0].clause
    ('iso14064-5.1', '5.1')
    """
    out: list[Requirement] = []
    folder = resources.files("zeropark.indicators").joinpath("data", "conformance")
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".yaml"):
            continue
        doc = yaml.safe_load(entry.read_text(encoding="utf-8"))
        if standards is not None and doc["standard"] not in standards:
            continue
        for item in doc["requirements"]:
            unknown = [c for c in item.get("checks", []) if c not in CHECKS]
            if unknown:
                raise InputError(f"unknown platform check {unknown[0]!r}", path=entry.name,
                                 location=item["id"], field="checks")
            out.append(Requirement(item["id"], doc["standard"], str(item["clause"]),
                                   item["title_en"], item["title_zh"], float(item["weight"]),
                                   tuple(item.get("checks", []))))
    return tuple(out)


def read_self_assessment(path: str | Path, requirements: tuple[Requirement, ...]
                         ) -> dict[str, SelfAssessment]:
    """Read a self-assessment CSV: ``requirement_id,status,evidence,note``.

    ``status`` is met, partial, not_met or not_applicable; ``evidence`` lists stored
    evidence file names or SHA-256 digests separated by ``;``.

    Raises
    ------
    InputError
        Naming the file, row and field: an unknown requirement, an unknown status,
        a duplicate requirement, a missing column.
    """
    path = Path(path)
    known = {r.requirement_id for r in requirements}
    out: dict[str, SelfAssessment] = {}
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = {"requirement_id", "status"} - set(reader.fieldnames or ())
            if missing:
                raise InputError(f"missing column(s) {', '.join(sorted(missing))}",
                                 path=str(path), location="header")
            for number, row in enumerate(reader, start=2):
                rid = (row.get("requirement_id") or "").strip()
                where = {"path": str(path), "location": f"row {number}"}
                if rid not in known:
                    raise InputError(f"unknown requirement {rid!r}", field="requirement_id",
                                     **where)
                if rid in out:
                    raise InputError(f"requirement {rid!r} assessed twice",
                                     field="requirement_id", **where)
                text = (row.get("status") or "").strip()
                try:
                    status = Status(text)
                except ValueError:
                    allowed = ", ".join(s.value for s in Status)
                    raise InputError(f"unknown status {text!r}; use one of: {allowed}",
                                     field="status", **where) from None
                evidence = tuple(e.strip() for e in (row.get("evidence") or "").split(";")
                                 if e.strip())
                out[rid] = SelfAssessment(rid, status, evidence, (row.get("note") or "").strip())
    except OSError as err:
        raise InputError(f"cannot read file: {err.strerror}", path=str(path)) from err
    return out


class EvidenceStore:
    """Evidence files kept by content (SHA-256) in a folder, with a JSON index.

    Parameters
    ----------
    root : pathlib.Path
        Folder, e.g. ``<store folder>/evidence``.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _index(self) -> list[dict[str, str]]:
        index = self.root / "index.json"
        if not index.is_file():
            return []
        entries: list[dict[str, str]] = json.loads(index.read_text(encoding="utf-8"))
        return entries

    def add(self, path: str | Path, *, enterprise_id: str, requirement_id: str) -> str:
        """Store a copy of a file for an enterprise and requirement; return its SHA-256."""
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as err:
            raise InputError(f"cannot read file: {err.strerror}", path=str(path)) from err
        digest = hashlib.sha256(data).hexdigest()
        self.root.mkdir(parents=True, exist_ok=True)
        target = self.root / digest
        if not target.exists():
            tmp = target.with_suffix(".tmp")
            shutil.copyfile(path, tmp)
            tmp.replace(target)
        entries = [e for e in self._index()
                   if not (e["sha256"] == digest and e["enterprise_id"] == enterprise_id
                           and e["requirement_id"] == requirement_id)]
        entries.append({"sha256": digest, "name": path.name, "enterprise_id": enterprise_id,
                        "requirement_id": requirement_id, "added": date.today().isoformat()})
        tmp_index = self.root / "index.json.tmp"
        tmp_index.write_text(json.dumps(entries, ensure_ascii=False, indent=1), "utf-8")
        tmp_index.replace(self.root / "index.json")
        return digest

    def names(self, enterprise_id: str) -> set[str]:
        """File names and digests stored for an enterprise."""
        return {v for e in self._index() if e["enterprise_id"] == enterprise_id
                for v in (e["name"], e["sha256"])}


# -- platform checks ------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Context:
    store: DuckDBStore
    park: Park
    enterprise_id: str
    year: int


def _energy(ctx: _Context, year: int) -> float:
    from zeropark.accounting.accounts import counted_meters, local_bounds

    meters = [m.meter_id for m in counted_meters(ctx.park, enterprise_id=ctx.enterprise_id)]
    if not meters:
        return 0.0
    lo, hi = local_bounds(ctx.park, date(year, 1, 1), date(year + 1, 1, 1))
    frame = ctx.store.intervals(ctx.park.park_id, meters, lo, hi)
    return float(frame["energy"].fillna(0.0).sum())


def _check_park_model(ctx: _Context) -> CheckResult:
    has = any(m.enterprise_id == ctx.enterprise_id for m in ctx.park.meters)
    return CheckResult("park_model_defined", has, "meters assigned to the enterprise in the park "
                       "model" if has else "no meter of the park model belongs to it")


def _check_energy(ctx: _Context, year: int, name: str) -> CheckResult:
    kwh = _energy(ctx, year)
    return CheckResult(name, kwh > 0, f"{kwh:,.0f} kWh metered in {year}" if kwh > 0
                       else f"no metered energy in {year}")


def _check_trend(ctx: _Context) -> CheckResult:
    ok = _energy(ctx, ctx.year) > 0 and _energy(ctx, ctx.year - 1) > 0
    return CheckResult("energy_trend_available", ok,
                       f"metered energy for {ctx.year - 1} and {ctx.year}" if ok
                       else "needs metered energy in two consecutive years")


def _check_quality(ctx: _Context) -> CheckResult:
    from zeropark.accounting.accounts import counted_meters

    meters = {m.meter_id for m in counted_meters(ctx.park, enterprise_id=ctx.enterprise_id)}
    issues = ctx.store.quality_issues(ctx.park.park_id)
    issues = issues[issues["meter_id"].isin(list(meters))]
    year = str(ctx.year)
    errors = issues[(issues["severity"] == "error")
                    & issues["start_ts"].fillna("").str.startswith(year)]
    return CheckResult("data_quality_reviewed", errors.empty,
                       "no data-quality errors open" if errors.empty
                       else f"{len(errors)} data-quality error(s) in {year} to review")


def _inventory(ctx: _Context) -> Any:
    from zeropark.accounting.inventory import compute_inventory
    from zeropark.accounting.ledger import enterprise_records

    records = enterprise_records(ctx.store, ctx.park, ctx.enterprise_id,
                                 start=date(ctx.year, 1, 1), end=date(ctx.year + 1, 1, 1))
    region = str(ctx.park.settings.get("grid_region", "CN"))
    return compute_inventory(records, enterprise_id=ctx.enterprise_id, period=str(ctx.year),
                             region=region, data_year=ctx.year)


def _check_inventory(ctx: _Context) -> CheckResult:
    try:
        inv = _inventory(ctx)
    except ParkError as err:
        return CheckResult("inventory_computed", False, f"inventory fails: {err}")
    ok = bool(inv.lines)
    return CheckResult("inventory_computed", ok, f"{len(inv.lines)} inventory lines for "
                       f"{ctx.year}" if ok else "no activity data for the year")


def _check_factors(ctx: _Context) -> CheckResult:
    try:
        inv = _inventory(ctx)
    except ParkError as err:
        return CheckResult("factors_cited", False, f"inventory fails: {err}")
    uses = [f for line in inv.lines for f in line.factors]
    uncited = [f.factor_id for f in uses if not f.source.strip()]
    ok = bool(uses) and not uncited
    return CheckResult("factors_cited", ok, f"{len(uses)} factor uses, all cited" if ok
                       else (f"uncited: {', '.join(uncited[:5])}" if uncited
                             else "no factors used"))


def _check_records(ctx: _Context) -> CheckResult:
    stored = ctx.store.activity(ctx.park.park_id, ctx.enterprise_id, date(ctx.year, 1, 1),
                                date(ctx.year + 1, 1, 1))
    if stored.empty:
        return CheckResult("activity_records_evidenced", False, "no manual activity records")
    missing = [rid for rid, text in zip(stored["record_id"], stored["record_json"], strict=True)
               if not json.loads(text).get("source")]
    return CheckResult("activity_records_evidenced", not missing,
                       f"{len(stored)} records, each with its source" if not missing
                       else f"records without source: {', '.join(missing[:5])}")


CHECKS: Mapping[str, Callable[[_Context], CheckResult]] = {
    "park_model_defined": _check_park_model,
    "metered_energy_year": lambda c: _check_energy(c, c.year, "metered_energy_year"),
    "metered_energy_previous_year": lambda c: _check_energy(c, c.year - 1,
                                                            "metered_energy_previous_year"),
    "energy_trend_available": _check_trend,
    "data_quality_reviewed": _check_quality,
    "inventory_computed": _check_inventory,
    "factors_cited": _check_factors,
    "activity_records_evidenced": _check_records,
}


def combine(requirement: Requirement, answer: SelfAssessment | None,
            checks: tuple[CheckResult, ...], evidence_found: set[str]) -> RequirementResult:
    """Status of a requirement from its self-assessment, platform checks and evidence.

    Examples
    --------
    >>> req = Requirement("r", "S", "1", "t", "t", 1.0, ("x",))
    >>> combine(req, SelfAssessment("r", Status.MET), (CheckResult("x", False, "no"),),
    ...         set()).status.value
    'partial'
    """
    failed = [c for c in checks if not c.passed]
    reasons: list[str] = [f"platform check {c.check}: {c.detail}" for c in failed]
    cited = answer.evidence if answer else ()
    missing = [e for e in cited if e not in evidence_found]
    reasons += [f"evidence {e!r} is not in the evidence store" for e in missing]
    if answer is None:
        if checks and not failed:
            return RequirementResult(requirement, Status.PARTIAL,
                                     ("platform evidence only; no self-assessment",),
                                     checks, ())
        return RequirementResult(requirement, Status.NOT_MET,
                                 tuple(reasons) or ("not assessed",), checks, ())
    status = answer.status
    if status == Status.MET and (failed or missing):
        status = Status.PARTIAL
    elif status == Status.MET and not cited and not checks:
        status = Status.PARTIAL
        reasons.append("claimed met without evidence")
    return RequirementResult(requirement, status, tuple(reasons), checks, cited)


def assess(store: DuckDBStore, park: Park, enterprise_id: str, *, year: int,
           self_assessment: Mapping[str, SelfAssessment] | None = None,
           evidence: EvidenceStore | None = None,
           standards: tuple[str, ...] | None = None) -> Assessment:
    """Assess an enterprise against the shipped management-system requirements.

    Parameters
    ----------
    store, park
        Where the platform evidence is (metered energy, activity records, findings).
    enterprise_id : str
    year : int
        Reporting year of the evidence.
    self_assessment : mapping, optional
        From :func:`read_self_assessment`.
    evidence : EvidenceStore, optional
        Where uploaded evidence files are.
    standards : tuple of str, optional
        Limit to some standards (default all shipped).

    Returns
    -------
    Assessment

    Raises
    ------
    InputError
        For an enterprise that is not in the park.
    """
    if enterprise_id not in {e.enterprise_id for e in park.enterprises}:
        raise InputError(f"unknown enterprise {enterprise_id!r} in park {park.park_id!r}",
                         field="enterprise_id")
    ctx = _Context(store, park, enterprise_id, year)
    cache: dict[str, CheckResult] = {}
    found = evidence.names(enterprise_id) if evidence else set()
    results = []
    for req in load_requirements(standards):
        for name in req.checks:
            if name not in cache:
                cache[name] = CHECKS[name](ctx)
        checks = tuple(cache[n] for n in req.checks)
        results.append(combine(req, (self_assessment or {}).get(req.requirement_id), checks,
                               found))
    applicable = [r for r in results if r.status != Status.NOT_APPLICABLE]
    total = sum(r.requirement.weight for r in applicable)
    score = sum(r.requirement.weight * _SCORE[r.status] for r in applicable)
    readiness = 100.0 * score / total if total else 0.0
    return Assessment(enterprise_id, year, tuple(results), readiness,
                      ("clause titles are paraphrased; verify against the standards' text",))
