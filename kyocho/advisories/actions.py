"""The only writers of advisories and their published revisions (PRODUCT.md §2.5).

Recipe (ARCHITECTURE.md): transaction → lock → permission → transition check → audit event → save.
Lock order, the same as ``disclosure.actions``: case → embargo → advisories.

Publication at the agreed instant: every scheduled advisory of a case is published in one
transaction, stamped with the embargo's end time, together with the end of the embargo.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kyocho.accounts import permissions
from kyocho.advisories.content import clean_content, clean_references, require_titles
from kyocho.advisories.ids import allocate_identifier
from kyocho.advisories.models import Advisory, AdvisoryRevision
from kyocho.advisories.queries import visible_advisories
from kyocho.advisories.workflow import ADVISORY, AdvisoryKind, AdvisoryStatus
from kyocho.audit.actions import record
from kyocho.cases.actions import mark_case_published, require_coordinator_on_case
from kyocho.cases.models import Case
from kyocho.cases.workflow import CaseStatus
from kyocho.core.actions import lock, required_text
from kyocho.core.clock import now
from kyocho.core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from kyocho.disclosure.actions import end_embargo, iso, parent_id
from kyocho.disclosure.models import Embargo
from kyocho.disclosure.queries import embargo_in_force

logger = logging.getLogger(__name__)

REASON_MAX = 5000
NOTE_MAX = 1000
# The update-history line (更新履歴) of the first publication, in both languages of the advisory.
FIRST_PUBLICATION_NOTE = {"ja": "公開", "en": "Published"}
DISCLOSURE_DATE_REACHED = gettext_noop("The disclosure date was reached and the advisories were published.")

S = AdvisoryStatus


# ---------------------------------------------------------------------------------------------------
# Locking, permission and moving along the table


def _lock(advisory_id: int | str, actor: Any) -> tuple[Case, Embargo | None, Advisory]:
    """The advisory with its case and embargo, locked in the module's order, for a coordinator."""
    case = lock(Case, parent_id(Advisory, advisory_id, "case_id"))
    embargo = Embargo.objects.select_for_update().filter(case=case).first()
    advisory = lock(Advisory, advisory_id)
    if not permissions.is_coordinator(actor):
        if visible_advisories(actor).filter(pk=advisory.pk).exists():
            raise PermissionDenied(_("Only coordinators can do this."))
        raise NotFound()
    return case, embargo, advisory


def _audit(advisory: Advisory, verb: str, *, actor: Any, data: dict[str, Any] | None = None) -> None:
    record(
        f"case:advisory:{verb}",
        actor=actor,
        subject=advisory,
        data={"case": advisory.case_id, "identifier": advisory.identifier, **(data or {})},
    )


def _move(advisory: Advisory, target: str, *, verb: str, actor: Any, data: dict[str, Any] | None = None) -> None:
    """Check the table, audit as ``case:advisory:<verb>`` and save (with any fields the caller set)."""
    ADVISORY.check(advisory.status, target)
    _audit(advisory, verb, actor=actor, data={"from": advisory.status, "to": target, **(data or {})})
    advisory.status = target
    advisory.save()


def _reopen(advisory: Advisory, *, actor: Any) -> None:
    """An approved or scheduled advisory goes back to draft before it is edited: it must be reviewed again."""
    if advisory.status == S.SCHEDULED:
        advisory.scheduled_for = None
        _move(advisory, S.APPROVED, verb="unscheduled", actor=actor)
    advisory.shared_for_review = False
    _move(advisory, S.DRAFT, verb="reopened", actor=actor)


# ---------------------------------------------------------------------------------------------------
# Drafting and review


def create_advisory(
    case_id: int,
    *,
    content: dict[str, Any],
    actor: Any,
    kind: str | None = None,
    references: Iterable[dict[str, str]] | None = None,
) -> Advisory:
    """A new draft with a fresh random identifier. Without ``kind``, an international case gets a
    JVNVU# advisory and a domestic one a JVN# advisory."""
    with transaction.atomic():
        case = lock(Case, case_id)
        require_coordinator_on_case(case, actor)
        if case.status == CaseStatus.CLOSED:
            raise Conflict(_("The case is closed."))
        kind = kind or (AdvisoryKind.JVNVU if case.international else AdvisoryKind.JVN)
        if kind not in AdvisoryKind.values:
            raise InvalidInput(_("Unknown advisory kind."), field="kind")
        cleaned = clean_content(content)
        cleaned_references = clean_references(references)
        advisory = Advisory.objects.create(
            case=case,
            kind=kind,
            identifier=allocate_identifier(kind),
            content=cleaned,
            references=cleaned_references,
            created_by=actor,
        )
        _audit(advisory, "created", actor=actor, data={"kind": kind})
    return advisory


