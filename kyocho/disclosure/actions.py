"""The only writers of embargoes, consents, case events, breaches, extension requests and
pre-notification suspensions (PRODUCT.md §2.4).

Recipe (ARCHITECTURE.md): transaction → lock → permission → transition check → audit event → save.
Lock order, kept by every action here and by the advisory publication: case → embargo → the rest.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kyocho.accounts import permissions
from kyocho.accounts.models import Organisation
from kyocho.accounts.roles import OrganisationKind
from kyocho.audit.actions import record
from kyocho.cases.actions import require_coordinator_on_case
from kyocho.cases.models import Case
from kyocho.cases.workflow import CaseStatus
from kyocho.core.actions import lock, required_text
from kyocho.core.clock import now
from kyocho.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from kyocho.disclosure.models import Breach, CaseEvent, Consent, Embargo, ExtensionRequest, PreNotificationSuspension
from kyocho.disclosure.queries import (
    CONSENTING_PARTICIPATION_STATES,
    consenting_organisation_ids,
    embargo_in_force,
    is_suspended,
    sees_every_participant,
    speaks_for,
)
from kyocho.disclosure.workflow import (
    CONSENT,
    EMBARGO,
    ENDS_EMBARGO,
    EXTENSION,
    IN_FORCE,
    CaseEventKind,
    ConsentStatus,
    EmbargoStatus,
    ExtensionStatus,
)

REASON_MAX = 5000
EVIDENCE_MAX = 20000
PROPOSABLE_CASE_STATES = frozenset({CaseStatus.OPEN, CaseStatus.COORDINATING})
# A consent can be given or declined while there is a date to agree to or one in force.
ANSWERABLE_EMBARGO_STATES = frozenset({EmbargoStatus.PROPOSED, EmbargoStatus.ACTIVE, EmbargoStatus.REVISE})
# Consents already waiting for an answer; a new proposal leaves them as they are.
AWAITING_ANSWER = frozenset({ConsentStatus.INVITED, ConsentStatus.LAPSED})

# Exit reasons the system writes itself: stored in English, translated where they are shown.
EXIT_REASON_BY_EVENT = {
    CaseEventKind.PUBLIC_AWARE: gettext_noop("The vulnerability became public (case event P)."),
    CaseEventKind.EXPLOIT_PUBLIC: gettext_noop("An exploit became public (case event X)."),
}


@dataclass(frozen=True)
class CaseEventOutcome:
    """What recording a case event did to the embargo, so the caller can tell the coordinator."""

    event: CaseEvent
    embargo_ended: bool  # P or X ended the embargo in force
    may_end_embargo: bool  # A: the embargo is in force and the coordinator is offered to end it


# ---------------------------------------------------------------------------------------------------
# Small shared pieces


def iso(value: dt.datetime | None) -> str | None:
    """A time for an audit event: ISO 8601, so every event spells times the same way."""
    return value.isoformat() if value is not None else None


def _instant(value: Any, field: str, label: str) -> dt.datetime:
    if not isinstance(value, dt.datetime) or timezone.is_naive(value):
        raise InvalidInput(_("%(label)s must be a date and time with a time zone.") % {"label": label}, field=field)
    return value


def _future_instant(value: Any, field: str, label: str) -> dt.datetime:
    value = _instant(value, field, label)
    if value <= now():
        raise InvalidInput(_("%(label)s must be in the future.") % {"label": label}, field=field)
    return value


def parent_id(model: type[models.Model], pk: Any, field: str) -> Any:
    """The id a row points to (to lock its parent first), without locking the row; NotFound if none."""
    try:
        value = model._default_manager.filter(pk=pk).values_list(field, flat=True).first()
    except (ValueError, TypeError) as error:
        raise NotFound() from error
    if value is None:
        raise NotFound()
    return value


def _lock_embargo(embargo_id: int | str) -> tuple[Case, Embargo]:
    """The embargo and its case, both locked, the case first (the lock order of this module)."""
    return lock(Case, parent_id(Embargo, embargo_id, "case_id")), lock(Embargo, embargo_id)


def _locked_embargo_of(case: Case) -> Embargo | None:
    return Embargo.objects.select_for_update().filter(case=case).first()


def _set_consent(consent: Consent, target: str, actor: Any) -> None:
    CONSENT.check(consent.status, target)
    consent.status = target
    consent.updated_at = now()
    consent.updated_by = actor
    consent.save()


def _consent_row(embargo: Embargo, organisation_id: int) -> tuple[Consent, bool]:
    return Consent.objects.select_for_update().get_or_create(
        embargo=embargo,
        organisation_id=organisation_id,
        defaults={"status": ConsentStatus.NO_EMBARGO, "updated_at": now()},
    )


def _ask_everyone(embargo: Embargo, actor: Any) -> dict[str, list[int]]:
    """Ask every consenting participant to agree to the proposed date.

    Signatories of the previous date lapse and the others are invited: nobody's earlier agreement
    counts for a new date. Organisations that left the case are no longer required.
    """
    participants = consenting_organisation_ids(embargo.case)
    embargo.consents.exclude(organisation_id__in=participants).update(required=False)
    invited: list[int] = []
    lapsed: list[int] = []
    for organisation_id in sorted(participants):
        consent, _created = _consent_row(embargo, organisation_id)
        consent.required = True
        if consent.status in AWAITING_ANSWER:
            consent.save(update_fields=["required"])
            continue
        target = ConsentStatus.LAPSED if consent.status == ConsentStatus.SIGNATORY else ConsentStatus.INVITED
        _set_consent(consent, target, actor)
        (lapsed if target == ConsentStatus.LAPSED else invited).append(organisation_id)
    return {"invited": invited, "lapsed": lapsed}


def _invite_newcomers(case: Case, embargo: Embargo, actor: Any) -> list[int]:
    """Developers notified after the date was proposed are asked too (and so must agree before activation)."""
    newcomers = []
    for organisation_id in sorted(consenting_organisation_ids(case)):
        consent, created = _consent_row(embargo, organisation_id)
        if created:
            _set_consent(consent, ConsentStatus.INVITED, actor)
            newcomers.append(organisation_id)
    if newcomers:
        record("case:consent:invited", actor=actor, subject=case, data={"embargo": embargo.pk, "invited": newcomers})
    return newcomers


def _not_consented(embargo: Embargo) -> list[Consent]:
    return list(
        embargo.consents.filter(required=True)
        .exclude(status=ConsentStatus.SIGNATORY)
        .select_related("organisation")
        .order_by("organisation__name")
    )


# ---------------------------------------------------------------------------------------------------
# Proposing, agreeing to and activating the date


def propose_embargo(case_id: int, *, end_at: dt.datetime, reason: str, actor: Any) -> Embargo:
    """Propose a disclosure date. With none agreed yet the embargo becomes ``proposed``; with one in
    force it becomes ``revise`` and the agreed date stays in force until the revision is activated."""
    with transaction.atomic():
        case = lock(Case, case_id)
        require_coordinator_on_case(case, actor)
        embargo, _created = Embargo.objects.get_or_create(case=case)
        embargo = lock(Embargo, embargo.pk)
        _propose(case, embargo, end_at=end_at, reason=reason, actor=actor)
    return embargo


def _propose(
    case: Case,
    embargo: Embargo,
    *,
    end_at: dt.datetime,
    reason: str,
    actor: Any,
    data: dict[str, Any] | None = None,
) -> None:
    """The one path for every new date: a coordinator's proposal and an accepted extension request."""
    end_at = _future_instant(end_at, "end_at", _("Disclosure date"))
    reason = required_text(reason, "reason", _("Reason"), max_length=REASON_MAX)
    if case.status not in PROPOSABLE_CASE_STATES:
        raise Conflict(_("A disclosure date can only be proposed for an open or coordinating case."))
    revising = embargo.status == EmbargoStatus.ACTIVE
    target = EmbargoStatus.REVISE if revising else EmbargoStatus.PROPOSED
    EMBARGO.check(embargo.status, target)
    if revising and end_at == embargo.end_at:
        raise InvalidInput(_("The new date must differ from the agreed one."), field="end_at")
    embargo.status = target
    embargo.proposed_end_at = end_at
    embargo.proposal_reason = reason
    embargo.save()
    asked = _ask_everyone(embargo, actor)
    record(
        "case:embargo:revision_proposed" if revising else "case:embargo:proposed",
        actor=actor,
        subject=case,
        data={
            "embargo": embargo.pk,
            "end_at": iso(end_at),
            "agreed_end_at": iso(embargo.end_at),
            "reason": reason,
            **asked,
            **(data or {}),
        },
    )


