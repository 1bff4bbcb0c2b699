"""Inbound mail through the API: the list and one mail for coordinators, and the held-mail actions
(file into a thread, send to intake, close with a note) — the same actions as the held-mail page."""

from __future__ import annotations

from typing import Any

import pytest

from kyocho.accounts.models import User
from kyocho.api.tests.helpers import json_of, token_client
from kyocho.audit.models import AuditEvent
from kyocho.cases.models import Message
from kyocho.intake.models import Report
from kyocho.messaging.models import InboundMail
from kyocho.messaging.tests import mailmaker
from kyocho.messaging.tests.conftest import Conversation, sorted_mail
from kyocho.messaging.workflow import InboundStatus

pytestmark = pytest.mark.django_db

URL = "/api/v1/inbound-mail"


def post(user: User, path: str, body: dict[str, Any], language: str = "en") -> Any:
    return token_client(user, language).post(f"{URL}/{path}", body, content_type="application/json")


def test_coordinators_list_held_mail(coordinator: User, held_bounce: InboundMail) -> None:
    sorted_mail(mailmaker.plain("hi", sender="a@b.example", to="cvd@kyocho.example", subject="Went to intake"))
    client = token_client(coordinator)
    held = json_of(client.get(URL, {"status": "held"}))
    assert [mail["id"] for mail in held["items"]] == [held_bounce.pk]
    assert held["items"][0]["error"] and held["items"][0]["status"] == "held"
    everything = json_of(client.get(URL))
    assert [mail["subject"] for mail in everything["items"]] == ["Went to intake", held_bounce.subject]  # newest first
    assert everything["count"] == 2


def test_an_unknown_status_is_refused_with_the_known_ones(coordinator: User, held_bounce: InboundMail) -> None:
    response = token_client(coordinator).get(URL, {"status": "lost"})
    body = json_of(response)
    assert (response.status_code, body["code"], body["field"]) == (400, "invalid", "status")
    assert "held" in body["message"]


def test_one_mail_is_read_as_text(coordinator: User, held_reply: InboundMail, conversation: Conversation) -> None:
    body = json_of(token_client(coordinator).get(f"{URL}/{held_reply.pk}"))
    assert "<script>alert('x')</script>" in body["text"]  # decrypted; JSON carries it as text
    assert [attachment["name"] for attachment in body["attachments"]] == ["tool.exe"]
    assert body["suggested_case"] == conversation.case.reference
    assert ("From", "psirt@vendor-a.example") in [tuple(header) for header in body["headers"]]


@pytest.mark.parametrize("role", ["intake_staff", "vendor_member", "partner", "reporter"])
def test_everyone_else_gets_404(role: str, held_bounce: InboundMail, request: Any) -> None:
    user = request.getfixturevalue(role)
    client = token_client(user)
    assert client.get(URL).status_code == 404
    assert client.get(f"{URL}/{held_bounce.pk}").status_code == 404
    assert post(user, f"{held_bounce.pk}/handled", {"note": "x"}).status_code in (403, 404)
    assert InboundMail.objects.get().status == InboundStatus.HELD


def test_filing_a_held_reply_into_the_developer_thread(
    coordinator: User, held_reply: InboundMail, conversation: Conversation
) -> None:
    body = json_of(
        post(coordinator, f"{held_reply.pk}/file", {"thread_id": conversation.thread_id, "with_attachments": False})
    )
    assert (body["status"], body["signature"], body["handled_by_email"]) == ("threaded", "verified", coordinator.email)
    assert "fix plan" in Message.objects.get(thread_id=conversation.thread_id).body
    assert AuditEvent.objects.filter(name="messaging:inbound:threaded", actor=coordinator).exists()


def test_filing_with_the_refused_attachment_says_why(
    coordinator: User, held_reply: InboundMail, conversation: Conversation
) -> None:
    response = post(coordinator, f"{held_reply.pk}/file", {"thread_id": conversation.thread_id})
    assert response.status_code == 400 and "tool.exe" in response.content.decode()
    assert InboundMail.objects.get(pk=held_reply.pk).status == InboundStatus.HELD


def test_sending_to_intake_makes_a_report(coordinator: User, held_bounce: InboundMail) -> None:
    body = json_of(post(coordinator, f"{held_bounce.pk}/intake", {}))
    assert body["status"] == "intake" and body["related"].startswith("intake.report:")
    assert Report.objects.get().channel == "email"


@pytest.mark.parametrize(("language", "required"), [("en", "Note is required."), ("ja", "メモ")])
def test_closing_needs_a_note_and_is_final(
    coordinator: User, held_bounce: InboundMail, language: str, required: str
) -> None:
    refused = post(coordinator, f"{held_bounce.pk}/handled", {"note": "  "}, language)
    assert refused.status_code == 400 and required in json_of(refused)["message"]
    closed = json_of(post(coordinator, f"{held_bounce.pk}/handled", {"note": "Stale bounce."}))
    assert (closed["status"], closed["handled_note"]) == ("handled", "Stale bounce.")
    again = post(coordinator, f"{held_bounce.pk}/intake", {})
    assert again.status_code == 409
    assert not Report.objects.exists()
