"""Telling a case's parties something by email, safely (PRODUCT.md §4).

Every message goes to one recipient. A developer's contact with a usable OpenPGP key gets the details
signed and encrypted to that key alone; a contact without one gets a content-free "please sign in"
notice, never the details. Replies come back to an address that carries an unguessable token of the
conversation and party it belongs to (``cvd+TOKEN@example.org``), which inbound mail threads by.

Callers hold the transaction of the change they report: the outbox rows commit with it or not at all.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.hashers import is_password_usable
from django.db import transaction
from django.db.models.functions import Lower
from django.urls import reverse

from kyocho.accounts import actions as accounts
from kyocho.accounts.models import Membership, User
from kyocho.accounts.roles import VENDOR_ROLES, Role
from kyocho.audit.actions import Entry, record, record_many
from kyocho.cases.models import Case, Participation, ReplyToken, Thread, ThreadKind
from kyocho.core.clock import now
from kyocho.intake.workflow import ReportStatus
from kyocho.messaging.actions import Outgoing, enqueue_emails, enqueue_from_template
from kyocho.messaging.models import OutboundEmail
from kyocho.messaging.pgpmime import recipient_fingerprint
from kyocho.messaging.rendering import language_codes, render_email
from kyocho.vendors.key_queries import is_usable, key_emails
from kyocho.vendors.models import PublicKey, Registration

if TYPE_CHECKING:
    from kyocho.intake.models import Report

PORTAL_NOTICE = "portal_notice"
REPORTER_NOTICE = "reporter_notice"
TOKEN_BYTES = 20  # 160 bits, written as 32 lower-case base32 letters (mail systems may fold case)


# --- Threads and reply addresses -----------------------------------------------------------------


def party_thread(case: Case, kind: str, organisation_id: int | None, *, actor: Any) -> Thread:
    """The one developer, partner or all-participants thread of the case, opened when missing (reporter
    threads belong to a report: ``report_thread``). Callers have checked that ``actor`` may do what needs
    the thread; the system (None) may too."""
    return party_threads(case, kind, [organisation_id], actor=actor)[organisation_id]


def report_thread(report: Report, *, actor: Any) -> Thread:
    """The thread of the coordinators and the finder of ``report`` (accepted into a case), opened when
    missing. One per report: finders of one case never read each other's messages."""
    assert report.case_id is not None, "only a report accepted into a case has a case thread"
    type(report).objects.select_for_update().filter(pk=report.pk).exists()  # who opens it is serialised here
    existing = Thread.objects.filter(kind=ThreadKind.REPORTER, report=report).select_related("case").first()
    if existing is not None:
        return existing
    thread = Thread.objects.create(
        case_id=report.case_id, kind=ThreadKind.REPORTER, report=report, created_at=now(), created_by=actor
    )
    record(
        "case:conversation:opened",
        actor=actor,
        subject=thread.case,
        data={"thread": thread.pk, "kind": ThreadKind.REPORTER, "report": report.reference, "members": []},
    )
    return thread


def party_threads(
    case: Case, kind: str, organisation_ids: Iterable[int | None], *, actor: Any
) -> dict[int | None, Thread]:
    """``party_thread`` for many parties of one kind at once (a notification to hundreds of developers
    opens hundreds of threads): one read, one insert, their audit events."""
    assert kind != ThreadKind.REPORTER, "reporter threads belong to a report: report_thread"
    wanted = list(dict.fromkeys(organisation_ids))
    threads = case.threads.filter(kind=kind)
    if None in wanted:
        existing = {thread.organisation_id: thread for thread in threads.filter(organisation__isnull=True)}
    else:
        existing = {thread.organisation_id: thread for thread in threads.filter(organisation__in=wanted)}
    at = now()
    opened = Thread.objects.bulk_create(
        Thread(case=case, kind=kind, organisation_id=organisation_id, created_at=at, created_by=actor)
        for organisation_id in wanted
        if organisation_id not in existing
    )
    record_many(
        Entry(
            "case:conversation:opened",
            actor,
            case,
            {"thread": thread.pk, "kind": kind, "organisation": thread.organisation_id, "members": []},
        )
        for thread in opened
    )
    return {**existing, **{thread.organisation_id: thread for thread in opened}}


