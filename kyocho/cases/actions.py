"""The only writers of cases, participations, vulnerabilities, answers, contact attempts and partners.

Recipe for every action (ARCHITECTURE.md): transaction → lock → permission → transition check →
audit event → save → side effects on commit. Someone who may not even see the object gets NotFound;
PermissionDenied only goes to those who can see it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Any, NoReturn, TypeVar

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Model, Q
from django.utils.translation import gettext as _

from kyocho.accounts import permissions
from kyocho.accounts.models import Organisation, User
from kyocho.accounts.roles import COORDINATOR_ROLES, OrganisationKind, Role
from kyocho.advisories.content import clean_references
from kyocho.audit.actions import Entry, record, record_many
from kyocho.cases import queries, ssvc
from kyocho.cases.models import Answer, Case, CasePartner, ContactAttempt, Participation, Reviewed, Vulnerability
from kyocho.cases.scoring import InvalidVector, Score, cvss31_score, cvss40_score
from kyocho.cases.workflow import (
    ANSWER,
    CASE,
    CVE,
    PARTICIPATION,
    RESOLUTIONS_FROM,
    REVIEW,
    UNREACHABLE_TRACK,
    VFD_ORDER,
    AnswerStatus,
    CaseResolution,
    CaseStatus,
    ContactChannel,
    ContactOutcome,
    CveState,
    NotAffectedJustification,
    ParticipationStatus,
    ReviewStatus,
    VfdFlag,
)
from kyocho.core.actions import as_id, lock, one_of, optional_text, required_text
from kyocho.core.clock import display_zone, now
from kyocho.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from kyocho.core.ids import public_reference
from kyocho.disclosure.queries import suspensions_in_force
from kyocho.messaging.models import OutboundEmail
from kyocho.messaging.workflow import EmailStatus

P = ParticipationStatus
M = TypeVar("M", bound=Model)
ACTIVE_CASE_STATES = frozenset({CaseStatus.OPEN, CaseStatus.COORDINATING})

# --- Permissions ---------------------------------------------------------------------------------


def require_coordinator(actor: Any) -> None:
    permissions.require(permissions.is_coordinator(actor), _("Only coordinators can do this."))


def _refuse(actor_can_see: bool, message: str) -> NoReturn:
    """404 for those who may not know the object exists, 403 for those who can see it."""
    if not actor_can_see:
        raise NotFound()
    raise PermissionDenied(message)


def require_coordinator_on_case(case: Case, actor: Any) -> None:
    if not permissions.is_coordinator(actor):
        _refuse(queries.can_see_case(actor, case.pk), _("Only coordinators can do this."))


def require_coordinator_on_participation(participation: Participation, actor: Any) -> None:
    if not permissions.is_coordinator(actor):
        _refuse(queries.can_see_participation(actor, participation.pk), _("Only coordinators can do this."))


def _is_developer_member(participation: Participation, actor: Any) -> bool:
    """A member of the developer, once notified (before that the developer does not know of the case)."""
    return (
        participation.organisation_id in permissions.vendor_organisation_ids(actor)
        and participation.status != P.IDENTIFIED
    )


def require_developer_or_coordinator(participation: Participation, actor: Any) -> None:
    if not (permissions.is_coordinator(actor) or _is_developer_member(participation, actor)):
        _refuse(
            queries.can_see_participation(actor, participation.pk),
            _("Only the developer's own members or a coordinator can do this."),
        )


def _require_committee(participation: Participation, actor: Any) -> None:
    """Committee members decide on the packets before them; a lead coordinator may record their decision."""
    if permissions.is_lead(actor):
        return
    if permissions.has_role(actor, Role.COMMITTEE_MEMBER) and participation.status in queries.COMMITTEE_PACKET_STATES:
        return
    _refuse(
        queries.can_see_participation(actor, participation.pk),
        _("Only a committee member or a lead coordinator can record the committee's decision."),
    )


def _or_system(require: Callable[[M, Any], None]) -> Callable[[M, Any], None]:
    """The system itself (actor None: the scheduler, inbound mail) may also do what ``require`` guards."""

    def check(instance: M, actor: Any) -> None:
        if actor is not None:
            require(instance, actor)

    return check


@contextmanager
def _locked(model: type[M], pk: int, *, actor: Any, require: Callable[[M, Any], None]) -> Iterator[M]:
    """The first steps of the recipe: a transaction, the row locked, the actor's permission checked."""
    with transaction.atomic():
        instance = lock(model, pk)
        require(instance, actor)
        yield instance


def locked_case(
    case_id: int, *, actor: Any, require: Callable[[Case, Any], None] = require_coordinator_on_case
) -> AbstractContextManager[Case]:
    return _locked(Case, case_id, actor=actor, require=require)


def locked_participation(
    participation_id: int,
    *,
    actor: Any,
    require: Callable[[Participation, Any], None] = require_coordinator_on_participation,
) -> AbstractContextManager[Participation]:
    return _locked(Participation, participation_id, actor=actor, require=require)


def _create_once(model: type[M], conflict: str, **fields: Any) -> M:
    """Create the row, or refuse in words when it exists (the unique constraint decides, free of races)."""
    try:
        with transaction.atomic():
            return model._default_manager.create(**fields)
    except IntegrityError as error:
        raise Conflict(conflict) from error


def _audit_participant(
    verb: str, participation: Participation, *, actor: Any, data: dict[str, Any] | None = None
) -> None:
    record_many([_participant_entry(verb, participation, actor=actor, data=data)])


def _participant_entry(
    verb: str, participation: Participation, *, actor: Any, data: dict[str, Any] | None = None
) -> Entry:
    return _participant_event(verb, participation.case, participation.organisation_id, actor=actor, data=data)


def _participant_event(
    verb: str, case: Case, organisation_id: int, *, actor: Any, data: dict[str, Any] | None = None
) -> Entry:
    return Entry(f"case:participant:{verb}", actor, case, {"organisation": organisation_id, **(data or {})})


