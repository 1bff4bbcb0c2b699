"""What the staff see before notifying: the developers that can be notified, with how each would be
reached (its contacts with a usable key get the details encrypted, the others a sign-in notice) and
whether it is suspended from pre-notification. Staff only; the number of queries does not depend on
the number of developers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from kyocho.accounts import permissions
from kyocho.accounts.models import Organisation
from kyocho.accounts.roles import OrganisationKind
from kyocho.cases.mail import recipients_of_developers
from kyocho.cases.models import Case
from kyocho.cases.queries import visible_participations
from kyocho.cases.workflow import ParticipationStatus
from kyocho.core.clock import now
from kyocho.core.errors import NotFound
from kyocho.disclosure.queries import suspensions_in_force
from kyocho.vendors.matching import GONE

SEARCH_LIMIT = 20
SEARCH_MIN_LENGTH = 2


@dataclass(frozen=True)
class Notifiable:
    organisation_id: int
    name: str
    in_case: bool  # identified in the case already; otherwise notifying adds it first
    encrypted: int  # contacts that would get the details encrypted to their key
    notice_only: int  # contacts without a usable key: a sign-in notice only
    suspension_reason: str  # why it is suspended from pre-notification; "" when it is not

    @property
    def contacts(self) -> int:
        return self.encrypted + self.notice_only


def identified_developers(actor: Any, case: Case) -> list[Notifiable]:
    """The developers identified in the case and not notified yet, in the order they were added."""
    _require_staff(actor)
    participations = visible_participations(actor, case).filter(status=ParticipationStatus.IDENTIFIED)
    return _notifiable([participation.organisation for participation in participations], in_case=True)


def developers_named(actor: Any, case: Case, text: str) -> list[Notifiable]:
    """Product developers whose name (Japanese or English) holds ``text`` and that are not in the case,
    those the registry rejected or that withdrew left out; at most SEARCH_LIMIT, by name."""
    _require_staff(actor)
    text = text.strip()
    if len(text) < SEARCH_MIN_LENGTH:
        return []
    found = (
        Organisation.objects.filter(Q(name__icontains=text) | Q(name_en__icontains=text))
        .filter(kind=OrganisationKind.PRODUCT_DEVELOPER)
        .exclude(registration__status__in=GONE)
        .exclude(participations__case=case)
        .order_by("name", "pk")[:SEARCH_LIMIT]
    )
    return _notifiable(list(found), in_case=False)


def _require_staff(actor: Any) -> None:
    if not permissions.is_staff_member(actor):
        raise NotFound()


def _notifiable(organisations: list[Organisation], *, in_case: bool) -> list[Notifiable]:
    ids = [organisation.pk for organisation in organisations]
    recipients = recipients_of_developers(ids)
    suspended = suspensions_in_force(ids, now())
    rows = []
    for organisation in organisations:
        contacts = recipients.get(organisation.pk, [])
        with_key = sum(1 for contact in contacts if contact.key is not None)
        suspension = suspended.get(organisation.pk)
        rows.append(
            Notifiable(
                organisation_id=organisation.pk,
                name=organisation.name,
                in_case=in_case,
                encrypted=with_key,
                notice_only=len(contacts) - with_key,
                suspension_reason=suspension.reason if suspension else "",
            )
        )
    return rows