def reply_token(thread: Thread, organisation_id: int | None) -> ReplyToken:
    """The token mail to this thread, written for ``organisation_id`` (None: by the reporter), carries."""
    return reply_tokens([(thread, organisation_id)])[thread.pk, organisation_id]


def reply_tokens(parties: Iterable[tuple[Thread, int | None]]) -> dict[tuple[int, int | None], ReplyToken]:
    """``reply_token`` of many (thread, party) pairs at once, by (thread id, organisation id)."""
    wanted = list(dict.fromkeys((thread.pk, organisation_id) for thread, organisation_id in parties))
    tokens = {
        (token.thread_id, token.organisation_id): token
        for token in ReplyToken.objects.filter(thread__in={thread_id for thread_id, _party in wanted})
    }
    at = now()
    created = ReplyToken.objects.bulk_create(
        ReplyToken(token=new_token(), thread_id=thread_id, organisation_id=organisation_id, created_at=at)
        for thread_id, organisation_id in wanted
        if (thread_id, organisation_id) not in tokens
    )
    tokens.update({(token.thread_id, token.organisation_id): token for token in created})
    return tokens


def new_token() -> str:
    return base64.b32encode(secrets.token_bytes(TOKEN_BYTES)).decode().rstrip("=").lower()


def mailbox() -> tuple[str, str]:
    """(local part, domain) of the address replies go to: KYOCHO_REPLY_ADDRESS, else the From address."""
    address = settings.KYOCHO.get("REPLY_ADDRESS") or parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or "cvd@localhost"
    local, _at, domain = address.rpartition("@")
    return local, domain


def reply_address(token: ReplyToken) -> str:
    local, domain = mailbox()
    return f"{local}+{token.token}@{domain}"


def token_of_address(address: str) -> str | None:
    """The token in a reply address of ours (``local+TOKEN@domain``), or None for any other address."""
    local, domain = mailbox()
    name, _at, host = parseaddr(address)[1].lower().rpartition("@")
    base, plus, token = name.partition("+")
    if host != domain.lower() or base != local.lower() or not plus or not token:
        return None
    return token


# --- Who a developer's mail goes to ----------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    address: str
    name: str
    language: str
    key: PublicKey | None  # the key the details are encrypted to; None means a portal notice only


def developer_recipients(participation: Participation) -> list[Recipient]:
    """The developer's registered contacts, each with the key its mail is encrypted to: a usable key
    naming the contact's own address, else one a coordinator accepted for the whole developer."""
    return recipients_of_developers([participation.organisation_id]).get(participation.organisation_id, [])


def recipients_of_developers(organisation_ids: Iterable[int]) -> dict[int, list[Recipient]]:
    """``developer_recipients`` of many developers, by organisation id, in three queries (a
    notification may go to hundreds). Developers without a registration have no entry."""
    at = now()
    registrations = Registration.objects.filter(organisation_id__in=list(organisation_ids)).prefetch_related(
        "contacts", "keys"
    )
    return {registration.organisation_id: _recipients(registration, at) for registration in registrations}


def _recipients(registration: Registration, at: dt.datetime) -> list[Recipient]:
    contacts = sorted(registration.contacts.all(), key=lambda contact: (not contact.responsible, contact.pk))
    emails = {contact.email.lower() for contact in contacts}
    keys = sorted(
        (key for key in registration.keys.all() if is_usable(key, emails, at=at)),
        key=lambda key: key.created_at,
        reverse=True,
    )
    developer_wide = next((key for key in keys if key.accepted_without_matching_uid), None)
    return [
        Recipient(
            contact.email,
            contact.name,
            _language(contact.language),
            next((key for key in keys if contact.email.lower() in key_emails(key)), developer_wide),
        )
        for contact in contacts
    ]


def _language(code: str) -> str:
    return code if code in language_codes() else settings.LANGUAGE_CODE


def grant_portal_access(participation: Participation) -> list[User]:
    """Every contact of the developer can sign in to the portal: a contact without an account gets one
    (no password yet: the notice tells them to set one), and an account becomes a member of the
    developer. Returns the accounts that were created or joined. Runs as the system."""
    return grant_portal_access_to([participation.organisation_id])