# --- Argument checks -----------------------------------------------------------------------------


def _aware_datetime(value: Any, field: str) -> dt.datetime:
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise InvalidInput(_("Give a date and time with its time zone."), field=field)
    return value


def _format_instant(moment: dt.datetime) -> str:
    """Date, hour and zone, as every deadline is shown (PRODUCT.md §2)."""
    return moment.astimezone(display_zone()).strftime("%Y-%m-%d %H:%M %Z")


# --- Cases ---------------------------------------------------------------------------------------


def open_case(*, title: str, actor: Any, summary: str = "", international: bool = False) -> Case:
    """Intake staff may open a case too (accepting a report); it then waits, unowned, for a coordinator."""
    permissions.require(permissions.is_staff_member(actor), _("Only intake staff and coordinators can do this."))
    title = required_text(title, "title", _("Title"), max_length=300)
    with transaction.atomic():
        case = Case.objects.create(
            reference=public_reference("KYC"),
            title=title,
            summary=optional_text(summary, "summary"),
            international=international,
            owner=actor if permissions.is_coordinator(actor) else None,
        )
        record("case:case:opened", actor=actor, subject=case, data={"title": title})
    return case


def _require_active(case: Case, message: str) -> None:
    if case.status not in ACTIVE_CASE_STATES:
        raise Conflict(message)


def _require_not_closed(case: Case) -> None:
    if case.status == CaseStatus.CLOSED:
        raise Conflict(_("This case is closed."))


def put_case_on_hold(case_id: int, *, reason: str, actor: Any) -> Case:
    """Stops reminders and escalation for the case until released."""
    reason = required_text(reason, "reason", _("Reason"))
    with locked_case(case_id, actor=actor) as case:
        _require_active(case, _("Only an open or coordinating case can be put on hold."))
        if case.on_hold:
            raise Conflict(_("This case is already on hold."))
        case.on_hold, case.hold_reason = True, reason
        record("case:case:held", actor=actor, subject=case, data={"reason": reason})
        case.save()
    return case


def release_case_hold(case_id: int, *, actor: Any) -> Case:
    with locked_case(case_id, actor=actor) as case:
        if not case.on_hold:
            raise Conflict(_("This case is not on hold."))
        record("case:case:hold_released", actor=actor, subject=case, data={"reason": case.hold_reason})
        case.on_hold, case.hold_reason = False, ""
        case.save()
    return case


def close_case(case_id: int, *, resolution: str, actor: Any, note: str = "", merged_into_id: int | None = None) -> Case:
    resolution = one_of(resolution, CaseResolution, "resolution")
    note = optional_text(note, "note")
    if (resolution == CaseResolution.MERGED_INTO) != (merged_into_id is not None):
        raise InvalidInput(
            _("A case closed as merged names the case it was merged into, and only such a case does."),
            field="merged_into_id",
        )
    with locked_case(case_id, actor=actor) as case:
        CASE.check(case.status, CaseStatus.CLOSED)
        _require_resolution_allowed(case, resolution)
        target = None if merged_into_id is None else _merge_target(case, merged_into_id)
        old = case.status
        case.status, case.resolution, case.resolution_note = CaseStatus.CLOSED, resolution, note
        case.merged_into, case.closed_at = target, now()
        case.on_hold, case.hold_reason = False, ""  # a closed case has nothing left to remind anyone of
        record(
            "case:case:closed",
            actor=actor,
            subject=case,
            data={"from": old, "resolution": resolution, "note": note, "merged_into": target and target.reference},
        )
        case.save()
    return case


def _require_resolution_allowed(case: Case, resolution: str) -> None:
    allowed = RESOLUTIONS_FROM[case.status]
    if resolution not in allowed:
        raise Conflict(
            _("A case in state “%(state)s” can only be closed as: %(allowed)s.")
            % {
                "state": CaseStatus(case.status).label,
                "allowed": ", ".join(str(CaseResolution(choice).label) for choice in sorted(allowed)),
            },
            field="resolution",
        )


def _merge_target(case: Case, merged_into_id: Any) -> Case:
    target_id = as_id(merged_into_id, "merged_into_id")
    if target_id == case.pk:
        raise InvalidInput(_("A case cannot be merged into itself."), field="merged_into_id")
    target = lock(Case, target_id)
    if target.status == CaseStatus.CLOSED:
        raise Conflict(_("A case cannot be merged into a closed case."), field="merged_into_id")
    return target


def assign_case_owner(case_id: int, *, owner_id: int, actor: Any) -> Case:
    """The owner receives escalations; only a coordinator can own a case."""
    owner_id = as_id(owner_id, "owner_id")
    with locked_case(case_id, actor=actor) as case:
        _require_not_closed(case)
        owner = (
            User.objects.filter(pk=owner_id, is_active=True, memberships__role__in=COORDINATOR_ROLES).distinct().first()
        )
        if owner is None:
            raise InvalidInput(_("Only an active coordinator can own a case."), field="owner_id")
        record(
            "case:case:owner_assigned",
            actor=actor,
            subject=case,
            data={"from": case.owner_id, "to": owner.pk},
        )
        case.owner = owner
        case.save()
    return case


def update_case_details(
    case_id: int,
    *,
    actor: Any,
    title: str | None = None,
    summary: str | None = None,
    international: bool | None = None,
) -> Case:
    """Change the given details (None leaves one as it is)."""
    changes: dict[str, Any] = {}
    if title is not None:
        changes["title"] = required_text(title, "title", _("Title"), max_length=300)
    if summary is not None:
        changes["summary"] = optional_text(summary, "summary")
    if international is not None:
        if not isinstance(international, bool):
            raise InvalidInput(_("Say yes or no."), field="international")
        changes["international"] = international
    if not changes:
        raise InvalidInput(_("Nothing to change."))
    with locked_case(case_id, actor=actor) as case:
        _require_not_closed(case)
        changed = _apply_changes(case, changes)
        if changed:
            record("case:case:updated", actor=actor, subject=case, data={"fields": changed})
            case.save()
    return case


