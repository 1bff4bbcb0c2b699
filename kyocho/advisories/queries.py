"""Reading advisories, scoped to the actor. Anything else is NotFound (404).

- staff see every advisory;
- a case's participants (and its reporter) see the approved drafts shared with them for review;
- everyone sees published advisories, and nothing of a case while its embargo holds.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

from kyocho.accounts import permissions
from kyocho.advisories.models import Advisory
from kyocho.advisories.workflow import AdvisoryStatus
from kyocho.cases.queries import visible_cases
from kyocho.core.clock import now
from kyocho.core.errors import NotFound
from kyocho.disclosure.models import Embargo
from kyocho.disclosure.workflow import IN_FORCE

# Approved drafts shared for review stay visible to participants once scheduled for the date.
SHAREABLE_STATES = (AdvisoryStatus.APPROVED, AdvisoryStatus.SCHEDULED)


def public_advisories(at: dt.datetime | None = None) -> QuerySet[Advisory]:
    """What the public portal may show at ``at``: published, and no case whose embargo still holds."""
    at = at or now()
    embargoed_cases = Embargo.objects.filter(status__in=IN_FORCE, end_at__gt=at).values("case_id")
    return Advisory.objects.filter(status=AdvisoryStatus.PUBLISHED, first_published_at__lte=at).exclude(
        case_id__in=embargoed_cases
    )


def visible_advisories(actor: Any) -> QuerySet[Advisory]:
    if permissions.is_staff_member(actor):
        return Advisory.objects.all()
    public = public_advisories()
    if not getattr(actor, "is_authenticated", False):
        return public
    shared = Advisory.objects.filter(case__in=visible_cases(actor), status__in=SHAREABLE_STATES, shared_for_review=True)
    return Advisory.objects.filter(Q(pk__in=public.values("pk")) | Q(pk__in=shared.values("pk")))


def get_advisory(actor: Any, advisory_id: int | str) -> Advisory:
    try:
        return visible_advisories(actor).get(pk=advisory_id)
    except (Advisory.DoesNotExist, ValueError, TypeError) as error:
        raise NotFound() from error


def case_advisories(actor: Any, case_id: int) -> QuerySet[Advisory]:
    return visible_advisories(actor).filter(case_id=case_id).order_by("created_at")
