"""The only writers of reports (届出, PRODUCT.md §2.1).

Recipe for every action: transaction → lock → permission → transition check → audit event → save →
email to the reporter through the outbox (written in the same transaction, sent after commit).

Who may do what:
- anyone submits a report; a signed-in reporter's report is linked to the account, otherwise (and
  when intake staff enter a report on a finder's behalf) an unguessable tracking link is issued;
- the reporter — by account, or by tracking token — answers questions and withdraws;
- intake staff and coordinators triage: ask, accept, reject, mark duplicate or spam, record SSVC.
Anyone else gets NotFound; only the reporter, who can see the report, gets PermissionDenied.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import models, transaction
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from kyocho.accounts import permissions
from kyocho.audit.actions import record
from kyocho.cases import actions as cases
from kyocho.cases.models import Case
from kyocho.cases.workflow import CaseStatus
from kyocho.core import attachments
from kyocho.core.actions import lock
from kyocho.core.clock import add_business_days, now
from kyocho.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from kyocho.core.ids import hash_token, new_secret_token, public_reference
from kyocho.intake import queries, ssvc
from kyocho.intake.models import (
    Answer,
    CreditPreference,
    InformationRequest,
    Report,
    ReportAttachment,
    ReportChannel,
    ReportMessage,
)
from kyocho.intake.workflow import OPEN_STATES, REPORT, RejectionReason, ReportKind, ReportStatus
from kyocho.messaging.actions import enqueue_from_template
from kyocho.messaging.rendering import check_language

# What a reporter fills in. Single-line fields are limited by their column; longer texts by this.
LONG_TEXT_LIMIT = 20_000
SINGLE_LINE_FIELDS = (
    "reporter_name",
    "reporter_organisation",
    "reporter_email",
    "reporter_phone",
    "product_name",
    "developer_name",
    "product_version",
    "site_url",
)
TEXT_FIELDS = (
    "description",
    "reproduction",
    "impact",
    "discovery",
    "public_references",
    "exploited_references",
    "reporter_disclosure_plans",
    "other_coordinators",
)
ANSWER_FIELDS = ("already_public", "exploited")  # yes / no / don't know
PGP_KEY_LIMIT = 100_000  # keys with many signatures are large
SUBMITTED_FIELDS = frozenset(
    {
        *SINGLE_LINE_FIELDS,
        *TEXT_FIELDS,
        *ANSWER_FIELDS,
        "reporter_pgp_key",
        "credit",
        "share_contact_with_developer",
        "found_lawfully",
    }
)
REQUIRED_BY_KIND = {
    ReportKind.SOFTWARE: ("reporter_email", "product_name", "description"),
    # The site operator is notified instead of a vendor, so the site must be named.
    ReportKind.WEB_APPLICATION: ("reporter_email", "product_name", "description", "site_url"),
    # A developer asking for an advisory about its own product names itself.
    ReportKind.SELF_REPORT: ("reporter_email", "product_name", "description", "developer_name"),
}
NOTE_LIMIT = 5_000


# Submission.


def submit_report(
    *,
    kind: str,
    fields: Mapping[str, Any],
    actor: Any,
    language: str,
    files: Sequence[attachments.Upload] = (),
    suspected_spam: bool = False,
) -> tuple[Report, str | None]:
    """File a report. Returns it and, when there is one, the tracking token — shown this once only.

    ``files`` are checked (count, size, sniffed type) before anything is stored. A submission the
    form's honeypot caught (``suspected_spam``) is kept as spam, out of every queue, and nobody is
    mailed; the caller answers it like any other so the sender learns nothing."""
    person = _person(actor)
    if kind not in ReportKind.values:
        raise InvalidInput(_("Choose the kind of report."), field="kind")
    language = check_language(language)
    # Staff typing in a report received by phone or post act for the finder: the finder gets the link.
    on_behalf = permissions.is_staff_member(person)
    clean = _clean_submission(ReportKind(kind), fields, default_email=person.email if person and not on_behalf else "")
    checked = attachments.check_uploads(files)
    token = new_secret_token() if person is None or on_behalf else None
    with attachments.removing_files_on_failure() as stored:
        report = _file_report(kind, clean, person, language, token, on_behalf, checked, stored, suspected_spam)
    return report, token


def _file_report(
    kind: str,
    clean: dict[str, Any],
    person: Any,
    language: str,
    token: str | None,
    on_behalf: bool,
    checked: list[attachments.CheckedUpload],
    stored: list[str],
    suspected_spam: bool,
    *,
    channel: str = ReportChannel.WEB,
    acknowledge: bool = True,
    source: Mapping[str, Any] | None = None,
) -> Report:
    at = now()
    with transaction.atomic():
        report = Report.objects.create(
            reference=_new_reference(),
            kind=kind,
            channel=channel,
            reporter=None if token else person,
            language=language,
            tracking_token_hash=hash_token(token) if token else "",
            received_at=at,
            triage_due_at=_triage_due(at),
            **clean,
        )
        record(
            "intake:report:received",
            actor=person,
            subject=report,
            data={
                "reference": report.reference,
                "kind": kind,
                "tracking_token": bool(token),
                "on_behalf": on_behalf,
                "attachments": len(checked),
                **({"channel": channel, **source} if source is not None else {}),
            },
        )
        for upload in checked:
            stored.append(attachments.write_file(upload.content))
            ReportAttachment.objects.create(
                report=report,
                filename=upload.filename,
                stored_name=stored[-1],
                size=len(upload.content),
                kind=upload.kind,
                sha256=upload.sha256,
                uploaded_at=at,
            )
        if suspected_spam:
            report.decided_at = at
            _move(report, ReportStatus.SPAM, actor=None, event="spam", data={"honeypot": True})
            return report
        if acknowledge:
            _tell_reporter(
                report,
                "report_acknowledgement",
                actor=person,
                tracking_link=f"{settings.SITE_URL}/track/{token}/" if token else "",
            )
    return report


# Reports that arrive by email (inbound mail): the sender is the reporter, the subject names the product.

REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|fwd?|aw|wg|返信|転送)\s*[:：]\s*)+", re.IGNORECASE)
JAPANESE_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
NO_SUBJECT = "(no subject)"
NO_TEXT = "(no text)"


def submit_report_from_mail(
    *,
    reporter_email: str,
    subject: str,
    text: str,
    acknowledge: bool,
    reporter_name: str = "",
    files: Sequence[attachments.Upload] = (),
    inbound_mail_id: int | None = None,
) -> Report:
    """A mail that belongs to no conversation becomes a software report in the triage queue (the
    system acts). The sender gets the usual acknowledgement with a tracking link unless
    ``acknowledge`` is False: automatic mail (RFC 3834: auto-replies, bounces, lists) is never
    answered. Nobody filled in the form, so the desk asks for what is missing (lawful discovery
    included); the whole mail stays in the inbound mail it came from."""
    description = _mail_text(text) or NO_TEXT
    clean = {
        "reporter_email": _mail_line(reporter_email, "reporter_email"),
        "reporter_name": _mail_line(reporter_name, "reporter_name"),
        "product_name": _mail_line(REPLY_PREFIX.sub("", subject or ""), "product_name") or NO_SUBJECT,
        "description": description,
        "credit": CreditPreference.ANONYMOUS,  # nobody chose to be named
    }
    _check_email(clean["reporter_email"])
    checked = attachments.check_uploads(files)
    token = new_secret_token()
    language = "ja" if JAPANESE_SCRIPT.search(description) else "en"
    with attachments.removing_files_on_failure() as stored:
        return _file_report(
            ReportKind.SOFTWARE,
            clean,
            None,
            language,
            token,
            False,
            checked,
            stored,
            False,
            channel=ReportChannel.EMAIL,
            acknowledge=acknowledge,
            source={"inbound_mail": inbound_mail_id},
        )


def _mail_line(value: str, field: str) -> str:
    """One line of a mail header, cut to the column: mail is taken as it comes, never refused for its form."""
    line = " ".join("".join(char for char in value or "" if unicodedata.category(char) != "Cc").split())
    return line[: _field(field).max_length]


def _mail_text(value: str) -> str:
    """Mail text without the control characters PostgreSQL or a reader's terminal would choke on."""
    allowed = {"\t", "\n"}
    text = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(char for char in text if unicodedata.category(char) != "Cc" or char in allowed).strip()
    return text[:LONG_TEXT_LIMIT]


