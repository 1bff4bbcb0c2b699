"""Reading embargoes, consents, case events, breaches and suspensions, scoped to the actor.

What an actor may see of a case's disclosure follows what it may see of the case
(``cases.queries.get_case``): anything else is NotFound.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet

from kyocho.accounts import permissions
from kyocho.accounts.models import Organisation
from kyocho.cases.models import Case
from kyocho.cases.queries import get_case
from kyocho.cases.workflow import ParticipationStatus
from kyocho.core.clock import now
from kyocho.core.errors import NotFound
from kyocho.disclosure.models import Breach, CaseEvent, Consent, Embargo, ExtensionRequest, PreNotificationSuspension
from kyocho.disclosure.workflow import IN_FORCE

# Developers in these contact states are asked to agree to the date; identified ones were never told
# of the case, and the unreachable track has nobody to ask.
CONSENTING_PARTICIPATION_STATES = frozenset({ParticipationStatus.NOTIFIED, ParticipationStatus.ACKNOWLEDGED})


def consenting_organisation_ids(case: Case) -> set[int]:
    """The developers told of the case and the partner teams it is shared with: all must agree to the date."""
    developers = case.participations.filter(status__in=CONSENTING_PARTICIPATION_STATES).values_list(
        "organisation_id", flat=True
    )
    partners = case.partners.values_list("organisation_id", flat=True)
    return set(developers) | set(partners)


def speaks_for(actor: Any, organisation_id: int) -> bool:
    """A developer's members and a partner team's members act for their own organisation."""
    own = permissions.vendor_organisation_ids(actor) | permissions.partner_organisation_ids(actor)
    return organisation_id in own


def embargo_of(actor: Any, case_id: int | str) -> Embargo | None:
    """The case's embargo (None before any date was proposed) for those who may see the case."""
    case = get_case(actor, case_id)
    return Embargo.objects.filter(case=case).first()


def get_embargo(actor: Any, embargo_id: int | str) -> Embargo:
    try:
        embargo = Embargo.objects.select_related("case").get(pk=embargo_id)
    except (Embargo.DoesNotExist, ValueError, TypeError) as error:
        raise NotFound() from error
    get_case(actor, embargo.case_id)
    return embargo


def sees_every_participant(actor: Any, case: Case) -> bool:
    return (
        permissions.is_staff_member(actor)
        or case.partners.filter(organisation_id__in=permissions.partner_organisation_ids(actor)).exists()
    )


def visible_consents(actor: Any, embargo: Embargo) -> QuerySet[Consent]:
    """Staff and the case's partners see every consent; a developer only its own organisation's."""
    get_case(actor, embargo.case_id)
    consents = embargo.consents.select_related("organisation").order_by("organisation__name")
    if sees_every_participant(actor, embargo.case):
        return consents
    return consents.filter(organisation_id__in=permissions.vendor_organisation_ids(actor))


def visible_extension_requests(actor: Any, embargo: Embargo) -> QuerySet[ExtensionRequest]:
    """Staff see every request; a developer its own organisation's."""
    get_case(actor, embargo.case_id)
    requests = embargo.extension_requests.select_related("organisation").order_by("-created_at")
    if permissions.is_staff_member(actor):
        return requests
    return requests.filter(organisation_id__in=permissions.vendor_organisation_ids(actor))


def case_events(actor: Any, case_id: int | str) -> QuerySet[CaseEvent]:
    return CaseEvent.objects.filter(case=get_case(actor, case_id)).order_by("at")


def visible_breaches(actor: Any, case_id: int | str) -> QuerySet[Breach]:
    """Breaches are a judgement about a participant: staff only (NotFound for everyone else)."""
    case = get_case(actor, case_id)
    if not permissions.is_staff_member(actor):
        raise NotFound()
    return Breach.objects.filter(case=case).select_related("organisation").order_by("at")


def breach_count(organisation: Organisation | int) -> int:
    """How many times this organisation broke an agreed disclosure date (for suspension decisions)."""
    return Breach.objects.filter(organisation=organisation).count()


def embargo_in_force(embargo: Embargo | None) -> bool:
    return embargo is not None and embargo.status in IN_FORCE


def suspension_in_force(
    organisation: Organisation | int, at: dt.datetime | None = None
) -> PreNotificationSuspension | None:
    """The organisation's suspension from pre-notification at ``at`` (default: now): one that has begun
    and whose end is open or still ahead (lifting sets the end to the moment it was lifted)."""
    return PreNotificationSuspension.objects.filter(_in_force(at or now()), organisation=organisation).first()


def suspensions_in_force(organisation_ids: Iterable[int], at: dt.datetime) -> dict[int, PreNotificationSuspension]:
    """``suspension_in_force`` of many organisations at once, by organisation id (those suspended)."""
    suspensions = PreNotificationSuspension.objects.filter(_in_force(at), organisation_id__in=list(organisation_ids))
    return {suspension.organisation_id: suspension for suspension in suspensions}


def _in_force(at: dt.datetime) -> Q:
    return (Q(until__isnull=True) | Q(until__gt=at)) & Q(created_at__lte=at)


def is_suspended(organisation: Organisation | int, at: dt.datetime | None = None) -> bool:
    return suspension_in_force(organisation, at) is not None
