"""Reading reports, scoped to the actor: intake and coordinators see all, a reporter only their own."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from kyocho.accounts import permissions
from kyocho.core.errors import NotFound
from kyocho.intake.models import Report


def visible_reports(actor: Any) -> QuerySet[Report]:
    if permissions.is_staff_member(actor):
        return Report.objects.all()
    if getattr(actor, "is_authenticated", False):
        return Report.objects.filter(reporter=actor)
    return Report.objects.none()


def get_report(actor: Any, report_id: int | str) -> Report:
    try:
        return visible_reports(actor).get(pk=report_id)
    except (Report.DoesNotExist, ValueError, TypeError) as error:
        raise NotFound() from error
