"""Reading cases, scoped to what the actor may see. Anything else is NotFound (404), never 403."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from django.conf import settings
from django.db.models import CharField, Count, F, Max, Min, Q, QuerySet
from django.db.models.functions import Cast, Concat
from django.utils.translation import gettext as _

from kyocho.accounts import permissions
from kyocho.accounts.roles import Role
from kyocho.cases.models import Answer, Case, ContactAttempt, Participation, Vulnerability
from kyocho.cases.workflow import CaseStatus, ParticipationStatus
from kyocho.core.errors import NotFound
from kyocho.intake.workflow import ReportStatus

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

NO_RESPONSE = "no_response"

# What the disclosure review committee has had put before it (its review packets).
COMMITTEE_PACKET_STATES = frozenset(
    {
        ParticipationStatus.COMMITTEE_REVIEW,
        ParticipationStatus.PUBLISH_WITHOUT_VENDOR,
        ParticipationStatus.HOLD,
    }
)


def visible_cases(actor: Any) -> QuerySet[Case]:
    """Coordinators and intake staff see every case; developers the cases their organisation was
    notified of (not merely identified); partners the cases shared with their team; reporters the
    cases their own reports were accepted into. Committee members see no case here, only packets."""
    if permissions.is_staff_member(actor):
        return Case.objects.all()
    if not getattr(actor, "is_authenticated", False):
        return Case.objects.none()
    condition = Q(reports__reporter=actor, reports__status=ReportStatus.ACCEPTED)
    vendor_orgs = permissions.vendor_organisation_ids(actor)
    if vendor_orgs:
        condition |= Q(participations__in=_notified_participations_of(vendor_orgs))
    partner_orgs = permissions.partner_organisation_ids(actor)
    if partner_orgs:
        condition |= Q(partners__organisation_id__in=partner_orgs)
    return Case.objects.filter(pk__in=Case.objects.filter(condition).values("pk"))


def _notified_participations_of(organisation_ids: frozenset[int]) -> QuerySet[Participation]:
    """A developer learns of a case only when notified: an identified participation stays invisible."""
    return Participation.objects.filter(organisation_id__in=organisation_ids).exclude(
        status=ParticipationStatus.IDENTIFIED
    )


def get_case(actor: Any, case_id: int | str) -> Case:
    try:
        return visible_cases(actor).get(pk=case_id)
    except (Case.DoesNotExist, ValueError, TypeError) as error:
        raise NotFound() from error


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


def can_see_case(actor: Any, case_id: int) -> bool:
    return visible_cases(actor).filter(pk=case_id).exists()


def all_visible_participations(actor: Any) -> QuerySet[Participation]:
    """Staff see every participation; partners every developer of the cases shared with them; a
    developer only its own organisation's, once notified."""
    if permissions.is_staff_member(actor):
        return Participation.objects.all()
    condition = Q(pk__in=_notified_participations_of(permissions.vendor_organisation_ids(actor)).values("pk"))
    partner_orgs = permissions.partner_organisation_ids(actor)
    if partner_orgs:
        condition |= Q(case__partners__organisation_id__in=partner_orgs)
    return Participation.objects.filter(pk__in=Participation.objects.filter(condition).values("pk"))


def visible_participations(actor: Any, case: Case) -> QuerySet[Participation]:
    return all_visible_participations(actor).filter(case=case).select_related("organisation").order_by("pk")


def get_participation(actor: Any, participation_id: int | str) -> Participation:
    try:
        return all_visible_participations(actor).select_related("case", "organisation").get(pk=participation_id)
    except (Participation.DoesNotExist, ValueError, TypeError) as error:
        raise NotFound() from error


def can_see_participation(actor: Any, participation_id: int) -> bool:
    return all_visible_participations(actor).filter(pk=participation_id).exists()


def committee_packets(actor: Any) -> QuerySet[Participation]:
    """Participations put before the disclosure review committee, for its members and leads."""
    if not (permissions.has_role(actor, Role.COMMITTEE_MEMBER) or permissions.is_lead(actor)):
        return Participation.objects.none()
    return Participation.objects.filter(status__in=COMMITTEE_PACKET_STATES).select_related("case", "organisation")


def contact_attempts(actor: Any, participation_id: int | str) -> QuerySet[ContactAttempt]:
    """The contact log is the coordinators' working record: staff only."""
    if not permissions.is_staff_member(actor):
        raise NotFound()
    return ContactAttempt.objects.filter(participation=get_participation(actor, participation_id))


def visible_vulnerabilities(actor: Any, case: Case) -> QuerySet[Vulnerability]:
    return get_case(actor, case.pk).vulnerabilities.order_by("pk")


