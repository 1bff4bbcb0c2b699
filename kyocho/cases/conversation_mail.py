"""Telling the other parties of a thread that a message was posted in it (issue 5, item 6).

The one writer of messages (``conversations._save_message``) calls ``tell_about_message`` inside its
transaction, whether the message was written on a page, through the API or came by mail, so the mail
exists if and only if the message does. Who is told:

- developers: the thread's one developer, the developers of a product thread, or every notified
  developer of an all-participants thread, through ``cases.mail.tell_developer``: each contact gets the
  message signed and encrypted to its key, or the content-free portal notice;
- the reporter (reporter thread), through ``tell_reporters``: encrypted to the key the reporter gave,
  else the content-free reporter notice;
- partner teams (their own thread, or the all-participants thread), through ``tell_partner``: a
  content-free notice (partners register no keys here);
- coordinators: the case owner, or every coordinator while the case has no owner, a content-free notice.

Never the author: the party the message was written for (a developer or partner team, or the
reporter) is not told of its own message, and a coordinator is not told of what they wrote.

Coalescing: a content-free notice says nothing but "please sign in", and the portal shows everything
unread, so a party (or coordinator) gets at most one such notice per thread per
``KYOCHO_CONVERSATION_NOTICE_WINDOW_MINUTES``. Mail that carries the message itself (encrypted to a
key) is never held back: dropping it would lose the message for those who work by mail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.urls import reverse

from kyocho.accounts import permissions
from kyocho.accounts.models import User
from kyocho.accounts.roles import COORDINATOR_ROLES
from kyocho.cases import mail
from kyocho.cases.conversation_queries import Reader, author_label, thread_name
from kyocho.cases.models import Case, Message, Participation, ReplyToken, Thread, ThreadKind
from kyocho.cases.workflow import ParticipationStatus
from kyocho.core.clock import now
from kyocho.messaging.actions import enqueue_from_template
from kyocho.messaging.models import OutboundEmail

PURPOSE = "case:conversation:message"
STAFF_PURPOSE = "case:conversation:staff_notice"
MESSAGE_TEMPLATE = "conversation_message"
STAFF_TEMPLATE = "conversation_staff_notice"


def tell_about_message(message: Message, *, actor: Any) -> None:
    """Queue the mail about ``message`` to every party of its thread but the author's own."""
    thread = message.thread
    addresses = _reply_addresses(thread)
    quiet = _recently_noticed(thread, addresses)

    def to_be_told(organisation_id: int | None) -> bool:
        return addresses.get(organisation_id) not in quiet

    context = {
        "body": message.body,
        "thread_name": thread_name(thread),
        "attachments": list(message.attachments.values_list("filename", flat=True)),
        "thread_link": mail.site_link(reverse("portal:thread", args=[thread.case.reference, thread.pk])),
    }
    told = [
        participation
        for participation in _developers(thread)
        if participation.organisation_id != message.author_organisation_id and to_be_told(participation.organisation_id)
    ]
    if told:

        def what_the_developer_reads(participation: Participation) -> dict[str, Any]:
            reader = Reader.developer(participation.organisation_id, thread)
            return {**context, "author_label": author_label(message, reader)}

        # All of them at once: a message in the all-participants thread of 500 developers costs a few
        # queries, not a few each.
        mail.tell_developers(
            thread.case,
            told,
            MESSAGE_TEMPLATE,
            what_the_developer_reads,
            purpose=PURPOSE,
            actor=actor,
            threads={participation.organisation_id: thread for participation in told},
        )
    for organisation_id in _partner_teams(thread):
        if organisation_id != message.author_organisation_id and to_be_told(organisation_id):
            mail.tell_partner(thread.case, organisation_id, mail.PORTAL_NOTICE, {}, purpose=PURPOSE, actor=actor)
    if thread.report is not None and not _written_by_the_reporter(message) and to_be_told(None):
        details = {**context, "author_label": author_label(message, Reader.anyone_of_the_thread())}
        mail.tell_reporters(
            thread.case, MESSAGE_TEMPLATE, details, purpose=PURPOSE, actor=actor, reports=[thread.report]
        )  # the finder of this thread's report only
    for coordinator in _coordinators(thread.case):
        if coordinator.pk != message.author_id and coordinator.email not in quiet:
            _notice_to_coordinator(coordinator, thread, actor=actor)