def give_consent(embargo_id: int, *, organisation_id: int, actor: Any) -> Consent:
    """The organisation agrees to the proposed date (its member, or a coordinator on its behalf)."""
    return _answer(embargo_id, organisation_id=organisation_id, target=ConsentStatus.SIGNATORY, actor=actor)


def decline_consent(embargo_id: int, *, organisation_id: int, actor: Any) -> Consent:
    return _answer(embargo_id, organisation_id=organisation_id, target=ConsentStatus.DECLINED, actor=actor)


def _answer(embargo_id: int, *, organisation_id: int, target: str, actor: Any) -> Consent:
    with transaction.atomic():
        case, embargo = _lock_embargo(embargo_id)
        on_behalf = permissions.is_coordinator(actor)
        asked = embargo.consents.filter(organisation_id=organisation_id).exists()
        if not (on_behalf or speaks_for(actor, organisation_id)) or not (
            asked or organisation_id in consenting_organisation_ids(case)
        ):
            raise NotFound()
        if embargo.status not in ANSWERABLE_EMBARGO_STATES:
            raise Conflict(_("There is no disclosure date to answer."))
        if not asked:
            _invite_newcomers(case, embargo, actor)
        consent = embargo.consents.select_for_update().get(organisation_id=organisation_id)
        old = consent.status
        _set_consent(consent, target, actor)
        record(
            "case:consent:given" if target == ConsentStatus.SIGNATORY else "case:consent:declined",
            actor=actor,
            subject=case,
            data={
                "embargo": embargo.pk,
                "organisation": organisation_id,
                "from": old,
                "on_behalf": on_behalf and not speaks_for(actor, organisation_id),
                "end_at": iso(embargo.proposed_end_at or embargo.end_at),
            },
        )
    return consent