# --- Vulnerabilities as each participant may read them ------------------------------------------
# Staff and the case's partner teams read everything; a notified developer reads the case's
# vulnerabilities but only its own affected products (never another developer's, nor any product not
# attributed to it) and not the coordinators' SSVC assessments. Reporters read none: 404.


def sees_whole_vulnerabilities(actor: Any, case: Case) -> bool:
    return (
        permissions.is_staff_member(actor)
        or case.partners.filter(organisation_id__in=permissions.partner_organisation_ids(actor)).exists()
    )


def case_vulnerabilities(actor: Any, case_id: int | str) -> QuerySet[Vulnerability]:
    case = get_case(actor, case_id)
    if not (sees_whole_vulnerabilities(actor, case) or _notified_developer_in(actor, case)):
        raise NotFound()
    return case.vulnerabilities.select_related("case").order_by("pk")


def get_vulnerability(actor: Any, vulnerability_id: int | str) -> Vulnerability:
    case_id = Vulnerability.objects.filter(pk=vulnerability_id).values_list("case_id", flat=True).first()
    if case_id is None:
        raise NotFound()
    return case_vulnerabilities(actor, case_id).get(pk=vulnerability_id)


def _notified_developer_in(actor: Any, case: Case) -> bool:
    organisations = permissions.vendor_organisation_ids(actor)
    return bool(organisations) and _notified_participations_of(organisations).filter(case=case).exists()


def visible_affected(actor: Any, vulnerability: Vulnerability, *, whole: bool) -> list[dict[str, Any]]:
    """The affected products the actor may read (``whole``: what ``sees_whole_vulnerabilities`` said)."""
    if whole:
        return list(vulnerability.affected)
    own = permissions.vendor_organisation_ids(actor)
    return [entry for entry in vulnerability.affected if entry.get("organisation_id") in own]


# --- Reminders (PRODUCT.md §2.3): not acknowledged N days after notification; held cases are skipped.


def _awaiting_acknowledgement(now: dt.datetime, days: int) -> Q:
    return Q(
        status=ParticipationStatus.NOTIFIED,
        notified_at__lte=now - dt.timedelta(days=days),
        case__status=CaseStatus.COORDINATING,
        case__on_hold=False,
    )


def due_for_reminder(now: dt.datetime) -> Q:
    return _awaiting_acknowledgement(now, settings.KYOCHO["REMINDER_DAYS"]) & Q(reminded_at__isnull=True)


def due_for_escalation(now: dt.datetime) -> Q:
    return _awaiting_acknowledgement(now, settings.KYOCHO["ESCALATION_DAYS"]) & Q(escalated_at__isnull=True)


def participations_due_for_reminder(now: dt.datetime) -> QuerySet[Participation]:
    return Participation.objects.filter(due_for_reminder(now)).order_by("notified_at")


def participations_due_for_escalation(now: dt.datetime) -> QuerySet[Participation]:
    return Participation.objects.filter(due_for_escalation(now)).order_by("notified_at")


def cases_due_for_reminders(now: dt.datetime) -> QuerySet[Case]:
    """Cases with a developer due for a reminder or an escalation; a case on hold never is."""
    due = Participation.objects.filter(due_for_reminder(now) | due_for_escalation(now))
    return Case.objects.filter(pk__in=due.values("case_id")).order_by("pk")


# --- The unreachable rule (連絡不能): enough attempts, over enough days, across enough channels.


@dataclass(frozen=True)
class UnreachableProgress:
    attempts: int
    days: int
    channels: int

    def shortfalls(self) -> list[str]:
        """What is still missing before the developer may be declared unreachable, in words."""
        rules = settings.KYOCHO
        missing = []
        if self.attempts < rules["UNREACHABLE_MIN_ATTEMPTS"]:
            missing.append(
                _("%(done)d of %(needed)d contact attempts")
                % {"done": self.attempts, "needed": rules["UNREACHABLE_MIN_ATTEMPTS"]}
            )
        if self.days < rules["UNREACHABLE_MIN_DAYS"]:
            missing.append(
                _("attempts spanning %(done)d of %(needed)d days")
                % {"done": self.days, "needed": rules["UNREACHABLE_MIN_DAYS"]}
            )
        if self.channels < rules["UNREACHABLE_MIN_CHANNELS"]:
            missing.append(
                _("%(done)d of %(needed)d different channels")
                % {"done": self.channels, "needed": rules["UNREACHABLE_MIN_CHANNELS"]}
            )
        return missing

    @classmethod
    def counted(
        cls, *, attempts: int, channels: int, first: dt.datetime | None, last: dt.datetime | None
    ) -> UnreachableProgress:
        """From the counts and the first and last attempt: the days are those the attempts span."""
        days = (last - first).days if first is not None and last is not None else 0
        return cls(attempts=attempts, days=days, channels=channels)


