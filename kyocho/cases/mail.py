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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from kyocho.accounts import actions as accounts
from kyocho.accounts.models import Membership, User
from kyocho.accounts.roles import VENDOR_ROLES, Role
from kyocho.audit.actions import record
from kyocho.cases.models import Case, Participation, ReplyToken, Thread, ThreadKind
from kyocho.core.clock import now
from kyocho.intake.workflow import ReportStatus
from kyocho.messaging.actions import enqueue_email, enqueue_from_template
from kyocho.messaging.models import OutboundEmail
from kyocho.messaging.pgpmime import recipient_fingerprint
from kyocho.messaging.rendering import language_codes, render_email
from kyocho.vendors.key_queries import is_usable, key_emails
from kyocho.vendors.models import PublicKey, Registration

PORTAL_NOTICE = "portal_notice"
REPORTER_NOTICE = "reporter_notice"
TOKEN_BYTES = 20  # 160 bits, written as 32 lower-case base32 letters (mail systems may fold case)


# --- Threads and reply addresses -----------------------------------------------------------------


def party_thread(case: Case, kind: str, organisation_id: int | None, *, actor: Any) -> Thread:
    """The one developer, partner, reporter or all-participants thread of the case, opened when missing.
    Callers have checked that ``actor`` may do what needs the thread; the system (None) may too."""
    existing = case.threads.filter(kind=kind, organisation=organisation_id).first()
    if existing is not None:
        return existing
    thread = Thread.objects.create(case=case, kind=kind, organisation_id=organisation_id, created_at=now())
    thread.created_by = actor
    thread.save(update_fields=["created_by"])
    record(
        "case:conversation:opened",
        actor=actor,
        subject=case,
        data={"thread": thread.pk, "kind": kind, "organisation": organisation_id, "members": []},
    )
    return thread


def reply_token(thread: Thread, organisation_id: int | None) -> ReplyToken:
    """The token mail to this thread, written for ``organisation_id`` (None: by the reporter), carries."""
    token = ReplyToken.objects.filter(thread=thread, organisation=organisation_id).first()
    if token is None:
        token = ReplyToken.objects.create(
            token=new_token(), thread=thread, organisation_id=organisation_id, created_at=now()
        )
    return token


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
    granted: list[User] = []
    registration = Registration.objects.filter(organisation_id=participation.organisation_id).first()
    if registration is None:
        return granted
    for contact in registration.contacts.all():
        user = User.objects.filter(email__iexact=contact.email).first()
        if user is None:
            user = accounts.create_user(
                contact.email, actor=None, display_name=contact.name, language=_language(contact.language)
            )
        member = Membership.objects.filter(
            user=user, organisation_id=participation.organisation_id, role__in=VENDOR_ROLES
        ).exists()
        if not member:
            accounts.add_member(participation.organisation_id, user_id=user.pk, role=Role.VENDOR_MEMBER, actor=None)
            granted.append(user)
    return granted


def _has_password(address: str) -> bool:
    user = User.objects.filter(email__iexact=address).first()
    return user is not None and user.has_usable_password()


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
    recipients: list[Recipient] | None = None,
) -> list[tuple[Recipient, OutboundEmail]]:
    """One message per contact of the developer: ``template`` with the details, signed and encrypted
    to the contact's key, or the content-free portal notice. Replies thread into ``thread`` (default:
    the developer's private conversation). ``recipients`` are the developer's, when already read
    (``recipients_of_developers``). Call inside the transaction of the change being reported."""
    _require_transaction("tell_developer")
    case = participation.case
    thread = thread or party_thread(case, ThreadKind.DEVELOPER, participation.organisation_id, actor=actor)
    headers = {"Reply-To": reply_address(reply_token(thread, participation.organisation_id))}
    link = site_link(reverse("portal:case", args=[case.reference]))
    sent = []
    for recipient in developer_recipients(participation) if recipients is None else recipients:
        base = {
            **context,
            "case": case,
            "recipient_name": recipient.name,
            "link": link,
            "needs_password": not _has_password(recipient.address),
            "password_link": site_link(reverse("account_reset_password")),
        }
        email = _enqueue(
            recipient, template if recipient.key else PORTAL_NOTICE, base, purpose, headers, actor, participation
        )
        sent.append((recipient, email))
    return sent


def tell_reporters(
    case: Case,
    template: str,
    context: Mapping[str, Any],
    *,
    purpose: str,
    actor: Any,
    without_key: str = REPORTER_NOTICE,
) -> list[OutboundEmail]:
    """One message to the reporter of each report accepted into the case, in the report's language:
    ``template`` encrypted to the key the reporter gave, else ``without_key`` (by default a content-free
    notice; pass ``template`` again for news that is safe in the clear). Replies go to the reporter thread."""
    _require_transaction("tell_reporters")
    reports = case.reports.filter(status=ReportStatus.ACCEPTED).order_by("pk")
    if not reports:
        return []
    thread = party_thread(case, ThreadKind.REPORTER, None, actor=actor)
    headers = {"Reply-To": reply_address(reply_token(thread, None))}
    sent = []
    for report in reports:
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
                headers=headers,
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


def _enqueue(
    recipient: Recipient,
    template: str,
    context: Mapping[str, Any],
    purpose: str,
    headers: Mapping[str, str],
    actor: Any,
    related: Participation,
) -> OutboundEmail:
    subject, body = render_email(template, context, recipient.language)
    return enqueue_email(
        to=recipient.address,
        subject=subject,
        body=body,
        purpose=purpose,
        language=recipient.language,
        actor=actor,
        headers=headers,
        related=related,
        encrypt_to=recipient.key.armored if recipient.key else "",
        key_fingerprint=recipient.key.fingerprint if recipient.key else "",
    )


def site_link(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path
