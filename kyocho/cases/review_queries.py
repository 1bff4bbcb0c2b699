"""The coordinator's review: what waits for review, the answer overview, and what may be published.

Staff only (anyone else: NotFound). Every read here takes a fixed number of queries however many
developers the case has: a case with hundreds of developers stays fast.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Q

from kyocho.accounts import permissions
from kyocho.cases.models import Answer, Case, Participation, Statement, Vulnerability
from kyocho.cases.queries import NO_RESPONSE, answered_products, get_case, named_products, products_asked
from kyocho.cases.workflow import AnswerStatus, ParticipationStatus, ReviewStatus
from kyocho.core.errors import NotFound

REVIEW_PAGE = 10  # developers per page of the review queue (each with up to a few dozen items)
# Columns of the overview, in the order a coordinator reads them; silent developers are "no response".
OVERVIEW_STATUSES = (*AnswerStatus.values, NO_RESPONSE)
# A vulnerability's affected list names every developer's products: in a big case, read it only where needed.
HEAVY_VULNERABILITY_FIELDS = ("vulnerability__affected", "vulnerability__description", "vulnerability__ssvc")


def _staff_case(actor: Any, case: Case | int) -> Case:
    if not permissions.is_staff_member(actor):
        raise NotFound()
    return get_case(actor, case.pk if isinstance(case, Case) else case)


# --- What waits for review -------------------------------------------------------------------------


@dataclass(frozen=True)
class DeveloperReviews:
    """One developer's answers and statement waiting for a coordinator."""

    participation: Participation
    answers: list[Answer]
    statement: Statement | None


def _waiting(case: Case) -> Any:
    pending_answer = Answer.objects.filter(participation=OuterRef("pk"), review_status=ReviewStatus.PENDING)
    pending_statement = Statement.objects.filter(participation=OuterRef("pk"), review_status=ReviewStatus.PENDING)
    return (
        Participation.objects.filter(case=case)
        .filter(Exists(pending_answer) | Exists(pending_statement))
        .select_related("organisation")
        .order_by("organisation__name", "pk")
    )


def review_queue(actor: Any, case: Case, *, page: Any = 1) -> tuple[Page[Participation], list[DeveloperReviews]]:
    """A page of the developers with something waiting for review, each with its pending answers and
    statement (developers by name; a page holds ``REVIEW_PAGE`` of them)."""
    case = _staff_case(actor, case)
    shown = Paginator(_waiting(case), REVIEW_PAGE).get_page(page)
    developers = list(shown.object_list)
    answers: dict[int, list[Answer]] = defaultdict(list)
    for answer in (
        Answer.objects.filter(participation__in=developers, review_status=ReviewStatus.PENDING)
        .select_related("vulnerability")
        .defer(*HEAVY_VULNERABILITY_FIELDS)
        .order_by("vulnerability_id", "product")
    ):
        answers[answer.participation_id].append(answer)
    statements = {
        statement.participation_id: statement
        for statement in Statement.objects.filter(participation__in=developers, review_status=ReviewStatus.PENDING)
    }
    return shown, [DeveloperReviews(p, answers[p.pk], statements.get(p.pk)) for p in developers]


def pending_answers(actor: Any, case: Case | int) -> Any:
    """Answers waiting for review, by developer then vulnerability (the API pages through them)."""
    return (
        Answer.objects.filter(participation__case=_staff_case(actor, case), review_status=ReviewStatus.PENDING)
        .select_related("participation__organisation", "vulnerability")
        .defer(*HEAVY_VULNERABILITY_FIELDS)
        .order_by("participation__organisation__name", "participation_id", "vulnerability_id", "product")
    )


def pending_statements(actor: Any, case: Case | int) -> Any:
    return (
        Statement.objects.filter(participation__case=_staff_case(actor, case), review_status=ReviewStatus.PENDING)
        .select_related("participation__organisation")
        .order_by("participation__organisation__name", "participation_id")
    )


def get_answer(actor: Any, case: Case, answer_id: Any) -> Answer:
    """One answer of this case, for staff (anything else, or another case's answer: NotFound)."""
    answer = Answer.objects.filter(pk=_id(answer_id), participation__case=_staff_case(actor, case)).first()
    if answer is None:
        raise NotFound()
    return answer


