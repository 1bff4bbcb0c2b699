"""The only writers of case conversations: threads, messages and read marks.

Recipe (ARCHITECTURE.md): transaction → lock → permission → audit event → save. Who may not see a
thread gets NotFound; PermissionDenied only goes to those who can see it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kyocho.accounts.models import User
from kyocho.audit.actions import record
from kyocho.cases import conversation_mail, conversation_queries, mail
from kyocho.cases.actions import locked_case, require_coordinator_on_case
from kyocho.cases.models import Case, Message, MessageAttachment, ReadMark, Thread, ThreadKind
from kyocho.cases.workflow import MessageSource
from kyocho.core.actions import as_id, lock, one_of, optional_text, required_text
from kyocho.core.attachments import CheckedUpload, Upload, check_uploads, removing_files_on_failure, write_file
from kyocho.core.clock import now
from kyocho.core.errors import Conflict, InvalidInput, NotFound
from kyocho.intake.actions import lock_for_reporter
from kyocho.intake.models import Report
from kyocho.intake.workflow import ReportStatus

MAX_BODY = 20_000
MAX_TITLE = 200
PRIVATE_KINDS = conversation_queries.PRIVATE_KINDS
# One thread per party: opening it again gives the existing thread back.
SINGLE_KINDS = frozenset({ThreadKind.DEVELOPER, ThreadKind.PARTNER, ThreadKind.ALL_PARTICIPANTS})


def _audit(verb: str, thread: Thread, *, actor: Any, data: dict[str, Any] | None = None) -> None:
    record(f"case:conversation:{verb}", actor=actor, subject=thread.case, data={"thread": thread.pk, **(data or {})})


def _party_organisation(case: Case, kind: str, organisation_id: Any) -> int | None:
    """The one developer (a participant) or partner team (sharing the case) of a private thread."""
    if kind not in PRIVATE_KINDS:
        if organisation_id is not None:
            raise InvalidInput(_("Only developer and partner threads name an organisation."), field="organisation_id")
        return None
    if organisation_id is None:
        raise InvalidInput(_("Choose the organisation of this thread."), field="organisation_id")
    pk = as_id(organisation_id, "organisation_id")
    parties = case.participations if kind == ThreadKind.DEVELOPER else case.partners
    if not parties.filter(organisation_id=pk).exists():
        raise InvalidInput(_("This organisation does not take part in the case."), field="organisation_id")
    return pk


def _product_organisations(case: Case, kind: str, organisation_ids: Iterable[Any]) -> list[int]:
    ids = sorted({as_id(value, "organisation_ids") for value in organisation_ids})
    if kind != ThreadKind.PRODUCT:
        if ids:
            raise InvalidInput(_("Only product threads have a list of developers."), field="organisation_ids")
        return ids
    if not ids:
        raise InvalidInput(_("Choose at least one developer for this product thread."), field="organisation_ids")
    if case.participations.filter(organisation_id__in=ids).count() != len(ids):
        raise InvalidInput(_("Every organisation must be a developer in the case."), field="organisation_ids")
    return ids


def open_thread(
    case_id: int,
    *,
    kind: str,
    actor: Any,
    organisation_id: int | None = None,
    organisation_ids: Iterable[int] = (),
    title: str = "",
    report_id: int | None = None,
) -> Thread:
    """A coordinator opens a thread. Developer, partner, all-participants threads exist once per party,
    a reporter thread once per report accepted into the case (``report_id``): asking again returns the
    existing one. Product threads need a title and their developers."""
    with locked_case(case_id, actor=actor, require=require_coordinator_on_case) as case:
        kind = one_of(kind, ThreadKind, "kind")
        if (kind == ThreadKind.REPORTER) != (report_id is not None):
            raise InvalidInput(_("A reporter thread, and only one, names the report it is about."), field="report_id")
        if kind == ThreadKind.REPORTER:
            return mail.report_thread(_accepted_report(case, report_id), actor=actor)
        organisation = _party_organisation(case, kind, organisation_id)
        members = _product_organisations(case, kind, organisation_ids)
        title = optional_text(title, "title", max_length=MAX_TITLE)
        if kind == ThreadKind.PRODUCT:
            title = required_text(title, "title", _("Title"), max_length=MAX_TITLE)
        if kind in SINGLE_KINDS:
            existing = case.threads.filter(kind=kind, organisation=organisation).first()
            if existing is not None:
                return existing
        thread = Thread(case=case, kind=kind, organisation_id=organisation, title=title, created_at=now())
        thread.created_by = actor
        thread.save()
        thread.organisations.set(members)
        _audit("opened", thread, actor=actor, data={"kind": kind, "organisation": organisation, "members": members})
    return thread


def _accepted_report(case: Case, report_id: Any) -> Report:
    report = case.reports.filter(pk=as_id(report_id, "report_id"), status=ReportStatus.ACCEPTED).first()
    if report is None:
        raise InvalidInput(_("This report was not accepted into the case."), field="report_id")
    return report


def set_participants_visible(thread_id: int, *, visible: bool, actor: Any) -> Thread:
    """A coordinator opens (or closes again) the participant list of a group thread to its developers."""
    if not isinstance(visible, bool):
        raise InvalidInput(_("Choose yes or no."), field="visible")
    with transaction.atomic():
        thread = _locked_visible_thread(thread_id, actor)
        require_coordinator_on_case(thread.case, actor)
        if thread.kind not in conversation_queries.GROUP_KINDS:
            raise InvalidInput(_("Only group threads have a participant list."), field="thread_id")
        thread.participants_visible = visible
        _audit("participants_shown" if visible else "participants_hidden", thread, actor=actor)
        thread.save(update_fields=["participants_visible"])
    return thread


def _locked_visible_thread(thread_id: Any, actor: Any) -> Thread:
    """The thread locked for the transaction, or NotFound for anyone who does not belong to it."""
    thread = conversation_queries.get_thread(actor, thread_id)
    return lock(Thread, thread.pk)


def post_message(
    thread_id: int, *, body: str, actor: Any, attachments: Sequence[Upload] = (), source: str = MessageSource.WEB
) -> Message:
    """Coordinators, and the members of the parties of the thread, write in it."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise NotFound()
    body = _message_body(body)
    checked = check_uploads(attachments)
    with removing_files_on_failure() as stored, transaction.atomic():
        thread = _locked_visible_thread(thread_id, actor)
        message = _save_message(
            thread,
            author=actor,
            organisation_id=conversation_queries.posting_organisation(actor, thread),
            body=body,
            source=one_of(source, MessageSource, "source"),
            attachments=checked,
            stored=stored,
            actor=actor,
        )
        _mark(thread, actor, message)
    return message