def _apply_changes(instance: Any, changes: dict[str, Any]) -> list[str]:
    """Set the values that differ and name the fields that changed."""
    changed = sorted(name for name, value in changes.items() if getattr(instance, name) != value)
    for name in changed:
        setattr(instance, name, changes[name])
    return changed


def set_target_disclosure_date(case_id: int, *, at: dt.datetime, actor: Any) -> Case:
    """The coordinator's planned disclosure date (the agreed one is the embargo's)."""
    at = _aware_datetime(at, "at")
    with locked_case(case_id, actor=actor) as case:
        _require_active(case, _("The target date can only be set on an open or coordinating case."))
        if at <= now():
            raise InvalidInput(_("The target disclosure date must be in the future."), field="at")
        old = case.target_disclosure_at
        record(
            "case:case:target_date_set",
            actor=actor,
            subject=case,
            data={"from": old and old.isoformat(), "to": at.isoformat()},
        )
        case.target_disclosure_at = at
        case.save()
    return case


def mark_case_published(case_id: int, *, actor: Any) -> Case:
    """The case's advisory went public (called by the advisory publication, also by the scheduler)."""
    with locked_case(case_id, actor=actor, require=_or_system(require_coordinator_on_case)) as case:
        CASE.check(case.status, CaseStatus.PUBLISHED)
        case.status = CaseStatus.PUBLISHED
        case.save()
        record("case:case:published", actor=actor, subject=case)
    return case


# --- Developers in a case: the contact track -----------------------------------------------------


def add_participant(case_id: int, *, organisation_id: int, actor: Any) -> Participation:
    """Add a product developer to the case as ``identified`` (nothing is sent yet)."""
    with locked_case(case_id, actor=actor) as case:
        _require_active(case, _("Developers can only be added to an open or coordinating case."))
        organisation = _organisation_of_kind(organisation_id, OrganisationKind.PRODUCT_DEVELOPER)
        if organisation is None:
            raise NotFound(_("No such product developer."))
        return identify_developers(case, [organisation], actor=actor)[0]


def identify_developers(case: Case, organisations: list[Organisation], *, actor: Any) -> list[Participation]:
    """Add product developers to the locked case as ``identified``, in one insert (callers checked the
    actor, the case's state and that each is a product developer)."""
    try:
        with transaction.atomic():
            participations = Participation.objects.bulk_create(
                Participation(case=case, organisation=organisation) for organisation in organisations
            )
    except IntegrityError as error:  # the unique constraint decides, free of races
        raise Conflict(_("This developer is already in the case.")) from error
    record_many(
        Entry("case:participant:identified", actor, case, {"organisation": organisation.pk})
        for organisation in organisations
    )
    return participations


def _organisation_of_kind(organisation_id: Any, kind: str) -> Organisation | None:
    return Organisation.objects.filter(pk=as_id(organisation_id, "organisation_id"), kind=kind).first()


def transition_participation(
    participation: Participation, target: str, *, actor: Any, data: dict[str, Any] | None = None
) -> None:
    """Move a locked participation along its table and audit it. Callers hold the lock and checked permission."""
    PARTICIPATION.check(participation.status, target)
    old = participation.status
    participation.status = target
    participation.save()
    _audit_participant(target, participation, actor=actor, data={"from": old, **(data or {})})


def transition_participations(participations: list[Participation], target: str, *, actor: Any, **values: Any) -> None:
    """``transition_participation`` for many locked participations, which all also take ``values``:
    one update, and their audit events in one insert."""
    entries = []
    for participation in participations:
        PARTICIPATION.check(participation.status, target)
        entries.append(_participant_entry(target, participation, actor=actor, data={"from": participation.status}))
        participation.status = target
        for name, value in values.items():
            setattr(participation, name, value)
    Participation.objects.filter(pk__in=[participation.pk for participation in participations]).update(
        status=target, **values
    )
    record_many(entries)


def notify_participant(participation_id: int, *, actor: Any, override_reason: str = "") -> Participation:
    """Notify one developer already in the case: ``cases.notify.notify_developers`` for one (mail to its
    contacts, the contact log, the 起算日 on a case's first notification). A developer suspended from
    pre-notification is only notified with ``override_reason``."""
    from kyocho.cases.notify import notify_one  # notify builds on this module

    participation = queries.get_participation(actor, participation_id)
    require_coordinator_on_participation(participation, actor)
    PARTICIPATION.check(participation.status, P.NOTIFIED)
    notify_one(participation, override_reason=override_reason, actor=actor)
    participation.refresh_from_db()
    return participation


class NeedsOverride(Conflict):
    """Developers suspended from pre-notification were to be notified without a reason to override it."""

    def __init__(self, refusals: list[str], organisation_ids: list[int]) -> None:
        message = " ".join([*refusals, _("Notifying a suspended developer needs an override with a reason.")])
        super().__init__(message, field="override_reasons")
        self.organisation_ids = organisation_ids


def override_suspensions(
    participations: list[Participation], reasons: Mapping[int, str], *, actor: Any, at: dt.datetime
) -> None:
    """A developer suspended from pre-notification at ``at`` is notified only with a reason (``reasons``,
    by organisation id), recorded and audited; without one the notification is refused, naming every
    such developer at once."""
    in_force = suspensions_in_force([participation.organisation_id for participation in participations], at)
    refusals, refused, entries = [], [], []
    for participation in participations:
        suspension = in_force.get(participation.organisation_id)
        if suspension is None:
            continue
        override = optional_text(reasons.get(participation.organisation_id, ""), "override_reasons")
        if not override:
            refusals.append(
                _("%(developer)s is suspended from pre-notification (%(reason)s).")
                % {"developer": participation.organisation.name, "reason": suspension.reason}
            )
            refused.append(participation.organisation_id)
            continue
        participation.suspension_override_reason = override
        Participation.objects.filter(pk=participation.pk).update(suspension_override_reason=override)
        entries.append(
            _participant_entry("suspension_overridden", participation, actor=actor, data={"reason": override})
        )
    if refused:
        raise NeedsOverride(refusals, refused)
    record_many(entries)


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