class ContactCounts(TypedDict):
    attempt_count: int
    channel_count: int
    first_attempt_at: dt.datetime | None
    last_attempt_at: dt.datetime | None


def with_contact_progress(
    participations: QuerySet[Participation],
) -> QuerySet[WithAnnotations[Participation, ContactCounts]]:
    """Each participation with the counts of its contact attempts, in the same query whatever the number:
    ``attempt_count``, ``channel_count``, ``first_attempt_at`` and ``last_attempt_at``."""
    return participations.annotate(
        # One notification mailed to several contacts at one instant is one attempt, not one per contact.
        attempt_count=Count(
            Concat("contact_attempts__channel", Cast("contact_attempts__at", CharField())), distinct=True
        ),
        channel_count=Count("contact_attempts__channel", distinct=True),
        first_attempt_at=Min("contact_attempts__at"),
        last_attempt_at=Max("contact_attempts__at"),
    )


def unreachable_progress(participation: Participation) -> UnreachableProgress:
    counts = (
        with_contact_progress(Participation.objects.filter(pk=participation.pk))
        .values("attempt_count", "channel_count", "first_attempt_at", "last_attempt_at")
        .get()
    )
    return UnreachableProgress.counted(
        attempts=counts["attempt_count"],
        channels=counts["channel_count"],
        first=counts["first_attempt_at"],
        last=counts["last_attempt_at"],
    )


# --- Investigation answers: one cell per (participation, vulnerability, product); no row is no_response.


@dataclass(frozen=True)
class AnswerCell:
    participation: Participation
    vulnerability: Vulnerability
    product: str  # empty when neither the case nor the developer named a product yet
    status: str  # an AnswerStatus value or NO_RESPONSE
    answer: Answer | None


def answer_matrix(actor: Any, case: Case, *, participations: QuerySet[Participation] | None = None) -> list[AnswerCell]:
    """Every notified developer × vulnerability × product with its answer, or no_response. A developer
    sees only its own organisation's rows; ``participations`` narrows the rows further (a page of them)."""
    case = get_case(actor, case.pk)
    rows = visible_participations(actor, case).exclude(status=ParticipationStatus.IDENTIFIED)
    if participations is not None:
        rows = rows.filter(pk__in=participations.values("pk"))
    chosen = list(rows)
    vulnerabilities = list(case.vulnerabilities.order_by("pk"))
    answers = {
        (answer.participation_id, answer.vulnerability_id, answer.product): answer
        for answer in Answer.objects.filter(participation__in=chosen)
    }
    answered = answered_products(answers)
    named = {vulnerability.pk: named_products(vulnerability) for vulnerability in vulnerabilities}
    cells = []
    for participation in chosen:
        for vulnerability in vulnerabilities:
            asked = products_asked(
                named[vulnerability.pk].get(participation.organisation_id, ()),
                answered.get((participation.pk, vulnerability.pk), ()),
            )
            for product in asked:
                answer = answers.get((participation.pk, vulnerability.pk, product))
                status = answer.status if answer else NO_RESPONSE
                cells.append(AnswerCell(participation, vulnerability, product, status, answer))
    return cells


def answered_products(keys: Iterable[tuple[int, int, str]]) -> dict[tuple[int, int], list[str]]:
    """(participation, vulnerability) → the products answered for, from (participation, vulnerability, product) keys."""
    answered: dict[tuple[int, int], list[str]] = defaultdict(list)
    for participation_id, vulnerability_id, product in keys:
        answered[(participation_id, vulnerability_id)].append(product)
    return answered


def named_products(vulnerability: Vulnerability) -> dict[int, list[str]]:
    """Developer id → its products named in the vulnerability's affected list (read once per vulnerability)."""
    named: dict[int, list[str]] = defaultdict(list)
    for entry in vulnerability.affected:
        if entry.get("organisation_id") is not None:
            named[entry["organisation_id"]].append(entry["product"])
    return named


def products_asked(named: Iterable[str], answered: Iterable[str]) -> list[str]:
    """The cells a developer is asked to answer for a vulnerability: its products named in the
    vulnerability's affected list (``named_products``), plus any it answered for; one unnamed cell ("")
    when there are none."""
    products = sorted(set(named) | set(answered))
    return products or [""]
