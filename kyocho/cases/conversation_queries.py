"""Reading case conversations, scoped to the threads the actor belongs to. Anything else is NotFound.

Confidentiality (issue 5, item 7): a developer sees only its own private thread and the group threads
it belongs to, and in group threads other developers' authors read as "another developer" until a
coordinator opens the participant list of that thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from kyocho.accounts import permissions
from kyocho.accounts.roles import OrganisationKind
from kyocho.cases import queries
from kyocho.cases.models import (
    Case,
    Message,
    MessageAttachment,
    Participation,
    ReadMark,
    Thread,
    ThreadKind,
)
from kyocho.cases.workflow import ParticipationStatus
from kyocho.core.errors import InvalidInput, NotFound
from kyocho.core.text import render_markdown
from kyocho.intake.models import Report
from kyocho.intake.workflow import ReportStatus

MAX_PAGE = 200
GROUP_KINDS = frozenset({ThreadKind.ALL_PARTICIPANTS, ThreadKind.PRODUCT})
PRIVATE_KINDS = frozenset({ThreadKind.DEVELOPER, ThreadKind.PARTNER})


def _notified_case_ids(organisation_ids: frozenset[int]) -> QuerySet[Participation, Any]:
    """Cases a developer knows of: an identified (not yet notified) participation stays invisible."""
    return (
        Participation.objects.filter(organisation_id__in=organisation_ids)
        .exclude(status=ParticipationStatus.IDENTIFIED)
        .values("case_id")
    )


def _membership(actor: Any) -> Q:
    """The threads a non-coordinator belongs to, as one condition."""
    # A finder is in the thread of their own report only, never in another finder's of the same case.
    condition = Q(kind=ThreadKind.REPORTER, report__reporter=actor, report__status=ReportStatus.ACCEPTED)
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
        return visible_threads(actor).select_related("case", "organisation", "report").get(pk=thread_id)
    except (Thread.DoesNotExist, ValueError, TypeError) as error:
        raise NotFound() from error


def get_thread_in_case(actor: Any, case: Case, thread_id: int | str) -> Thread:
    """A thread of ``case`` the actor belongs to: pages address threads under their case's reference."""
    thread = get_thread(actor, thread_id)
    if thread.case_id != case.pk:
        raise NotFound()
    return thread


def threads_for(actor: Any, case: Case) -> QuerySet[Thread]:
    """The actor's threads in the case, each annotated with ``unread`` (one query for the whole list)."""
    case = queries.get_case(actor, case.pk)
    return (
        visible_threads(actor)
        .filter(case=case)
        .select_related("organisation", "report")
        .annotate(unread=Count("messages", filter=_unread_for(actor, thread="pk", prefix="messages__")))
        .order_by("pk")
    )


def named_threads(actor: Any, case: Case) -> list[tuple[Thread, str]]:
    """The actor's threads in the case with their names and ``unread`` counts, for a participant's
    case page (a participant belongs to a handful of threads)."""
    return [(thread, thread_name(thread)) for thread in threads_for(actor, case)]


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
    html: SafeString  # the body rendered through render_markdown
    mine: bool = False  # written by the reader


@dataclass(frozen=True)
class Reader:
    """Who a page of messages is for: a person, or one party (a developer's contacts reading mail)."""

    user_id: int | None
    own_organisations: frozenset[int]
    hide_other_developers: bool
    is_reporter: bool = False  # the reporter by tracking link: no account to recognise their messages by

    @classmethod
    def of(cls, actor: Any, thread: Thread) -> Reader:
        return cls(
            user_id=actor.pk if getattr(actor, "is_authenticated", False) else None,
            own_organisations=permissions.vendor_organisation_ids(actor),
            hide_other_developers=_hides_other_developers(actor, thread),
        )

    @classmethod
    def developer(cls, organisation_id: int, thread: Thread) -> Reader:
        """A developer's contacts, as mail about ``thread`` addresses them (no one of them in particular)."""
        hide = thread.kind in GROUP_KINDS and not thread.participants_visible
        return cls(user_id=None, own_organisations=frozenset({organisation_id}), hide_other_developers=hide)

    @classmethod
    def reporter(cls, report: Report) -> Reader:
        """The reporter of ``report``, by tracking link or account."""
        return cls(
            user_id=report.reporter_id, own_organisations=frozenset(), hide_other_developers=False, is_reporter=True
        )

    @classmethod
    def anyone_of_the_thread(cls) -> Reader:
        """Coordinators, partners and the reporter read every author's name."""
        return cls(user_id=None, own_organisations=frozenset(), hide_other_developers=False)


def _hides_other_developers(actor: Any, thread: Thread) -> bool:
    return (
        thread.kind in GROUP_KINDS
        and not thread.participants_visible
        and not permissions.is_coordinator(actor)
        and not permissions.partner_organisation_ids(actor)
    )


def author_label(message: Message, reader: Reader) -> str:
    """The author as ``reader`` may know them. In a group thread whose participant list is closed, another
    developer is only "another developer" (issue 5, item 7)."""
    organisation = message.author_organisation
    other_developer = (
        organisation is not None
        and organisation.kind == OrganisationKind.PRODUCT_DEVELOPER
        and organisation.pk not in reader.own_organisations
    )
    if reader.hide_other_developers and other_developer:
        return _("another developer")
    if message.author is None:
        # A mail reply from a contact without an account, the reporter by tracking link, or a deleted account.
        if organisation is not None:
            return str(organisation)
        return _("the reporter") if message.thread.kind == ThreadKind.REPORTER else _("a former user")
    author = str(message.author)
    return f"{author} ({organisation})" if organisation is not None else author


