"""What the API sends and accepts. Only fields the caller may see once ``queries`` let it see the object."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from kyocho.cases import queries as case_queries
from kyocho.cases.models import Case, Participation


class OrganisationOut(Schema):
    id: int
    name: str
    name_en: str
    kind: str
    roles: list[str]


class MeOut(Schema):
    id: int
    email: str
    display_name: str
    language: str
    roles: list[str]
    organisations: list[OrganisationOut]


class TokenIn(Schema):
    name: str = Field(..., max_length=100, description="A name that tells you later what the token is for.")


class TokenOut(Schema):
    id: int
    name: str
    prefix: str = Field(..., description="The first characters of the secret, to tell tokens apart.")
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class NewTokenOut(TokenOut):
    secret: str = Field(..., description="Shown once: only a hash of it is kept.")


class ParticipantOut(Schema):
    id: int = Field(..., description="The participation: its follow-up is at /participations/{id} (staff).")
    organisation_id: int
    organisation: str = Field(..., alias="organisation.name")
    status: str
    notified_at: dt.datetime | None
    acknowledged_at: dt.datetime | None


class CaseOut(Schema):
    id: int
    reference: str
    title: str
    status: str
    resolution: str
    international: bool
    on_hold: bool
    start_date: dt.datetime | None
    target_disclosure_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class CaseDetailOut(CaseOut):
    summary: str
    participants: list[ParticipantOut]

    @staticmethod
    def resolve_participants(case: Case, context: dict[str, Any]) -> list[Participation]:
        """Only the developers the caller may see in the case (a developer sees itself alone)."""
        return list(case_queries.visible_participations(context["request"].auth, case))


class ReportOut(Schema):
    id: int
    reference: str
    kind: str
    status: str
    product_name: str
    developer_name: str
    product_version: str
    received_at: dt.datetime
    triage_due_at: dt.datetime
    case_id: int | None


class ReportDetailOut(ReportOut):
    description: str
    reproduction: str
    impact: str
    site_url: str
    credit: str
    language: str
