"""Notifying developers of a case through the API (coordinators): ``cases.notify.notify_developers``."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema

from kyocho.cases.notify import NotificationResult, notify_developers
from kyocho.core.errors import DomainError

router = Router(tags=["cases"])

DESCRIPTION = """\
Notifies every developer given, in one action: all of them or, on any refusal, none (nothing is sent).
Developers not yet in the case are added first. Each contact of a developer gets a message of their
own: the case details signed and encrypted with OpenPGP to the contact's registered key, or, without
a usable key, a notice to sign in to the portal that holds no details. The contacts get portal access.
The case's first notification sets its start date (起算日) and target disclosure date and tells the
reporters.

Refused with 409 when a developer was already notified or is suspended from pre-notification without
a reason in `overrides` (every such developer is named), or when the case is not open or
coordinating; 400 for ids that are no product developer; 403 for staff who are not coordinators; 404
for anyone who may not see the case.
"""


class NotifyIn(Schema):
    organisation_ids: list[int] = Field(..., description="The product developers to notify, in this order.")
    overrides: dict[str, str] = Field(
        default_factory=dict,
        description="Why to notify developers suspended from pre-notification anyway, by organisation id.",
    )


class ContactMailedOut(Schema):
    address: str
    encrypted: bool = Field(..., description="The details went encrypted; otherwise a sign-in notice only.")
    key_fingerprint: str = Field(..., description="The key the details were encrypted to; empty for a notice.")


class DeveloperNotifiedOut(Schema):
    organisation_id: int
    organisation: str
    participation_id: int
    added: bool = Field(..., description="Not in the case before: added by this notification.")
    mail: Literal["encrypted", "mixed", "notice_only", "none"] = Field(
        ...,
        description="How the contacts were told: all encrypted, some only a notice, all only a notice, or no "
        "contact address at all (notified in the portal only: reach the developer another way).",
    )
    override_reason: str = Field(..., description="The reason a suspension was overridden; empty if none.")
    contacts: list[ContactMailedOut]


class NotifyOut(Schema):
    case_id: int
    reference: str
    clock_started: bool = Field(..., description="This was the case's first notification.")
    start_date: dt.datetime | None = Field(..., description="起算日")
    target_disclosure_at: dt.datetime | None
    reporters_told: int
    developers: list[DeveloperNotifiedOut]


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None


@router.post(
    "/cases/{case_id}/notify",
    response={200: NotifyOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Notify developers of the case, encrypted to each contact's key (coordinators)",
    description=DESCRIPTION,
)
def notify(request: HttpRequest, case_id: int, payload: NotifyIn) -> dict[str, Any]:
    try:
        result = notify_developers(
            case_id,
            organisation_ids=payload.organisation_ids,
            override_reasons=payload.overrides,
            actor=request.auth,  # type: ignore[attr-defined]
        )
    except DomainError as error:
        if error.field == "override_reasons":
            error.field = "overrides"  # this request's name for them
        raise
    return result_body(result)


def result_body(result: NotificationResult) -> dict[str, Any]:
    return {
        "case_id": result.case_id,
        "reference": result.reference,
        "clock_started": result.clock_started,
        "start_date": result.start_date,
        "target_disclosure_at": result.target_disclosure_at,
        "reporters_told": result.reporters_told,
        "developers": [
            {
                "organisation_id": developer.organisation_id,
                "organisation": developer.name,
                "participation_id": developer.participation_id,
                "added": developer.added,
                "mail": developer.mail,
                "override_reason": developer.override_reason,
                "contacts": [
                    {"address": c.address, "encrypted": c.encrypted, "key_fingerprint": c.key_fingerprint}
                    for c in developer.contacts
                ],
            }
            for developer in result.developers
        ],
    }
