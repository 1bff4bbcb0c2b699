"""Conversations through the API: my threads with unread counts, pages of messages, posting with
attachments (multipart), marking read, downloads; 404 for every thread one does not belong to."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kyocho.accounts.models import Organisation, User
from kyocho.api.tests.helpers import browser_client, json_of, token_client
from kyocho.cases import conversation_queries as convo
from kyocho.cases import conversations
from kyocho.cases.models import Case, Message, Thread, ThreadKind
from kyocho.conftest import coordinating_case
from kyocho.core.attachments import Upload

pytestmark = pytest.mark.django_db
K = ThreadKind


@pytest.fixture(autouse=True)
def _attachments_dir(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path


@pytest.fixture
def case(coordinator: User, vendor_org: Organisation, other_vendor_org: Organisation) -> Case:
    return coordinating_case(coordinator, vendor_org, other_vendor_org)


@pytest.fixture
def own(case: Case, coordinator: User, vendor_org: Organisation) -> Thread:
    return conversations.open_thread(case.pk, kind=K.DEVELOPER, organisation_id=vendor_org.pk, actor=coordinator)


def test_my_threads_in_a_case_with_unread_counts(
    case: Case, coordinator: User, own: Thread, other_vendor_org: Organisation, vendor_member: User
) -> None:
    conversations.open_thread(case.pk, kind=K.DEVELOPER, organisation_id=other_vendor_org.pk, actor=coordinator)
    group = conversations.open_thread(case.pk, kind=K.ALL_PARTICIPANTS, actor=coordinator)
    conversations.post_message(own.pk, body="One", actor=coordinator)
    conversations.post_message(own.pk, body="Two", actor=coordinator)
    body = json_of(token_client(vendor_member).get(f"/api/v1/cases/{case.pk}/threads"))
    assert body["count"] == 2
    assert [(item["id"], item["unread"]) for item in body["items"]] == [(own.pk, 2), (group.pk, 0)]
    assert body["items"][0]["name"] == "Coordinators and Example Vendor A"
    assert json_of(token_client(coordinator).get(f"/api/v1/cases/{case.pk}/threads"))["count"] == 3


def test_a_page_of_messages_newest_first_then_older(own: Thread, coordinator: User, vendor_member: User) -> None:
    posted = [conversations.post_message(own.pk, body=f"m{i}", actor=coordinator) for i in range(5)]
    client = token_client(vendor_member)
    first = json_of(client.get(f"/api/v1/threads/{own.pk}/messages", {"limit": 2}))
    assert [item["body"] for item in first["items"]] == ["m4", "m3"] and first["older"] == posted[3].pk
    rest = json_of(client.get(f"/api/v1/threads/{own.pk}/messages", {"limit": 10, "before": first["older"]}))
    assert [item["body"] for item in rest["items"]] == ["m2", "m1", "m0"] and rest["older"] is None
    assert rest["items"][0]["author"] == str(coordinator) and rest["items"][0]["mine"] is False
    assert client.get(f"/api/v1/threads/{own.pk}/messages", {"limit": 500}).status_code == 400


def test_posting_with_attachments_then_downloading(own: Thread, vendor_member: User, coordinator: User) -> None:
    client = token_client(vendor_member)
    files = [SimpleUploadedFile("a.txt", b"first\n"), SimpleUploadedFile("b.png", b"\x89PNG\r\n\x1a\nrest")]
    response = client.post(f"/api/v1/threads/{own.pk}/messages", {"body": "Logs **here**", "attachments": files})
    assert response.status_code == 201, response.content
    body = json_of(response)
    assert body["mine"] is True and body["source"] == "api" and body["html"] == "<p>Logs <strong>here</strong></p>\n"
    assert [(item["filename"], item["kind"]) for item in body["attachments"]] == [("a.txt", "text"), ("b.png", "png")]
    assert Message.objects.get().source == "api"
    download = client.get(f"/api/v1/threads/{own.pk}/attachments/{body['attachments'][0]['id']}")
    assert download.status_code == 200 and download.content == b"first\n"
    assert download["Content-Type"] == "application/octet-stream" and download["X-Content-Type-Options"] == "nosniff"
    without = client.post(f"/api/v1/threads/{own.pk}/messages", {"body": "No files"})
    assert without.status_code == 201 and json_of(without)["attachments"] == []


def test_bad_posts_are_refused_with_the_field(own: Thread, vendor_member: User, settings: Any) -> None:
    client = token_client(vendor_member)
    refused = client.post(
        f"/api/v1/threads/{own.pk}/messages", {"body": "x", "attachments": [SimpleUploadedFile("t.exe", b"MZ\x90")]}
    )
    assert refused.status_code == 400 and json_of(refused)["field"] == "attachments"
    blank = client.post(f"/api/v1/threads/{own.pk}/messages", {"body": "   "})
    assert blank.status_code == 400 and json_of(blank)["field"] == "body"
    settings.KYOCHO = {**settings.KYOCHO, "ATTACHMENT_MAX_COUNT": 1}
    many = [SimpleUploadedFile(f"{i}.txt", b"x\n") for i in range(2)]
    too_many = client.post(f"/api/v1/threads/{own.pk}/messages", {"body": "x", "attachments": many})
    assert too_many.status_code == 400 and json_of(too_many)["field"] == "attachments"
    assert not Message.objects.exists()


def test_mark_read(own: Thread, coordinator: User, vendor_member: User) -> None:
    conversations.post_message(own.pk, body="One", actor=coordinator)
    client = token_client(vendor_member)
    assert json_of(client.get(f"/api/v1/threads/{own.pk}"))["unread"] == 1
    assert client.post(f"/api/v1/threads/{own.pk}/read").status_code == 204
    assert convo.unread_count(vendor_member, own) == 0


def test_another_developers_thread_is_not_found_everywhere(
    case: Case, own: Thread, coordinator: User, other_vendor_member: User
) -> None:
    message = conversations.post_message(
        own.pk, body="Secret", actor=coordinator, attachments=[Upload("s.txt", b"s\n")]
    )
    attachment = message.attachments.get()
    client = token_client(other_vendor_member)
    for method, path in [
        ("get", f"/api/v1/threads/{own.pk}"),
        ("get", f"/api/v1/threads/{own.pk}/messages"),
        ("post", f"/api/v1/threads/{own.pk}/messages"),
        ("post", f"/api/v1/threads/{own.pk}/read"),
        ("get", f"/api/v1/threads/{own.pk}/attachments/{attachment.pk}"),
    ]:
        response = getattr(client, method)(path, {"body": "x"} if method == "post" else None)
        assert response.status_code == 404, path
        assert json_of(response)["code"] == "not_found"
    assert Message.objects.count() == 1
    hidden = client.get(f"/api/v1/threads/{own.pk}/messages")
    missing = client.get(f"/api/v1/threads/{own.pk + 99}/messages")
    assert hidden.content == missing.content
    other_case = coordinating_case(coordinator)
    assert client.get(f"/api/v1/cases/{other_case.pk}/threads").status_code == 404


def test_other_developers_are_anonymous_in_the_api(
    case: Case, coordinator: User, vendor_member: User, other_vendor_member: User, partner: User
) -> None:
    group = conversations.open_thread(case.pk, kind=K.ALL_PARTICIPANTS, actor=coordinator)
    conversations.post_message(group.pk, body="Affected", actor=other_vendor_member)
    items = json_of(token_client(vendor_member).get(f"/api/v1/threads/{group.pk}/messages"))["items"]
    assert items[0]["author"] == "another developer"
    assert "Example Vendor B" not in json_of(token_client(vendor_member).get(f"/api/v1/threads/{group.pk}"))["name"]
    coordinator_view = json_of(token_client(coordinator).get(f"/api/v1/threads/{group.pk}/messages"))["items"]
    assert "Example Vendor B" in coordinator_view[0]["author"]


def test_the_browser_session_needs_the_csrf_token_to_post(own: Thread, vendor_member: User) -> None:
    client = browser_client(vendor_member, enforce_csrf=True)
    assert client.get(f"/api/v1/threads/{own.pk}/messages").status_code == 200
    assert client.post(f"/api/v1/threads/{own.pk}/messages", {"body": "x"}).status_code == 403
