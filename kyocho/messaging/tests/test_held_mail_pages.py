"""The held-mail pages for coordinators: the list, one mail shown as text (never HTML), and filing a held
mail into a conversation, sending it to intake or closing it with a note — through actions, audited."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from kyocho.accounts.models import User
from kyocho.audit.models import AuditEvent
from kyocho.cases.models import Message, MessageAttachment
from kyocho.intake.models import Report
from kyocho.messaging import inbound
from kyocho.messaging.models import InboundMail, OutboundEmail
from kyocho.messaging.tests import mailmaker
from kyocho.messaging.tests.conftest import PSIRT, Conversation, sorted_mail
from kyocho.messaging.workflow import InboundStatus

ClientFor = Callable[..., Client]
LIST = "/staff/mail/"


def page(mail: InboundMail) -> str:
    return f"/staff/mail/{mail.pk}/"


@pytest.mark.parametrize("role", ["coordinator", "lead"])
def test_coordinators_see_held_mail(client_for: ClientFor, held_bounce: InboundMail, role: str, request: Any) -> None:
    client = client_for(request.getfixturevalue(role))
    listing = client.get(LIST).content.decode()
    assert (
        "Undelivered Mail Returned to Sender" in listing
        and "It is a delivery report for no mail kyocho sent." in listing
    )
    detail = client.get(page(held_bounce)).content.decode()
    assert "MAILER-DAEMON@mx.vendor-a.example" in detail and "never-sent@kyocho.example" in detail


@pytest.mark.parametrize("role", ["intake_staff", "vendor_member", "partner", "reporter"])
def test_everyone_else_gets_404(client_for: ClientFor, held_bounce: InboundMail, role: str, request: Any) -> None:
    client = client_for(request.getfixturevalue(role))
    for url in (LIST, page(held_bounce), page(held_bounce) + "raw/"):
        assert client.get(url).status_code == 404, url
    assert client.post(page(held_bounce), {"action": "handled", "note": "x"}).status_code == 404
    assert InboundMail.objects.get().status == InboundStatus.HELD


def test_the_list_shows_held_mail_unless_asked_for_all(
    client_for: ClientFor, coordinator: User, held_bounce: InboundMail
) -> None:
    sorted_mail(mailmaker.plain("hi", sender="a@b.example", to="cvd@kyocho.example", subject="Went to intake"))
    client = client_for(coordinator)
    assert "Went to intake" not in client.get(LIST).content.decode()
    assert "Went to intake" in client.get(LIST, {"status": "all"}).content.decode()
    assert "Went to intake" in client.get(LIST, {"status": "intake"}).content.decode()


def test_the_mail_is_shown_as_text_never_as_html(
    client_for: ClientFor, coordinator: User, held_reply: InboundMail
) -> None:
    html = client_for(coordinator).get(page(held_reply)).content.decode()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html and "<script>alert" not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html  # decrypted for the coordinator
    assert "tool.exe" in html and "It could not be filed as it is." in html


def test_an_undecryptable_mail_is_shown_as_it_arrived(
    client_for: ClientFor, coordinator: User, conversation: Conversation, stranger_gpg: tuple[Path, str]
) -> None:
    from kyocho.messaging.gpgtesting import run_gpg

    # Encrypted by the stranger to its own key: not to ours.
    armored = run_gpg(stranger_gpg[0], "--armor", "--encrypt", "--recipient", "someone@elsewhere.example", data=b"x")
    stored = sorted_mail(
        mailmaker.inline(armored.stdout.decode(), sender=PSIRT, to=conversation.reply_address, subject="Re")
    )
    html = client_for(coordinator).get(page(stored)).content.decode()
    assert "This message could not be decrypted with the coordinator key." in html
    assert "BEGIN PGP MESSAGE" in html


def test_the_raw_mail_downloads_as_it_arrived(
    client_for: ClientFor, coordinator: User, held_bounce: InboundMail
) -> None:
    response = client_for(coordinator).get(page(held_bounce) + "raw/")
    assert response["Content-Disposition"] == f'attachment; filename="kyocho-inbound-{held_bounce.pk}.eml"'
    assert response["Content-Type"] == "application/octet-stream"
    assert response.content == bytes(held_bounce.raw)


def test_filing_into_the_developer_thread(
    client_for: ClientFor, coordinator: User, conversation: Conversation, held_reply: InboundMail
) -> None:
    client = client_for(coordinator)
    form = client.get(page(held_reply)).content.decode()
    assert conversation.case.reference in form  # suggested from the reply token
    assert f'<option value="{conversation.thread_id}">' in form
    response = client.post(page(held_reply), {"action": "file", "thread_id": conversation.thread_id}, follow=True)
    assert "The mail was filed into the conversation." in response.content.decode()
    held_reply.refresh_from_db()
    assert (held_reply.status, held_reply.handled_by, held_reply.signature) == (
        InboundStatus.THREADED,
        coordinator,
        "verified",
    )
    message = Message.objects.get(thread_id=conversation.thread_id)
    assert message.signature == "verified" and "fix plan" in message.body
    assert not MessageAttachment.objects.exists()  # filed without the refused attachment
    assert AuditEvent.objects.filter(name="messaging:inbound:threaded", actor=coordinator).exists()


def test_filing_with_a_refused_attachment_says_why(
    client_for: ClientFor, coordinator: User, conversation: Conversation, held_reply: InboundMail
) -> None:
    data = {"action": "file", "thread_id": conversation.thread_id, "with_attachments": "on"}
    html = client_for(coordinator).post(page(held_reply), data, follow=True).content.decode()
    assert "tool.exe" in html and "is not a file type we accept" in html
    assert InboundMail.objects.get(pk=held_reply.pk).status == InboundStatus.HELD
    assert not Message.objects.exists()


def test_filing_needs_a_thread(client_for: ClientFor, coordinator: User, held_reply: InboundMail) -> None:
    html = client_for(coordinator).post(page(held_reply), {"action": "file"}, follow=True).content.decode()
    assert "Choose a thread." in html


def test_sending_to_intake(client_for: ClientFor, coordinator: User, held_bounce: InboundMail) -> None:
    client_for(coordinator).post(page(held_bounce), {"action": "intake", "with_attachments": "on"})
    held_bounce.refresh_from_db()
    assert held_bounce.status == InboundStatus.INTAKE
    report = Report.objects.get()
    assert (report.channel, report.reporter_email) == ("email", "MAILER-DAEMON@mx.vendor-a.example")
    assert not OutboundEmail.objects.exists()  # a bounce is never answered


def test_marking_handled_needs_a_note(client_for: ClientFor, coordinator: User, held_bounce: InboundMail) -> None:
    client = client_for(coordinator)
    html = client.post(page(held_bounce), {"action": "handled", "note": " "}, follow=True).content.decode()
    assert "Note is required." in html
    client.post(page(held_bounce), {"action": "handled", "note": "A stale bounce from last year's list."})
    held_bounce.refresh_from_db()
    assert (held_bounce.status, held_bounce.handled_note) == (
        InboundStatus.HANDLED,
        "A stale bounce from last year's list.",
    )
    again = client.post(page(held_bounce), {"action": "intake"}, follow=True).content.decode()
    assert "is final" in again  # a handled mail stays handled
    assert not Report.objects.exists()


def test_the_actions_refuse_other_staff(intake_staff: User, held_bounce: InboundMail) -> None:
    with pytest.raises(inbound.PermissionDenied):
        inbound.mark_inbound_handled(held_bounce.pk, note="x", actor=intake_staff)
    with pytest.raises(inbound.NotFound):
        inbound.send_inbound_to_intake(held_bounce.pk, actor=None)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_pages_speak_both_languages(
    client_for: ClientFor, coordinator: User, held_bounce: InboundMail, language: str
) -> None:
    client = client_for(coordinator, language)
    for url in (LIST, page(held_bounce), "/staff/"):
        response = client.get(url)
        assert response.status_code == 200 and f'<html lang="{language}">' in response.content.decode(), url


def test_the_dashboard_links_held_mail_for_coordinators_only(
    client_for: ClientFor, coordinator: User, intake_staff: User, held_bounce: InboundMail
) -> None:
    assert "Inbound mail: 1 message held for staff" in client_for(coordinator).get("/staff/").content.decode()
    assert "/staff/mail/" not in client_for(intake_staff).get("/staff/").content.decode()


def test_the_triage_queue_shows_reports_received_by_email(
    client_for: ClientFor, intake_staff: User, mail_settings: Any
) -> None:
    sorted_mail(mailmaker.plain("details", sender="a@b.example", to="cvd@kyocho.example", subject="Bug in RT-500"))
    report = Report.objects.get()
    client = client_for(intake_staff)
    assert "<td>Email</td>" in client.get("/staff/reports/").content.decode()
    assert "<dd>Email</dd>" in client.get(f"/staff/reports/{report.reference}/").content.decode()
