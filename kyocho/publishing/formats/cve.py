"""CVE JSON 5 (5.1.1) CNA container of one vulnerability: a pure function, data in, dict out.

No database, no settings, no network: the caller gathers the data (``CveVulnerability``) and sends the
result (to CVE Services, or into a published tree). ``schema_problems`` checks a container against the
schema that ships inside ``cvelib``, the one CVE Services itself applies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from cvelib.cve_api import CveRecord, CveRecordValidationError

from kyocho.cases.scoring import Score, cvss31_score, cvss40_score

# One range or version per item: "< 2.4.2", "<= 1.9", ">= 1.0 < 1.4", ">= 3.0", "2.1.7", "= 2.1.7".
_VERSION_ITEM = re.compile(
    r"^(?:>=\s*(?P<start>[^\s<>=]+)\s*)?(?:(?P<op><=?)\s*(?P<end>[^\s<>=]+))?$|^=?\s*(?P<single>[^\s<>=]+)$"
)
_VERSION_SEPARATORS = re.compile(r"[,;]")


@dataclass(frozen=True)
class AffectedProduct:
    vendor: str  # the developer's name, "N/A" when none is known
    product: str
    versions: str  # as a coordinator writes them: "< 2.4.2", ">= 1.0 < 1.4; 2.0.1"


@dataclass(frozen=True)
class Reference:
    url: str
    title: str = ""


@dataclass(frozen=True)
class CveVulnerability:
    title: str
    description_en: str
    description_ja: str
    cwe: str  # "CWE-79" or empty
    cvss31_vector: str
    cvss40_vector: str
    affected: tuple[AffectedProduct, ...]
    references: tuple[Reference, ...]


def cna_container(vulnerability: CveVulnerability, *, provider_org_id: str) -> dict[str, Any]:
    """The CNA container CVE Services publishes; ``provider_org_id`` is the CNA's organisation UUID."""
    container: dict[str, Any] = {
        "providerMetadata": {"orgId": provider_org_id},
        "title": vulnerability.title,
        "descriptions": _descriptions(vulnerability),
        "affected": [_affected(product) for product in vulnerability.affected],
        "references": [_reference(reference) for reference in vulnerability.references],
    }
    if vulnerability.cwe:
        container["problemTypes"] = [
            {
                "descriptions": [
                    {"lang": "en", "type": "CWE", "cweId": vulnerability.cwe, "description": vulnerability.cwe}
                ]
            }
        ]
    metrics = _metrics(vulnerability)
    if metrics:
        container["metrics"] = metrics
    return container


def schema_problems(container: dict[str, Any]) -> list[str]:
    """What makes ``container`` invalid against the CVE JSON 5 CNA published-container schema (empty: valid)."""
    try:
        CveRecord.validate(container, CveRecord.Schemas.CNA_PUBLISHED)
    except CveRecordValidationError as error:
        return sorted({problem.message for problem in error.errors or []})
    return []


def _descriptions(vulnerability: CveVulnerability) -> list[dict[str, str]]:
    # English is required by CVE; the Japanese text goes along as a second description.
    texts = [("en", vulnerability.description_en), ("ja", vulnerability.description_ja)]
    return [{"lang": language, "value": text} for language, text in texts if text]


def _affected(product: AffectedProduct) -> dict[str, Any]:
    entry: dict[str, Any] = {"vendor": product.vendor or "N/A", "product": product.product}
    versions = affected_versions(product.versions)
    if versions:
        # Listed versions are the affected ones; every other version is not.
        entry.update(versions=versions, defaultStatus="unaffected")
    else:
        entry["defaultStatus"] = "unknown"
    return entry


def affected_versions(text: str) -> list[dict[str, str]]:
    """CVE JSON 5 version entries for a coordinator's version text; an item that is no range or
    single version is kept as written (a custom version), so nothing typed is dropped."""
    entries = []
    for item in (part.strip() for part in _VERSION_SEPARATORS.split(text)):
        if not item:
            continue
        match = _VERSION_ITEM.match(item)
        if match is None:
            entries.append({"version": item, "status": "affected"})
        elif match["single"]:
            entries.append({"version": match["single"], "status": "affected"})
        else:
            entries.append(_range(match["start"], match["op"], match["end"]))
    return entries


def _range(start: str | None, op: str | None, end: str | None) -> dict[str, str]:
    entry = {"version": start or "0", "status": "affected", "versionType": "custom"}
    if end is None:
        entry["lessThan"] = "*"  # ">= start": every later version
    elif op == "<=":
        entry["lessThanOrEqual"] = end
    else:
        entry["lessThan"] = end
    return entry


def _reference(reference: Reference) -> dict[str, str]:
    entry = {"url": reference.url}
    if reference.title:
        entry["name"] = reference.title
    return entry


def _metrics(vulnerability: CveVulnerability) -> list[dict[str, Any]]:
    metrics = []
    if vulnerability.cvss40_vector:
        metrics.append(_metric("cvssV4_0", "4.0", cvss40_score(vulnerability.cvss40_vector)))
    if vulnerability.cvss31_vector:
        metrics.append(_metric("cvssV3_1", "3.1", cvss31_score(vulnerability.cvss31_vector)))
    return metrics


def _metric(name: str, version: str, score: Score) -> dict[str, Any]:
    """Scores are computed from the vector here as everywhere: never taken from anyone's typing."""
    return {
        "format": "CVSS",
        "scenarios": [{"lang": "en", "value": "GENERAL"}],
        name: {
            "version": version,
            "vectorString": score.vector,
            "baseScore": float(score.base_score),
            "baseSeverity": score.severity.value.upper(),
        },
    }