def update_advisory_content(
    advisory_id: int,
    *,
    content: dict[str, Any],
    actor: Any,
    references: Iterable[dict[str, str]] | None = None,
) -> Advisory:
    """Edit a draft. An approved or scheduled advisory is first moved back to draft; one in review
    must be returned to draft by the reviewer, and a published one is changed by a new revision."""
    with transaction.atomic():
        _case, _embargo, advisory = _lock(advisory_id, actor)
        cleaned = clean_content(content)
        cleaned_references = clean_references(references) if references is not None else advisory.references
        if advisory.status in {S.APPROVED, S.SCHEDULED}:
            _reopen(advisory, actor=actor)
        if advisory.status != S.DRAFT:
            raise Conflict(
                _("Only a draft can be edited; this advisory is %(status)s.")
                % {"status": AdvisoryStatus(advisory.status).label}
            )
        advisory.content = cleaned
        advisory.references = cleaned_references
        advisory.save()
        _audit(advisory, "updated", actor=actor)
    return advisory


def submit_for_review(advisory_id: int, *, actor: Any) -> Advisory:
    with transaction.atomic():
        _case, _embargo, advisory = _lock(advisory_id, actor)
        ADVISORY.check(advisory.status, S.IN_REVIEW)
        require_titles(advisory.content)
        _move(advisory, S.IN_REVIEW, verb="submitted", actor=actor)
    return advisory


def return_to_draft(advisory_id: int, *, reason: str, actor: Any) -> Advisory:
    """The reviewer sends the advisory back (from review, or reopens an approved one) with a reason."""
    with transaction.atomic():
        _case, _embargo, advisory = _lock(advisory_id, actor)
        reason = required_text(reason, "reason", _("Reason"), max_length=REASON_MAX)
        advisory.shared_for_review = False
        _move(advisory, S.DRAFT, verb="returned", actor=actor, data={"reason": reason})
    return advisory


def approve(advisory_id: int, *, actor: Any) -> Advisory:
    """The audit event records who approved."""
    with transaction.atomic():
        _case, _embargo, advisory = _lock(advisory_id, actor)
        _move(advisory, S.APPROVED, verb="approved", actor=actor)
    return advisory


def share_draft_with_participants(advisory_id: int, *, actor: Any) -> Advisory:
    """Let the case's developers, partners and reporter read the approved draft before publication."""
    with transaction.atomic():
        _case, _embargo, advisory = _lock(advisory_id, actor)
        if advisory.status != S.APPROVED:
            raise Conflict(_("Only an approved advisory can be shared with the participants."))
        if advisory.shared_for_review:
            raise Conflict(_("This draft is already shared with the participants."))
        advisory.shared_for_review = True
        advisory.save()
        _audit(advisory, "shared", actor=actor)
    return advisory


# ---------------------------------------------------------------------------------------------------
# Scheduling and publication


def schedule_advisory(advisory_id: int, *, actor: Any) -> Advisory:
    """Bind an approved advisory to the embargo's end: it is published at that instant."""
    with transaction.atomic():
        _case, embargo, advisory = _lock(advisory_id, actor)
        ADVISORY.check(advisory.status, S.SCHEDULED)
        if embargo is None or not embargo_in_force(embargo):
            raise Conflict(_("There is no disclosure date in force to schedule for; publish it now instead."))
        assert embargo.end_at is not None  # an embargo in force has an agreed date
        if embargo.end_at <= now():
            raise Conflict(_("The disclosure date has passed; publish the advisory now instead."))
        advisory.scheduled_for = embargo.end_at
        _move(advisory, S.SCHEDULED, verb="scheduled", actor=actor, data={"scheduled_for": iso(embargo.end_at)})
    return advisory


def unschedule(advisory_id: int, *, actor: Any) -> Advisory:
    with transaction.atomic():
        _case, _embargo, advisory = _lock(advisory_id, actor)
        ADVISORY.check(advisory.status, S.APPROVED)
        advisory.scheduled_for = None
        _move(advisory, S.APPROVED, verb="unscheduled", actor=actor)
    return advisory


def follow_embargo_end(case: Case, *, end_at: dt.datetime, actor: Any) -> None:
    """A revised date was activated: the case's scheduled advisories move with it (caller holds the locks)."""
    for advisory in case.advisories.select_for_update().filter(status=S.SCHEDULED).exclude(scheduled_for=end_at):
        _audit(advisory, "rescheduled", actor=actor, data={"from": iso(advisory.scheduled_for), "to": iso(end_at)})
        advisory.scheduled_for = end_at
        advisory.save()


def _snapshot(advisory: Advisory, *, notes: dict[str, str], at: dt.datetime, actor: Any) -> None:
    """Keep what the public sees in this revision, with its update-history line in both languages."""
    AdvisoryRevision.objects.create(
        advisory=advisory,
        number=advisory.revision,
        content=advisory.content,
        references=advisory.references,
        note_ja=notes["ja"],
        note_en=notes["en"],
        published_at=at,
        published_by=actor,
    )


def _publish_first_revision(advisory: Advisory, *, at: dt.datetime, actor: Any) -> None:
    if advisory.status == S.PUBLISHED:  # published → published is a revision, never a second first one
        raise Conflict(_("This advisory is already published."))
    ADVISORY.check(advisory.status, S.PUBLISHED)
    require_titles(advisory.content)
    advisory.revision = 1
    advisory.first_published_at = advisory.last_published_at = at
    _snapshot(advisory, notes=FIRST_PUBLICATION_NOTE, at=at, actor=actor)
    _move(advisory, S.PUBLISHED, verb="published", actor=actor, data={"revision": 1, "published_at": iso(at)})


