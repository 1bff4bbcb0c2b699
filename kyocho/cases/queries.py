"""Reading cases, scoped to what the actor may see. Anything else is NotFound (404), never 403."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Q, QuerySet

from kyocho.accounts import permissions
from kyocho.cases.models import Case, Participation
from kyocho.cases.workflow import CaseStatus
from kyocho.core.errors import NotFound


def visible_cases(actor: Any) -> QuerySet[Case]:
    """Coordinators and intake staff see every case; developers the cases their organisation was
    notified of (not merely identified); partners the cases shared with their team; reporters the
    cases their own reports were accepted into."""
    if permissions.is_staff_member(actor):
        return Case.objects.all()
    if not getattr(actor, "is_authenticated", False):
        return Case.objects.none()
    vendor_orgs = permissions.vendor_organisation_ids(actor)
    partner_orgs = permissions.partner_organisation_ids(actor)
    condition = Q(reports__reporter=actor)
    if vendor_orgs:
        condition |= Q(participations__organisation_id__in=vendor_orgs) & ~Q(participations__status="identified")
    if partner_orgs:
        condition |= Q(partners__organisation_id__in=partner_orgs)
    return Case.objects.filter(pk__in=Case.objects.filter(condition).values("pk"))


def get_case(actor: Any, case_id: int | str) -> Case:
    try:
        return visible_cases(actor).get(pk=case_id)
    except (Case.DoesNotExist, ValueError, TypeError) as error:
        raise NotFound() from error


def visible_participations(actor: Any, case: Case) -> QuerySet[Participation]:
    """Staff and partners see every developer in a case; a developer sees only its own organisation's."""
    queryset = case.participations.select_related("organisation")
    if (
        permissions.is_staff_member(actor)
        or case.partners.filter(organisation_id__in=permissions.partner_organisation_ids(actor)).exists()
    ):
        return queryset
    return queryset.filter(organisation_id__in=permissions.vendor_organisation_ids(actor))


def get_case_by_reference(actor: Any, reference: str) -> Case:
    """The case with this public reference (what people see and links carry, never the row id)."""
    case = visible_cases(actor).filter(reference=reference).first()
    if case is None:
        raise NotFound()
    return case


def active_cases(actor: Any) -> QuerySet[Case]:
    """Visible cases not yet closed, the nearest target disclosure date first (cases without one last)."""
    return (
        visible_cases(actor)
        .exclude(status=CaseStatus.CLOSED)
        .order_by(F("target_disclosure_at").asc(nulls_last=True), "-created_at")
    )
