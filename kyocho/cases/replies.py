"""Who a mail reply belongs to (PRODUCT.md §4): the party a reply token names, and whether a sender is
one of that party's people.

Mail kyocho sends to a case's party carries a Reply-To address with the token of the thread and the
party it was written for (``cases.mail.reply_token``). A reply is threaded only when its sender
belongs to that party: for a developer, the From address is one of its registered contacts or member
accounts, or the OpenPGP signature was verified against one of its registered keys; for a partner
team, one of its members' accounts; for the reporter, the reporter's own address. Everything else
(unknown token, a stranger, a subject naming another case) is not threaded: inbound mail sends it to
the intake queue instead.

Reads only: the system (inbound mail) or a coordinator filing held mail calls these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from kyocho.accounts.models import Organisation, User
from kyocho.accounts.roles import VENDOR_ROLES, OrganisationKind, Role
from kyocho.cases.models import Case, ReplyToken, Thread, ThreadKind
from kyocho.cases.workflow import ParticipationStatus
from kyocho.core.errors import InvalidInput
from kyocho.intake.models import Report
from kyocho.intake.workflow import ReportStatus
from kyocho.vendors.key_queries import contact_emails_of, usable_keys
from kyocho.vendors.models import Registration

# Our subjects carry "[kyocho KYC-XXXX-XXXX]" (see the email templates); a reply keeps it.
CASE_REFERENCE = re.compile(r"\bKYC-[0-9A-Z]{4}-[0-9A-Z]{4}\b")
FILEABLE_KINDS = frozenset({ThreadKind.DEVELOPER, ThreadKind.PARTNER, ThreadKind.REPORTER})


@dataclass(frozen=True)
class ReplyParty:
    """The thread a reply goes to and the people and keys of the party it is written for."""

    thread_id: int
    case_reference: str
    organisation_id: int | None  # the developer or partner team; None for the reporter
    addresses: frozenset[str]  # lower-case addresses the party's people write from
    sender_keys: list[str] = field(default_factory=list)  # ASCII-armoured keys its signatures are checked against
    accounts: dict[str, int] = field(default_factory=dict)  # lower-case address → the party's account there

    def accepts(self, from_address: str, signature: str) -> bool:
        """The sender is one of the party's people, or signed with one of its registered keys."""
        return _lower(from_address) in self.addresses or signature == "verified"

    def names_another_case(self, subject: str) -> bool:
        return any(reference != self.case_reference for reference in CASE_REFERENCE.findall(subject or ""))

    def author_id(self, from_address: str) -> int | None:
        """The party's account the mail came from, if the sender has one."""
        return self.accounts.get(_lower(from_address))


def party_of_token(token: str) -> ReplyParty | None:
    """The party a reply token names, or None when the token is unknown or the party has left the case."""
    row = (
        ReplyToken.objects.select_related("thread__case", "organisation")
        .filter(token=(token or "").strip().lower())
        .first()
    )
    return _party(row.thread, row.organisation) if row is not None else None


def party_of_thread(thread: Thread) -> ReplyParty:
    """The party of a private thread, for a coordinator filing held mail into it."""
    if thread.kind not in FILEABLE_KINDS:
        raise InvalidInput(_("Choose a developer's, a partner team's or the reporter's thread."), field="thread_id")
    party = _party(thread, thread.organisation)
    if party is None:
        raise InvalidInput(_("This party no longer takes part in the case."), field="thread_id")
    return party


def _party(thread: Thread, organisation: Organisation | None) -> ReplyParty | None:
    if organisation is None:
        return _reporter(thread) if thread.kind == ThreadKind.REPORTER else None
    if organisation.kind == OrganisationKind.PRODUCT_DEVELOPER:
        return _developer(thread, organisation)
    if organisation.kind == OrganisationKind.PARTNER_TEAM:
        return _partner(thread, organisation)
    return None


def _developer(thread: Thread, organisation: Organisation) -> ReplyParty | None:
    case: Case = thread.case
    known = case.participations.filter(organisation=organisation).exclude(status=ParticipationStatus.IDENTIFIED)
    if not known.exists():
        return None
    registration = Registration.objects.filter(organisation=organisation).first()
    contacts = contact_emails_of(registration) if registration is not None else set()
    keys = list(usable_keys(registration).values_list("armored", flat=True)) if registration is not None else []
    accounts = _member_accounts(organisation, VENDOR_ROLES)
    return ReplyParty(thread.pk, case.reference, organisation.pk, frozenset(contacts | set(accounts)), keys, accounts)


def _partner(thread: Thread, organisation: Organisation) -> ReplyParty | None:
    case: Case = thread.case
    if not case.partners.filter(organisation=organisation).exists():
        return None
    accounts = _member_accounts(organisation, {Role.PARTNER})
    return ReplyParty(thread.pk, case.reference, organisation.pk, frozenset(accounts), [], accounts)


def _reporter(thread: Thread) -> ReplyParty:
    """The finder of the thread's own report (a case's other finders are other parties)."""
    case: Case = thread.case
    reports = Report.objects.filter(reporter_threads=thread, status=ReportStatus.ACCEPTED).select_related("reporter")
    addresses: set[str] = set()
    accounts: dict[str, int] = {}
    keys: list[str] = []
    for report in reports:
        addresses.add(_lower(report.reporter_email))
        if report.reporter is not None and report.reporter.is_active:
            accounts[_lower(report.reporter.email)] = report.reporter.pk
            accounts.setdefault(_lower(report.reporter_email), report.reporter.pk)
        if report.reporter_pgp_key:
            keys.append(report.reporter_pgp_key)
    return ReplyParty(thread.pk, case.reference, None, frozenset(addresses | set(accounts)), keys, accounts)


def _member_accounts(organisation: Organisation, roles: frozenset[str] | set[str]) -> dict[str, int]:
    members = User.objects.filter(
        is_active=True, memberships__organisation=organisation, memberships__role__in=roles
    ).distinct()
    return {_lower(email): pk for pk, email in members.values_list("pk", "email")}


def _lower(address: str) -> str:
    return (address or "").strip().lower()