def _log_attempt(
    participation: Participation,
    *,
    channel: str,
    outcome: str,
    at: dt.datetime,
    actor: Any,
    note: str = "",
    address: str = "",
) -> ContactAttempt:
    return ContactAttempt.objects.create(
        participation=participation,
        channel=channel,
        outcome=outcome,
        at=at,
        note=note,
        address=address,
        recorded_by=actor,
    )


def log_contact_attempt(
    participation_id: int,
    *,
    channel: str,
    outcome: str,
    note: str,
    at: dt.datetime | None = None,
    address: str = "",
    actor: Any,
) -> ContactAttempt:
    """Record one attempt to reach a notified developer (by staff, or by the system for mail it sent);
    ``address`` is the number, address or partner it went to."""
    channel = one_of(channel, ContactChannel, "channel")
    outcome = one_of(outcome, ContactOutcome, "outcome")
    note = optional_text(note, "note")
    address = optional_text(address, "address", max_length=254)
    with locked_participation(
        participation_id, actor=actor, require=_or_system(require_coordinator_on_participation)
    ) as participation:
        if participation.status in {P.IDENTIFIED, P.CLOSED}:
            raise Conflict(_("Contact attempts are logged for a developer that was notified and is not closed."))
        when = _attempt_time(at, participation)
        attempt = _log_attempt(
            participation, channel=channel, outcome=outcome, at=when, actor=actor, note=note, address=address
        )
        _audit_participant(
            "contact_logged",
            participation,
            actor=actor,
            data={"attempt": attempt.pk, "channel": channel, "outcome": outcome, "at": when},
        )
    return attempt


# What became of a mail is what became of the contact attempt it carried.
EMAIL_OUTCOMES = {
    EmailStatus.SENT: ContactOutcome.DELIVERED,
    EmailStatus.FAILED: ContactOutcome.FAILED,
    EmailStatus.BOUNCED: ContactOutcome.FAILED,
}


def log_email_attempt(participation: Participation, email: OutboundEmail, *, actor: Any) -> ContactAttempt:
    """A notification or reminder mail to one contact, logged as an attempt whose outcome follows the
    mail (delivered to the relay, failed, bounced). Callers hold the participation's lock."""
    return log_email_attempts([(participation, email)], actor=actor)[0]


def log_email_attempts(
    mails: Iterable[tuple[Participation, OutboundEmail]], *, actor: Any, at: dt.datetime | None = None
) -> list[ContactAttempt]:
    """``log_email_attempt`` for many (participation, mail) pairs, in one insert. ``at``: the moment of
    the change that sent them (a notification), else when each mail was queued."""
    return ContactAttempt.objects.bulk_create(
        ContactAttempt(
            participation=participation,
            channel=ContactChannel.EMAIL,
            outcome=ContactOutcome.SENT,
            at=at or email.created_at,
            address=email.to,
            email=email,
            recorded_by=actor,
        )
        for participation, email in mails
    )


def log_portal_notices(participations: Iterable[Participation], *, actor: Any, at: dt.datetime) -> list[ContactAttempt]:
    """The portal notice as the one contact attempt of developers no mail could reach (staff then try
    another channel), in one insert."""
    return ContactAttempt.objects.bulk_create(
        ContactAttempt(
            participation=participation,
            channel=ContactChannel.PORTAL,
            outcome=ContactOutcome.SENT,
            at=at,
            recorded_by=actor,
        )
        for participation in participations
    )


def follow_email_outcome(sender: Any, *, emails: list[OutboundEmail], **_kwargs: Any) -> None:
    """Listener of ``messaging.signals.email_outcome``, inside the outbox's transaction: the attempts
    the mails carried take their outcome, with an update per outcome and one insert of audit events."""
    by_email = {email.pk: email for email in emails}
    attempts = list(
        ContactAttempt.objects.select_for_update()
        .filter(email__in=list(by_email))
        .order_by("pk")
        .values_list("pk", "email_id", "outcome", "note", "participation__organisation_id", "participation__case_id")
    )
    cases = Case.objects.in_bulk({case_id for *_rest, case_id in attempts})
    entries: list[Entry] = []
    by_outcome: dict[str, list[int]] = {}
    for attempt_id, email_id, old, note, organisation_id, case_id in attempts:
        email = by_email[email_id]
        outcome = EMAIL_OUTCOMES.get(EmailStatus(email.status))
        if outcome is None or old == outcome:
            continue
        if email.status == EmailStatus.BOUNCED:  # the reason the relay gave joins the note
            note = "\n".join(filter(None, [note, email.last_error]))
            ContactAttempt.objects.filter(pk=attempt_id).update(outcome=outcome, note=note)
        else:
            by_outcome.setdefault(outcome, []).append(attempt_id)
        entries.append(
            _participant_event(
                "contact_outcome",
                cases[case_id],
                organisation_id,
                actor=None,
                data={"attempt": attempt_id, "from": old, "to": outcome, "email": email_id},
            )
        )
    for new_outcome, attempt_ids in by_outcome.items():
        ContactAttempt.objects.filter(pk__in=attempt_ids).update(outcome=new_outcome)
    record_many(entries)