def grant_portal_access_to(
    organisation_ids: Iterable[int], recipients: Mapping[int, list[Recipient]] | None = None
) -> list[User]:
    """``grant_portal_access`` for many developers at once (``recipients``: theirs, when already read)."""
    organisation_ids = list(organisation_ids)
    recipients = recipients_of_developers(organisation_ids) if recipients is None else recipients
    contacts = {
        recipient.address.lower(): recipient
        for organisation_id in organisation_ids
        for recipient in recipients.get(organisation_id, [])
    }
    users = _accounts_of(contacts)
    missing = [contact for address, contact in contacts.items() if address not in users]
    for user in accounts.create_users(
        ((contact.address, contact.name, contact.language) for contact in missing), actor=None
    ):
        users[user.email.lower()] = user
    members = set(
        Membership.objects.filter(
            organisation_id__in=organisation_ids, user__in=list(users.values()), role__in=VENDOR_ROLES
        ).values_list("organisation_id", "user_id")
    )
    pairs = (
        (organisation_id, users[recipient.address.lower()].pk)
        for organisation_id in organisation_ids
        for recipient in recipients.get(organisation_id, [])
    )
    joining = [pair for pair in dict.fromkeys(pairs) if pair not in members]
    accounts.add_memberships(joining, role=Role.VENDOR_MEMBER, actor=None)
    by_id = {user.pk: user for user in users.values()}
    return [by_id[user_id] for _organisation_id, user_id in joining]


def _accounts_of(addresses: Iterable[str]) -> dict[str, User]:
    """The accounts of these (lower-case) addresses, by lower-case address."""
    found = User.objects.annotate(address=Lower("email")).filter(address__in=list(addresses))
    return {user.email.lower(): user for user in found}


# --- Sending ---------------------------------------------------------------------------------------


def _require_transaction(name: str) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{name} must be called inside the transaction of the change it reports")


def tell_developer(
    participation: Participation,
    template: str,
    context: Mapping[str, Any],
    *,
    purpose: str,
    actor: Any,
    thread: Thread | None = None,
) -> list[tuple[Recipient, OutboundEmail]]:
    """One message per contact of the developer: ``template`` with the details, signed and encrypted
    to the contact's key, or the content-free portal notice. Replies thread into ``thread`` (default:
    the developer's private conversation). Call inside the transaction of the change being reported."""
    threads: dict[int | None, Thread] | None = None if thread is None else {participation.organisation_id: thread}
    told = tell_developers(
        participation.case, [participation], template, lambda _p: context, purpose=purpose, actor=actor, threads=threads
    )
    return told[participation.pk]


def tell_developers(
    case: Case,
    participations: list[Participation],
    template: str,
    context_of: Callable[[Participation], Mapping[str, Any]],
    *,
    purpose: str,
    actor: Any,
    threads: Mapping[int | None, Thread] | None = None,
    recipients: Mapping[int, list[Recipient]] | None = None,
) -> dict[int, list[tuple[Recipient, OutboundEmail]]]:
    """``tell_developer`` for many developers of one case (by participation id), with a few queries
    whatever their number: ``context_of(participation)`` is what that developer may know; ``threads``
    and ``recipients`` (by organisation id) are theirs when already at hand."""
    _require_transaction("tell_developer")
    organisation_ids = [participation.organisation_id for participation in participations]
    recipients = recipients_of_developers(organisation_ids) if recipients is None else recipients
    reached = [organisation_id for organisation_id in organisation_ids if recipients.get(organisation_id)]
    chosen: Mapping[int | None, Thread] = threads or party_threads(case, ThreadKind.DEVELOPER, reached, actor=actor)
    tokens = reply_tokens((chosen[organisation_id], organisation_id) for organisation_id in reached)
    with_password = _with_password(
        recipient.address for organisation_id in reached for recipient in recipients[organisation_id]
    )
    link = site_link(reverse("portal:case", args=[case.reference]))
    password_link = site_link(reverse("account_reset_password"))
    planned: list[tuple[Participation, Recipient, Outgoing]] = []
    for participation in participations:
        developer = participation.organisation_id
        if not recipients.get(developer):
            continue
        token = tokens[chosen[developer].pk, developer]
        headers = {"Reply-To": reply_address(token)}
        context = context_of(participation)
        for recipient in recipients[developer]:
            base = {
                **context,
                "case": case,
                "recipient_name": recipient.name,
                "link": link,
                "needs_password": recipient.address.lower() not in with_password,
                "password_link": password_link,
            }
            wording = template if recipient.key else PORTAL_NOTICE
            planned.append(
                (participation, recipient, _outgoing(recipient, wording, base, purpose, headers, participation))
            )
    emails = enqueue_emails([outgoing for _participation, _recipient, outgoing in planned], actor=actor)
    told: dict[int, list[tuple[Recipient, OutboundEmail]]] = {participation.pk: [] for participation in participations}
    for (participation, recipient, _plan), email in zip(planned, emails, strict=True):
        told[participation.pk].append((recipient, email))
    return told