def reject_proposal(embargo_id: int, *, reason: str, actor: Any) -> Embargo:
    """Drop a first proposal: back to no embargo, and nobody's consent stands."""
    with transaction.atomic():
        case, embargo = _lock_embargo(embargo_id)
        require_coordinator_on_case(case, actor)
        reason = required_text(reason, "reason", _("Reason"), max_length=REASON_MAX)
        EMBARGO.check(embargo.status, EmbargoStatus.NONE)
        record(
            "case:embargo:rejected",
            actor=actor,
            subject=case,
            data={"embargo": embargo.pk, "end_at": iso(embargo.proposed_end_at), "reason": reason},
        )
        embargo.status = EmbargoStatus.NONE
        embargo.proposed_end_at = None
        embargo.proposal_reason = ""
        embargo.save()
        for consent in embargo.consents.select_for_update().exclude(status=ConsentStatus.NO_EMBARGO):
            _set_consent(consent, ConsentStatus.NO_EMBARGO, actor)
    return embargo


def activate_embargo(embargo_id: int, *, actor: Any, override_reason: str = "") -> Embargo:
    """Make the proposed date the agreed one. Every required participant must be a signatory, unless
    the coordinator overrides with a reason (an unresponsive participant); the override names who
    had not agreed. Scheduled advisories of the case follow the new date."""
    with transaction.atomic():
        case, embargo = _lock_embargo(embargo_id)
        require_coordinator_on_case(case, actor)
        EMBARGO.check(embargo.status, EmbargoStatus.ACTIVE)
        assert embargo.proposed_end_at is not None  # proposed and revise always carry a date
        if embargo.proposed_end_at <= now():
            raise Conflict(_("The proposed date has passed; propose a new one."))
        _invite_newcomers(case, embargo, actor)
        missing = _not_consented(embargo)
        override_reason = (override_reason or "").strip()
        if missing and not override_reason:
            names = ", ".join(consent.organisation.name for consent in missing)
            raise Conflict(
                _("Not every participant has agreed to the date (%(names)s). Give an override reason to go ahead.")
                % {"names": names}
            )
        if len(override_reason) > REASON_MAX:
            raise InvalidInput(_("The override reason is too long."), field="override_reason")
        previous_end_at = embargo.end_at
        record(
            "case:embargo:activated",
            actor=actor,
            subject=case,
            data={
                "embargo": embargo.pk,
                "end_at": iso(embargo.proposed_end_at),
                "previous_end_at": iso(previous_end_at),
                "overridden": bool(missing),
                "override_reason": override_reason if missing else "",
                "not_consented": [
                    {
                        "organisation": consent.organisation_id,
                        "name": consent.organisation.name,
                        "status": consent.status,
                    }
                    for consent in missing
                ],
            },
        )
        embargo.status = EmbargoStatus.ACTIVE
        embargo.end_at = embargo.proposed_end_at
        embargo.proposed_end_at = None
        embargo.override_reason = override_reason if missing else ""
        embargo.activated_at = now()
        embargo.save()
        # Imported here: advisories depend on this module for publication, not the other way round.
        from kyocho.advisories.actions import follow_embargo_end

        follow_embargo_end(case, end_at=embargo.end_at, actor=actor)
    return embargo