def _attempt_time(at: dt.datetime | None, participation: Participation) -> dt.datetime:
    """An attempt happened between the notification and now: the unreachable rule counts on it."""
    current = now()
    if at is None:
        return current
    at = _aware_datetime(at, "at")
    if at > current:
        raise InvalidInput(_("A contact attempt cannot be in the future."), field="at")
    if participation.notified_at is not None and at < participation.notified_at:
        raise InvalidInput(
            _("A contact attempt cannot be earlier than the notification (%(notified)s).")
            % {"notified": _format_instant(participation.notified_at)},
            field="at",
        )
    return at


def acknowledge_participation(participation_id: int, *, actor: Any) -> Participation:
    """The developer confirmed contact (Vultron V). Staff or a member of the developer may do this;
    from the unreachable track it withdraws any listing."""
    with locked_participation(participation_id, actor=actor, require=require_developer_or_coordinator) as participation:
        _acknowledge(participation, actor=actor)
    return participation


def developer_responded(participation_id: int, *, actor: Any) -> Participation:
    """A developer on the unreachable track (or before the committee) answered after all: back to
    acknowledged, and any public listing is withdrawn."""
    with locked_participation(participation_id, actor=actor, require=require_developer_or_coordinator) as participation:
        if participation.status not in UNREACHABLE_TRACK:
            raise Conflict(
                _(
                    "Only a developer on the unreachable track or before the committee can respond back into coordination."
                )
            )
        _acknowledge(participation, actor=actor)
    return participation


def _acknowledge(participation: Participation, *, actor: Any) -> None:
    was_listed = participation.listed_at is not None
    participation.acknowledged_at = participation.acknowledged_at or now()
    participation.listed_at = participation.product_listed_at = None
    transition_participation(participation, P.ACKNOWLEDGED, actor=actor)
    if was_listed:
        _audit_participant("listing_withdrawn", participation, actor=actor)


def close_participation(participation_id: int, *, actor: Any, note: str = "") -> Participation:
    note = optional_text(note, "note")
    with locked_participation(participation_id, actor=actor) as participation:
        participation.closing_note = note
        transition_participation(participation, P.CLOSED, actor=actor, data={"note": note})
    return participation


def record_reminder(participation_id: int, *, actor: Any = None) -> Participation:
    """Claim the reminder of a developer that has not acknowledged; refused when not due (safe to run twice)."""
    return _claim_follow_up(
        participation_id, actor=actor, due=queries.due_for_reminder, field="reminded_at", event="reminded"
    )


def record_escalation(participation_id: int, *, actor: Any = None) -> Participation:
    """Claim the escalation to the case owner; refused when not due (safe to run twice)."""
    return _claim_follow_up(
        participation_id, actor=actor, due=queries.due_for_escalation, field="escalated_at", event="escalated"
    )


def _claim_follow_up(
    participation_id: int, *, actor: Any, due: Callable[[dt.datetime], Q], field: str, event: str
) -> Participation:
    with locked_participation(
        participation_id, actor=actor, require=_or_system(require_coordinator_on_participation)
    ) as participation:
        at = now()
        if not Participation.objects.filter(due(at), pk=participation.pk).exists():
            raise Conflict(_("This developer is not due for this follow-up."))
        setattr(participation, field, at)
        _audit_participant(event, participation, actor=actor)
        participation.save()
    return participation


# --- The unreachable track (連絡不能) and the committee ---------------------------------------------


def mark_unreachable(participation_id: int, *, actor: Any) -> Participation:
    """Allowed only after enough attempts over enough days across enough channels (settings.KYOCHO)."""
    with locked_participation(participation_id, actor=actor) as participation:
        PARTICIPATION.check(participation.status, P.UNREACHABLE)
        progress = queries.unreachable_progress(participation)
        missing = progress.shortfalls()
        if missing:
            raise Conflict(
                _("The developer cannot be declared unreachable yet; still missing: %(missing)s.")
                % {"missing": "; ".join(missing)}
            )
        transition_participation(
            participation,
            P.UNREACHABLE,
            actor=actor,
            data={"attempts": progress.attempts, "days": progress.days, "channels": progress.channels},
        )
    return participation


def list_developer_name(participation_id: int, *, actor: Any) -> Participation:
    """Stage 1: the developer's name goes on the public unreachable-developers list."""
    with locked_participation(participation_id, actor=actor) as participation:
        participation.listed_at = now()
        transition_participation(participation, P.LISTED_NAME, actor=actor)
    return participation


def list_developer_product(participation_id: int, *, actor: Any) -> Participation:
    """Stage 2, about three months after stage 1: product name and versions are added to the listing."""
    with locked_participation(participation_id, actor=actor) as participation:
        PARTICIPATION.check(participation.status, P.LISTED_PRODUCT)
        assert participation.listed_at is not None  # set on the way into listed_name
        earliest = participation.listed_at + dt.timedelta(days=settings.KYOCHO["UNREACHABLE_STAGE2_DAYS"])
        at = now()
        if at < earliest:
            raise Conflict(
                _("The product can be listed from %(earliest)s, %(days)d days after the name was listed.")
                % {"earliest": _format_instant(earliest), "days": settings.KYOCHO["UNREACHABLE_STAGE2_DAYS"]}
            )
        participation.product_listed_at = at
        transition_participation(participation, P.LISTED_PRODUCT, actor=actor)
    return participation


def refer_to_committee(participation_id: int, *, actor: Any, reason: str = "") -> Participation:
    """Put the participation before the disclosure review committee: after stage 2 of the unreachable
    listing, or — with a reason — a reachable developer with whom coordination is impossible (調整不能),
    or a held decision for another look."""
    reason = optional_text(reason, "reason")
    with locked_participation(participation_id, actor=actor) as participation:
        PARTICIPATION.check(participation.status, P.COMMITTEE_REVIEW)
        if participation.status != P.LISTED_PRODUCT and not reason:
            raise InvalidInput(
                _("Referring a developer that was not listed as unreachable needs a reason."), field="reason"
            )
        participation.committee_referral_reason = reason
        participation.committee_decision_reason, participation.committee_decided_at = "", None
        transition_participation(participation, P.COMMITTEE_REVIEW, actor=actor, data={"reason": reason})
    return participation