def _check_page(before: Any, limit: Any) -> None:
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(_("Ask for between 1 and %(limit)d messages.") % {"limit": MAX_PAGE}, field="limit")
    if before is not None and (not isinstance(before, int) or isinstance(before, bool)):
        raise InvalidInput(_("This is not a valid id."), field="before")


def page_of(thread: Thread, reader: Reader, *, before: int | None = None, limit: int = 50) -> list[MessageView]:
    """One page of ``thread`` (already obtained through a scoped query), newest first, for ``reader``;
    ``before`` is the id of the oldest message already shown."""
    _check_page(before, limit)
    rows = (
        thread.messages.select_related("author", "author_organisation").prefetch_related("attachments").order_by("-pk")
    )
    if before is not None:
        rows = rows.filter(pk__lt=before)
    views = []
    for message in rows[:limit]:
        message.thread = thread  # the labels read its kind; spare a query per message
        views.append(view_of(message, reader))
    return views


def view_of(message: Message, reader: Reader) -> MessageView:
    mine = reader.user_id is not None and message.author_id == reader.user_id
    # A reporter without an account wrote by tracking link or mail: no author, no organisation.
    anonymous_own = reader.is_reporter and message.author_id is None and message.author_organisation_id is None
    html = mark_safe(render_markdown(message.body))  # noqa: S308 - render_markdown sanitises with an allow-list
    return MessageView(message, author_label(message, reader), html, mine or anonymous_own)


def messages(actor: Any, thread_id: int | str, *, before: int | None = None, limit: int = 50) -> list[MessageView]:
    """One page of the thread, newest first; ``before`` is the id of the oldest message already shown."""
    _check_page(before, limit)
    thread = get_thread(actor, thread_id)
    return page_of(thread, Reader.of(actor, thread), before=before, limit=limit)


def unread_count(actor: Any, thread: Thread) -> int:
    """Messages by others after the actor's read mark."""
    thread = get_thread(actor, thread.pk)
    return thread.messages.filter(_unread_for(actor, thread="thread_id")).count()


def get_attachment(actor: Any, thread_id: int | str, attachment_id: int | str) -> MessageAttachment:
    """A file of a message in a thread the actor belongs to; NotFound for anything else."""
    return attachment_in(get_thread(actor, thread_id), attachment_id)


def attachment_in(thread: Thread, attachment_id: Any) -> MessageAttachment:
    try:
        return MessageAttachment.objects.get(pk=attachment_id, message__thread=thread)
    except (MessageAttachment.DoesNotExist, ValueError, TypeError) as error:
        raise NotFound() from error


# --- What the reporter reads through a tracking link (no account: the report itself was the key)


def reporter_thread(report: Report) -> Thread | None:
    """The case conversation of a report the caller already obtained through a scoped query or its
    tracking link: the report's own thread in its case, once accepted and opened."""
    if report.status != ReportStatus.ACCEPTED or report.case_id is None:
        return None
    return Thread.objects.filter(kind=ThreadKind.REPORTER, report=report).select_related("case").first()


# --- Names shown for threads and for their participants


def thread_name(thread: Thread) -> str:
    """What a thread is called on pages and in mail. Private threads name their one party, which only
    that party and the coordinators can see."""
    if thread.kind in PRIVATE_KINDS:
        return _("Coordinators and %(party)s") % {"party": thread.organisation}
    if thread.kind == ThreadKind.REPORTER:
        assert thread.report is not None  # a reporter thread always has its report (a constraint)
        return _("Coordinators and the reporter of %(report)s") % {"report": thread.report.reference}
    if thread.kind == ThreadKind.PRODUCT:
        return _("Product: %(title)s") % {"title": thread.title}
    return _("All participants")


def participant_names(actor: Any, thread: Thread) -> list[str]:
    """The developers and partner teams of a group thread, for those who may see the list: coordinators
    and partners always, developers once a coordinator opened it. Empty for everyone else."""
    if thread.kind not in GROUP_KINDS or _hides_other_developers(actor, thread):
        return []
    if thread.kind == ThreadKind.PRODUCT:
        return list(thread.organisations.order_by("name").values_list("name", flat=True))
    developers = (
        thread.case.participations.exclude(status=ParticipationStatus.IDENTIFIED)
        .order_by("organisation__name")
        .values_list("organisation__name", flat=True)
    )
    partners = thread.case.partners.order_by("organisation__name").values_list("organisation__name", flat=True)
    return [*developers, *partners]


# --- The staff case page: private developer threads, found by name, those with unread messages first


def developer_threads(actor: Any, case: Case, *, search: str = "") -> QuerySet[Participation]:
    """The case's developers, each annotated with ``thread_id`` (its private thread, or None) and
    ``unread`` (messages the actor has not read there): one query however many developers there are.
    Coordinators only."""
    if not permissions.is_coordinator(actor):
        raise NotFound()
    case = queries.get_case(actor, case.pk)
    private = Thread.objects.filter(case=case, kind=ThreadKind.DEVELOPER, organisation=OuterRef("organisation_id"))
    unread = (
        Message.objects.filter(
            thread__case=case, thread__kind=ThreadKind.DEVELOPER, thread__organisation=OuterRef("organisation_id")
        )
        .filter(_unread_for(actor, thread="thread_id"))
        .values("thread_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    rows = (
        queries.visible_participations(actor, case)
        .annotate(
            thread_id=Subquery(private.values("pk")[:1]),
            unread=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0)),
        )
        .order_by("-unread", "organisation__name", "pk")
    )
    if search.strip():
        rows = rows.filter(organisation__name__icontains=search.strip())
    return rows
