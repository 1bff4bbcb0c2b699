"""A case's vulnerabilities: read by staff, the case's partner teams and its notified developers (each
developer sees only its own affected products and no SSVC assessment); written by coordinators; SSVC
decisions and CVE ids through CVE Services. Scores are computed from the vectors in every answer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict

from kyocho.cases import actions, cve, queries
from kyocho.cases.models import Vulnerability
from kyocho.cases.scoring import Score, cvss31_score, cvss40_score

router = Router(tags=["vulnerabilities"])


class AffectedIn(Schema):
    model_config = ConfigDict(extra="forbid")

    product: str
    versions: str = Field("", description='As written by people: "< 2.4.2", ">= 1.0 < 1.4; 2.0.1".')
    organisation_id: int | None = Field(None, description="The product developer, when known.")


class ReferenceIn(Schema):
    model_config = ConfigDict(extra="forbid")

    url: str
    title: str = ""


class VulnerabilityIn(Schema):
    model_config = ConfigDict(extra="forbid")

    title: str
    description: str = Field("", description="In English: the CVE record's description.")
    description_ja: str = ""
    cwe: str = Field("", description="CWE-79")
    cvss31_vector: str = ""
    cvss40_vector: str = ""
    cve_id: str = Field("", description="Only for an id another CNA assigned; reserve ours with …/cve/reserve.")
    affected: list[AffectedIn] = []
    references: list[ReferenceIn] = []


class VulnerabilityPatch(Schema):
    """Only the fields sent change; an empty string or list clears an optional one."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = None
    description: str | None = None
    description_ja: str | None = None
    cwe: str | None = None
    cvss31_vector: str | None = None
    cvss40_vector: str | None = None
    cve_id: str | None = None
    affected: list[AffectedIn] | None = None
    references: list[ReferenceIn] | None = None


class SsvcIn(Schema):
    model_config = ConfigDict(extra="forbid")

    decision: str = Field(..., description="supplier or coordinator_publish")
    inputs: dict[str, str] = Field(..., description="Every input of that decision, e.g. exploitation: public_poc.")


class ScoreOut(Schema):
    vector: str
    base_score: float
    severity: str


class AffectedOut(Schema):
    product: str
    versions: str
    organisation_id: int | None


class ReferenceOut(Schema):
    url: str
    title: str


class VulnerabilityOut(Schema):
    id: int
    case_id: int
    title: str
    description: str
    description_ja: str
    cwe: str
    cvss31: ScoreOut | None = Field(..., description="Computed from cvss31_vector by the cvss library.")
    cvss40: ScoreOut | None = Field(..., description="Computed from cvss40_vector by the cvss library.")
    cve_id: str
    cve_state: str
    cve_reserved_at: dt.datetime | None
    cve_published_at: dt.datetime | None
    affected: list[AffectedOut]
    references: list[ReferenceOut]
    ssvc: dict[str, Any] | None = Field(..., description="SSVC decisions (staff and partner teams only).")
    created_at: dt.datetime

    @staticmethod
    def resolve_cvss31(vulnerability: Vulnerability) -> dict[str, Any] | None:
        return _score(cvss31_score, vulnerability.cvss31_vector)

    @staticmethod
    def resolve_cvss40(vulnerability: Vulnerability) -> dict[str, Any] | None:
        return _score(cvss40_score, vulnerability.cvss40_vector)

    @staticmethod
    def resolve_affected(vulnerability: Vulnerability, context: dict[str, Any]) -> list[dict[str, Any]]:
        actor = context["request"].auth
        whole = queries.sees_whole_vulnerabilities(actor, vulnerability.case)
        return [
            {"versions": "", "organisation_id": None, **entry}
            for entry in queries.visible_affected(actor, vulnerability, whole=whole)
        ]

    @staticmethod
    def resolve_references(vulnerability: Vulnerability) -> list[dict[str, str]]:
        return [{"title": "", **reference} for reference in vulnerability.references]

    @staticmethod
    def resolve_ssvc(vulnerability: Vulnerability, context: dict[str, Any]) -> dict[str, Any] | None:
        whole = queries.sees_whole_vulnerabilities(context["request"].auth, vulnerability.case)
        return vulnerability.ssvc if whole else None