COMMITTEE_DECISIONS = frozenset({P.PUBLISH_WITHOUT_VENDOR, P.HOLD})


def record_committee_decision(participation_id: int, *, decision: str, reason: str, actor: Any) -> Participation:
    if not isinstance(decision, str) or decision not in COMMITTEE_DECISIONS:
        raise InvalidInput(
            _("The committee decides “%(publish)s” or “%(hold)s”.")
            % {"publish": P.PUBLISH_WITHOUT_VENDOR, "hold": P.HOLD},
            field="decision",
        )
    reason = required_text(reason, "reason", _("Reason"))
    with locked_participation(participation_id, actor=actor, require=_require_committee) as participation:
        participation.committee_decision_reason, participation.committee_decided_at = reason, now()
        transition_participation(participation, decision, actor=actor, data={"reason": reason})
    return participation


# --- Vultron vfd flags ---------------------------------------------------------------------------

VFD_FIELDS = {
    VfdFlag.VENDOR_AWARE: "acknowledged_at",
    VfdFlag.FIX_READY: "fix_ready_at",
    VfdFlag.FIX_DEPLOYED: "fix_deployed_at",
}


def set_fix_ready(participation_id: int, *, actor: Any) -> Participation:
    return _set_vfd_flag(participation_id, VfdFlag.FIX_READY, actor=actor)


def set_fix_deployed(participation_id: int, *, actor: Any) -> Participation:
    return _set_vfd_flag(participation_id, VfdFlag.FIX_DEPLOYED, actor=actor)


def _set_vfd_flag(participation_id: int, flag: VfdFlag, *, actor: Any) -> Participation:
    """Flags go V → F → D, in that order only; each is set once."""
    with locked_participation(participation_id, actor=actor, require=require_developer_or_coordinator) as participation:
        field = VFD_FIELDS[flag]
        if getattr(participation, field) is not None:
            raise Conflict(_("“%(flag)s” is already set.") % {"flag": flag.label})
        previous = VFD_ORDER[VFD_ORDER.index(flag) - 1]
        if getattr(participation, VFD_FIELDS[previous]) is None:
            raise Conflict(
                _("“%(flag)s” can only follow “%(previous)s” (%(code)s), which is not set yet.")
                % {"flag": flag.label, "previous": previous.label, "code": previous.value}
            )
        setattr(participation, field, now())
        _audit_participant(field.removesuffix("_at"), participation, actor=actor, data={"flag": flag.value})
        participation.save()
    return participation


# --- Investigation answers -----------------------------------------------------------------------


def record_answer(
    participation_id: int,
    *,
    vulnerability_id: int,
    product: str,
    status: str,
    justification: str = "",
    fixed_version: str = "",
    actor: Any,
) -> Answer:
    """A developer's answer for one (vulnerability, product). The first answer may be any status;
    later ones follow the ANSWER table (keeping the status while correcting its justification or fixed
    version is an edit, not a transition). Any change is reviewed again; sending the same answer again
    changes nothing, except that it puts a returned answer back before the coordinator."""
    product = required_text(product, "product", _("Product"), max_length=200)
    status = one_of(status, AnswerStatus, "status")
    justification, fixed_version = _answer_details(status, justification, fixed_version)
    with locked_participation(participation_id, actor=actor, require=require_developer_or_coordinator) as participation:
        require_may_answer(participation, actor)
        vulnerability = Vulnerability.objects.filter(
            pk=as_id(vulnerability_id, "vulnerability_id"), case_id=participation.case_id
        ).first()
        if vulnerability is None:
            raise NotFound(_("No such vulnerability in this case."))
        answer = (
            Answer.objects.select_for_update()
            .filter(participation=participation, vulnerability=vulnerability, product=product)
            .first()
        )
        old = None if answer is None else answer.status
        if answer is None:
            answer = Answer(participation=participation, vulnerability=vulnerability, product=product)
        elif (answer.status, answer.justification, answer.fixed_version) == (status, justification, fixed_version):
            if answer.review_status != ReviewStatus.RETURNED:
                return answer
        elif answer.status != status:
            ANSWER.check(answer.status, status)
        review_was = reopen_review(answer)
        answer.status, answer.justification, answer.fixed_version = status, justification, fixed_version
        answer.updated_at, answer.updated_by = now(), actor
        record(
            "case:answer:recorded",
            actor=actor,
            subject=participation.case,
            data={
                "organisation": participation.organisation_id,
                "vulnerability": vulnerability.pk,
                "product": product,
                "from": old,
                "to": status,
                "review_from": review_was,
            },
        )
        answer.save()
    return answer


def reopen_review(item: Reviewed) -> str | None:
    """What a developer changes goes back before the coordinator: an approved or returned answer or
    statement becomes pending again (the last review's comment stays, to show what was asked).
    Returns the review state it left, or None when it was pending already."""
    if item.review_status == ReviewStatus.PENDING:
        return None
    old = item.review_status
    REVIEW.check(old, ReviewStatus.PENDING)
    item.review_status = ReviewStatus.PENDING
    return old


def require_may_answer(participation: Participation, actor: Any) -> None:
    """Developers answer once they confirmed contact; a coordinator may note an answer of any notified one."""
    if participation.status == P.IDENTIFIED:
        raise Conflict(_("The developer has not been notified yet."))
    if participation.acknowledged_at is None and not permissions.is_coordinator(actor):
        raise Conflict(_("Confirm that you received the notification before answering."))


