"""Notifying product developers of a case (PRODUCT.md §2.3, §4): one action tells them all, or none.

For each developer: identified → notified, its contacts get portal access, each contact gets one
message of its own (the case details signed and encrypted to the contact's key, or a content-free
"please sign in" notice), every mail and the portal notice are logged as contact attempts. The first
notification of a case sets its 起算日 and tells the reporters.

All or nothing: any refusal (a developer already notified, a suspension without an override reason, a
closed case) leaves the case as it was, with nothing queued and nothing audited. A developer already
in the case but past ``identified`` is refused rather than skipped, so that nobody believes a second
notification went out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kyocho.accounts.models import Organisation
from kyocho.accounts.roles import OrganisationKind
from kyocho.cases import actions, mail
from kyocho.cases.actions import NeedsOverride
from kyocho.cases.models import Case, Participation, Vulnerability
from kyocho.cases.scoring import InvalidVector, Score, cvss31_score, cvss40_score
from kyocho.cases.workflow import ParticipationStatus
from kyocho.core.actions import as_id, lock, optional_text
from kyocho.core.clock import now
from kyocho.core.errors import Conflict, InvalidInput
from kyocho.messaging.models import OutboundEmail

P = ParticipationStatus
NOTIFICATION = "case_notification"
CASE_STARTED = "case_started"  # to the reporters: dates and the case reference only, safe in the clear
MAX_DEVELOPERS = 5000  # in one action; a larger list is a mistake, not a case
NO_OVERRIDES: Mapping[int, str] = MappingProxyType({})


# --- What the action reports back -----------------------------------------------------------------


@dataclass(frozen=True)
class ContactMailed:
    address: str
    key_fingerprint: str  # the key the details were encrypted to; "" for the content-free notice

    @property
    def encrypted(self) -> bool:
        return bool(self.key_fingerprint)


@dataclass(frozen=True)
class DeveloperNotified:
    organisation_id: int
    name: str
    participation_id: int
    added: bool  # was not in the case: added (identified) by this notification
    override_reason: str  # why a suspension from pre-notification was overridden; "" if none applied
    contacts: tuple[ContactMailed, ...]

    @property
    def encrypted(self) -> list[str]:
        return [contact.address for contact in self.contacts if contact.encrypted]

    @property
    def notice_only(self) -> list[str]:
        return [contact.address for contact in self.contacts if not contact.encrypted]

    @property
    def mail(self) -> str:
        """How the developer was told by email: encrypted, notice_only, mixed, or none (portal only:
        staff must reach it by another channel)."""
        if not self.contacts:
            return "none"
        if not self.notice_only:
            return "encrypted"
        return "mixed" if self.encrypted else "notice_only"


@dataclass(frozen=True)
class NotificationResult:
    case_id: int
    reference: str
    developers: tuple[DeveloperNotified, ...]
    clock_started: bool  # this notification was the case's first: 起算日 set, reporters told
    start_date: dt.datetime | None
    target_disclosure_at: dt.datetime | None
    reporters_told: int

    @property
    def without_contact(self) -> list[DeveloperNotified]:
        return [developer for developer in self.developers if not developer.contacts]


# --- The action -----------------------------------------------------------------------------------


def notify_developers(
    case_id: int,
    *,
    organisation_ids: Iterable[Any],
    actor: Any,
    override_reasons: Mapping[Any, str] = NO_OVERRIDES,
) -> NotificationResult:
    """Notify the given product developers of the case, adding those not yet in it. A developer
    suspended from pre-notification needs a reason in ``override_reasons`` (by organisation id)."""
    ids = _developer_ids(organisation_ids)
    reasons = _override_reasons(override_reasons, ids)
    with transaction.atomic():
        case = lock(Case, case_id)
        actions.require_coordinator_on_case(case, actor)
        _require_notifiable_case(case)
        participations, added = _identified_participations(case, ids, actor=actor)
        return _notify(case, participations, reasons, actor=actor, added=added)


def notify_one(participation: Participation, *, override_reason: str, actor: Any) -> None:
    """``cases.actions.notify_participant``: the same path for one developer, whose errors name the
    caller's own argument."""
    try:
        notify_developers(
            participation.case_id,
            organisation_ids=[participation.organisation_id],
            override_reasons={participation.organisation_id: override_reason},
            actor=actor,
        )
    except NeedsOverride as refused:
        raise Conflict(refused.message, field="override_reason") from refused