def exit_embargo(embargo_id: int, *, reason: str, actor: Any) -> Embargo:
    """End the embargo before (or at) its date. ``actor`` None is the system (the publication scheduler)."""
    with transaction.atomic():
        case, embargo = _lock_embargo(embargo_id)
        if actor is not None:
            require_coordinator_on_case(case, actor)
        reason = required_text(reason, "reason", _("Reason"), max_length=REASON_MAX)
        end_embargo(case, embargo, reason=reason, actor=actor)
    return embargo


def end_embargo(case: Case, embargo: Embargo, *, reason: str, actor: Any, data: dict[str, Any] | None = None) -> None:
    """Exit a locked embargo inside the caller's transaction (P/X events, the advisory publication)."""
    EMBARGO.check(embargo.status, EmbargoStatus.EXITED)
    record(
        "case:embargo:exited",
        actor=actor,
        subject=case,
        data={"embargo": embargo.pk, "reason": reason, "end_at": iso(embargo.end_at), **(data or {})},
    )
    embargo.status = EmbargoStatus.EXITED
    embargo.exit_reason = reason
    embargo.exited_at = now()
    embargo.proposed_end_at = None
    embargo.save()


# ---------------------------------------------------------------------------------------------------
# Case events and breaches


def record_case_event(
    case_id: int, *, kind: str, evidence: str, actor: Any, at: dt.datetime | None = None
) -> CaseEventOutcome:
    """Record P (public aware), X (exploit public) or A (attacks observed), each once per case.
    P and X end an embargo in force at once; A only offers the coordinator to end it."""
    with transaction.atomic():
        case = lock(Case, case_id)
        require_coordinator_on_case(case, actor)
        return _record_event(case, kind=kind, evidence=evidence, at=at, actor=actor)