def _clean_submission(kind: ReportKind, fields: Mapping[str, Any], *, default_email: str) -> dict[str, Any]:
    if not isinstance(fields, Mapping):
        raise InvalidInput(_("The report could not be read."), field="fields")
    unknown = sorted(set(fields) - SUBMITTED_FIELDS)
    if unknown:
        raise InvalidInput(_("Unknown field “%(name)s”.") % {"name": unknown[0]}, field=str(unknown[0]))
    values = dict(fields)
    if default_email and not values.get("reporter_email"):
        values["reporter_email"] = default_email
    clean: dict[str, Any] = {}
    for name in SINGLE_LINE_FIELDS:
        clean[name] = _text(values.get(name), name, _label(name), limit=_field(name).max_length, single_line=True)
    for name in TEXT_FIELDS:
        clean[name] = _text(values.get(name), name, _label(name), limit=LONG_TEXT_LIMIT)
    clean["reporter_pgp_key"] = _text(
        values.get("reporter_pgp_key"), "reporter_pgp_key", _label("reporter_pgp_key"), limit=PGP_KEY_LIMIT
    )
    for name in REQUIRED_BY_KIND[kind]:
        _required(clean[name], name, _label(name))
    _check_email(clean["reporter_email"])
    if clean["site_url"]:
        _check_url(clean["site_url"])
    if clean["reporter_pgp_key"] and "BEGIN PGP PUBLIC KEY BLOCK" not in clean["reporter_pgp_key"]:
        raise InvalidInput(_("Paste your OpenPGP public key in its ASCII-armoured form."), field="reporter_pgp_key")
    clean["credit"] = _credit(values.get("credit", CreditPreference.NAME), clean["reporter_name"])
    for name in ANSWER_FIELDS:
        clean[name] = _answer(values.get(name, Answer.UNKNOWN), name)
    clean["share_contact_with_developer"] = _flag(
        values.get("share_contact_with_developer", False), "share_contact_with_developer"
    )
    if values.get("found_lawfully") is not True:
        raise InvalidInput(
            _("Please confirm that the vulnerability was found without breaking the law."), field="found_lawfully"
        )
    clean["found_lawfully"] = True
    return clean


