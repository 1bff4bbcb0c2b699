"""What a case shows its developers and partners (the portal and the API), scoped to the actor.

A developer sees the case details shared with developers and its own organisation's part of the case
(its participation, answers, statement), never anything of another developer: the affected products
listed for it, not the others'. Partners coordinating the case see every developer. The reporter is
named only when the reporter agreed to it (PRODUCT.md §4, issue 5 rule 7).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from kyocho.accounts import permissions
from kyocho.cases.models import Answer, Case, Participation, Statement, Vulnerability
from kyocho.cases.queries import (
    AnswerCell,
    answer_matrix,
    answered_products,
    get_case,
    named_products,
    products_asked,
    visible_participations,
)
from kyocho.cases.scoring import InvalidVector, Score, cvss31_score, cvss40_score
from kyocho.cases.workflow import PARTICIPATION, CaseStatus, ParticipationStatus, ReviewStatus
from kyocho.disclosure.queries import sees_every_participant
from kyocho.intake.models import CreditPreference, Report
from kyocho.intake.workflow import ReportStatus

P = ParticipationStatus
OPEN_CASE_STATES = (CaseStatus.OPEN, CaseStatus.COORDINATING)


# --- The vulnerabilities, as developers see them --------------------------------------------------


@dataclass(frozen=True)
class SharedVulnerability:
    vulnerability: Vulnerability
    cvss31: Score | None
    cvss40: Score | None
    affected: list[dict[str, Any]]  # the affected products this reader may see


def shared_vulnerabilities(actor: Any, case: Case) -> list[SharedVulnerability]:
    """Every vulnerability of the case with its computed scores; the affected products are only those
    named for the reader's own organisation (all of them for those who see every developer)."""
    case = get_case(actor, case.pk)
    everyone = sees_every_participant(actor, case)  # staff and the case's partners
    own = permissions.vendor_organisation_ids(actor)
    return [
        SharedVulnerability(
            vulnerability,
            _score(cvss31_score, vulnerability.cvss31_vector),
            _score(cvss40_score, vulnerability.cvss40_vector),
            [entry for entry in vulnerability.affected if everyone or entry.get("organisation_id") in own],
        )
        for vulnerability in case.vulnerabilities.order_by("pk")
    ]


def _score(compute: Any, vector: str) -> Score | None:
    if not vector:
        return None
    try:
        return compute(vector)  # type: ignore[no-any-return]
    except InvalidVector:  # stored vectors were checked when saved; an old one the library now refuses
        return None


# --- The reporter -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SharedReporter:
    name: str
    organisation: str
    email: str


def reporters_shown(actor: Any, case: Case) -> list[SharedReporter]:
    """The reporters who agreed to be known: they shared their contact details with the developer and
    asked to be credited by name. Anyone else stays unnamed to developers and partners."""
    case = get_case(actor, case.pk)
    reports = Report.objects.filter(
        case=case,
        status=ReportStatus.ACCEPTED,
        share_contact_with_developer=True,
        credit=CreditPreference.NAME,
    ).order_by("pk")
    return [
        SharedReporter(report.reporter_name, report.reporter_organisation, report.reporter_email) for report in reports
    ]


# --- A developer's part of the case -------------------------------------------------------------------


@dataclass(frozen=True)
class DeveloperPart:
    participation: Participation
    cells: list[AnswerCell]
    statement: Statement | None
    can_acknowledge: bool  # notified (or on the unreachable track) and not acknowledged yet
    may_answer: bool  # acknowledged: answers and the statement are open to its members


def own_participations(actor: Any, case: Case) -> QuerySet[Participation]:
    """The actor's own developer organisations in the case (once notified)."""
    return (
        visible_participations(actor, case)
        .filter(organisation_id__in=permissions.vendor_organisation_ids(actor))
        .exclude(status=P.IDENTIFIED)
    )