def _with_password(addresses: Iterable[str]) -> set[str]:
    """Those of the addresses (lower case) whose account has a password."""
    found = User.objects.annotate(address=Lower("email")).filter(address__in=[a.lower() for a in addresses])
    return {address for address, password in found.values_list("address", "password") if is_password_usable(password)}


def tell_reporters(
    case: Case,
    template: str,
    context: Mapping[str, Any],
    *,
    purpose: str,
    actor: Any,
    without_key: str = REPORTER_NOTICE,
    reports: Iterable[Report] | None = None,
) -> list[OutboundEmail]:
    """One message to the finder of each report accepted into the case (or of ``reports`` only), in the
    report's language: ``template`` encrypted to the key the finder gave, else ``without_key`` (by default
    a content-free notice; pass ``template`` again for news that is safe in the clear). Replies go to the
    report's own thread."""
    _require_transaction("tell_reporters")
    chosen = case.reports.filter(status=ReportStatus.ACCEPTED).order_by("pk") if reports is None else reports
    sent = []
    for report in chosen:
        token = reply_token(report_thread(report, actor=actor), None)
        usable = bool(recipient_fingerprint(report.reporter_pgp_key))
        sent.append(
            enqueue_from_template(
                template if usable else without_key,
                {**context, "case": case, "report": report, "has_account": report.reporter_id is not None},
                to=report.reporter_email,
                language=_language(report.language),
                purpose=purpose,
                actor=actor,
                related=report,
                headers={"Reply-To": reply_address(token)},
                encrypt_to=report.reporter_pgp_key if usable else "",
            )
        )
    return sent


def tell_partner(
    case: Case, organisation_id: int, template: str, context: Mapping[str, Any], *, purpose: str, actor: Any
) -> list[OutboundEmail]:
    """A content-free portal notice to each member of a partner team (partners register no keys here):
    ``template`` is used only for what may travel in the clear. Replies go to the partner thread."""
    _require_transaction("tell_partner")
    thread = party_thread(case, ThreadKind.PARTNER, organisation_id, actor=actor)
    headers = {"Reply-To": reply_address(reply_token(thread, organisation_id))}
    members = User.objects.filter(
        is_active=True, memberships__organisation_id=organisation_id, memberships__role=Role.PARTNER
    ).distinct()
    link = site_link(reverse("portal:case", args=[case.reference]))
    return [
        enqueue_from_template(
            template,
            {**context, "case": case, "recipient_name": str(member), "link": link},
            to=member.email,
            language=_language(member.preferred_language),
            purpose=purpose,
            actor=actor,
            related=case,
            headers=headers,
        )
        for member in members
    ]


def _outgoing(
    recipient: Recipient,
    template: str,
    context: Mapping[str, Any],
    purpose: str,
    headers: Mapping[str, str],
    related: Participation,
) -> Outgoing:
    subject, body = render_email(template, context, recipient.language)
    return Outgoing(
        to=recipient.address,
        subject=subject,
        body=body,
        purpose=purpose,
        language=recipient.language,
        headers=headers,
        related=related,
        encrypt_to=recipient.key.armored if recipient.key else "",
        key_fingerprint=recipient.key.fingerprint if recipient.key else "",
    )


def site_link(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path
