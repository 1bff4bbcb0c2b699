"""The coordinator approves an answer or a statement for publication, or returns it with a comment.
Posted from the review panel of the case page; every decision is a ``cases.reviews`` action."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kyocho.cases import review_queries, reviews
from kyocho.cases.models import Case
from kyocho.cases.queries import get_case_by_reference
from kyocho.public.registry_views import run_posted_change
from kyocho.staff.views import staff_page


def _answer(approve: bool) -> Any:
    def decide(case: Case, data: QueryDict, actor: Any) -> object:
        answer = review_queries.get_answer(actor, case, data.get("id"))
        return reviews.review_answer(answer.pk, approve=approve, comment=data.get("comment", ""), actor=actor)

    return decide


def _statement(approve: bool) -> Any:
    def decide(case: Case, data: QueryDict, actor: Any) -> object:
        statement = review_queries.get_statement(actor, case, data.get("id"))
        return reviews.review_statement(statement.pk, approve=approve, comment=data.get("comment", ""), actor=actor)

    return decide


DECISIONS = {
    "approve_answer": (_answer(True), gettext_lazy("Answer approved.")),
    "return_answer": (_answer(False), gettext_lazy("Answer returned to the developer with your comment.")),
    "approve_statement": (_statement(True), gettext_lazy("Statement approved.")),
    "return_statement": (_statement(False), gettext_lazy("Statement returned to the developer with your comment.")),
}


@staff_page
@require_POST
def review(request: HttpRequest, reference: str) -> HttpResponse:
    case = get_case_by_reference(request.user, reference)
    run_posted_change(request, DECISIONS, case)
    back = reverse("staff:case", args=[case.reference])
    page = request.POST.get("page", "")
    return redirect(f"{back}?{urlencode({'reviews': page})}#reviews" if page.isdigit() else f"{back}#reviews")
