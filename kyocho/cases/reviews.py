"""Developers' statements, and the coordinator's review of what developers want published.

A developer's answers (``actions.record_answer``) and its statement (ja/en and references) are reviewed
by a coordinator before anything is published: approved, or returned with a comment, which the
developer is told about by mail (the details only encrypted: ``mail.tell_developer``). Anything the
developer changes goes back to pending (``actions.reopen_review``), so only what a coordinator saw is
ever approved.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext as _

from kyocho.audit.actions import record
from kyocho.cases import mail
from kyocho.cases.actions import (
    locked_participation,
    record_answer,
    reopen_review,
    require_coordinator_on_participation,
    require_developer_or_coordinator,
    require_may_answer,
)
from kyocho.cases.models import Answer, Participation, Reviewed, Statement
from kyocho.cases.workflow import REVIEW, AnswerStatus, ReviewStatus
from kyocho.core.actions import lock, optional_text, required_text
from kyocho.core.clock import now
from kyocho.core.errors import DomainError, InvalidInput
from kyocho.disclosure.actions import parent_id

STATEMENT_MAX = 10_000  # characters per language
REFERENCES_MAX = 20
URL_MAX = 2000
COMMENT_MAX = 5000
ANSWERS_MAX = 500  # cells in one request (a big case: a few vulnerabilities × many products)
ANSWER_REQUIRED = frozenset({"vulnerability_id", "product", "status"})
ANSWER_FIELDS = ANSWER_REQUIRED | {"justification", "fixed_version"}
RETURNED_TEMPLATE = "review_returned"

_url_validator = URLValidator(schemes=["http", "https"])


# --- Statements ----------------------------------------------------------------------------------


def save_statement(participation_id: int, *, text_ja: str, text_en: str, references: Any, actor: Any) -> Statement:
    """The developer's statement for the advisory, in Japanese, English or both, with its references
    (http or https addresses). Written by the developer's members once they confirmed receipt, or by
    a coordinator on their behalf. Saving the same statement again changes nothing, except that it
    puts a returned statement back before the coordinator."""
    fields = {
        "text_ja": optional_text(text_ja, "text_ja", max_length=STATEMENT_MAX),
        "text_en": optional_text(text_en, "text_en", max_length=STATEMENT_MAX),
        "references": clean_references(references),
    }
    if not (fields["text_ja"] or fields["text_en"]):
        raise InvalidInput(_("Write the statement in Japanese, in English or in both."), field="text_ja")
    with locked_participation(participation_id, actor=actor, require=require_developer_or_coordinator) as participation:
        require_may_answer(participation, actor)
        statement = Statement.objects.select_for_update().filter(participation=participation).first()
        if statement is None:
            statement = Statement(participation=participation)
        elif _same(statement, fields) and statement.review_status != ReviewStatus.RETURNED:
            return statement
        review_was = reopen_review(statement)
        for name, value in fields.items():
            setattr(statement, name, value)
        statement.updated_at, statement.updated_by = now(), actor
        statement.save()
        record(
            "case:statement:saved",
            actor=actor,
            subject=participation.case,
            data={
                "organisation": participation.organisation_id,
                "statement": statement.pk,
                "languages": [language for language in ("ja", "en") if fields[f"text_{language}"]],
                "references": len(fields["references"]),
                "review_from": review_was,
            },
        )
    return statement


def _same(statement: Statement, fields: Mapping[str, Any]) -> bool:
    return all(getattr(statement, name) == value for name, value in fields.items())


def clean_references(value: Any) -> list[str]:
    """A list of http(s) addresses (or text with one per line), blanks and repeats dropped."""
    if value is None:
        return []
    items = value.splitlines() if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(item, str) for item in items):
        raise InvalidInput(_("References are a list of web addresses."), field="references")
    references = list(dict.fromkeys(item.strip() for item in items if item.strip()))
    if len(references) > REFERENCES_MAX:
        raise InvalidInput(
            _("At most %(limit)d references can be given.") % {"limit": REFERENCES_MAX}, field="references"
        )
    for reference in references:
        _check_url(reference)
    return references


def _check_url(url: str) -> None:
    try:
        if len(url) > URL_MAX:
            raise ValidationError("too long")
        _url_validator(url)
    except ValidationError as error:
        raise InvalidInput(
            _("“%(url)s” is not a valid http or https address.") % {"url": url[:100]}, field="references"
        ) from error


# --- Many answers at once (PSIRT tooling) ------------------------------------------------------------


def record_answers(participation_id: int, *, answers: Any, actor: Any) -> list[Answer]:
    """Several cells of the answer grid, all or none: a refused cell names itself (``answers.2.status``)."""
    if not isinstance(answers, list | tuple) or not answers:
        raise InvalidInput(_("Give at least one answer."), field="answers")
    if len(answers) > ANSWERS_MAX:
        raise InvalidInput(_("At most %(limit)d answers at once.") % {"limit": ANSWERS_MAX}, field="answers")
    saved = []
    with transaction.atomic():
        for index, cell in enumerate(answers):
            if not isinstance(cell, Mapping) or not ANSWER_REQUIRED <= set(cell) <= ANSWER_FIELDS:
                raise InvalidInput(
                    _("An answer has a vulnerability_id, a product, a status, and a justification or fixed version."),
                    field=f"answers.{index}",
                )
            try:
                saved.append(record_answer(participation_id, **dict(cell), actor=actor))
            except DomainError as error:
                error.field = f"answers.{index}.{error.field}" if error.field else f"answers.{index}"
                raise
    return saved


# --- The coordinator's review --------------------------------------------------------------------


def review_answer(answer_id: int, *, approve: bool, comment: str = "", actor: Any) -> Answer:
    """Approve the answer for publication, or return it to the developer with a comment."""
    target, comment = _decision(approve, comment)
    with transaction.atomic():
        participation = _lock_reviewer_participation(parent_id(Answer, answer_id, "participation_id"), actor)
        answer = lock(Answer, answer_id)
        _decide(answer, target, comment, actor)
        record(
            f"case:answer:{target}",
            actor=actor,
            subject=participation.case,
            data={
                "organisation": participation.organisation_id,
                "answer": answer.pk,
                "vulnerability": answer.vulnerability_id,
                "product": answer.product,
                "status": answer.status,
                "comment": comment,
            },
        )
        answer.save()
        if target == ReviewStatus.RETURNED:
            _tell_returned(
                participation,
                {
                    "answer": answer,
                    "vulnerability": answer.vulnerability,
                    "status_label": AnswerStatus(answer.status).label,
                    "comment": comment,
                },
                actor=actor,
            )
    return answer


def review_statement(statement_id: int, *, approve: bool, comment: str = "", actor: Any) -> Statement:
    """Approve the statement for publication, or return it to the developer with a comment."""
    target, comment = _decision(approve, comment)
    with transaction.atomic():
        participation = _lock_reviewer_participation(parent_id(Statement, statement_id, "participation_id"), actor)
        statement = lock(Statement, statement_id)
        _decide(statement, target, comment, actor)
        record(
            f"case:statement:{target}",
            actor=actor,
            subject=participation.case,
            data={"organisation": participation.organisation_id, "statement": statement.pk, "comment": comment},
        )
        statement.save()
        if target == ReviewStatus.RETURNED:
            _tell_returned(participation, {"statement": statement, "comment": comment}, actor=actor)
    return statement


def _decision(approve: Any, comment: Any) -> tuple[str, str]:
    """Approving may carry a note; returning must say what to change."""
    if not isinstance(approve, bool):
        raise InvalidInput(_("Choose to approve or to return."), field="approve")
    if approve:
        return ReviewStatus.APPROVED, optional_text(comment or "", "comment", max_length=COMMENT_MAX)
    text = comment if isinstance(comment, str) else ""
    return ReviewStatus.RETURNED, required_text(
        text, "comment", _("A comment for the developer"), max_length=COMMENT_MAX
    )


def _lock_reviewer_participation(participation_id: int, actor: Any) -> Participation:
    """The participation locked first (the lock order of record_answer), for a coordinator only."""
    participation = lock(Participation, participation_id)
    require_coordinator_on_participation(participation, actor)
    return participation


def _decide(item: Reviewed, target: str, comment: str, actor: Any) -> None:
    REVIEW.check(item.review_status, target)
    item.review_status, item.review_comment = target, comment
    item.reviewed_at, item.reviewed_by = now(), actor


def _tell_returned(participation: Participation, context: dict[str, Any], *, actor: Any) -> None:
    mail.tell_developer(participation, RETURNED_TEMPLATE, context, purpose="case:review_returned", actor=actor)