# --- Checking what was asked ------------------------------------------------------------------------


def _developer_ids(value: Any) -> list[int]:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise InvalidInput(_("Give a list of developer ids."), field="organisation_ids")
    ids = list(dict.fromkeys(as_id(item, "organisation_ids") for item in value))
    if not ids:
        raise InvalidInput(_("Choose at least one developer to notify."), field="organisation_ids")
    if len(ids) > MAX_DEVELOPERS:
        raise InvalidInput(
            _("At most %(limit)d developers can be notified at once.") % {"limit": MAX_DEVELOPERS},
            field="organisation_ids",
        )
    return ids


def _override_reasons(value: Any, ids: list[int]) -> dict[int, str]:
    if not isinstance(value, Mapping):
        raise InvalidInput(_("Give the override reasons by developer id."), field="override_reasons")
    reasons = {}
    for key, reason in value.items():
        organisation_id = as_id(key, "override_reasons")
        if organisation_id not in ids:
            raise InvalidInput(
                _("An override reason names a developer that is not being notified."), field="override_reasons"
            )
        reasons[organisation_id] = optional_text(reason, "override_reasons", max_length=2000)
    return reasons


def _require_notifiable_case(case: Case) -> None:
    if case.status not in actions.ACTIVE_CASE_STATES:
        raise Conflict(_("Developers can only be notified in an open or coordinating case."))


def _identified_participations(case: Case, ids: list[int], *, actor: Any) -> tuple[list[Participation], set[int]]:
    """The locked participations of the developers, in the order asked, adding those not yet in the
    case; refuses ids that are no product developer and developers no longer ``identified``."""
    developers = {
        organisation.pk: organisation
        for organisation in Organisation.objects.filter(pk__in=ids, kind=OrganisationKind.PRODUCT_DEVELOPER)
    }
    unknown = [str(organisation_id) for organisation_id in ids if organisation_id not in developers]
    if unknown:
        raise InvalidInput(
            _("These ids are not product developers: %(ids)s.") % {"ids": ", ".join(unknown)},
            field="organisation_ids",
        )
    existing = {
        participation.organisation_id: participation
        for participation in Participation.objects.select_for_update()
        .filter(case=case, organisation_id__in=ids)
        .select_related("organisation")
    }
    _refuse_not_identified([existing[i] for i in ids if i in existing])
    added = [organisation_id for organisation_id in ids if organisation_id not in existing]
    for participation in actions.identify_developers(case, [developers[i] for i in added], actor=actor):
        existing[participation.organisation_id] = participation
    for participation in existing.values():
        participation.case = case  # one instance: the mail must show the dates this action sets
    return [existing[organisation_id] for organisation_id in ids], set(added)


def _refuse_not_identified(participations: list[Participation]) -> None:
    done = [participation for participation in participations if participation.status != P.IDENTIFIED]
    if done:
        raise Conflict(
            _("Already notified (or no longer to be notified) in this case: %(developers)s. Leave them out.")
            % {
                "developers": ", ".join(
                    f"{participation.organisation.name} ({P(participation.status).label})" for participation in done
                )
            },
            field="organisation_ids",
        )


# --- Notifying ----------------------------------------------------------------------------------------


def _notify(
    case: Case, participations: list[Participation], reasons: dict[int, str], *, actor: Any, added: set[int]
) -> NotificationResult:
    """Every step for all the developers at once: a thousand developers cost a few dozen queries, not
    a few dozen each (``kyocho bench notify``)."""
    at = now()
    actions.override_suspensions(participations, reasons, actor=actor, at=at)
    actions.transition_participations(participations, P.NOTIFIED, actor=actor, notified_at=at)
    first = case.start_date is None
    reporters = _start_the_clock(case, at=at, actor=actor) if first else 0
    told = _tell(case, participations, actor=actor, at=at)
    # The notification is one attempt: its mails (logged by _tell), or the portal notice alone.
    unmailed = [participation for participation in participations if not told[participation.pk]]
    actions.log_portal_notices(unmailed, actor=actor, at=at)
    return NotificationResult(
        case_id=case.pk,
        reference=case.reference,
        developers=tuple(
            DeveloperNotified(
                organisation_id=participation.organisation_id,
                name=participation.organisation.name,
                participation_id=participation.pk,
                added=participation.organisation_id in added,
                override_reason=participation.suspension_override_reason,
                contacts=tuple(ContactMailed(email.to, email.key_fingerprint) for email in told[participation.pk]),
            )
            for participation in participations
        ),
        clock_started=first,
        start_date=case.start_date,
        target_disclosure_at=case.target_disclosure_at,
        reporters_told=reporters,
    )


