"""Finding the developers a case's vulnerability affects, and adding one to the case (staff only)."""

from __future__ import annotations

from dataclasses import asdict

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from kyocho.api.schemas import ParticipantOut
from kyocho.cases import actions as case_actions
from kyocho.cases import queries as case_queries
from kyocho.vendors.matching import find_candidates

router = Router(tags=["cases"])


class EvidenceOut(Schema):
    kind: str = Field(..., description="sbom, cpe or keyword.")
    product_id: int | None
    product: str
    product_version: str = Field(..., description="The product version whose SBOM holds the component.")
    component_purl: str
    component_version: str
    cpe: str
    keyword: str


class CandidateOut(Schema):
    organisation_id: int
    organisation: str
    strongest: str = Field(..., description="The strongest kind of evidence: sbom, then cpe, then keyword.")
    in_case: bool
    evidence: list[EvidenceOut]


class ParticipantIn(Schema):
    organisation_id: int


@router.get(
    "/cases/{case_id}/candidates",
    response=list[CandidateOut],
    summary="Developers a vulnerability may affect, best first, with their evidence (staff only)",
)
def list_candidates(
    request: HttpRequest, case_id: int, purl: str = "", vers: str = "", cpe: str = "", keywords: str = ""
) -> list[dict[str, object]]:
    actor = request.auth  # type: ignore[attr-defined]
    case = case_queries.get_case(actor, case_id)
    found = find_candidates(actor, purl=purl, vers=vers, cpe=cpe, keywords=keywords)
    in_case = set(case.participations.values_list("organisation_id", flat=True))
    return [
        {
            "organisation_id": candidate.organisation_id,
            "organisation": candidate.organisation,
            "strongest": candidate.strongest,
            "in_case": candidate.organisation_id in in_case,
            "evidence": [asdict(item) for item in candidate.evidence],
        }
        for candidate in found
    ]


@router.post(
    "/cases/{case_id}/participants",
    response={201: ParticipantOut},
    summary="Add a registered developer to the case as identified (coordinators)",
)
def add_participant(request: HttpRequest, case_id: int, payload: ParticipantIn) -> Status:
    participation = case_actions.add_participant(case_id, organisation_id=payload.organisation_id, actor=request.auth)  # type: ignore[attr-defined]
    return Status(201, participation)