def _field(name: str) -> models.Field:
    field = Report._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field


def _label(name: str) -> str:
    return capfirst(str(_field(name).verbose_name))


def _text(value: Any, field: str, label: str, *, limit: int | None, single_line: bool = False) -> str:
    """Stripped text, '' when absent. Control characters are refused: PostgreSQL rejects NUL and
    nobody types the others, so they are a sign of garbage or an attack on whoever reads it later."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(_("%(label)s must be text.") % {"label": label}, field=field)
    text = value.strip()
    allowed = {"\t"} if single_line else {"\t", "\n", "\r"}
    if any(unicodedata.category(char) == "Cc" and char not in allowed for char in text):
        message = (
            _("%(label)s must be a single line.")
            if single_line and ("\n" in text or "\r" in text)
            else _("%(label)s contains control characters.")
        )
        raise InvalidInput(message % {"label": label}, field=field)
    if limit is not None and len(text) > limit:
        raise InvalidInput(
            _("%(label)s is too long (at most %(limit)d characters).") % {"label": label, "limit": limit},
            field=field,
        )
    return text


def _required(text: str, field: str, label: str) -> str:
    if not text:
        raise InvalidInput(_("%(label)s is required.") % {"label": label}, field=field)
    return text


def _check_email(address: str) -> None:
    try:
        validate_email(address)
    except ValidationError as error:
        raise InvalidInput(_("Enter a valid email address."), field="reporter_email") from error


def _check_url(url: str) -> None:
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as error:
        raise InvalidInput(
            _("Enter the web site's address, starting with https:// or http://."), field="site_url"
        ) from error


def _credit(value: Any, reporter_name: str) -> str:
    if value not in CreditPreference.values:
        raise InvalidInput(_("Choose how you would like to be credited."), field="credit")
    if value == CreditPreference.NAME and not reporter_name:
        raise InvalidInput(
            _("Give the name to credit, or choose anonymous credit or no credit."), field="reporter_name"
        )
    return str(value)


def _answer(value: Any, name: str) -> str:
    if value not in Answer.values:
        raise InvalidInput(_("Choose yes, no or “I don't know”."), field=name)
    return str(value)


def _flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(_("%(label)s must be yes or no.") % {"label": _label(name)}, field=name)
    return value


def _new_reference() -> str:
    """A fresh random reference; 40 bits make a clash rare, checking makes it impossible."""
    while True:
        reference = public_reference("KYR")
        if not Report.objects.filter(reference=reference).exists():
            return reference


def _triage_due(at: dt.datetime) -> dt.datetime:
    return add_business_days(at, settings.KYOCHO["TRIAGE_BUSINESS_DAYS"])


# The reporter's side: answer a question, withdraw.


def provide_information(report_id: int, *, answer: str, actor: Any, token: str | None = None) -> Report:
    """The reporter answers the open question; the report returns to the triage queue with a fresh
    triage target, since the desk could not triage it while it waited for the answer."""
    answer = _required(_text(answer, "answer", _("Answer"), limit=LONG_TEXT_LIMIT), "answer", _("Answer"))
    with transaction.atomic():
        report = lock_for_reporter(report_id, actor, token)
        at = now()
        question = report.information_requests.filter(answered_at__isnull=True).last()
        if question is not None:
            question.answer, question.answered_at = answer, at
            question.save()
        report.needs_info_since = None
        report.info_request = ""
        report.triage_due_at = _triage_due(at)
        _move(report, ReportStatus.RECEIVED, actor=_person(actor), event="information_provided", data=_via(token))
    return report


def withdraw_report(report_id: int, *, actor: Any, token: str | None = None) -> Report:
    with transaction.atomic():
        report = lock_for_reporter(report_id, actor, token)
        report.decided_at = now()
        _move(report, ReportStatus.WITHDRAWN, actor=_person(actor), event="withdrawn", data=_via(token))
    return report


# The intake desk's side.


def request_information(report_id: int, *, question: str, actor: Any) -> Report:
    with transaction.atomic():
        report = _lock_for_staff(report_id, actor)
        question = _required(
            _text(question, "question", _("Question"), limit=LONG_TEXT_LIMIT), "question", _("Question")
        )
        REPORT.check(report.status, ReportStatus.NEEDS_INFO)
        at = now()
        InformationRequest.objects.create(report=report, question=question, asked_by=actor, asked_at=at)
        report.needs_info_since = at
        report.info_request = question
        _move(report, ReportStatus.NEEDS_INFO, actor=actor, event="information_requested")
        _tell_reporter(
            report,
            "report_information_request",
            actor=actor,
            question=question,
            expiry_days=settings.KYOCHO["NEEDS_INFO_EXPIRY_DAYS"],
        )
    return report


def accept_report(report_id: int, *, actor: Any, case_id: int | None = None, case_title: str | None = None) -> Report:
    """受理: attach the report to an existing open or coordinating case, or to a new one."""
    with transaction.atomic():
        report = _lock_for_staff(report_id, actor)
        REPORT.check(report.status, ReportStatus.ACCEPTED)
        if case_id is not None and case_title:
            raise InvalidInput(_("Choose an existing case or name a new one, not both."), field="case_title")
        new_case = case_id is None
        case = (
            cases.open_case(title=case_title or report.product_name, actor=actor)
            if new_case
            else _lock_live_case(case_id)
        )
        report.case = case
        report.decided_at = now()
        _move(
            report, ReportStatus.ACCEPTED, actor=actor, event="accepted", data={"case": case.pk, "new_case": new_case}
        )
        _tell_reporter(report, "report_accepted", actor=actor, case=case)
    return report


def reject_report(report_id: int, *, reason: str, note: str, actor: Any) -> Report:
    """不受理 with a reason. The note goes to the reporter with the reason (unless the reason is spam)."""
    with transaction.atomic():
        report = _lock_for_staff(report_id, actor)
        if reason not in RejectionReason.values:
            raise InvalidInput(_("Choose a reason for not accepting the report."), field="reason")
        if reason == RejectionReason.NO_ANSWER and report.status != ReportStatus.NEEDS_INFO:
            raise Conflict(_("Only a report waiting for information can be closed for lack of an answer."))
        note = _text(note, "note", _("Note"), limit=NOTE_LIMIT)
        _reject(report, RejectionReason(reason), note=note, actor=actor)
    return report


def mark_duplicate(report_id: int, *, case_id: int, actor: Any) -> Report:
    """The vulnerability is already handled in ``case_id``: the report is deferred to that case."""
    with transaction.atomic():
        report = _lock_for_staff(report_id, actor)
        REPORT.check(report.status, ReportStatus.DUPLICATE)
        case = _lock_live_case(case_id)
        report.duplicate_of = case
        report.decided_at = now()
        _move(report, ReportStatus.DUPLICATE, actor=actor, event="duplicate", data={"case": case.pk})
        _tell_reporter(report, "report_duplicate", actor=actor)
    return report


def mark_spam(report_id: int, *, actor: Any) -> Report:
    """Spam is set aside without a word to the sender."""
    with transaction.atomic():
        report = _lock_for_staff(report_id, actor)
        report.decided_at = now()
        _move(report, ReportStatus.SPAM, actor=actor, event="spam")
    return report


def record_triage(report_id: int, *, inputs: Mapping[str, str], actor: Any) -> Report:
    """Record the SSVC Coordinator Triage inputs and the decision they give (while the report is open)."""
    with transaction.atomic():
        report = _lock_for_staff(report_id, actor)
        if report.status not in OPEN_STATES:
            raise Conflict(_("Triage can only be recorded while the report is open."))
        clean = ssvc.clean_inputs(inputs)
        decision = ssvc.coordinator_triage(clean)
        report.triage_inputs = clean
        report.triage_decision = decision
        record("intake:report:triaged", actor=actor, subject=report, data={"inputs": clean, "decision": decision})
        report.save()
    return report


def revoke_tracking_token(report_id: int, *, actor: Any) -> Report:
    """A tracking link leaked: from now on it opens nothing."""
    with transaction.atomic():
        report = _lock_for_staff(report_id, actor)
        if not report.tracking_token_hash or report.tracking_token_revoked_at is not None:
            raise Conflict(_("This report has no tracking link that could be revoked."))
        report.tracking_token_revoked_at = now()
        record("intake:tracking_token:revoked", actor=actor, subject=report)
        report.save()
    return report


def expire_unanswered(at: dt.datetime) -> list[int]:
    """Reject, as the system, reports whose question went unanswered too long. Each report is
    re-checked under its lock, so an answer arriving meanwhile wins and a second run does nothing."""
    cutoff = at - dt.timedelta(days=settings.KYOCHO["NEEDS_INFO_EXPIRY_DAYS"])
    overdue = Q(status=ReportStatus.NEEDS_INFO, needs_info_since__lte=cutoff)
    expired = []
    for report_id in Report.objects.filter(overdue).values_list("pk", flat=True):
        with transaction.atomic():
            report = lock(Report, report_id)
            if not Report.objects.filter(overdue, pk=report.pk).exists():
                continue
            _reject(report, RejectionReason.NO_ANSWER, note="", actor=None)
            expired.append(report.pk)
    return expired


# Shared steps.


def _reject(report: Report, reason: RejectionReason, *, note: str, actor: Any) -> None:
    REPORT.check(report.status, ReportStatus.REJECTED)
    report.rejection_reason = reason
    report.rejection_note = note
    report.decided_at = now()
    _move(report, ReportStatus.REJECTED, actor=actor, event="rejected", data={"reason": reason})
    if reason != RejectionReason.SPAM:
        _tell_reporter(report, "report_rejected", actor=actor, reason=reason.label, note=note)


def _move(report: Report, target: str, *, actor: Any, event: str, data: dict[str, Any] | None = None) -> None:
    """Check the transition, audit it as ``intake:report:<event>`` and save the locked report."""
    REPORT.check(report.status, target)
    old = report.status
    report.status = target
    record(f"intake:report:{event}", actor=actor, subject=report, data={"from": old, "to": target, **(data or {})})
    report.save()


def _tell_reporter(report: Report, template: str, *, actor: Any, **context: Any) -> None:
    enqueue_from_template(
        template,
        {"report": report, "has_account": report.reporter_id is not None, **context},
        to=report.reporter_email,
        language=report.language,
        purpose=f"report:{template.removeprefix('report_')}",
        actor=actor,
        related=report,
        encrypt_to=report.reporter_pgp_key,  # the form promises it: with a usable key, mail is encrypted
    )


def _lock_for_staff(report_id: int, actor: Any) -> Report:
    report = lock(Report, report_id)
    if not permissions.is_staff_member(actor):
        _refuse(report, actor, _("Only the intake desk can do this."))
    return report


def lock_for_reporter(report_id: int, actor: Any, token: str | None) -> Report:
    """The report, locked, for someone acting as its reporter: the holder of its tracking ``token``, or
    the signed-in reporter (the one rule, also for the case conversations a finder writes in)."""
    report = lock(Report, report_id)
    if token is not None:
        if queries.report_for_token(token).pk != report.pk:  # wrong or revoked: NotFound
            raise NotFound()
        return report
    person = _person(actor)
    if person is None or report.reporter_id != person.pk:
        _refuse(report, actor, _("Only the reporter can do this."))
    return report


def _refuse(report: Report, actor: Any, message: str) -> NoReturn:
    """PermissionDenied to someone who can see the report; NotFound to everyone else."""
    if queries.visible_reports(actor).filter(pk=report.pk).exists():
        raise PermissionDenied(message)
    raise NotFound()


def _lock_live_case(case_id: Any) -> Case:
    case = lock(Case, case_id)
    if case.status not in {CaseStatus.OPEN, CaseStatus.COORDINATING}:
        raise Conflict(_("Reports can only join an open or coordinating case."), field="case_id")
    return case


def _person(actor: Any) -> Any:
    """A signed-in user, or None for anonymous visitors (who are recorded like the system)."""
    return actor if getattr(actor, "is_authenticated", False) else None


def _via(token: str | None) -> dict[str, Any]:
    return {"via": "tracking_token"} if token is not None else {}


# The conversation between the reporter and the coordinator.

MESSAGE_LIMIT = LONG_TEXT_LIMIT
CLOSED_TO_MESSAGES = frozenset({ReportStatus.SPAM})


def post_report_message(report_id: int, *, body: str, actor: Any, token: str | None = None) -> ReportMessage:
    """A message in the report's thread: from the reporter (by account or tracking token) or from the
    intake desk / coordinator, in which case the reporter is told by email."""
    body = _required(_text(body, "body", _("Message"), limit=MESSAGE_LIMIT), "body", _("Message"))
    with transaction.atomic():
        from_staff = token is None and permissions.is_staff_member(actor)
        report = lock(Report, report_id) if from_staff else lock_for_reporter(report_id, actor, token)
        if report.status in CLOSED_TO_MESSAGES:
            raise Conflict(_("This report takes no messages."))
        person = _person(actor)
        message = ReportMessage.objects.create(
            report=report, body=body, author=person, from_reporter=not from_staff, posted_at=now()
        )
        record(
            "intake:report:message_posted",
            actor=person,
            subject=report,
            data={"message": message.pk, "from_reporter": not from_staff, **_via(token)},
        )
        if from_staff:
            _tell_reporter(report, "report_message", actor=actor, body=body)
    return message
