"""Coordinators' conversation pages: the case page's panel (small and with a constant number of queries
however many developers), opening threads, a thread's page (newest first, older pages, attachments,
signature badges, read on view), product threads and the participant list of group threads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client, RequestFactory

from kyocho.accounts.models import Organisation, User
from kyocho.cases import conversation_queries as convo
from kyocho.cases import conversations
from kyocho.cases.models import Case, Message, Thread, ThreadKind
from kyocho.conftest import coordinating_case, make_organisation, submit_test_report
from kyocho.core.attachments import Upload
from kyocho.intake import actions as intake
from kyocho.staff.conversation_panel import conversations_panel

pytestmark = pytest.mark.django_db
ClientFor = Callable[..., Client]
K = ThreadKind


@pytest.fixture(autouse=True)
def _attachments_dir(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path


@pytest.fixture
def case(coordinator: User, vendor_org: Organisation, other_vendor_org: Organisation) -> Case:
    return coordinating_case(coordinator, vendor_org, other_vendor_org, title="Stored XSS in Example Router")


def thread_url(case: Case, thread: Thread) -> str:
    return f"/staff/cases/{case.reference}/threads/{thread.pk}/"


def developer_thread(case: Case, organisation: Organisation, coordinator: User) -> Thread:
    return conversations.open_thread(case.pk, kind=K.DEVELOPER, organisation_id=organisation.pk, actor=coordinator)


# --- the panel on the case page


def test_the_panel_lists_shared_threads_and_developers_with_unread_counts(
    client_for: ClientFor, coordinator: User, lead: User, case: Case, vendor_org: Organisation, vendor_member: User
) -> None:
    group = conversations.open_thread(case.pk, kind=K.ALL_PARTICIPANTS, actor=coordinator)
    private = developer_thread(case, vendor_org, coordinator)
    conversations.post_message(private.pk, body="Received", actor=vendor_member)
    conversations.post_message(group.pk, body="Hello all", actor=lead)
    html = client_for(coordinator).get(f"/staff/cases/{case.reference}/").content.decode()
    panel = html[html.index('id="conversations"') :]
    assert thread_url(case, group) in panel and "All participants" in panel
    assert thread_url(case, private) in panel and "1 unread" in panel
    assert "Open the all-participants thread" not in panel  # it exists already
    assert "Example Vendor B" in panel and "Start a conversation" in panel  # no private thread yet
    # The developer with unread messages comes first.
    assert panel.index("Example Vendor A") < panel.index("Example Vendor B")


def test_the_reporter_thread_is_offered_once_a_report_is_in_the_case(
    client_for: ClientFor, coordinator: User, case: Case
) -> None:
    client = client_for(coordinator)
    assert "Write to the reporter" not in client.get(f"/staff/cases/{case.reference}/").content.decode()
    intake.accept_report(submit_test_report().pk, case_id=case.pk, actor=coordinator)
    assert "Write to the reporter" in client.get(f"/staff/cases/{case.reference}/").content.decode()


@pytest.mark.parametrize("developers", [3, 30])
def test_the_panel_reads_a_constant_number_of_queries(
    coordinator: User, django_assert_num_queries: Any, developers: int
) -> None:
    organisations = [make_organisation(f"Vendor {index:02}", "product_developer") for index in range(developers)]
    case = coordinating_case(coordinator, *organisations)
    for organisation in organisations:
        thread = developer_thread(case, organisation, coordinator)
        conversations.post_message(thread.pk, body="Hi", actor=coordinator)
    conversations.open_thread(case.pk, kind=K.ALL_PARTICIPANTS, actor=coordinator)
    request = RequestFactory().get("/")
    request.user = User.objects.get(pk=coordinator.pk)
    with django_assert_num_queries(8):
        context = conversations_panel(request, case)["conversations"]
        rows = list(context["developers"].object_list)
    assert len(rows) == min(developers, 20)
    assert all(row.thread_id for row in rows)


def test_developers_are_searched_and_paged_in_place(client_for: ClientFor, coordinator: User, case: Case) -> None:
    client = client_for(coordinator)
    partial = client.get(
        f"/staff/cases/{case.reference}/threads/developers/", {"threads_q": "vendor b"}, HTTP_HX_REQUEST="true"
    )
    html = partial.content.decode()
    assert partial.status_code == 200 and html.lstrip().startswith('<div id="conversation-developers">')
    assert "Example Vendor B" in html and "Example Vendor A" not in html
    plain = client.get(f"/staff/cases/{case.reference}/threads/developers/", {"threads_q": "vendor b"})
    assert plain.status_code == 302 and "threads_q=vendor+b" in plain["Location"]
    assert "Example Vendor A" not in client.get(plain["Location"]).content.decode().split('id="conversations"')[1]


def test_intake_staff_take_no_part(client_for: ClientFor, coordinator: User, intake_staff: User, case: Case) -> None:
    thread = conversations.open_thread(case.pk, kind=K.ALL_PARTICIPANTS, actor=coordinator)
    client = client_for(intake_staff)
    assert "Only coordinators take part" in client.get(f"/staff/cases/{case.reference}/").content.decode()
    assert client.get(thread_url(case, thread)).status_code == 404


# --- opening threads


def test_opening_a_developer_thread_goes_to_its_page(
    client_for: ClientFor, coordinator: User, case: Case, vendor_org: Organisation
) -> None:
    client = client_for(coordinator)
    response = client.post(
        f"/staff/cases/{case.reference}/threads/", {"kind": "developer", "organisation_id": vendor_org.pk}
    )
    thread = Thread.objects.get(kind=K.DEVELOPER, organisation=vendor_org)
    assert response.status_code == 302 and response["Location"] == thread_url(case, thread)
    again = client.post(
        f"/staff/cases/{case.reference}/threads/", {"kind": "developer", "organisation_id": vendor_org.pk}
    )
    assert again["Location"] == thread_url(case, thread)


def test_a_refused_opening_comes_back_as_a_message(
    client_for: ClientFor, coordinator: User, case: Case, partner_org: Organisation
) -> None:
    client = client_for(coordinator)
    response = client.post(
        f"/staff/cases/{case.reference}/threads/", {"kind": "partner", "organisation_id": partner_org.pk}, follow=True
    )
    assert "This organisation does not take part in the case." in response.content.decode()
    assert not Thread.objects.exists()


def test_a_product_thread_with_its_developers(
    client_for: ClientFor, coordinator: User, case: Case, vendor_org: Organisation
) -> None:
    client = client_for(coordinator)
    url = f"/staff/cases/{case.reference}/threads/new-product/"
    form = client.get(url).content.decode()
    assert "Example Vendor A" in form and "Example Vendor B" in form
    refused = client.post(url, {"title": "Router"})
    assert refused.status_code == 400 and not Thread.objects.exists()
    response = client.post(url, {"title": "Router", "organisation_ids": [vendor_org.pk]})
    thread = Thread.objects.get(kind=K.PRODUCT)
    assert response["Location"] == thread_url(case, thread)
    assert list(thread.organisations.all()) == [vendor_org]


# --- a thread's page


def test_messages_newest_first_with_an_older_page(
    client_for: ClientFor, coordinator: User, case: Case, vendor_org: Organisation
) -> None:
    thread = developer_thread(case, vendor_org, coordinator)
    posted = [
        conversations.post_message(thread.pk, body=f"Message number {i:02}", actor=coordinator) for i in range(32)
    ]
    client = client_for(coordinator)
    html = client.get(thread_url(case, thread)).content.decode()
    assert html.index("Message number 31") < html.index("Message number 02")
    assert "Message number 01" not in html
    assert f"?before={posted[2].pk}" in html
    older = client.get(thread_url(case, thread), {"before": posted[2].pk}).content.decode()
    assert "Message number 01" in older and "Message number 00" in older and "Message number 02" not in older
    assert "Back to the newest messages" in older


def test_posting_with_an_attachment_and_downloading_it(
    client_for: ClientFor, coordinator: User, case: Case, vendor_org: Organisation, vendor_member: User
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    thread = developer_thread(case, vendor_org, coordinator)
    client = client_for(coordinator)
    crash = SimpleUploadedFile("crash <1>.txt", b"segfault\n", content_type="text/html")
    response = client.post(thread_url(case, thread), {"body": "Logs **attached**", "attachments": [crash]})
    assert response.status_code == 302
    message = Message.objects.get()
    assert (message.author, message.source) == (coordinator, "web")
    page = client.get(response["Location"]).content.decode()
    assert "Your message was posted." in page and "<strong>attached</strong>" in page
    attachment = message.attachments.get()
    url = f"{thread_url(case, thread)}attachments/{attachment.pk}/"
    assert url in page
    download = client.get(url)
    assert download.status_code == 200 and download.content == b"segfault\n"
    assert download["Content-Type"] == "application/octet-stream"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment;")
    # Under another case's reference the same thread and file do not exist.
    other = coordinating_case(coordinator)
    assert client.get(f"/staff/cases/{other.reference}/threads/{thread.pk}/").status_code == 404
    assert (
        client.get(f"/staff/cases/{other.reference}/threads/{thread.pk}/attachments/{attachment.pk}/").status_code
        == 404
    )


def test_a_refused_message_keeps_the_text_and_says_why(
    client_for: ClientFor, coordinator: User, case: Case, vendor_org: Organisation
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    thread = developer_thread(case, vendor_org, coordinator)
    tool = SimpleUploadedFile("tool.exe", b"MZ\x90\x00\x03")
    response = client_for(coordinator).post(thread_url(case, thread), {"body": "Here it is", "attachments": [tool]})
    html = response.content.decode()
    assert response.status_code == 400
    assert "is not a file type we accept" in html and "Here it is" in html
    assert not Message.objects.exists()


def test_markdown_is_sanitised(client_for: ClientFor, coordinator: User, case: Case, vendor_org: Organisation) -> None:
    thread = developer_thread(case, vendor_org, coordinator)
    conversations.post_message(thread.pk, body="<script>alert(1)</script> [x](javascript:alert(1))", actor=coordinator)
    html = client_for(coordinator).get(thread_url(case, thread)).content.decode()
    assert "<script>alert(1)" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;" in html


def test_mail_borne_messages_carry_their_signature_badge(
    client_for: ClientFor, coordinator: User, case: Case, vendor_org: Organisation
) -> None:
    thread = developer_thread(case, vendor_org, coordinator)
    for signature in ("verified", "unknown_key", "bad", "unsigned"):
        conversations.post_message_from_mail(
            thread.pk, body=f"by mail {signature}", organisation_id=vendor_org.pk, author=None, signature=signature
        )
    html = client_for(coordinator).get(thread_url(case, thread)).content.decode()
    for badge in ("Signature verified", "Signed with an unknown key", "Bad signature", "Not signed"):
        assert badge in html
    assert "Example Vendor A" in html  # a contact without an account writes as its developer


def test_viewing_marks_the_thread_read(
    client_for: ClientFor, coordinator: User, lead: User, case: Case, vendor_org: Organisation, vendor_member: User
) -> None:
    thread = developer_thread(case, vendor_org, coordinator)
    conversations.post_message(thread.pk, body="Received", actor=vendor_member)
    assert convo.unread_count(lead, thread) == 1
    client_for(lead).get(thread_url(case, thread))
    assert convo.unread_count(lead, thread) == 0
    assert convo.unread_count(coordinator, thread) == 1  # read marks are per person


def test_the_participant_list_of_a_group_thread(
    client_for: ClientFor, coordinator: User, case: Case, vendor_member: User
) -> None:
    thread = conversations.open_thread(case.pk, kind=K.ALL_PARTICIPANTS, actor=coordinator)
    client = client_for(coordinator)
    html = client.get(thread_url(case, thread)).content.decode()
    assert "Example Vendor A, Example Vendor B" in html and "Hidden from developers" in html
    response = client.post(f"{thread_url(case, thread)}participants/", {"visible": "yes"}, follow=True)
    assert "now see each other&#x27;s names" in response.content.decode()
    assert Thread.objects.get(pk=thread.pk).participants_visible
    client.post(f"{thread_url(case, thread)}participants/", {"visible": "no"})
    assert not Thread.objects.get(pk=thread.pk).participants_visible
    private = conversations.open_thread(
        case.pk, kind=K.DEVELOPER, organisation_id=vendor_member.memberships.get().organisation_id, actor=coordinator
    )
    refused = client.post(f"{thread_url(case, private)}participants/", {"visible": "yes"}, follow=True)
    assert "Only group threads have a participant list." in refused.content.decode()


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_thread_page_in_both_languages(
    client_for: ClientFor, coordinator: User, case: Case, vendor_org: Organisation, language: str
) -> None:
    thread = developer_thread(case, vendor_org, coordinator)
    conversations.post_message(thread.pk, body="Hi", actor=coordinator, attachments=[Upload("a.txt", b"a\n")])
    response = client_for(coordinator, language).get(thread_url(case, thread))
    assert response.status_code == 200
    assert f'<html lang="{language}">' in response.content.decode()


def test_developers_never_reach_staff_pages(
    client_for: ClientFor, coordinator: User, case: Case, vendor_org: Organisation, vendor_member: User
) -> None:
    thread = developer_thread(case, vendor_org, coordinator)
    client = client_for(vendor_member)
    assert client.get(thread_url(case, thread)).status_code == 404
    assert client.post(f"/staff/cases/{case.reference}/threads/", {"kind": "all_participants"}).status_code == 404
    assert not Thread.objects.filter(kind=K.ALL_PARTICIPANTS).exists()
