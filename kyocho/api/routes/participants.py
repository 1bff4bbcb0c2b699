"""A developer's follow-up in a case, for the coordinators' tooling: its state, the unreachable progress
and the contact log, and logging an attempt. Staff only: to anyone else these do not exist (404)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from kyocho.api.pagination import Page
from kyocho.cases import actions
from kyocho.cases import followup_queries as followup
from kyocho.cases.models import ContactAttempt, Participation
from kyocho.cases.workflow import PARTICIPATION

router = Router(tags=["follow-up"])


class ProgressOut(Schema):
    attempts: int
    attempts_needed: int
    days: int
    days_needed: int
    channels: int
    channels_needed: int
    missing: list[str] = Field(..., description="What is still missing before “unreachable”, in words.")
    complete: bool


class ParticipationStateOut(Schema):
    id: int
    case_id: int
    case_reference: str = Field(..., alias="case.reference")
    organisation_id: int
    organisation: str = Field(..., alias="organisation.name")
    status: str
    allowed_transitions: list[str] = Field(..., description="The states the transition table allows from here.")
    notified_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    reminded_at: dt.datetime | None
    escalated_at: dt.datetime | None
    fix_ready_at: dt.datetime | None
    fix_deployed_at: dt.datetime | None
    listed_at: dt.datetime | None
    product_listed_at: dt.datetime | None
    progress: ProgressOut

    @staticmethod
    def resolve_allowed_transitions(participation: Participation) -> list[str]:
        return sorted(PARTICIPATION.targets(participation.status))

    @staticmethod
    def resolve_progress(participation: Participation) -> dict[str, Any]:
        progress = followup.progress(participation)
        return {**asdict(progress), "complete": progress.complete}


class ContactAttemptOut(Schema):
    id: int
    channel: str
    outcome: str
    at: dt.datetime
    address: str
    note: str
    recorded_by: str | None = Field(None, description="Who logged it; null for mail kyocho sent itself.")
    email_status: str | None = Field(None, description="For mail: the outbox status of the message.")

    @staticmethod
    def resolve_recorded_by(attempt: ContactAttempt) -> str | None:
        return attempt.recorded_by.email if attempt.recorded_by else None

    @staticmethod
    def resolve_email_status(attempt: ContactAttempt) -> str | None:
        return attempt.email.status if attempt.email else None


class ContactAttemptIn(Schema):
    channel: str = Field(..., description="email, portal, phone, post, fax or via_partner")
    outcome: str = Field(..., description="sent, delivered, failed, no_answer or reached")
    at: dt.datetime | None = Field(
        None, description="With its time zone; not in the future nor before the notification. Default: now."
    )
    address: str = Field("", max_length=254, description="The number, address or partner it went to.")
    note: str = ""


@router.get(
    "/{participation_id}", response=ParticipationStateOut, summary="A developer's state and unreachable progress"
)
def get_participation(request: HttpRequest, participation_id: int) -> Participation:
    return followup.participation_for_staff(request.auth, participation_id)  # type: ignore[attr-defined]


@router.get(
    "/{participation_id}/contact-attempts",
    response=list[ContactAttemptOut],
    summary="The contact log of a developer in a case, oldest first",
)
@paginate(Page)
def list_contact_attempts(request: HttpRequest, participation_id: int) -> Any:
    return followup.contact_log(request.auth, participation_id)  # type: ignore[attr-defined]


@router.post(
    "/{participation_id}/contact-attempts",
    response={201: ContactAttemptOut},
    summary="Log an attempt to reach the developer (phone, post, fax, via a partner, …)",
)
def log_contact_attempt(
    request: HttpRequest, participation_id: int, payload: ContactAttemptIn
) -> Status[ContactAttempt]:
    caller = request.auth  # type: ignore[attr-defined]
    participation = followup.participation_for_staff(caller, participation_id)
    attempt = actions.log_contact_attempt(participation.pk, actor=caller, **payload.model_dump())
    return Status(201, attempt)