def get_statement(actor: Any, case: Case, statement_id: Any) -> Statement:
    statement = Statement.objects.filter(pk=_id(statement_id), participation__case=_staff_case(actor, case)).first()
    if statement is None:
        raise NotFound()
    return statement


def _id(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as error:
        raise NotFound() from error


# --- The answer overview ------------------------------------------------------------------------------


@dataclass(frozen=True)
class VulnerabilityCounts:
    vulnerability: Vulnerability
    counts: dict[str, int]  # answer status or no_response → cells

    @property
    def cells(self) -> list[int]:
        return [self.counts.get(status, 0) for status in OVERVIEW_STATUSES]


@dataclass(frozen=True)
class AnswerOverview:
    rows: list[VulnerabilityCounts]
    totals: dict[str, int]
    developers: int  # notified developers
    silent: int  # notified developers without a single answer
    answer_reviews: dict[str, int] = field(default_factory=dict)  # review status → answers
    statement_reviews: dict[str, int] = field(default_factory=dict)  # review status → statements

    @property
    def total_cells(self) -> list[int]:
        return [self.totals.get(status, 0) for status in OVERVIEW_STATUSES]


def answer_overview(actor: Any, case: Case) -> AnswerOverview:
    """Counts of answer cells per vulnerability and status, a cell nobody answered counting as
    no_response (never "unknown"), with the review state of answers and statements. Four queries."""
    case = _staff_case(actor, case)
    vulnerabilities = list(case.vulnerabilities.order_by("pk").only("pk", "title", "affected", "case_id"))
    developers = list(
        Participation.objects.filter(case=case)
        .exclude(status=ParticipationStatus.IDENTIFIED)
        .values_list("pk", "organisation_id")
    )
    answers = list(
        Answer.objects.filter(participation__case=case).values_list(
            "participation_id", "vulnerability_id", "product", "status", "review_status"
        )
    )
    status_of = {(pid, vid, product): status for pid, vid, product, status, _review in answers}
    answered = answered_products(status_of)
    rows = []
    for vulnerability in vulnerabilities:
        counts: Counter[str] = Counter()
        named = named_products(vulnerability)
        for pid, organisation_id in developers:
            for product in products_asked(named.get(organisation_id, ()), answered.get((pid, vulnerability.pk), ())):
                counts[status_of.get((pid, vulnerability.pk, product), NO_RESPONSE)] += 1
        rows.append(VulnerabilityCounts(vulnerability, dict(counts)))
    totals: Counter[str] = Counter()
    for row in rows:
        totals.update(row.counts)
    answering = {pid for pid, *_rest in answers}
    statements = Statement.objects.filter(participation__case=case).values("review_status").annotate(n=Count("pk"))
    return AnswerOverview(
        rows=rows,
        totals=dict(totals),
        developers=len(developers),
        silent=sum(1 for pid, _org in developers if pid not in answering),
        answer_reviews=dict(Counter(review for *_rest, review in answers)),
        statement_reviews={row["review_status"]: row["n"] for row in statements},
    )


# --- What may be published -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Publishable:
    """Only what a coordinator approved: the advisory's vendor information is built from this."""

    answers: list[Answer]
    statements: list[Statement]


def approved_for_publication(actor: Any, case_id: int) -> Publishable:
    """The approved answers and statements of the case, for staff."""
    return publishable(_staff_case(actor, case_id))


def publishable(case: Case) -> Publishable:
    """The same for a caller that already holds the case it may publish (the publication itself, which
    runs as the system): approved answers and approved statements only, never pending or returned ones."""
    approved = Q(review_status=ReviewStatus.APPROVED, participation__case=case)
    return Publishable(
        answers=list(
            Answer.objects.filter(approved)
            .select_related("participation__organisation", "vulnerability")
            .defer(*HEAVY_VULNERABILITY_FIELDS)
            .order_by("participation__organisation__name", "participation_id", "vulnerability_id", "product")
        ),
        statements=list(
            Statement.objects.filter(approved)
            .select_related("participation__organisation")
            .order_by("participation__organisation__name", "participation_id")
        ),
    )
