"""Inbound mail is stored whole first, then sorted: replies from a case party are decrypted, verified and
threaded; everything else goes to the intake queue; what cannot be read is held, never dropped.
The other side of every mail here is the real ``gpg``."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from kyocho.accounts.models import Organisation, User
from kyocho.audit.models import AuditEvent
from kyocho.cases import mail
from kyocho.cases.models import Message, MessageAttachment
from kyocho.conftest import coordinating_case, submit_test_report
from kyocho.intake import actions as intake
from kyocho.intake.models import Report
from kyocho.messaging import inbound
from kyocho.messaging.models import InboundMail, OutboundEmail
from kyocho.messaging.tests import mailmaker
from kyocho.messaging.tests.conftest import PSIRT, Conversation, developer_conversation
from kyocho.messaging.workflow import InboundStatus

TEXT = "We confirm receipt. 修正版は 2.0.1 で公開予定です。"
PDF = b"%PDF-1.4\n% the developer's fix plan\n"


def received(raw: bytes, *, to: str = "", via: str = "smtp", sender: str = "psirt@vendor-a.example") -> InboundMail:
    stored, new = inbound.store_inbound(raw, via=via, envelope_from=sender, envelope_to=[to] if to else [])
    assert new
    inbound.sort_inbound(stored.pk)
    stored.refresh_from_db()
    return stored


def reply_subject(conversation: Conversation) -> str:
    return f"Re: [kyocho {conversation.case.reference}] Vulnerability notification: please confirm receipt"


def thread_messages(conversation: Conversation) -> list[Message]:
    return list(Message.objects.filter(thread_id=conversation.thread_id).order_by("pk"))


# --- storage first -----------------------------------------------------------------------------------


def test_a_message_is_stored_whole_with_its_digest_and_headers(mail_settings: Any) -> None:
    raw = mailmaker.plain("hello", sender="Hanako <hanako@finder.example>", to="cvd@kyocho.example", subject="件名")
    stored, new = inbound.store_inbound(
        raw, via="lmtp", envelope_from="hanako@finder.example", envelope_to=["cvd@kyocho.example"]
    )
    assert new and bytes(stored.raw) == raw and stored.sha256 == hashlib.sha256(raw).hexdigest()
    assert (stored.from_address, stored.subject, stored.status) == ("hanako@finder.example", "件名", "received")
    assert stored.message_id.startswith("<") and stored.envelope_to == ["cvd@kyocho.example"]
    assert AuditEvent.objects.filter(name="messaging:inbound:received").count() == 1


def test_garbage_is_stored_and_held_not_dropped(mail_settings: Any) -> None:
    raw = b"\x00\xff\xfe not a mail at all \x00\r\n\r\n\x01"
    stored = received(raw, to="cvd@kyocho.example", sender="")
    assert bytes(stored.raw) == raw
    assert stored.status == InboundStatus.HELD
    reason, _detail = inbound.hold_reason(stored)
    assert reason == str(inbound.HoldReason.REFUSED.label)


def test_an_unknown_way_of_receiving_is_refused(mail_settings: Any) -> None:
    with pytest.raises(inbound.InvalidInput):
        inbound.store_inbound(b"x", via="fax")


def test_a_source_key_is_stored_once(mail_settings: Any) -> None:
    first, new = inbound.store_inbound(b"Subject: x\r\n\r\nx\r\n", via="imap", source_key="imap:INBOX:7:1")
    again, new_again = inbound.store_inbound(b"Subject: x\r\n\r\nx\r\n", via="imap", source_key="imap:INBOX:7:1")
    assert (new, new_again, again.pk) == (True, False, first.pk)
    assert InboundMail.objects.count() == 1


def test_sorting_twice_changes_nothing(mail_settings: Any) -> None:
    stored = received(mailmaker.plain("x", sender="a@b.example", to="cvd@kyocho.example", subject="Router"))
    events = AuditEvent.objects.count()
    assert inbound.sort_inbound(stored.pk) == InboundStatus.INTAKE
    assert AuditEvent.objects.count() == events and Report.objects.count() == 1
    assert inbound.sort_inbound(123456) == "missing"


def test_a_report_delivered_twice_opens_one_report_and_keeps_both_copies(mail_settings: Any) -> None:
    raw = mailmaker.plain(
        "RT-500 reflects the Host header.", sender="f@finder.example", to="cvd@kyocho.example", subject="XSS"
    )
    first = received(raw, to="cvd@kyocho.example")
    again = received(raw, to="cvd@kyocho.example")  # an MTA delivering again after losing our 250
    assert (first.status, again.status) == (InboundStatus.INTAKE, InboundStatus.DUPLICATE)
    assert again.related == first.related and Report.objects.count() == 1
    assert OutboundEmail.objects.filter(purpose="report:acknowledgement").count() == 1
    assert AuditEvent.objects.filter(name="messaging:inbound:duplicate").count() == 1


def test_a_reply_delivered_twice_is_threaded_once(conversation: Conversation) -> None:
    raw = mailmaker.plain(TEXT, sender=PSIRT, to=conversation.reply_address, subject=reply_subject(conversation))
    first = received(raw, to=conversation.reply_address)
    again = received(raw.replace(b"From:", b"Received: from mx2.example\r\nFrom:", 1), to=conversation.reply_address)
    assert (first.status, again.status) == (InboundStatus.THREADED, InboundStatus.DUPLICATE)
    assert [message.body for message in thread_messages(conversation)] == [TEXT]


def test_another_mail_with_a_used_message_id_is_not_taken_for_a_copy(mail_settings: Any) -> None:
    raw = mailmaker.plain("One report.", sender="f@finder.example", to="cvd@kyocho.example", subject="XSS")
    received(raw, to="cvd@kyocho.example")
    other = raw.replace(b"f@finder.example", b"g@elsewhere.example")  # same Message-ID, another sender
    assert received(other, to="cvd@kyocho.example", sender="g@elsewhere.example").status == InboundStatus.INTAKE
    assert Report.objects.count() == 2


def test_the_sweep_sorts_what_is_still_received(mail_settings: Any) -> None:
    from kyocho.core.clock import now

    stored, _new = inbound.store_inbound(
        mailmaker.plain("x", sender="a@b.example", to="cvd@kyocho.example", subject="Router"), via="smtp"
    )
    assert inbound.sort_waiting_mail(now()) == {}  # its own task is due to sort it
    later = now() + inbound.SWEEP_AFTER
    assert inbound.sort_waiting_mail(later) == {InboundStatus.INTAKE: 1}
    assert inbound.sort_waiting_mail(later) == {}
    stored.refresh_from_db()
    assert stored.status == InboundStatus.INTAKE


def test_storing_queues_the_sorting_task(mail_settings: Any, django_capture_on_commit_callbacks: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        inbound.store_inbound(b"Subject: x\r\n\r\nx\r\n", via="smtp")
    assert DBTaskResult.objects.filter(task_path="kyocho.messaging.tasks.sort_inbound_mail").count() == 1


# --- replies from a developer -----------------------------------------------------------------------


@pytest.mark.parametrize("wrap", [mailmaker.pgp_mime, mailmaker.inline], ids=["pgp-mime", "inline"])
@pytest.mark.parametrize("compressed", [True, False], ids=["compressed", "uncompressed"])
def test_a_signed_reply_is_threaded_as_verified(
    conversation: Conversation,
    psirt_gpg: tuple[Path, str],
    vendor_member: User,
    wrap: Any,
    compressed: bool,
) -> None:
    data = mailmaker.mime_entity(TEXT) if wrap is mailmaker.pgp_mime else TEXT.encode()
    armored = mailmaker.encrypt(psirt_gpg[0], data, compressed=compressed)
    raw = wrap(armored, sender=f"PSIRT <{PSIRT}>", to=conversation.reply_address, subject=reply_subject(conversation))
    stored = received(raw, to=conversation.reply_address)
    assert (stored.status, stored.signature) == (InboundStatus.THREADED, "verified")
    [message] = thread_messages(conversation)
    assert message.body.strip() == TEXT
    assert (message.source, message.signature, message.inbound_mail_id) == ("email", "verified", stored.pk)
    assert message.author == vendor_member  # the PSIRT's portal account
    assert message.author_organisation_id == conversation.case.participations.get().organisation_id
    assert stored.related == f"cases.message:{message.pk}"


def test_a_reply_signed_by_an_unknown_key_is_threaded_as_such(
    conversation: Conversation, stranger_gpg: tuple[Path, str]
) -> None:
    armored = mailmaker.encrypt(stranger_gpg[0], mailmaker.mime_entity(TEXT))
    raw = mailmaker.pgp_mime(armored, sender=PSIRT, to=conversation.reply_address, subject=reply_subject(conversation))
    stored = received(raw, to=conversation.reply_address)
    assert (stored.status, stored.signature) == (InboundStatus.THREADED, "unknown_key")
    assert thread_messages(conversation)[0].signature == "unknown_key"


def test_a_reply_whose_signature_does_not_match_is_threaded_as_bad(
    conversation: Conversation, psirt_gpg: tuple[Path, str]
) -> None:
    armored = mailmaker.signed_then_encrypted(psirt_gpg[0], TEXT, tamper=True)
    raw = mailmaker.pgp_mime(armored, sender=PSIRT, to=conversation.reply_address, subject=reply_subject(conversation))
    stored = received(raw, to=conversation.reply_address)
    assert (stored.status, stored.signature) == (InboundStatus.THREADED, "bad")
    assert thread_messages(conversation)[0].signature == "bad"


def test_an_unsigned_reply_is_threaded_as_unsigned(conversation: Conversation, psirt_gpg: tuple[Path, str]) -> None:
    armored = mailmaker.encrypt(psirt_gpg[0], TEXT.encode(), sign=False)
    raw = mailmaker.inline(armored, sender=PSIRT, to=conversation.reply_address, subject=reply_subject(conversation))
    stored = received(raw, to=conversation.reply_address)
    assert (stored.status, stored.signature) == (InboundStatus.THREADED, "unsigned")
    author = thread_messages(conversation)[0].author  # the account the notification gave the contact
    assert author is not None and author.email == PSIRT


def test_a_plain_reply_from_a_contact_is_threaded_unsigned(conversation: Conversation) -> None:
    raw = mailmaker.plain(TEXT, sender=PSIRT, to=conversation.reply_address, subject=reply_subject(conversation))
    stored = received(raw, to=conversation.reply_address)
    assert (stored.status, stored.signature) == (InboundStatus.THREADED, "unsigned")


def test_attachments_of_a_reply_are_kept(conversation: Conversation, psirt_gpg: tuple[Path, str]) -> None:
    entity = mailmaker.mime_entity(TEXT, [("fix-plan.pdf", PDF)])
    raw = mailmaker.pgp_mime(
        mailmaker.encrypt(psirt_gpg[0], entity), sender=PSIRT, to=conversation.reply_address, subject="Re: plan"
    )
    stored = received(raw, to=conversation.reply_address)
    assert stored.status == InboundStatus.THREADED
    [attachment] = MessageAttachment.objects.filter(message__thread_id=conversation.thread_id)
    assert (attachment.filename, attachment.kind, attachment.size) == ("fix-plan.pdf", "pdf", len(PDF))


def test_a_refused_attachment_holds_the_mail(conversation: Conversation, psirt_gpg: tuple[Path, str]) -> None:
    entity = mailmaker.mime_entity(TEXT, [("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00")])
    raw = mailmaker.pgp_mime(
        mailmaker.encrypt(psirt_gpg[0], entity), sender=PSIRT, to=conversation.reply_address, subject="Re: tool"
    )
    stored = received(raw, to=conversation.reply_address)
    assert stored.status == InboundStatus.HELD
    reason, detail = inbound.hold_reason(stored)
    assert reason == str(inbound.HoldReason.REFUSED.label) and "tool.exe" in detail
    assert thread_messages(conversation) == [] and MessageAttachment.objects.count() == 0


def test_a_verified_signature_counts_even_from_another_address(
    conversation: Conversation, psirt_gpg: tuple[Path, str]
) -> None:
    armored = mailmaker.encrypt(psirt_gpg[0], TEXT.encode())
    raw = mailmaker.inline(armored, sender="someone.at.home@mail.example", to=conversation.reply_address, subject="Re")
    assert received(raw, to=conversation.reply_address).status == InboundStatus.THREADED


def test_a_stranger_using_the_reply_address_goes_to_intake(
    conversation: Conversation, stranger_gpg: tuple[Path, str]
) -> None:
    armored = mailmaker.encrypt(stranger_gpg[0], TEXT.encode())
    raw = mailmaker.inline(
        armored, sender="someone@elsewhere.example", to=conversation.reply_address, subject="Found another bug"
    )
    stored = received(raw, to=conversation.reply_address, sender="someone@elsewhere.example")
    assert (stored.status, stored.signature) == (InboundStatus.INTAKE, "unknown_key")
    assert thread_messages(conversation) == []
    report = Report.objects.get()
    assert (report.channel, report.reporter_email, report.product_name) == (
        "email",
        "someone@elsewhere.example",
        "Found another bug",
    )
    assert report.description == TEXT  # decrypted for the desk
    assert stored.related == f"intake.report:{report.pk}"


def test_a_reply_token_used_for_another_case_goes_to_intake_not_the_case(
    coordinator: User, registered: Organisation, conversation: Conversation, psirt_gpg: tuple[Path, str]
) -> None:
    other = coordinating_case(coordinator, registered, title="Another case")
    armored = mailmaker.encrypt(psirt_gpg[0], TEXT.encode())
    raw = mailmaker.inline(
        armored, sender=PSIRT, to=conversation.reply_address, subject=f"Re: [kyocho {other.reference}] notification"
    )
    stored = received(raw, to=conversation.reply_address)
    assert stored.status == InboundStatus.INTAKE
    assert not Message.objects.exists()
    assert Report.objects.get().channel == "email"


def test_an_unknown_token_goes_to_intake(mail_settings: Any) -> None:
    raw = mailmaker.plain(TEXT, sender=PSIRT, to="cvd+" + "a" * 32 + "@kyocho.example", subject="Re: something")
    assert received(raw, to="cvd+" + "a" * 32 + "@kyocho.example").status == InboundStatus.INTAKE


def test_the_token_may_come_from_the_to_header_when_there_is_no_envelope(conversation: Conversation) -> None:
    raw = mailmaker.plain(TEXT, sender=PSIRT, to=conversation.reply_address, subject=reply_subject(conversation))
    stored, _new = inbound.store_inbound(raw, via="imap", source_key="imap:INBOX:1:1")
    inbound.sort_inbound(stored.pk)
    stored.refresh_from_db()
    assert stored.status == InboundStatus.THREADED


def test_mail_that_cannot_be_decrypted_is_held_never_dropped(
    conversation: Conversation, psirt_gpg: tuple[Path, str], stranger_gpg: tuple[Path, str]
) -> None:
    from kyocho.messaging.gpgtesting import run_gpg

    run_gpg(psirt_gpg[0], "--import", data=stranger_gpg[1].encode())
    to_stranger = run_gpg(
        psirt_gpg[0], "--armor", "--encrypt", "--sign", "--recipient", "someone@elsewhere.example", data=b"secret"
    ).stdout.decode()
    raw = mailmaker.inline(to_stranger, sender=PSIRT, to=conversation.reply_address, subject="Re")
    stored = received(raw, to=conversation.reply_address)
    assert stored.status == InboundStatus.HELD and bytes(stored.raw) == raw
    assert inbound.hold_reason(stored)[0] == str(inbound.HoldReason.UNDECRYPTABLE.label)
    assert not Message.objects.exists() and not Report.objects.exists()
    # A second copy is no repeat of anything filed: staff decide on each held mail.
    assert received(raw, to=conversation.reply_address).status == InboundStatus.HELD


def test_a_reply_from_the_reporter_goes_to_the_reporter_thread(
    mail_settings: Any, coordinator: User, registered: Organisation, reporter: User
) -> None:
    report = submit_test_report(reporter=reporter)
    intake.accept_report(report.pk, actor=coordinator, case_title="Reported case")
    report.refresh_from_db()
    assert report.case is not None
    with transaction.atomic():
        thread = mail.report_thread(report, actor=None)
        address = mail.reply_address(mail.reply_token(thread, None))
    raw = mailmaker.plain("More details follow.", sender=reporter.email, to=address, subject="Re: your report")
    stored = received(raw, to=address, sender=reporter.email)
    assert stored.status == InboundStatus.THREADED
    message = Message.objects.get(thread=thread)
    assert (message.author, message.author_organisation_id) == (reporter, None)


def test_a_developer_that_has_left_no_longer_threads(
    coordinator: User, registered: Organisation, other_vendor_org: Organisation
) -> None:
    from kyocho.cases import actions as cases

    case = cases.open_case(title="Only identified", actor=coordinator)
    cases.add_participant(case.pk, organisation_id=registered.pk, actor=coordinator)
    # A token written for a developer that was never notified (it does not know the case): intake.
    conversation = developer_conversation(case, registered)
    raw = mailmaker.plain(TEXT, sender=PSIRT, to=conversation.reply_address, subject="Re")
    assert received(raw, to=conversation.reply_address).status == InboundStatus.INTAKE


# --- the intake queue ----------------------------------------------------------------------------------


def test_plain_mail_to_the_intake_address_becomes_an_acknowledged_report(mail_settings: Any) -> None:
    raw = mailmaker.plain(
        "The admin page of RT-500 reflects the Host header.",
        sender="Hanako Finder <hanako@finder.example>",
        to="cvd@kyocho.example",
        subject="XSS in Example Router RT-500",
    )
    stored = received(raw, to="cvd@kyocho.example", sender="hanako@finder.example")
    assert stored.status == InboundStatus.INTAKE
    report = Report.objects.get()
    assert (report.kind, report.channel, report.status, report.language) == ("software", "email", "received", "en")
    assert (report.reporter_name, report.credit, report.tracking_token_hash != "") == (
        "Hanako Finder",
        "anonymous",
        True,
    )
    acknowledgement = OutboundEmail.objects.get(purpose="report:acknowledgement")
    assert acknowledgement.to == "hanako@finder.example" and "/track/" in acknowledgement.body


@pytest.mark.parametrize(
    "extra",
    [{"Auto-Submitted": "auto-replied"}, {"Precedence": "bulk"}, {"List-Id": "<list.example>"}],
    ids=["auto-submitted", "bulk", "list"],
)
def test_automatic_mail_is_never_answered(mail_settings: Any, extra: dict[str, str]) -> None:
    raw = mailmaker.plain("Out of office", sender="bot@x.example", to="cvd@kyocho.example", subject="Away", extra=extra)
    assert received(raw, to="cvd@kyocho.example").status == InboundStatus.INTAKE
    assert Report.objects.count() == 1
    assert not OutboundEmail.objects.exists()


def test_mail_with_an_empty_envelope_sender_is_never_answered(mail_settings: Any) -> None:
    raw = mailmaker.plain("hello", sender="someone@x.example", to="cvd@kyocho.example", subject="Hi")
    assert received(raw, to="cvd@kyocho.example", sender="").status == InboundStatus.INTAKE
    assert not OutboundEmail.objects.exists()


def test_encrypted_mail_to_the_intake_address_is_decrypted_for_the_desk(
    mail_settings: Any, stranger_gpg: tuple[Path, str]
) -> None:
    armored = mailmaker.encrypt(stranger_gpg[0], mailmaker.mime_entity("脆弱性の詳細", [("poc.pdf", PDF)]))
    raw = mailmaker.pgp_mime(armored, sender="someone@elsewhere.example", to="cvd@kyocho.example", subject="")
    stored = received(raw, to="cvd@kyocho.example")
    assert stored.status == InboundStatus.INTAKE
    report = Report.objects.get()
    assert (report.description, report.language, report.product_name) == ("脆弱性の詳細", "ja", "(no subject)")
    assert [attachment.filename for attachment in report.attachments.all()] == ["poc.pdf"]


# --- signed, not encrypted -----------------------------------------------------------------------------


@pytest.mark.parametrize(("tamper", "signature"), [(False, "verified"), (True, "bad")])
def test_a_signed_only_pgp_mime_reply_is_checked(
    conversation: Conversation, psirt_gpg: tuple[Path, str], tamper: bool, signature: str
) -> None:
    raw = mailmaker.signed_only(
        psirt_gpg[0],
        TEXT,
        sender=PSIRT,
        to=conversation.reply_address,
        subject=reply_subject(conversation),
        tamper=tamper,
    )
    stored = received(raw, to=conversation.reply_address)
    assert (stored.status, stored.signature) == (InboundStatus.THREADED, signature)
    assert thread_messages(conversation)[0].body.startswith(TEXT)


@pytest.mark.parametrize(
    ("signer", "tamper", "signature"),
    [("psirt_gpg", False, "verified"), ("stranger_gpg", False, "unknown_key"), ("psirt_gpg", True, "bad")],
)
def test_a_clearsigned_reply_is_checked(
    conversation: Conversation, request: Any, signer: str, tamper: bool, signature: str
) -> None:
    home = request.getfixturevalue(signer)[0]
    raw = mailmaker.plain(
        mailmaker.clearsigned(home, "Received, thank you.", tamper=tamper),
        sender=PSIRT,
        to=conversation.reply_address,
        subject=reply_subject(conversation),
    )
    stored = received(raw, to=conversation.reply_address)
    assert (stored.status, stored.signature) == (InboundStatus.THREADED, signature)
    assert thread_messages(conversation)[0].body.startswith("Received, thank you.")