def _start_the_clock(case: Case, *, at: dt.datetime, actor: Any) -> int:
    """起算日: the case starts coordinating now; the reporters are told the dates. Returns how many."""
    actions.start_case_clock(case, at=at, actor=actor)
    told = mail.tell_reporters(
        case,
        CASE_STARTED,
        {"start_date": case.start_date, "target_disclosure_at": case.target_disclosure_at},
        purpose="case:started",
        actor=actor,
        without_key=CASE_STARTED,
    )
    return len(told)


def _tell(
    case: Case, participations: list[Participation], *, actor: Any, at: dt.datetime
) -> dict[int, list[OutboundEmail]]:
    """Portal access for the developers' contacts, then one message each (the details, or the notice),
    each logged as a contact attempt. The mails by participation id."""
    organisation_ids = [participation.organisation_id for participation in participations]
    recipients = mail.recipients_of_developers(organisation_ids)
    mail.grant_portal_access_to(organisation_ids, recipients)
    facts = developer_facts(list(case.vulnerabilities.order_by("pk")))
    told = mail.tell_developers(
        case,
        participations,
        NOTIFICATION,
        lambda participation: {"vulnerabilities": facts(participation.organisation_id)},
        purpose="case:notification",
        actor=actor,
        recipients=recipients,
    )
    actions.log_email_attempts(
        ((participation, email) for participation in participations for _recipient, email in told[participation.pk]),
        actor=actor,
        at=at,  # the notification's mails are its one attempt, at the moment of notifying
    )
    return {pk: [email for _recipient, email in sent] for pk, sent in told.items()}


# --- What a developer is told --------------------------------------------------------------------------


@dataclass(frozen=True)
class VulnerabilityFacts:
    """A vulnerability as one developer may know it: its own affected products only."""

    title: str
    description: str
    cwe: str
    cve_id: str
    cvss31: Score | None
    cvss40: Score | None
    affected: list[dict[str, Any]]


def vulnerabilities_for(organisation_id: int, vulnerabilities: list[Vulnerability]) -> list[VulnerabilityFacts]:
    """The vulnerabilities as this developer may know them (see ``developer_facts``)."""
    return developer_facts(vulnerabilities)(organisation_id)


def developer_facts(vulnerabilities: list[Vulnerability]) -> Callable[[int], list[VulnerabilityFacts]]:
    """What each developer may know of the vulnerabilities, by organisation id: scores computed from
    the vectors; of the affected products only those named for that developer (another developer's
    product would tell who else is in the case). Scores and products are worked out once for all."""
    scores = [
        (_score(cvss31_score, vulnerability.cvss31_vector), _score(cvss40_score, vulnerability.cvss40_vector))
        for vulnerability in vulnerabilities
    ]
    affected: list[dict[int, list[dict[str, Any]]]] = []
    for vulnerability in vulnerabilities:
        by_developer: dict[int, list[dict[str, Any]]] = {}
        for entry in vulnerability.affected:
            if entry.get("organisation_id") is not None:
                by_developer.setdefault(entry["organisation_id"], []).append(
                    {"product": entry["product"], "versions": entry.get("versions", "")}
                )
        affected.append(by_developer)

    def facts(organisation_id: int) -> list[VulnerabilityFacts]:
        return [
            VulnerabilityFacts(
                title=vulnerability.title,
                description=vulnerability.description,
                cwe=vulnerability.cwe,
                cve_id=vulnerability.cve_id,
                cvss31=cvss31,
                cvss40=cvss40,
                affected=products.get(organisation_id, []),
            )
            for vulnerability, (cvss31, cvss40), products in zip(vulnerabilities, scores, affected, strict=True)
        ]

    return facts


def _score(compute: Any, vector: str) -> Score | None:
    if not vector:
        return None
    try:
        return compute(vector)  # type: ignore[no-any-return]
    except InvalidVector:  # stored vectors were checked when saved; a library change must not stop a notification
        return None