def _notice_to_coordinator(coordinator: User, thread: Thread, *, actor: Any) -> None:
    case = thread.case
    enqueue_from_template(
        STAFF_TEMPLATE,
        {
            "case": case,
            "link": mail.site_link(reverse("staff:thread", args=[case.reference, thread.pk])),
            "recipient_name": str(coordinator),
        },
        to=coordinator.email,
        language=coordinator.preferred_language,
        purpose=STAFF_PURPOSE,
        actor=actor,
        related=thread,  # what its coalescing window is known by
    )


# --- The parties of a thread


def _developers(thread: Thread) -> QuerySet[Participation]:
    """The developers the thread speaks to; a developer not yet notified knows nothing of the case."""
    notified = (
        Participation.objects.filter(case_id=thread.case_id)
        .exclude(status=ParticipationStatus.IDENTIFIED)
        .select_related("case", "organisation")
        .order_by("pk")
    )
    if thread.kind == ThreadKind.DEVELOPER and thread.organisation_id is not None:
        return notified.filter(organisation_id=thread.organisation_id)
    if thread.kind == ThreadKind.PRODUCT:
        return notified.filter(organisation__in=thread.organisations.all())
    if thread.kind == ThreadKind.ALL_PARTICIPANTS:
        return notified
    return notified.none()


def _partner_teams(thread: Thread) -> list[int]:
    """The partner teams the thread speaks to, while the case is shared with them."""
    shared = thread.case.partners.order_by("pk").values_list("organisation_id", flat=True)
    if thread.kind == ThreadKind.PARTNER and thread.organisation_id is not None:
        return list(shared.filter(organisation_id=thread.organisation_id))
    if thread.kind == ThreadKind.ALL_PARTICIPANTS:
        return list(shared)
    return []


def _written_by_the_reporter(message: Message) -> bool:
    """In the reporter thread everyone who is not a coordinator writes as the reporter (by account,
    tracking link or mail)."""
    return message.author is None or not permissions.is_coordinator(message.author)


def _coordinators(case: Case) -> Iterable[User]:
    """The case owner while they coordinate; otherwise every coordinator."""
    owner = case.owner
    if owner is not None and owner.is_active and permissions.is_coordinator(owner):
        return [owner]
    return User.objects.filter(is_active=True, memberships__role__in=COORDINATOR_ROLES).distinct().order_by("pk")


# --- Coalescing content-free notices


def _reply_addresses(thread: Thread) -> dict[int | None, str]:
    """Each party's reply address for the thread (by organisation; None is the reporter), which its mail
    about the thread carries: the key it is known by. Parties never written to have none yet."""
    tokens = ReplyToken.objects.filter(thread=thread)
    return {token.organisation_id: mail.reply_address(token) for token in tokens}


def _recently_noticed(thread: Thread, addresses: dict[int | None, str]) -> set[str]:
    """Reply addresses (parties) and coordinator addresses that got only content-free mail about this
    thread within the window: they get no further notice until it has passed."""
    minutes = settings.KYOCHO["CONVERSATION_NOTICE_WINDOW_MINUTES"]
    if not minutes:
        return set()
    recent = OutboundEmail.objects.filter(created_at__gte=now() - dt.timedelta(minutes=minutes)).filter(
        Q(purpose=PURPOSE, **{"headers__Reply-To__in": list(addresses.values())})
        | Q(purpose=STAFF_PURPOSE, related=f"{Thread._meta.label_lower}:{thread.pk}")
    )
    notices: set[str] = set()
    encrypted: set[str] = set()
    for to, headers, fingerprint, purpose in recent.values_list("to", "headers", "key_fingerprint", "purpose"):
        key = to if purpose == STAFF_PURPOSE else str(headers.get("Reply-To", ""))
        (encrypted if fingerprint else notices).add(key)
    return notices - encrypted