def notified_participations(actor: Any, case: Case) -> QuerySet[Participation]:
    """Every developer the actor may see in the case once notified, by name (for partners)."""
    return visible_participations(actor, case).exclude(status=P.IDENTIFIED).order_by("organisation__name", "pk")


def developer_parts(actor: Any, case: Case, participations: QuerySet[Participation]) -> list[DeveloperPart]:
    """Each of ``participations`` (already scoped to the actor) with its answer cells and statement,
    in a fixed number of queries however many there are."""
    chosen = list(participations)
    cells_by_participation: dict[int, list[AnswerCell]] = defaultdict(list)
    for cell in answer_matrix(actor, case, participations=participations):
        cells_by_participation[cell.participation.pk].append(cell)
    statements = {
        statement.participation_id: statement for statement in Statement.objects.filter(participation__in=chosen)
    }
    return [
        DeveloperPart(
            participation,
            cells_by_participation[participation.pk],
            statements.get(participation.pk),
            can_acknowledge=_can_acknowledge(participation),
            may_answer=participation.acknowledged_at is not None and participation.status != P.CLOSED,
        )
        for participation in chosen
    ]


def _can_acknowledge(participation: Participation) -> bool:
    return participation.acknowledged_at is None and PARTICIPATION.can(participation.status, P.ACKNOWLEDGED)


# --- What needs the developer's action (the portal's start page) ---------------------------------------


@dataclass(frozen=True)
class ToDo:
    participation: Participation
    confirm_receipt: bool
    missing_answers: int
    returned_answers: int
    statement_returned: bool

    @property
    def case(self) -> Case:
        return self.participation.case

    def __bool__(self) -> bool:
        return bool(self.confirm_receipt or self.missing_answers or self.returned_answers or self.statement_returned)


def developer_todo(actor: Any) -> list[ToDo]:
    """For each open case of the actor's developer organisations: whether receipt still needs confirming,
    how many answers are missing and how many items came back with a comment. Only cases with
    something to do are listed; four queries however many cases there are."""
    participations = list(
        Participation.objects.filter(
            organisation_id__in=permissions.vendor_organisation_ids(actor), case__status__in=OPEN_CASE_STATES
        )
        .exclude(status__in=[P.IDENTIFIED, P.CLOSED])
        .select_related("case")
        .order_by("case__target_disclosure_at", "pk")
    )
    vulnerabilities: dict[int, list[Vulnerability]] = defaultdict(list)
    for vulnerability in Vulnerability.objects.filter(case__in={p.case_id for p in participations}).only(
        "pk", "case_id", "affected"
    ):
        vulnerabilities[vulnerability.case_id].append(vulnerability)
    answer_rows = list(
        Answer.objects.filter(participation__in=participations).values_list(
            "participation_id", "vulnerability_id", "product", "review_status"
        )
    )
    answered = answered_products((pid, vid, product) for pid, vid, product, _review in answer_rows)
    returned: dict[int, int] = defaultdict(int)
    for pid, _vid, _product, review in answer_rows:
        returned[pid] += review == ReviewStatus.RETURNED
    statements_returned = set(
        Statement.objects.filter(participation__in=participations, review_status=ReviewStatus.RETURNED).values_list(
            "participation_id", flat=True
        )
    )
    named = {
        vulnerability.pk: named_products(vulnerability)
        for vulnerabilities_of_case in vulnerabilities.values()
        for vulnerability in vulnerabilities_of_case
    }
    todo = []
    for participation in participations:
        missing = 0
        for vulnerability in vulnerabilities[participation.case_id]:
            done = answered.get((participation.pk, vulnerability.pk), ())
            asked = products_asked(named[vulnerability.pk].get(participation.organisation_id, ()), done)
            missing += sum(1 for product in asked if product not in done)
        item = ToDo(
            participation,
            confirm_receipt=_can_acknowledge(participation),
            missing_answers=missing,
            returned_answers=returned[participation.pk],
            statement_returned=participation.pk in statements_returned,
        )
        if item:
            todo.append(item)
    return todo