def _score(compute: Any, vector: str) -> dict[str, Any] | None:
    if not vector:
        return None
    score: Score = compute(vector)
    return {"vector": score.vector, "base_score": float(score.base_score), "severity": score.severity.value}


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _fresh(request: HttpRequest, vulnerability: Vulnerability) -> Vulnerability:
    return queries.get_vulnerability(_actor(request), vulnerability.pk)


@router.get("/cases/{case_id}/vulnerabilities", response=list[VulnerabilityOut], summary="A case's vulnerabilities")
def list_vulnerabilities(request: HttpRequest, case_id: int) -> list[Vulnerability]:
    return list(queries.case_vulnerabilities(_actor(request), case_id))


@router.post(
    "/cases/{case_id}/vulnerabilities",
    response={201: VulnerabilityOut},
    summary="Add a vulnerability to a case (coordinators)",
)
def add_vulnerability(request: HttpRequest, case_id: int, payload: VulnerabilityIn) -> Status[Vulnerability]:
    added = actions.add_vulnerability(case_id, actor=_actor(request), **payload.model_dump())
    return Status(201, _fresh(request, added))


@router.get("/vulnerabilities/{vulnerability_id}", response=VulnerabilityOut, summary="One vulnerability")
def get_vulnerability(request: HttpRequest, vulnerability_id: int) -> Vulnerability:
    return queries.get_vulnerability(_actor(request), vulnerability_id)


@router.patch(
    "/vulnerabilities/{vulnerability_id}", response=VulnerabilityOut, summary="Change a vulnerability (coordinators)"
)
def update_vulnerability(request: HttpRequest, vulnerability_id: int, payload: VulnerabilityPatch) -> Vulnerability:
    changes = payload.model_dump(exclude_unset=True)
    updated = actions.update_vulnerability(vulnerability_id, actor=_actor(request), **changes)
    return _fresh(request, updated)


@router.post(
    "/vulnerabilities/{vulnerability_id}/ssvc",
    response=VulnerabilityOut,
    summary="Record an SSVC decision: supplier or coordinator_publish (coordinators)",
)
def record_ssvc(request: HttpRequest, vulnerability_id: int, payload: SsvcIn) -> Vulnerability:
    recorded = actions.record_vulnerability_ssvc(
        vulnerability_id, decision=payload.decision, inputs=payload.inputs, actor=_actor(request)
    )
    return _fresh(request, recorded)


@router.post(
    "/vulnerabilities/{vulnerability_id}/cve/reserve",
    response=VulnerabilityOut,
    summary="Reserve a CVE id through CVE Services (coordinators, when this installation is a CNA)",
)
def reserve_cve(request: HttpRequest, vulnerability_id: int) -> Vulnerability:
    return _fresh(request, cve.reserve_cve(vulnerability_id, actor=_actor(request)))


@router.post(
    "/vulnerabilities/{vulnerability_id}/cve/publish",
    response=VulnerabilityOut,
    summary="Publish or update the CVE record through CVE Services (refused under embargo)",
)
def publish_cve(request: HttpRequest, vulnerability_id: int) -> Vulnerability:
    return _fresh(request, cve.publish_cve(vulnerability_id, actor=_actor(request)))


@router.post(
    "/vulnerabilities/{vulnerability_id}/cve/release",
    response=VulnerabilityOut,
    summary="Give back a reserved, unpublished CVE id (CVE Services rejects it)",
)
def release_cve(request: HttpRequest, vulnerability_id: int) -> Vulnerability:
    return _fresh(request, cve.release_cve(vulnerability_id, actor=_actor(request)))