def _answer_details(status: str, justification: Any, fixed_version: Any) -> tuple[str, str]:
    """not_affected needs a justification, fixed a version; neither belongs to any other status."""
    justification = optional_text(justification, "justification")
    fixed_version = optional_text(fixed_version, "fixed_version", max_length=100)
    if status == AnswerStatus.NOT_AFFECTED:
        if not justification:
            raise InvalidInput(_("Say why the product is not affected."), field="justification")
        one_of(justification, NotAffectedJustification, "justification")
    elif justification:
        raise InvalidInput(_("A justification belongs only to a “not affected” answer."), field="justification")
    if status == AnswerStatus.FIXED:
        if not fixed_version:
            raise InvalidInput(_("Name the version that fixes it."), field="fixed_version")
    elif fixed_version:
        raise InvalidInput(_("A fixed version belongs only to a “fixed” answer."), field="fixed_version")
    return justification, fixed_version


# --- Vulnerabilities -----------------------------------------------------------------------------

CWE_ID = re.compile(r"CWE-[1-9][0-9]{0,5}")
CVE_ID = re.compile(r"CVE-[0-9]{4}-[0-9]{4,19}")
AFFECTED_KEYS = frozenset({"product", "versions", "organisation_id"})


def _clean_title(value: Any) -> str:
    return required_text(value, "title", _("Title"), max_length=300)


def _clean_description(value: Any) -> str:
    return optional_text(value, "description")


def _clean_description_ja(value: Any) -> str:
    return optional_text(value, "description_ja")


def _clean_cwe(value: Any) -> str:
    return _matching(value, CWE_ID, "cwe", _("A CWE id looks like CWE-79."))


def _clean_cve_id(value: Any) -> str:
    return _matching(value, CVE_ID, "cve_id", _("A CVE id looks like CVE-2026-12345."))


def _matching(value: Any, pattern: re.Pattern[str], field: str, message: str) -> str:
    text = optional_text(value, field).upper()
    if text and not pattern.fullmatch(text):
        raise InvalidInput(message, field=field)
    return text


def _clean_cvss31(value: Any) -> str:
    return _clean_vector(value, cvss31_score, "cvss31_vector")


def _clean_cvss40(value: Any) -> str:
    return _clean_vector(value, cvss40_score, "cvss40_vector")


def _clean_vector(value: Any, score: Callable[[str], Score], field: str) -> str:
    """Empty, or a vector the cvss library accepts, kept in its canonical form."""
    text = optional_text(value, field)
    if not text:
        return ""
    try:
        return score(text).vector
    except InvalidVector as error:
        raise InvalidInput(_("This vector is not valid: %(reason)s") % {"reason": error}, field=field) from error


def _clean_affected(value: Any) -> list[dict[str, Any]]:
    """[{"product": …, "versions": …, "organisation_id": developer id (optional)}, …]"""
    if not isinstance(value, list):
        raise InvalidInput(_("Affected products are a list."), field="affected")
    cleaned = [_clean_affected_entry(entry) for entry in value]
    developer_ids = {entry["organisation_id"] for entry in cleaned if "organisation_id" in entry}
    known = set(
        Organisation.objects.filter(pk__in=developer_ids, kind=OrganisationKind.PRODUCT_DEVELOPER).values_list(
            "pk", flat=True
        )
    )
    if developer_ids - known:
        raise InvalidInput(_("An affected product names an unknown product developer."), field="affected")
    return cleaned


def _clean_affected_entry(entry: Any) -> dict[str, Any]:
    if not isinstance(entry, dict) or not set(entry) <= AFFECTED_KEYS:
        raise InvalidInput(
            _("Each affected product has a product, and optionally versions and a developer id."), field="affected"
        )
    cleaned: dict[str, Any] = {
        "product": required_text(entry.get("product"), "affected", _("Product"), max_length=200),
        "versions": optional_text(entry.get("versions", ""), "affected", max_length=500),
    }
    if entry.get("organisation_id") is not None:
        cleaned["organisation_id"] = as_id(entry["organisation_id"], "affected")
    return cleaned


VULNERABILITY_FIELD_CLEANERS: dict[str, Callable[[Any], Any]] = {
    "title": _clean_title,
    "description": _clean_description,
    "cwe": _clean_cwe,
    "cvss31_vector": _clean_cvss31,
    "cvss40_vector": _clean_cvss40,
    "cve_id": _clean_cve_id,
    "affected": _clean_affected,
    "description_ja": _clean_description_ja,
    "references": clean_references,  # [{"url": …, "title": …}], checked as an advisory's references are
}


def _clean_vulnerability_fields(fields: dict[str, Any]) -> dict[str, Any]:
    return {name: VULNERABILITY_FIELD_CLEANERS[name](value) for name, value in fields.items()}


def _require_unique_cve(case: Case, cve_id: str, *, other_than: Vulnerability | None = None) -> None:
    same = case.vulnerabilities.filter(cve_id=cve_id)
    if other_than is not None:
        same = same.exclude(pk=other_than.pk)
    if cve_id and same.exists():
        raise Conflict(_("Another vulnerability of this case already has this CVE id."), field="cve_id")


def _type_cve_id(vulnerability: Vulnerability, cve_id: str) -> None:
    """A typed CVE id was assigned by another CNA; one that came from CVE Services is not typed over."""
    if cve_id == vulnerability.cve_id:
        return
    if vulnerability.cve_state in {CveState.RESERVED, CveState.PUBLISHED}:
        raise Conflict(
            _("This CVE id was reserved through CVE Services; release it there before typing another."),
            field="cve_id",
        )
    target = CveState.EXTERNAL if cve_id else CveState.NONE
    if target != vulnerability.cve_state:
        CVE.check(vulnerability.cve_state, target)
        vulnerability.cve_state = target


