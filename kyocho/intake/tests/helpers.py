"""Reports built through the real actions, in any state, for the intake tests."""

from __future__ import annotations

from typing import Any

from kyocho.audit.queries import events_for
from kyocho.cases import actions as cases
from kyocho.cases.models import Case
from kyocho.intake import actions
from kyocho.intake.models import Report
from kyocho.messaging.models import OutboundEmail

SOFTWARE_REPORT: dict[str, Any] = {
    "reporter_name": "Hanako Finder",
    "reporter_email": "hanako@finder.example",
    "product_name": "Example Router RT-500",
    "developer_name": "Example Networks",
    "product_version": "1.2.3",
    "description": "The admin page accepts a crafted Host header and reflects it into a script.",
    "reproduction": "1. Open /admin\n2. Send Host: <script>alert(1)</script>",
    "credit": "name",
    "found_lawfully": True,
}

# SSVC inputs that give "coordinate": several suppliers and an exploit worth automating.
TRIAGE = {
    "report_public": "no",
    "supplier_contacted": "yes",
    "report_credibility": "credible",
    "supplier_cardinality": "multiple",
    "supplier_engagement": "active",
    "utility": "super_effective",
    "public_safety_impact": "minimal",
}


def submit(
    actor: Any = None, *, kind: str = "software", language: str = "en", **fields: Any
) -> tuple[Report, str | None]:
    return actions.submit_report(kind=kind, fields={**SOFTWARE_REPORT, **fields}, actor=actor, language=language)


def reload(report: Report) -> Report:
    return Report.objects.get(pk=report.pk)


def audit_names(report: Report) -> list[str]:
    return [event.name for event in events_for(report)]


def emails_about(report: Report) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(related=f"intake.report:{report.pk}").order_by("pk"))


def live_case(coordinator: Any) -> Case:
    return cases.open_case(title="Existing case", actor=coordinator)


def walk_to(status: str, staff: Any) -> tuple[Report, str | None]:
    """An anonymous report (so with a tracking token) moved to ``status`` by ``staff``."""
    report, token = submit()
    if status == "needs_info":
        actions.request_information(report.pk, question="Which firmware build?", actor=staff)
    elif status == "accepted":
        actions.accept_report(report.pk, actor=staff)
    elif status == "rejected":
        actions.reject_report(report.pk, reason="not_a_vulnerability", note="", actor=staff)
    elif status == "duplicate":
        actions.mark_duplicate(report.pk, case_id=live_case(staff).pk, actor=staff)
    elif status == "withdrawn":
        actions.withdraw_report(report.pk, actor=None, token=token)
    elif status == "spam":
        actions.mark_spam(report.pk, actor=staff)
    else:
        assert status == "received"
    report = reload(report)
    assert report.status == status
    return report, token
