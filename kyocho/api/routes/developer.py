"""The developer portal in the API, for PSIRT tooling: a case as developers see it, confirming receipt,
answers (one or many cells), the statement, asking for a later date; and for coordinators, what waits
for review and the review itself. Reads go through the case queries, changes through the actions: a
developer asking about another developer's participation gets 404, like the portal."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.pagination import paginate

from kyocho.accounts import permissions
from kyocho.api.developer_schemas import (
    AnswerOut,
    AnswersIn,
    CaseForDevelopersOut,
    DeveloperPartOut,
    ExtensionIn,
    ExtensionOut,
    PendingAnswerOut,
    PendingStatementOut,
    ReviewIn,
    StatementIn,
    StatementOut,
)
from kyocho.api.pagination import Page
from kyocho.api.schemas import CaseOut
from kyocho.cases import actions as case_actions
from kyocho.cases import developer_queries, review_queries, reviews
from kyocho.cases.developer_queries import DeveloperPart, SharedVulnerability
from kyocho.cases.models import Answer, Case, Participation, Statement
from kyocho.cases.queries import get_case, get_participation
from kyocho.cases.scoring import Score
from kyocho.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from kyocho.disclosure import actions as disclosure
from kyocho.disclosure.models import ExtensionRequest
from kyocho.disclosure.queries import embargo_of, sees_every_participant, visible_extension_requests

router = Router(tags=["developer portal"])
review_router = Router(tags=["review"])


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _participation_in(actor: Any, case_id: int, participation_id: int) -> Participation:
    participation = get_participation(actor, participation_id)
    if participation.case_id != case_id:
        raise NotFound()
    return participation


# --- A case as developers see it ---------------------------------------------------------------------


@router.get(
    "/cases/{case_id}/details",
    response=CaseForDevelopersOut,
    summary="The case as shared with developers: vulnerabilities, your answers and statement, the agreed date",
)
def case_details(request: HttpRequest, case_id: int) -> dict[str, Any]:
    actor = _actor(request)
    case = get_case(actor, case_id)
    own = developer_queries.own_participations(actor, case)
    everyone = sees_every_participant(actor, case)
    if not everyone and not own.exists():
        raise PermissionDenied(_("These details are shared with the case's developers and partners."))
    shown = developer_queries.notified_participations(actor, case) if everyone else own
    embargo = embargo_of(actor, case.pk)
    return {
        **{field: getattr(case, field) for field in CaseOut.model_fields},
        "summary": case.summary,
        "embargo": embargo,
        "vulnerabilities": [_vulnerability(item) for item in developer_queries.shared_vulnerabilities(actor, case)],
        "reporters": developer_queries.reporters_shown(actor, case),
        "developers": [_part(part) for part in developer_queries.developer_parts(actor, case, shown)],
        "extension_requests": list(visible_extension_requests(actor, embargo)) if embargo is not None else [],
    }


def _vulnerability(item: SharedVulnerability) -> dict[str, Any]:
    vulnerability = item.vulnerability
    return {
        "id": vulnerability.pk,
        "title": vulnerability.title,
        "description": vulnerability.description,
        "cwe": vulnerability.cwe,
        "cve_id": vulnerability.cve_id,
        "cvss31": _score(item.cvss31),
        "cvss40": _score(item.cvss40),
        "affected": [
            {
                "product": entry["product"],
                "versions": entry.get("versions", ""),
                "organisation_id": entry.get("organisation_id"),
            }
            for entry in item.affected
        ],
    }


def _score(score: Score | None) -> dict[str, Any] | None:
    if score is None:
        return None
    return {"vector": score.vector, "base_score": float(score.base_score), "severity": score.severity.value}


def _part(part: DeveloperPart) -> dict[str, Any]:
    participation = part.participation
    return {
        "participation_id": participation.pk,
        "organisation_id": participation.organisation_id,
        "organisation": participation.organisation.name,
        "status": participation.status,
        "notified_at": participation.notified_at,
        "acknowledged_at": participation.acknowledged_at,
        "can_acknowledge": part.can_acknowledge,
        "may_answer": part.may_answer,
        "answers": [
            {
                "vulnerability_id": cell.vulnerability.pk,
                "product": cell.product,
                "status": cell.status,
                "answer": cell.answer,
            }
            for cell in part.cells
        ],
        "statement": part.statement,
    }


# --- A developer's changes -----------------------------------------------------------------------------


@router.post(
    "/cases/{case_id}/participations/{participation_id}/acknowledge",
    response=DeveloperPartOut,
    summary="Confirm that your organisation received the notification",
)
def acknowledge(request: HttpRequest, case_id: int, participation_id: int) -> dict[str, Any]:
    actor = _actor(request)
    participation = _participation_in(actor, case_id, participation_id)
    case_actions.acknowledge_participation(participation.pk, actor=actor)
    return _fresh_part(actor, participation)


def _fresh_part(actor: Any, participation: Participation) -> dict[str, Any]:
    case = get_case(actor, participation.case_id)
    rows = developer_queries.notified_participations(actor, case).filter(pk=participation.pk)
    return _part(developer_queries.developer_parts(actor, case, rows)[0])


@router.put(
    "/cases/{case_id}/participations/{participation_id}/answers",
    response=list[AnswerOut],
    summary="Answer one or many (vulnerability, product) cells; all are saved, or none",
    description="A changed answer goes back to review; sending an unchanged answer again changes nothing "
    "(a returned one goes back before the coordinator). A refused cell is named in the error's field, "
    "e.g. answers.2.fixed_version.",
)
def put_answers(request: HttpRequest, case_id: int, participation_id: int, payload: AnswersIn) -> list[Answer]:
    actor = _actor(request)
    participation = _participation_in(actor, case_id, participation_id)
    return reviews.record_answers(
        participation.pk, answers=[cell.model_dump() for cell in payload.answers], actor=actor
    )


@router.put(
    "/cases/{case_id}/participations/{participation_id}/statement",
    response=StatementOut,
    summary="Write or change your statement for the advisory (ja, en or both, with references)",
)
def put_statement(request: HttpRequest, case_id: int, participation_id: int, payload: StatementIn) -> Statement:
    actor = _actor(request)
    participation = _participation_in(actor, case_id, participation_id)
    return reviews.save_statement(
        participation.pk, text_ja=payload.text_ja, text_en=payload.text_en, references=payload.references, actor=actor
    )


@router.post(
    "/cases/{case_id}/extension-requests",
    response={201: ExtensionOut},
    summary="Ask for a later disclosure date (while one is agreed), with a reason",
)
def request_extension(request: HttpRequest, case_id: int, payload: ExtensionIn) -> Status:
    actor = _actor(request)
    case = get_case(actor, case_id)
    embargo = embargo_of(actor, case.pk)
    if embargo is None:
        raise Conflict(_("There is no agreed disclosure date to extend."))
    created: ExtensionRequest = disclosure.request_extension(
        embargo.pk,
        organisation_id=_speaking_for(actor, case, payload.organisation_id),
        requested_end_at=payload.requested_end_at,
        reason=payload.reason,
        actor=actor,
    )
    return Status(201, created)


def _speaking_for(actor: Any, case: Case, organisation_id: int | None) -> int:
    """The developer the caller asks for: the one given, or the caller's only developer in the case."""
    if organisation_id is not None:
        return organisation_id
    own = list(developer_queries.own_participations(actor, case).values_list("organisation_id", flat=True))
    if len(own) == 1:
        return int(own[0])
    if not own:
        if permissions.is_staff_member(actor) or sees_every_participant(actor, case):
            raise PermissionDenied(_("Only the developer's own members can ask for an extension."))
        raise NotFound()
    raise InvalidInput(
        _("You speak for several developers in this case: give organisation_id."), field="organisation_id"
    )


