"""The case page's "find affected developers" panel (htmx partial; works as a plain page without JS).

GET lists the candidates for the purl + vers, CPE and keywords typed in the panel's form; POST adds
one of them to the case as ``identified`` through ``cases.actions.add_participant``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kyocho.cases.actions import add_participant
from kyocho.cases.models import Case
from kyocho.cases.queries import get_case_by_reference, visible_participations
from kyocho.core.errors import DomainError
from kyocho.staff.views import staff_page
from kyocho.vendors.matching import find_candidates

QUERY_FIELDS = ("purl", "vers", "cpe", "keywords")


def _query(data: Any) -> dict[str, str]:
    return {name: (data.get(name) or "").strip()[:1000] for name in QUERY_FIELDS}


def _panel(
    request: HttpRequest, case: Case, query: dict[str, str], *, added: str = "", error: str = ""
) -> HttpResponse:
    candidates: list[Any] = []
    if any(query.values()) and not error:
        try:
            candidates = find_candidates(request.user, **query)
        except DomainError as refusal:
            error = refusal.message
    in_case = set(visible_participations(request.user, case).values_list("organisation_id", flat=True))
    context = {
        "case": case,
        "query": query,
        "searched": any(query.values()),
        "candidates": candidates,
        "in_case": in_case,
        "added": added,
        "error": error,
    }
    template = "staff/includes/candidates_panel.html" if request.htmx else "staff/candidates.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@require_GET
@staff_page
def candidates(request: HttpRequest, reference: str) -> HttpResponse:
    case = get_case_by_reference(request.user, reference)
    return _panel(request, case, _query(request.GET))


@require_POST
@staff_page
def add_candidate(request: HttpRequest, reference: str) -> HttpResponse:
    case = get_case_by_reference(request.user, reference)
    query = _query(request.POST)
    raw_id = request.POST.get("organisation_id", "")
    organisation_id = int(raw_id) if raw_id.isdigit() else 0  # no developer has id 0: "No such product developer."
    try:
        participation = add_participant(case.pk, organisation_id=organisation_id, actor=request.user)
    except DomainError as refusal:  # already in the case, case closed, no such developer: say so in the panel
        return _panel(request, case, query, error=refusal.message)
    if not request.htmx:  # type: ignore[attr-defined]
        return redirect("staff:case", reference=case.reference)
    added = _("%(developer)s was added to the case as identified.") % {"developer": participation.organisation.name}
    response = _panel(request, case, query, added=added)
    response["HX-Trigger"] = "kyocho-participants-changed"  # the notify panel lists it now
    return response