def _record_event(case: Case, *, kind: str, evidence: str, at: dt.datetime | None, actor: Any) -> CaseEventOutcome:
    if kind not in CaseEventKind.values:
        raise InvalidInput(_("Unknown case event."), field="kind")
    evidence = required_text(evidence, "evidence", _("Evidence"), max_length=EVIDENCE_MAX)
    at = now() if at is None else _instant(at, "at", _("Time of the event"))
    if at > now():
        raise InvalidInput(_("A case event cannot be in the future."), field="at")
    if case.status == CaseStatus.CLOSED:
        raise Conflict(_("The case is closed."))
    if case.events.filter(kind=kind).exists():
        raise Conflict(_("This event was already recorded for the case."), field="kind")
    event = CaseEvent.objects.create(case=case, kind=kind, at=at, evidence=evidence, recorded_by=actor)
    record("case:event:recorded", actor=actor, subject=case, data={"kind": kind, "at": iso(at)})
    embargo = _locked_embargo_of(case)
    in_force = embargo_in_force(embargo)
    ends_it = in_force and kind in ENDS_EMBARGO
    if ends_it:
        assert embargo is not None
        end_embargo(case, embargo, reason=EXIT_REASON_BY_EVENT[CaseEventKind(kind)], actor=actor, data={"event": kind})
    return CaseEventOutcome(
        event=event,
        embargo_ended=ends_it,
        may_end_embargo=in_force and kind == CaseEventKind.ATTACKS_OBSERVED,
    )


def record_breach(case_id: int, *, organisation_id: int, evidence: str, actor: Any) -> Breach:
    """A participant published before the agreed date (公表日一致の原則 broken). The case is public
    from then on: P is recorded too unless it already was, which ends an embargo in force."""
    with transaction.atomic():
        case = lock(Case, case_id)
        require_coordinator_on_case(case, actor)
        evidence = required_text(evidence, "evidence", _("Evidence"), max_length=EVIDENCE_MAX)
        embargo = _locked_embargo_of(case)
        if embargo is None or embargo.activated_at is None:
            raise Conflict(_("No disclosure date was agreed in this case, so none can have been broken."))
        if not embargo.consents.filter(organisation_id=organisation_id).exists():
            raise InvalidInput(_("This organisation was not asked to keep the date."), field="organisation_id")
        breach = Breach.objects.create(
            case=case, organisation_id=organisation_id, at=now(), evidence=evidence, recorded_by=actor
        )
        record(
            "case:breach:recorded",
            actor=actor,
            subject=case,
            data={"organisation": organisation_id, "breach": breach.pk},
        )
        if not case.events.filter(kind=CaseEventKind.PUBLIC_AWARE).exists():
            _record_event(case, kind=CaseEventKind.PUBLIC_AWARE, evidence=evidence, at=None, actor=actor)
    return breach


# ---------------------------------------------------------------------------------------------------
# Extension requests


def request_extension(
    embargo_id: int, *, organisation_id: int, requested_end_at: dt.datetime, reason: str, actor: Any
) -> ExtensionRequest:
    """A developer asks for a later date, with a reason; the coordinator accepts or refuses."""
    with transaction.atomic():
        case, embargo = _lock_embargo(embargo_id)
        participates = case.participations.filter(
            organisation_id=organisation_id, status__in=CONSENTING_PARTICIPATION_STATES
        ).exists()
        if not (participates and organisation_id in permissions.vendor_organisation_ids(actor)):
            if sees_every_participant(actor, case):
                raise PermissionDenied(_("Only the developer's own members can ask for an extension."))
            raise NotFound()
        if embargo.status not in IN_FORCE:
            raise Conflict(_("An extension can only be asked for while a disclosure date is in force."))
        requested_end_at = _instant(requested_end_at, "requested_end_at", _("Requested date"))
        assert embargo.end_at is not None  # an embargo in force has an agreed date
        if requested_end_at <= embargo.end_at:
            raise InvalidInput(_("The requested date must be later than the agreed one."), field="requested_end_at")
        reason = required_text(reason, "reason", _("Reason"), max_length=REASON_MAX)
        if embargo.extension_requests.filter(organisation_id=organisation_id, status=ExtensionStatus.PENDING).exists():
            raise Conflict(_("Your organisation already has an extension request waiting for a decision."))
        request = ExtensionRequest.objects.create(
            embargo=embargo,
            organisation_id=organisation_id,
            requested_end_at=requested_end_at,
            reason=reason,
            requested_by=actor,
            created_at=now(),
        )
        record(
            "case:extension:requested",
            actor=actor,
            subject=case,
            data={"request": request.pk, "organisation": organisation_id, "requested_end_at": iso(requested_end_at)},
        )
    return request


