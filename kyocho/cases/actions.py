"""The only writers of cases, participations, vulnerabilities and answers.

Recipe for every action (ARCHITECTURE.md): transaction → lock → permission → transition check →
audit event → save → side effects on commit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kyocho.accounts import permissions
from kyocho.accounts.models import Organisation
from kyocho.accounts.roles import OrganisationKind
from kyocho.audit.actions import record
from kyocho.cases.models import Case, Participation
from kyocho.cases.workflow import CASE, PARTICIPATION, CaseStatus, ParticipationStatus
from kyocho.core.actions import lock, required_text
from kyocho.core.clock import now
from kyocho.core.errors import Conflict, NotFound
from kyocho.core.ids import public_reference


def require_coordinator(actor: Any) -> None:
    permissions.require(permissions.is_coordinator(actor), _("Only coordinators can do this."))


def open_case(*, title: str, actor: Any, summary: str = "", international: bool = False) -> Case:
    """Intake staff may open a case too (accepting a report); it then waits, unowned, for a coordinator."""
    permissions.require(permissions.is_staff_member(actor), _("Only intake staff and coordinators can do this."))
    title = required_text(title, "title", _("Title"), max_length=300)
    with transaction.atomic():
        case = Case.objects.create(
            reference=public_reference("KYC"),
            title=title,
            summary=summary.strip(),
            international=international,
            owner=actor if permissions.is_coordinator(actor) else None,
        )
        record("case:case:opened", actor=actor, subject=case, data={"title": title})
    return case


def add_participant(case_id: int, *, organisation_id: int, actor: Any) -> Participation:
    """Add a product developer to the case as ``identified`` (nothing is sent yet)."""
    with transaction.atomic():
        case = lock(Case, case_id)
        require_coordinator(actor)
        if case.status not in {CaseStatus.OPEN, CaseStatus.COORDINATING}:
            raise Conflict(_("Developers can only be added to an open or coordinating case."))
        organisation = Organisation.objects.filter(pk=organisation_id, kind=OrganisationKind.PRODUCT_DEVELOPER).first()
        if organisation is None:
            raise NotFound(_("No such product developer."))
        try:
            with transaction.atomic():
                participation = Participation.objects.create(case=case, organisation=organisation)
        except IntegrityError as error:
            raise Conflict(_("This developer is already in the case.")) from error
        record("case:participant:identified", actor=actor, subject=case, data={"organisation": organisation.pk})
    return participation


def transition_participation(
    participation: Participation, target: str, *, actor: Any, data: dict[str, Any] | None = None
) -> None:
    """Move a locked participation along its table and audit it. Callers hold the lock and checked permission."""
    PARTICIPATION.check(participation.status, target)
    old = participation.status
    participation.status = target
    participation.save()
    record(
        f"case:participant:{target}",
        actor=actor,
        subject=participation.case,
        data={"organisation": participation.organisation_id, "from": old, **(data or {})},
    )


def notify_participant(participation_id: int, *, actor: Any) -> Participation:
    """Mark a developer notified. The first notification of a case sets its 起算日 and default date."""
    with transaction.atomic():
        participation = lock(Participation, participation_id)
        require_coordinator(actor)
        case = lock(Case, participation.case_id)
        at = now()
        participation.notified_at = at
        transition_participation(participation, ParticipationStatus.NOTIFIED, actor=actor)
        if case.start_date is None:
            start_case_clock(case, at=at, actor=actor)
    return participation


def start_case_clock(case: Case, *, at: dt.datetime, actor: Any) -> None:
    """起算日: the first contact with a developer; the case starts coordinating from here."""
    CASE.check(case.status, CaseStatus.COORDINATING)
    case.status = CaseStatus.COORDINATING
    case.start_date = at
    case.target_disclosure_at = at + dt.timedelta(days=settings.KYOCHO["DEFAULT_DISCLOSURE_DAYS"])
    case.save()
    record(
        "case:case:coordinating",
        actor=actor,
        subject=case,
        data={"start_date": at.isoformat(), "target_disclosure_at": case.target_disclosure_at.isoformat()},
    )


def acknowledge_participation(participation_id: int, *, actor: Any) -> Participation:
    """The developer confirmed contact (Vultron V). Staff or a member of the developer may do this;
    from the unreachable track it withdraws any listing."""
    with transaction.atomic():
        participation = lock(Participation, participation_id)
        is_member = participation.organisation_id in permissions.vendor_organisation_ids(actor)
        if not (is_member or permissions.is_coordinator(actor)):
            raise NotFound()
        participation.acknowledged_at = participation.acknowledged_at or now()
        participation.listed_at = None
        transition_participation(participation, ParticipationStatus.ACKNOWLEDGED, actor=actor)
    return participation


def mark_case_published(case_id: int, *, actor: Any) -> Case:
    """The case's advisory went public (called by the advisory publication, also by the scheduler)."""
    with transaction.atomic():
        case = lock(Case, case_id)
        if actor is not None:
            require_coordinator(actor)
        CASE.check(case.status, CaseStatus.PUBLISHED)
        case.status = CaseStatus.PUBLISHED
        case.save()
        record("case:case:published", actor=actor, subject=case)
    return case