def post_message_from_mail(
    thread_id: int,
    *,
    body: str,
    organisation_id: int | None,
    author: User | None,
    signature: str,
    attachments: Sequence[Upload] = (),
    inbound_mail_id: int | None = None,
) -> Message:
    """A mail reply threaded by inbound mail (the system acts): written for ``organisation_id`` (the
    party the reply token names; None for the reporter), by ``author`` when the sender has an account.
    Attachments that are not allowed are refused here like on the web; inbound mail then holds the mail."""
    body = _message_body(body)
    checked = check_uploads(attachments)
    with removing_files_on_failure() as stored, transaction.atomic():
        thread = lock(Thread, thread_id)
        message = _save_message(
            thread,
            author=author,
            organisation_id=organisation_id,
            body=body,
            source=MessageSource.EMAIL,
            attachments=checked,
            stored=stored,
            actor=None,
            signature=signature,
            inbound_mail_id=inbound_mail_id,
        )
    return message


def post_reporter_message(
    report_id: int, *, body: str, actor: Any, token: str | None = None, attachments: Sequence[Upload] = ()
) -> Message:
    """The reporter writes in the reporter thread of the case their report was accepted into: by account,
    or by tracking link (``token``), whose holder acts as the report's reporter. The thread is opened
    when it does not exist yet."""
    body = _message_body(body)
    checked = check_uploads(attachments)
    with removing_files_on_failure() as stored, transaction.atomic():
        report = lock_for_reporter(report_id, actor, token)
        if report.status != ReportStatus.ACCEPTED or report.case_id is None:
            raise Conflict(_("This report is not part of a case yet: write in the conversation about the report."))
        person = actor if getattr(actor, "is_authenticated", False) else None
        thread = lock(Thread, mail.report_thread(report, actor=person).pk)  # the report row is locked
        message = _save_message(
            thread,
            author=person or report.reporter,
            organisation_id=None,
            body=body,
            source=MessageSource.WEB,
            attachments=checked,
            stored=stored,
            actor=person,
            via_token=token is not None,
        )
        if person is not None:
            _mark(thread, person, message)
    return message


def _message_body(body: Any) -> str:
    return required_text(body if isinstance(body, str) else None, "body", _("Message"), max_length=MAX_BODY)


def _save_message(
    thread: Thread,
    *,
    author: Any,
    organisation_id: int | None,
    body: str,
    source: str,
    attachments: Sequence[CheckedUpload],
    stored: list[str],
    actor: Any,
    signature: str = "",
    inbound_mail_id: int | None = None,
    via_token: bool = False,
) -> Message:
    """The one place a message is written: the row, its files, the audit event, and the mail that tells
    the thread's other parties."""
    message = Message.objects.create(
        thread=thread,
        author=author,
        author_organisation_id=organisation_id,
        body=body,
        posted_at=now(),
        source=source,
        signature=signature,
        inbound_mail_id=inbound_mail_id,
    )
    for upload in attachments:
        stored.append(write_file(upload.content))
        MessageAttachment.objects.create(
            message=message,
            filename=upload.filename,
            stored_name=stored[-1],
            size=len(upload.content),
            kind=upload.kind,
            sha256=upload.sha256,
        )
    record(
        "case:message:posted",
        actor=actor,
        subject=thread.case,
        data={
            "thread": thread.pk,
            "message": message.pk,
            "source": source,
            "signature": signature or None,
            "attachments": [upload.sha256 for upload in attachments],
            **({"via": "tracking_token"} if via_token else {}),
        },
    )
    conversation_mail.tell_about_message(message, actor=actor)
    return message


def _mark(thread: Thread, user: Any, message: Message) -> None:
    ReadMark.objects.update_or_create(thread=thread, user=user, defaults={"last_read": message})


def mark_read(thread_id: int, *, actor: Any) -> None:
    """Everything in the thread so far counts as read by the actor. Not audited: reading changes no
    shared state, and an event per page view would drown the case's history."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise NotFound()
    with transaction.atomic():
        thread = _locked_visible_thread(thread_id, actor)
        newest = thread.messages.order_by("-pk").first()
        if newest is not None:
            _mark(thread, actor, newest)
