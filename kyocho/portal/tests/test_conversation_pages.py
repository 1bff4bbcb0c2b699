"""Participants' conversation pages: a developer reaches its own threads and nobody else's (404, pages and
files alike); other developers stay "another developer" until the list is opened; attachments are
checked; partners and reporters by account reach theirs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kyocho.accounts.models import Organisation, User
from kyocho.cases import actions as cases
from kyocho.cases import conversation_queries as convo
from kyocho.cases import conversations
from kyocho.cases.models import Case, Message, Thread, ThreadKind
from kyocho.conftest import coordinating_case, submit_test_report
from kyocho.core.attachments import Upload
from kyocho.intake import actions as intake

pytestmark = pytest.mark.django_db
ClientFor = Callable[..., Client]
K = ThreadKind


@pytest.fixture(autouse=True)
def _attachments_dir(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path


@pytest.fixture
def case(coordinator: User, vendor_org: Organisation, other_vendor_org: Organisation) -> Case:
    return coordinating_case(coordinator, vendor_org, other_vendor_org, title="Stored XSS in Example Router")


def url(case: Case, thread: Thread, suffix: str = "") -> str:
    return f"/portal/cases/{case.reference}/threads/{thread.pk}/{suffix}"


def private(case: Case, organisation: Organisation, coordinator: User) -> Thread:
    return conversations.open_thread(case.pk, kind=K.DEVELOPER, organisation_id=organisation.pk, actor=coordinator)


def test_a_developer_finds_its_threads_on_the_case_page_with_unread_counts(
    client_for: ClientFor, coordinator: User, case: Case, vendor_org: Organisation, other_vendor_org: Organisation,
    vendor_member: User,
) -> None:  # fmt: skip
    own = private(case, vendor_org, coordinator)
    other = private(case, other_vendor_org, coordinator)
    conversations.post_message(own.pk, body="Please confirm receipt", actor=coordinator)
    html = client_for(vendor_member).get(f"/portal/cases/{case.reference}/").content.decode()
    assert url(case, own) in html and "Coordinators and Example Vendor A" in html and "1 unread" in html
    assert url(case, other) not in html and "Example Vendor B" not in html


def test_a_developer_talks_with_the_coordinators(
    client_for: ClientFor, coordinator: User, case: Case, vendor_org: Organisation, vendor_member: User
) -> None:
    thread = private(case, vendor_org, coordinator)
    conversations.post_message(thread.pk, body="Please confirm receipt", actor=coordinator)
    client = client_for(vendor_member)
    page = client.get(url(case, thread)).content.decode()
    assert "Please confirm receipt" in page and str(coordinator) in page
    assert convo.unread_count(vendor_member, thread) == 0  # read on view
    fix = SimpleUploadedFile("fix.txt", b"patched in 2.4.2\n")
    response = client.post(url(case, thread), {"body": "Received; fix attached", "attachments": [fix]})
    assert response.status_code == 302
    message = Message.objects.latest("pk")
    assert (message.author, message.author_organisation) == (vendor_member, vendor_org)
    attachment = message.attachments.get()
    download = client.get(url(case, thread, f"attachments/{attachment.pk}/"))
    assert download.content == b"patched in 2.4.2\n" and download["X-Content-Type-Options"] == "nosniff"


def test_another_developer_reaches_nothing_of_the_thread(
    client_for: ClientFor, coordinator: User, case: Case, vendor_org: Organisation, other_vendor_member: User
) -> None:
    thread = private(case, vendor_org, coordinator)
    message = conversations.post_message(
        thread.pk, body="Secret", actor=coordinator, attachments=[Upload("notes.txt", b"secret\n")]
    )
    attachment = message.attachments.get()
    client = client_for(other_vendor_member)
    hidden = [url(case, thread), url(case, thread, f"attachments/{attachment.pk}/")]
    missing = [url(case, Thread(pk=thread.pk + 99)), url(case, thread, f"attachments/{attachment.pk + 99}/")]
    for address in hidden + missing:
        response = client.get(address)
        assert response.status_code == 404, address
        assert b"Secret" not in response.content
    assert client.post(url(case, thread), {"body": "Let me in"}).status_code == 404
    assert Message.objects.count() == 1
    # No enumeration: the page of a hidden thread is the page of one that does not exist.
    assert main_of(client.get(hidden[0])) == main_of(client.get(missing[0]))


def main_of(response: Any) -> str:
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def test_other_developers_are_anonymous_on_the_page_until_the_list_is_opened(
    client_for: ClientFor, coordinator: User, case: Case, other_vendor_member: User, vendor_member: User
) -> None:
    group = conversations.open_thread(case.pk, kind=K.ALL_PARTICIPANTS, actor=coordinator)
    conversations.post_message(group.pk, body="We are affected too.", actor=other_vendor_member)
    client = client_for(vendor_member)
    html = client.get(url(case, group)).content.decode()
    assert "another developer" in html and "We are affected too." in html
    assert "Example Vendor B" not in html
    assert other_vendor_member.email not in html
    assert "keep the list of developers in this conversation confidential" in html
    conversations.set_participants_visible(group.pk, visible=True, actor=coordinator)
    html = client.get(url(case, group)).content.decode()
    assert "Example Vendor B" in html and "another developer" not in html
    assert "Example Vendor A, Example Vendor B" in html  # the participant list


@pytest.mark.parametrize(
    ("files", "error"),
    [
        ([("tool.exe", b"MZ\x90\x00")], "is not a file type we accept"),
        ([("empty.txt", b"")], "is empty"),
        ([(f"f{index}.txt", b"x\n") for index in range(6)], "Attach at most 5 files."),
        ([("big.txt", b"x" * 2048)], "is too large"),
    ],
)
def test_attachments_are_checked(
    client_for: ClientFor, coordinator: User, case: Case, vendor_org: Organisation, vendor_member: User,
    settings: Any, files: list[tuple[str, bytes]], error: str,
) -> None:  # fmt: skip
    settings.KYOCHO = {**settings.KYOCHO, "ATTACHMENT_MAX_BYTES": 1024}
    thread = private(case, vendor_org, coordinator)
    uploads = [SimpleUploadedFile(name, content) for name, content in files]
    response = client_for(vendor_member).post(url(case, thread), {"body": "Files", "attachments": uploads})
    assert response.status_code == 400 and error in response.content.decode()
    assert not Message.objects.exists()


def test_a_partner_reaches_its_thread_and_the_group_thread(
    client_for: ClientFor, coordinator: User, case: Case, partner_org: Organisation, partner: User,
    other_vendor_member: User,
) -> None:  # fmt: skip
    cases.share_case_with_partner(case.pk, organisation_id=partner_org.pk, actor=coordinator)
    own = conversations.open_thread(case.pk, kind=K.PARTNER, organisation_id=partner_org.pk, actor=coordinator)
    group = conversations.open_thread(case.pk, kind=K.ALL_PARTICIPANTS, actor=coordinator)
    conversations.post_message(group.pk, body="Affected", actor=other_vendor_member)
    client = client_for(partner)
    assert client.post(url(case, own), {"body": "Our VU# is 123"}).status_code == 302
    assert "Example Vendor B" in client.get(url(case, group)).content.decode()  # partners see the developers


def test_a_reporter_by_account_reaches_the_reporter_thread(
    client_for: ClientFor, coordinator: User, case: Case, reporter: User, vendor_member: User
) -> None:
    report = submit_test_report(reporter=reporter)
    intake.accept_report(report.pk, case_id=case.pk, actor=coordinator)
    thread = conversations.open_thread(case.pk, kind=K.REPORTER, report_id=report.pk, actor=coordinator)
    conversations.post_message(thread.pk, body="Thanks for the report", actor=coordinator)
    client = client_for(reporter)
    assert "Coordinators and the reporter" in client.get(f"/portal/cases/{case.reference}/").content.decode()
    assert "Thanks for the report" in client.get(url(case, thread)).content.decode()
    assert client_for(vendor_member).get(url(case, thread)).status_code == 404


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_case_page_lists_conversations_in_both_languages(
    client_for: ClientFor, case: Case, vendor_member: User, language: str
) -> None:
    response = client_for(vendor_member, language).get(f"/portal/cases/{case.reference}/")
    assert response.status_code == 200 and 'id="conversations"' in response.content.decode()