def decide_extension(request_id: int, *, accept: bool, note: str, actor: Any) -> ExtensionRequest:
    """Accepting proposes the requested date as a revision (everyone must agree again); refusing needs a note."""
    if not isinstance(accept, bool):
        raise InvalidInput(_("Choose to accept or refuse."), field="accept")
    with transaction.atomic():
        case, embargo = _lock_embargo(parent_id(ExtensionRequest, request_id, "embargo_id"))
        request = lock(ExtensionRequest, request_id)
        require_coordinator_on_case(case, actor)
        target = ExtensionStatus.ACCEPTED if accept else ExtensionStatus.REFUSED
        EXTENSION.check(request.status, target)
        note = (note or "").strip() if accept else required_text(note, "note", _("Note"), max_length=REASON_MAX)
        record(
            f"case:extension:{target}",
            actor=actor,
            subject=case,
            data={"request": request.pk, "organisation": request.organisation_id, "note": note},
        )
        request.status = target
        request.decision_note = note
        request.decided_at = now()
        request.save()
        if accept:
            _propose(
                case,
                embargo,
                end_at=request.requested_end_at,
                reason=request.reason,
                actor=actor,
                data={"extension_request": request.pk},
            )
    return request


# ---------------------------------------------------------------------------------------------------
# Suspension from pre-notification


def _require_lead(actor: Any) -> None:
    if not permissions.is_staff_member(actor):
        raise NotFound()
    if not permissions.is_lead(actor):
        raise PermissionDenied(_("Only lead coordinators can suspend or reinstate pre-notification."))


def _lock_developer(organisation_id: int, actor: Any) -> Organisation:
    organisation = lock(Organisation, organisation_id)
    _require_lead(actor)
    if organisation.kind != OrganisationKind.PRODUCT_DEVELOPER:
        raise InvalidInput(_("Only product developers receive pre-notification."), field="organisation_id")
    return organisation


def suspend_from_prenotification(
    organisation_id: int, *, reason: str, actor: Any, until: dt.datetime | None = None
) -> PreNotificationSuspension:
    """Stop pre-notifying a developer (e.g. after it broke a date); notifying it then needs an override."""
    with transaction.atomic():
        organisation = _lock_developer(organisation_id, actor)
        reason = required_text(reason, "reason", _("Reason"), max_length=REASON_MAX)
        if until is not None:
            until = _future_instant(until, "until", _("End of the suspension"))
        if is_suspended(organisation):
            raise Conflict(_("This developer is already suspended."))
        record(
            "organisation:suspension:imposed",
            actor=actor,
            subject=organisation,
            data={"reason": reason, "until": iso(until), "breaches": organisation.breaches.count()},
        )
        # One row per developer: a new suspension replaces an expired or lifted one (the audit keeps both).
        suspension, _created = PreNotificationSuspension.objects.update_or_create(
            organisation=organisation,
            defaults={"reason": reason, "until": until, "created_at": now(), "created_by": actor},
        )
    return suspension


def lift_suspension(organisation_id: int, *, reason: str, actor: Any) -> PreNotificationSuspension:
    """Reinstate pre-notification now; the row stays, ending now, so the record is kept."""
    with transaction.atomic():
        organisation = _lock_developer(organisation_id, actor)
        reason = required_text(reason, "reason", _("Reason"), max_length=REASON_MAX)
        suspension = PreNotificationSuspension.objects.select_for_update().filter(organisation=organisation).first()
        if suspension is None or not is_suspended(organisation):
            raise Conflict(_("This developer is not suspended."))
        record("organisation:suspension:lifted", actor=actor, subject=organisation, data={"reason": reason})
        suspension.until = now()
        suspension.save()
    return suspension
