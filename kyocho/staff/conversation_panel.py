"""The conversations panel of the staff case page. Its queries do not grow with the number of
developers: the shared threads (all participants, product, reporter, partner) are few, and the private
developer threads are one searchable, paginated list with those holding unread messages first."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest

from kyocho.accounts.permissions import is_coordinator
from kyocho.cases import conversation_queries as convo
from kyocho.cases.models import Case, ThreadKind
from kyocho.intake.workflow import ReportStatus

DEVELOPERS_PER_PAGE = 20


def conversations_panel(request: HttpRequest, case: Case) -> dict[str, Any]:
    if not is_coordinator(request.user):
        return {"conversations": None}  # intake staff take no part in case conversations
    shared = list(convo.threads_for(request.user, case).exclude(kind=ThreadKind.DEVELOPER))
    opened = {(thread.kind, thread.organisation_id) for thread in shared}
    partners = case.partners.select_related("organisation").order_by("organisation__name")
    return {
        "conversations": {
            "shared": [(thread, convo.thread_name(thread)) for thread in shared],
            "can_open_group": (ThreadKind.ALL_PARTICIPANTS, None) not in opened,
            # Each finder has a thread of their own: the accepted reports without one yet.
            "reports_without_thread": list(
                case.reports.filter(status=ReportStatus.ACCEPTED)
                .exclude(reporter_threads__isnull=False)
                .order_by("pk")
                .only("pk", "reference")
            ),
            "partners_without_thread": [
                partner.organisation
                for partner in partners
                if (ThreadKind.PARTNER, partner.organisation_id) not in opened
            ],
            **developer_list(request, case),
        }
    }


def developer_list(request: HttpRequest, case: Case) -> dict[str, Any]:
    """One page of the case's developers with their private thread and its unread count
    (``?threads_q=`` searches by name, ``?threads_page=`` pages)."""
    search = request.GET.get("threads_q", "").strip()[:200]
    rows = convo.developer_threads(request.user, case, search=search)
    page: Page[Any] = Paginator(rows, DEVELOPERS_PER_PAGE).get_page(request.GET.get("threads_page"))
    return {"developers": page, "search": search}
