"""The reporter's case conversation on the tracking page: a tracking-link holder (no account) reads and
writes in the reporter thread of the case their report was accepted into, with attachments; a reporter
with an account does the same on the portal's report page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kyocho.accounts.models import Organisation, User
from kyocho.cases import conversations
from kyocho.cases.models import Case, Message, ThreadKind
from kyocho.conftest import coordinating_case, submit_test_report
from kyocho.core.attachments import Upload
from kyocho.intake import actions as intake
from kyocho.intake.models import Report

pytestmark = pytest.mark.django_db
ClientFor = Callable[..., Client]
FIELDS = {
    "reporter_email": "anon@example.net",
    "product_name": "Example Router",
    "description": "Stored XSS",
    "credit": "anonymous",
    "found_lawfully": True,
}


@pytest.fixture(autouse=True)
def _attachments_dir(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path


@pytest.fixture
def case(coordinator: User, vendor_org: Organisation) -> Case:
    return coordinating_case(coordinator, vendor_org, title="Stored XSS in Example Router")


@pytest.fixture
def tracked() -> tuple[Report, str]:
    report, token = intake.submit_report(kind="software", fields=FIELDS, actor=None, language="en")
    assert token
    return report, token


def test_no_case_conversation_before_the_report_is_in_a_case(client_for: ClientFor, tracked: Any) -> None:
    _report, token = tracked
    html = client_for(None).get(f"/track/{token}/").content.decode()
    assert "Conversation about the case" not in html
    response = client_for(None).post(f"/track/{token}/", {"action": "case_message", "case-body": "Hi"}, follow=True)
    assert "not part of a case yet" in response.content.decode()
    assert not Message.objects.exists()


def test_a_tracking_link_holder_talks_with_the_coordinators(
    client_for: ClientFor, coordinator: User, case: Case, tracked: Any
) -> None:
    report, token = tracked
    intake.accept_report(report.pk, case_id=case.pk, actor=coordinator)
    client = client_for(None)
    page = client.get(f"/track/{token}/").content.decode()
    assert "Conversation about the case" in page and "No messages yet." in page
    proof = SimpleUploadedFile("poc.txt", b"<script>alert(1)</script>\n")
    response = client.post(
        f"/track/{token}/", {"action": "case_message", "case-body": "A second way in", "case-attachments": [proof]}
    )
    assert response.status_code == 302
    message = Message.objects.get()
    assert message.thread.kind == ThreadKind.REPORTER and message.thread.case == case and message.author is None
    conversations.post_message(message.thread_id, body="Thank you, **confirmed**", actor=coordinator)
    page = client.get(f"/track/{token}/").content.decode()
    assert "Your message has been sent to the coordinators of the case." in page
    assert page.index("<strong>confirmed</strong>") < page.index("A second way in")  # newest first
    assert str(coordinator) in page and "You" in page
    attachment = message.attachments.get()
    download = client.get(f"/track/{token}/case-attachments/{attachment.pk}/")
    assert download.status_code == 200 and download.content == b"<script>alert(1)</script>\n"
    assert download["Content-Type"] == "application/octet-stream" and download["X-Content-Type-Options"] == "nosniff"


def test_a_tracking_link_opens_only_its_own_case_conversation(
    client_for: ClientFor, coordinator: User, case: Case, tracked: Any, vendor_org: Organisation
) -> None:
    report, token = tracked
    intake.accept_report(report.pk, case_id=case.pk, actor=coordinator)
    developer = conversations.open_thread(case.pk, kind="developer", organisation_id=vendor_org.pk, actor=coordinator)
    secret = conversations.post_message(
        developer.pk, body="For the developer only", actor=coordinator, attachments=[Upload("d.txt", b"dev\n")]
    )
    client = client_for(None)
    assert "For the developer only" not in client.get(f"/track/{token}/").content.decode()
    attachment = secret.attachments.get()
    assert client.get(f"/track/{token}/case-attachments/{attachment.pk}/").status_code == 404
    assert client.get(f"/track/wrong-token/case-attachments/{attachment.pk}/").status_code == 404
    assert client.post("/track/wrong-token/", {"action": "case_message", "case-body": "Hi"}).status_code == 404


def test_a_refused_attachment_is_said_and_nothing_is_posted(
    client_for: ClientFor, coordinator: User, case: Case, tracked: Any
) -> None:
    report, token = tracked
    intake.accept_report(report.pk, case_id=case.pk, actor=coordinator)
    tool = SimpleUploadedFile("tool.exe", b"MZ\x90\x00")
    response = client_for(None).post(
        f"/track/{token}/", {"action": "case_message", "case-body": "Tool", "case-attachments": [tool]}, follow=True
    )
    assert "is not a file type we accept" in response.content.decode()
    assert not Message.objects.exists()


def test_the_older_page_of_the_case_conversation(
    client_for: ClientFor, coordinator: User, case: Case, tracked: Any
) -> None:
    report, token = tracked
    intake.accept_report(report.pk, case_id=case.pk, actor=coordinator)
    first = conversations.post_reporter_message(report.pk, body="The very first", actor=None, token=token)
    for index in range(30):
        conversations.post_message(first.thread_id, body=f"Reply {index}", actor=coordinator)
    client = client_for(None)
    page = client.get(f"/track/{token}/").content.decode()
    assert "The very first" not in page and "Older messages" in page
    second = Message.objects.filter(thread=first.thread).order_by("pk")[1]
    assert "The very first" in client.get(f"/track/{token}/", {"before": second.pk}).content.decode()


def test_a_reporter_by_account_uses_the_same_page_in_the_portal(
    client_for: ClientFor, coordinator: User, case: Case, reporter: User, other_vendor_member: User
) -> None:
    report = submit_test_report(reporter=reporter)
    intake.accept_report(report.pk, case_id=case.pk, actor=coordinator)
    client = client_for(reporter)
    here = f"/portal/reports/{report.reference}/"
    note = SimpleUploadedFile("note.txt", b"more details\n")
    response = client.post(here, {"action": "case_message", "case-body": "More details", "case-attachments": [note]})
    assert response.status_code == 302
    message = Message.objects.get()
    assert message.author == reporter
    attachment = message.attachments.get()
    assert f"{here}case-attachments/{attachment.pk}/" in client.get(here).content.decode()
    assert client.get(f"{here}case-attachments/{attachment.pk}/").content == b"more details\n"
    assert client_for(other_vendor_member).get(f"{here}case-attachments/{attachment.pk}/").status_code == 404
