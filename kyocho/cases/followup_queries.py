"""Reading the follow-up of developers (PRODUCT.md §2.3): one developer's page in a case (timeline,
contacts, contact log, unreachable progress), who is due (escalated, may be declared unreachable) and
what the staff digest counts. Staff only: anyone else sees nothing, and a page asked for is NotFound.

Every list here is one query whatever the number of developers (counts are annotations or groups).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet

from kyocho.accounts import permissions
from kyocho.accounts.models import User
from kyocho.accounts.roles import COORDINATOR_ROLES, STAFF_ROLES
from kyocho.cases import queries
from kyocho.cases.models import Answer, Case, ContactAttempt, Participation, Statement
from kyocho.cases.workflow import CaseStatus, ParticipationStatus, ReviewStatus
from kyocho.core.errors import NotFound
from kyocho.disclosure.workflow import IN_FORCE
from kyocho.messaging.models import InboundMail
from kyocho.messaging.workflow import InboundStatus
from kyocho.vendors.models import Registration

P = ParticipationStatus

# A developer is followed up while it was told of a running case and has not answered; a case on
# hold is not (the hold stops reminders and escalation, and so what is due).
FOLLOWED_UP = Q(status=P.NOTIFIED, case__status=CaseStatus.COORDINATING, case__on_hold=False)


def _staff_only(actor: Any, participations: QuerySet[Participation]) -> QuerySet[Participation]:
    return participations if permissions.is_staff_member(actor) else participations.none()


# --- One developer in a case ---------------------------------------------------------------------


def developer_in_case(actor: Any, reference: str, organisation_id: int | str) -> Participation:
    """The participation of this developer in the case with this reference; staff only (the contact
    log is the coordinators' working record), NotFound for anyone else and for a developer not in it."""
    if not permissions.is_staff_member(actor):
        raise NotFound()
    case = queries.get_case_by_reference(actor, reference)
    participation = (
        queries.visible_participations(actor, case)
        .filter(organisation_id=organisation_id)
        .select_related("case")
        .first()
    )
    if participation is None:
        raise NotFound()
    return participation


def participation_for_staff(actor: Any, participation_id: int | str) -> Participation:
    """A participation with its follow-up, for staff; NotFound for anyone else (developers and partners
    never see the contact log, nor its progress)."""
    if not permissions.is_staff_member(actor):
        raise NotFound()
    return queries.get_participation(actor, participation_id)


def contact_log(actor: Any, participation_id: int | str) -> QuerySet[ContactAttempt]:
    """Every attempt, oldest first, with the mail that carried it (for its outbox status) and who logged it."""
    return queries.contact_attempts(actor, participation_id).select_related("email", "recorded_by").order_by("at", "pk")


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    phone: str
    responsible: bool
    fingerprint: str  # of the key mail to this contact is encrypted to; empty: no usable key


@dataclass(frozen=True)
class Reach:
    """How the registry says the developer can be reached."""

    phone: str  # the developer's main number
    website: str
    contacts: list[Contact]

    def numbers(self) -> list[tuple[str, str]]:
        """(whose, number) for every phone number: the main one (whose is empty), then the contacts'."""
        main = [("", self.phone)] if self.phone else []
        return main + [(contact.name, contact.phone) for contact in self.contacts if contact.phone]


def developer_reach(participation: Participation) -> Reach:
    """The developer's main number, website and registered contacts, each contact with the key its mail
    is encrypted to as ``cases.mail`` chooses it (so the page shows what is really sent)."""
    from kyocho.cases.mail import developer_recipients  # mail imports the vendors app; keep this module light

    registration = Registration.objects.filter(organisation_id=participation.organisation_id).first()
    if registration is None:
        return Reach(phone="", website="", contacts=[])
    keys = {recipient.address: recipient.key for recipient in developer_recipients(participation)}
    contacts = [
        Contact(
            name=contact.name,
            email=contact.email,
            phone=contact.phone,
            responsible=contact.responsible,
            fingerprint=key.fingerprint if (key := keys.get(contact.email)) else "",
        )
        for contact in registration.contacts.order_by("-responsible", "pk")
    ]
    return Reach(phone=registration.phone, website=registration.website, contacts=contacts)


def partner_teams(case: Case) -> list[str]:
    """The partner coordinator teams the case is shared with: another way to reach a silent developer."""
    return list(case.partners.order_by("pk").values_list("organisation__name", flat=True))


@dataclass(frozen=True)
class Progress:
    """Where a developer stands against the unreachable rule: done and needed for each part."""

    attempts: int
    attempts_needed: int
    days: int
    days_needed: int
    channels: int
    channels_needed: int
    missing: list[str]

    @property
    def complete(self) -> bool:
        return not self.missing


def progress(participation: Participation) -> Progress:
    return _progress_of(queries.unreachable_progress(participation))


def _progress_of(counts: queries.UnreachableProgress) -> Progress:
    rules = settings.KYOCHO
    return Progress(
        attempts=counts.attempts,
        attempts_needed=rules["UNREACHABLE_MIN_ATTEMPTS"],
        days=counts.days,
        days_needed=rules["UNREACHABLE_MIN_DAYS"],
        channels=counts.channels,
        channels_needed=rules["UNREACHABLE_MIN_CHANNELS"],
        missing=counts.shortfalls(),
    )


def stage2_from(participation: Participation) -> dt.datetime | None:
    """When the product may be added to the unreachable listing (stage 2), once the name is listed."""
    if participation.listed_at is None:
        return None
    return participation.listed_at + dt.timedelta(days=settings.KYOCHO["UNREACHABLE_STAGE2_DAYS"])


# --- Who is due ----------------------------------------------------------------------------------


def escalated_developers(actor: Any) -> QuerySet[Participation]:
    """Developers escalated to the case owner and still silent, the longest escalated first."""
    due = Participation.objects.filter(FOLLOWED_UP, escalated_at__isnull=False)
    return _staff_only(actor, due).select_related("case", "organisation").order_by("escalated_at", "pk")


def unreachable_candidates(actor: Any) -> QuerySet[Participation]:
    """Silent developers whose contact log now meets the unreachable rule (attempts, days, channels),
    counted in the database: ``attempt_count`` and the other counts are annotated on each row."""
    rules = settings.KYOCHO
    span = ExpressionWrapper(F("last_attempt_at") - F("first_attempt_at"), output_field=DurationField())
    candidates = (
        queries.with_contact_progress(Participation.objects.filter(FOLLOWED_UP))
        .alias(span=span)
        .filter(
            attempt_count__gte=rules["UNREACHABLE_MIN_ATTEMPTS"],
            channel_count__gte=rules["UNREACHABLE_MIN_CHANNELS"],
            span__gte=dt.timedelta(days=rules["UNREACHABLE_MIN_DAYS"]),
        )
    )
    return _staff_only(actor, candidates).select_related("case", "organisation").order_by("notified_at", "pk")


# --- What the staff digest counts, grouped by case (references and counts only) ------------------


@dataclass(frozen=True)
class CaseCount:
    reference: str
    count: int


def _by_case(participations: QuerySet[Any], field: str = "case__reference") -> list[CaseCount]:
    rows = participations.values(field).annotate(count=Count("pk")).order_by(field)
    return [CaseCount(row[field], row["count"]) for row in rows]


def reminded_between(actor: Any, start: dt.datetime, end: dt.datetime) -> list[CaseCount]:
    return _by_case(_staff_only(actor, Participation.objects.filter(reminded_at__gte=start, reminded_at__lt=end)))


def escalated_between(actor: Any, start: dt.datetime, end: dt.datetime) -> list[CaseCount]:
    return _by_case(_staff_only(actor, Participation.objects.filter(escalated_at__gte=start, escalated_at__lt=end)))


def not_acknowledged(actor: Any) -> list[CaseCount]:
    return _by_case(_staff_only(actor, Participation.objects.filter(FOLLOWED_UP)))


def unreachable_candidates_by_case(actor: Any) -> list[CaseCount]:
    return _by_case(Participation.objects.filter(pk__in=unreachable_candidates(actor).values("pk")))


def _waiting_for_review(actor: Any, model: type[Answer] | type[Statement]) -> list[CaseCount]:
    if not permissions.is_staff_member(actor):
        return []
    waiting = model.objects.filter(review_status=ReviewStatus.PENDING).exclude(
        participation__case__status=CaseStatus.CLOSED
    )
    return _by_case(waiting, "participation__case__reference")


def answers_waiting_for_review(actor: Any) -> list[CaseCount]:
    return _waiting_for_review(actor, Answer)


def statements_waiting_for_review(actor: Any) -> list[CaseCount]:
    return _waiting_for_review(actor, Statement)


@dataclass(frozen=True)
class CaseDate:
    reference: str
    at: dt.datetime
    agreed: bool  # the embargo's agreed date, else the coordinator's target date


def disclosures_within(actor: Any, start: dt.datetime, end: dt.datetime) -> list[CaseDate]:
    """Running cases whose agreed date (an embargo in force) or else target disclosure date falls in
    [start, end), the nearest first."""
    if not permissions.is_staff_member(actor):
        return []
    agreed = Q(embargo__status__in=IN_FORCE, embargo__end_at__gte=start, embargo__end_at__lt=end)
    target = Q(target_disclosure_at__gte=start, target_disclosure_at__lt=end)
    cases = Case.objects.filter(agreed | target, status__in=[CaseStatus.OPEN, CaseStatus.COORDINATING]).values(
        "reference", "target_disclosure_at", "embargo__status", "embargo__end_at"
    )
    dates = []
    for case in cases:
        in_force = case["embargo__status"] in IN_FORCE and case["embargo__end_at"] is not None
        at = case["embargo__end_at"] if in_force else case["target_disclosure_at"]
        if at is not None and start <= at < end:
            dates.append(CaseDate(case["reference"], at, in_force))
    return sorted(dates, key=lambda date: (date.at, date.reference))


def held_inbound_mail(actor: Any) -> int:
    """Mail that could not be read or sorted, waiting for staff."""
    if not permissions.is_staff_member(actor):
        return 0
    return InboundMail.objects.filter(status=InboundStatus.HELD).count()


def digest_recipients() -> list[User]:
    """Active intake staff and coordinators, each once."""
    return list(User.objects.filter(is_active=True, memberships__role__in=STAFF_ROLES).distinct().order_by("pk"))


def escalation_recipients(case: Case) -> list[User]:
    """The case owner while an active coordinator; else every coordinator (nobody owns the case)."""
    coordinators = User.objects.filter(is_active=True, memberships__role__in=COORDINATOR_ROLES).distinct()
    owner = coordinators.filter(pk=case.owner_id).first() if case.owner_id else None
    return [owner] if owner is not None else list(coordinators.order_by("pk"))