def add_vulnerability(
    case_id: int,
    *,
    title: str,
    actor: Any,
    description: str = "",
    cwe: str = "",
    cvss31_vector: str = "",
    cvss40_vector: str = "",
    cve_id: str = "",
    affected: list[dict[str, Any]] | None = None,
    description_ja: str = "",
    references: list[dict[str, str]] | None = None,
) -> Vulnerability:
    """Scores are never typed: they are computed from the vectors whenever shown (cases.scoring).
    ``description`` is in English (a CVE record's description); ``description_ja`` goes beside it."""
    fields = _clean_vulnerability_fields(
        {
            "title": title,
            "description": description,
            "description_ja": description_ja,
            "cwe": cwe,
            "cvss31_vector": cvss31_vector,
            "cvss40_vector": cvss40_vector,
            "cve_id": cve_id,
            "affected": [] if affected is None else affected,
            "references": [] if references is None else references,
        }
    )
    with locked_case(case_id, actor=actor) as case:
        _require_not_closed(case)
        _require_unique_cve(case, fields["cve_id"])
        state = CveState.EXTERNAL if fields["cve_id"] else CveState.NONE
        vulnerability = Vulnerability.objects.create(case=case, cve_state=state, **fields)
        record(
            "case:vulnerability:added",
            actor=actor,
            subject=case,
            data={"vulnerability": vulnerability.pk, "title": vulnerability.title, "cve_id": vulnerability.cve_id},
        )
    return vulnerability


def update_vulnerability(
    vulnerability_id: int,
    *,
    actor: Any,
    title: str | None = None,
    description: str | None = None,
    cwe: str | None = None,
    cvss31_vector: str | None = None,
    cvss40_vector: str | None = None,
    cve_id: str | None = None,
    affected: list[dict[str, Any]] | None = None,
    description_ja: str | None = None,
    references: list[dict[str, str]] | None = None,
) -> Vulnerability:
    """Change the given fields (None leaves one as it is; an empty string or list clears an optional one)."""
    given = {
        "title": title,
        "description": description,
        "description_ja": description_ja,
        "cwe": cwe,
        "cvss31_vector": cvss31_vector,
        "cvss40_vector": cvss40_vector,
        "cve_id": cve_id,
        "affected": affected,
        "references": references,
    }
    changes = _clean_vulnerability_fields({name: value for name, value in given.items() if value is not None})
    if not changes:
        raise InvalidInput(_("Nothing to change."))
    with locked_vulnerability(vulnerability_id, actor=actor) as (vulnerability, case):
        _require_not_closed(case)
        if "cve_id" in changes:
            _require_unique_cve(case, changes["cve_id"], other_than=vulnerability)
            _type_cve_id(vulnerability, changes["cve_id"])
        changed = _apply_changes(vulnerability, changes)
        if changed:
            record(
                "case:vulnerability:updated",
                actor=actor,
                subject=case,
                data={"vulnerability": vulnerability.pk, "fields": changed},
            )
            vulnerability.save()
    return vulnerability


@contextmanager
def locked_vulnerability(vulnerability_id: int, *, actor: Any) -> Iterator[tuple[Vulnerability, Case]]:
    """The vulnerability and its case, locked in a transaction, for a coordinator."""
    with transaction.atomic():
        vulnerability = lock(Vulnerability, vulnerability_id)
        case = lock(Case, vulnerability.case_id)
        require_coordinator_on_case(case, actor)
        yield vulnerability, case


def record_vulnerability_ssvc(vulnerability_id: int, *, decision: str, inputs: Any, actor: Any) -> Vulnerability:
    """Record the inputs of one SSVC decision about the vulnerability (``supplier`` or
    ``coordinator_publish``) and the outcome they give, in ``Vulnerability.ssvc[decision]``."""
    table = ssvc.DECISIONS.get(decision) if isinstance(decision, str) else None
    if table is None:
        raise InvalidInput(
            _("“%(value)s” is not one of: %(allowed)s.") % {"value": decision, "allowed": ", ".join(ssvc.DECISIONS)},
            field="decision",
        )
    clean = table.clean(inputs)
    outcome = str(table.rules(clean))
    with locked_vulnerability(vulnerability_id, actor=actor) as (vulnerability, case):
        _require_not_closed(case)
        record(
            "case:vulnerability:ssvc_recorded",
            actor=actor,
            subject=case,
            data={"vulnerability": vulnerability.pk, "decision": decision, "inputs": clean, "outcome": outcome},
        )
        entry = {"inputs": clean, "outcome": outcome, "recorded_at": now().isoformat()}
        vulnerability.ssvc = {**vulnerability.ssvc, decision: entry}
        vulnerability.save(update_fields=["ssvc"])
    return vulnerability


# --- Partner coordinators ------------------------------------------------------------------------


def share_case_with_partner(case_id: int, *, organisation_id: int, actor: Any, tracking_id: str = "") -> CasePartner:
    """The partner team sees the case and its whole developer list."""
    tracking_id = optional_text(tracking_id, "tracking_id", max_length=100)
    with locked_case(case_id, actor=actor) as case:
        _require_not_closed(case)
        organisation = _organisation_of_kind(organisation_id, OrganisationKind.PARTNER_TEAM)
        if organisation is None:
            raise NotFound(_("No such partner coordinator team."))
        partner = _create_once(
            CasePartner,
            _("The case is already shared with this team."),
            case=case,
            organisation=organisation,
            tracking_id=tracking_id,
        )
        record(
            "case:partner:shared",
            actor=actor,
            subject=case,
            data={"organisation": organisation.pk, "tracking_id": tracking_id},
        )
    return partner


def unshare_case_with_partner(case_id: int, *, organisation_id: int, actor: Any) -> None:
    with locked_case(case_id, actor=actor) as case:
        partner = case.partners.filter(organisation_id=as_id(organisation_id, "organisation_id")).first()
        if partner is None:
            raise NotFound(_("The case is not shared with this team."))
        record("case:partner:unshared", actor=actor, subject=case, data={"organisation": partner.organisation_id})
        partner.delete()