def _publish_case(
    case: Case, embargo: Embargo | None, advisories: list[Advisory], *, at: dt.datetime, actor: Any
) -> None:
    """Publish the advisories at ``at``, end the embargo and mark the case published — all at once."""
    for advisory in advisories:
        _publish_first_revision(advisory, at=at, actor=actor)
    if embargo is not None and embargo_in_force(embargo):
        end_embargo(case, embargo, reason=DISCLOSURE_DATE_REACHED, actor=actor)
    case.refresh_from_db(fields=["status"])  # an earlier publication in this transaction may have marked it
    if case.status == CaseStatus.COORDINATING:
        mark_case_published(case.pk, actor=actor)


def _publish_due_in_case(case: Case, embargo: Embargo, at: dt.datetime, actor: Any) -> bool:
    """Publish every scheduled advisory of a case whose disclosure date has come (locks held)."""
    if embargo.end_at is None or embargo.end_at > at:
        return False  # a revision moved the date after the case was picked
    scheduled = list(case.advisories.select_for_update().filter(status=S.SCHEDULED).order_by("pk"))
    if not scheduled:
        return False  # another run published them first
    _publish_case(case, embargo, scheduled, at=embargo.end_at, actor=actor)
    return True


def publish_due_advisories(at: dt.datetime) -> list[int]:
    """Publish what reached its disclosure date by ``at``; returns the ids of the cases published.

    Each case is one transaction: its advisories, stamped with the embargo's end time (not the
    time this runs), the end of the embargo and the case's status change together or not at all.
    Running it twice publishes nothing twice.
    """
    due = (
        Embargo.objects.filter(end_at__lte=at, case__advisories__status=S.SCHEDULED)
        .values_list("case_id", flat=True)
        .distinct()
        .order_by("case_id")
    )
    published = []
    for case_id in list(due):
        try:
            with transaction.atomic():
                case = lock(Case, case_id)
                embargo = Embargo.objects.select_for_update().get(case=case)
                if _publish_due_in_case(case, embargo, at, actor=None):
                    published.append(case_id)
        except DomainError:
            # One case that cannot be published must not hold back the others; it stays scheduled.
            logger.exception("publishing the due advisories of case %s failed", case_id)
    return published


def publish_now(advisory_id: int, *, actor: Any) -> Advisory:
    """Publish an approved (or scheduled) advisory at once, for a case with no date in force.

    Refused while an embargo holds with a future end. If the end has passed but the scheduler has
    not run yet, what was due is published first, at the disclosure date, as the scheduler would."""
    with transaction.atomic():
        case, embargo, advisory = _lock(advisory_id, actor)
        if embargo is not None and embargo_in_force(embargo):
            assert embargo.end_at is not None
            if embargo.end_at > now():
                raise Conflict(
                    _("An embargo holds until the disclosure date: schedule the advisory for that date instead.")
                )
            _publish_due_in_case(case, embargo, now(), actor=actor)
            advisory.refresh_from_db()
            if advisory.status == S.PUBLISHED:
                return advisory  # it was scheduled, and so published with the others at the date
        if advisory.status == S.APPROVED:
            _move(advisory, S.SCHEDULED, verb="scheduled", actor=actor, data={"scheduled_for": None})
        _publish_case(case, embargo, [advisory], at=now(), actor=actor)
    return advisory


def publish_revision(
    advisory_id: int,
    *,
    content: dict[str, Any],
    note_ja: str,
    note_en: str,
    actor: Any,
    references: Iterable[dict[str, str]] | None = None,
) -> Advisory:
    """A new public revision of a published advisory, with its update-history line (更新履歴)."""
    with transaction.atomic():
        _case, _embargo, advisory = _lock(advisory_id, actor)
        ADVISORY.check(advisory.status, S.PUBLISHED)
        cleaned = clean_content(content)
        require_titles(cleaned)
        cleaned_references = clean_references(references) if references is not None else advisory.references
        note_ja = required_text(note_ja, "note_ja", _("Update note (Japanese)"), max_length=NOTE_MAX)
        note_en = required_text(note_en, "note_en", _("Update note (English)"), max_length=NOTE_MAX)
        at = now()
        advisory.revision += 1
        advisory.content = cleaned
        advisory.references = cleaned_references
        advisory.last_published_at = at
        _snapshot(advisory, notes={"ja": note_ja, "en": note_en}, at=at, actor=actor)
        _move(advisory, S.PUBLISHED, verb="revised", actor=actor, data={"revision": advisory.revision})
    return advisory


def withdraw_advisory(advisory_id: int, *, reason: str, actor: Any) -> Advisory:
    with transaction.atomic():
        _case, _embargo, advisory = _lock(advisory_id, actor)
        reason = required_text(reason, "reason", _("Reason"), max_length=REASON_MAX)
        advisory.withdrawn_reason = reason
        _move(advisory, S.WITHDRAWN, verb="withdrawn", actor=actor, data={"reason": reason})
    return advisory