# --- The coordinator's review -----------------------------------------------------------------------------


@review_router.get(
    "/cases/{case_id}/reviews/answers", response=list[PendingAnswerOut], summary="Answers waiting for review (staff)"
)
@paginate(Page)
def pending_answers(request: HttpRequest, case_id: int) -> QuerySet[Answer]:
    return review_queries.pending_answers(_actor(request), case_id)  # type: ignore[no-any-return]


@review_router.get(
    "/cases/{case_id}/reviews/statements",
    response=list[PendingStatementOut],
    summary="Statements waiting for review (staff)",
)
@paginate(Page)
def pending_statements(request: HttpRequest, case_id: int) -> QuerySet[Statement]:
    return review_queries.pending_statements(_actor(request), case_id)  # type: ignore[no-any-return]


@review_router.post(
    "/answers/{answer_id}/review",
    response=AnswerOut,
    summary="Approve an answer for publication, or return it with a comment (coordinators)",
)
def review_answer(request: HttpRequest, answer_id: int, payload: ReviewIn) -> Answer:
    return reviews.review_answer(answer_id, approve=payload.approve, comment=payload.comment, actor=_actor(request))


@review_router.post(
    "/statements/{statement_id}/review",
    response=StatementOut,
    summary="Approve a statement for publication, or return it with a comment (coordinators)",
)
def review_statement(request: HttpRequest, statement_id: int, payload: ReviewIn) -> Statement:
    return reviews.review_statement(
        statement_id, approve=payload.approve, comment=payload.comment, actor=_actor(request)
    )
