"""Reading case conversations, scoped to the threads the actor belongs to. Anything else is NotFound.

Confidentiality (issue 5, item 7): a developer sees only its own private thread and the group threads
it belongs to, and in group threads other developers' authors read as "another developer" until a
coordinator opens the participant list of that thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from kyocho.accounts import permissions
from kyocho.accounts.roles import OrganisationKind
from kyocho.cases import queries
from kyocho.cases.models import Case, Message, Participation, ReadMark, Thread, ThreadKind
from kyocho.cases.workflow import ParticipationStatus
from kyocho.core.errors import InvalidInput, NotFound
from kyocho.core.text import render_markdown
from kyocho.intake.workflow import ReportStatus

MAX_PAGE = 200
GROUP_KINDS = frozenset({ThreadKind.ALL_PARTICIPANTS, ThreadKind.PRODUCT})


def _notified_case_ids(organisation_ids: frozenset[int]) -> QuerySet[Participation, Any]:
    """Cases a developer knows of: an identified (not yet notified) participation stays invisible."""
    return (
        Participation.objects.filter(organisation_id__in=organisation_ids)
        .exclude(status=ParticipationStatus.IDENTIFIED)
        .values("case_id")
    )


def _membership(actor: Any) -> Q:
    """The threads a non-coordinator belongs to, as one condition."""
    condition = Q(
        kind=ThreadKind.REPORTER,
        case__reports__reporter=actor,
        case__reports__status=ReportStatus.ACCEPTED,
    )
    vendor_orgs = permissions.vendor_organisation_ids(actor)
    if vendor_orgs:
        known = Q(case_id__in=_notified_case_ids(vendor_orgs))
        condition |= known & Q(kind=ThreadKind.DEVELOPER, organisation_id__in=vendor_orgs)
        condition |= known & Q(kind=ThreadKind.ALL_PARTICIPANTS)
        condition |= known & Q(kind=ThreadKind.PRODUCT, organisations__in=vendor_orgs)
    partner_orgs = permissions.partner_organisation_ids(actor)
    if partner_orgs:
        shared = Q(case__partners__organisation_id__in=partner_orgs)
        condition |= shared & Q(kind=ThreadKind.PARTNER, organisation_id__in=partner_orgs)
        condition |= shared & Q(kind=ThreadKind.ALL_PARTICIPANTS)
    return condition


def visible_threads(actor: Any) -> QuerySet[Thread]:
    """Coordinators are in every thread; others only in the threads they belong to."""
    if permissions.is_coordinator(actor):
        return Thread.objects.all()
    if not getattr(actor, "is_authenticated", False):
        return Thread.objects.none()
    return Thread.objects.filter(pk__in=Thread.objects.filter(_membership(actor)).values("pk"))


def get_thread(actor: Any, thread_id: int | str) -> Thread:
    try:
        return visible_threads(actor).select_related("case", "organisation").get(pk=thread_id)
    except (Thread.DoesNotExist, ValueError, TypeError) as error:
        raise NotFound() from error


def threads_for(actor: Any, case: Case) -> QuerySet[Thread]:
    """The actor's threads in the case, each annotated with ``unread`` (one query for the whole list)."""
    case = queries.get_case(actor, case.pk)
    return (
        visible_threads(actor)
        .filter(case=case)
        .select_related("organisation")
        .annotate(unread=Count("messages", filter=_unread_for(actor, thread="pk", prefix="messages__")))
        .order_by("pk")
    )


def _unread_for(actor: Any, *, thread: str, prefix: str = "") -> Q:
    """Messages by others after the actor's read mark of their thread (``thread`` names the thread's id
    in the outer query, ``prefix`` the path from it to the messages)."""
    mark = ReadMark.objects.filter(thread=OuterRef(thread), user=actor)
    last_read = Coalesce(Subquery(mark.values("last_read_id")[:1]), Value(0))
    return Q(**{f"{prefix}pk__gt": last_read}) & ~Q(**{f"{prefix}author": actor})


def posting_organisation(actor: Any, thread: Thread) -> int | None:
    """The developer or partner team the actor writes for in this thread (None for coordinators and the
    reporter). Only meaningful for a thread the actor can see."""
    if permissions.is_coordinator(actor):
        return None
    if thread.kind in (ThreadKind.DEVELOPER, ThreadKind.PARTNER):
        return thread.organisation_id
    if thread.kind == ThreadKind.REPORTER:
        return None
    own = permissions.vendor_organisation_ids(actor) | permissions.partner_organisation_ids(actor)
    if thread.kind == ThreadKind.PRODUCT:
        own &= frozenset(thread.organisations.values_list("pk", flat=True))
    else:  # all participants: the actor's organisation among the case's developers and partners
        case = thread.case
        own &= frozenset(case.participations.values_list("organisation_id", flat=True)) | frozenset(
            case.partners.values_list("organisation_id", flat=True)
        )
    return min(own) if own else None


@dataclass(frozen=True)
class MessageView:
    message: Message
    author_label: str
    html: str


def _hides_other_developers(actor: Any, thread: Thread) -> bool:
    return (
        thread.kind in GROUP_KINDS
        and not thread.participants_visible
        and not permissions.is_coordinator(actor)
        and not permissions.partner_organisation_ids(actor)
    )


def _author_label(message: Message, *, hide_others: bool, own_orgs: frozenset[int]) -> str:
    organisation = message.author_organisation
    other_developer = (
        organisation is not None
        and organisation.kind == OrganisationKind.PRODUCT_DEVELOPER
        and organisation.pk not in own_orgs
    )
    if hide_others and other_developer:
        return _("another developer")
    author = str(message.author) if message.author else _("a former user")
    return f"{author} ({organisation})" if organisation is not None else author


def messages(actor: Any, thread_id: int | str, *, before: int | None = None, limit: int = 50) -> list[MessageView]:
    """One page of the thread, newest first; ``before`` is the id of the oldest message already shown."""
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(_("Ask for between 1 and %(limit)d messages.") % {"limit": MAX_PAGE}, field="limit")
    thread = get_thread(actor, thread_id)
    rows = thread.messages.select_related("author", "author_organisation").order_by("-pk")
    if before is not None:
        if not isinstance(before, int) or isinstance(before, bool):
            raise InvalidInput(_("This is not a valid id."), field="before")
        rows = rows.filter(pk__lt=before)
    hide_others = _hides_other_developers(actor, thread)
    own_orgs = permissions.vendor_organisation_ids(actor)
    return [
        MessageView(
            message, _author_label(message, hide_others=hide_others, own_orgs=own_orgs), render_markdown(message.body)
        )
        for message in rows[:limit]
    ]


def unread_count(actor: Any, thread: Thread) -> int:
    """Messages by others after the actor's read mark."""
    thread = get_thread(actor, thread.pk)
    return thread.messages.filter(_unread_for(actor, thread="thread_id")).count()
