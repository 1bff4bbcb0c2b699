"""Mail about new messages: every other party of the thread is told, the author never; developers get
the message encrypted to each contact's key or a content-free notice; other developers stay anonymous;
coordinators get a content-free notice; content-free notices are coalesced per party and thread."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine

from kyocho.accounts.models import Organisation, User
from kyocho.audit.models import AuditEvent
from kyocho.cases import actions as cases
from kyocho.cases import conversations
from kyocho.cases.conversation_mail import PURPOSE, STAFF_PURPOSE
from kyocho.cases.models import Case, Message, Thread, ThreadKind
from kyocho.conftest import coordinating_case, make_member, make_organisation, submit_test_report
from kyocho.core.attachments import Upload
from kyocho.core.clock import now
from kyocho.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from kyocho.intake import actions as intake
from kyocho.messaging import actions as outbox
from kyocho.messaging.gpgtesting import coordinator_data_dir, open_pgp_mime, peer, plain_text
from kyocho.messaging.models import OutboundEmail
from kyocho.messaging.testing import SmtpServer
from kyocho.vendors import actions as vendors
from kyocho.vendors import key_actions

pytestmark = pytest.mark.django_db
K = ThreadKind
SECRET = "The fix ships in 2.4.2 on 1 May"


@pytest.fixture(scope="session")
def server_data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield from coordinator_data_dir(tmp_path_factory)


@pytest.fixture(scope="session")
def psirt(server_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    yield from peer(tmp_path_factory, server_data, "convo-psirt", "psirt@vendor-a.example")


@pytest.fixture(scope="session")
def finder(server_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    yield from peer(tmp_path_factory, server_data, "convo-finder", "finder@example.net")


@pytest.fixture(autouse=True)
def _server(settings: Any, server_data: Path) -> None:
    settings.DATA_DIR = server_data
    settings.KYOCHO = {**settings.KYOCHO, "CONVERSATION_NOTICE_WINDOW_MINUTES": 15}


def register(organisation: Organisation, contacts: list[tuple[str, str]], *, key: str = "", actor: Any = None) -> None:
    """List a developer in the registry with ``contacts`` (name, address); ``key`` for the first one."""
    listing = vendors.clean_developer(
        {
            "name": organisation.name,
            "registration_type": "general",
            "contacts": [
                {"name": name, "email": address, "responsible": index == 0, "language": "en"}
                for index, (name, address) in enumerate(contacts)
            ],
        }
    )
    registration = vendors.import_developer(listing, actor=None, organisation=organisation)
    if key:
        key_actions.add_public_key(registration.pk, armored=key, actor=actor)


@pytest.fixture
def case(coordinator: User, vendor_org: Organisation, other_vendor_org: Organisation, psirt: tuple[Path, str]) -> Case:
    """Vendor A: a PSIRT with a key and a second contact without; vendor B: one contact, no key."""
    register(vendor_org, [("PSIRT", "psirt@vendor-a.example"), ("Okawa", "okawa@vendor-a.example")], key=psirt[1],
             actor=coordinator)  # fmt: skip
    register(other_vendor_org, [("B PSIRT", "psirt@vendor-b.example")])
    return coordinating_case(coordinator, vendor_org, other_vendor_org, title="Stored XSS in Example Router")


def conversation_mail(**filters: Any) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(purpose__in=[PURPOSE, STAFF_PURPOSE], **filters).order_by("pk"))


def addresses(rows: list[OutboundEmail]) -> list[str]:
    return sorted(row.to for row in rows)


def thread_of(case: Case, kind: str, actor: Any, **arguments: Any) -> Thread:
    return conversations.open_thread(case.pk, kind=kind, actor=actor, **arguments)


# --- developers: the message encrypted to each key, or a notice


def test_each_developer_contact_gets_the_message_encrypted_or_a_notice(
    case: Case,
    coordinator: User,
    lead: User,
    vendor_org: Organisation,
    psirt: tuple[Path, str],
    smtp_server: SmtpServer,
) -> None:
    thread = thread_of(case, K.DEVELOPER, coordinator, organisation_id=vendor_org.pk)
    conversations.post_message(
        thread.pk, body=SECRET, actor=coordinator, attachments=[Upload("notes.txt", b"build 2.4.2\n")]
    )
    rows = conversation_mail()
    # The author owns the case: no coordinator is told; the lead is no owner.
    assert addresses(rows) == ["okawa@vendor-a.example", "psirt@vendor-a.example"]
    by_address = {row.to: row for row in rows}
    encrypted, notice = by_address["psirt@vendor-a.example"], by_address["okawa@vendor-a.example"]
    assert encrypted.key_fingerprint and SECRET in encrypted.body and "notes.txt" in encrypted.body
    assert f"/portal/cases/{case.reference}/threads/{thread.pk}/" in encrypted.body
    assert not notice.key_fingerprint and SECRET not in notice.body and SECRET not in notice.subject
    assert encrypted.headers["Reply-To"] == notice.headers["Reply-To"]  # replies thread into this conversation

    assert outbox.deliver_batch([row.pk for row in rows]) == {"sent": 2}
    received = {mail.recipients[0]: mail for mail in smtp_server.received}
    sealed = received["psirt@vendor-a.example"].message
    assert sealed.get_content_type() == "multipart/encrypted" and SECRET not in sealed.as_string()
    good, inner = open_pgp_mime(psirt[0], sealed)
    assert good and inner is not None and SECRET in plain_text(inner)
    assert SECRET not in received["okawa@vendor-a.example"].message.as_string()


def test_the_other_developer_hears_nothing_of_a_private_thread(
    case: Case, coordinator: User, vendor_org: Organisation
) -> None:
    thread = thread_of(case, K.DEVELOPER, coordinator, organisation_id=vendor_org.pk)
    conversations.post_message(thread.pk, body=SECRET, actor=coordinator)
    assert not conversation_mail(to="psirt@vendor-b.example")


def test_the_authors_party_is_not_told_the_owner_is(
    case: Case, coordinator: User, lead: User, vendor_org: Organisation, vendor_member: User
) -> None:
    cases.assign_case_owner(case.pk, owner_id=lead.pk, actor=coordinator)
    thread = thread_of(case, K.DEVELOPER, coordinator, organisation_id=vendor_org.pk)
    conversations.post_message(thread.pk, body=SECRET, actor=vendor_member)
    (notice,) = conversation_mail()
    assert (notice.to, notice.purpose, notice.key_fingerprint) == ("lead@example.org", STAFF_PURPOSE, "")
    assert SECRET not in notice.body and case.title not in notice.body + notice.subject
    assert f"/staff/cases/{case.reference}/threads/{thread.pk}/" in notice.body


def test_without_an_owner_every_coordinator_but_the_author_is_told(
    coordinator: User, lead: User, intake_staff: User, vendor_org: Organisation, vendor_member: User
) -> None:
    report = intake.accept_report(submit_test_report().pk, case_title="Unowned", actor=intake_staff)
    case = report.case
    assert case is not None and case.owner is None
    participation = cases.add_participant(case.pk, organisation_id=vendor_org.pk, actor=coordinator)
    cases.notify_participant(participation.pk, actor=coordinator)
    thread = thread_of(case, K.DEVELOPER, coordinator, organisation_id=vendor_org.pk)
    conversations.post_message(thread.pk, body="Received.", actor=vendor_member)
    assert addresses(conversation_mail(purpose=STAFF_PURPOSE)) == ["coordinator@example.org", "lead@example.org"]
    conversations.post_message(thread.pk, body="Thanks.", actor=lead)
    assert addresses(conversation_mail(purpose=STAFF_PURPOSE)) == ["coordinator@example.org", "lead@example.org"]


def test_an_owner_who_no_longer_coordinates_is_replaced_by_every_coordinator(
    case: Case, coordinator: User, lead: User, vendor_org: Organisation, vendor_member: User
) -> None:
    cases.assign_case_owner(case.pk, owner_id=lead.pk, actor=coordinator)
    User.objects.filter(pk=lead.pk).update(is_active=False)
    thread = thread_of(case, K.DEVELOPER, coordinator, organisation_id=vendor_org.pk)
    conversations.post_message(thread.pk, body="Received.", actor=vendor_member)
    assert addresses(conversation_mail(purpose=STAFF_PURPOSE)) == ["coordinator@example.org"]


def test_a_developer_not_yet_notified_is_never_told(case: Case, coordinator: User) -> None:
    late = make_organisation("Late Vendor", "product_developer")
    register(late, [("Late", "psirt@late.example")])
    cases.add_participant(case.pk, organisation_id=late.pk, actor=coordinator)
    group = thread_of(case, K.ALL_PARTICIPANTS, coordinator)
    conversations.post_message(group.pk, body="Hello all", actor=coordinator)
    assert "psirt@late.example" not in addresses(conversation_mail())
    assert {"psirt@vendor-a.example", "psirt@vendor-b.example"} <= set(addresses(conversation_mail()))


def test_a_product_thread_tells_only_its_developers(
    case: Case, coordinator: User, other_vendor_org: Organisation
) -> None:
    thread = thread_of(case, K.PRODUCT, coordinator, organisation_ids=[other_vendor_org.pk], title="Router")
    conversations.post_message(thread.pk, body="Router fix?", actor=coordinator)
    assert addresses(conversation_mail(purpose=PURPOSE)) == ["psirt@vendor-b.example"]


# --- anonymity in group threads, by mail as on the page


def test_other_developers_stay_anonymous_in_mail_until_the_list_is_opened(
    case: Case, coordinator: User, vendor_org: Organisation, other_vendor_org: Organisation, other_vendor_member: User
) -> None:
    group = thread_of(case, K.ALL_PARTICIPANTS, coordinator)
    conversations.post_message(group.pk, body="We are affected too.", actor=other_vendor_member)
    to_a = conversation_mail(to="psirt@vendor-a.example")[-1]
    assert "another developer" in to_a.body and "We are affected too." in to_a.body
    assert other_vendor_org.name not in to_a.body and str(other_vendor_member) not in to_a.body
    assert other_vendor_member.email not in to_a.body

    conversations.set_participants_visible(group.pk, visible=True, actor=coordinator)
    conversations.post_message(group.pk, body="Patch is out.", actor=other_vendor_member)
    assert other_vendor_org.name in conversation_mail(to="psirt@vendor-a.example")[-1].body


def test_partners_get_a_content_free_notice(
    case: Case, coordinator: User, partner_org: Organisation, partner: User
) -> None:
    cases.share_case_with_partner(case.pk, organisation_id=partner_org.pk, actor=coordinator)
    thread = thread_of(case, K.PARTNER, coordinator, organisation_id=partner_org.pk)
    conversations.post_message(thread.pk, body=SECRET, actor=coordinator)
    (notice,) = conversation_mail(to=partner.email)
    assert SECRET not in notice.body and not notice.key_fingerprint
    conversations.post_message(thread.pk, body="Our VU# is 1234", actor=partner)
    assert len(conversation_mail(to=partner.email)) == 1  # not told of its own message


# --- the reporter


@pytest.fixture
def accepted(coordinator: User, case: Case, reporter: User, finder: tuple[Path, str]) -> Any:
    report = submit_test_report(reporter=reporter, reporter_pgp_key=finder[1])
    return intake.accept_report(report.pk, case_id=case.pk, actor=coordinator)


def test_the_reporter_gets_the_message_encrypted_to_the_key_they_gave(
    case: Case, coordinator: User, accepted: Any
) -> None:
    thread = thread_of(case, K.REPORTER, coordinator, report_id=accepted.pk)
    conversations.post_message(thread.pk, body=SECRET, actor=coordinator)
    (to_reporter,) = conversation_mail(to="finder@example.net")
    assert to_reporter.key_fingerprint and SECRET in to_reporter.body


def test_a_reporter_without_a_key_gets_a_notice_and_writes_by_tracking_link(case: Case, coordinator: User) -> None:
    report, token = intake.submit_report(
        kind="software",
        fields={"reporter_email": "anon@example.net", "product_name": "Router", "description": "XSS",
                "credit": "anonymous", "found_lawfully": True},
        actor=None,
        language="en",
    )  # fmt: skip
    assert token
    intake.accept_report(report.pk, case_id=case.pk, actor=coordinator)
    message = conversations.post_reporter_message(report.pk, body="Any news?", actor=None, token=token)
    assert (message.author, message.author_organisation, message.thread.kind) == (None, None, K.REPORTER)
    event = AuditEvent.objects.filter(name="case:message:posted").latest("seq")
    assert event.actor_label == "system" and event.data["via"] == "tracking_token"
    assert not conversation_mail(to="anon@example.net")  # the reporter wrote it
    assert addresses(conversation_mail(purpose=STAFF_PURPOSE)) == ["coordinator@example.org"]

    conversations.post_message(message.thread_id, body=SECRET, actor=coordinator)
    (notice,) = conversation_mail(to="anon@example.net")
    assert SECRET not in notice.body and not notice.key_fingerprint


def test_only_the_reporter_writes_as_the_reporter(
    case: Case, coordinator: User, accepted: Any, vendor_member: User
) -> None:
    other = submit_test_report(reporter=None)
    with pytest.raises(NotFound):
        conversations.post_reporter_message(accepted.pk, body="Hi", actor=vendor_member)
    with pytest.raises(NotFound):
        conversations.post_reporter_message(accepted.pk, body="Hi", actor=None, token="wrong")
    with pytest.raises(PermissionDenied):  # staff can see the report, but do not write as its reporter
        conversations.post_reporter_message(accepted.pk, body="Hi", actor=coordinator)
    with pytest.raises(InvalidInput):
        conversations.post_reporter_message(accepted.pk, body=" ", actor=accepted.reporter)
    assert not Message.objects.exists()
    with pytest.raises((NotFound, Conflict)):
        conversations.post_reporter_message(other.pk, body="Hi", actor=None, token="x" * 10)


def test_a_report_not_in_a_case_has_no_case_conversation(reporter: User) -> None:
    report = submit_test_report(reporter=reporter)
    with pytest.raises(Conflict):
        conversations.post_reporter_message(report.pk, body="Hi", actor=reporter)


def test_the_reporter_by_account_tells_the_coordinators_only(
    case: Case, coordinator: User, accepted: Any, reporter: User
) -> None:
    message = conversations.post_reporter_message(accepted.pk, body="New finding", actor=reporter)
    assert message.author == reporter
    assert not conversation_mail(purpose=PURPOSE)
    assert addresses(conversation_mail(purpose=STAFF_PURPOSE)) == ["coordinator@example.org"]


# --- mail replies, and coalescing of notices


def test_a_mail_reply_tells_the_others_like_any_message(
    case: Case, coordinator: User, vendor_org: Organisation
) -> None:
    thread = thread_of(case, K.DEVELOPER, coordinator, organisation_id=vendor_org.pk)
    conversations.post_message_from_mail(
        thread.pk, body="Confirmed.", organisation_id=vendor_org.pk, author=None, signature="verified"
    )
    assert addresses(conversation_mail()) == ["coordinator@example.org"]


def test_notices_are_coalesced_per_party_and_thread_messages_never(
    case: Case, coordinator: User, settings: Any
) -> None:
    group = thread_of(case, K.ALL_PARTICIPANTS, coordinator)
    conversations.post_message(group.pk, body="One", actor=coordinator)
    conversations.post_message(group.pk, body="Two", actor=coordinator)
    assert len(conversation_mail(to="psirt@vendor-b.example")) == 1  # notices only: one is enough
    assert [row.body.count("Two") for row in conversation_mail(to="psirt@vendor-a.example")] == [0, 1]
    with time_machine.travel(now() + dt.timedelta(minutes=16)):
        conversations.post_message(group.pk, body="Three", actor=coordinator)
    assert len(conversation_mail(to="psirt@vendor-b.example")) == 2

    settings.KYOCHO = {**settings.KYOCHO, "CONVERSATION_NOTICE_WINDOW_MINUTES": 0}
    conversations.post_message(group.pk, body="Four", actor=coordinator)
    assert len(conversation_mail(to="psirt@vendor-b.example")) == 3


def test_coordinator_notices_are_coalesced_too(
    case: Case, coordinator: User, vendor_org: Organisation, vendor_member: User
) -> None:
    thread = thread_of(case, K.DEVELOPER, coordinator, organisation_id=vendor_org.pk)
    for body in ("One", "Two"):
        conversations.post_message(thread.pk, body=body, actor=vendor_member)
    assert len(conversation_mail(to="coordinator@example.org")) == 1


def test_a_second_developer_thread_has_its_own_window(
    case: Case, coordinator: User, other_vendor_org: Organisation
) -> None:
    group = thread_of(case, K.ALL_PARTICIPANTS, coordinator)
    private = thread_of(case, K.DEVELOPER, coordinator, organisation_id=other_vendor_org.pk)
    conversations.post_message(group.pk, body="To all", actor=coordinator)
    conversations.post_message(private.pk, body="To you", actor=coordinator)
    assert len(conversation_mail(to="psirt@vendor-b.example")) == 2


def test_nothing_is_mailed_when_the_message_is_refused(case: Case, coordinator: User, vendor_org: Organisation) -> None:
    thread = thread_of(case, K.DEVELOPER, coordinator, organisation_id=vendor_org.pk)
    other = make_member("x@vendor-c.example", make_organisation("C", "product_developer"), "vendor_member")
    with pytest.raises(NotFound):
        conversations.post_message(thread.pk, body="Let me in", actor=other)
    with pytest.raises(InvalidInput):
        conversations.post_message(thread.pk, body="exe", actor=coordinator, attachments=[Upload("a.exe", b"MZ\x90")])
    assert not conversation_mail()


# --- scale


def group_case_of(developers: int, coordinator: User, prefix: str) -> Thread:
    """A case of ``developers`` registered developers, one contact each, and its all-participants thread."""
    organisations = []
    for n in range(developers):
        organisation = make_organisation(f"{prefix} Developer {n}", "product_developer")
        register(organisation, [("PSIRT", f"{prefix.lower()}-psirt{n}@vendor.example")])
        organisations.append(organisation)
    case = coordinating_case(coordinator, *organisations, title=f"{prefix} case")
    return thread_of(case, K.ALL_PARTICIPANTS, coordinator)


def test_a_message_to_many_developers_costs_the_same_queries_as_to_a_few(
    coordinator: User, django_assert_max_num_queries: Any
) -> None:
    small, large = group_case_of(2, coordinator, "Small"), group_case_of(12, coordinator, "Large")
    with django_assert_max_num_queries(100) as few:
        conversations.post_message(small.pk, body="Status update.", actor=coordinator)
    with django_assert_max_num_queries(len(few.captured_queries)):
        conversations.post_message(large.pk, body="Status update.", actor=coordinator)
    to_large = OutboundEmail.objects.filter(purpose=PURPOSE, to__startswith="large-psirt")
    assert to_large.count() == 12  # one message to each developer's contact
